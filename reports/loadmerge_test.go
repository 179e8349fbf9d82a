package reports

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// fakeShard is a shard's results written the way partcopy load writes them:
// per-second interval histograms (ns) in latency.hlog and a load.json whose
// figures come from the same values.
type fakeShard struct {
	index, count int
	runID        string
	startAt      time.Time
	late         time.Duration // StartedAt - startAt
	seconds      int
	perSecond    int // copies per second
	failEvery    int // every n-th copy fails (0: none)
	partSize     int64
	totalRate    float64 // the run's --rate; 0: perSecond x count
	limited      bool    // the shard's generator was limited
	interrupted  bool    // the shard was stopped (SIGTERM) before the end
	seed         uint64
	// total is the shard's cumulative "total" histogram (for the test's own
	// independent merge).
	total *hdrhistogram.Histogram
}

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(1000, 3_600_000_000_000, 3) }

func (f *fakeShard) write(t *testing.T, dir string) string {
	t.Helper()
	d := filepath.Join(dir, ShardDirName(f.index))
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(f.seed, 7))
	started := f.startAt.Add(f.late)
	var hlog bytes.Buffer
	lw := hdrhistogram.NewHistogramLogWriter(&hlog)
	lw.SetBaseTime(started.UnixMilli())
	_ = lw.OutputLogFormatVersion()
	_ = lw.OutputStartTime(started.UnixMilli())
	_ = lw.OutputBaseTime(started.UnixMilli())
	_ = lw.OutputLegend()
	f.total = newHist()
	ttfb, failedH, lag := newHist(), newHist(), newHist()
	var ops, failed int64
	var intervals []Interval
	for s := 0; s < f.seconds; s++ {
		it, ib, ifl, il := newHist(), newHist(), newHist(), newHist()
		it.SetTag(TagTotal)
		ib.SetTag(TagTTFB)
		ifl.SetTag(TagFailed)
		il.SetTag(TagLag)
		var ivOps, ivFailed int64
		for i := 0; i < f.perSecond; i++ {
			// A long tail: most copies 1-5 ms, some up to 2 s.
			v := int64(1e6 + rng.Float64()*4e6)
			if rng.IntN(100) == 0 {
				v = int64(rng.Float64() * 2e9)
			}
			ivOps++
			_ = il.RecordValue(v/100 + 1000)
			// As the load module records them: successes in total and
			// ttfb, failures in failed, every copy's lag in lag.
			if f.failEvery > 0 && (ops+ivOps)%int64(f.failEvery) == 0 {
				ivFailed++
				_ = ifl.RecordValue(v)
				continue
			}
			_ = it.RecordValue(v)
			_ = ib.RecordValue(v / 3)
		}
		st := started.Add(time.Duration(s) * time.Second)
		for _, h := range []*hdrhistogram.Histogram{it, ib, ifl, il} {
			h.SetStartTimeMs(st.UnixMilli())
			h.SetEndTimeMs(st.Add(time.Second).UnixMilli())
			if err := lw.OutputIntervalHistogram(h); err != nil {
				t.Fatal(err)
			}
		}
		f.total.Merge(it)
		ttfb.Merge(ib)
		failedH.Merge(ifl)
		lag.Merge(il)
		ops += ivOps
		failed += ivFailed
		succ := float64(ivOps - ivFailed)
		intervals = append(intervals, Interval{StartSeconds: float64(s), DurationSeconds: 1, Ops: ivOps, Failed: ivFailed,
			OpsPerSecond: succ, BytesPerSecond: succ * float64(f.partSize)})
	}
	if err := os.WriteFile(filepath.Join(d, FileLatencyHlog), hlog.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	dur := float64(f.seconds)
	sa := f.startAt.UTC()
	st := started.UTC()
	lateS := f.late.Seconds()
	total := f.totalRate
	if total == 0 {
		total = float64(f.perSecond * f.count)
	}
	l := Load{
		Schema: LoadSchema, GeneratedAt: started.Add(time.Duration(f.seconds) * time.Second), PartcopyVersion: "test",
		Endpoint: "http://127.0.0.1:9000", RunID: f.runID, StartedAt: &st,
		Shard: &ShardInfo{Index: f.index, Count: f.count, StartAt: &sa, LateSeconds: lateS, Late: f.late > LateShardAfter,
			TotalRate: total},
		Mode: ModeOpen, TargetRate: float64(f.perSecond), Concurrency: 1000, DurationSeconds: dur,
		SourceSize: f.partSize, PartSize: f.partSize,
		Ops:        LoadOps{Total: ops, Succeeded: ops - failed, Failed: failed, LateStarts: int64(f.index)},
		Failures:   map[string]int64{},
		Throughput: Throughput{OpsPerSecond: float64(ops-failed) / dur, BytesPerSecond: float64(ops-failed) * float64(f.partSize) / dur},
		LatencyMs:  LatencySet{Total: LatencyFromHistogram(f.total, 1e-6), TTFB: LatencyFromHistogram(ttfb, 1e-6)},
		Intervals:  intervals, LatencyOf: LatencyOfSucceeded, RequestedDurationSeconds: dur,
		Generator: &Generator{LagMs: LatencyFromHistogram(lag, 1e-6), WorkersUsed: 10, GOMAXPROCS: 2},
	}
	l.Interrupted = f.interrupted
	if failedH.TotalCount() > 0 {
		fl := LatencyFromHistogram(failedH, 1e-6)
		l.LatencyMs.Failed = &fl
	}
	if f.limited {
		l.Generator.Limited, l.Generator.Causes, l.Generator.Warning = true, []string{GenCPUStarved}, "generator limited: lag"
	}
	if failed > 0 {
		l.Failures["no-etag-200"] = failed
	}
	if err := WriteLoadAll(d, l); err != nil {
		t.Fatal(err)
	}
	return d
}

