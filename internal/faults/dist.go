package faults

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// distribution is a latency distribution: fixed, uniform(min,max),
// exp(mean) or normal(mean,stddev).
type distribution struct {
	kind string // "fixed", "uniform", "exp", "normal"
	a, b time.Duration
}

func parseDistribution(s string) (distribution, error) {
	s = strings.TrimSpace(s)
	open := strings.IndexByte(s, '(')
	if open < 0 {
		d, err := parseDuration("latency", s)
		if err != nil {
			return distribution{}, fmt.Errorf("%w, or uniform(min,max), exp(mean), normal(mean,stddev)", err)
		}
		return distribution{kind: "fixed", a: d}, nil
	}
	if !strings.HasSuffix(s, ")") {
		return distribution{}, fmt.Errorf("bad distribution %q: missing closing parenthesis", s)
	}
	name := strings.ToLower(strings.TrimSpace(s[:open]))
	args := strings.Split(s[open+1:len(s)-1], ",")
	durs := make([]time.Duration, len(args))
	for i, a := range args {
		d, err := parseDuration(name+" argument", a)
		if err != nil {
			return distribution{}, err
		}
		durs[i] = d
	}
	want := func(n int, form string) error {
		if len(durs) != n {
			return fmt.Errorf("bad distribution %q (want %s)", s, form)
		}
		return nil
	}
	switch name {
	case "uniform":
		if err := want(2, "uniform(min,max)"); err != nil {
			return distribution{}, err
		}
		if durs[0] > durs[1] {
			return distribution{}, fmt.Errorf("bad distribution %q: min > max", s)
		}
		return distribution{kind: "uniform", a: durs[0], b: durs[1]}, nil
	case "exp", "exponential":
		if err := want(1, "exp(mean)"); err != nil {
			return distribution{}, err
		}
		return distribution{kind: "exp", a: durs[0]}, nil
	case "normal", "norm":
		if err := want(2, "normal(mean,stddev)"); err != nil {
			return distribution{}, err
		}
		return distribution{kind: "normal", a: durs[0], b: durs[1]}, nil
	}
	return distribution{}, fmt.Errorf("unknown distribution %q (want a duration, uniform(min,max), exp(mean) or normal(mean,stddev))", name)
}

func (d distribution) String() string {
	switch d.kind {
	case "uniform", "normal":
		return fmt.Sprintf("%s(%s,%s)", d.kind, d.a, d.b)
	case "exp":
		return fmt.Sprintf("exp(%s)", d.a)
	}
	return d.a.String()
}

// sample draws one delay. Normal draws below zero are clamped to zero and
// every draw is capped at maxDuration so that a long tail cannot wedge a
// request forever.
func (d distribution) sample(rng *rand.Rand) time.Duration {
	var v float64
	switch d.kind {
	case "uniform":
		v = float64(d.a) + rng.Float64()*float64(d.b-d.a)
	case "exp":
		v = rng.ExpFloat64() * float64(d.a)
	case "normal":
		v = float64(d.a) + rng.NormFloat64()*float64(d.b)
	default:
		v = float64(d.a)
	}
	v = math.Max(0, math.Min(v, float64(maxDuration)))
	return time.Duration(v)
}

// stallWait returns how long a request arriving at now must wait under a
// stall of freeze out of every period, with periods anchored at start: the
// freeze is [start+k*period, start+k*period+freeze) for every integer k
// (also before start, so the schedule does not depend on when the proxy
// was started relative to the anchor).
func stallWait(start, now time.Time, freeze, period time.Duration) time.Duration {
	off := now.Sub(start) % period
	if off < 0 {
		off += period
	}
	if off < freeze {
		return freeze - off
	}
	return 0
}
