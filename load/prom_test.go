package load

import (
	"context"
	"math"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/reports"
)

// scrape fetches and parses the metrics endpoint.
func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mf, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return mf
}

// value returns the value of the family's sample whose labels include
// want (counters, gauges) or its summary's sample count.
func value(mf map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f := mf[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if got[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Summary != nil:
			return float64(m.GetSummary().GetSampleCount()), true
		}
	}
	return 0, false
}

func quantile(mf map[string]*dto.MetricFamily, name string, q float64) float64 {
	for _, m := range mf[name].GetMetric() {
		for _, x := range m.GetSummary().GetQuantile() {
			if x.GetQuantile() == q {
				return x.GetValue()
			}
		}
	}
	return math.NaN()
}

// TestPromMetricsMatchLoadJSON scrapes --metrics-addr's endpoint during a
// run through the fault proxy (three copies in ten answered 200 without an
// ETag, D02) and after it: the figures grow during the run, and at the end
// every counter equals load.json's figure and the latency quantiles are
// load.json's percentiles.
func TestPromMetricsMatchLoadJSON(t *testing.T) {
	proxy := faultServer(t, nullServer(t).URL, time.Time{}, "copy:noetag200@0.3")
	sc := newScenario(t, proxy.URL, Workload{SourceSize: 1 << 20, PartSize: 256 << 10, CompleteEvery: 10}, 4)
	labels := prometheus.Labels{"run_id": "r1", "shard": "2"}
	sink := NewPromSink(labels)
	srv, err := ServeMetrics("127.0.0.1:0", sink)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	outs, err := OpenOutputs(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer outs.Close()

	// Scrape during the run until one shows successful copies.
	during := make(chan float64, 1)
	runDone := make(chan struct{})
	go func() {
		defer close(during)
		for {
			select {
			case <-runDone:
				return
			case <-time.After(200 * time.Millisecond):
			}
			v, _ := value(scrape(t, srv.Addr), MetricCopies, map[string]string{"outcome": "succeeded", "run_id": "r1", "shard": "2"})
			if v > 0 {
				during <- v
				return
			}
		}
	}()
	run, err := Attack(context.Background(), sc, Config{Duration: 2500 * time.Millisecond, Rate: 200, Sinks: append(outs.Sinks(), sink)})
	close(runDone)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := outs.Finish(run, Meta{Endpoint: proxy.URL, Workload: sc.Workload(), RunID: "r1"}); err != nil {
		t.Fatal(err)
	}
	l, err := reports.ReadLoad(filepath.Join(outs.Dir, FileJSON))
	if err != nil {
		t.Fatal(err)
	}
	midOK := <-during
	after := scrape(t, srv.Addr)

	if midOK <= 0 || midOK >= float64(l.Ops.Succeeded) {
		t.Errorf("mid-run scrape: %v successful copies, want between 0 and the final %d", midOK, l.Ops.Succeeded)
	}
	if l.LatencyMs.Failed == nil || l.Generator == nil {
		t.Fatalf("load.json lacks the failed latency or the generator: %+v %+v", l.LatencyMs.Failed, l.Generator)
	}
	key := string(s3call.KindNoETag200)
	bytes := math.Round(l.Throughput.BytesPerSecond * l.DurationSeconds)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{MetricCopies, map[string]string{"outcome": "succeeded"}, float64(l.Ops.Succeeded)},
		{MetricCopies, map[string]string{"outcome": "failed"}, float64(l.Ops.Failed)},
		{MetricFailures, map[string]string{"kind": key}, float64(l.Failures[key])},
		{MetricBytes, nil, bytes},
		{MetricLateStarts, nil, float64(l.Ops.LateStarts)},
		{MetricInFlight, nil, 0},
		{MetricLatency, nil, float64(l.LatencyMs.Total.Count)},
		{MetricTTFB, nil, float64(l.LatencyMs.TTFB.Count)},
		{MetricUncorrected, nil, float64(l.LatencyMs.Uncorrected.Count)},
		{MetricFailedLat, nil, float64(l.LatencyMs.Failed.Count)},
		{MetricLag, nil, float64(l.Generator.LagMs.Count)},
	} {
		got, ok := value(after, c.name, c.labels)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (found %v), load.json says %v", c.name, c.labels, got, ok, c.want)
		}
	}
	if l.Ops.Failed == 0 || l.Failures[key] != l.Ops.Failed {
		t.Errorf("failures %v: the proxy's no-ETag 200s should be all of them", l.Failures)
	}
	for q, ms := range map[float64]float64{0.5: l.LatencyMs.Total.P50, 0.9: l.LatencyMs.Total.P90, 0.99: l.LatencyMs.Total.P99, 0.999: l.LatencyMs.Total.P999} {
		if got := quantile(after, MetricLatency, q); math.Abs(got*1000-ms) > 1e-9 {
			t.Errorf("latency quantile %v = %v s, load.json %v ms", q, got, ms)
		}
	}
}
