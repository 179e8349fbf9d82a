package reports

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// A Threshold is an absolute gate on one metric of a load run, written as
// METRIC OP VALUE, for example:
//
//	p99<200ms  p99.9<1s  ttfb.p99<50ms  uncorrected.p50<=2ms  lag.p99<5ms
//	max<2s  mean<10ms  errors<0.1%  failed<10  throughput>150/s
//	bytes>400MiB/s
//
// Latency metrics are [SERIES.]STAT: SERIES is total (the default: from the
// intended start, successful copies only), ttfb, uncorrected, failed (the
// failed copies' latency) or lag (the generator's own lag); STAT is pNN
// (any percentile in (0,100], p100 = max), max or mean. Their value is a
// duration (ns, us, ms, s, m; a bare number is milliseconds). errors is
// failed/total copies, as a percentage (0.1%) or a fraction (0.001); failed
// is the count of failed copies; throughput is successful copies per second
// (the "/s" is optional); bytes is bytes copied per second (a size with
// "/s": 400MiB/s, 1.5GB/s). OP is <, <=, > or >=.
type Threshold struct {
	// Expr is the expression as written (trimmed).
	Expr string `json:"expr"`
	// Metric is the normalized metric name: "total.p99", "ttfb.p99.9",
	// "lag.max", "errors", "failed", "throughput", "bytes".
	Metric string `json:"metric"`
	// Op is "<", "<=", ">" or ">=".
	Op string `json:"op"`
	// Limit is in Unit.
	Limit float64 `json:"limit"`
	// Unit is ThresholdUnitMs, ThresholdUnitPct, ThresholdUnitCount,
	// ThresholdUnitOps or ThresholdUnitBytes.
	Unit string `json:"unit"`

	series string  // latency series, "" for counters
	pct    float64 // percentile; -1 mean
}

// Units of threshold values.
const (
	ThresholdUnitMs    = "ms"
	ThresholdUnitPct   = "%"
	ThresholdUnitCount = "copies"
	ThresholdUnitOps   = "copies/s"
	ThresholdUnitBytes = "B/s"
)

// ThresholdResult is one threshold evaluated on a run: load.json's
// thresholds[].
type ThresholdResult struct {
	Expr   string  `json:"expr"`
	Metric string  `json:"metric,omitempty"`
	Value  float64 `json:"value"`
	Limit  float64 `json:"limit,omitempty"`
	Unit   string  `json:"unit,omitempty"`
	OK     bool    `json:"ok"`
	// Note says why a value could not be measured (no successful copy for
	// a latency), or that the generator was limited.
	Note string `json:"note,omitempty"`
}

// Series is the latency series a latency threshold is on ("total",
// "ttfb", "uncorrected", "failed", "lag"); "" for the counters.
func (t Threshold) Series() string { return t.series }

// Percentile is a latency threshold's percentile (100 for max, -1 for the
// mean).
func (t Threshold) Percentile() float64 { return t.pct }

// Latency series a threshold can name.
var thresholdSeries = map[string]bool{"total": true, "ttfb": true, "uncorrected": true, "failed": true, "lag": true}

// ParseThresholds parses each of exprs; an entry may hold several
// expressions separated by commas ("p99<200ms,errors<0.1%").
func ParseThresholds(exprs []string) ([]Threshold, error) {
	var out []Threshold
	for _, e := range exprs {
		for _, part := range strings.Split(e, ",") {
			if strings.TrimSpace(part) == "" {
				continue
			}
			t, err := ParseThreshold(part)
			if err != nil {
				return nil, err
			}
			out = append(out, t)
		}
	}
	return out, nil
}

