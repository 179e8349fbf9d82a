package load

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Prometheus metric names (partcopy load --metrics-addr).
const (
	MetricCopies      = "partcopy_load_copies_total"
	MetricFailures    = "partcopy_load_copy_failures_total"
	MetricBytes       = "partcopy_load_copied_bytes_total"
	MetricLateStarts  = "partcopy_load_late_starts_total"
	MetricInFlight    = "partcopy_load_in_flight"
	MetricLatency     = "partcopy_load_copy_latency_seconds"
	MetricTTFB        = "partcopy_load_copy_ttfb_seconds"
	MetricUncorrected = "partcopy_load_copy_uncorrected_latency_seconds"
	MetricFailedLat   = "partcopy_load_failed_copy_latency_seconds"
	MetricLag         = "partcopy_load_generator_lag_seconds"
)

// promQuantiles are the quantiles the latency summaries export.
var promQuantiles = []float64{0.5, 0.9, 0.99, 0.999}

// PromSink is an IntervalSink that exports the run to Prometheus as it
// goes: copies by outcome, failures by kind, bytes, late starts, copies in
// flight, the corrected, TTFB and uncorrected latency of successful
// copies, the failed copies' latency and the generator lag as summaries
// whose quantiles come from the run's cumulative HdrHistograms (the same
// figures load.json reports at the end, not a second estimate). Figures
// advance once per metrics interval (1 s).
type PromSink struct {
	mu                 sync.Mutex
	counts             Counts
	failures           map[string]int64
	inFlight           int64
	total, ttfb, uncor *hdrhistogram.Histogram
	failed, lag        *hdrhistogram.Histogram

	copies, failuresD, bytes, late, inFlightD, latency, ttfbD, uncorD, failedD, lagD *prometheus.Desc
}

// NewPromSink returns a sink whose metrics carry the given constant labels
// (e.g. run_id and shard), which may be nil.
func NewPromSink(labels prometheus.Labels) *PromSink {
	d := func(name, help string, variable ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, variable, labels)
	}
	return &PromSink{
		failures: map[string]int64{},
		total:    NewHistogram(), ttfb: NewHistogram(), uncor: NewHistogram(), failed: NewHistogram(), lag: NewHistogram(),
		copies:    d(MetricCopies, "UploadPartCopy requests completed, by outcome (the D02 rule: a 200 without an ETag failed).", "outcome"),
		failuresD: d(MetricFailures, "Failed copies by failure kind (no-etag-200, http-error:<Code>, transport, unfinished, ...).", "kind"),
		bytes:     d(MetricBytes, "Bytes copied by successful copies."),
		late:      d(MetricLateStarts, "Copies that started more than 2 ms after their intended start (open loop)."),
		inFlightD: d(MetricInFlight, "Copies in flight at the end of the last metrics interval."),
		latency:   d(MetricLatency, "Latency of successful copies from the intended start to the final body byte (corrected for coordinated omission), from the run's HdrHistogram."),
		ttfbD:     d(MetricTTFB, "Time from the intended start to the first response byte of successful copies, from the run's HdrHistogram."),
		uncorD:    d(MetricUncorrected, "Latency of successful copies from the actual send to the final body byte, from the run's HdrHistogram."),
		failedD:   d(MetricFailedLat, "Latency of failed copies from the intended start to the failure, from the run's HdrHistogram."),
		lagD:      d(MetricLag, "The generator's own lag (actual send minus intended start) of every copy, from the run's HdrHistogram."),
	}
}

// Interval folds one interval into the exported figures.
func (p *PromSink) Interval(iv *Interval) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts.add(iv.Counts)
	for k, v := range iv.Failures {
		p.failures[k] += v
	}
	p.inFlight = iv.InFlight
	p.total.Merge(iv.Total)
	p.ttfb.Merge(iv.TTFB)
	p.uncor.Merge(iv.Uncorrected)
	if iv.Failed != nil {
		p.failed.Merge(iv.Failed)
	}
	if iv.Lag != nil {
		p.lag.Merge(iv.Lag)
	}
	return nil
}

// Describe implements prometheus.Collector.
func (p *PromSink) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{p.copies, p.failuresD, p.bytes, p.late, p.inFlightD, p.latency, p.ttfbD, p.uncorD, p.failedD, p.lagD} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (p *PromSink) Collect(ch chan<- prometheus.Metric) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	c(p.copies, p.counts.Succeeded, "succeeded")
	c(p.copies, p.counts.Failed, "failed")
	for k, v := range p.failures {
		c(p.failuresD, v, k)
	}
	c(p.bytes, p.counts.Bytes)
	c(p.late, p.counts.LateStarts)
	ch <- prometheus.MustNewConstMetric(p.inFlightD, prometheus.GaugeValue, float64(p.inFlight))
	for d, h := range map[*prometheus.Desc]*hdrhistogram.Histogram{
		p.latency: p.total, p.ttfbD: p.ttfb, p.uncorD: p.uncor, p.failedD: p.failed, p.lagD: p.lag,
	} {
		q := make(map[float64]float64, len(promQuantiles))
		for _, x := range promQuantiles {
			if h.TotalCount() > 0 {
				q[x] = float64(h.ValueAtQuantile(100*x)) / 1e9
			}
		}
		n := h.TotalCount()
		// HdrHistogram keeps no exact sum; count x mean is within its
		// precision (3 significant digits).
		ch <- prometheus.MustNewConstSummary(d, uint64(n), h.Mean()*float64(n)/1e9, q)
	}
}

// MetricsServer serves a PromSink's metrics over HTTP at /metrics.
type MetricsServer struct {
	// Addr is the address it listens on (the port resolved).
	Addr string
	srv  *http.Server
	done chan error
}

// ServeMetrics listens on addr and serves sink's metrics (and nothing
// else: no Go runtime metrics, so a scrape shows the run alone) at
// /metrics until Close.
func ServeMetrics(addr string, sink *PromSink) (*MetricsServer, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(sink); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	s := &MetricsServer{Addr: l.Addr().String(), done: make(chan error, 1),
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}
	go func() { s.done <- s.srv.Serve(l) }()
	return s, nil
}

// Close stops the server, letting a scrape in progress finish.
func (s *MetricsServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if serr := <-s.done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}
