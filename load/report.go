package load

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/partcopy/partcopy/reports"
)

// Meta is what a report says about the run beyond its figures.
type Meta struct {
	// Endpoint is the endpoint's URL (no credentials).
	Endpoint string
	// Version is partcopy's version.
	Version string
	// Workload is the copy workload (defaults applied).
	Workload Workload
	// Implementation names the endpoint's implementation; nil if unknown.
	Implementation *reports.Implementation
	// RunID ties the shards of a run together; every report carries it.
	RunID string
	// Shard is the run's shard this process is; nil when not sharded.
	Shard *reports.ShardInfo
	// Provenance is the build and command line; nil means not recorded.
	Provenance *reports.Provenance
	// Thresholds are evaluated on the run into the report's thresholds.
	Thresholds []reports.Threshold
	// Aborted is the threshold that stopped the run early (AbortCheck).
	Aborted string
	// Client is the client the copies went through (ClientFast,
	// ClientS3call); "" when not said.
	Client string
}

// Quantiler gives the run's exact percentiles for thresholds the report's
// summary does not hold (p95, p99.99, ...).
func (r *Run) Quantiler() reports.Quantiler {
	return func(series string, p float64) (float64, bool) {
		var h *hdrhistogram.Histogram
		switch series {
		case "total":
			h = r.Total
		case "ttfb":
			h = r.TTFB
		case "uncorrected":
			h = r.Uncorrected
		case "failed":
			h = r.Failed
		case "lag":
			h = r.Lag
		}
		if h == nil || h.TotalCount() == 0 {
			return 0, false
		}
		if p < 0 {
			return h.Mean() / 1e6, true
		}
		return nsToMs(h.ValueAtQuantile(p)), true
	}
}

// Report returns the run as a partcopy/load/v1 report.
func (r *Run) Report(m Meta) reports.Load {
	secs := r.Elapsed().Seconds()
	per := func(n int64) float64 {
		if secs <= 0 {
			return 0
		}
		return float64(n) / secs
	}
	conc, inFlight := r.Config.Concurrency, 0
	if r.Config.Rate > 0 {
		conc, inFlight = r.Config.MaxInFlight, r.Config.MaxInFlight
	}
	ssec := m.Workload.SSEC
	if ssec == "" {
		ssec = SSECNone
	}
	failures := make(map[string]int64, len(r.Failures))
	for k, v := range r.Failures {
		failures[k] = v
	}
	started := r.Start.UTC()
	gen := r.Generator()
	var failedLat *reports.Latency
	if r.Failed != nil && r.Failed.TotalCount() > 0 {
		fl := reports.LatencyFromHistogram(r.Failed, 1e-6)
		failedLat = &fl
	}
	l := reports.Load{
		RunID: m.RunID, StartedAt: &started, Shard: m.Shard,
		Schema:          reports.LoadSchema,
		GeneratedAt:     time.Now().UTC(),
		PartcopyVersion: m.Version,
		Endpoint:        m.Endpoint,
		Implementation:  m.Implementation,
		Provenance:      m.Provenance,
		Client:          m.Client,
		Mode:            r.Config.Mode(),
		TargetRate:      r.Config.Rate,
		Concurrency:     conc,
		MaxInFlight:     inFlight,
		DurationSeconds: secs,
		SourceSize:      m.Workload.SourceSize,
		PartSize:        m.Workload.PartSize,
		SSEC:            ssec != SSECNone,
		SSECMode:        string(ssec),
		Ops: reports.LoadOps{
			Total: r.Counts.Ops, Succeeded: r.Counts.Succeeded, Failed: r.Counts.Failed,
			LateStarts: r.Counts.LateStarts,
		},
		Failures:   failures,
		Throughput: reports.Throughput{OpsPerSecond: per(r.Counts.Succeeded), BytesPerSecond: per(r.Counts.Bytes)},
		LatencyMs: reports.LatencySet{
			Total:       reports.LatencyFromHistogram(r.Total, 1e-6),
			TTFB:        reports.LatencyFromHistogram(r.TTFB, 1e-6),
			Uncorrected: reports.LatencyFromHistogram(r.Uncorrected, 1e-6),
			Failed:      failedLat,
		},
		Intervals:                r.Series,
		LatencyOf:                reports.LatencyOfSucceeded,
		Generator:                &gen,
		Interrupted:              r.Interrupted,
		RequestedDurationSeconds: r.Config.Duration.Seconds(),
		Aborted:                  m.Aborted,
	}
	if len(m.Thresholds) > 0 {
		l.Thresholds = reports.EvaluateThresholds(m.Thresholds, l, r.Quantiler())
	}
	return l
}

