package load

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// HlogSink writes each interval's histograms to an HdrHistogram interval
// log (format 1.3, the one HdrHistogram's HistogramLogProcessor and
// hdrhistogram-go's HistogramLogReader read), tagged "total", "ttfb",
// "uncorrected" (successful copies), "failed" (failed copies) and "lag"
// (the generator's lag, every copy), so that a merge of shards loses none.
// Values are nanoseconds; timestamps are seconds from the run's start.
type HlogSink struct {
	w   *bufio.Writer
	lw  *hdrhistogram.HistogramLogWriter
	hdr bool
}

// NewHlogSink returns a sink writing to w.
func NewHlogSink(w io.Writer) *HlogSink {
	bw := bufio.NewWriter(w)
	return &HlogSink{w: bw, lw: hdrhistogram.NewHistogramLogWriter(bw)}
}

// Interval writes one line per tag.
func (s *HlogSink) Interval(iv *Interval) error {
	if !s.hdr {
		s.hdr = true
		startMs := iv.Start.Add(-iv.Offset).UnixMilli()
		s.lw.SetBaseTime(startMs)
		for _, f := range []func() error{
			s.lw.OutputLogFormatVersion,
			func() error { return s.lw.OutputComment("[partcopy load: UploadPartCopy latency in nanoseconds]") },
			func() error {
				return s.lw.OutputComment("[Tag=total: from the intended start to the final body byte; Tag=ttfb: from the intended start to the first response byte; Tag=uncorrected: from the actual send to the final body byte; Tag=failed: failed copies, intended start to failure; Tag=lag: actual send minus intended start]")
			},
			func() error { return s.lw.OutputStartTime(startMs) },
			func() error { return s.lw.OutputBaseTime(startMs) },
			s.lw.OutputLegend,
		} {
			if err := f(); err != nil {
				return err
			}
		}
	}
	for _, h := range []*hdrhistogram.Histogram{iv.Total, iv.TTFB, iv.Uncorrected, iv.Failed, iv.Lag} {
		if h == nil {
			continue
		}
		if err := s.lw.OutputIntervalHistogram(h); err != nil {
			return err
		}
	}
	return s.w.Flush()
}

// CSVHeader is the header row of load.csv.
var CSVHeader = []string{
	"second", "elapsed_s", "ops", "succeeded", "failed", "late_starts", "in_flight",
	"ops_per_s", "bytes_per_s", "mib_per_s",
	"p50_ms", "p90_ms", "p99_ms", "max_ms", "ttfb_p99_ms", "uncorrected_p99_ms", "failures",
}

// CSVSink writes one row per interval to a CSV time series.
type CSVSink struct {
	w   *csv.Writer
	hdr bool
	n   int
}

// NewCSVSink returns a sink writing to w.
func NewCSVSink(w io.Writer) *CSVSink { return &CSVSink{w: csv.NewWriter(w)} }

// Interval writes one row.
func (s *CSVSink) Interval(iv *Interval) error {
	if !s.hdr {
		s.hdr = true
		if err := s.w.Write(CSVHeader); err != nil {
			return err
		}
	}
	s.n++
	secs := iv.End.Sub(iv.Start).Seconds()
	rate := func(n int64) string {
		if secs <= 0 {
			return "0"
		}
		return ffmt(float64(n) / secs)
	}
	q := func(h *hdrhistogram.Histogram, p float64) string {
		if h.TotalCount() == 0 {
			return ""
		}
		return ffmt(nsToMs(h.ValueAtQuantile(p)))
	}
	maxMs := ""
	if iv.Total.TotalCount() > 0 {
		maxMs = ffmt(nsToMs(iv.Total.Max()))
	}
	mib := "0"
	if secs > 0 {
		mib = ffmt(float64(iv.Counts.Bytes) / secs / (1 << 20))
	}
	row := []string{
		strconv.Itoa(s.n), ffmt((iv.Offset + iv.End.Sub(iv.Start)).Seconds()),
		i64(iv.Counts.Ops), i64(iv.Counts.Succeeded), i64(iv.Counts.Failed), i64(iv.Counts.LateStarts), i64(iv.InFlight),
		rate(iv.Counts.Succeeded), rate(iv.Counts.Bytes), mib,
		q(iv.Total, 50), q(iv.Total, 90), q(iv.Total, 99), maxMs, q(iv.TTFB, 99), q(iv.Uncorrected, 99),
		failureString(iv.Failures),
	}
	if err := s.w.Write(row); err != nil {
		return err
	}
	s.w.Flush()
	return s.w.Error()
}

// failureString renders failures as "key=n;key=n", sorted by key.
func failureString(f map[string]int64) string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(';')
		}
		fmt.Fprintf(&b, "%s=%d", k, f[k])
	}
	return b.String()
}

func ffmt(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
func i64(v int64) string    { return strconv.FormatInt(v, 10) }

// ms renders a duration in milliseconds for humans.
func ms(d time.Duration) string { return fmtMs(float64(d) / 1e6) }

func fmtMs(v float64) string {
	switch {
	case v >= 10000:
		return fmt.Sprintf("%.2fs", v/1000)
	case v >= 100:
		return fmt.Sprintf("%.0fms", v)
	case v >= 1:
		return fmt.Sprintf("%.2fms", v)
	default:
		return fmt.Sprintf("%.0fus", v*1000)
	}
}
