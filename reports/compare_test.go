package reports

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// conformanceWith builds a report whose clauses have the given verdicts.
func conformanceWith(verdicts map[string]Verdict) Conformance {
	c := Conformance{Schema: ConformanceSchema, Profile: ProfileS3, Result: ResultPass}
	for _, cl := range Clauses {
		v, ok := verdicts[cl.ID]
		if !ok {
			v = VerdictPass
		}
		c.Clauses = append(c.Clauses, ClauseResult{ID: cl.ID, Title: cl.Title, Verdict: v})
	}
	return c
}

func TestCompareConformance(t *testing.T) {
	P, F, U, N := VerdictPass, VerdictFail, VerdictUnsupported, VerdictNotRun
	tests := []struct {
		old, new Verdict
		want     Change // "" = no change
	}{
		{P, P, ""}, {F, F, ""}, {U, U, ""}, {N, N, ""},
		{P, F, ChangeRegression}, {P, N, ChangeRegression}, {P, U, ChangeUnsupported},
		{U, F, ChangeRegression}, {U, N, ChangeRegression}, {N, F, ChangeRegression},
		{F, P, ChangeImprovement}, {F, U, ChangeImprovement}, {N, P, ChangeImprovement},
		{N, U, ChangeImprovement}, {U, P, ChangeImprovement},
		{F, N, ChangeOther},
	}
	for _, tt := range tests {
		d := CompareConformance(conformanceWith(map[string]Verdict{"D07": tt.old}), conformanceWith(map[string]Verdict{"D07": tt.new}))
		var got Change
		if len(d.Changes) > 1 {
			t.Fatalf("%s -> %s: %d changes", tt.old, tt.new, len(d.Changes))
		}
		if len(d.Changes) == 1 {
			got = d.Changes[0].Change
			if d.Changes[0].ID != "D07" || d.Changes[0].Old != tt.old || d.Changes[0].New != tt.new {
				t.Errorf("change = %+v", d.Changes[0])
			}
		}
		if got != tt.want {
			t.Errorf("%s -> %s = %q, want %q", tt.old, tt.new, got, tt.want)
		}
	}
}

func TestCompareConformanceProfilesAndSpecs(t *testing.T) {
	old := conformanceWith(nil)
	old.Specs = []SpecResult{{Name: "a", State: StateFailed}, {Name: "b", State: StatePassed}}
	// new ran the obs profile only: S clauses are missing, so not-run.
	new := conformanceWith(map[string]Verdict{"D01": VerdictFail})
	new.Clauses = new.Clauses[:25]
	new.Specs = []SpecResult{{Name: "a", State: StateFailed}, {Name: "b", State: StateFailed}}
	d := CompareConformance(old, new)
	if n := len(d.Regressions()); n != 9 {
		t.Errorf("%d regressions, want 9 (D01 + 8 S clauses now not-run)", n)
	}
	if len(d.Improvements()) != 0 {
		t.Errorf("improvements: %v", d.Improvements())
	}
	if len(d.NewlyFailingSpecs) != 1 || d.NewlyFailingSpecs[0] != "b" {
		t.Errorf("newly failing = %v", d.NewlyFailingSpecs)
	}
	var buf bytes.Buffer
	if err := d.WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"9 regressions, 0 improvements", "| D01 | UploadPartCopy with x-amz-copy-source uploads part N by copying an existing object | pass | fail | REGRESSION |", "| S08 |", "- b"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, buf.String())
		}
	}
	same := CompareConformance(old, old)
	buf.Reset()
	_ = same.WriteMarkdown(&buf)
	if len(same.Changes) != 0 || !strings.Contains(buf.String(), "No clause verdict changed") {
		t.Errorf("self-compare: %+v", same)
	}
}