// When the generator counts as limited (Generator): its lag's p99 is more
// than LimitedLagShare of the corrected p99 (and above LimitedLagFloor,
// below which no lag matters), or above LimitedLagAbs, or more than
// LimitedLateShare of the copies started late.
const (
	LimitedLagShare  = 0.10
	LimitedLagFloor  = 200 * time.Microsecond
	LimitedLagAbs    = 5 * time.Millisecond
	LimitedLateShare = 0.01
	// starvedSched is the scheduler latency (p99) from which the process
	// counts as short of CPU; timerSlackMax the lag Go's timers alone
	// explain (they wake up to 1 ms late, plus a little).
	starvedSched = time.Millisecond
	// starvedRunQueue is the kernel run-queue wait (ms per second of the
	// run, all threads together) from which other processes starve it.
	starvedRunQueue = 50.0
	timerSlackMax   = 1500 * time.Microsecond
)

// Generator describes the generator's own lag and whether it limited the
// run, naming the cause: in-flight cap reached (copies waited for a free
// worker), CPU-starved (goroutines waited for a CPU, or a lag beyond what
// timers explain), or timer slack (Go's timers wake up to 1 ms late).
func (r *Run) Generator() reports.Generator {
	g := reports.Generator{
		WorkersUsed: r.WorkersStarted, CapWaits: r.CapWaits, NotSent: r.NotSent,
		MaxInFlightReached: r.CapWaits > 0 || r.NotSent > 0,
		SchedLatencyP99Ms:  float64(r.SchedLatencyP99) / 1e6, GOMAXPROCS: r.GOMAXPROCS,
	}
	if secs := r.Elapsed().Seconds(); secs > 0 {
		g.RunQueueWaitMsPerSecond = float64(r.RunQueueWait) / 1e6 / secs
	}
	if r.Config.Rate > 0 {
		g.MaxInFlight = r.Config.MaxInFlight
	}
	if r.Lag == nil || r.Lag.TotalCount() == 0 {
		return g
	}
	g.LagMs = reports.LatencyFromHistogram(r.Lag, 1e-6)
	lagP99 := time.Duration(r.Lag.ValueAtQuantile(99))
	ref := r.Total
	if ref == nil || ref.TotalCount() == 0 {
		ref = r.Failed
	}
	var corrP99 time.Duration
	if ref != nil && ref.TotalCount() > 0 {
		corrP99 = time.Duration(ref.ValueAtQuantile(99))
	}
	lateShare := 0.0
	if r.Counts.Ops > 0 {
		lateShare = float64(r.Counts.LateStarts) / float64(r.Counts.Ops)
	}
	var why []string
	if lagP99 > LimitedLagFloor && float64(lagP99) > LimitedLagShare*float64(corrP99) {
		why = append(why, fmt.Sprintf("lag p99 %s is %.0f%% of the corrected p99 %s", fmtDur(lagP99), 100*float64(lagP99)/float64(max(corrP99, 1)), fmtDur(corrP99)))
	}
	if lagP99 > LimitedLagAbs {
		why = append(why, fmt.Sprintf("lag p99 %s > %s", fmtDur(lagP99), fmtDur(LimitedLagAbs)))
	}
	if lateShare > LimitedLateShare {
		why = append(why, fmt.Sprintf("%.1f%% of the copies started more than %s late", 100*lateShare, fmtDur(r.Config.LateAfter)))
	}
	if r.NotSent > 0 {
		why = append(why, fmt.Sprintf("%d copies due were never sent", r.NotSent))
	}
	if len(why) == 0 {
		return g
	}
	g.Limited = true
	var causes []string
	if g.MaxInFlightReached {
		g.Causes = append(g.Causes, reports.GenInFlightCap)
		causes = append(causes, fmt.Sprintf("in-flight cap reached (all %d of --max-in-flight busy when %d copies were due; raise --max-in-flight, or the endpoint is saturated)",
			r.Config.MaxInFlight, r.CapWaits+r.NotSent))
	}
	if r.SchedLatencyP99 > starvedSched || g.RunQueueWaitMsPerSecond > starvedRunQueue || (!g.MaxInFlightReached && lagP99 > timerSlackMax) {
		g.Causes = append(g.Causes, reports.GenCPUStarved)
		sched := ""
		if r.SchedLatencyP99 > 0 {
			sched = fmt.Sprintf("goroutines waited %s for a P, p99; ", fmtDur(r.SchedLatencyP99))
		}
		causes = append(causes, fmt.Sprintf("CPU-starved generator (%sGOMAXPROCS=%d; its threads waited %.0f ms/s for a CPU on a machine with %d CPUs; give it more CPU, a quieter machine or a lower rate)",
			sched, r.GOMAXPROCS, g.RunQueueWaitMsPerSecond, runtime.NumCPU()))
	}
	if len(g.Causes) == 0 {
		g.Causes = append(g.Causes, reports.GenTimerSlack)
		causes = append(causes, "timer slack (Go timers wake up to 1 ms late; against an endpoint this fast, read the uncorrected column)")
	}
	g.Warning = fmt.Sprintf("generator limited: %s; cause: %s", joinAnd(why), joinAnd(causes))
	return g
}

