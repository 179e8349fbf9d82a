package load

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partcopy/partcopy/reports"
)

// TestOutputs runs a short load and checks every output file: load.json
// parses strictly as partcopy/load/v1 and agrees with the run, the other
// files exist in their formats, and no secret (secret key, SSE-C keys)
// appears anywhere.
func TestOutputs(t *testing.T) {
	null := nullServer(t)
	proxy := faultServer(t, null.URL, time.Time{}, "copy:noetag200@0.2")
	sc := newScenario(t, proxy.URL, Workload{SourceSize: 2 << 20, PartSize: 1 << 20, SSEC: SSECBoth}, 2)
	dir := t.TempDir()
	outs, err := OpenOutputs(dir)
	if err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	prog := NewProgress(&progress, false, 0, time.Second)
	run, err := Attack(context.Background(), sc, Config{Duration: 2500 * time.Millisecond, Rate: 100, Sinks: append(outs.Sinks(), prog)})
	if err != nil {
		t.Fatal(err)
	}
	meta := Meta{Endpoint: proxy.URL, Version: "test", Workload: sc.Workload()}
	if _, err := outs.Finish(run, meta); err != nil {
		t.Fatal(err)
	}

	l, err := reports.ReadLoad(filepath.Join(dir, FileJSON))
	if err != nil {
		t.Fatalf("load.json does not read back as %s: %v", reports.LoadSchema, err)
	}
	if l.Schema != reports.LoadSchema || l.Mode != reports.ModeOpen || l.TargetRate != 100 || l.Concurrency != DefaultMaxInFlight {
		t.Errorf("header: %+v", l)
	}
	if l.Ops.Total != run.Counts.Ops || l.Ops.Failed != run.Counts.Failed || l.Failures["no-etag-200"] != run.Counts.Failed || l.Ops.Total != 250 {
		t.Errorf("ops %+v failures %v, run %+v", l.Ops, l.Failures, run.Counts)
	}
	// The headline histograms hold the successful copies, the failed ones
	// their own; every copy has a lag.
	if l.LatencyOf != reports.LatencyOfSucceeded || l.LatencyMs.Total.Count != l.Ops.Succeeded || l.LatencyMs.Total.P99 <= 0 ||
		l.LatencyMs.Uncorrected.P99 > l.LatencyMs.Total.Max || l.LatencyMs.Failed == nil || l.LatencyMs.Failed.Count != l.Ops.Failed {
		t.Errorf("latency of %q: total %d, failed %+v; ops %+v", l.LatencyOf, l.LatencyMs.Total.Count, l.LatencyMs.Failed, l.Ops)
	}
	if l.Generator == nil || l.Generator.LagMs.Count != l.Ops.Total || l.Interrupted || l.RequestedDurationSeconds != 2.5 {
		t.Errorf("generator %+v interrupted %v requested %v", l.Generator, l.Interrupted, l.RequestedDurationSeconds)
	}
	if l.PartSize != 1<<20 || l.SourceSize != 2<<20 || !l.SSEC || len(l.Intervals) < 2 {
		t.Errorf("workload %d/%d ssec %v intervals %d", l.PartSize, l.SourceSize, l.SSEC, len(l.Intervals))
	}

	secrets := []string{testCreds.SecretKey, sc.srcKey.KeyB64, sc.dstKey.KeyB64}
	for _, name := range []string{FileJSON, FileCSV, FileHlog, FileHGRM, FileHGRMTTFB, FileHGRMUncorrected, "load.md", "load.html"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || len(data) == 0 {
			t.Errorf("%s: %v (%d bytes)", name, err, len(data))
			continue
		}
		for _, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("%s contains a secret", name)
			}
		}
	}
	hgrm, _ := os.ReadFile(filepath.Join(dir, FileHGRM))
	if !strings.HasPrefix(string(hgrm), "  Detailed Percentile spectrum:\n       Value   Percentile   TotalCount 1/(1-Percentile)\n\n") || !strings.Contains(string(hgrm), "#[Max     =") {
		t.Errorf("latency.hgrm is not in wrk2's percentile layout:\n%s", hgrm)
	}
	var summary bytes.Buffer
	run.WriteSummary(&summary, meta)
	for _, want := range []string{"open loop, 100 copies/s", "no-etag-200", "Copies/sec:", "uncorrected", "99.900%", "generator lag", "failed copies"} {
		if !strings.Contains(summary.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, summary.String())
		}
	}
	if !strings.Contains(progress.String(), "ops/s") || strings.Count(progress.String(), "\n") < 2 {
		t.Errorf("progress lines:\n%s", progress.String())
	}
}
