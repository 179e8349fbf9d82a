package load

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/partcopy/partcopy/reports"
)

// CapacityOptions configures a capacity search (Capacity).
type CapacityOptions struct {
	// SLO is what every step must meet.
	SLO []reports.Threshold
	// StartRate is the first offered rate (copies/s); each probe step
	// multiplies it by Factor (default 2) until the SLO breaks, then the
	// search bisects until the bracket is narrower than Resolution (a
	// fraction of the lower end; default 0.05). MaxRate caps the probe.
	StartRate, Factor, Resolution, MaxRate float64
	// Warmup of every step is discarded; Measure is judged.
	Warmup, Measure time.Duration
	// MaxInFlight bounds every open-loop step (default DefaultMaxInFlight).
	MaxInFlight int
	// Repeats is how many times an inconclusive step runs at most
	// (default 3): one whose generator was limited (CPU or timer), or
	// whose latency is within 5% of a limit.
	Repeats int
	// Concurrency lists the closed-loop sweep's worker counts (none: no
	// sweep). The USL is fitted to their throughput.
	Concurrency []int
	// PartSize is the bytes one copy copies (for bytes/s).
	PartSize int64
	// Interval is the metrics interval inside a step (default 250 ms).
	Interval time.Duration
	// Progress is told every finished step.
	Progress func(reports.CapacityStep)
}

func (o CapacityOptions) withDefaults() CapacityOptions {
	if o.Factor <= 1 {
		o.Factor = 2
	}
	if o.Resolution <= 0 {
		o.Resolution = 0.05
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = DefaultMaxInFlight
	}
	if o.Repeats <= 0 {
		o.Repeats = 3
	}
	if o.Interval <= 0 {
		o.Interval = 250 * time.Millisecond
	}
	return o
}

// Validate checks the options.
func (o CapacityOptions) Validate() error {
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
	switch {
	case len(o.SLO) == 0:
		return errors.New("give an SLO, e.g. --slo 'p99<200ms,errors<0.1%'")
	case bad(o.StartRate) || bad(o.Factor) || bad(o.Resolution) || bad(o.MaxRate):
		return errors.New("rates, factor and resolution must be finite")
	case o.StartRate <= 0 && len(o.Concurrency) == 0:
		return errors.New("give a start rate (> 0) or a concurrency sweep")
	case o.StartRate < 0 || o.MaxRate < 0 || o.Resolution < 0 || o.Resolution >= 1:
		return errors.New("start rate and max rate must be positive, resolution in (0, 1), e.g. 5%")
	case o.Factor != 0 && o.Factor <= 1:
		return errors.New("the step factor must be > 1")
	case o.Measure <= 0 || o.Warmup < 0:
		return errors.New("the measurement window must be > 0 and the warm-up not negative")
	}
	for _, c := range o.Concurrency {
		if c < 1 {
			return fmt.Errorf("concurrency %d: every sweep point must be >= 1", c)
		}
	}
	return nil
}

// windowSink keeps the figures of the intervals that end after the
// warm-up: the step's measurement window. It is one run with the warm-up,
// so the window starts in the steady state (the pipeline already full), and
// its last interval holds the drain.
type windowSink struct {
	from                            time.Duration
	total, ttfb, uncor, failed, lag *hdrhistogram.Histogram
	counts                          Counts
	dur                             time.Duration
}

func newWindowSink(from time.Duration) *windowSink {
	return &windowSink{from: from, total: NewHistogram(), ttfb: NewHistogram(), uncor: NewHistogram(), failed: NewHistogram(), lag: NewHistogram()}
}

func (w *windowSink) Interval(iv *Interval) error {
	// An interval belongs to the window when it ends after the warm-up:
	// the one that straddles it is kept (a starved machine makes intervals
	// long, and dropping it could drop the whole window).
	if iv.Offset+iv.End.Sub(iv.Start) <= w.from {
		return nil
	}
	w.total.Merge(iv.Total)
	w.ttfb.Merge(iv.TTFB)
	w.uncor.Merge(iv.Uncorrected)
	w.failed.Merge(iv.Failed)
	w.lag.Merge(iv.Lag)
	w.counts.add(iv.Counts)
	w.dur += iv.End.Sub(iv.Start)
	return nil
}

