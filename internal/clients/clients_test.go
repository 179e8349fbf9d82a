package clients

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partcopy/partcopy/internal/refserver"
	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/reports"
)

// embedded starts the reference endpoint on loopback for one test.
func embedded(t *testing.T) s3call.Config {
	t.Helper()
	run, err := refserver.Start(context.Background(), refserver.Options{}, "127.0.0.1:0", "", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = run.Close() })
	o := run.Server.Options()
	return s3call.Config{Endpoint: run.URL, Region: o.Region,
		Credentials: s3call.Credentials{AccessKey: o.Main.AccessKey, SecretKey: o.Main.SecretKey}}
}

// status200Forms are the built-in forms whose answer is a 200 that is not a
// success (D02, S06+D02): a client that trusts the status is silent on all.
var status200Forms = map[string]bool{"error200": true, "empty200": true, "noetag200": true, "truncate": true, "keepalive-error": true}

func runMatrix(t *testing.T, target s3call.Config, cls []Client) reports.Clients {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	rep, err := Run(ctx, Config{Target: target, EndpointLabel: "embedded", Forms: BuiltinForms(), Clients: cls,
		Seed: 1, Parallel: 4, Timeout: 2 * time.Minute, Logf: t.Logf})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	var buf bytes.Buffer
	if err := reports.WriteClientsJSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), target.Credentials.SecretKey) {
		t.Errorf("the secret key is in the report")
	}
	if len(rep.Results) != len(cls)*len(BuiltinForms()) {
		t.Fatalf("%d cells, want %d", len(rep.Results), len(cls)*len(BuiltinForms()))
	}
	return rep
}

func cell(t *testing.T, rep reports.Clients, client, form string) reports.ClientResult {
	t.Helper()
	r, ok := rep.Cell(client, form)
	if !ok {
		t.Fatalf("no cell %s / %s", client, form)
	}
	return r
}

// TestExecCurlClients is the contract test: an --exec client that
// trusts the status alone (curl -f) is SILENT on every 200-that-is-not-a-
// success form; one that applies the body rule detects every failed copy
// and succeeds on every good one (so each built-in form's Expect agrees with
// what the proxy really sent); one that trusts the status and completes the
// upload notices the failure only at Complete (late). Attempts are the
// proxy's count: curl never retries.
func TestExecCurlClients(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatal("curl is not on PATH: the --exec contract tests need it (apt-get install curl)")
	}
	if out, err := exec.Command(curl, "--help", "all").Output(); err != nil || !bytes.Contains(out, []byte("--aws-sigv4")) {
		t.Fatalf("curl without --aws-sigv4 (7.75 or newer is needed): %v", err)
	}
	td, _ := filepath.Abs("testdata")
	cls := []Client{
		ExecClient("status-only", "sh "+filepath.Join(td, "status-only.sh")),
		ExecClient("body-rule", "sh "+filepath.Join(td, "body-rule.sh")),
		ExecClient("then-complete", "sh "+filepath.Join(td, "status-then-complete.sh")),
	}
	rep := runMatrix(t, embedded(t), cls)
	for _, f := range BuiltinForms() {
		so, br, tc := cell(t, rep, "status-only", f.Name), cell(t, rep, "body-rule", f.Name), cell(t, rep, "then-complete", f.Name)
		for _, r := range []reports.ClientResult{so, br, tc} {
			if r.Attempts != 1 || len(r.AttemptOutcomes) != 1 {
				t.Errorf("%s / %s: %d attempts %v, want 1 (curl does not retry)", r.Client, f.Name, r.Attempts, r.AttemptOutcomes)
			}
			wantForwarded := int64(1)
			if strings.HasPrefix(f.Name, "status5") {
				wantForwarded = 0 // the proxy answers itself: no copy ran
			}
			if r.Forwarded != wantForwarded {
				t.Errorf("%s / %s: %d forwarded, want %d", r.Client, f.Name, r.Forwarded, wantForwarded)
			}
		}
		wantBody := reports.ClientOK
		if f.Expect == "error" {
			wantBody = reports.ClientDetected
		}
		if br.Verdict != wantBody {
			t.Errorf("body-rule / %s: %s, want %s (%s; reported %+v)", f.Name, br.Verdict, wantBody, br.Detail, br.Reported)
		}
		wantStatus, wantComplete := wantBody, wantBody
		if status200Forms[f.Name] {
			wantStatus, wantComplete = reports.ClientSilent, reports.ClientLate
		}
		if so.Verdict != wantStatus {
			t.Errorf("status-only / %s: %s, want %s (%s)", f.Name, so.Verdict, wantStatus, so.Detail)
		}
		if tc.Verdict != wantComplete {
			t.Errorf("then-complete / %s: %s, want %s (%s)", f.Name, tc.Verdict, wantComplete, tc.Detail)
		}
		if tc.Verdict == reports.ClientLate && tc.CompleteAttempts != 1 {
			t.Errorf("then-complete / %s: %d Complete attempts counted, want 1", f.Name, tc.CompleteAttempts)
		}
	}
	rep.Finish()
	if len(rep.Gate) != len(status200Forms) {
		t.Errorf("gate %v, want the status-only client's %d silent cells", rep.Gate, len(status200Forms))
	}
}