func TestCompareLoad(t *testing.T) {
	base := fixtureLoad() // p50 12, p99 80, 198 ops/s, 1% errors
	slower := base
	slower.LatencyMs.Total.P99 = 100 // +25%
	slower.LatencyMs.Total.P50 = 13  // +8.3%
	slower.Throughput.OpsPerSecond = 178.2
	slower.Ops.Failed = 180 // 3%

	tests := []struct {
		name       string
		new        Load
		th         Thresholds
		violations []string // substrings, one per violation
	}{
		{"no thresholds", slower, Thresholds{}, nil},
		{"same run", base, Thresholds{MaxP99IncreasePct: 1, MaxP50IncreasePct: 1, MinThroughputRatio: 1, MaxErrorRateIncrease: 0.1}, nil},
		{"p99 over", slower, Thresholds{MaxP99IncreasePct: 20}, []string{"p99 latency rose +25.0%"}},
		{"p99 within", slower, Thresholds{MaxP99IncreasePct: 30}, nil},
		{"p50 over", slower, Thresholds{MaxP50IncreasePct: 5}, []string{"p50 latency rose +8.3%"}},
		{"p50 within", slower, Thresholds{MaxP50IncreasePct: 10}, nil},
		{"throughput under", slower, Thresholds{MinThroughputRatio: 0.95}, []string{"throughput ratio 0.900"}},
		{"throughput within", slower, Thresholds{MinThroughputRatio: 0.89}, nil},
		{"errors over", slower, Thresholds{MaxErrorRateIncrease: 1}, []string{"error rate rose 2.00 points"}},
		{"errors within", slower, Thresholds{MaxErrorRateIncrease: 2.5}, nil},
		{"all over", slower, Thresholds{MaxP99IncreasePct: 1, MaxP50IncreasePct: 1, MinThroughputRatio: 0.99, MaxErrorRateIncrease: 0.5},
			[]string{"p99", "p50", "throughput", "error rate"}},
	}
	for _, tt := range tests {
		d := CompareLoad(base, tt.new, tt.th)
		if len(d.Violations) != len(tt.violations) || d.Exceeded() != (len(tt.violations) > 0) {
			t.Errorf("%s: violations %q, want %q", tt.name, d.Violations, tt.violations)
			continue
		}
		for i, v := range tt.violations {
			if !strings.Contains(d.Violations[i], v) {
				t.Errorf("%s: violation %q lacks %q", tt.name, d.Violations[i], v)
			}
		}
	}

	d := CompareLoad(base, slower, Thresholds{})
	if len(d.Latency) != 18 {
		t.Fatalf("%d latency deltas, want 18 (3 series x 6 stats)", len(d.Latency))
	}
	p99 := d.Latency[2]
	if p99.Series != "total" || p99.Stat != "p99" || p99.DeltaMs != 20 || p99.DeltaPct != 25 {
		t.Errorf("p99 delta = %+v", p99)
	}
	if math.Abs(d.ThroughputRatio-0.9) > 1e-9 || d.OldErrorRatePct != 1 || d.NewErrorRatePct != 3 {
		t.Errorf("ratio %v, error rates %v -> %v", d.ThroughputRatio, d.OldErrorRatePct, d.NewErrorRatePct)
	}
	var buf bytes.Buffer
	if err := CompareLoad(base, slower, Thresholds{MaxP99IncreasePct: 10}).WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| total | p99 | 80.00 | 100.00 | +20.00 | +25.0% |", "ratio 0.900", "Gate: FAIL", "- p99 latency rose"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, buf.String())
		}
	}

	// From zero: an infinite increase still trips the gate.
	zero := base
	zero.LatencyMs.Total.P99 = 0
	if d := CompareLoad(zero, base, Thresholds{MaxP99IncreasePct: 1000}); !d.Exceeded() || !strings.Contains(d.Violations[0], "+inf%") {
		t.Errorf("from zero: %v", d.Violations)
	}
	closed := base
	closed.Mode = ModeClosed
	if d := CompareLoad(base, closed, Thresholds{}); len(d.Warnings) == 0 {
		t.Error("no warning for different modes")
	}
}

