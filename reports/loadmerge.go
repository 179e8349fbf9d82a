package reports

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// ShardInfo is what a shard's own report says about its place in a
// sharded run (partcopy load --shard I/N or --shards N).
type ShardInfo struct {
	// Index is the shard's number, 0..Count-1 (Kubernetes'
	// JOB_COMPLETION_INDEX).
	Index int `json:"index"`
	// Count is the number of shards of the run.
	Count int `json:"count"`
	// StartAt is the common start of the measured window (--start-at);
	// nil when none was given.
	StartAt *time.Time `json:"startAt,omitempty"`
	// ClockOffsetSeconds is StartAt minus this shard's clock when it was
	// launched: how long it had to wait (negative: StartAt had passed).
	ClockOffsetSeconds float64 `json:"clockOffsetSeconds,omitempty"`
	// LateSeconds is how long after StartAt the shard began its window (0
	// when it was on time or there was no StartAt).
	LateSeconds float64 `json:"lateSeconds"`
	// Late is true when LateSeconds > LateShardAfter: the shard started its
	// window on its own, and its figures do not cover the common window.
	Late bool `json:"late"`
	// TotalRate and TotalConcurrency are the run's --rate and
	// --concurrency before they were split over the shards (0 when unused).
	TotalRate        float64 `json:"totalRate"`
	TotalConcurrency int     `json:"totalConcurrency"`
}

// LateShardAfter is how far behind the common start a shard may begin
// before it counts as late.
const LateShardAfter = time.Second

// Shard statuses in a merged report.
const (
	// ShardOK: merged.
	ShardOK = "ok"
	// ShardLate: merged, but the shard began more than LateShardAfter
	// after the common start.
	ShardLate = "late"
	// ShardInterrupted: merged, but the shard was stopped before the end.
	ShardInterrupted = "interrupted"
	// ShardFailed: not merged: its results are absent or unreadable.
	ShardFailed = "failed"
	// ShardMissing: not merged: no results directory of that index.
	ShardMissing = "missing"
)

// ShardResult is one shard's summary in a merged report.
type ShardResult struct {
	Index  int    `json:"index"`
	Status string `json:"status"`
	// Reason says why a shard is late, interrupted, failed or missing.
	Reason string `json:"reason,omitempty"`
	// Dir is the results directory the shard was read from.
	Dir             string     `json:"dir,omitempty"`
	StartedAt       *time.Time `json:"startedAt,omitempty"`
	LateSeconds     float64    `json:"lateSeconds,omitempty"`
	DurationSeconds float64    `json:"durationSeconds,omitempty"`
	// Ops and the figures below are the shard's own; nil/0 when it was not
	// merged.
	Ops            *LoadOps `json:"ops,omitempty"`
	OpsPerSecond   float64  `json:"opsPerSecond,omitempty"`
	BytesPerSecond float64  `json:"bytesPerSecond,omitempty"`
	P50Ms          float64  `json:"p50Ms,omitempty"`
	P99Ms          float64  `json:"p99Ms,omitempty"`
	MaxMs          float64  `json:"maxMs,omitempty"`
}

// Merged reports add these files to WriteLoadAll's: the merged interval
// log and the percentile distributions (the load module writes the same
// names for one run).
const (
	FileLatencyHlog           = "latency.hlog"
	FileLatencyHGRM           = "latency.hgrm"
	FileLatencyTTFBHGRM       = "latency-ttfb.hgrm"
	FileLatencyUncorrectedHGR = "latency-uncorrected.hgrm"
)

// Interval-log tags the load module writes and the merge maps onto
// LatencySet; other tags are merged and written back, but not summarized.
const (
	TagTotal       = "total"
	TagTTFB        = "ttfb"
	TagUncorrected = "uncorrected"
	TagFailed      = "failed"
	TagLag         = "lag"
)

// hlogUnitMs converts the interval log's values (nanoseconds) to ms.
const hlogUnitMs = 1e-6