// TestExecNotRun: a command that never talks to the proxy is not judged:
// its cells are not-run, whatever it claims.
func TestExecNotRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	forms, _ := SelectForms([]string{"control", "empty200"})
	rep, err := Run(ctx, Config{Target: embedded(t), Forms: forms,
		Clients: []Client{ExecClient("liar", `echo '"0123456789abcdef0123456789abcdef"'`), ExecClient("dud", "echo nope >&2; exit 3")}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		if r.Verdict != reports.ClientNotRun || r.Attempts != 0 {
			t.Errorf("%s / %s: %s after %d attempts, want not-run", r.Client, r.Form, r.Verdict, r.Attempts)
		}
	}
	if r := cell(t, rep, "dud", "control"); r.Reported.ExitCode != 3 || r.Reported.Error != "nope" {
		t.Errorf("dud reported %+v", r.Reported)
	}
	if !rep.Partial || len(rep.Gate) != 0 {
		t.Errorf("partial %v gate %v: not-run cells make the report partial and never trip the gate", rep.Partial, rep.Gate)
	}
}

// expected is the measured matrix of the pinned drivers (docs/clients.md):
// the verdict and the proxy's attempt count per form, default retries.
// With retries off every attempt count is 1 and the verdicts are the same.
var expected = map[string]map[string]struct {
	verdict  reports.ClientVerdict
	attempts int64
}{
	SDKGoV2: {
		"control": {reports.ClientOK, 1}, "error200": {reports.ClientDetected, 3}, "empty200": {reports.ClientSilent, 1},
		"noetag200": {reports.ClientSilent, 1}, "truncate": {reports.ClientDetected, 1}, "keepalive": {reports.ClientOK, 1},
		"keepalive-error": {reports.ClientDetected, 3}, "pre-decl-whitespace": {reports.ClientOK, 1},
		"status500": {reports.ClientDetected, 3}, "status503": {reports.ClientDetected, 3},
	},
	SDKMinio: {
		"control": {reports.ClientOK, 1}, "error200": {reports.ClientSilent, 1}, "empty200": {reports.ClientDetected, 1},
		"noetag200": {reports.ClientSilent, 1}, "truncate": {reports.ClientDetected, 1}, "keepalive": {reports.ClientOK, 1},
		"keepalive-error": {reports.ClientSilent, 1}, "pre-decl-whitespace": {reports.ClientOK, 1},
		"status500": {reports.ClientDetected, 10}, "status503": {reports.ClientDetected, 10},
	},
	SDKJSv3: {
		"control": {reports.ClientOK, 1}, "error200": {reports.ClientDetected, 3}, "empty200": {reports.ClientDetected, 3},
		"noetag200": {reports.ClientSilent, 1}, "truncate": {reports.ClientDetected, 3}, "keepalive": {reports.ClientOK, 1},
		"keepalive-error": {reports.ClientDetected, 3}, "pre-decl-whitespace": {reports.ClientOK, 1},
		"status500": {reports.ClientDetected, 3}, "status503": {reports.ClientDetected, 3},
	},
	// boto3 is the machine's own (not pinned): checked only at this version.
	SDKBoto3 + " 1.43.11": {
		"control": {reports.ClientOK, 1}, "error200": {reports.ClientDetected, 5}, "empty200": {reports.ClientSilent, 1},
		"noetag200": {reports.ClientSilent, 1}, "truncate": {reports.ClientDetected, 5}, "keepalive": {reports.ClientOK, 1},
		"keepalive-error": {reports.ClientDetected, 5}, "pre-decl-whitespace": {reports.ClientFalseFailure, 5},
		"status500": {reports.ClientDetected, 5}, "status503": {reports.ClientDetected, 5},
	},
}

