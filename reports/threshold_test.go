package reports

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

func TestParseThreshold(t *testing.T) {
	for _, tc := range []struct {
		in, metric, op, unit string
		limit                float64
	}{
		{"p99<200ms", "total.p99", "<", ThresholdUnitMs, 200},
		{" p99.9 < 1s ", "total.p99.9", "<", ThresholdUnitMs, 1000},
		{"ttfb.p99<50ms", "ttfb.p99", "<", ThresholdUnitMs, 50},
		{"uncorrected.p50<=2ms", "uncorrected.p50", "<=", ThresholdUnitMs, 2},
		{"lag.p99<500us", "lag.p99", "<", ThresholdUnitMs, 0.5},
		{"p100<2s", "total.max", "<", ThresholdUnitMs, 2000},
		{"max<1.5s", "total.max", "<", ThresholdUnitMs, 1500},
		{"failed.mean<3", "failed.mean", "<", ThresholdUnitMs, 3},
		{"p95<120", "total.p95", "<", ThresholdUnitMs, 120},
		{"errors<0.1%", "errors", "<", ThresholdUnitPct, 0.1},
		{"errors<0.001", "errors", "<", ThresholdUnitPct, 0.1},
		{"failed<10", "failed", "<", ThresholdUnitCount, 10},
		{"throughput>150/s", "throughput", ">", ThresholdUnitOps, 150},
		{"throughput>=150", "throughput", ">=", ThresholdUnitOps, 150},
		{"bytes>400MiB/s", "bytes", ">", ThresholdUnitBytes, 400 << 20},
		{"bytes>1.5GB/s", "bytes", ">", ThresholdUnitBytes, 1.5e9},
	} {
		th, err := ParseThreshold(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if th.Metric != tc.metric || th.Op != tc.op || th.Unit != tc.unit || math.Abs(th.Limit-tc.limit) > 1e-9*math.Max(1, tc.limit) {
			t.Errorf("%q = %s %s %v %s, want %s %s %v %s", tc.in, th.Metric, th.Op, th.Limit, th.Unit, tc.metric, tc.op, tc.limit, tc.unit)
		}
	}
	for _, bad := range []string{"", "p99", "p99<", "<200ms", "p99<NaN", "p99<Infms", "p99<+Inf", "errors<NaN%", "throughput>Inf/s",
		"p0<1ms", "p101<1s", "pfoo<1ms", "foo<1", "errors<150%", "errors<2", "bytes>400MiB", "p99<-1ms", "p99<200 parsecs", "ttfb.p99<x"} {
		if th, err := ParseThreshold(bad); err == nil {
			t.Errorf("%q accepted as %+v", bad, th)
		}
	}
	ts, err := ParseThresholds([]string{"p99<200ms,errors<0.1%", "throughput>10/s"})
	if err != nil || len(ts) != 3 || ts[2].Metric != "throughput" {
		t.Errorf("list: %+v %v", ts, err)
	}
}

func TestEvaluateThresholds(t *testing.T) {
	l := fixtureLoad() // p99 80 ms, ttfb p99 20 ms, 1% errors, 198 copies/s of 8 MiB
	ts, err := ParseThresholds([]string{"p99<100ms", "p99<80ms", "p99<=80ms", "ttfb.p99<10ms", "errors<1%", "errors<=1%", "errors<2%",
		"throughput>150/s", "throughput>200/s", "bytes>1GiB/s", "bytes>2GiB/s", "failed<61", "p95<1s", "lag.p99<1ms"})
	if err != nil {
		t.Fatal(err)
	}
	want := []bool{true, false, true, false, false, true, true, true, false, true, false, true, false, false}
	rs := EvaluateThresholds(ts, l, nil)
	for i, r := range rs {
		if r.OK != want[i] {
			t.Errorf("%s: ok %v, want %v (measured %v %s, note %q)", r.Expr, r.OK, want[i], r.Value, r.Unit, r.Note)
		}
	}
	if rs[4].Value != 1 || rs[0].Value != 80 || rs[7].Value != 198 {
		t.Errorf("values %v %v %v", rs[4].Value, rs[0].Value, rs[7].Value)
	}
	// p95 is not in the summary: not measurable without histograms (so not
	// met), measured with them.
	if !strings.Contains(rs[12].Note, "p95") {
		t.Errorf("p95 note %q", rs[12].Note)
	}
	q := func(series string, p float64) (float64, bool) { return 70, series == "total" && p == 95 }
	if r := ts[12].Evaluate(l, q); !r.OK || r.Value != 70 {
		t.Errorf("p95 with a quantiler: %+v", r)
	}
	if ThresholdsPassed(rs) || !ThresholdsPassed(rs[:1]) || !ThresholdsPassed(nil) {
		t.Error("ThresholdsPassed")
	}
	// A limited generator never passes silently.
	l.Generator = &Generator{Limited: true, LagMs: Latency{P99: 0.5, Count: 6000}}
	r := ts[13].Evaluate(l, nil)
	if !r.OK || r.Note != "generator limited" {
		t.Errorf("limited: %+v", r)
	}
	if v := ThresholdVerdict([]ThresholdResult{r}, true); !strings.HasPrefix(v, "PASS") || !strings.Contains(v, "generator was limited") {
		t.Errorf("verdict %q", v)
	}
	if v := ThresholdVerdict(rs, false); !strings.HasPrefix(v, "FAIL (7 of 14") {
		t.Errorf("verdict %q", v)
	}
	if line := rs[4].Line(); !strings.HasPrefix(line, "✗ errors<1%") || !strings.Contains(line, "measured 1%") {
		t.Errorf("line %q", line)
	}
}

func TestLoadRenderingShowsThresholdsAndWarnings(t *testing.T) {
	l := fixtureLoad()
	ts, _ := ParseThresholds([]string{"p99<100ms", "errors<0.5%"})
	l.Thresholds = EvaluateThresholds(ts, l, nil)
	l.Interrupted, l.RequestedDurationSeconds = true, 60
	l.Generator = &Generator{Limited: true, Causes: []string{GenCPUStarved}, Warning: "generator limited: lag p99 40ms; cause: CPU-starved generator",
		LagMs: Latency{P50: 1, P99: 40, Max: 60, Count: 6000}, WorkersUsed: 12, MaxInFlight: 64}
	var md, page bytes.Buffer
	if err := WriteLoadMarkdown(&md, l); err != nil {
		t.Fatal(err)
	}
	if err := WriteLoadHTML(&page, l); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# partcopy load: FAIL", "## Thresholds: FAIL", "| ✓ | p99&lt;100ms | 80 ms |", "| ✗ | errors&lt;0.5% | 1% |",
		"Generator limited: lag p99 40ms", "Interrupted after 30.0 s of the 60.0 s", "LIMITED (cpu-starved)", "generator lag |", "(latency-time.svg)"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("load.md lacks %q:\n%s", want, md.String())
		}
	}
	for _, want := range []string{`<span class="badge result fail">FAIL</span>`, `class="banner"`, "Generator limited: lag p99 40ms", "&#10007;", "Latency over time"} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("load.html lacks %q", want)
		}
	}
	wellFormedXML(t, "load.html", page.Bytes())
	l.Thresholds = l.Thresholds[:1]
	page.Reset()
	_ = WriteLoadHTML(&page, l)
	if !strings.Contains(page.String(), `<span class="badge result pass">PASS</span>`) {
		t.Error("no PASS badge")
	}
}