// ShardDirName is the directory a shard writes its results into, under
// the --out of the run.
func ShardDirName(index int) string { return "shard-" + strconv.Itoa(index) }

var shardDirRe = regexp.MustCompile(`^shard-(\d+)$`)

// LoadShard is one shard's results directory as read by ReadLoadShards.
type LoadShard struct {
	Dir string
	// Index is the shard's index: from its report, or from the directory's
	// name (shard-I) when there is no report; -1 when unknown.
	Index int
	// Report is the shard's load.json; nil when absent or unreadable.
	Report *Load
	// Hists are the interval histograms of its latency.hlog, in order.
	Hists []*hdrhistogram.Histogram
	// Err says why the shard cannot be merged; nil when it can.
	Err error
}

// ReadLoadShards reads the shards' results. Each path is a shard's results
// directory (or its load.json), or a run's --out directory holding shard-I
// directories. A shard whose files are missing or broken is returned with
// Err set (it is reported as failed, not refused); a path that is neither
// is an error.
func ReadLoadShards(paths ...string) ([]LoadShard, error) {
	var dirs []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			dirs = append(dirs, filepath.Dir(p))
			continue
		}
		if isResultsDir(p) {
			dirs = append(dirs, p)
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		var sub []string
		for _, e := range ents {
			if e.IsDir() && shardDirRe.MatchString(e.Name()) {
				sub = append(sub, filepath.Join(p, e.Name()))
			}
		}
		if len(sub) == 0 {
			return nil, fmt.Errorf("%s holds no %s, %s or %s directories: not load results", p, FileLoadJSON, FileLatencyHlog, ShardDirName(0))
		}
		dirs = append(dirs, sub...)
	}
	out := make([]LoadShard, 0, len(dirs))
	for _, d := range dirs {
		out = append(out, readLoadShard(d))
	}
	return out, nil
}

func isResultsDir(dir string) bool {
	for _, f := range []string{FileLoadJSON, FileLatencyHlog} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return true
		}
	}
	return false
}

func readLoadShard(dir string) LoadShard {
	s := LoadShard{Dir: dir, Index: -1}
	if m := shardDirRe.FindStringSubmatch(filepath.Base(dir)); m != nil {
		s.Index, _ = strconv.Atoi(m[1])
	}
	l, err := ReadLoad(filepath.Join(dir, FileLoadJSON))
	switch {
	case errors.Is(err, os.ErrNotExist):
		s.Err = fmt.Errorf("no %s: the shard was stopped or failed before it wrote its results", FileLoadJSON)
		return s
	case err != nil:
		s.Err = err
		return s
	}
	s.Report = &l
	if l.Shard != nil {
		s.Index = l.Shard.Index
	}
	f, err := os.Open(filepath.Join(dir, FileLatencyHlog))
	if err != nil {
		s.Err = fmt.Errorf("%s: %w", FileLatencyHlog, err)
		return s
	}
	defer f.Close()
	s.Hists, err = ReadHlog(io.LimitReader(f, MaxInputSize))
	if err != nil {
		s.Err = fmt.Errorf("%s: %w", FileLatencyHlog, err)
	}
	return s
}

// ReadHlog reads every interval histogram of an HdrHistogram interval log,
// with its tag and absolute start and end times (hdrhistogram-go's
// reader).
func ReadHlog(r io.Reader) ([]*hdrhistogram.Histogram, error) {
	lr := hdrhistogram.NewHistogramLogReader(r)
	var out []*hdrhistogram.Histogram
	for {
		h, err := lr.NextIntervalHistogram()
		if err != nil {
			return out, err
		}
		if h == nil {
			return out, nil
		}
		out = append(out, h)
	}
}

// LoadMerge is the result of MergeLoad.
type LoadMerge struct {
	// Load is the merged report.
	Load Load
	// Hist holds the merged cumulative histogram of each interval-log tag.
	Hist map[string]*hdrhistogram.Histogram
	// Intervals are the merged interval histograms, one per tag per
	// wall-clock interval, in time order (for the merged interval log).
	Intervals []*hdrhistogram.Histogram
}

