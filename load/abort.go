package load

import (
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/partcopy/partcopy/reports"
)

// AbortCheck is an IntervalSink for --abort-on-fail: after every interval
// it asks whether a threshold can no longer be met whatever the rest of
// the run does, and if so closes Stop (pass it as Config.Stop) and keeps
// the threshold's expression as Reason.
//
// "Can no longer be met" is judged against the run's planned number of
// copies: rate x duration in the open loop (known in advance), the copies
// so far projected over the whole duration in the closed loop. errors<X
// fails once the failures exceed X of the plan; failed<N once there are N;
// a latency pNN<L once more than (100-NN)% of the plan took L or longer
// (max<L at the first such copy); throughput>R (open loop) once even every
// remaining copy succeeding would not reach R. Thresholds it cannot
// decide early (mean, ">" on latency, "<" on throughput) wait for the end.
type AbortCheck struct {
	ts       []reports.Threshold
	planned  func(iv *Interval) float64
	duration time.Duration
	rate     float64
	stop     chan struct{}
	once     sync.Once
	hists    map[string]*hdrhistogram.Histogram

	mu     sync.Mutex
	reason string
}

// NewAbortCheck returns the check for ts on a run configured by cfg.
func NewAbortCheck(ts []reports.Threshold, cfg Config) *AbortCheck {
	c := &AbortCheck{ts: ts, duration: cfg.Duration, rate: cfg.Rate, stop: make(chan struct{}),
		hists: map[string]*hdrhistogram.Histogram{}}
	if cfg.Rate > 0 {
		p := cfg.withDefaults().Pacer
		n := float64(countDue(p, 0, cfg.Duration))
		c.planned = func(iv *Interval) float64 { return max(n, float64(iv.SoFar.Ops)) }
	} else {
		c.planned = func(iv *Interval) float64 {
			el := (iv.Offset + iv.End.Sub(iv.Start)).Seconds()
			if el <= 0 {
				return float64(iv.SoFar.Ops)
			}
			return max(float64(iv.SoFar.Ops), float64(iv.SoFar.Ops)/el*cfg.Duration.Seconds())
		}
	}
	for _, t := range ts {
		if s := t.Series(); s != "" && c.hists[s] == nil {
			c.hists[s] = NewHistogram()
		}
	}
	return c
}

// Stop is closed when a threshold can no longer be met.
func (c *AbortCheck) Stop() <-chan struct{} { return c.stop }

// Reason is the expression of the threshold that stopped the run, "" if
// none did.
func (c *AbortCheck) Reason() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reason
}

// Interval folds iv into the running figures and checks every threshold.
func (c *AbortCheck) Interval(iv *Interval) error {
	for s, h := range c.hists {
		if src := intervalSeries(iv, s); src != nil {
			h.Merge(src)
		}
	}
	if c.Reason() != "" {
		return nil
	}
	n := c.planned(iv)
	for _, t := range c.ts {
		if c.lost(t, iv, n) {
			c.mu.Lock()
			c.reason = t.Expr
			c.mu.Unlock()
			c.once.Do(func() { close(c.stop) })
			return nil
		}
	}
	return nil
}

// intervalSeries is iv's histogram of a threshold's latency series.
func intervalSeries(iv *Interval, s string) *hdrhistogram.Histogram {
	switch s {
	case "total":
		return iv.Total
	case "ttfb":
		return iv.TTFB
	case "uncorrected":
		return iv.Uncorrected
	case "failed":
		return iv.Failed
	case "lag":
		return iv.Lag
	}
	return nil
}

// lost reports whether t can no longer be met with n copies planned.
func (c *AbortCheck) lost(t reports.Threshold, iv *Interval, n float64) bool {
	so := iv.SoFar
	lessOnly := t.Op == "<" || t.Op == "<="
	switch t.Metric {
	case "errors":
		// The final rate is at least failed/n.
		return lessOnly && n > 0 && !t.Met(100*float64(so.Failed)/n)
	case "failed":
		return lessOnly && !t.Met(float64(so.Failed))
	case "throughput":
		if t.Op[0] != '>' || c.rate <= 0 || c.duration <= 0 {
			return false
		}
		best := float64(so.Succeeded) + max(0, n-float64(so.Ops))
		return !t.Met(best / c.duration.Seconds())
	case "bytes":
		if t.Op[0] != '>' || c.rate <= 0 || c.duration <= 0 || so.Succeeded == 0 {
			return false
		}
		per := float64(so.Bytes) / float64(so.Succeeded)
		best := float64(so.Bytes) + per*max(0, n-float64(so.Ops))
		return !t.Met(best / c.duration.Seconds())
	}
	h := c.hists[t.Series()]
	p := t.Percentile()
	if h == nil || !lessOnly || p < 0 {
		return false
	}
	total := float64(h.TotalCount())
	if total == 0 {
		return false
	}
	if p >= 100 {
		return !t.Met(nsToMs(h.Max()))
	}
	// Lost when more than allowed copies already break the limit: then the
	// (total-allowed)-th smallest value breaks it. ValueAtQuantile finds it
	// without walking the histogram into a slice.
	allowed := (1 - p/100) * n
	if allowed >= total {
		return false
	}
	return !t.Met(nsToMs(h.ValueAtQuantile(100 * (1 - allowed/total))))
}
