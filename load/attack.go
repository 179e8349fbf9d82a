package load

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/partcopy/partcopy/reports"
)

// Hit is one operation the attacker asks a scenario to perform.
type Hit struct {
	// Seq numbers the operation from 0.
	Seq uint64
	// Worker is the index of the worker running it.
	Worker int
}

// Scenario performs one operation. Op fills r's Sent, FirstByte, Done,
// OK, FailureKey and Bytes; Intended and Start are already set. Op is
// called from many goroutines at once.
type Scenario interface {
	Op(ctx context.Context, h Hit, r *Result)
}

// ScenarioFunc adapts a function to Scenario.
type ScenarioFunc func(ctx context.Context, h Hit, r *Result)

// Op calls f.
func (f ScenarioFunc) Op(ctx context.Context, h Hit, r *Result) { f(ctx, h, r) }

// Defaults of Config's zero values.
const (
	DefaultMaxInFlight = 1000
	DefaultInterval    = time.Second
	DefaultLateAfter   = 2 * time.Millisecond
	DefaultDrain       = 30 * time.Second
)

// Config configures Attack. Exactly one of Rate and Concurrency is > 0.
type Config struct {
	// Duration is how long requests are started for; it must be > 0.
	Duration time.Duration
	// Rate > 0 selects the open-loop model: Rate requests per second, each
	// with an intended start time from Pacer.
	Rate float64
	// Pacer decides the intended start times in open-loop mode; nil means
	// ConstantPacer{Rate}.
	Pacer Pacer
	// Concurrency > 0 selects the closed-loop model: that many workers send
	// requests back to back.
	Concurrency int
	// MaxInFlight bounds the requests in flight in open-loop mode (workers
	// are started on demand up to it); 0 means DefaultMaxInFlight. A request
	// due while all are busy waits for one and is counted as a late start;
	// its latency still runs from its intended start.
	MaxInFlight int
	// LateAfter is how far behind its intended start a request must begin
	// to count as a late start; 0 means DefaultLateAfter.
	LateAfter time.Duration
	// Interval is the length of one metrics interval; 0 means 1 s.
	Interval time.Duration
	// Drain is how long requests still in flight at the end may take before
	// they are cancelled and counted as FailureUnfinished; 0 means
	// DefaultDrain.
	Drain time.Duration
	// Recorders is the number of recorders workers are spread over; 0 means
	// one per worker, at most 4*GOMAXPROCS.
	Recorders int
	// Sinks receive each interval (interval log, CSV, progress).
	Sinks []IntervalSink
	// Start is when the run begins; zero means at once. A future time makes
	// Attack wait for it, so that the run can be lined up with something
	// else (a fault schedule, another generator).
	Start time.Time
	// Stop, when closed, ends the dispatch early, as the end of Duration
	// would (the copies in flight drain); Run.Stopped then says so. The
	// threshold abort (--abort-on-fail) uses it.
	Stop <-chan struct{}
}

// Mode returns reports.ModeOpen or reports.ModeClosed.
func (c Config) Mode() string {
	if c.Rate > 0 {
		return reports.ModeOpen
	}
	return reports.ModeClosed
}

