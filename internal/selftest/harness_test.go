package selftest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/partcopy/partcopy/internal/faults"
	"github.com/partcopy/partcopy/internal/refserver"
	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/reports"
)

// partcopyBin is the binary TestMain builds once for every run.
var partcopyBin string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "partcopy-selftest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "selftest:", err)
		return 2
	}
	defer os.RemoveAll(dir)
	partcopyBin = filepath.Join(dir, "partcopy")
	// go test puts its own GOROOT/bin first on the PATH of the test.
	goTool, err := exec.LookPath("go")
	if err != nil {
		fmt.Fprintln(os.Stderr, "selftest: the go command is needed to build partcopy:", err)
		return 2
	}
	// The import path, not ./cmd/partcopy: the test runs in this
	// package's directory.
	cmd := exec.Command(goTool, "build", "-o", partcopyBin, "github.com/partcopy/partcopy/cmd/partcopy")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "selftest: building partcopy:", err)
		return 2
	}
	return m.Run()
}

// runSlots bounds the conform runs in flight: each one is a whole suite
// run against its own endpoint.
var runSlots = make(chan struct{}, 2)

// runResult is one `partcopy conform` run and what the proxy did.
type runResult struct {
	// Report is the run's conformance.json.
	Report reports.Conformance
	// ExitCode is partcopy's exit code (0 pass, 1 a spec failed).
	ExitCode int
	// Stats are the proxy's rule counters; nil for a run without proxy.
	Stats []faults.RuleStats
	// ProxyLog has one line per fault the proxy injected.
	ProxyLog []string
	// Elapsed is the wall time of the conform subprocess.
	Elapsed time.Duration
	// Out is the report directory (removed with the test's TempDir).
	Out string
}

// conform starts a fresh embedded endpoint, puts the faults proxy with
// rules in front of it (no proxy when rules is nil), runs `partcopy
// conform --record-all --skip-large` through it and reads the report. A
// run that could not produce a report is fatal. Secrets go to the
// subprocess in a --config file, never in argv.
func conform(t *testing.T, rules []string, seed int64) runResult {
	t.Helper()
	runSlots <- struct{}{}
	defer func() { <-runSlots }()

	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	// D05: a short restore delay makes "restore in progress" observable,
	// as under `partcopy conform` with the embedded endpoint.
	ref, err := refserver.Start(ctx, refserver.Options{RestoreDelay: 2 * time.Second}, "127.0.0.1:0", "", "")
	if err != nil {
		t.Fatalf("starting the reference endpoint: %v", err)
	}
	defer ref.Close()

	var res runResult
	endpoint := ref.URL
	var proxy *faults.Running
	var logMu sync.Mutex
	if rules != nil {
		parsed, err := faults.ParseRules(rules)
		if err != nil {
			t.Fatal(err)
		}
		target, err := url.Parse(ref.URL)
		if err != nil {
			t.Fatal(err)
		}
		proxy, err = faults.Start(target, faults.Options{
			Rules: parsed,
			Seed:  seed,
			Logf: func(f string, a ...any) {
				logMu.Lock()
				res.ProxyLog = append(res.ProxyLog, fmt.Sprintf(f, a...))
				logMu.Unlock()
			},
		}, "127.0.0.1:0")
		if err != nil {
			t.Fatalf("starting the proxy: %v", err)
		}
		defer proxy.Close()
		endpoint = proxy.URL
	}

	dir := t.TempDir()
	res.Out = filepath.Join(dir, "report")
	o := ref.Server.Options()
	conf := map[string]any{
		"endpoint":        endpoint,
		"region":          o.Region,
		"access-key":      o.Main.AccessKey,
		"secret-key":      o.Main.SecretKey,
		"alt-access-key":  o.Alt.AccessKey,
		"alt-secret-key":  o.Alt.SecretKey,
		"temp-access-key": o.Temp.AccessKey,
		"temp-secret-key": o.Temp.SecretKey,
		"session-token":   o.Temp.SessionToken,
		"min-part-size":   fmt.Sprint(o.MinPartSize),
	}
	confData, err := yaml.Marshal(conf)
	if err != nil {
		t.Fatal(err)
	}
	confPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(confPath, confData, 0o600); err != nil {
		t.Fatal(err)
	}

	cmd := exec.CommandContext(ctx, partcopyBin, "conform", "--config", confPath,
		"--record-all", "--skip-large", "--timeout", "5m", "--out", res.Out)
	cmd.Dir = dir
	cmd.Env = cleanEnv()
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	t0 := time.Now()
	err = cmd.Run()
	res.Elapsed = time.Since(t0)
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		res.ExitCode = exitErr.ExitCode()
	default:
		t.Fatalf("running partcopy conform: %v\n%s", err, tail(output.String(), 40))
	}
	if proxy != nil {
		res.Stats = proxy.Proxy.Stats()
	}
	if res.ExitCode != 0 && res.ExitCode != 1 {
		t.Fatalf("partcopy conform exited %d (usage, connection or interruption):\n%s", res.ExitCode, tail(output.String(), 40))
	}
	res.Report, err = reports.ReadConformance(filepath.Join(res.Out, "conformance.json"))
	if err != nil {
		t.Fatalf("reading the report: %v\n%s", err, tail(output.String(), 40))
	}
	if len(res.Report.SuiteFailures) > 0 {
		t.Fatalf("the run failed outside any spec: %q", res.Report.SuiteFailures)
	}
	// Exit code and report agree (exit 1 exactly when a spec failed).
	if wantExit := map[reports.Result]int{reports.ResultPass: 0, reports.ResultPartial: 0, reports.ResultFail: 1}[res.Report.Result]; res.ExitCode != wantExit {
		t.Errorf("exit code %d but the report's result is %s", res.ExitCode, res.Report.Result)
	}
	if len(res.Report.Specs) < 50 {
		t.Fatalf("only %d specs in the report: the suite did not run", len(res.Report.Specs))
	}
	requireRecords(t, res.Report)
	return res
}

