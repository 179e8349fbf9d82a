package load

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/partcopy/partcopy/reports"
)

func TestRecorderCountsAndLatencies(t *testing.T) {
	t0 := time.Unix(1000, 0)
	for _, tc := range []struct {
		name                 string
		r                    Result
		late                 bool
		wantTotal, wantUncor time.Duration
		wantTTFB             time.Duration // 0: none recorded
		wantFailed, wantLag  time.Duration
		wantCounts           Counts
		wantFailure          string
	}{
		{
			name: "ok, sent late",
			r: Result{Intended: t0, Start: t0.Add(50 * time.Millisecond), Sent: t0.Add(51 * time.Millisecond),
				FirstByte: t0.Add(60 * time.Millisecond), Done: t0.Add(70 * time.Millisecond), OK: true, Bytes: 100},
			late:      true,
			wantTotal: 70 * time.Millisecond, wantUncor: 19 * time.Millisecond, wantTTFB: 60 * time.Millisecond,
			wantLag:    51 * time.Millisecond,
			wantCounts: Counts{Ops: 1, Succeeded: 1, Bytes: 100, LateStarts: 1},
		},
		{
			// A failure stays out of the headline histograms (an endpoint
			// that fails fast must not look faster) and keeps its latency
			// in its own.
			name: "D02 failure: own histogram, not the headline",
			r: Result{Intended: t0, Start: t0, FirstByte: t0.Add(5 * time.Millisecond), Done: t0.Add(8 * time.Millisecond),
				FailureKey: "no-etag-200", Bytes: 100},
			wantFailed: 8 * time.Millisecond,
			wantCounts: Counts{Ops: 1, Failed: 1}, wantFailure: "no-etag-200",
		},
		{
			name:       "transport failure: no ttfb, uncorrected from start",
			r:          Result{Intended: t0, Start: t0.Add(time.Millisecond), Done: t0.Add(3 * time.Millisecond), FailureKey: "transport"},
			wantFailed: 3 * time.Millisecond, wantLag: time.Millisecond,
			wantCounts: Counts{Ops: 1, Failed: 1}, wantFailure: "transport",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMetrics(t0, 2)
			m.recorderFor(1).Record(&tc.r, tc.late)
			m.Flush(t0.Add(time.Second), true)
			s := m.Snapshot()
			if s.Counts != tc.wantCounts {
				t.Errorf("counts %+v, want %+v", s.Counts, tc.wantCounts)
			}
			eq := func(name string, h *hdrhistogram.Histogram, want time.Duration) {
				t.Helper()
				if want == 0 {
					if h.TotalCount() != 0 {
						t.Errorf("%s: %d values recorded, want none", name, h.TotalCount())
					}
					return
				}
				if got := time.Duration(h.Max()); !h.ValuesAreEquivalent(int64(got), int64(want)) {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}
			eq("total", s.Total, tc.wantTotal)
			eq("uncorrected", s.Uncorrected, tc.wantUncor)
			eq("ttfb", s.TTFB, tc.wantTTFB)
			eq("failed", s.Failed, tc.wantFailed)
			if tc.wantLag == 0 {
				// A lag of 0 is recorded as a value (clamped), not as none.
				if s.Lag.TotalCount() != 1 || s.Lag.Max() > int64(time.Microsecond) {
					t.Errorf("lag: %d values, max %d, want one of 0", s.Lag.TotalCount(), s.Lag.Max())
				}
			} else {
				eq("lag", s.Lag, tc.wantLag)
			}
			if tc.wantFailure != "" && s.Failures[tc.wantFailure] != 1 {
				t.Errorf("failures %v, want %s: 1", s.Failures, tc.wantFailure)
			}
		})
	}
}

// captureSink keeps a copy of what each interval said.
type captureSink struct{ got []Interval }

func (c *captureSink) Interval(iv *Interval) error {
	cp := *iv
	cp.Total = iv.Total.Clone()
	c.got = append(c.got, cp)
	return nil
}

