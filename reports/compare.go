package reports

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// verdictRank orders verdicts from worst to best. not-run ranks below
// unsupported: losing coverage of a clause is a regression.
var verdictRank = map[Verdict]int{
	VerdictFail:        0,
	VerdictBlocked:     1,
	VerdictNotRun:      2,
	VerdictUnsupported: 3,
	VerdictPass:        4,
}

// Change classifies a clause's verdict change between two runs.
type Change string

// Changes.
const (
	ChangeRegression  Change = "regression"
	ChangeImprovement Change = "improvement"
	// ChangeOther is a change that is neither: fail -> not-run is no longer
	// failing, but nothing shows it works either.
	ChangeOther Change = "changed"
	// ChangeUnsupported is pass -> unsupported: the endpoint (or the run's
	// configuration) no longer offers what the clause needs. Shown as its
	// own change; a regression only with CompareOptions.Strict.
	ChangeUnsupported Change = "now-unsupported"
)

// UsableAsBaseline says why c cannot be a baseline: an interrupted run or
// one stopped by a configuration error has verdicts for only part of its
// clauses, and comparing with it would hide or invent regressions.
func (c Conformance) UsableAsBaseline() error {
	switch {
	case c.Interrupted || c.Result == ResultIncomplete:
		return fmt.Errorf("the run was interrupted (result %s): it is no baseline; use a complete run", c.Result)
	case c.Result == ResultError || c.ConfigError != "":
		return fmt.Errorf("the run was stopped by a configuration error (%s): it is no baseline; use a complete run", c.ConfigError)
	}
	return nil
}

// CompareOptions tune CompareConformanceWith.
type CompareOptions struct {
	// Strict counts pass -> unsupported as a regression.
	Strict bool
}

// ClauseChange is one clause whose verdict differs between two runs.
type ClauseChange struct {
	ID     string  `json:"id"`
	Title  string  `json:"title"`
	Old    Verdict `json:"old"`
	New    Verdict `json:"new"`
	Change Change  `json:"change"`
}

// ConformanceDiff is the per-clause difference between two conformance runs.
type ConformanceDiff struct {
	OldResult Result `json:"oldResult"`
	NewResult Result `json:"newResult"`
	// Changes lists every clause whose verdict changed, in clause order.
	Changes []ClauseChange `json:"changes"`
	// NewlyFailingSpecs are specs that failed in new and did not in old.
	NewlyFailingSpecs []string `json:"newlyFailingSpecs,omitempty"`
	// LabelFilter is new's --labels subset: only its clauses were compared.
	LabelFilter string `json:"labelFilter,omitempty"`
}

// NowUnsupported returns the clauses that passed in old and are
// unsupported in new (not regressions unless compared strictly).
func (d ConformanceDiff) NowUnsupported() []ClauseChange { return d.filter(ChangeUnsupported) }

// Regressions returns the clauses whose verdict got worse.
func (d ConformanceDiff) Regressions() []ClauseChange { return d.filter(ChangeRegression) }

// Improvements returns the clauses whose verdict got better.
func (d ConformanceDiff) Improvements() []ClauseChange { return d.filter(ChangeImprovement) }

func (d ConformanceDiff) filter(k Change) []ClauseChange {
	var out []ClauseChange
	for _, c := range d.Changes {
		if c.Change == k {
			out = append(out, c)
		}
	}
	return out
}

// CompareConformance compares two runs clause by clause with the default
// options (CompareConformanceWith).
func CompareConformance(old, new Conformance) ConformanceDiff {
	return CompareConformanceWith(old, new, CompareOptions{})
}