// cleanEnv is the environment without AWS_* and PARTCOPY_* variables, so
// that nothing but the config file decides where and as whom conform runs.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "PARTCOPY_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// requireRecords stops the test when the report does not carry the
// exchanges of passed specs although --record-all was given: without them
// "a spec received a fault and passed" cannot be seen, and every claim
// below would hold vacuously.
func requireRecords(t *testing.T, c reports.Conformance) {
	t.Helper()
	var without []string
	for _, s := range c.Specs {
		if s.State == reports.StatePassed && len(s.Exchange) == 0 {
			without = append(without, s.Name)
		}
	}
	if len(without) > 0 {
		t.Fatalf("%d passed spec(s) carry no exchange records in conformance.json although --record-all was given "+
			"(ginkgoreport.FromGinkgo must keep the partcopy.exchange entry of every spec that has one), e.g. %q",
			len(without), without[0])
	}
}

// record is one recorded exchange of a spec, decoded.
type record struct {
	s3call.Record
	// Faults are the X-Partcopy-Fault values: the actions that fired on
	// the request. Empty: the target's own answer.
	Faults []string
}

func (r record) String() string {
	s := fmt.Sprintf("%s %s -> %d", r.Method, r.URL, r.Status)
	if len(r.Faults) > 0 {
		s += " [" + strings.Join(r.Faults, ",") + "]"
	}
	if r.BodyError != "" {
		s += " body error: " + r.BodyError
	}
	if r.TransportError != "" {
		s += " transport error: " + r.TransportError
	}
	if r.Body != "" {
		s += fmt.Sprintf(" body %.160q", r.Body)
	}
	return s
}

// specRun is one spec of a run with its decoded records.
type specRun struct {
	reports.SpecResult
	Records []record
}

// Faulted returns the spec's records that carry a fault mark.
func (s specRun) Faulted() []record {
	var out []record
	for _, r := range s.Records {
		if len(r.Faults) > 0 {
			out = append(out, r)
		}
	}
	return out
}

func (s specRun) describe() string {
	msg := s.Message
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i] + " ..."
	}
	out := fmt.Sprintf("%q (%s, %s)", s.Name, s.State, s.Location)
	if msg != "" {
		out += fmt.Sprintf("\n      message: %.300s", msg)
	}
	for _, r := range s.Faulted() {
		out += "\n      faulted: " + r.String()
	}
	return out
}

// specs decodes every spec's records. Spec names are made unique (a
// repeated name gets " #2", " #3") so that runs compare one by one.
func specs(t *testing.T, c reports.Conformance) map[string]specRun {
	t.Helper()
	out := make(map[string]specRun, len(c.Specs))
	for _, s := range c.Specs {
		sr := specRun{SpecResult: s}
		for _, raw := range s.Exchange {
			var r record
			if err := json.Unmarshal(raw, &r.Record); err != nil {
				t.Fatalf("spec %q: exchange record %.200s: %v", s.Name, raw, err)
			}
			r.Faults = http.Header(r.ResponseHeaders).Values(faults.FaultHeader)
			sr.Records = append(sr.Records, r)
		}
		name := s.Name
		for i := 2; ; i++ {
			if _, dup := out[name]; !dup {
				break
			}
			name = fmt.Sprintf("%s #%d", s.Name, i)
		}
		out[name] = sr
	}
	return out
}

func sortedNames(m map[string]specRun) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func countStates(m map[string]specRun) map[reports.SpecState]int {
	out := map[reports.SpecState]int{}
	for _, s := range m {
		out[s.State]++
	}
	return out
}

func tail(s string, lines int) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return strings.Join(ls, "\n")
}

// baseline is the run without the proxy, shared by the tests that compare
// against it.
var baseline struct {
	once sync.Once
	res  runResult
	err  string
}

// baselineRun returns the run without the proxy; a failure to produce it
// fails every test that needs it.
func baselineRun(t *testing.T) runResult {
	t.Helper()
	baseline.once.Do(func() {
		// conform calls t.Fatal on the calling test; run it in a subtest
		// so that the failure is recorded once and the result shared.
		ok := t.Run("baseline without proxy", func(t *testing.T) {
			baseline.res = conform(t, nil, 0)
			// --skip-large: D22 is unsupported, so the best result is partial.
			if baseline.res.Report.Result != reports.ResultPartial {
				t.Errorf("the suite fails against the reference endpoint without any proxy (result %s): %s",
					baseline.res.Report.Result, failedList(specs(t, baseline.res.Report)))
			}
			c := countStates(specs(t, baseline.res.Report))
			t.Logf("baseline: %v in %s", c, baseline.res.Elapsed.Round(100*time.Millisecond))
		})
		if !ok {
			baseline.err = "the baseline run (no proxy) failed; see its subtest"
		}
	})
	if baseline.err != "" {
		t.Fatal(baseline.err)
	}
	return baseline.res
}

func failedList(m map[string]specRun) string {
	var b strings.Builder
	for _, n := range sortedNames(m) {
		if s := m[n]; s.State == reports.StateFailed {
			b.WriteString("\n  - " + s.describe())
		}
	}
	return b.String()
}