func TestFlushMergesRecordersPerInterval(t *testing.T) {
	t0 := time.Unix(2000, 0)
	sink := &captureSink{}
	m := NewMetrics(t0, 3, sink)
	ok := func(d time.Duration) *Result {
		return &Result{Intended: t0, Start: t0, Done: t0.Add(d), OK: true, Bytes: 10}
	}
	for w := 0; w < 6; w++ {
		m.recorderFor(w).Record(ok(time.Duration(w+1)*time.Millisecond), false)
	}
	m.Flush(t0.Add(time.Second), false)
	m.recorderFor(0).Record(ok(time.Second), false)
	m.Flush(t0.Add(2*time.Second), true)
	if len(sink.got) != 2 {
		t.Fatalf("%d intervals, want 2", len(sink.got))
	}
	first, second := sink.got[0], sink.got[1]
	if first.Counts.Ops != 6 || first.Total.TotalCount() != 6 || first.SoFar.Ops != 6 {
		t.Errorf("first interval: %+v with %d latencies", first.Counts, first.Total.TotalCount())
	}
	if second.Counts.Ops != 1 || second.Total.TotalCount() != 1 || second.SoFar.Ops != 7 || !second.Final {
		t.Errorf("second interval: %+v so far %+v final %v", second.Counts, second.SoFar, second.Final)
	}
	if second.Offset != time.Second {
		t.Errorf("second interval offset %v, want 1s", second.Offset)
	}
	s := m.Snapshot()
	if s.Total.TotalCount() != 7 || s.Counts.Bytes != 70 || len(s.Series) != 2 {
		t.Errorf("snapshot: %d latencies, %d bytes, %d series entries", s.Total.TotalCount(), s.Counts.Bytes, len(s.Series))
	}
}

func TestRecordClampsOutOfRange(t *testing.T) {
	h := NewHistogram()
	record(h, -time.Second)
	record(h, 2*time.Hour)
	if h.TotalCount() != 2 {
		t.Fatalf("recorded %d of 2 values: out-of-range values must be clamped, not dropped", h.TotalCount())
	}
	if !h.ValuesAreEquivalent(h.Max(), int64(time.Hour)) {
		t.Errorf("max %v, want 1h", time.Duration(h.Max()))
	}
}

func TestCoalesceKeepsTotals(t *testing.T) {
	var s []reports.Interval
	for i := 0; i < 5; i++ {
		s = append(s, reports.Interval{StartSeconds: float64(i), DurationSeconds: 1, Ops: 10, Failed: 1,
			OpsPerSecond: 9, BytesPerSecond: 90, P50Ms: float64(i), P99Ms: float64(10 * i)})
	}
	got := coalesce(s)
	if len(got) != 3 {
		t.Fatalf("%d entries, want 3", len(got))
	}
	var ops, failed int64
	var dur, copies float64
	for _, e := range got {
		ops += e.Ops
		failed += e.Failed
		dur += e.DurationSeconds
		copies += e.OpsPerSecond * e.DurationSeconds
	}
	if ops != 50 || failed != 5 || dur != 5 || copies != 45 {
		t.Errorf("after coalescing: ops %d failed %d duration %g copies %g", ops, failed, dur, copies)
	}
	if got[0].P99Ms != 10 || got[1].StartSeconds != 2 {
		t.Errorf("first %+v second %+v", got[0], got[1])
	}
}