// TestBuiltinDrivers builds the Go drivers' module, installs the Node
// driver when node and npm are here, finds boto3 when python3 has it, and
// runs the whole matrix: every control is a success, 500 and 503 are
// detected, retries off means one attempt, and the pinned drivers match the
// recorded matrix. Python and Node rows that cannot run must say why.
func TestBuiltinDrivers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the SDK drivers (about a minute); not in -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cls, err := BuiltinClients(ctx, DriverOptions{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	if len(cls) != 2*len(BuiltinSDKs) {
		t.Fatalf("%d rows, want 2 per driver", len(cls))
	}
	for _, c := range cls {
		switch {
		case (c.SDK == SDKGoV2 || c.SDK == SDKMinio) && c.Unsupported != "":
			t.Fatalf("%s cannot run: %s", c.Name, c.Unsupported)
		case c.Unsupported != "":
			t.Logf("%s: unsupported: %s", c.Name, c.Unsupported)
		case len(c.Versions) == 0:
			t.Errorf("%s: no versions recorded", c.Name)
		}
	}
	rep := runMatrix(t, embedded(t), cls)
	for _, c := range cls {
		for _, f := range BuiltinForms() {
			r := cell(t, rep, c.Name, f.Name)
			if c.Unsupported != "" {
				if r.Verdict != reports.ClientUnsupported || !strings.Contains(r.Detail, c.Unsupported) {
					t.Errorf("%s / %s: %s %q, want unsupported with the reason", c.Name, f.Name, r.Verdict, r.Detail)
				}
				continue
			}
			if (f.Name == "control" || f.Name == "keepalive") && r.Verdict != reports.ClientOK {
				t.Errorf("%s / %s: %s, want ok (%s)", c.Name, f.Name, r.Verdict, r.Detail)
			}
			if strings.HasPrefix(f.Name, "status5") && r.Verdict != reports.ClientDetected {
				t.Errorf("%s / %s: %s, want detected (%s)", c.Name, f.Name, r.Verdict, r.Detail)
			}
			if int64(len(r.AttemptOutcomes)) != r.Attempts {
				t.Errorf("%s / %s: %d attempts but %d answers recorded", c.Name, f.Name, r.Attempts, len(r.AttemptOutcomes))
			}
			if strings.HasPrefix(f.Name, "status5") && r.Forwarded != 0 || !strings.HasPrefix(f.Name, "status5") && r.Forwarded != r.Attempts {
				t.Errorf("%s / %s: %d of %d attempts forwarded", c.Name, f.Name, r.Forwarded, r.Attempts)
			}
			if c.Retries == RetriesOff && r.Attempts != 1 {
				t.Errorf("%s / %s: %d attempts with retries off", c.Name, f.Name, r.Attempts)
			}
			key := c.SDK
			if c.SDK == SDKBoto3 && len(c.Versions) > 0 {
				key = SDKBoto3 + " " + strings.TrimPrefix(c.Versions[0], "boto3 ")
			}
			want, ok := expected[key][f.Name]
			if !ok {
				continue
			}
			if c.Retries == RetriesOff {
				want.attempts = 1
			}
			if r.Verdict != want.verdict || r.Attempts != want.attempts {
				t.Errorf("%s / %s: %s after %d attempt(s), recorded %s after %d (%s; reported %+v)",
					c.Name, f.Name, r.Verdict, r.Attempts, want.verdict, want.attempts, r.Detail, r.Reported)
			}
		}
	}
}