// TestCompareLoadDefaultGates: without flags, an error rate going 0% ->
// 54% and a p99 up by more than 10% fail; a p99 up by 5% does not.
func TestCompareLoadDefaultGates(t *testing.T) {
	base := fixtureLoad()
	base.Ops = LoadOps{Total: 1000, Succeeded: 1000}
	failing := base
	failing.Ops = LoadOps{Total: 1000, Succeeded: 460, Failed: 540}
	if d := CompareLoad(base, failing, DefaultThresholds()); !d.Exceeded() || !strings.Contains(strings.Join(d.Violations, ";"), "error rate rose 54.00 points") {
		t.Errorf("0%% -> 54%% errors: %v", d.Violations)
	}
	if d := CompareLoad(base, failing, Thresholds{}); d.Exceeded() {
		t.Errorf("no gates: %v", d.Violations)
	}
	slower := base
	slower.LatencyMs.Total.P99 = base.LatencyMs.Total.P99 * 1.05
	if d := CompareLoad(base, slower, DefaultThresholds()); d.Exceeded() {
		t.Errorf("p99 +5%%: %v", d.Violations)
	}
	slower.LatencyMs.Total.P99 = base.LatencyMs.Total.P99 * 1.11
	if d := CompareLoad(base, slower, DefaultThresholds()); !d.Exceeded() {
		t.Error("p99 +11% passed the default gate")
	}
	limited := base
	limited.Generator = &Generator{Limited: true, Causes: []string{GenCPUStarved}}
	if d := CompareLoad(base, limited, DefaultThresholds()); !strings.Contains(strings.Join(d.Warnings, ";"), "generator was limited (cpu-starved)") {
		t.Errorf("warnings %v", d.Warnings)
	}
}

// TestCompareStrictAndSubset: pass -> unsupported is a regression only
// strictly; a --labels run compares only the clauses it selected; an
// interrupted or errored report is no baseline.
func TestCompareStrictAndSubset(t *testing.T) {
	old := conformanceWith(map[string]Verdict{"D07": VerdictPass})
	cur := conformanceWith(map[string]Verdict{"D07": VerdictUnsupported})
	if d := CompareConformanceWith(old, cur, CompareOptions{Strict: true}); len(d.Regressions()) != 1 {
		t.Errorf("strict: %+v", d.Changes)
	}
	if d := CompareConformance(old, cur); len(d.Regressions()) != 0 || len(d.NowUnsupported()) != 1 {
		t.Errorf("default: %+v", d.Changes)
	}
	// A subset run: D03 and D07 ran, everything else was filtered out
	// (skipped) and so is not-run, which must not count as regressions.
	sub := conformanceWith(map[string]Verdict{"D03": VerdictFail})
	for i := range sub.Clauses {
		if id := sub.Clauses[i].ID; id != "D03" && id != "D07" {
			sub.Clauses[i].Verdict = VerdictNotRun
		}
	}
	sub.LabelFilter = "D03 || D07"
	sub.Specs = []SpecResult{
		{Name: "d03", Clauses: []string{"D03"}, State: StateFailed},
		{Name: "d07", Clauses: []string{"D07"}, State: StatePassed},
		{Name: "d08", Clauses: []string{"D08"}, State: StateSkipped},
	}
	d := CompareConformance(conformanceWith(nil), sub)
	if regs := d.Regressions(); len(regs) != 1 || regs[0].ID != "D03" {
		t.Errorf("subset regressions = %+v, want D03 only", regs)
	}
	for _, bad := range []Conformance{{Interrupted: true, Result: ResultIncomplete}, {Result: ResultError, ConfigError: "region"}} {
		if bad.UsableAsBaseline() == nil {
			t.Errorf("%+v accepted as a baseline", bad.Result)
		}
	}
	if conformanceWith(nil).UsableAsBaseline() != nil {
		t.Error("a complete run refused as a baseline")
	}
}