func TestSeriesStaysBounded(t *testing.T) {
	t0 := time.Unix(3000, 0)
	m := NewMetrics(t0, 1)
	for i := 1; i <= 5000; i++ {
		m.recorderFor(0).Record(&Result{Intended: t0, Start: t0, Done: t0.Add(time.Millisecond), OK: true}, false)
		m.Flush(t0.Add(time.Duration(i)*time.Second), false)
	}
	s := m.Snapshot()
	if len(s.Series) >= maxSeries {
		t.Errorf("series has %d entries, want < %d", len(s.Series), maxSeries)
	}
	var ops int64
	for _, e := range s.Series {
		ops += e.Ops
	}
	if ops != 5000 || s.Counts.Ops != 5000 {
		t.Errorf("series holds %d ops, counts %d, want 5000", ops, s.Counts.Ops)
	}
}

// TestHlogReadableByHdrHistogram writes an interval log and reads it back
// with hdrhistogram-go's own HistogramLogReader.
func TestHlogReadableByHdrHistogram(t *testing.T) {
	t0 := time.Unix(4000, 0)
	var buf bytes.Buffer
	m := NewMetrics(t0, 2, NewHlogSink(&buf))
	for sec := 1; sec <= 3; sec++ {
		for i := 0; i < 10*sec; i++ {
			m.recorderFor(i).Record(&Result{Intended: t0, Start: t0, FirstByte: t0.Add(time.Millisecond),
				Done: t0.Add(time.Duration(i+1) * time.Millisecond), OK: true}, false)
		}
		m.Flush(t0.Add(time.Duration(sec)*time.Second), sec == 3)
	}
	text := buf.String()
	for _, want := range []string{"#[Histogram log format version 1.3]", "#[StartTime: 4000 ", "#[BaseTime: 4000 ", "Tag=total,", "Tag=ttfb,", "Tag=uncorrected,"} {
		if !strings.Contains(text, want) {
			t.Errorf("log lacks %q:\n%s", want, text)
		}
	}
	r := hdrhistogram.NewHistogramLogReader(strings.NewReader(text))
	counts := map[string][]int64{}
	for {
		h, err := r.NextIntervalHistogram()
		if err != nil {
			t.Fatal(err)
		}
		if h == nil {
			break
		}
		counts[h.Tag()] = append(counts[h.Tag()], h.TotalCount())
	}
	for _, tag := range []string{"total", "ttfb", "uncorrected"} {
		got := counts[tag]
		if len(got) != 3 || got[0] != 10 || got[1] != 20 || got[2] != 30 {
			t.Errorf("tag %s: interval counts %v, want [10 20 30]", tag, got)
		}
	}
}

func TestCSVSink(t *testing.T) {
	t0 := time.Unix(5000, 0)
	var buf bytes.Buffer
	m := NewMetrics(t0, 1, NewCSVSink(&buf))
	m.recorderFor(0).Record(&Result{Intended: t0, Start: t0, Done: t0.Add(4 * time.Millisecond), OK: true, Bytes: 1 << 20}, false)
	m.recorderFor(0).Record(&Result{Intended: t0, Start: t0, Done: t0.Add(4 * time.Millisecond), FailureKey: "http-error:SlowDown"}, false)
	m.Flush(t0.Add(2*time.Second), false)
	m.Flush(t0.Add(3*time.Second), true)
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(CSVHeader, ",") {
		t.Fatalf("rows %v", rows)
	}
	row := map[string]string{}
	for i, k := range CSVHeader {
		row[k] = rows[1][i]
	}
	want := map[string]string{"second": "1", "elapsed_s": "2.000", "ops": "2", "succeeded": "1", "failed": "1",
		"ops_per_s": "0.500", "mib_per_s": "0.500", "failures": "http-error:SlowDown=1"}
	for k, v := range want {
		if row[k] != v {
			t.Errorf("%s = %q, want %q", k, row[k], v)
		}
	}
	if rows[2][CSVIndex("p99_ms")] != "" {
		t.Errorf("an empty interval has no p99, got %q", rows[2][CSVIndex("p99_ms")])
	}
}

// CSVIndex is the column of name in CSVHeader.
func CSVIndex(name string) int {
	for i, k := range CSVHeader {
		if k == name {
			return i
		}
	}
	return -1
}
