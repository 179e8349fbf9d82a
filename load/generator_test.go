package load

import (
	"bytes"
	"context"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partcopy/partcopy/reports"
)

// syntheticRun is a run whose copies all took latency and went out lag
// after their intended start.
func syntheticRun(n int, latency, lag time.Duration) *Run {
	t0 := time.Unix(1000, 0)
	m := NewMetrics(t0, 1)
	late := int64(0)
	for i := 0; i < n; i++ {
		in := t0.Add(time.Duration(i) * time.Millisecond)
		m.recorderFor(0).Record(&Result{Intended: in, Start: in.Add(lag), Done: in.Add(latency), OK: true}, lag > DefaultLateAfter)
		if lag > DefaultLateAfter {
			late++
		}
	}
	m.Flush(t0.Add(time.Second), true)
	return &Run{Config: Config{Rate: 100, MaxInFlight: 10, LateAfter: DefaultLateAfter, Duration: time.Second},
		Start: t0, End: t0.Add(time.Second), WorkersStarted: 3, GOMAXPROCS: 2, Snapshot: m.Snapshot()}
}

func TestGeneratorLimitedAndItsCause(t *testing.T) {
	for _, tc := range []struct {
		name        string
		run         *Run
		wantLimited bool
		wantCauses  []string
		wantWords   string
	}{
		{name: "small lag against the latency", run: syntheticRun(1000, 50*time.Millisecond, 100*time.Microsecond)},
		{name: "sub-ms lag below the floor, fast endpoint", run: syntheticRun(1000, 300*time.Microsecond, 150*time.Microsecond)},
		{
			name: "1 ms of lag against a 2 ms endpoint: timer slack", run: syntheticRun(1000, 2*time.Millisecond, time.Millisecond),
			wantLimited: true, wantCauses: []string{reports.GenTimerSlack}, wantWords: "timer slack",
		},
		{
			name: "20 ms of lag, no cap, no measured starvation: still CPU", run: syntheticRun(1000, 30*time.Millisecond, 20*time.Millisecond),
			wantLimited: true, wantCauses: []string{reports.GenCPUStarved}, wantWords: "CPU-starved",
		},
		{
			name: "cap reached", run: func() *Run {
				r := syntheticRun(1000, 30*time.Millisecond, 20*time.Millisecond)
				r.CapWaits = 40
				return r
			}(),
			wantLimited: true, wantCauses: []string{reports.GenInFlightCap}, wantWords: "in-flight cap reached",
		},
		{
			name: "cap reached on a starved machine", run: func() *Run {
				r := syntheticRun(1000, 30*time.Millisecond, 20*time.Millisecond)
				r.CapWaits, r.RunQueueWait = 40, 300*time.Millisecond
				return r
			}(),
			wantLimited: true, wantCauses: []string{reports.GenInFlightCap, reports.GenCPUStarved}, wantWords: "300 ms/s",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.run.Generator()
			if g.Limited != tc.wantLimited || !slices.Equal(g.Causes, tc.wantCauses) {
				t.Errorf("limited %v causes %v, want %v %v (warning %q)", g.Limited, g.Causes, tc.wantLimited, tc.wantCauses, g.Warning)
			}
			if !strings.Contains(g.Warning, tc.wantWords) {
				t.Errorf("warning %q lacks %q", g.Warning, tc.wantWords)
			}
			if g.LagMs.Count != 1000 {
				t.Errorf("lag count %d", g.LagMs.Count)
			}
		})
	}
}

// burn spends d of CPU.
func burn(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); { //nolint:revive // the empty loop is the CPU burn
	}
}

