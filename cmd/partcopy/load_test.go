package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partcopy/partcopy/internal/faults"
	"github.com/partcopy/partcopy/reports"
)

// runCaptured runs the CLI with args, capturing stdout and stderr.
func runCaptured(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	root := newRootCmd()
	var o, e bytes.Buffer
	root.SetOut(&o)
	root.SetErr(&e)
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		fmt.Fprintf(&e, "partcopy: %s\n", oneLine(err.Error()))
		return exitCodeOf(err), o.String(), e.String()
	}
	return exitOK, o.String(), e.String()
}

// embeddedBehindProxy starts the embedded endpoint with the fault proxy
// and rules in front of it, and returns the proxy's URL and the
// endpoint's credentials as flags.
func embeddedBehindProxy(t *testing.T, rules ...string) []string {
	t.Helper()
	e, err := startEmbedded(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	target, _ := url.Parse(e.URL())
	rs, err := faults.ParseRules(rules)
	if err != nil {
		t.Fatal(err)
	}
	p, err := faults.New(target, faults.Options{Rules: rs, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	t.Cleanup(p.CloseIdleConnections)
	c := e.main()
	return []string{"--endpoint", srv.URL, "--access-key", c.AccessKey, "--secret-key", c.SecretKey}
}

func thresholdsOf(t *testing.T, dir string) []reports.ThresholdResult {
	t.Helper()
	l, err := reports.ReadLoad(filepath.Join(dir, "load.json"))
	if err != nil {
		t.Fatal(err)
	}
	return l.Thresholds
}

// TestLoadThresholdExitCodes: half the copies answered 200 without an
// ETag (D02: failed) break errors<1% (exit 1, ✗ with the measured rate);
// the same threshold on a clean run passes (exit 0).
func TestLoadThresholdExitCodes(t *testing.T) {
	dir := t.TempDir()
	common := []string{"load", "--rate", "40", "--duration", "1500ms", "--source-size", "64KiB", "--threshold", "errors<1%", "--threshold", "p99<10s"}

	faulty := filepath.Join(dir, "faulty")
	code, out, errs := runCaptured(t, append(append(common, embeddedBehindProxy(t, "copy:noetag200@0.5")...), "--out", faulty)...)
	if code != exitCheckFailed {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	ths := thresholdsOf(t, faulty)
	if len(ths) != 2 || ths[0].OK || ths[0].Value < 30 || ths[0].Value > 70 || !ths[1].OK {
		t.Errorf("thresholds %+v, want errors<1%% missed at ~50%%, p99<10s met", ths)
	}
	want := fmt.Sprintf("✗ %-24s measured %s", "errors<1%", reports.FormatThresholdValue(ths[0].Value, reports.ThresholdUnitPct))
	if !strings.Contains(out, want) || !strings.Contains(out, "Verdict: FAIL (1 of 2 thresholds not met)") {
		t.Errorf("stdout lacks %q and the verdict:\n%s", want, out)
	}
	if !strings.Contains(errs, "threshold not met: errors<1% (measured") || strings.Count(errs, "partcopy: threshold") != 1 {
		t.Errorf("stderr: %q", errs)
	}

	clean := filepath.Join(dir, "clean")
	code, out, errs = runCaptured(t, append(append(common, embeddedBehindProxy(t)...), "--out", clean)...)
	if code != exitOK {
		t.Fatalf("clean run: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if ths := thresholdsOf(t, clean); len(ths) != 2 || !ths[0].OK || ths[0].Value != 0 {
		t.Errorf("clean thresholds %+v", ths)
	}
	if !strings.Contains(out, "✓ errors<1%") || !strings.Contains(out, "Verdict: PASS") {
		t.Errorf("clean stdout:\n%s", out)
	}
}

// TestLoadAbortOnFail: with every copy failing, errors<1% is lost at the
// first interval; --abort-on-fail stops a 60 s run there and exits 1.
func TestLoadAbortOnFail(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "slo.yaml")
	// Thresholds from the YAML config, as a list.
	if err := os.WriteFile(cfg, []byte("rate: 40\nthreshold:\n  - errors<1%\nabort-on-fail: true\nsource-size: 64KiB\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	code, out, errs := runCaptured(t, append([]string{"load", "--config", cfg, "--duration", "60s", "--out", dir}, embeddedBehindProxy(t, "copy:noetag200@1")...)...)
	if code != exitCheckFailed {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if time.Since(begin) > 30*time.Second {
		t.Errorf("the run was not stopped early (%v)", time.Since(begin))
	}
	l, err := reports.ReadLoad(filepath.Join(dir, "load.json"))
	if err != nil {
		t.Fatal(err)
	}
	if l.Aborted != "errors<1%" || l.RequestedDurationSeconds != 60 || l.DurationSeconds >= 60 || l.Interrupted {
		t.Errorf("aborted %q requested %v actual %v interrupted %v", l.Aborted, l.RequestedDurationSeconds, l.DurationSeconds, l.Interrupted)
	}
	if !strings.Contains(out, "Stopped early after") {
		t.Errorf("stdout:\n%s", out)
	}
}

// TestLoadBoundsOneLineExit2: values no run should start with are refused
// before any request, each with one line and exit 2.
func TestLoadBoundsOneLineExit2(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--part-size", "0"}, "--part-size must be > 0"},
		{[]string{"--source-size", "0"}, "--source-size must be > 0"},
		{[]string{"--sources", "0"}, "--sources must be at least 1"},
		{[]string{"--timeout", "0s"}, "--timeout must be > 0"},
		{[]string{"--timeout", "-1s"}, "--timeout must be > 0"},
		{[]string{"--drain", "-1s"}, "--drain must not be negative"},
		{[]string{"--rate", "NaN"}, "finite"},
		{[]string{"--rate", "+Inf"}, "finite"},
		{[]string{"--rate", "2e6"}, "--i-know"},
		{[]string{"--concurrency", "100001"}, "over the maximum 100000"},
		{[]string{"--rate", "10", "--max-in-flight", "200000"}, "over the maximum 100000"},
		{[]string{"--duration", "25h"}, "over the maximum"},
		{[]string{"--complete-every", "0"}, "--complete-every"},
		{[]string{"--threshold", "p99<NaNms"}, "not a finite number"},
		{[]string{"--threshold", "p99"}, "want METRIC<VALUE"},
		{[]string{"--abort-on-fail"}, "needs at least one --threshold"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, errs := runCaptured(t, append([]string{"load", "--out", t.TempDir()}, tc.args...)...)
			if code != exitUsage || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d stderr %q, want exit 2 and one line with %q", code, errs, tc.want)
			}
		})
	}
}

// TestLoadSilentEndpoint: an endpoint that accepts connections and never
// answers gives one line and exit 2 within the response timeout.
func TestLoadSilentEndpoint(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c) // read nothing, answer nothing
		}
	}()
	begin := time.Now()
	code, _, errs := runCaptured(t, "load", "--endpoint", "http://"+l.Addr().String(), "--access-key", "a", "--secret-key", "b",
		"--timeout", "1s", "--duration", "5s", "--out", t.TempDir())
	if code != exitUsage || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "did not answer ListBuckets within 1s") {
		t.Errorf("exit %d stderr %q", code, errs)
	}
	if took := time.Since(begin); took > 15*time.Second {
		t.Errorf("took %v with --timeout 1s", took)
	}
}
