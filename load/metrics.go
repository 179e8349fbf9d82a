package load

import (
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/partcopy/partcopy/reports"
)

// Histogram geometry: values are nanoseconds, tracked from 1 us to 1 h at 3
// significant digits. Nanoseconds (not wrk2's microseconds) because the
// HdrHistogram interval log's max column assumes nanoseconds by default
// (HistogramLogWriter's ms:ns ratio), so HdrHistogram's own tools print the
// right unit without extra flags.
const (
	histLowest  = int64(time.Microsecond)
	histHighest = int64(time.Hour)
	histDigits  = 3
)

// NewHistogram returns an empty histogram with the load module's geometry.
func NewHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(histLowest, histHighest, histDigits)
}

// record adds d to h, clamped to the trackable range (a value outside it
// would be dropped by RecordValue, which would undercount).
func record(h *hdrhistogram.Histogram, d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	if v > histHighest {
		v = histHighest
	}
	_ = h.RecordValue(v)
}

// Result is one measured operation. The attacker sets Intended and Start;
// the scenario sets the rest.
type Result struct {
	// Intended is when the request was due: the pacer's time in open-loop
	// mode, the moment the worker became free in closed-loop mode.
	Intended time.Time
	// Start is when a worker actually began the operation.
	Start time.Time
	// Sent is when the request went out (after signing); zero means Start.
	Sent time.Time
	// FirstByte is when the response headers began to arrive; zero when no
	// response arrived.
	FirstByte time.Time
	// Done is when the final body byte was read (or the request failed).
	Done time.Time
	// OK is the verdict of s3call's D02 rule.
	OK bool
	// FailureKey is Outcome.FailureKey() for a failure.
	FailureKey string
	// Bytes is the number of bytes the operation copied (0 on failure).
	Bytes int64
}

// Counts are operation counters.
type Counts struct {
	Ops, Succeeded, Failed int64
	// Bytes copied by successful operations.
	Bytes int64
	// LateStarts counts operations a worker began more than the late
	// threshold after their intended start.
	LateStarts int64
}

func (c *Counts) add(o Counts) {
	c.Ops += o.Ops
	c.Succeeded += o.Succeeded
	c.Failed += o.Failed
	c.Bytes += o.Bytes
	c.LateStarts += o.LateStarts
}

// FailureUnfinished counts operations still in flight when the drain time
// after the end of the run ran out; they are failures without a latency.
const FailureUnfinished = "unfinished"

// recorder is one worker's (or one group of workers') recording state. The
// mutex is uncontended except once per interval, when the collector swaps
// the counts out.
type recorder struct {
	mu sync.Mutex
	// total, ttfb and uncor hold successful copies only: a copy that fails
	// fast must not make the endpoint's latency look better. failed holds
	// the failed copies' latency (intended start to failure); lag every
	// copy's generator lag (actual send minus intended start).
	total, ttfb, uncor, failed, lag *hdrhistogram.Histogram
	cnt                             Counts
	failures                        map[string]int64
	_                               [64]byte // keep neighbouring recorders off one cache line
}

func newRecorder() *recorder {
	return &recorder{total: NewHistogram(), ttfb: NewHistogram(), uncor: NewHistogram(),
		failed: NewHistogram(), lag: NewHistogram(), failures: map[string]int64{}}
}

// sentAt is when r's request went out: Sent, or Start when the scenario
// did not say.
func (r *Result) sentAt() time.Time {
	if r.Sent.IsZero() {
		return r.Start
	}
	return r.Sent
}

// Record adds r. late says whether it started late.
func (rc *recorder) Record(r *Result, late bool) {
	// Latency from the intended start (D02: the final body byte decides, so
	// the end is Done, not the first byte).
	total := r.Done.Sub(r.Intended)
	sent := r.sentAt()
	rc.mu.Lock()
	record(rc.lag, sent.Sub(r.Intended))
	rc.cnt.Ops++
	if late {
		rc.cnt.LateStarts++
	}
	if r.OK {
		record(rc.total, total)
		record(rc.uncor, r.Done.Sub(sent))
		if !r.FirstByte.IsZero() {
			record(rc.ttfb, r.FirstByte.Sub(r.Intended))
		}
		rc.cnt.Succeeded++
		rc.cnt.Bytes += r.Bytes
	} else {
		record(rc.failed, total)
		rc.cnt.Failed++
		rc.failures[r.FailureKey]++
	}
	rc.mu.Unlock()
}

// recordUnfinished counts an operation cut off at the end of the drain: a
// failure without a latency (it has none), but with its generator lag.
func (rc *recorder) recordUnfinished(r *Result, late bool) {
	rc.mu.Lock()
	record(rc.lag, r.sentAt().Sub(r.Intended))
	rc.cnt.Ops++
	if late {
		rc.cnt.LateStarts++
	}
	rc.cnt.Failed++
	rc.failures[FailureUnfinished]++
	rc.mu.Unlock()
}

