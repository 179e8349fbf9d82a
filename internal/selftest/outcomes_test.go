package selftest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/partcopy/partcopy/internal/refserver"
	"github.com/partcopy/partcopy/reports"
	"github.com/partcopy/partcopy/suites/clause"
)

// outcomeRun is one `partcopy conform` child run for the outcome tests.
type outcomeRun struct {
	code           int
	stdout, stderr string
	report         reports.Conformance
	junit          string
}

// conformThrough starts a fresh embedded endpoint, puts wrap's handler
// (nil: none) in front of it, and runs `partcopy conform args...` through
// it. signal, when set, is sent to the child after that delay.
func conformThrough(t *testing.T, wrap func(target http.Handler) http.Handler, signalAfter time.Duration, args ...string) outcomeRun {
	t.Helper()
	runSlots <- struct{}{}
	defer func() { <-runSlots }()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	ref, err := refserver.Start(ctx, refserver.Options{RestoreDelay: 2 * time.Second}, "127.0.0.1:0", "", "")
	if err != nil {
		t.Fatalf("starting the reference endpoint: %v", err)
	}
	defer ref.Close()
	endpoint := ref.URL
	if wrap != nil {
		target, _ := url.Parse(ref.URL)
		srv := httptest.NewServer(wrap(httputil.NewSingleHostReverseProxy(target)))
		defer srv.Close()
		endpoint = srv.URL
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "report")
	o := ref.Server.Options()
	conf := map[string]any{
		"endpoint": endpoint, "region": o.Region,
		"access-key": o.Main.AccessKey, "secret-key": o.Main.SecretKey,
		"alt-access-key": o.Alt.AccessKey, "alt-secret-key": o.Alt.SecretKey,
		"temp-access-key": o.Temp.AccessKey, "temp-secret-key": o.Temp.SecretKey, "session-token": o.Temp.SessionToken,
		"min-part-size": fmt.Sprint(o.MinPartSize),
	}
	data, _ := yaml.Marshal(conf)
	confPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(confPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, partcopyBin, append([]string{"conform", "--config", confPath, "--out", out, "--timeout", "6m"}, args...)...)
	cmd.Dir, cmd.Env = dir, cleanEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if signalAfter > 0 {
		timer := time.AfterFunc(signalAfter, func() { _ = cmd.Process.Signal(syscall.SIGINT) })
		defer timer.Stop()
	}
	err = cmd.Wait()
	r := outcomeRun{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("running partcopy conform: %v", err)
	}
	r.report, err = reports.ReadConformance(filepath.Join(out, "conformance.json"))
	if err != nil {
		t.Fatalf("reading the report (exit %d): %v\n%s\n%s", r.code, err, tail(r.stdout, 30), r.stderr)
	}
	j, err := os.ReadFile(filepath.Join(out, "junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	r.junit = string(j)
	t.Logf("partcopy conform %s: exit %d\nstderr: %s\n%s", strings.Join(args, " "), r.code, strings.TrimSpace(r.stderr), tail(r.stdout, 12))
	return r
}

// noClauseFails checks the rule: nothing is reported as fail that was not
// observed (except names, the specs allowed to fail).
func noClauseFails(t *testing.T, c reports.Conformance, allowed ...string) {
	t.Helper()
	for _, s := range c.Specs {
		if s.State == reports.StateFailed && !contains(allowed, s.Name) {
			t.Errorf("spec %q failed: %.300s", s.Name, s.Message)
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// isCopy reports an UploadPartCopy request.
func isCopy(r *http.Request) bool {
	return r.Method == http.MethodPut && r.URL.Query().Has("partNumber") && r.Header.Get("X-Amz-Copy-Source") != ""
}

// crashAfter lets the first n part copies through, then drops every
// request (the connection is closed without an answer) for down, then
// answers again; down < 0 means never again.
func crashAfter(n int64, down time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		var copies atomic.Int64
		var mu sync.Mutex
		var downAt time.Time
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			if downAt.IsZero() && isCopy(r) && copies.Add(1) > n {
				downAt = time.Now()
			}
			dead := !downAt.IsZero() && (down < 0 || time.Since(downAt) < down)
			mu.Unlock()
			if dead {
				if hj, ok := w.(http.Hijacker); ok {
					if conn, _, err := hj.Hijack(); err == nil {
						_ = conn.Close()
						return
					}
				}
				panic(http.ErrAbortHandler)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// crashLabels select a dozen quick specs that copy.
const crashLabels = "D01 || D03 || D07 || D13 || D25"

// TestEndpointCrashRecovers: the endpoint stops answering mid-run and
// comes back within --recover-wait. The spec that was running fails with
// the crash message and leads the report; nothing else fails; the buckets
// the crash left are cleaned; exit 1 names the crash.
func TestEndpointCrashRecovers(t *testing.T) {
	r := conformThrough(t, crashAfter(6, 4*time.Second), 0, "--labels", crashLabels, "--skip-large", "--recover-wait", "30s")
	c := r.report
	if r.code != 1 || !strings.Contains(r.stderr, "crashed or stopped answering") {
		t.Errorf("exit %d, stderr %q; want 1 naming the crash", r.code, r.stderr)
	}
	if len(c.EndpointIncidents) != 1 || !c.EndpointIncidents[0].Recovered {
		t.Fatalf("incidents = %+v, want one, recovered", c.EndpointIncidents)
	}
	crashed := c.EndpointIncidents[0].Spec
	for _, s := range c.Specs {
		if s.Name == crashed && (s.State != reports.StateFailed || !s.EndpointDown || !strings.HasPrefix(s.Message, clause.CrashMessage)) {
			t.Errorf("crashed spec = %s down=%v %.200q", s.State, s.EndpointDown, s.Message)
		}
	}
	noClauseFails(t, c, crashed)
	if len(c.LeftoverBuckets) != 0 {
		t.Errorf("leftover buckets after recovery: %v", c.LeftoverBuckets)
	}
	if c.Summary.Passed < 8 {
		t.Errorf("only %d specs passed after the endpoint came back: %+v", c.Summary.Passed, c.Summary)
	}
	if i := strings.Index(r.stdout, "crashed or stopped answering"); i < 0 || i > strings.Index(r.stdout, "specs:") {
		t.Errorf("the summary does not lead with the crash:\n%s", tail(r.stdout, 20))
	}
}

// TestEndpointCrashStaysDown: the endpoint never answers again. The
// running spec fails with the crash, every later spec is not-run (never
// fail), the leftover buckets are listed, exit 1 names the crash.
func TestEndpointCrashStaysDown(t *testing.T) {
	r := conformThrough(t, crashAfter(6, -1), 0, "--labels", crashLabels, "--skip-large", "--recover-wait", "3s")
	c := r.report
	if r.code != 1 || !strings.Contains(r.stderr, "crashed or stopped answering") || !strings.Contains(r.stderr, "did not answer again") {
		t.Errorf("exit %d, stderr %q; want 1 naming the crash", r.code, r.stderr)
	}
	if len(c.EndpointIncidents) != 1 || c.EndpointIncidents[0].Recovered {
		t.Fatalf("incidents = %+v, want one, not recovered", c.EndpointIncidents)
	}
	noClauseFails(t, c, c.EndpointIncidents[0].Spec)
	if c.Summary.NotRun == 0 || c.Summary.Failed != 1 {
		t.Errorf("summary %+v: want one failure and the rest not-run", c.Summary)
	}
	if len(c.LeftoverBuckets) == 0 {
		t.Error("the buckets the crash left behind are not listed")
	}
	for _, cl := range c.Clauses {
		if cl.Verdict == reports.VerdictFail {
			for _, n := range cl.Specs {
				if n == c.EndpointIncidents[0].Spec {
					goto ok
				}
			}
			t.Errorf("clause %s fails without the crashed spec", cl.ID)
		ok:
		}
	}
}

// TestConfigErrorAfterPrecheck: the pre-check passes (ListBuckets is
// answered), then every request is refused for its signing region, as the
// reference endpoint refuses a wrong --region. One line naming the flag,
// exit 2, result error, junit <error> not <failure>, no clause verdict.
func TestConfigErrorAfterPrecheck(t *testing.T) {
	wrap := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && r.URL.Path == "/" {
				w.Header().Set("Content-Type", "application/xml")
				_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult><Owner><ID>x</ID></Owner><Buckets></Buckets></ListAllMyBucketsResult>`))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	r := conformThrough(t, wrap, 0, "--skip-large", "--region", "eu-west-1")
	c := r.report
	// stderr also carries the live progress (a line per spec); the error
	// is the one line after it.
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	last := lines[len(lines)-1]
	errLines := 0
	for _, l := range lines {
		if strings.Contains(l, "--region") {
			errLines++
		}
	}
	if r.code != 2 || errLines != 1 || !strings.HasPrefix(last, "partcopy: ") || !strings.Contains(last, "--region us-east-1") {
		t.Errorf("exit %d, last stderr line %q (%d naming --region); want 2 and one line naming --region us-east-1", r.code, last, errLines)
	}
	if c.Result != reports.ResultError || !strings.Contains(c.ConfigError, "--region us-east-1") {
		t.Errorf("result %s, configError %q", c.Result, c.ConfigError)
	}
	for _, cl := range c.Clauses {
		if cl.Verdict != reports.VerdictNotRun {
			t.Errorf("clause %s has verdict %s after a configuration error", cl.ID, cl.Verdict)
		}
	}
	if strings.Contains(r.junit, "<failure") || !strings.Contains(r.junit, "<error") {
		t.Errorf("junit: want <error>, no <failure>:\n%.1500s", r.junit)
	}
}

// TestInterrupt: SIGINT after 5 s: exit 130, result incomplete,
// interrupted true, no clause fails, junit without <failure>.
func TestInterrupt(t *testing.T) {
	r := conformThrough(t, nil, 5*time.Second, "--skip-large")
	c := r.report
	if r.code != 130 || c.Result != reports.ResultIncomplete || !c.Interrupted {
		t.Errorf("exit %d, result %s, interrupted %v; want 130, incomplete, true\n%s", r.code, c.Result, c.Interrupted, r.stderr)
	}
	noClauseFails(t, c)
	for _, cl := range c.Clauses {
		if cl.Verdict == reports.VerdictFail {
			t.Errorf("clause %s fails in an interrupted run", cl.ID)
		}
	}
	if strings.Contains(r.junit, "<failure") {
		t.Errorf("junit of an interrupted run has a <failure>")
	}
	if c.Summary.Passed == 0 {
		t.Errorf("nothing ran in 5 s: %+v", c.Summary)
	}
}

// TestEmbeddedVerdictsPinnedOBS pins the embedded endpoint's verdicts
// under profile obs, the 5 GiB specs included: every clause passes and no
// spec is unsupported, blocked or not run (the s3 profile is pinned by
// suites' TestConformance). A spec that silently degrades fails here.
func TestEmbeddedVerdictsPinnedOBS(t *testing.T) {
	r := conformThrough(t, nil, 0, "--profile", "obs")
	c := r.report
	if r.code != 0 || c.Result != reports.ResultPass {
		t.Errorf("exit %d, result %s; want 0, pass\n%s", r.code, c.Result, tail(r.stdout, 30))
	}
	ran := 0
	for _, s := range c.Specs {
		inOBS := len(s.Clauses) == 1 && s.Clauses[0][0] == 'D'
		switch {
		case inOBS && s.State != reports.StatePassed:
			t.Errorf("spec %q is %s: %.200s", s.Name, s.State, s.Message)
		case !inOBS && s.State != reports.StateSkipped:
			t.Errorf("spec %q of no obs clause is %s, want skipped (filtered out by the profile)", s.Name, s.State)
		case inOBS:
			ran++
		}
	}
	if ran < 70 {
		t.Errorf("only %d specs ran under profile obs", ran)
	}
	for _, cl := range clause.ForProfile(clause.OBS) {
		found := false
		for _, got := range c.Clauses {
			if got.ID == cl.ID {
				found = true
				if got.Verdict != reports.VerdictPass {
					t.Errorf("clause %s: %s", cl.ID, got.Verdict)
				}
			}
		}
		if !found {
			t.Errorf("clause %s missing", cl.ID)
		}
	}
}