func TestPartialLastIntervalIsNotADrop(t *testing.T) {
	l := fixtureLoad()
	n := len(l.Intervals)
	// The run ended 50 ms into a last interval holding 10 copies: 200/s
	// over its own short duration.
	l.Intervals = append(l.Intervals, Interval{StartSeconds: float64(n), DurationSeconds: 0.05, Ops: 10, OpsPerSecond: 200, P50Ms: 12, P90Ms: 20, P99Ms: 80, Partial: true})
	ivs := plotIntervals(l)
	if len(ivs) != n {
		t.Fatalf("%d plotted intervals, want %d (the partial one folded in)", len(ivs), n)
	}
	last, prev := ivs[n-1], l.Intervals[n-1]
	want := (prev.OpsPerSecond*1 + 200*0.05) / 1.05
	if math.Abs(last.OpsPerSecond-want) > 1e-9 || last.Ops != prev.Ops+10 || last.DurationSeconds != 1.05 {
		t.Errorf("folded interval %+v, want %v copies/s", last, want)
	}
	// Without the flag nothing is folded.
	l.Intervals[n].Partial = false
	if len(plotIntervals(l)) != n+1 {
		t.Error("a complete interval was folded")
	}
	svg, ok := LatencyTimeSVG(l)
	if !ok {
		t.Fatal("no latency-over-time plot")
	}
	wellFormedXML(t, "latency-time.svg", []byte(svg))
	for _, want := range []string{">p50<", ">p90<", ">p99<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("latency-time.svg lacks %q", want)
		}
	}
}

// BenchmarkEvaluateThresholds is the cost of judging a run (once, at its
// end; not per copy): six thresholds on a load report.
func BenchmarkEvaluateThresholds(b *testing.B) {
	l := fixtureLoad()
	ts, err := ParseThresholds([]string{"p99<200ms", "p99.9<1s", "ttfb.p99<50ms", "errors<0.1%", "throughput>150/s", "bytes>400MiB/s"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = EvaluateThresholds(ts, l, nil)
	}
}