// ParseThreshold parses one expression (see Threshold).
func ParseThreshold(expr string) (Threshold, error) {
	s := strings.TrimSpace(expr)
	t := Threshold{Expr: s}
	i := strings.IndexAny(s, "<>")
	if i <= 0 {
		return t, fmt.Errorf("threshold %q: want METRIC<VALUE or METRIC>VALUE, e.g. p99<200ms, errors<0.1%%, throughput>150/s", expr)
	}
	t.Op = s[i : i+1]
	rest := s[i+1:]
	if strings.HasPrefix(rest, "=") {
		t.Op += "="
		rest = rest[1:]
	}
	metric := strings.ToLower(strings.TrimSpace(s[:i]))
	val := strings.TrimSpace(rest)
	if val == "" {
		return t, fmt.Errorf("threshold %q: no value after %s", expr, t.Op)
	}
	bad := func(format string, a ...any) (Threshold, error) {
		return t, fmt.Errorf("threshold %q: %s", expr, fmt.Sprintf(format, a...))
	}
	var err error
	switch metric {
	case "errors", "error", "error-rate", "errors.rate":
		t.Metric, t.Unit = "errors", ThresholdUnitPct
		if strings.HasSuffix(val, "%") {
			t.Limit, err = finiteNumber(strings.TrimSuffix(val, "%"))
		} else {
			t.Limit, err = finiteNumber(val)
			if err == nil && t.Limit > 1 {
				return bad("an error rate is a percentage (0.1%%) or a fraction of 1 (0.001), not %s", val)
			}
			t.Limit *= 100
		}
		if err == nil && t.Limit > 100 {
			return bad("an error rate above 100%% is always met")
		}
	case "failed", "failures":
		t.Metric, t.Unit = "failed", ThresholdUnitCount
		t.Limit, err = finiteNumber(val)
	case "throughput", "rate", "copies":
		t.Metric, t.Unit = "throughput", ThresholdUnitOps
		t.Limit, err = finiteNumber(strings.TrimSuffix(val, "/s"))
	case "bytes", "bandwidth":
		t.Metric, t.Unit = "bytes", ThresholdUnitBytes
		if !strings.HasSuffix(val, "/s") {
			return bad("bytes per second need /s, e.g. 400MiB/s")
		}
		t.Limit, err = parseByteSize(strings.TrimSuffix(val, "/s"))
	default:
		series, stat := "total", metric
		if j := strings.Index(metric, "."); j > 0 && thresholdSeries[metric[:j]] {
			series, stat = metric[:j], metric[j+1:]
		}
		switch {
		case stat == "max":
			t.pct = 100
		case stat == "mean" || stat == "avg":
			stat, t.pct = "mean", -1
		case strings.HasPrefix(stat, "p"):
			p, perr := finiteNumber(stat[1:])
			if perr != nil || p <= 0 || p > 100 {
				return bad("%s is not a percentile: use p50, p99, p99.9 (in (0,100]), max or mean", stat)
			}
			t.pct = p
			stat = "p" + strconv.FormatFloat(p, 'f', -1, 64)
			if p == 100 {
				stat = "max"
			}
		default:
			return bad("unknown metric %q: use pNN, max, mean (optionally after ttfb., uncorrected., failed., lag.), errors, failed, throughput or bytes", metric)
		}
		t.series, t.Metric, t.Unit = series, series+"."+stat, ThresholdUnitMs
		t.Limit, err = parseThresholdDuration(val)
	}
	if err != nil {
		return t, fmt.Errorf("threshold %q: %w", expr, err)
	}
	if t.Limit < 0 {
		return bad("the value must not be negative")
	}
	return t, nil
}

// finiteNumber parses a float and refuses NaN and infinities.
func finiteNumber(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a finite number", s)
	}
	return v, nil
}

// parseThresholdDuration reads "200ms", "1s", "1.5s", "50us", "250" (ms)
// and returns milliseconds.
func parseThresholdDuration(s string) (float64, error) {
	units := []struct {
		suffix string
		ms     float64
	}{{"ns", 1e-6}, {"us", 1e-3}, {"µs", 1e-3}, {"ms", 1}, {"s", 1e3}, {"m", 60e3}}
	t := strings.TrimSpace(s)
	mult := 1.0
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSuffix(t, u.suffix), u.ms
			break
		}
	}
	v, err := finiteNumber(t)
	if err != nil {
		if strings.Contains(err.Error(), "finite") {
			return 0, err
		}
		return 0, fmt.Errorf("%q is not a duration (use 200ms, 1s, 50us)", s)
	}
	return v * mult, nil
}

// parseByteSize reads "400MiB", "1.5GB", "1024" and returns bytes.
func parseByteSize(s string) (float64, error) {
	units := []struct {
		suffix string
		mult   float64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1},
	}
	t := strings.TrimSpace(s)
	mult := 1.0
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSuffix(t, u.suffix), u.mult
			break
		}
	}
	v, err := finiteNumber(t)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size (use 400MiB, 1.5GB or bytes)", s)
	}
	return v * mult, nil
}

// Quantiler gives a latency series' percentile p (0..100; -1 for the mean)
// in milliseconds from the run's histograms, for percentiles the summary
// does not hold. ok is false when the series has no samples.
type Quantiler func(series string, p float64) (ms float64, ok bool)

// seriesLatency returns l's summary of series.
func seriesLatency(l Load, series string) (Latency, bool) {
	switch series {
	case "total":
		return l.LatencyMs.Total, true
	case "ttfb":
		return l.LatencyMs.TTFB, true
	case "uncorrected":
		return l.LatencyMs.Uncorrected, true
	case "failed":
		if l.LatencyMs.Failed != nil {
			return *l.LatencyMs.Failed, true
		}
	case "lag":
		if l.Generator != nil {
			return l.Generator.LagMs, true
		}
	}
	return Latency{}, false
}

// summaryValue is p's value from a summary, when the summary holds it
// exactly.
func summaryValue(x Latency, p float64) (float64, bool) {
	switch p {
	case -1:
		return x.Mean, true
	case 50:
		return x.P50, true
	case 90:
		return x.P90, true
	case 99:
		return x.P99, true
	case 99.9:
		return x.P999, true
	case 100:
		return x.Max, true
	}
	for _, d := range x.Distribution {
		if math.Abs(d.Percentile-p) < 1e-9 {
			return d.ValueMs, true
		}
	}
	return 0, false
}

