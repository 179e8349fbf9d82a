package load

import (
	"context"
	"encoding/pem"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partcopy/partcopy/internal/faults"
	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/load/nulls3"
)

// faultForms is every form of the fault proxy, on copy-part requests (so
// that setup and rotation pass untouched and both runs draw the same
// random sequence), at a probability that mixes faults and successes.
var faultForms = []string{
	"copy:error200@0.3",
	"copy:error200=SlowDown,busy@0.3",
	"copy:empty200@0.3",
	"copy:noetag200@0.3",
	"copy:truncate@0.3",
	"copy:truncate=40@0.3",
	"copy:keepalive=5ms,15ms@0.3",
	"copy:keepalive-error=5ms,15ms@0.3",
	"copy:pre-decl-whitespace@0.3",
	"copy:latency=2ms@0.3",
	"copy:stall=20ms/100ms",
	"copy:reset@0.3",
	"copy:reset=after@0.3",
	"copy:status=503@0.3",
	"copy:status=500,InternalError,oops@0.3",
	"copy:status=404,NoSuchUpload,gone@0.2",
}

// TestFastPathMatchesS3callThroughFaults sends the same copies through the
// fault proxy (same rules, same seed) once with s3call's client and once
// with the fast path, over plain HTTP and TLS, and wants the same outcome,
// copy by copy, and so the same failure counts; the counts also match the
// faults the proxy says it injected.
func TestFastPathMatchesS3callThroughFaults(t *testing.T) {
	const copies = 60
	forms := append([]string{}, faultForms...)
	forms = append(forms, "copy:latency=1ms@0.5,copy:noetag200@0.2,copy:reset@0.1,copy:truncate@0.1")
	for _, form := range forms {
		for _, tlsOn := range []bool{false, true} {
			name := form
			if tlsOn {
				name += " TLS"
			}
			t.Run(name, func(t *testing.T) {
				rules := strings.Split(form, ",copy:")
				for i := 1; i < len(rules); i++ {
					rules[i] = "copy:" + rules[i]
				}
				var keys [2][]string
				var fired [2]int64
				for arm, fast := range []bool{false, true} {
					keys[arm], fired[arm] = runThroughFaults(t, rules, tlsOn, fast, copies)
				}
				if fired[0] != fired[1] {
					t.Fatalf("the proxy fired %d times for s3call, %d for the fast path: the runs are not comparable", fired[0], fired[1])
				}
				fails := 0
				for i := range keys[0] {
					if keys[0][i] != keys[1][i] {
						t.Errorf("copy %d: s3call %q, fast path %q", i, keys[0][i], keys[1][i])
					}
					if keys[0][i] != "" {
						fails++
					}
				}
				t.Logf("%d copies, %d failed (%v), %d faults injected", copies, fails, count(keys[1]), fired[1])
				// Keep-alive whitespace, delays, and whitespace before the
				// declaration (an S06 deviation, flagged, not a failed copy).
				harmless := strings.Contains(form, "keepalive=") || strings.Contains(form, "latency") && !strings.Contains(form, "noetag") ||
					strings.Contains(form, "stall") || strings.Contains(form, "pre-decl")
				switch {
				case harmless && fails != 0:
					t.Errorf("%d copies failed under a harmless fault", fails)
				case !harmless && !strings.Contains(form, ",") && int64(fails) != fired[1]:
					t.Errorf("%d copies failed, the proxy injected %d faults", fails, fired[1])
				case !harmless && fired[1] == 0:
					t.Error("the proxy injected nothing")
				}
			})
		}
	}
}

func count(keys []string) map[string]int {
	m := map[string]int{}
	for _, k := range keys {
		if k != "" {
			m[k]++
		}
	}
	return m
}