// CompareConformanceWith compares two runs clause by clause. A clause
// missing from one run (another profile) counts as not-run there. A worse
// verdict (pass -> fail, pass -> not-run, unsupported -> fail, ...) is a
// regression; a better one an improvement, except a change to not-run,
// which is neither; pass -> unsupported is its own change
// (ChangeUnsupported), a regression only when opts.Strict. When new ran a
// --labels subset, only the clauses it selected (a spec of it ran, or was
// at least not filtered out) are compared.
func CompareConformanceWith(old, new Conformance, opts CompareOptions) ConformanceDiff {
	d := ConformanceDiff{OldResult: old.Result, NewResult: new.Result, LabelFilter: new.LabelFilter}
	var selected map[string]bool
	if new.LabelFilter != "" {
		selected = map[string]bool{}
		for _, s := range new.Specs {
			if s.State == StateSkipped {
				continue
			}
			for _, id := range s.Clauses {
				selected[id] = true
			}
		}
	}
	oldV := map[string]ClauseResult{}
	for _, c := range old.Clauses {
		oldV[c.ID] = c
	}
	newV := map[string]ClauseResult{}
	for _, c := range new.Clauses {
		newV[c.ID] = c
	}
	var ids []string
	seen := map[string]bool{}
	for _, list := range [][]ClauseResult{new.Clauses, old.Clauses} {
		for _, c := range list {
			if !seen[c.ID] {
				seen[c.ID] = true
				ids = append(ids, c.ID)
			}
		}
	}
	SortClauseIDs(ids)
	for _, id := range ids {
		if selected != nil && !selected[id] {
			continue
		}
		o, n := oldV[id], newV[id]
		ov, nv := verdictOrNotRun(o.Verdict), verdictOrNotRun(n.Verdict)
		if ov == nv {
			continue
		}
		title := n.Title
		if title == "" {
			title = o.Title
		}
		ch := ClauseChange{ID: id, Title: title, Old: ov, New: nv}
		switch {
		case ov == VerdictPass && nv == VerdictUnsupported && !opts.Strict:
			ch.Change = ChangeUnsupported
		case verdictRank[nv] < verdictRank[ov]:
			ch.Change = ChangeRegression
		case nv == VerdictNotRun:
			ch.Change = ChangeOther
		default:
			ch.Change = ChangeImprovement
		}
		d.Changes = append(d.Changes, ch)
	}
	oldFailed := map[string]bool{}
	for _, s := range old.Specs {
		if s.State == StateFailed {
			oldFailed[s.Name] = true
		}
	}
	for _, s := range new.Specs {
		if s.State == StateFailed && !oldFailed[s.Name] {
			d.NewlyFailingSpecs = append(d.NewlyFailingSpecs, s.Name)
		}
	}
	return d
}

func verdictOrNotRun(v Verdict) Verdict {
	if _, ok := verdictRank[v]; !ok {
		return VerdictNotRun
	}
	return v
}