// Measure returns t's metric on l. q, if not nil, gives percentiles the
// summary lacks. ok is false when the value cannot be measured: a latency
// of a series without samples, or a percentile neither the summary nor q
// holds.
func (t Threshold) Measure(l Load, q Quantiler) (v float64, ok bool, note string) {
	switch t.Metric {
	case "errors":
		return 100 * l.Ops.ErrorRate(), true, ""
	case "failed":
		return float64(l.Ops.Failed), true, ""
	case "throughput":
		return l.Throughput.OpsPerSecond, true, ""
	case "bytes":
		return l.Throughput.BytesPerSecond, true, ""
	}
	x, have := seriesLatency(l, t.series)
	if !have || x.Count == 0 {
		return 0, false, "no samples of " + t.series + " latency"
	}
	if v, ok := summaryValue(x, t.pct); ok {
		return v, true, ""
	}
	if q != nil {
		if v, ok := q(t.series, t.pct); ok {
			return v, true, ""
		}
	}
	return 0, false, fmt.Sprintf("the report holds no p%s of %s latency (saved reports hold p50, p90, p99, p99.9, max, mean)",
		strconv.FormatFloat(t.pct, 'f', -1, 64), t.series)
}

// Met reports whether v satisfies t.
func (t Threshold) Met(v float64) bool {
	switch t.Op {
	case "<":
		return v < t.Limit
	case "<=":
		return v <= t.Limit
	case ">":
		return v > t.Limit
	case ">=":
		return v >= t.Limit
	}
	return false
}

// Evaluate measures t on l. A value that cannot be measured fails the
// threshold (a gate must not pass on missing data).
func (t Threshold) Evaluate(l Load, q Quantiler) ThresholdResult {
	v, ok, note := t.Measure(l, q)
	r := ThresholdResult{Expr: t.Expr, Metric: t.Metric, Value: v, Limit: t.Limit, Unit: t.Unit, OK: ok && t.Met(v), Note: note}
	if l.Generator != nil && l.Generator.Limited && r.Note == "" {
		r.Note = "generator limited"
	}
	return r
}

// EvaluateThresholds evaluates every threshold on l (see Evaluate).
func EvaluateThresholds(ts []Threshold, l Load, q Quantiler) []ThresholdResult {
	out := make([]ThresholdResult, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.Evaluate(l, q))
	}
	return out
}

// ThresholdsPassed reports whether every result is ok (true for none).
func ThresholdsPassed(rs []ThresholdResult) bool {
	for _, r := range rs {
		if !r.OK {
			return false
		}
	}
	return true
}

// FormatThresholdValue renders a measured value in its unit: "48.20 ms",
// "50.00%", "150.3 copies/s", "400.0 MiB/s", "12 copies".
func FormatThresholdValue(v float64, unit string) string {
	switch unit {
	case ThresholdUnitMs:
		return fmtDurationMs(v)
	case ThresholdUnitPct:
		return fmt.Sprintf("%.3g%%", v)
	case ThresholdUnitCount:
		return fmt.Sprintf("%.0f copies", v)
	case ThresholdUnitOps:
		return fmt.Sprintf("%.1f copies/s", v)
	case ThresholdUnitBytes:
		return fmtBytes(v) + "/s"
	}
	return fmtNum(v)
}

func fmtDurationMs(v float64) string {
	switch {
	case v >= 1000:
		return fmt.Sprintf("%.3g s", v/1000)
	case v >= 1:
		return fmt.Sprintf("%.3g ms", v)
	}
	return fmt.Sprintf("%.3g us", v*1000)
}

// Line renders r as one ✓/✗ line: "✗ errors<1%  measured 50%".
func (r ThresholdResult) Line() string {
	mark := "✓"
	if !r.OK {
		mark = "✗"
	}
	s := fmt.Sprintf("%s %-24s measured %s", mark, r.Expr, FormatThresholdValue(r.Value, r.Unit))
	if r.Note != "" {
		s += " (" + r.Note + ")"
	}
	return s
}

// ThresholdVerdict is the one verdict line over results: "PASS (3
// thresholds)" or "FAIL (1 of 3 thresholds)", saying when the generator
// was limited (a limited run never passes silently).
func ThresholdVerdict(rs []ThresholdResult, limited bool) string {
	failed := 0
	for _, r := range rs {
		if !r.OK {
			failed++
		}
	}
	v := fmt.Sprintf("PASS (%d threshold%s met)", len(rs), plural(len(rs)))
	if failed > 0 {
		v = fmt.Sprintf("FAIL (%d of %d threshold%s not met)", failed, len(rs), plural(len(rs)))
	}
	if limited {
		v += "; the generator was limited, so the latency figures include its own lag"
	}
	return v
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