// load is the window as a report, for the thresholds.
func (w *windowSink) load(run *Run) reports.Load {
	secs := w.dur.Seconds()
	per := func(n int64) float64 {
		if secs <= 0 {
			return 0
		}
		return float64(n) / secs
	}
	g := run.Generator()
	g.LagMs = reports.LatencyFromHistogram(w.lag, 1e-6)
	fl := reports.LatencyFromHistogram(w.failed, 1e-6)
	return reports.Load{
		Ops:        reports.LoadOps{Total: w.counts.Ops, Succeeded: w.counts.Succeeded, Failed: w.counts.Failed, LateStarts: w.counts.LateStarts},
		Throughput: reports.Throughput{OpsPerSecond: per(w.counts.Succeeded), BytesPerSecond: per(w.counts.Bytes)},
		LatencyMs: reports.LatencySet{Total: reports.LatencyFromHistogram(w.total, 1e-6), TTFB: reports.LatencyFromHistogram(w.ttfb, 1e-6),
			Uncorrected: reports.LatencyFromHistogram(w.uncor, 1e-6), Failed: &fl},
		Generator: &g, LatencyOf: reports.LatencyOfSucceeded, DurationSeconds: secs,
	}
}

func (w *windowSink) quantiler() reports.Quantiler {
	r := &Run{Snapshot: Snapshot{Total: w.total, TTFB: w.ttfb, Uncorrected: w.uncor, Failed: w.failed, Lag: w.lag}}
	return r.Quantiler()
}

// ErrInterrupted is returned (with the partial result) when ctx was
// cancelled during a capacity search.
var ErrInterrupted = errors.New("interrupted")

// Capacity runs the open-loop search and the closed-loop sweep of o
// against sc and returns every step. It returns ErrInterrupted, with the
// steps so far, when ctx is cancelled.
func Capacity(ctx context.Context, sc Scenario, o CapacityOptions) (reports.Capacity, error) {
	if err := o.Validate(); err != nil {
		return reports.Capacity{}, err
	}
	o = o.withDefaults()
	c := reports.Capacity{Schema: reports.CapacitySchema, GeneratedAt: time.Now().UTC(), PartSize: o.PartSize,
		StartRate: o.StartRate, Factor: o.Factor, Resolution: o.Resolution,
		WarmupSeconds: o.Warmup.Seconds(), MeasureSeconds: o.Measure.Seconds()}
	for _, t := range o.SLO {
		c.SLO = append(c.SLO, t.Expr)
	}
	record := func(s reports.CapacityStep) {
		c.Steps = append(c.Steps, s)
		c.GeneratorLimited = c.GeneratorLimited || s.GeneratorLimited
		if o.Progress != nil {
			o.Progress(s)
		}
	}
	// judge runs one step, repeating it while inconclusive; the verdict is
	// the majority of its attempts (the last breaks a tie).
	judge := func(phase string, rate float64, conc int) (reports.CapacityStep, error) {
		var last reports.CapacityStep
		passes, runs := 0, 0
		for attempt := 1; attempt <= o.Repeats; attempt++ {
			s, err := capacityStep(ctx, sc, o, phase, rate, conc)
			if err != nil {
				return s, err
			}
			s.Attempt = attempt
			record(s)
			runs++
			if s.Pass {
				passes++
			}
			last = s
			if !s.Inconclusive {
				break
			}
		}
		last.Pass = passes*2 > runs || (passes*2 == runs && last.Pass)
		return last, nil
	}

	if o.StartRate > 0 {
		var lo, hi float64 // last pass, first fail
		var loStep, hiStep reports.CapacityStep
		rate := o.StartRate
		for {
			s, err := judge(reports.PhaseProbe, rate, 0)
			if err != nil {
				return finishCapacity(c, lo, loStep, hi, hiStep), err
			}
			if !s.Pass {
				hi, hiStep = rate, s
				break
			}
			lo, loStep = rate, s
			if o.MaxRate > 0 && rate >= o.MaxRate {
				c.Capped = true
				break
			}
			rate *= o.Factor
			if o.MaxRate > 0 {
				rate = math.Min(rate, o.MaxRate)
			}
		}
		for lo > 0 && hi > 0 && (hi-lo)/lo > o.Resolution {
			mid := (lo + hi) / 2
			s, err := judge(reports.PhaseBisect, mid, 0)
			if err != nil {
				return finishCapacity(c, lo, loStep, hi, hiStep), err
			}
			if s.Pass {
				lo, loStep = mid, s
			} else {
				hi, hiStep = mid, s
			}
		}
		c = finishCapacity(c, lo, loStep, hi, hiStep)
	}

	if len(o.Concurrency) > 0 {
		var ns, xs []float64
		for _, n := range o.Concurrency {
			s, err := capacityStep(ctx, sc, o, reports.PhaseSweep, 0, n)
			if err != nil {
				return c, err
			}
			s.Attempt = 1
			record(s)
			ns, xs = append(ns, float64(n)), append(xs, s.OpsPerSecond)
		}
		if u, err := reports.FitUSL(ns, xs); err == nil {
			c.USL = &u
		} else {
			c.USLError = err.Error()
		}
	}
	return c, nil
}