func threeShards(t *testing.T) (string, []*fakeShard) {
	dir := t.TempDir()
	start := time.Date(2026, 12, 4, 19, 0, 0, 0, time.UTC)
	var shards []*fakeShard
	for i := 0; i < 3; i++ {
		f := &fakeShard{index: i, count: 3, runID: "r1", startAt: start, seconds: 5, perSecond: 100 + 10*i,
			failEvery: 7 * (i + 1), partSize: 1 << 20, totalRate: 330, seed: uint64(i + 1), limited: i == 2}
		f.write(t, dir)
		shards = append(shards, f)
	}
	return dir, shards
}

func mustMerge(t *testing.T, expected int, paths ...string) LoadMerge {
	t.Helper()
	in, err := ReadLoadShards(paths...)
	if err != nil {
		t.Fatal(err)
	}
	m, err := MergeLoad(in, expected)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMergeLoadLossless: the merged counts are the sums of the shards'
// and the merged percentiles are those of one histogram holding every
// shard's values (merged independently here, with hdrhistogram-go), not
// averages of the shards' percentiles.
func TestMergeLoadLossless(t *testing.T) {
	dir, shards := threeShards(t)
	m := mustMerge(t, 0, dir)
	l := m.Load
	if l.Shards != 3 || l.Incomplete || len(l.ShardResults) != 3 {
		t.Fatalf("shards %d incomplete %v results %+v", l.Shards, l.Incomplete, l.ShardResults)
	}
	all := newHist()
	var ops, failed, late int64
	for _, f := range shards {
		all.Merge(f.total)
		late += int64(f.index)
	}
	for _, r := range l.ShardResults {
		failed += r.Ops.Failed
		ops += r.Ops.Total
	}
	if l.Ops.Total != ops || l.Ops.Failed != failed || l.Ops.LateStarts != late || l.Failures["no-etag-200"] != failed {
		t.Errorf("ops %+v failures %v; want total %d failed %d late %d", l.Ops, l.Failures, ops, failed, late)
	}
	for p, got := range map[float64]float64{50: l.LatencyMs.Total.P50, 90: l.LatencyMs.Total.P90, 99: l.LatencyMs.Total.P99, 99.9: l.LatencyMs.Total.P999} {
		if want := float64(all.ValueAtQuantile(p)) * 1e-6; got != want {
			t.Errorf("p%g = %v, want %v", p, got, want)
		}
	}
	if want := float64(all.Max()) * 1e-6; l.LatencyMs.Total.Max != want {
		t.Errorf("max %v, want %v", l.LatencyMs.Total.Max, want)
	}
	if l.LatencyMs.Total.Count != ops-failed || l.LatencyMs.Failed == nil || l.LatencyMs.Failed.Count != failed {
		t.Errorf("latency count %d, failed %+v; want %d successes and %d failures", l.LatencyMs.Total.Count, l.LatencyMs.Failed, ops-failed, failed)
	}
	g := l.Generator
	if g == nil || g.LagMs.Count != ops || g.WorkersUsed != 30 || g.GOMAXPROCS != 6 || !g.Limited || !strings.Contains(g.Warning, "shard 2") {
		t.Errorf("generator %+v: want the lag of all %d copies, 30 workers, limited by shard 2", g, ops)
	}
	// Percentiles the summary does not hold come from the merged histogram.
	if v, ok := m.Quantiler()(TagTotal, 95); !ok || v != float64(all.ValueAtQuantile(95))*1e-6 {
		t.Errorf("p95 from the merge %v (%v), want %v", v, ok, float64(all.ValueAtQuantile(95))*1e-6)
	}
	// An average of the shards' p99 is not what the merge gives (the test
	// data is built so that they differ).
	var avg float64
	for _, r := range l.ShardResults {
		avg += r.P99Ms / 3
	}
	if avg == l.LatencyMs.Total.P99 {
		t.Errorf("p99 %v equals the average of the shards' p99: the test cannot tell a lossy merge", avg)
	}
	// Rates of shards side by side add up: 100+110+120 successes/s minus
	// the failures, over 5 s aligned by wall clock.
	if len(l.Intervals) != 5 {
		t.Fatalf("%d merged intervals, want 5: %+v", len(l.Intervals), l.Intervals)
	}
	var ivOps int64
	for _, iv := range l.Intervals {
		ivOps += iv.Ops
		if iv.Ops != 330 || iv.P99Ms == 0 {
			t.Errorf("interval %+v: want 330 ops and a p99", iv)
		}
	}
	if ivOps != ops {
		t.Errorf("series holds %d copies, want %d", ivOps, ops)
	}
	if want := float64(ops-failed) / 5; abs(l.Throughput.OpsPerSecond-want) > 1e-9 {
		t.Errorf("throughput %v, want %v", l.Throughput.OpsPerSecond, want)
	}
	if l.TargetRate != 330 {
		t.Errorf("target rate %v, want 330", l.TargetRate)
	}

	// Written out: the merged interval log holds every value once, the
	// JSON is valid against the schema and reads back.
	out := t.TempDir()
	if err := WriteLoadMerge(out, m); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(out, FileLatencyHlog))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	hs, err := ReadHlog(f)
	if err != nil {
		t.Fatal(err)
	}
	back := newHist()
	for _, h := range hs {
		if h.Tag() == TagTotal {
			back.Merge(h)
		}
	}
	if !back.Equals(all) {
		t.Errorf("merged latency.hlog differs from the independent merge (%d vs %d values)", back.TotalCount(), all.TotalCount())
	}
	data, err := os.ReadFile(filepath.Join(out, FileLoadJSON))
	if err != nil {
		t.Fatal(err)
	}
	newValidator(t, LoadSchema).check(t, "merged", data)
	if _, err := ParseLoad(data); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(out, FileLoadMD))
	if !strings.Contains(string(md), "3 of 3 merged") || !strings.Contains(string(md), "Shard 2") {
		t.Errorf("load.md does not list the shards:\n%s", md)
	}
	for _, name := range []string{FileLatencyHGRM, FileLatencyTTFBHGRM, FileLoadHTML, FileLatencySVG, FileThroughputSVG} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
}