// Interval is what sinks receive once per interval. The histograms are the
// interval's own and are valid only during the call.
type Interval struct {
	// Start and End bound the interval; Offset is Start minus the run's start.
	Start, End time.Time
	Offset     time.Duration
	// Counts of operations that completed in the interval.
	Counts Counts
	// Failures of the interval by key; valid only during the call.
	Failures map[string]int64
	// Total, TTFB and Uncorrected are the interval's latency histograms of
	// successful copies (nanoseconds), tagged "total", "ttfb",
	// "uncorrected"; Failed the failed copies' latency ("failed"), Lag the
	// generator lag of every copy ("lag").
	Total, TTFB, Uncorrected, Failed, Lag *hdrhistogram.Histogram
	// InFlight is the number of operations in flight at the end.
	InFlight int64
	// SoFar counts every operation up to End; P99SoFar is the corrected
	// total latency's 99th percentile up to End.
	SoFar    Counts
	P99SoFar time.Duration
	// Final is true for the last (possibly partial) interval of the run.
	Final bool
}

// IntervalSink receives each interval as it closes.
type IntervalSink interface {
	Interval(iv *Interval) error
}

// maxSeries bounds the time series kept for load.json; when it is full,
// neighbouring intervals are merged pairwise.
const maxSeries = 1024

// Metrics collects a run: per-worker recorders, merged once per interval
// into interval histograms (sent to the sinks) and then into the run's
// cumulative histograms. Its memory does not grow with the run's length.
type Metrics struct {
	start    time.Time
	shards   []*recorder
	inFlight atomic.Int64
	sinks    []IntervalSink
	sinkErr  error

	mu       sync.Mutex // serializes Flush
	last     time.Time
	iv       Interval
	ivFail   map[string]int64
	total    *hdrhistogram.Histogram
	ttfb     *hdrhistogram.Histogram
	uncor    *hdrhistogram.Histogram
	failed   *hdrhistogram.Histogram
	lag      *hdrhistogram.Histogram
	interval time.Duration // nominal interval length, 0 if unknown
	counts   Counts
	failures map[string]int64
	series   []reports.Interval
}

// NewMetrics returns metrics for a run starting at start with n recorders.
func NewMetrics(start time.Time, n int, sinks ...IntervalSink) *Metrics {
	if n < 1 {
		n = 1
	}
	m := &Metrics{
		start: start, last: start, sinks: sinks,
		ivFail: map[string]int64{}, failures: map[string]int64{},
		total: NewHistogram(), ttfb: NewHistogram(), uncor: NewHistogram(),
		failed: NewHistogram(), lag: NewHistogram(),
	}
	m.iv.Total, m.iv.TTFB, m.iv.Uncorrected = NewHistogram(), NewHistogram(), NewHistogram()
	m.iv.Failed, m.iv.Lag = NewHistogram(), NewHistogram()
	for i := 0; i < n; i++ {
		m.shards = append(m.shards, newRecorder())
	}
	return m
}

// recorderFor returns worker w's recorder.
func (m *Metrics) recorderFor(w int) *recorder { return m.shards[w%len(m.shards)] }

// Flush closes the interval ending at now: it merges every recorder into
// the interval histograms, hands the interval to the sinks, and folds it
// into the cumulative figures.
func (m *Metrics) Flush(now time.Time, final bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	iv := &m.iv
	iv.Counts = Counts{}
	for _, rc := range m.shards {
		rc.mu.Lock()
		iv.Total.Merge(rc.total)
		iv.TTFB.Merge(rc.ttfb)
		iv.Uncorrected.Merge(rc.uncor)
		iv.Failed.Merge(rc.failed)
		iv.Lag.Merge(rc.lag)
		rc.total.Reset()
		rc.ttfb.Reset()
		rc.uncor.Reset()
		rc.failed.Reset()
		rc.lag.Reset()
		iv.Counts.add(rc.cnt)
		rc.cnt = Counts{}
		for k, v := range rc.failures {
			m.ivFail[k] += v
			delete(rc.failures, k)
		}
		rc.mu.Unlock()
	}
	iv.Start, iv.End, iv.Offset, iv.Final = m.last, now, m.last.Sub(m.start), final
	iv.Failures = m.ivFail
	iv.InFlight = m.inFlight.Load()
	// Reset clears tags and timestamps, so they are set at every flush.
	iv.Total.SetTag("total")
	iv.TTFB.SetTag("ttfb")
	iv.Uncorrected.SetTag("uncorrected")
	iv.Failed.SetTag("failed")
	iv.Lag.SetTag("lag")
	for _, h := range []*hdrhistogram.Histogram{iv.Total, iv.TTFB, iv.Uncorrected, iv.Failed, iv.Lag} {
		h.SetStartTimeMs(iv.Start.UnixMilli())
		h.SetEndTimeMs(iv.End.UnixMilli())
	}
	m.total.Merge(iv.Total)
	m.ttfb.Merge(iv.TTFB)
	m.uncor.Merge(iv.Uncorrected)
	m.failed.Merge(iv.Failed)
	m.lag.Merge(iv.Lag)
	m.counts.add(iv.Counts)
	for k, v := range m.ivFail {
		m.failures[k] += v
	}
	iv.SoFar = m.counts
	iv.P99SoFar = time.Duration(m.total.ValueAtQuantile(99))
	m.addSeries(iv)
	for _, s := range m.sinks {
		if err := s.Interval(iv); err != nil && m.sinkErr == nil {
			m.sinkErr = err
		}
	}
	iv.Total.Reset()
	iv.TTFB.Reset()
	iv.Uncorrected.Reset()
	iv.Failed.Reset()
	iv.Lag.Reset()
	for k := range m.ivFail {
		delete(m.ivFail, k)
	}
	m.last = now
}