// WriteMarkdown renders the diff as Markdown (readable as plain text too).
func (d ConformanceDiff) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# partcopy conformance comparison\n\nResult: %s -> %s. %d regressions, %d improvements, %d now unsupported, %d other changes.\n",
		d.OldResult, d.NewResult, len(d.Regressions()), len(d.Improvements()), len(d.NowUnsupported()), len(d.filter(ChangeOther)))
	if d.LabelFilter != "" {
		fmt.Fprintf(&b, "\nOnly the clauses `%s` selected were compared.\n", strings.ReplaceAll(d.LabelFilter, "`", "'"))
	}
	if len(d.Changes) == 0 {
		b.WriteString("\nNo clause verdict changed.\n")
	} else {
		b.WriteString("\n| Clause | Title | Old | New | Change |\n|---|---|---|---|---|\n")
		for _, c := range d.Changes {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", c.ID, mdCell(c.Title), c.Old, c.New, strings.ToUpper(string(c.Change)))
		}
	}
	if len(d.NewlyFailingSpecs) > 0 {
		b.WriteString("\nNewly failing specs:\n\n")
		for _, s := range d.NewlyFailingSpecs {
			fmt.Fprintf(&b, "- %s\n", mdCell(s))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Thresholds gate a load comparison. A zero field is not checked.
type Thresholds struct {
	// MaxP99IncreasePct fails when corrected p99 grows by more than this
	// many percent.
	MaxP99IncreasePct float64
	// MaxP50IncreasePct fails when corrected p50 grows by more than this
	// many percent.
	MaxP50IncreasePct float64
	// MinThroughputRatio fails when new/old copies per second falls below it
	// (0.9 allows a 10% drop).
	MinThroughputRatio float64
	// MaxErrorRateIncrease fails when the error rate grows by more than this
	// many percentage points.
	MaxErrorRateIncrease float64
	// ErrorRateGate checks the error rate even when MaxErrorRateIncrease
	// is 0: then any increase fails.
	ErrorRateGate bool
}

// DefaultThresholds are the gates of 'report compare' without flags: a
// p99 increase over 10% and any error-rate increase fail.
func DefaultThresholds() Thresholds {
	return Thresholds{MaxP99IncreasePct: 10, ErrorRateGate: true}
}

// LatencyDelta is one percentile of one latency series in two runs.
type LatencyDelta struct {
	Series string  `json:"series"`
	Stat   string  `json:"stat"`
	OldMs  float64 `json:"oldMs"`
	NewMs  float64 `json:"newMs"`
	// DeltaMs is NewMs - OldMs.
	DeltaMs float64 `json:"deltaMs"`
	// DeltaPct is the change relative to OldMs; +Inf when OldMs is 0 and
	// NewMs is not.
	DeltaPct float64 `json:"deltaPct"`
}

// LoadDiff is the difference between two load runs.
type LoadDiff struct {
	Latency []LatencyDelta `json:"latency"`
	// OldOpsPerSecond and NewOpsPerSecond are successful copies per second.
	OldOpsPerSecond float64 `json:"oldOpsPerSecond"`
	NewOpsPerSecond float64 `json:"newOpsPerSecond"`
	// ThroughputRatio is new/old ops per second (1 when both are 0).
	ThroughputRatio float64 `json:"throughputRatio"`
	// OldErrorRatePct and NewErrorRatePct are failed/total in percent.
	OldErrorRatePct float64 `json:"oldErrorRatePct"`
	NewErrorRatePct float64 `json:"newErrorRatePct"`
	// Violations describes each exceeded threshold; empty means the gate passes.
	Violations []string `json:"violations"`
	// Warnings notes what makes the comparison less meaningful (different
	// mode, rate, sizes or SSE-C).
	Warnings []string `json:"warnings,omitempty"`
}

// Exceeded reports whether any threshold was exceeded.
func (d LoadDiff) Exceeded() bool { return len(d.Violations) > 0 }

// CompareLoad compares two load runs percentile by percentile and checks
// the thresholds (gated on the corrected "total" latency).
func CompareLoad(old, new Load, t Thresholds) LoadDiff {
	d := LoadDiff{
		OldOpsPerSecond: old.Throughput.OpsPerSecond,
		NewOpsPerSecond: new.Throughput.OpsPerSecond,
		ThroughputRatio: ratio(new.Throughput.OpsPerSecond, old.Throughput.OpsPerSecond),
		OldErrorRatePct: 100 * old.Ops.ErrorRate(),
		NewErrorRatePct: 100 * new.Ops.ErrorRate(),
	}
	series := []struct {
		name     string
		old, new Latency
	}{
		{"total", old.LatencyMs.Total, new.LatencyMs.Total},
		{"uncorrected", old.LatencyMs.Uncorrected, new.LatencyMs.Uncorrected},
		{"ttfb", old.LatencyMs.TTFB, new.LatencyMs.TTFB},
	}
	for _, s := range series {
		for _, st := range []struct {
			name string
			o, n float64
		}{
			{"p50", s.old.P50, s.new.P50}, {"p90", s.old.P90, s.new.P90}, {"p99", s.old.P99, s.new.P99},
			{"p99.9", s.old.P999, s.new.P999}, {"max", s.old.Max, s.new.Max}, {"mean", s.old.Mean, s.new.Mean},
		} {
			d.Latency = append(d.Latency, LatencyDelta{
				Series: s.name, Stat: st.name, OldMs: st.o, NewMs: st.n,
				DeltaMs: st.n - st.o, DeltaPct: pctChange(st.o, st.n),
			})
		}
	}

	p99 := pctChange(old.LatencyMs.Total.P99, new.LatencyMs.Total.P99)
	if t.MaxP99IncreasePct > 0 && p99 > t.MaxP99IncreasePct {
		d.Violations = append(d.Violations, fmt.Sprintf("p99 latency rose %s (%.2f -> %.2f ms), limit +%s%%",
			fmtPct(p99), old.LatencyMs.Total.P99, new.LatencyMs.Total.P99, fmtNum(t.MaxP99IncreasePct)))
	}
	p50 := pctChange(old.LatencyMs.Total.P50, new.LatencyMs.Total.P50)
	if t.MaxP50IncreasePct > 0 && p50 > t.MaxP50IncreasePct {
		d.Violations = append(d.Violations, fmt.Sprintf("p50 latency rose %s (%.2f -> %.2f ms), limit +%s%%",
			fmtPct(p50), old.LatencyMs.Total.P50, new.LatencyMs.Total.P50, fmtNum(t.MaxP50IncreasePct)))
	}
	if t.MinThroughputRatio > 0 && d.ThroughputRatio < t.MinThroughputRatio {
		d.Violations = append(d.Violations, fmt.Sprintf("throughput ratio %.3f (%.2f -> %.2f copies/s), minimum %s",
			d.ThroughputRatio, d.OldOpsPerSecond, d.NewOpsPerSecond, fmtNum(t.MinThroughputRatio)))
	}
	if inc := d.NewErrorRatePct - d.OldErrorRatePct; (t.MaxErrorRateIncrease > 0 || t.ErrorRateGate) && inc > t.MaxErrorRateIncrease {
		d.Violations = append(d.Violations, fmt.Sprintf("error rate rose %.2f points (%.2f%% -> %.2f%%), limit %s points",
			inc, d.OldErrorRatePct, d.NewErrorRatePct, fmtNum(t.MaxErrorRateIncrease)))
	}

	if old.Mode != new.Mode {
		d.Warnings = append(d.Warnings, fmt.Sprintf("mode differs: %s vs %s", old.Mode, new.Mode))
	}
	if old.TargetRate != new.TargetRate || old.Concurrency != new.Concurrency {
		d.Warnings = append(d.Warnings, fmt.Sprintf("load differs: rate %s vs %s, concurrency %d vs %d",
			fmtNum(old.TargetRate), fmtNum(new.TargetRate), old.Concurrency, new.Concurrency))
	}
	if old.SourceSize != new.SourceSize || old.PartSize != new.PartSize || old.SSEC != new.SSEC {
		d.Warnings = append(d.Warnings, "source size, part size or SSE-C differs")
	}
	for _, r := range []struct {
		name string
		l    Load
	}{{"old", old}, {"new", new}} {
		if r.l.Generator != nil && r.l.Generator.Limited {
			d.Warnings = append(d.Warnings, fmt.Sprintf("the %s run's generator was limited (%s): its latency includes the generator's own lag",
				r.name, strings.Join(r.l.Generator.Causes, ", ")))
		}
		if r.l.Interrupted {
			d.Warnings = append(d.Warnings, fmt.Sprintf("the %s run was interrupted", r.name))
		}
	}
	if old.LatencyOf != new.LatencyOf {
		d.Warnings = append(d.Warnings, "one report's latency mixes failed and successful copies (written before the split), the other's does not")
	}
	return d
}

// pctChange is the relative change from o to n in percent: 0 when both are
// 0, +Inf when only o is 0.
func pctChange(o, n float64) float64 {
	switch {
	case o == n:
		return 0
	case o == 0:
		return math.Inf(1)
	}
	return (n - o) / o * 100
}

func ratio(n, o float64) float64 {
	switch {
	case o == n:
		return 1
	case o == 0:
		return math.Inf(1)
	}
	return n / o
}

func fmtPct(p float64) string {
	if math.IsInf(p, 1) {
		return "+inf%"
	}
	return fmt.Sprintf("%+.1f%%", p)
}

// WriteMarkdown renders the diff as a Markdown delta table (readable as
// plain text too).
func (d LoadDiff) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# partcopy load comparison\n\n| Latency | Stat | Old (ms) | New (ms) | Delta (ms) | Delta |\n|---|---|--:|--:|--:|--:|\n")
	for _, l := range d.Latency {
		fmt.Fprintf(&b, "| %s | %s | %.2f | %.2f | %+.2f | %s |\n", l.Series, l.Stat, l.OldMs, l.NewMs, l.DeltaMs, fmtPct(l.DeltaPct))
	}
	fmt.Fprintf(&b, "\nThroughput: %.2f -> %.2f copies/s (ratio %.3f)\n", d.OldOpsPerSecond, d.NewOpsPerSecond, d.ThroughputRatio)
	fmt.Fprintf(&b, "Error rate: %.2f%% -> %.2f%%\n", d.OldErrorRatePct, d.NewErrorRatePct)
	for _, wn := range d.Warnings {
		fmt.Fprintf(&b, "\nWarning: %s\n", wn)
	}
	if len(d.Violations) == 0 {
		b.WriteString("\nGate: PASS (no threshold exceeded)\n")
	} else {
		b.WriteString("\nGate: FAIL\n\n")
		for _, v := range d.Violations {
			fmt.Fprintf(&b, "- %s\n", v)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