// runThroughFaults runs copies one after the other through a new fault
// proxy in front of nulls3 and returns each copy's failure key ("" for a
// success) and how often the proxy's outcome rules fired.
func runThroughFaults(t *testing.T, rules []string, tlsOn, fast bool, copies int) ([]string, int64) {
	t.Helper()
	null := nullServer(t)
	rs, err := faults.ParseRules(rules)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(null.URL)
	p, err := faults.New(u, faults.Options{Rules: rs, Seed: 42, Start: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	var srv *httptest.Server
	if tlsOn {
		srv = httptest.NewTLSServer(p)
	} else {
		srv = httptest.NewServer(p)
	}
	t.Cleanup(srv.Close)
	t.Cleanup(p.CloseIdleConnections)
	cfg := s3call.Config{Endpoint: srv.URL, Credentials: testCreds, Timeout: 10 * time.Second}
	if tlsOn {
		ca := filepath.Join(t.TempDir(), "ca.pem")
		if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg.CACertFile = ca
	}
	c, err := s3call.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := NewCopyScenario(c, Workload{SourceSize: 1 << 20, PartSize: 256 << 10, CompleteEvery: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := sc.Setup(ctx, 1); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sc.Cleanup(context.Background()) }()
	if fast {
		if err := sc.UseFastPath(1); err != nil {
			t.Fatal(err)
		}
	}
	if want := map[bool]string{false: ClientS3call, true: ClientFast}[fast]; sc.ClientPath() != want {
		t.Fatalf("client %s, want %s", sc.ClientPath(), want)
	}
	keys := make([]string, copies)
	for i := range keys {
		r := Result{Intended: time.Now(), Start: time.Now()}
		sc.Op(ctx, Hit{Seq: uint64(i)}, &r)
		if r.OK != (r.FailureKey == "") {
			t.Fatalf("copy %d: OK %v with failure key %q", i, r.OK, r.FailureKey)
		}
		if r.Done.IsZero() {
			t.Fatalf("copy %d: times not set: %+v", i, r)
		}
		keys[i] = r.FailureKey
	}
	var fired int64
	for _, st := range p.Stats() {
		switch st.Action {
		case faults.ActionLatency, faults.ActionStall, faults.ActionKeepalive, faults.ActionPreDeclWhitespace:
		default:
			fired += st.Fired
		}
	}
	return keys, fired
}

// TestFastPathAttack runs the fast path under Attack in both load models
// through copy:noetag200: the failures are exactly the injected replies,
// and the copies went through the fast path (one connection per worker).
func TestFastPathAttack(t *testing.T) {
	for _, cfg := range []Config{
		{Duration: time.Second, Concurrency: 4},
		{Duration: time.Second, Rate: 300},
	} {
		t.Run(cfg.Mode(), func(t *testing.T) {
			null := httptest.NewServer(nulls3.Handler())
			t.Cleanup(null.Close)
			proxy := faultServer(t, null.URL, time.Time{}, "copy:noetag200@0.3")
			sc := newScenario(t, proxy.URL, Workload{SourceSize: 1 << 20, PartSize: 256 << 10, CompleteEvery: 10}, 4)
			if err := sc.UseFastPath(cfg.Workers()); err != nil {
				t.Fatal(err)
			}
			run, err := Attack(context.Background(), sc, cfg)
			if err != nil {
				t.Fatal(err)
			}
			injected := proxy.Stats()[0].Fired
			if injected == 0 || run.Failures[string(s3call.KindNoETag200)] != injected || run.Counts.Failed != injected {
				t.Errorf("failures %v (failed %d), injected %d", run.Failures, run.Counts.Failed, injected)
			}
			if rep := run.Report(Meta{Client: sc.ClientPath()}); rep.Client != ClientFast {
				t.Errorf("report client %q", rep.Client)
			}
		})
	}
}

// TestFastPathFallsBack: SigV2 is not covered; the scenario says so and
// keeps s3call.
func TestFastPathFallsBack(t *testing.T) {
	c, err := s3call.New(s3call.Config{Endpoint: "http://127.0.0.1:1", Credentials: testCreds, Signature: s3call.SigV2})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := NewCopyScenario(c, Workload{SourceSize: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.UseFastPath(4); err == nil || !strings.Contains(err.Error(), "SigV2") {
		t.Fatalf("UseFastPath: %v, want a SigV2 reason", err)
	}
	if sc.ClientPath() != ClientS3call {
		t.Fatalf("client %s", sc.ClientPath())
	}
}

// BenchmarkCopyOpFast is BenchmarkCopyOp through the fast path.
func BenchmarkCopyOpFast(b *testing.B) {
	null := nullServer(b)
	sc := newScenario(b, null.URL, Workload{SourceSize: 1 << 10}, 1)
	if err := sc.UseFastPath(1); err != nil {
		b.Fatal(err)
	}
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

// BenchmarkGeneratorFast is BenchmarkGenerator through the fast path.
func BenchmarkGeneratorFast(b *testing.B) {
	null := nullServer(b)
	sc := newScenario(b, null.URL, Workload{SourceSize: 1 << 10, CompleteEvery: 1 << 30}, 16)
	if err := sc.UseFastPath(16); err != nil {
		b.Fatal(err)
	}
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
