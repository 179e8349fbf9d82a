package load

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/partcopy/partcopy/load/nulls3"
	"github.com/partcopy/partcopy/reports"
)

// slotServer is an endpoint with a known capacity: it serves at most n
// copies at once, each taking s (the rest queue), so it completes n/s
// copies per second and no more, with a sharp knee under a constant
// arrival rate (below n/s a copy never waits; above it the queue grows
// without bound).
func slotServer(t testing.TB, n int, s time.Duration) *httptest.Server {
	t.Helper()
	slots := make(chan struct{}, n)
	next := nulls3.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if nulls3.IsCopyPart(r) {
			select {
			case slots <- struct{}{}:
			case <-r.Context().Done():
				return
			}
			time.Sleep(s)
			<-slots
		}
		next.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestCapacityFindsAKnownCapacity: 20 slots of 200 ms are 100 copies/s.
// The search with p99 < 5 x 200 ms finds it within 10%, and the USL fit of
// a concurrency sweep predicts a peak within 10% of it. (The service time
// is long so that a busy machine's scheduling delays, tens of ms, do not
// decide the result.)
func TestCapacityFindsAKnownCapacity(t *testing.T) {
	const slots, service = 20, 200 * time.Millisecond
	capacity := float64(slots) / service.Seconds()
	srv := slotServer(t, slots, service)
	sc := newScenario(t, srv.URL, Workload{SourceSize: 64 << 10, CompleteEvery: 1000}, 16)
	slo, err := reports.ParseThresholds([]string{"p99<1s,errors<0.1%"})
	if err != nil {
		t.Fatal(err)
	}
	var steps []reports.CapacityStep
	c, err := Capacity(context.Background(), sc, CapacityOptions{
		SLO: slo, StartRate: 30, Resolution: 0.05, Warmup: 300 * time.Millisecond, Measure: 1200 * time.Millisecond,
		Concurrency: []int{1, 2, 4, 8, 16, 32, 64}, PartSize: 64 << 10, Repeats: 2,
		Progress: func(s reports.CapacityStep) { steps = append(steps, s) },
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range c.Steps {
		t.Logf("%s rate %.1f conc %d: %.1f copies/s p99 %.1f ms errors %.2f%% pass %v %s", s.Phase, s.OfferedRate, s.Concurrency,
			s.OpsPerSecond, s.P99Ms, s.ErrorRatePct, s.Pass, s.Reason)
	}
	if raceEnabled {
		// The race detector slows every copy several times over, so the
		// generator, not the endpoint, may set the pace: check only that
		// nothing above the capacity was judged sustainable (as the stall
		// test checks only direction under it).
		if c.MaxSustainableRate > 1.1*capacity || (c.USL != nil && c.USL.PeakThroughput > 1.1*capacity) {
			t.Errorf("above the capacity %.0f: sustainable %.1f, USL %+v", capacity, c.MaxSustainableRate, c.USL)
		}
		return
	}
	if !c.Found || math.Abs(c.MaxSustainableRate-capacity) > 0.1*capacity {
		t.Errorf("max sustainable rate %.1f, want %.0f within 10%%", c.MaxSustainableRate, capacity)
	}
	if c.Knee == nil || c.Knee.OfferedRate <= c.MaxSustainableRate || c.Knee.Pass {
		t.Errorf("knee %+v", c.Knee)
	}
	if c.USL == nil || math.Abs(c.USL.PeakThroughput-capacity) > 0.1*capacity {
		t.Errorf("USL %+v (%s), want a peak of %.0f within 10%%", c.USL, c.USLError, capacity)
	}
	if len(steps) != len(c.Steps) || c.MaxSustainableBytesPerSecond <= 0 {
		t.Errorf("%d progress calls for %d steps; %v B/s", len(steps), len(c.Steps), c.MaxSustainableBytesPerSecond)
	}
}

// TestCapacityStartRateBreaks: an SLO no copy can meet fails at the start
// rate, and nothing is found.
func TestCapacityStartRateBreaks(t *testing.T) {
	srv := slotServer(t, 4, 20*time.Millisecond)
	sc := newScenario(t, srv.URL, Workload{SourceSize: 64 << 10}, 4)
	slo, _ := reports.ParseThresholds([]string{"p99<5ms"})
	c, err := Capacity(context.Background(), sc, CapacityOptions{SLO: slo, StartRate: 20, Warmup: 100 * time.Millisecond, Measure: 500 * time.Millisecond, Repeats: 1})
	if err != nil {
		t.Fatal(err)
	}
	if c.Found || len(c.Steps) != 1 || c.Steps[0].Pass || c.MaxSustainableRate != 0 {
		t.Errorf("found %v, steps %+v", c.Found, c.Steps)
	}
}

func TestCapacityOptionsValidate(t *testing.T) {
	slo, _ := reports.ParseThresholds([]string{"p99<5ms"})
	ok := CapacityOptions{SLO: slo, StartRate: 10, Measure: time.Second}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, o := range map[string]CapacityOptions{
		"no slo":        {StartRate: 10, Measure: time.Second},
		"nan rate":      {SLO: slo, StartRate: math.NaN(), Measure: time.Second},
		"inf max":       {SLO: slo, StartRate: 1, MaxRate: math.Inf(1), Measure: time.Second},
		"nothing":       {SLO: slo, Measure: time.Second},
		"no window":     {SLO: slo, StartRate: 10},
		"factor 1":      {SLO: slo, StartRate: 10, Factor: 1, Measure: time.Second},
		"resolution 1":  {SLO: slo, StartRate: 10, Resolution: 1, Measure: time.Second},
		"concurrency 0": {SLO: slo, Concurrency: []int{0}, Measure: time.Second},
	} {
		if o.Validate() == nil {
			t.Errorf("%s accepted", name)
		}
	}
}