func finishCapacity(c reports.Capacity, lo float64, loStep reports.CapacityStep, hi float64, hiStep reports.CapacityStep) reports.Capacity {
	if lo > 0 {
		c.Found = true
		c.MaxSustainableRate = lo
		c.MaxSustainableBytesPerSecond = loStep.BytesPerSecond
	}
	if hi > 0 && lo > 0 {
		k := hiStep
		c.Knee = &k
	}
	return c
}

// minCompletedShare is the share of the offered rate a step must
// complete (over its window and drain) to count as sustained.
const minCompletedShare = 0.95

// closeToLimit is how near a latency must be to its limit for a step to
// count as inconclusive (noise decides it).
const closeToLimit = 0.05

// capacityStep runs one step: open loop at rate, or closed loop with conc
// workers, for warm-up + measurement, and judges the measurement window.
func capacityStep(ctx context.Context, sc Scenario, o CapacityOptions, phase string, rate float64, conc int) (reports.CapacityStep, error) {
	w := newWindowSink(o.Warmup)
	cfg := Config{Duration: o.Warmup + o.Measure, Rate: rate, Concurrency: conc, Interval: o.Interval, Sinks: []IntervalSink{w}}
	if rate > 0 {
		cfg.MaxInFlight = o.MaxInFlight
		// Copies still in flight after the window are the backlog of an
		// overloaded endpoint: give them a bounded drain.
		cfg.Drain = max(o.Measure, time.Second)
	} else {
		cfg.Drain = max(o.Measure, time.Second)
	}
	s := reports.CapacityStep{Phase: phase, OfferedRate: rate, Concurrency: conc}
	run, err := Attack(ctx, sc, cfg)
	if run == nil {
		return s, err
	}
	if run.Interrupted || ctx.Err() != nil {
		return s, ErrInterrupted
	}
	l := w.load(run)
	s.DurationSeconds = l.DurationSeconds
	s.Ops, s.Failed, s.ErrorRatePct = l.Ops.Total, l.Ops.Failed, 100*l.Ops.ErrorRate()
	s.OpsPerSecond, s.BytesPerSecond = l.Throughput.OpsPerSecond, l.Throughput.BytesPerSecond
	s.P50Ms, s.P99Ms, s.LagP99Ms = l.LatencyMs.Total.P50, l.LatencyMs.Total.P99, l.Generator.LagMs.P99
	g := run.Generator()
	s.GeneratorLimited = g.Limited
	if phase == reports.PhaseSweep {
		s.Pass = true
		return s, err
	}
	s.Thresholds = reports.EvaluateThresholds(o.SLO, l, w.quantiler())
	s.Pass = reports.ThresholdsPassed(s.Thresholds)
	for _, t := range s.Thresholds {
		if !t.OK {
			s.Reason = fmt.Sprintf("%s measured %s", t.Expr, reports.FormatThresholdValue(t.Value, t.Unit))
			break
		}
	}
	// An open-loop rate is sustained only if it is also completed: a
	// queue that grows throughout the window is not sustainable.
	if s.Pass && s.OpsPerSecond < minCompletedShare*rate {
		s.Pass = false
		s.Reason = fmt.Sprintf("completed %.1f of %.1f copies/s offered", s.OpsPerSecond, rate)
	}
	// Inconclusive: the generator, not the endpoint, may have decided it
	// (limited by CPU or timers; an in-flight cap reached is the
	// endpoint's saturation), or a latency sits within 5% of its limit.
	for _, cause := range g.Causes {
		if g.Limited && (cause == reports.GenCPUStarved || cause == reports.GenTimerSlack) {
			s.Inconclusive = true
			s.Reason = joinReason(s.Reason, "generator limited ("+cause+")")
		}
	}
	for _, t := range s.Thresholds {
		if t.Unit == reports.ThresholdUnitMs && t.Limit > 0 && math.Abs(t.Value-t.Limit) <= closeToLimit*t.Limit {
			s.Inconclusive = true
			s.Reason = joinReason(s.Reason, t.Expr+" within 5% of its limit")
		}
	}
	return s, err
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