// MergeLoad merges the shards of one sharded run losslessly: the
// interval histograms of every shard's latency.hlog are added bucket by
// bucket (percentiles of the merge are exact at HdrHistogram precision,
// never an average of percentiles); counts, bytes, failures per kind and
// late starts are summed; the per-second series is aligned by wall-clock
// time. expected is the number of shards the run has; 0 takes it from the
// shards' reports. Shards that are missing or failed are listed, not
// merged, and make the result Incomplete.
//
// Shards of different runs, or with different settings, are refused with
// an error of one line.
func MergeLoad(shards []LoadShard, expected int) (LoadMerge, error) {
	var ref *LoadShard
	for i := range shards {
		if shards[i].Report != nil {
			ref = &shards[i]
			break
		}
	}
	if ref == nil {
		if len(shards) == 0 {
			return LoadMerge{}, errors.New("merge: no shards given")
		}
		return LoadMerge{}, fmt.Errorf("merge: no shard has a %s (%s: %w)", FileLoadJSON, shards[0].Dir, shards[0].Err)
	}
	for i := range shards {
		if err := sameRun(ref, &shards[i]); err != nil {
			return LoadMerge{}, err
		}
	}
	r := ref.Report
	n := r.Shard.Count
	if expected > 0 && expected != n {
		return LoadMerge{}, fmt.Errorf("merge: --shards %d, but %s is a shard of %d", expected, ref.Dir, n)
	}
	byIndex := map[int]*LoadShard{}
	for i := range shards {
		s := &shards[i]
		if s.Index < 0 || s.Index >= n {
			return LoadMerge{}, fmt.Errorf("merge: %s is not one of shards 0..%d of run %s (no shard-I name and no report)", s.Dir, n-1, r.RunID)
		}
		if o := byIndex[s.Index]; o != nil {
			return LoadMerge{}, fmt.Errorf("merge: shard %d given twice (%s and %s)", s.Index, o.Dir, s.Dir)
		}
		byIndex[s.Index] = s
	}

	out := Load{
		Schema: LoadSchema, GeneratedAt: time.Now().UTC(), Endpoint: r.Endpoint, Implementation: r.Implementation,
		RunID: r.RunID, Mode: r.Mode, SourceSize: r.SourceSize, PartSize: r.PartSize, SSEC: r.SSEC, SSECMode: r.SSECMode,
		RequestedDurationSeconds: r.RequestedDurationSeconds, LatencyOf: r.LatencyOf,
		Failures: map[string]int64{}, Shards: n,
	}
	var versions []string
	var merged []*LoadShard
	for i := 0; i < n; i++ {
		s := byIndex[i]
		res := ShardResult{Index: i}
		switch {
		case s == nil:
			res.Status, res.Reason = ShardMissing, "no results directory "+ShardDirName(i)
		case s.Err != nil:
			res.Status, res.Reason, res.Dir = ShardFailed, oneLineErr(s.Err), s.Dir
		default:
			res = shardSummary(s)
			if err := checkHlogCounts(s); err != nil {
				res.Status, res.Reason = ShardFailed, err.Error()
			}
		}
		if res.Status == ShardFailed || res.Status == ShardMissing || res.Status == ShardInterrupted {
			out.Incomplete = true
		}
		out.ShardResults = append(out.ShardResults, res)
		if res.Status == ShardFailed || res.Status == ShardMissing {
			continue
		}
		merged = append(merged, s)
		if !slices.Contains(versions, s.Report.PartcopyVersion) {
			versions = append(versions, s.Report.PartcopyVersion)
		}
	}
	out.PartcopyVersion = strings.Join(versions, ", ")
	if len(merged) == 0 {
		return LoadMerge{Load: out, Hist: map[string]*hdrhistogram.Histogram{}}, nil
	}

	var start, end time.Time
	var bytes float64
	for _, s := range merged {
		l := s.Report
		out.TargetRate += l.TargetRate
		out.Concurrency += l.Concurrency
		out.MaxInFlight += l.MaxInFlight
		out.Interrupted = out.Interrupted || l.Interrupted
		out.Ops.Total += l.Ops.Total
		out.Ops.Succeeded += l.Ops.Succeeded
		out.Ops.Failed += l.Ops.Failed
		out.Ops.LateStarts += l.Ops.LateStarts
		for k, v := range l.Failures {
			out.Failures[k] += v
		}
		// The schema keeps bytes as a rate: every successful copy moved a
		// whole number of bytes, so rate x duration rounds back exactly.
		bytes += math.Round(l.Throughput.BytesPerSecond * l.DurationSeconds)
		st := *l.StartedAt
		e := st.Add(secondsDuration(l.DurationSeconds))
		if start.IsZero() || st.Before(start) {
			start = st
		}
		if e.After(end) {
			end = e
		}
	}
	startUTC := start.UTC()
	out.StartedAt = &startUTC
	out.DurationSeconds = end.Sub(start).Seconds()
	if out.DurationSeconds > 0 {
		out.Throughput = Throughput{
			OpsPerSecond:   float64(out.Ops.Succeeded) / out.DurationSeconds,
			BytesPerSecond: bytes / out.DurationSeconds,
		}
	}

	hist, bins, err := mergeHists(merged, start)
	if err != nil {
		return LoadMerge{}, err
	}
	out.LatencyMs = LatencySet{
		Total:       latencyOf(hist[TagTotal]),
		TTFB:        latencyOf(hist[TagTTFB]),
		Uncorrected: latencyOf(hist[TagUncorrected]),
	}
	if h := hist[TagFailed]; h != nil && h.TotalCount() > 0 {
		f := latencyOf(h)
		out.LatencyMs.Failed = &f
	}
	out.Generator = mergeGenerators(merged, hist[TagLag])
	out.Intervals = mergeSeries(merged, start, bins)
	m := LoadMerge{Load: out, Hist: hist}
	for _, b := range bins {
		m.Intervals = append(m.Intervals, b.ordered()...)
	}
	return m, nil
}

