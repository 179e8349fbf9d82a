package load

import (
	"context"
	"fmt"
	"math"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/load/nulls3"
)

// TestStallPercentiles checks the coordinated-omission correction against
// an analytic model. The fault proxy freezes every copy that arrives during
// the first F = 400 ms of every P = 2 s until the freeze ends; the generator
// sends R = 50 copies/s for 4 s (two periods), the periods anchored at the
// run's start.
//
// Analytic model: copies are due every 1/R = 20 ms, at offsets u = 0, 20,
// ..., 1980 ms into each period. A copy due at u < F waits F - u; the others
// take only the service time s. So P(L > x) = (F - x)/P for 0 < x < F:
//
//	p90: (F - x)/P = 0.10  =>  x = F - 0.10 P = 400 - 200 = 200 ms
//	p99: (F - x)/P = 0.01  =>  x = F - 0.01 P = 400 -  20 = 380 ms
//
// (on the discrete grid of 2 x 100 copies the same values: the 21st and 3rd
// largest). Case "one" allows a single copy in flight, as a single wrk2
// connection: the copy due at u = 0 holds the only slot until the freeze
// ends, and the copies due after it wait in the generator (late starts) and
// go out back to back, one service time s each, when it ends. The copy due
// at u then ends at F + (u R) s, so L(u) = F - u (1 - R s) and
//
//	p_q = F - (1 - q) P (1 - R s)
//
// which is the model above when s is negligible (R s = 1% at s = 0.2 ms;
// under -race on a busy machine, s is a few ms, hence the term). s is
// measured, not assumed: it is the median gap between the actual starts of
// consecutive held-back copies (drainCycle), i.e. the generator's cycle
// time while it drains. Corrected p90 and p99 must come out within 5% of p_q. Uncorrected latency, measured from
// the actual send, sees one slow copy per 100 (the one holding the slot):
// its p90 and p99 are service times, far below. Coordinated omission would
// have hidden the stall.
//
// Case "ample" is the control: up to 100 copies in flight, every copy goes
// out on time and the endpoint holds each one for its whole wait, so
// corrected and uncorrected agree. Its release burst (20 copies answered at
// once at the end of every freeze) costs a busy 2-core machine up to a few
// tens of ms under -race, so it is held to 25% above the model (at least
// 5% below it is wrong either way), not to the 5% bound.
//
// Noise on a shared machine is absolute (a scheduler hiccup of 20 ms is 20
// ms at any scale) while the model's values scale with the stall pattern.
// So when the 5% bound is missed, the case is run once more with every
// duration doubled (and the rate halved, keeping 100 copies per period)
// before it fails. A systematic error, such as measuring from the actual
// send, misses the bound at every scale. Under the race detector (copies
// several times slower, and hiccups of tens of ms on a busy 2-core machine)
// the run still happens, for the race coverage, but the bounds are one-sided:
// corrected must reach the model (the stall is charged in full) and
// uncorrected p90 must stay far below it.
func TestStallPercentiles(t *testing.T) {
	if testing.Short() {
		t.Skip("8 s of load")
	}
	for _, tc := range []struct {
		name        string
		maxInFlight int
		heldBack    bool
	}{
		{"one", 1, true},
		{"ample", 100, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, scale := range []int{1, 2} {
				misses := stallAttempt(t, scale, tc.maxInFlight, tc.heldBack)
				if len(misses) == 0 {
					return
				}
				for _, m := range misses {
					t.Logf("scale %d: %s", scale, m)
				}
			}
			t.Error("corrected percentiles missed the model at every time scale")
		})
	}
}