// TestStarvedGeneratorIsLimited starves the generator on purpose: one P,
// copies that each cost 100 us of CPU, and twice the rate one core can
// send. The run must say it was limited and why.
func TestStarvedGeneratorIsLimited(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	sc := ScenarioFunc(func(_ context.Context, _ Hit, r *Result) {
		burn(100 * time.Microsecond)
		r.Done, r.OK = time.Now(), true
	})
	run, err := Attack(context.Background(), sc, Config{Duration: 300 * time.Millisecond, Rate: 20000, MaxInFlight: 1000, Drain: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	rep := run.Report(Meta{})
	g := rep.Generator
	if !g.Limited || !slices.Contains(g.Causes, reports.GenCPUStarved) {
		t.Fatalf("starved generator not reported as CPU-starved: %+v", g)
	}
	var out bytes.Buffer
	run.WriteSummary(&out, Meta{})
	if !strings.Contains(out.String(), "WARNING: generator limited") || !strings.Contains(out.String(), "CPU-starved") {
		t.Errorf("summary lacks the warning:\n%s", out.String())
	}
}

// TestNormalRunNotLimited: copies 5 ms apart that take 2 ms leave the
// generator idle; it is reported limited only when the machine itself
// measurably starved it (then the cause must say so).
func TestNormalRunNotLimited(t *testing.T) {
	sc := ScenarioFunc(func(_ context.Context, _ Hit, r *Result) {
		r.Sent = time.Now()
		time.Sleep(2 * time.Millisecond)
		r.Done, r.OK = time.Now(), true
	})
	run, err := Attack(context.Background(), sc, Config{Duration: time.Second, Rate: 200})
	if err != nil {
		t.Fatal(err)
	}
	g := run.Report(Meta{}).Generator
	if !g.Limited {
		return
	}
	starved := g.RunQueueWaitMsPerSecond > starvedRunQueue || g.SchedLatencyP99Ms > float64(starvedSched)/1e6
	if !starved || !slices.Equal(g.Causes, []string{reports.GenCPUStarved}) {
		t.Errorf("a normal run reported limited without measured starvation: %+v", g)
	}
	t.Logf("the machine starved the generator: %s", g.Warning)
}

func TestCountDue(t *testing.T) {
	p := ConstantPacer{Rate: 1000} // one per ms
	for _, tc := range []struct {
		from uint64
		d    time.Duration
		want uint64
	}{
		{0, time.Second, 1000}, {999, time.Second, 1}, {1000, time.Second, 0}, {10, 10500 * time.Microsecond, 1},
		{0, time.Hour, 3600000},
	} {
		if got := countDue(p, tc.from, tc.d); got != tc.want {
			t.Errorf("countDue(from %d, %v) = %d, want %d", tc.from, tc.d, got, tc.want)
		}
	}
}

// TestDurationEndsDispatchAgainstASilentEndpoint: every copy hangs; with
// two in flight, the dispatch stops at the end of the duration, the copies
// due and never sent are counted as such, and the drain bounds the rest.
func TestDurationEndsDispatchAgainstASilentEndpoint(t *testing.T) {
	sc := ScenarioFunc(func(ctx context.Context, _ Hit, r *Result) {
		<-ctx.Done()
		r.Done = time.Now()
	})
	begin := time.Now()
	run, err := Attack(context.Background(), sc, Config{Duration: 300 * time.Millisecond, Rate: 100, MaxInFlight: 2, Drain: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(begin); took > 5*time.Second {
		t.Errorf("the run took %v: the dispatch did not end with the duration", took)
	}
	if run.Counts.Ops != 2 || run.Failures[FailureUnfinished] != 2 {
		t.Errorf("counts %+v failures %v, want the 2 in flight unfinished", run.Counts, run.Failures)
	}
	// 30 due in 300 ms: 2 sent, the one blocked and the rest never sent.
	if run.NotSent != 28 {
		t.Errorf("not sent %d, want 28", run.NotSent)
	}
	g := run.Report(Meta{}).Generator
	if !g.Limited || !g.MaxInFlightReached || !slices.Contains(g.Causes, reports.GenInFlightCap) {
		t.Errorf("generator %+v", g)
	}
}

func TestStopEndsTheRunEarly(t *testing.T) {
	stop := make(chan struct{})
	sc := ScenarioFunc(func(_ context.Context, _ Hit, r *Result) {
		r.Done, r.OK = time.Now(), true
	})
	go func() { time.Sleep(200 * time.Millisecond); close(stop) }()
	begin := time.Now()
	run, err := Attack(context.Background(), sc, Config{Duration: time.Minute, Concurrency: 2, Stop: stop})
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(begin) > 20*time.Second || !run.Stopped || run.Interrupted {
		t.Errorf("stopped %v interrupted %v after %v", run.Stopped, run.Interrupted, time.Since(begin))
	}
	l := run.Report(Meta{})
	if l.RequestedDurationSeconds != 60 || l.DurationSeconds >= 60 {
		t.Errorf("requested %v actual %v", l.RequestedDurationSeconds, l.DurationSeconds)
	}
}

// TestAbortCheckLatency: p99<10ms over 1000 planned copies is lost once
// more than 10 copies took 10 ms or more, and not before.
func TestAbortCheckLatency(t *testing.T) {
	ths, err := reports.ParseThresholds([]string{"p99<10ms"})
	if err != nil {
		t.Fatal(err)
	}
	feed := func(slow int) *AbortCheck {
		c := NewAbortCheck(ths, Config{Rate: 100, Duration: 10 * time.Second})
		t0 := time.Unix(1000, 0)
		m := NewMetrics(t0, 1, c)
		for i := 0; i < 100; i++ {
			d := time.Millisecond
			if i < slow {
				d = 50 * time.Millisecond
			}
			m.recorderFor(0).Record(&Result{Intended: t0, Start: t0, Done: t0.Add(d), OK: true}, false)
		}
		m.Flush(t0.Add(time.Second), false)
		return c
	}
	if c := feed(9); c.Reason() != "" {
		t.Errorf("9 slow copies of 1000 planned: aborted (%q)", c.Reason())
	}
	c := feed(20)
	select {
	case <-c.Stop():
	default:
		t.Fatal("20 slow copies of 1000 planned: not aborted")
	}
	if c.Reason() != "p99<10ms" {
		t.Errorf("reason %q", c.Reason())
	}
}