// mergeGenerators sums the shards' generator figures (workers, waits,
// copies not sent), keeps the worst scheduling figures, and takes the lag
// distribution from the merged lag histogram. The run was limited when any
// shard was; the warning names the shards.
func mergeGenerators(shards []*LoadShard, lag *hdrhistogram.Histogram) *Generator {
	var g Generator
	have := false
	var warnings []string
	for _, s := range shards {
		sg := s.Report.Generator
		if sg == nil {
			continue
		}
		have = true
		g.WorkersUsed += sg.WorkersUsed
		g.MaxInFlight += sg.MaxInFlight
		g.MaxInFlightReached = g.MaxInFlightReached || sg.MaxInFlightReached
		g.CapWaits += sg.CapWaits
		g.NotSent += sg.NotSent
		g.SchedLatencyP99Ms = max(g.SchedLatencyP99Ms, sg.SchedLatencyP99Ms)
		g.RunQueueWaitMsPerSecond = max(g.RunQueueWaitMsPerSecond, sg.RunQueueWaitMsPerSecond)
		g.GOMAXPROCS += sg.GOMAXPROCS
		if sg.Limited {
			g.Limited = true
			for _, c := range sg.Causes {
				if !slices.Contains(g.Causes, c) {
					g.Causes = append(g.Causes, c)
				}
			}
			warnings = append(warnings, fmt.Sprintf("shard %d: %s", s.Index, sg.Warning))
		}
	}
	if !have {
		return nil
	}
	g.Warning = strings.Join(warnings, "; ")
	if lag != nil {
		g.LagMs = latencyOf(lag)
	}
	return &g
}