// Validate checks the configuration.
func (c Config) Validate() error {
	switch {
	case c.Duration <= 0:
		return errors.New("duration must be > 0")
	case c.Rate > 0 && c.Concurrency > 0:
		return errors.New("give either a rate (open loop) or a concurrency (closed loop), not both")
	case c.Rate <= 0 && c.Concurrency <= 0:
		return errors.New("give a rate (open loop) or a concurrency (closed loop)")
	case c.Rate < 0 || c.Concurrency < 0 || c.MaxInFlight < 0:
		return errors.New("rate, concurrency and max-in-flight must not be negative")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Rate > 0 && c.Pacer == nil {
		c.Pacer = ConstantPacer{Rate: c.Rate}
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.LateAfter == 0 {
		c.LateAfter = DefaultLateAfter
	}
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.Drain == 0 {
		c.Drain = DefaultDrain
	}
	return c
}

// Workers is the largest number of workers the run may start.
func (c Config) Workers() int {
	if c.Rate > 0 {
		return c.withDefaults().MaxInFlight
	}
	return c.Concurrency
}

// Run is the outcome of Attack.
type Run struct {
	Config Config
	// Start is when the first request was due; End when the last one ended.
	Start, End time.Time
	// Interrupted is true when ctx was cancelled before the end; the
	// figures cover what completed until then.
	Interrupted bool
	// WorkersStarted is how many workers the run used.
	WorkersStarted int
	// Stopped is true when Config.Stop ended the dispatch early.
	Stopped bool
	// CapWaits counts copies that were due while every one of MaxInFlight
	// workers was busy (open loop): the in-flight cap delayed them.
	CapWaits int64
	// NotSent counts copies due before the end of the duration that were
	// never sent: every worker was still busy when the duration ran out.
	NotSent int64
	// SchedLatency is the Go scheduler's runnable-to-running latency
	// during the run (99th percentile), the sign of a CPU-starved
	// generator; GOMAXPROCS is the generator's.
	SchedLatencyP99 time.Duration
	GOMAXPROCS      int
	// RunQueueWait is how long the process's threads together waited for a
	// CPU on the kernel's run queues during the run (Linux; 0 elsewhere).
	RunQueueWait time.Duration
	Snapshot
	// SinkErr is the first error a sink returned.
	SinkErr error
}

// Elapsed is End - Start.
func (r *Run) Elapsed() time.Duration { return r.End.Sub(r.Start) }

// Attack runs sc under cfg until cfg.Duration has passed (then drains the
// requests in flight) or ctx is cancelled (then the requests in flight are
// cancelled and not counted: the user stopped the run, not the endpoint).
func Attack(ctx context.Context, sc Scenario, cfg Config) (*Run, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	nrec := cfg.Recorders
	if nrec <= 0 {
		nrec = min(cfg.Workers(), 4*runtime.GOMAXPROCS(0))
	}
	// Requests run under their own context so that the drain can cancel
	// them without the cancellation looking like an interrupt.
	reqCtx, cancelReq := context.WithCancel(ctx)
	defer cancelReq()

	if d := time.Until(cfg.Start); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
	start := time.Now()
	if !cfg.Start.IsZero() && cfg.Start.Before(start) {
		// Intended times run from the requested start even when the
		// timer woke late.
		start = cfg.Start
	}
	m := NewMetrics(start, nrec, cfg.Sinks...)
	m.interval = cfg.Interval
	end := start.Add(cfg.Duration)
	a := &attacker{cfg: cfg, sc: sc, m: m, ctx: ctx, reqCtx: reqCtx, stop: cfg.Stop}
	if a.stop == nil {
		a.stop = make(chan struct{}) // never closed
	}
	sched0 := readSchedLatencies()
	rq0, rqOK := runQueueWait()

	collectorDone := make(chan struct{})
	stopCollector := make(chan struct{})
	go func() {
		defer close(collectorDone)
		t := time.NewTicker(cfg.Interval)
		defer t.Stop()
		for {
			select {
			case now := <-t.C:
				m.Flush(now, false)
			case <-stopCollector:
				return
			}
		}
	}()

	if cfg.Rate > 0 {
		a.open(start, end)
	} else {
		a.closed(end)
	}
	// Every request has been handed out; wait for those in flight.
	done := make(chan struct{})
	go func() { a.wg.Wait(); close(done) }()
	drain := time.NewTimer(cfg.Drain)
	select {
	case <-done:
	case <-drain.C:
		cancelReq()
		<-done
	case <-ctx.Done():
		<-done
	}
	drain.Stop()
	close(stopCollector)
	<-collectorDone
	stop := time.Now()
	m.Flush(stop, true)
	var rqWait time.Duration
	if rq1, ok := runQueueWait(); ok && rqOK {
		rqWait = rq1 - rq0
	}
	run := &Run{Config: cfg, Start: start, End: stop, Interrupted: ctx.Err() != nil,
		WorkersStarted: a.workers, Stopped: a.stoppedEarly.Load(), CapWaits: a.capWaits, NotSent: int64(a.notSent),
		SchedLatencyP99: schedLatencyP99(sched0, readSchedLatencies()), GOMAXPROCS: runtime.GOMAXPROCS(0), RunQueueWait: rqWait,
		Snapshot: m.Snapshot(), SinkErr: m.SinkErr()}
	if run.SinkErr != nil {
		return run, fmt.Errorf("writing results: %w", run.SinkErr)
	}
	return run, nil
}

type attacker struct {
	cfg          Config
	sc           Scenario
	m            *Metrics
	ctx, reqCtx  context.Context
	stop         <-chan struct{}
	stoppedEarly atomic.Bool
	wg           sync.WaitGroup
	workers      int
	capWaits     int64
	notSent      uint64
}

// stopped reports whether Config.Stop was closed (and notes it).
func (a *attacker) stopped() bool {
	select {
	case <-a.stop:
		a.stoppedEarly.Store(true)
		return true
	default:
		return false
	}
}

// closed runs cfg.Concurrency workers back to back until end, and returns
// at end (or on interrupt), like open, so that the drain starts then. Each
// request's intended start is the moment its worker became free, so
// corrected and uncorrected latency differ only by the client's own work.
func (a *attacker) closed(end time.Time) {
	defer func() {
		t := time.NewTimer(time.Until(end))
		defer t.Stop()
		select {
		case <-t.C:
		case <-a.ctx.Done():
		case <-a.stop:
			a.stoppedEarly.Store(true)
		}
	}()
	a.workers = a.cfg.Concurrency
	var next atomic.Uint64
	for w := 0; w < a.cfg.Concurrency; w++ {
		a.wg.Add(1)
		go func(w int) {
			defer a.wg.Done()
			rec := a.m.recorderFor(w)
			for a.ctx.Err() == nil && !a.stopped() {
				now := time.Now()
				if !now.Before(end) {
					return
				}
				a.do(rec, Hit{Seq: next.Add(1) - 1, Worker: w}, now, now)
			}
		}(w)
	}
}

type dueHit struct {
	seq      uint64
	intended time.Time
}

// open sends requests at the pacer's times until end, starting workers on
// demand up to MaxInFlight. When every worker is busy the dispatcher waits
// for one; the request then starts late, but its latency is still measured
// from its intended time (wrk2's coordinated-omission correction).
//
// It returns at end (or on interrupt), not at the last due time, so that the
// run's elapsed time, and the rates computed from it, cover the whole
// duration.
func (a *attacker) open(start, end time.Time) {
	hits := make(chan dueHit)
	defer close(hits)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	// The end of the duration ends the dispatch even while it waits for a
	// free worker (a stalled or silent endpoint): the copies due until then
	// and never sent are counted, not sent late.
	endTimer := time.NewTimer(time.Until(end))
	defer endTimer.Stop()
	// Spinning needs a second P for the network poller and the workers; and
	// it is only cheap while copies are far apart.
	canSpin := runtime.GOMAXPROCS(0) >= 2
	for i := uint64(0); ; i++ {
		due := start.Add(a.cfg.Pacer.Due(i))
		if !due.Before(end) {
			due = end // wait out the rest of the duration, then stop
		}
		spin := canSpin && a.cfg.Pacer.Due(i+1)-a.cfg.Pacer.Due(i) >= minSpinGap
		if d := time.Until(due); d > 0 {
			if spin {
				d -= spinWindow
			}
			if d > 0 {
				timer.Reset(d)
				select {
				case <-timer.C:
				case <-a.ctx.Done():
					return
				case <-a.stop:
					a.stoppedEarly.Store(true)
					return
				}
			}
			// Go's timers wake up to 1 ms late (the runtime's epoll wait has
			// millisecond resolution), and that slack would be in every
			// corrected latency: wait out the last part yielding instead.
			for spin && time.Now().Before(due) {
				runtime.Gosched()
			}
		}
		if !due.Before(end) {
			return
		}
		h := dueHit{seq: i, intended: due}
		select {
		case hits <- h:
			continue
		default:
		}
		if a.workers < a.cfg.MaxInFlight {
			w := a.workers
			a.workers++
			a.wg.Add(1)
			go a.openWorker(w, h, hits)
			continue
		}
		a.capWaits++
		select {
		case hits <- h:
		case <-a.ctx.Done():
			return
		case <-a.stop:
			a.stoppedEarly.Store(true)
			return
		case <-endTimer.C:
			a.notSent = countDue(a.cfg.Pacer, i, end.Sub(start))
			return
		}
	}
}

// The open loop sleeps until spinWindow before a copy is due and yields
// for the rest, when copies are at least minSpinGap apart (at most 250
// copies/s: under a quarter of one CPU, about 5% at 100/s). Closer copies
// are dispatched in batches as the timer wakes, up to 1 ms late, and that
// lag is measured and reported (Generator: timer slack).
const (
	spinWindow = time.Millisecond
	minSpinGap = 4 * time.Millisecond
)

// countDue is how many hits from hit "from" on are due before d: the
// copies a run of length d did not send when its dispatch stopped at
// "from". Due is non-decreasing, so it searches.
func countDue(p Pacer, from uint64, d time.Duration) uint64 {
	if p.Due(from) >= d {
		return 0
	}
	// Exponential search for a hit due at or after d, then bisection.
	lo, step := from, uint64(1)
	hi := from + step
	for p.Due(hi) < d {
		lo = hi
		if step > 1<<40 {
			return hi - from // absurdly many; do not loop forever
		}
		step *= 2
		hi = from + step
	}
	for hi-lo > 1 { // Due(lo) < d <= Due(hi)
		mid := lo + (hi-lo)/2
		if p.Due(mid) < d {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi - from
}

func (a *attacker) openWorker(w int, first dueHit, hits <-chan dueHit) {
	defer a.wg.Done()
	rec := a.m.recorderFor(w)
	a.do(rec, Hit{Seq: first.seq, Worker: w}, first.intended, time.Now())
	for h := range hits {
		if a.ctx.Err() != nil {
			return
		}
		a.do(rec, Hit{Seq: h.seq, Worker: w}, h.intended, time.Now())
	}
}

// do runs one operation and records it.
func (a *attacker) do(rec *recorder, h Hit, intended, start time.Time) {
	r := Result{Intended: intended, Start: start}
	a.m.inFlight.Add(1)
	a.sc.Op(a.reqCtx, h, &r)
	a.m.inFlight.Add(-1)
	late := start.Sub(intended) > a.cfg.LateAfter
	switch {
	case a.ctx.Err() != nil:
		// Interrupted by the user: not the endpoint's doing, not counted.
	case a.reqCtx.Err() != nil:
		rec.recordUnfinished(&r, late)
	default:
		if r.Done.IsZero() {
			r.Done = time.Now()
		}
		rec.Record(&r, late)
	}
}