// addSeries appends the interval to the bounded time series.
func (m *Metrics) addSeries(iv *Interval) {
	d := iv.End.Sub(iv.Start)
	if d <= 0 {
		return
	}
	secs := d.Seconds()
	e := reports.Interval{
		StartSeconds: iv.Offset.Seconds(), DurationSeconds: secs,
		Ops: iv.Counts.Ops, Failed: iv.Counts.Failed,
		OpsPerSecond:   float64(iv.Counts.Succeeded) / secs,
		BytesPerSecond: float64(iv.Counts.Bytes) / secs,
	}
	if iv.Total.TotalCount() > 0 {
		e.P50Ms = nsToMs(iv.Total.ValueAtQuantile(50))
		e.P90Ms = nsToMs(iv.Total.ValueAtQuantile(90))
		e.P99Ms = nsToMs(iv.Total.ValueAtQuantile(99))
	}
	if iv.Lag.TotalCount() > 0 {
		e.LagP99Ms = nsToMs(iv.Lag.ValueAtQuantile(99))
	}
	// The last interval of a run usually ends between two ticks: say so,
	// so that a plot does not read its rates as a drop.
	e.Partial = iv.Final && m.interval > 0 && d < m.interval*9/10
	m.series = append(m.series, e)
	if len(m.series) >= maxSeries {
		m.series = coalesce(m.series)
	}
}

// coalesce merges neighbouring entries pairwise. Rates are recomputed from
// the merged counts; the merged percentiles are the larger of the two (an
// upper bound: the exact value is in the interval log).
func coalesce(s []reports.Interval) []reports.Interval {
	out := s[:0]
	for i := 0; i < len(s); i += 2 {
		a := s[i]
		if i+1 < len(s) {
			b := s[i+1]
			opsA, bytesA := a.OpsPerSecond*a.DurationSeconds, a.BytesPerSecond*a.DurationSeconds
			opsB, bytesB := b.OpsPerSecond*b.DurationSeconds, b.BytesPerSecond*b.DurationSeconds
			a.DurationSeconds += b.DurationSeconds
			a.Ops += b.Ops
			a.Failed += b.Failed
			a.OpsPerSecond = (opsA + opsB) / a.DurationSeconds
			a.BytesPerSecond = (bytesA + bytesB) / a.DurationSeconds
			a.P50Ms = max(a.P50Ms, b.P50Ms)
			a.P90Ms = max(a.P90Ms, b.P90Ms)
			a.P99Ms = max(a.P99Ms, b.P99Ms)
			a.LagP99Ms = max(a.LagP99Ms, b.LagP99Ms)
			a.Partial = a.Partial || b.Partial
		}
		out = append(out, a)
	}
	return out
}

func nsToMs(v int64) float64 { return float64(v) / 1e6 }

// Snapshot is the cumulative state of a run after its final flush.
type Snapshot struct {
	// Total, TTFB and Uncorrected are the run's latency histograms of
	// successful copies (nanoseconds); Failed is the failed copies' latency,
	// Lag every copy's generator lag (actual send minus intended start).
	Total, TTFB, Uncorrected, Failed, Lag *hdrhistogram.Histogram
	Counts                                Counts
	Failures                              map[string]int64
	Series                                []reports.Interval
}

// Snapshot returns a copy of the cumulative figures.
func (m *Metrics) Snapshot() Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := make(map[string]int64, len(m.failures))
	for k, v := range m.failures {
		f[k] = v
	}
	return Snapshot{
		Total: m.total.Clone(), TTFB: m.ttfb.Clone(), Uncorrected: m.uncor.Clone(),
		Failed: m.failed.Clone(), Lag: m.lag.Clone(),
		Counts: m.counts, Failures: f, Series: append([]reports.Interval(nil), m.series...),
	}
}

// SinkErr returns the first error a sink returned.
func (m *Metrics) SinkErr() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sinkErr
}

// FailureKeys returns the keys of f sorted by count, then name (the
// reports' order).
func FailureKeys(f map[string]int64) []string { return reports.FailureKeys(f) }
