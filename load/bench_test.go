package load

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partcopy/partcopy/reports"
)

// BenchmarkRecord is the recording overhead per operation: the histogram
// updates (three for a successful copy, plus the generator lag) and the
// counters, under the recorder's lock.
func BenchmarkRecord(b *testing.B) {
	t0 := time.Now()
	m := NewMetrics(t0, 1)
	rec := m.recorderFor(0)
	r := Result{Intended: t0, Start: t0.Add(time.Microsecond), Sent: t0.Add(2 * time.Microsecond),
		FirstByte: t0.Add(300 * time.Microsecond), Done: t0.Add(400 * time.Microsecond), OK: true, Bytes: 8 << 20}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.Done = t0.Add(time.Duration(400+i%1000) * time.Microsecond)
		rec.Record(&r, false)
	}
}

// BenchmarkRecordParallel records from every P at once, one recorder per
// worker as Attack does.
func BenchmarkRecordParallel(b *testing.B) {
	t0 := time.Now()
	m := NewMetrics(t0, 64)
	b.ReportAllocs()
	b.ResetTimer()
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		w := int(next.Add(1))
		rec := m.recorderFor(w)
		r := Result{Intended: t0, Start: t0, FirstByte: t0.Add(time.Millisecond), Done: t0.Add(2 * time.Millisecond), OK: true}
		for pb.Next() {
			rec.Record(&r, false)
		}
	})
}

// BenchmarkCopyOp is one whole copy against the do-nothing endpoint in the
// same process: build, SigV4-sign, send, read, classify (D02), record.
func BenchmarkCopyOp(b *testing.B) {
	null := nullServer(b)
	sc := newScenario(b, null.URL, Workload{SourceSize: 1 << 10}, 1)
	m := NewMetrics(time.Now(), 1)
	rec := m.recorderFor(0)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now := time.Now()
		r := Result{Intended: now, Start: now}
		sc.Op(ctx, Hit{}, &r)
		if !r.OK {
			b.Fatalf("copy failed: %s", r.FailureKey)
		}
		rec.Record(&r, false)
	}
}

// BenchmarkGenerator is the rate the closed-loop generator sustains
// against the do-nothing endpoint in the same process, with signing,
// classification and recording on. Run it with -cpu 1 to pin both to one
// P; load/bench/generators.sh runs the endpoint on another core and
// compares the generator's CPU per copy with wrk's, vegeta's and others'.
func BenchmarkGenerator(b *testing.B) {
	null := nullServer(b)
	sc := newScenario(b, null.URL, Workload{SourceSize: 1 << 10}, 16)
	var ops int64
	var elapsed time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run, err := Attack(context.Background(), sc, Config{Duration: time.Second, Concurrency: 16})
		if err != nil {
			b.Fatal(err)
		}
		ops += run.Counts.Succeeded
		elapsed += run.Elapsed()
	}
	b.ReportMetric(float64(ops)/elapsed.Seconds(), "copies/s")
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(ops), "ns/copy")
}

// BenchmarkAbortCheck is --abort-on-fail's cost per interval (once a
// second, not per copy): merging the interval's histograms and judging
// three thresholds.
func BenchmarkAbortCheck(b *testing.B) {
	t0 := time.Now()
	m := NewMetrics(t0, 1)
	rec := m.recorderFor(0)
	for i := 0; i < 10000; i++ {
		rec.Record(&Result{Intended: t0, Start: t0, Done: t0.Add(time.Duration(100+i%5000) * time.Microsecond), OK: i%100 != 0}, false)
	}
	var iv Interval
	m.sinks = []IntervalSink{sinkFunc(func(x *Interval) error {
		// The interval's histograms are valid only during the call.
		iv = *x
		iv.Total, iv.TTFB, iv.Uncorrected, iv.Failed, iv.Lag = x.Total.Clone(), x.TTFB.Clone(), x.Uncorrected.Clone(), x.Failed.Clone(), x.Lag.Clone()
		return nil
	})}
	m.Flush(t0.Add(time.Second), false)
	ths, err := reports.ParseThresholds([]string{"p99<200ms", "errors<5%", "throughput>10/s"})
	if err != nil {
		b.Fatal(err)
	}
	c := NewAbortCheck(ths, Config{Rate: 1000, Duration: time.Minute})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = c.Interval(&iv)
	}
}

type sinkFunc func(*Interval) error

func (f sinkFunc) Interval(iv *Interval) error { return f(iv) }