// TestMergeLoadIncomplete: a shard without load.json (killed), a missing
// shard and a shard whose interval log was cut short are named, left out
// of the figures, and make the merge incomplete.
func TestMergeLoadIncomplete(t *testing.T) {
	dir, shards := threeShards(t)
	if err := os.Remove(filepath.Join(dir, ShardDirName(1), FileLoadJSON)); err != nil {
		t.Fatal(err)
	}
	m := mustMerge(t, 0, dir)
	l := m.Load
	if !l.Incomplete || l.ShardResults[1].Status != ShardFailed || !strings.Contains(l.ShardResults[1].Reason, "no load.json") {
		t.Fatalf("incomplete %v, shard 1 %+v", l.Incomplete, l.ShardResults[1])
	}
	if want := shards[0].total.TotalCount() + shards[2].total.TotalCount(); l.Ops.Succeeded != want || l.LatencyMs.Total.Count != want {
		t.Errorf("succeeded %d, latency count %d, want %d (shard 1 left out)", l.Ops.Succeeded, l.LatencyMs.Total.Count, want)
	}

	// The directory of shard 1 gone entirely: missing, when the merge
	// knows how many shards there are.
	if err := os.RemoveAll(filepath.Join(dir, ShardDirName(1))); err != nil {
		t.Fatal(err)
	}
	l = mustMerge(t, 3, filepath.Join(dir, ShardDirName(0)), filepath.Join(dir, ShardDirName(2))).Load
	if !l.Incomplete || l.ShardResults[1].Status != ShardMissing {
		t.Fatalf("shard 1: %+v", l.ShardResults[1])
	}

	// A cut interval log: shard 2 fails the count check.
	p := filepath.Join(dir, ShardDirName(2), FileLatencyHlog)
	data, _ := os.ReadFile(p)
	lines := strings.SplitAfter(string(data), "\n")
	if err := os.WriteFile(p, []byte(strings.Join(lines[:len(lines)-3], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	l = mustMerge(t, 0, dir).Load
	if r := l.ShardResults[2]; r.Status != ShardFailed || !strings.Contains(r.Reason, "incomplete") {
		t.Errorf("shard 2 with a cut log: %+v", r)
	}
}

// TestMergeLoadRefuses: shards of different runs or settings, a shard
// given twice, and a run that was not sharded are refused with one line.
func TestMergeLoadRefuses(t *testing.T) {
	start := time.Date(2026, 12, 4, 19, 0, 0, 0, time.UTC)
	base := func() *fakeShard {
		return &fakeShard{count: 2, runID: "r1", startAt: start, seconds: 2, perSecond: 10, partSize: 1 << 20, seed: 1}
	}
	for _, tt := range []struct {
		name   string
		mutate func(f *fakeShard)
		want   string
	}{
		{"other run", func(f *fakeShard) { f.runID = "r2" }, "different runs"},
		{"other part size", func(f *fakeShard) { f.partSize = 2 << 20 }, "size"},
		{"other rate", func(f *fakeShard) { f.perSecond = 20 }, "total rate"},
		{"other count", func(f *fakeShard) { f.count = 3 }, "shard count"},
		{"other start", func(f *fakeShard) { f.startAt = start.Add(time.Minute) }, "start-at"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			a := base()
			a.write(t, dir)
			b := base()
			b.index = 1
			tt.mutate(b)
			b.write(t, dir)
			in, err := ReadLoadShards(dir)
			if err != nil {
				t.Fatal(err)
			}
			_, err = MergeLoad(in, 0)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err %v, want one line with %q", err, tt.want)
			}
		})
	}
	dir := t.TempDir()
	a := base()
	d := a.write(t, dir)
	in, err := ReadLoadShards(d, d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := MergeLoad(in, 0); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("a shard twice: %v", err)
	}
	if _, err := ReadLoadShards(t.TempDir()); err == nil {
		t.Error("an empty directory was read as load results")
	}
}

// TestMergeLoadLateShard: a shard that began late is merged, marked late,
// and its seconds land in the wall-clock seconds they ran in.
func TestMergeLoadLateShard(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 12, 4, 19, 0, 0, 0, time.UTC)
	for i, late := range []time.Duration{0, 3 * time.Second} {
		f := &fakeShard{index: i, count: 2, runID: "r", startAt: start, late: late, seconds: 4, perSecond: 50, partSize: 1 << 20, seed: uint64(i)}
		f.write(t, dir)
	}
	l := mustMerge(t, 0, dir).Load
	if l.ShardResults[1].Status != ShardLate || l.Incomplete {
		t.Errorf("late shard: %+v, incomplete %v", l.ShardResults[1], l.Incomplete)
	}
	want := []int64{50, 50, 50, 100, 50, 50, 50}
	if len(l.Intervals) != len(want) {
		t.Fatalf("intervals %+v", l.Intervals)
	}
	for i, iv := range l.Intervals {
		if iv.Ops != want[i] || iv.StartSeconds != float64(i) {
			t.Errorf("second %d: %+v, want %d ops", i, iv, want[i])
		}
	}
	if l.DurationSeconds != 7 {
		t.Errorf("duration %v, want 7 (wall clock from the first start to the last end)", l.DurationSeconds)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestMergeLoadInterruptedShard: a shard stopped before the end of its
// window is merged (its copies happened) but makes the merge incomplete.
func TestMergeLoadInterruptedShard(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 12, 4, 19, 0, 0, 0, time.UTC)
	for i := 0; i < 2; i++ {
		f := &fakeShard{index: i, count: 2, runID: "r", startAt: start, seconds: 2, perSecond: 20, partSize: 1 << 20, seed: uint64(i), interrupted: i == 1}
		f.write(t, dir)
	}
	l := mustMerge(t, 0, dir).Load
	if r := l.ShardResults[1]; r.Status != ShardInterrupted || !l.Incomplete || !l.Interrupted || l.Ops.Total != 80 {
		t.Errorf("shard 1 %+v, incomplete %v, interrupted %v, ops %d (want 80: both merged)", r, l.Incomplete, l.Interrupted, l.Ops.Total)
	}
}