func joinAnd(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return fmt.Sprintf("%s and %s", joinComma(s[:len(s)-1]), s[len(s)-1])
}

func joinComma(s []string) string {
	out := s[0]
	for _, x := range s[1:] {
		out += ", " + x
	}
	return out
}

// fmtDur renders a duration with ms precision that suits latencies.
func fmtDur(d time.Duration) string { return fmtMs(float64(d) / 1e6) }

// WriteHGRM writes h's percentile distribution byte for byte in wrk2's
// layout (reports.WriteHGRM: its marker, columns and footer; 5 ticks per half
// distance, values in milliseconds), readable by HdrHistogram's plotter.
func WriteHGRM(w io.Writer, h *hdrhistogram.Histogram) error {
	return reports.WriteHGRM(w, h)
}

// summaryPercentiles are the rows of the wrk-style latency distribution.
var summaryPercentiles = []float64{50, 75, 90, 99, 99.9, 99.99, 99.999, 100}

// WriteSummary writes a wrk-style summary of the run.
func (r *Run) WriteSummary(w io.Writer, m Meta) {
	c := r.Config
	model := fmt.Sprintf("closed loop, %d workers", c.Concurrency)
	if c.Rate > 0 {
		model = fmt.Sprintf("open loop, %g copies/s, at most %d in flight (%d used)", c.Rate, c.MaxInFlight, r.WorkersStarted)
	}
	wl := m.Workload
	fmt.Fprintf(w, "Ran %s of UploadPartCopy @ %s\n", r.Elapsed().Round(time.Millisecond), m.Endpoint)
	if m.Client != "" {
		model += ", client " + m.Client
	}
	fmt.Fprintf(w, "  %s\n", model)
	fmt.Fprintf(w, "  part %s from %d source(s) of %s, SSE-C %s, uploads rotated every %d copies\n",
		FormatSize(wl.PartSize), wl.Sources, FormatSize(wl.SourceSize), wl.SSEC, wl.CompleteEvery)
	if r.Interrupted {
		fmt.Fprintf(w, "  INTERRUPTED after %s of the %s asked for: figures cover the part of the run that completed\n",
			r.Elapsed().Round(time.Millisecond), c.Duration)
	}
	if r.Stopped {
		fmt.Fprintf(w, "  STOPPED EARLY after %s of the %s asked for (--abort-on-fail)\n", r.Elapsed().Round(time.Millisecond), c.Duration)
	}
	fmt.Fprintf(w, "  Latency (successful copies) %10s %10s %10s %10s\n", "p50", "p99", "p99.9", "max")
	row := func(name string, h *hdrhistogram.Histogram) {
		if h.TotalCount() == 0 {
			fmt.Fprintf(w, "    %-25s %10s\n", name, "-")
			return
		}
		fmt.Fprintf(w, "    %-25s %10s %10s %10s %10s\n", name,
			fmtMs(nsToMs(h.ValueAtQuantile(50))), fmtMs(nsToMs(h.ValueAtQuantile(99))),
			fmtMs(nsToMs(h.ValueAtQuantile(99.9))), fmtMs(nsToMs(h.Max())))
	}
	row("total", r.Total)
	row("ttfb", r.TTFB)
	row("uncorrected", r.Uncorrected)
	if r.Failed != nil && r.Failed.TotalCount() > 0 {
		row("failed copies", r.Failed)
	}
	if r.Lag != nil {
		row("generator lag", r.Lag)
	}
	fmt.Fprintf(w, "  Latency Distribution (HdrHistogram - from intended start; uncorrected beside)\n")
	for _, p := range summaryPercentiles {
		if r.Total.TotalCount() == 0 {
			break
		}
		fmt.Fprintf(w, "  %7.3f%%  %10s  %10s\n", p,
			fmtMs(nsToMs(r.Total.ValueAtQuantile(p))), fmtMs(nsToMs(r.Uncorrected.ValueAtQuantile(p))))
	}
	secs := r.Elapsed().Seconds()
	if secs <= 0 {
		secs = 1
	}
	fmt.Fprintf(w, "  %d copies in %s, %d succeeded, %d failed, %d late starts, %s copied\n",
		r.Counts.Ops, r.Elapsed().Round(time.Millisecond), r.Counts.Succeeded, r.Counts.Failed, r.Counts.LateStarts,
		FormatSize(r.Counts.Bytes))
	for _, k := range FailureKeys(r.Failures) {
		fmt.Fprintf(w, "    failed: %-40s %d\n", k, r.Failures[k])
	}
	if r.NotSent > 0 {
		fmt.Fprintf(w, "    not sent (due before the end, every worker busy): %d\n", r.NotSent)
	}
	fmt.Fprintf(w, "Copies/sec: %10.2f\n", float64(r.Counts.Succeeded)/secs)
	fmt.Fprintf(w, "Copied/sec: %10s\n", FormatSize(int64(float64(r.Counts.Bytes)/secs)))
	if g := r.Generator(); g.Limited {
		fmt.Fprintf(w, "WARNING: %s\n", g.Warning)
	}
}