// stallAttempt runs one case of TestStallPercentiles at a time scale. It
// fails t for what no scale excuses (ops lost, uncorrected not below
// corrected) and returns the misses of the timing bounds.
func stallAttempt(t *testing.T, scale, maxInFlight int, heldBack bool) (misses []string) {
	t.Helper()
	var (
		rate     = 50.0 / float64(scale)
		freeze   = time.Duration(scale) * 400 * time.Millisecond
		period   = time.Duration(scale) * 2 * time.Second
		duration = 2 * period
	)
	model := func(q float64, s time.Duration) time.Duration {
		return freeze - time.Duration((1-q)*float64(period)*(1-rate*s.Seconds()))
	}
	null := nullServer(t)
	start := time.Now().Add(300 * time.Millisecond)
	proxy := faultServer(t, null.URL, start, "copy:stall="+freeze.String()+"/"+period.String())
	sc := newScenario(t, proxy.URL, Workload{SourceSize: 1 << 20}, maxInFlight)
	var mu sync.Mutex
	var starts []Result
	recorded := ScenarioFunc(func(ctx context.Context, h Hit, r *Result) {
		sc.Op(ctx, h, r)
		mu.Lock()
		starts = append(starts, *r)
		mu.Unlock()
	})
	run, err := Attack(context.Background(), recorded, Config{
		Duration: duration, Rate: rate, MaxInFlight: maxInFlight, Start: start, Drain: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	wantOps := int64(rate * duration.Seconds())
	// A copy still waiting for the one slot when the duration ends is not
	// sent (the duration ends the dispatch): possible only when the machine
	// held the run back; then the attempt is retried at a larger scale.
	if run.Counts.Ops+run.NotSent != wantOps || run.Counts.Failed != 0 {
		t.Fatalf("ops %d + not sent %d, failed %d (%v), want %d and 0", run.Counts.Ops, run.NotSent, run.Counts.Failed, run.Failures, wantOps)
	}
	if run.NotSent > 0 {
		return []string{fmt.Sprintf("%d copies not sent by the end of the duration", run.NotSent)}
	}
	q := func(h interface{ ValueAtQuantile(float64) int64 }, p float64) time.Duration {
		return time.Duration(h.ValueAtQuantile(p))
	}
	c90, c99 := q(run.Total, 90), q(run.Total, 99)
	u50, u90, u99 := q(run.Uncorrected, 50), q(run.Uncorrected, 90), q(run.Uncorrected, 99)
	s := time.Duration(0)
	if heldBack {
		s = drainCycle(starts)
	}
	m90, m99 := model(0.90, s), model(0.99, s)
	t.Logf("scale %d: corrected p90 %v p99 %v; model (s = %v) %v %v; uncorrected p50 %v p90 %v p99 %v; late starts %d",
		scale, c90, c99, s, m90, m99, u50, u90, u99, run.Counts.LateStarts)
	below, above := 0.05, 0.05
	if !heldBack {
		above = 0.25
	}
	if raceEnabled {
		above = math.Inf(1)
	}
	for _, c := range []struct {
		name      string
		got, want time.Duration
	}{{"p90", c90, m90}, {"p99", c99, m99}} {
		if d := float64(c.got-c.want) / float64(c.want); d < -below || d > above {
			misses = append(misses, fmt.Sprintf("corrected %s = %v, model %v: off by %+.1f%% (allowed -%.0f%% .. +%.0f%%)",
				c.name, c.got, c.want, 100*d, 100*below, 100*above))
		}
	}
	if heldBack {
		if u90 > c90/5 || (!raceEnabled && u99 > c99/5) {
			t.Errorf("uncorrected p90 %v / p99 %v are not far below corrected %v / %v", u90, u99, c90, c99)
		}
		if run.Counts.LateStarts < int64(0.15*float64(wantOps)) {
			t.Errorf("late starts %d: expected the ~19 copies per freeze held in the generator", run.Counts.LateStarts)
		}
	} else if !raceEnabled && (u90 < c90*9/10 || u99 < c99*9/10) {
		t.Errorf("uncorrected p90 %v / p99 %v should be close to corrected %v / %v when nothing is held back", u90, u99, c90, c99)
	}
	return misses
}

// drainCycle is the median gap between the starts of consecutive copies
// that both started late: the generator's typical time per copy while it
// works off a backlog. (The median, so that one scheduler hiccup of a busy
// machine does not stand for the whole backlog; hiccups are what the retry
// at a larger time scale absorbs.)
func drainCycle(rs []Result) time.Duration {
	sort.Slice(rs, func(i, j int) bool { return rs[i].Intended.Before(rs[j].Intended) })
	var gaps []time.Duration
	for i := 1; i < len(rs); i++ {
		a, b := rs[i-1], rs[i]
		if a.Start.Sub(a.Intended) > DefaultLateAfter && b.Start.Sub(b.Intended) > DefaultLateAfter {
			gaps = append(gaps, b.Start.Sub(a.Start))
		}
	}
	if len(gaps) == 0 {
		return 0
	}
	sort.Slice(gaps, func(i, j int) bool { return gaps[i] < gaps[j] })
	return gaps[len(gaps)/2]
}

// TestNoETag200CountedAsFailure injects CopyPartResults without an ETag
// with the fault proxy (D02) and checks that every one of them, and nothing
// else, is counted as a failed copy under the no-etag-200 kind.
func TestNoETag200CountedAsFailure(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"closed", Config{Duration: time.Second, Concurrency: 4}},
		{"open", Config{Duration: time.Second, Rate: 300}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var served atomic.Int64
			null := httptest.NewServer(countingHandler{next: nulls3.Handler(), count: func() { served.Add(1) }})
			t.Cleanup(null.Close)
			proxy := faultServer(t, null.URL, time.Time{}, "copy:noetag200@0.3")
			sc := newScenario(t, proxy.URL, Workload{SourceSize: 1 << 20, PartSize: 256 << 10, CompleteEvery: 10}, 4)
			run, err := Attack(context.Background(), sc, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			injected := proxy.Stats()[0].Fired
			key := string(s3call.KindNoETag200)
			t.Logf("ops %d, succeeded %d, failed %d %v, injected %d", run.Counts.Ops, run.Counts.Succeeded, run.Counts.Failed, run.Failures, injected)
			if injected == 0 {
				t.Fatal("the proxy injected nothing")
			}
			if run.Counts.Ops != served.Load() {
				t.Errorf("ops %d, but the endpoint answered %d copies", run.Counts.Ops, served.Load())
			}
			if run.Failures[key] != injected || run.Counts.Failed != injected || len(run.Failures) != 1 {
				t.Errorf("failures %v (failed %d), want exactly {%s: %d}", run.Failures, run.Counts.Failed, key, injected)
			}
			if run.Counts.Succeeded != run.Counts.Ops-injected {
				t.Errorf("succeeded %d, want %d", run.Counts.Succeeded, run.Counts.Ops-injected)
			}
			if want := run.Counts.Succeeded * (256 << 10); run.Counts.Bytes != want {
				t.Errorf("bytes %d, want %d (failed copies copy nothing)", run.Counts.Bytes, want)
			}
		})
	}
}

// TestDrainStartsAtTheEnd: the drain bound runs from the end of the run in
// both load models, so a run longer than its drain loses nothing.
func TestDrainStartsAtTheEnd(t *testing.T) {
	null := nullServer(t)
	sc := newScenario(t, null.URL, Workload{SourceSize: 1 << 10}, 2)
	for _, cfg := range []Config{
		{Duration: 400 * time.Millisecond, Concurrency: 2, Drain: 100 * time.Millisecond},
		{Duration: 400 * time.Millisecond, Rate: 100, Drain: 100 * time.Millisecond},
	} {
		run, err := Attack(context.Background(), sc, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if run.Counts.Failed != 0 || run.Counts.Ops == 0 {
			t.Errorf("%s: ops %d, failures %v", cfg.Mode(), run.Counts.Ops, run.Failures)
		}
		if e := run.Elapsed(); e < cfg.Duration {
			t.Errorf("%s: run ended after %v, before its duration", cfg.Mode(), e)
		}
	}
}