// Quantiler gives the merged histograms' percentiles (p -1: the mean), for
// thresholds on percentiles the summary does not hold.
func (m LoadMerge) Quantiler() Quantiler {
	return func(series string, p float64) (float64, bool) {
		h := m.Hist[series]
		if h == nil || h.TotalCount() == 0 {
			return 0, false
		}
		if p < 0 {
			return h.Mean() * hlogUnitMs, true
		}
		return float64(h.ValueAtQuantile(p)) * hlogUnitMs, true
	}
}

func latencyOf(h *hdrhistogram.Histogram) Latency {
	if h == nil {
		return Latency{}
	}
	return LatencyFromHistogram(h, hlogUnitMs)
}

func secondsDuration(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }

func oneLineErr(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

// sameRun refuses a shard of another run, or one with other settings.
func sameRun(ref, s *LoadShard) error {
	if s.Report == nil {
		return nil
	}
	a, b := ref.Report, s.Report
	if b.Shard == nil {
		return fmt.Errorf("merge: %s is not a shard (no \"shard\" in its %s): run it with --shard or --shards", s.Dir, FileLoadJSON)
	}
	if a.Shard == nil {
		return fmt.Errorf("merge: %s is not a shard (no \"shard\" in its %s): run it with --shard or --shards", ref.Dir, FileLoadJSON)
	}
	if b.RunID != a.RunID {
		return fmt.Errorf("merge: %s is of run %q, %s of run %q: refusing to merge different runs", s.Dir, b.RunID, ref.Dir, a.RunID)
	}
	if b.StartedAt == nil {
		return fmt.Errorf("merge: %s has no startedAt: written by a partcopy that cannot be merged", s.Dir)
	}
	for _, f := range []struct {
		what string
		x, y any
	}{
		{"shard count", a.Shard.Count, b.Shard.Count},
		{"endpoint", a.Endpoint, b.Endpoint},
		{"mode", a.Mode, b.Mode},
		{"total rate", a.Shard.TotalRate, b.Shard.TotalRate},
		{"total concurrency", a.Shard.TotalConcurrency, b.Shard.TotalConcurrency},
		{"source size", a.SourceSize, b.SourceSize},
		{"part size", a.PartSize, b.PartSize},
		{"SSE-C", a.SSEC, b.SSEC},
		{"SSE-C mode", a.SSECMode, b.SSECMode},
		{"duration", a.RequestedDurationSeconds, b.RequestedDurationSeconds},
		{"max in flight", a.MaxInFlight, b.MaxInFlight},
		{"latency of", a.LatencyOf, b.LatencyOf},
		{"start-at", fmtTime(a.Shard.StartAt), fmtTime(b.Shard.StartAt)},
	} {
		if f.x != f.y {
			return fmt.Errorf("merge: %s has %s %v, %s has %v: refusing to merge shards with different settings", s.Dir, f.what, f.y, ref.Dir, f.x)
		}
	}
	return nil
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "(none)"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// shardSummary is a merged shard's line of the report.
func shardSummary(s *LoadShard) ShardResult {
	l := s.Report
	ops := l.Ops
	res := ShardResult{
		Index: s.Index, Status: ShardOK, Dir: s.Dir, StartedAt: l.StartedAt, DurationSeconds: l.DurationSeconds,
		Ops: &ops, OpsPerSecond: l.Throughput.OpsPerSecond, BytesPerSecond: l.Throughput.BytesPerSecond,
		P50Ms: l.LatencyMs.Total.P50, P99Ms: l.LatencyMs.Total.P99, MaxMs: l.LatencyMs.Total.Max,
	}
	if l.Shard.Late {
		res.Status, res.LateSeconds = ShardLate, l.Shard.LateSeconds
		res.Reason = fmt.Sprintf("began its window %.1f s after the common start", l.Shard.LateSeconds)
	}
	switch {
	case l.Aborted != "":
		res.Status, res.Reason = ShardInterrupted, "stopped early: "+l.Aborted+" could no longer be met"
	case l.Interrupted:
		res.Status, res.Reason = ShardInterrupted, "interrupted before the end of its window"
	}
	return res
}

// checkHlogCounts proves the interval log is the whole of the shard's
// latency: its copies per tag must be the counts of its load.json (a log
// cut short, or of another run, would otherwise merge silently).
func checkHlogCounts(s *LoadShard) error {
	counts := map[string]int64{}
	for _, h := range s.Hists {
		counts[h.Tag()] += h.TotalCount()
	}
	want := map[string]int64{TagTotal: s.Report.LatencyMs.Total.Count, TagTTFB: s.Report.LatencyMs.TTFB.Count}
	if _, ok := counts[TagUncorrected]; ok {
		want[TagUncorrected] = s.Report.LatencyMs.Uncorrected.Count
	}
	if _, ok := counts[TagFailed]; ok {
		want[TagFailed] = 0
		if f := s.Report.LatencyMs.Failed; f != nil {
			want[TagFailed] = f.Count
		}
	}
	if _, ok := counts[TagLag]; ok && s.Report.Generator != nil {
		want[TagLag] = s.Report.Generator.LagMs.Count
	}
	for _, tag := range []string{TagTotal, TagTTFB, TagUncorrected, TagFailed, TagLag} {
		w, ok := want[tag]
		if ok && counts[tag] != w {
			return fmt.Errorf("%s holds %d %s latencies, %s %d: the log is incomplete or of another run", FileLatencyHlog, counts[tag], tag, FileLoadJSON, w)
		}
	}
	return nil
}

// bin is one wall-clock interval of the merged series: a histogram per tag.
type bin struct {
	start time.Time
	hists map[string]*hdrhistogram.Histogram
}

func (b *bin) ordered() []*hdrhistogram.Histogram {
	tags := make([]string, 0, len(b.hists))
	for t := range b.hists {
		tags = append(tags, t)
	}
	sort.Slice(tags, func(i, j int) bool { return tagOrder(tags[i]) < tagOrder(tags[j]) })
	out := make([]*hdrhistogram.Histogram, 0, len(tags))
	for _, t := range tags {
		out = append(out, b.hists[t])
	}
	return out
}

func tagOrder(t string) string {
	switch t {
	case TagTotal:
		return "0"
	case TagTTFB:
		return "1"
	case TagUncorrected:
		return "2"
	case TagFailed:
		return "3"
	case TagLag:
		return "4"
	}
	return "5" + t
}

// binOf is the index of the one-second wall-clock interval (from start) a
// shard's interval [s, e) belongs to: the one holding its middle. Shards
// flush at the same instants when they share a start, so every shard's
// k-th second lands in bin k.
func binOf(start, s, e time.Time) int {
	mid := s.Add(e.Sub(s) / 2)
	return int(math.Floor(mid.Sub(start).Seconds()))
}

// mergeHists adds every interval histogram of every shard into one
// cumulative histogram per tag, and into one per tag per second.
func mergeHists(shards []*LoadShard, start time.Time) (map[string]*hdrhistogram.Histogram, []*bin, error) {
	hist := map[string]*hdrhistogram.Histogram{}
	bins := map[int]*bin{}
	var geo *hdrhistogram.Histogram
	for _, s := range shards {
		for _, h := range s.Hists {
			if geo == nil {
				geo = h
			}
			if h.LowestTrackableValue() != geo.LowestTrackableValue() || h.HighestTrackableValue() != geo.HighestTrackableValue() ||
				h.SignificantFigures() != geo.SignificantFigures() {
				return nil, nil, fmt.Errorf("merge: %s's histograms track %d..%d at %d digits, %s's %d..%d at %d: refusing to merge shards with different settings",
					s.Dir, h.LowestTrackableValue(), h.HighestTrackableValue(), h.SignificantFigures(),
					shards[0].Dir, geo.LowestTrackableValue(), geo.HighestTrackableValue(), geo.SignificantFigures())
			}
			tag := h.Tag()
			if hist[tag] == nil {
				hist[tag] = emptyLike(geo, tag)
			}
			hist[tag].Merge(h)
			k := max(0, binOf(start, time.UnixMilli(h.StartTimeMs()), time.UnixMilli(h.EndTimeMs())))
			b := bins[k]
			if b == nil {
				b = &bin{start: start.Add(time.Duration(k) * time.Second), hists: map[string]*hdrhistogram.Histogram{}}
				bins[k] = b
			}
			bh := b.hists[tag]
			if bh == nil {
				bh = emptyLike(geo, tag)
				bh.SetStartTimeMs(b.start.UnixMilli())
				bh.SetEndTimeMs(b.start.Add(time.Second).UnixMilli())
				b.hists[tag] = bh
			}
			bh.Merge(h)
		}
	}
	keys := make([]int, 0, len(bins))
	for k := range bins {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	out := make([]*bin, 0, len(keys))
	for _, k := range keys {
		out = append(out, bins[k])
	}
	return hist, out, nil
}

func emptyLike(geo *hdrhistogram.Histogram, tag string) *hdrhistogram.Histogram {
	h := hdrhistogram.New(geo.LowestTrackableValue(), geo.HighestTrackableValue(), int(geo.SignificantFigures()))
	h.SetTag(tag)
	return h
}

// mergeSeries aligns the shards' series by wall-clock second: counts add
// up; each shard's rate is its successes over its own interval's length,
// and the rates of the shards running side by side add up. Percentiles come
// from the merged interval histograms.
func mergeSeries(shards []*LoadShard, start time.Time, bins []*bin) []Interval {
	type acc struct {
		ops, failed int64
		rate, bps   float64
		dur         float64
		partial     bool
	}
	per := map[int]*acc{}
	for _, s := range shards {
		// Per shard and bin: successes, bytes and the time they cover.
		type part struct{ succ, bytes, dur float64 }
		mine := map[int]*part{}
		for _, iv := range s.Report.Intervals {
			st := s.Report.StartedAt.Add(secondsDuration(iv.StartSeconds))
			e := st.Add(secondsDuration(iv.DurationSeconds))
			k := max(0, binOf(start, st, e))
			a := per[k]
			if a == nil {
				a = &acc{}
				per[k] = a
			}
			a.ops += iv.Ops
			a.failed += iv.Failed
			a.partial = a.partial || iv.Partial
			p := mine[k]
			if p == nil {
				p = &part{}
				mine[k] = p
			}
			p.succ += iv.OpsPerSecond * iv.DurationSeconds
			p.bytes += iv.BytesPerSecond * iv.DurationSeconds
			p.dur += iv.DurationSeconds
		}
		for k, p := range mine {
			if p.dur > 0 {
				per[k].rate += p.succ / p.dur
				per[k].bps += p.bytes / p.dur
				per[k].dur = max(per[k].dur, p.dur)
			}
		}
	}
	byStart := map[int]*bin{}
	for _, b := range bins {
		byStart[int(math.Round(b.start.Sub(start).Seconds()))] = b
	}
	keys := make([]int, 0, len(per))
	for k := range per {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	out := make([]Interval, 0, len(keys))
	for _, k := range keys {
		a := per[k]
		iv := Interval{StartSeconds: float64(k), DurationSeconds: a.dur, Ops: a.ops, Failed: a.failed,
			OpsPerSecond: a.rate, BytesPerSecond: a.bps, Partial: a.partial}
		if b := byStart[k]; b != nil {
			if h := b.hists[TagTotal]; h != nil && h.TotalCount() > 0 {
				iv.P50Ms = float64(h.ValueAtQuantile(50)) * hlogUnitMs
				iv.P90Ms = float64(h.ValueAtQuantile(90)) * hlogUnitMs
				iv.P99Ms = float64(h.ValueAtQuantile(99)) * hlogUnitMs
			}
			if h := b.hists[TagLag]; h != nil && h.TotalCount() > 0 {
				iv.LagP99Ms = float64(h.ValueAtQuantile(99)) * hlogUnitMs
			}
		}
		out = append(out, iv)
	}
	return out
}

// WriteLoadMerge writes a merged run into dir: WriteLoadAll's files, the
// merged interval log (one line per tag per wall-clock second) and the
// percentile distributions of the merged histograms.
func WriteLoadMerge(dir string, m LoadMerge) error {
	if err := WriteLoadAll(dir, m.Load); err != nil {
		return err
	}
	files := []fileWriter{{FileLatencyHlog, func(w io.Writer) error { return writeHlog(w, m) }}}
	for tag, name := range map[string]string{TagTotal: FileLatencyHGRM, TagTTFB: FileLatencyTTFBHGRM, TagUncorrected: FileLatencyUncorrectedHGR} {
		if h := m.Hist[tag]; h != nil {
			files = append(files, fileWriter{name, func(w io.Writer) error {
				return WriteHGRM(w, h) // as the load module writes them
			}})
		}
	}
	return writeFiles(dir, files)
}

func writeHlog(w io.Writer, m LoadMerge) error {
	bw := bufio.NewWriter(w)
	lw := hdrhistogram.NewHistogramLogWriter(bw)
	var startMs int64
	if m.Load.StartedAt != nil {
		startMs = m.Load.StartedAt.UnixMilli()
	}
	lw.SetBaseTime(startMs)
	for _, f := range []func() error{
		lw.OutputLogFormatVersion,
		func() error {
			return lw.OutputComment(fmt.Sprintf("[partcopy report merge: run %s, %d shards, UploadPartCopy latency in nanoseconds]", m.Load.RunID, m.Load.Shards))
		},
		func() error { return lw.OutputStartTime(startMs) },
		func() error { return lw.OutputBaseTime(startMs) },
		lw.OutputLegend,
	} {
		if err := f(); err != nil {
			return err
		}
	}
	for _, h := range m.Intervals {
		if err := lw.OutputIntervalHistogram(h); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// shardRows are the summary rows about shards (a shard's report, or a
// merged one) for the Markdown and HTML renderings.
func shardRows(l Load) []loadRow {
	var rows []loadRow
	if l.RunID != "" {
		rows = append(rows, loadRow{"Run", l.RunID})
	}
	if s := l.Shard; s != nil {
		v := fmt.Sprintf("%d of %d (0-based)", s.Index, s.Count)
		if s.StartAt != nil {
			v += ", common start " + s.StartAt.UTC().Format(time.RFC3339)
		}
		if s.Late {
			v += fmt.Sprintf(", LATE by %.1f s", s.LateSeconds)
		}
		rows = append(rows, loadRow{"Shard", v})
	}
	if l.Shards > 0 {
		ok := 0
		for _, r := range l.ShardResults {
			if r.Status != ShardFailed && r.Status != ShardMissing {
				ok++
			}
		}
		v := fmt.Sprintf("%d of %d merged", ok, l.Shards)
		if l.Incomplete {
			v = "INCOMPLETE: " + v
		}
		rows = append(rows, loadRow{"Shards", v})
		for _, r := range l.ShardResults {
			v := r.Status
			if r.Ops != nil {
				v += fmt.Sprintf(": %d copies (%d failed), %.2f copies/s, p50 %s ms, p99 %s ms, max %s ms",
					r.Ops.Total, r.Ops.Failed, r.OpsPerSecond, fmtMs(r.P50Ms), fmtMs(r.P99Ms), fmtMs(r.MaxMs))
			}
			if r.Reason != "" {
				v += " (" + r.Reason + ")"
			}
			rows = append(rows, loadRow{fmt.Sprintf("Shard %d", r.Index), v})
		}
	}
	return rows
}

// redactShardResults redacts the free text of shard results.
func redactShardResults(r *Redactor, in []ShardResult) []ShardResult {
	if in == nil {
		return nil
	}
	out := make([]ShardResult, len(in))
	for i, s := range in {
		s.Reason, s.Dir = r.String(s.Reason), r.String(s.Dir)
		out[i] = s
	}
	return out
}
