package reports

import (
	"io"
	"math"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// LoadSchema is the schema identifier of a load report.
const LoadSchema = "partcopy/load/v1"

// Load modes.
const (
	// ModeOpen sends at a fixed rate whatever the responses do; latency is
	// measured from the intended start (corrected for coordinated omission).
	ModeOpen = "open"
	// ModeClosed runs a fixed number of workers back to back.
	ModeClosed = "closed"
)

// Load is a load report, schema partcopy/load/v1. The load module fills it;
// this package only defines, reads, renders and compares it.
type Load struct {
	Schema          string          `json:"schema"`
	GeneratedAt     time.Time       `json:"generatedAt"`
	PartcopyVersion string          `json:"partcopyVersion,omitempty"`
	Endpoint        string          `json:"endpoint"`
	Implementation  *Implementation `json:"implementation,omitempty"`
	// RunID ties the shards of one run together (--run-id; by default the
	// start time, 20261204T190000Z); "" in reports written before it.
	RunID string `json:"runId,omitempty"`
	// StartedAt is when the measured window began; nil if unknown.
	StartedAt *time.Time `json:"startedAt,omitempty"`
	// Shard describes the shard this report is of; nil for a run that was
	// not sharded (and for a merged report).
	Shard *ShardInfo `json:"shard,omitempty"`
	// Shards, ShardResults and Incomplete are set on a merged report (see
	// MergeLoad): the run's shard count, each shard's summary, and whether
	// a shard is missing, failed or was interrupted.
	Shards       int           `json:"shards,omitempty"`
	ShardResults []ShardResult `json:"shardResults,omitempty"`
	Incomplete   bool          `json:"incomplete,omitempty"`
	// Provenance says which build ran how; nil in reports written before
	// it existed.
	Provenance *Provenance `json:"provenance,omitempty"`
	// Client is the load generator's client for the copies: "fast"
	// (internal/fastcopy) or "s3call" (net/http); empty in older reports.
	Client string `json:"client,omitempty"`
	// Mode is "open" or "closed".
	Mode string `json:"mode"`
	// TargetRate is the intended copies per second in open mode; 0 in closed mode.
	TargetRate float64 `json:"targetRate"`
	// Concurrency is the worker count (closed) or the in-flight cap (open).
	Concurrency int `json:"concurrency"`
	// MaxInFlight is the open loop's in-flight cap (the same number as
	// Concurrency there, named for what it is); 0 in closed mode.
	MaxInFlight     int     `json:"maxInFlight,omitempty"`
	DurationSeconds float64 `json:"durationSeconds"`
	// SourceSize and PartSize are in bytes.
	SourceSize int64 `json:"sourceSize"`
	PartSize   int64 `json:"partSize"`
	// SSEC is true when the copies used SSE-C on either side (D09, D10).
	SSEC bool `json:"ssec"`
	// SSECMode says where: "none", "source" (D10), "dest" (D09) or "both".
	SSECMode string  `json:"ssecMode,omitempty"`
	Ops      LoadOps `json:"ops"`
	// Failures counts failed copies by kind or error code ("NoSuchUpload",
	// "200-without-etag" for D02, "timeout", ...).
	Failures   map[string]int64 `json:"failures"`
	Throughput Throughput       `json:"throughput"`
	LatencyMs  LatencySet       `json:"latencyMs"`
	// Intervals is an optional time series of the run.
	Intervals []Interval `json:"intervals,omitempty"`

	// LatencyOf says which copies LatencyMs.Total, .TTFB and .Uncorrected
	// hold: LatencyOfSucceeded (failed copies are in LatencyMs.Failed and
	// counted by kind in Failures). Empty in reports written before the
	// split, whose histograms mixed both.
	LatencyOf string `json:"latencyOf,omitempty"`
	// Generator describes the load generator's own lag and limits.
	Generator *Generator `json:"generator,omitempty"`
	// Interrupted is true when the run was stopped (Ctrl-C, SIGTERM) before
	// its duration; the figures cover what completed until then.
	Interrupted bool `json:"interrupted"`
	// Aborted names the threshold that stopped the run early
	// (--abort-on-fail); empty when it ran its course.
	Aborted string `json:"aborted,omitempty"`
	// RequestedDurationSeconds is the --duration asked for;
	// DurationSeconds is what the run actually took.
	RequestedDurationSeconds float64 `json:"requestedDurationSeconds,omitempty"`
	// Thresholds are the absolute gates evaluated on this run.
	Thresholds []ThresholdResult `json:"thresholds,omitempty"`
}

// LatencyOfSucceeded is Load.LatencyOf when the headline histograms hold
// successful copies only.
const LatencyOfSucceeded = "succeeded"

// Generator is what the load generator measured about itself.
type Generator struct {
	// LagMs is the distribution of every copy's lag: actual send minus
	// intended start (the pacer's time in open mode, the moment the worker
	// became free in closed mode).
	LagMs Latency `json:"lagMs"`
	// Limited is true when the lag is large against the measured latency
	// (see Causes and Warning): the corrected latency then measures the
	// generator as much as the endpoint.
	Limited bool `json:"limited"`
	// Causes names what limited it: GenCPUStarved, GenInFlightCap,
	// GenTimerSlack.
	Causes []string `json:"causes,omitempty"`
	// Warning is the one-line explanation printed with the run.
	Warning string `json:"warning,omitempty"`
	// WorkersUsed is how many workers ran; MaxInFlight the cap (open mode).
	WorkersUsed int `json:"workersUsed"`
	MaxInFlight int `json:"maxInFlight,omitempty"`
	// MaxInFlightReached is true when a copy was due while all MaxInFlight
	// workers were busy; CapWaits counts those copies.
	MaxInFlightReached bool  `json:"maxInFlightReached"`
	CapWaits           int64 `json:"capWaits"`
	// NotSent counts copies due before the end of the duration that were
	// never sent (every worker was busy until the end).
	NotSent int64 `json:"notSent"`
	// SchedLatencyP99Ms is the 99th percentile of the Go scheduler's
	// runnable-to-running latency during the run (runtime/metrics
	// /sched/latencies:seconds): large when the process is short of CPU.
	SchedLatencyP99Ms float64 `json:"schedLatencyP99Ms"`
	// RunQueueWaitMsPerSecond is how long the generator's threads together
	// waited for a CPU on the kernel's run queues, per second of the run
	// (Linux /proc/self/task/*/schedstat; 0 elsewhere): large when other
	// processes starve it.
	RunQueueWaitMsPerSecond float64 `json:"runQueueWaitMsPerSecond"`
	// GOMAXPROCS of the generator.
	GOMAXPROCS int `json:"gomaxprocs"`
}

// Causes of a limited generator.
const (
	GenCPUStarved  = "cpu-starved"
	GenInFlightCap = "in-flight-cap"
	GenTimerSlack  = "timer-slack"
)

// LoadOps counts copies.
type LoadOps struct {
	Total     int64 `json:"total"`
	Succeeded int64 `json:"succeeded"`
	Failed    int64 `json:"failed"`
	// LateStarts counts requests sent after their intended start time in
	// open mode (the pacer fell behind or the in-flight cap was hit).
	LateStarts int64 `json:"lateStarts"`
}

// ErrorRate is Failed/Total, 0 for no ops.
func (o LoadOps) ErrorRate() float64 {
	if o.Total == 0 {
		return 0
	}
	return float64(o.Failed) / float64(o.Total)
}

// Throughput of successful copies.
type Throughput struct {
	OpsPerSecond   float64 `json:"opsPerSecond"`
	BytesPerSecond float64 `json:"bytesPerSecond"`
}

// LatencySet holds the latency distributions of a run, in milliseconds.
type LatencySet struct {
	// Total is request latency from the intended start (open mode: corrected
	// for coordinated omission, as wrk2 does) to the end of the body (the
	// body decides success, D02/S06).
	Total Latency `json:"total"`
	// TTFB is time to the first response byte.
	TTFB Latency `json:"ttfb"`
	// Uncorrected is Total measured from the actual send time.
	Uncorrected Latency `json:"uncorrected"`
	// Failed is the latency of failed copies, from the intended start to
	// the failure; Total, TTFB and Uncorrected hold successful copies only
	// (when Load.LatencyOf says so).
	Failed *Latency `json:"failed,omitempty"`
}

// Latency summarizes one latency distribution in milliseconds.
type Latency struct {
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p999"`
	Max   float64 `json:"max"`
	Mean  float64 `json:"mean"`
	Count int64   `json:"count"`
	// Distribution is an optional percentile spectrum for plotting, as
	// HdrHistogram's percentile output gives it; ascending percentile.
	Distribution []PercentilePoint `json:"distribution,omitempty"`
}

// PercentilePoint is one point of a percentile spectrum.
type PercentilePoint struct {
	// Percentile is in 0..100.
	Percentile float64 `json:"percentile"`
	ValueMs    float64 `json:"valueMs"`
}

// Interval is one slice of the run's time series.
type Interval struct {
	// StartSeconds is the offset of the interval from the start of the run.
	StartSeconds    float64 `json:"startSeconds"`
	DurationSeconds float64 `json:"durationSeconds"`
	Ops             int64   `json:"ops"`
	Failed          int64   `json:"failed"`
	OpsPerSecond    float64 `json:"opsPerSecond"`
	BytesPerSecond  float64 `json:"bytesPerSecond"`
	// P50Ms, P90Ms and P99Ms are the corrected latency of the interval's
	// successful copies; 0 if unknown.
	P50Ms float64 `json:"p50Ms,omitempty"`
	P90Ms float64 `json:"p90Ms,omitempty"`
	P99Ms float64 `json:"p99Ms,omitempty"`
	// LagP99Ms is the generator lag's 99th percentile in the interval.
	LagP99Ms float64 `json:"lagP99Ms,omitempty"`
	// Partial is true for a last interval cut short by the end of the run:
	// its rates are over its own (short) duration.
	Partial bool `json:"partial,omitempty"`
}

// maxPlotDecades is the right end of the percentile axis: 1/(1-p) = 10^5,
// p = 99.999%.
const maxPlotDecades = 5

// LatencyFromHistogram summarizes h. msPerUnit converts the histogram's unit
// to milliseconds (0.001 for a histogram recorded in microseconds). The
// distribution is sampled at ten points per decade of 1/(1-p), up to where the
// sample count still resolves it, for the percentile plot.
func LatencyFromHistogram(h *hdrhistogram.Histogram, msPerUnit float64) Latency {
	n := h.TotalCount()
	if n == 0 {
		return Latency{}
	}
	at := func(p float64) float64 { return float64(h.ValueAtQuantile(p)) * msPerUnit }
	l := Latency{
		P50: at(50), P90: at(90), P99: at(99), P999: at(99.9),
		Max:   float64(h.Max()) * msPerUnit,
		Mean:  h.Mean() * msPerUnit,
		Count: n,
	}
	limit := math.Min(maxPlotDecades, math.Log10(float64(n)))
	for x := 0.0; x <= limit+1e-9; x += 0.1 {
		p := 100 * (1 - math.Pow(10, -x))
		l.Distribution = append(l.Distribution, PercentilePoint{Percentile: p, ValueMs: at(p)})
	}
	return l
}

// WriteLoadJSON writes l as indented JSON, redacted.
func WriteLoadJSON(w io.Writer, l Load) error {
	return writeIndentedJSON(w, l.redacted())
}

// redacted returns l with its free-text fields redacted by pattern (the load
// module holds no exchange records, but endpoints and failure keys could
// carry a presigned query or user info).
func (l Load) redacted() Load {
	r := NewRedactor()
	out := l
	out.Endpoint = sanitizeEndpoint(r, l.Endpoint)
	out.ShardResults = redactShardResults(r, l.ShardResults)
	out.PartcopyVersion = r.String(l.PartcopyVersion)
	out.Provenance = l.Provenance.redacted(r)
	if l.Implementation != nil {
		out.Implementation = &Implementation{Name: r.String(l.Implementation.Name), Version: r.String(l.Implementation.Version)}
	}
	if l.Failures != nil {
		out.Failures = make(map[string]int64, len(l.Failures))
		for k, v := range l.Failures {
			out.Failures[r.String(k)] += v
		}
	}
	return out
}
