package load

import (
	"math"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// schedMetric is the Go scheduler's distribution of the time goroutines
// spent runnable before they ran: when the generator is short of CPU, its
// dispatcher and workers wait here, and the copies go out late.
const schedMetric = "/sched/latencies:seconds"

// readSchedLatencies reads the cumulative scheduler latency histogram (nil
// when the runtime does not provide it).
func readSchedLatencies() *metrics.Float64Histogram {
	s := []metrics.Sample{{Name: schedMetric}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64Histogram {
		return nil
	}
	h := s[0].Value.Float64Histogram()
	return &metrics.Float64Histogram{Counts: append([]uint64(nil), h.Counts...), Buckets: h.Buckets}
}

// schedLatencyP99 is the 99th percentile of the scheduler latencies
// recorded between a and b (the upper bound of its bucket), 0 when unknown.
func schedLatencyP99(a, b *metrics.Float64Histogram) time.Duration {
	if a == nil || b == nil || len(a.Counts) != len(b.Counts) {
		return 0
	}
	var total uint64
	for i := range b.Counts {
		total += b.Counts[i] - a.Counts[i]
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(0.99 * float64(total)))
	var seen uint64
	for i := range b.Counts {
		seen += b.Counts[i] - a.Counts[i]
		if seen >= rank {
			upper := b.Buckets[i+1]
			if math.IsInf(upper, 1) {
				upper = b.Buckets[i]
			}
			return time.Duration(upper * float64(time.Second))
		}
	}
	return 0
}

// runQueueWait is the time every thread of this process has spent waiting
// for a CPU on the kernel's run queues (the second field of
// /proc/self/task/*/schedstat, Linux); ok is false elsewhere. Unlike the Go
// scheduler's latency it sees the whole process being starved by other
// processes (a busy machine): then the dispatcher's timer fires late and
// nothing inside Go notices.
func runQueueWait() (d time.Duration, ok bool) {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return 0, false
	}
	var total int64
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + t.Name() + "/schedstat")
		if err != nil {
			continue // the thread exited
		}
		f := strings.Fields(string(b))
		if len(f) < 2 {
			continue
		}
		if v, err := strconv.ParseInt(f[1], 10, 64); err == nil {
			total += v
		}
	}
	return time.Duration(total), true
}
