package load

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	return reports.Load{
		RunID: m.RunID, StartedAt: &started, Shard: m.Shard,
		Schema:          reports.LoadSchema,
		GeneratedAt:     time.Now().UTC(),
		PartcopyVersion: m.Version,
		Endpoint:        m.Endpoint,
		Implementation:  m.Implementation,
		Provenance:      m.Provenance,
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
		},
		Intervals: r.Series,
	}
}

// WriteHGRM writes h's percentile distribution in HdrHistogram's text
// format (as wrk2 and outputPercentileDistribution print it: 5 ticks per
// half distance, values in milliseconds), readable by HdrHistogram's plotter.
func WriteHGRM(w io.Writer, h *hdrhistogram.Histogram) error {
	_, err := h.PercentilesPrint(w, 5, 1e6)
	return err
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
	fmt.Fprintf(w, "  %s\n", model)
	fmt.Fprintf(w, "  part %s from %d source(s) of %s, SSE-C %s, uploads rotated every %d copies\n",
		FormatSize(wl.PartSize), wl.Sources, FormatSize(wl.SourceSize), wl.SSEC, wl.CompleteEvery)
	if r.Interrupted {
		fmt.Fprintln(w, "  INTERRUPTED: figures cover the part of the run that completed")
	}
	fmt.Fprintf(w, "  Latency         %10s %10s %10s %10s\n", "p50", "p99", "p99.9", "max")
	row := func(name string, h *hdrhistogram.Histogram) {
		if h.TotalCount() == 0 {
			fmt.Fprintf(w, "    %-13s %10s\n", name, "-")
			return
		}
		fmt.Fprintf(w, "    %-13s %10s %10s %10s %10s\n", name,
			fmtMs(nsToMs(h.ValueAtQuantile(50))), fmtMs(nsToMs(h.ValueAtQuantile(99))),
			fmtMs(nsToMs(h.ValueAtQuantile(99.9))), fmtMs(nsToMs(h.Max())))
	}
	row("total", r.Total)
	row("ttfb", r.TTFB)
	row("uncorrected", r.Uncorrected)
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
	fmt.Fprintf(w, "Copies/sec: %10.2f\n", float64(r.Counts.Succeeded)/secs)
	fmt.Fprintf(w, "Copied/sec: %10s\n", FormatSize(int64(float64(r.Counts.Bytes)/secs)))
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