// Output file names in the --out directory.
const (
	FileJSON             = reports.FileLoadJSON
	FileCSV              = "load.csv"
	FileHlog             = reports.FileLatencyHlog
	FileHGRM             = reports.FileLatencyHGRM
	FileHGRMTTFB         = reports.FileLatencyTTFBHGRM
	FileHGRMUncorrected  = reports.FileLatencyUncorrectedHGR
	outputDirPermissions = 0o755
)

// Outputs is a results directory being written: the streamed files (CSV,
// interval log) are open during the run; Finish writes the rest.
type Outputs struct {
	Dir       string
	csvFile   *os.File
	hlogFile  *os.File
	CSV       *CSVSink
	Hlog      *HlogSink
	finalized bool
}

// OpenOutputs creates dir and the streamed files in it.
func OpenOutputs(dir string) (*Outputs, error) {
	if err := os.MkdirAll(dir, outputDirPermissions); err != nil {
		return nil, fmt.Errorf("creating output directory: %w", err)
	}
	o := &Outputs{Dir: dir}
	var err error
	if o.csvFile, err = os.Create(filepath.Join(dir, FileCSV)); err != nil {
		return nil, err
	}
	if o.hlogFile, err = os.Create(filepath.Join(dir, FileHlog)); err != nil {
		o.csvFile.Close()
		return nil, err
	}
	o.CSV, o.Hlog = NewCSVSink(o.csvFile), NewHlogSink(o.hlogFile)
	return o, nil
}

// Sinks returns the streamed sinks.
func (o *Outputs) Sinks() []IntervalSink { return []IntervalSink{o.Hlog, o.CSV} }

// Finish closes the streamed files and writes load.json (with load.md,
// load.html and the plots) and the percentile distributions.
func (o *Outputs) Finish(run *Run, m Meta) (reports.Load, error) {
	var errs []error
	if !o.finalized {
		o.finalized = true
		errs = append(errs, o.csvFile.Close(), o.hlogFile.Close())
	}
	rep := run.Report(m)
	// load.json, load.md, load.html and the SVG plots come from the reports
	// package, which owns the schema and redacts again on the way out.
	errs = append(errs, reports.WriteLoadAll(o.Dir, rep),
		writeFile(filepath.Join(o.Dir, FileHGRM), func(w io.Writer) error { return WriteHGRM(w, run.Total) }),
		writeFile(filepath.Join(o.Dir, FileHGRMTTFB), func(w io.Writer) error { return WriteHGRM(w, run.TTFB) }),
		writeFile(filepath.Join(o.Dir, FileHGRMUncorrected), func(w io.Writer) error { return WriteHGRM(w, run.Uncorrected) }),
	)
	return rep, errors.Join(errs...)
}

// Close closes the streamed files without writing the final ones.
func (o *Outputs) Close() {
	if !o.finalized {
		o.finalized = true
		o.csvFile.Close()
		o.hlogFile.Close()
	}
}

func writeFile(path string, f func(io.Writer) error) error {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(fh)
	if err := f(bw); err != nil {
		fh.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}
