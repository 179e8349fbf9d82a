package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partcopy/partcopy/internal/refserver"
	"github.com/partcopy/partcopy/reports"
)

// noAmbientAWS keeps the caller's AWS settings out of a CLI test: without
// an endpoint the commands use the embedded one.
func noAmbientAWS(t *testing.T) {
	t.Helper()
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_REGION"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", empty)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func runCLI(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	errOut = &buf
	defer func() { errOut = os.Stderr }()
	return run(args), buf.String()
}

// TestClientsCommand: the gate (exit 1 for a SILENT cell, 0 with
// --gate=false or a client that applies the body rule), reports and the
// doc page written, not-run and bad flags exit 2, and the secret key of
// the embedded endpoint is in no output.
func TestClientsCommand(t *testing.T) {
	noAmbientAWS(t)
	td, _ := filepath.Abs("../../internal/clients/testdata")
	statusOnly := "sh " + filepath.Join(td, "status-only.sh")
	bodyRule := "sh " + filepath.Join(td, "body-rule.sh")
	dir := t.TempDir()

	out := filepath.Join(dir, "gate")
	code, stderr := runCLI(t, "clients", "--forms", "control,empty200", "--exec-name", "curl-f", "--exec", statusOnly, "--out", out)
	if code != exitCheckFailed || !strings.Contains(stderr, "curl-f / empty200") {
		t.Errorf("status-only client: exit %d, stderr %q; want 1 naming the silent cell", code, stderr)
	}
	rep, err := reports.ReadClients(filepath.Join(out, reports.FileClientsJSON))
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := rep.Cell("curl-f", "empty200"); r.Verdict != reports.ClientSilent {
		t.Errorf("curl-f / empty200: %s", r.Verdict)
	}

	doc := filepath.Join(dir, "doc", "clients.md")
	code, stderr = runCLI(t, "clients", "--forms", "control,empty200", "--exec", statusOnly, "--gate=false", "--out", filepath.Join(dir, "nogate"), "--doc", doc)
	if code != exitOK {
		t.Errorf("--gate=false: exit %d (%s)", code, stderr)
	}
	if b, err := os.ReadFile(doc); err != nil || !strings.Contains(string(b), "PARTCOPY_COPY_SOURCE") || !strings.Contains(string(b), "| exec-1 | ok | **SILENT** |") {
		t.Errorf("doc page: %v\n%s", err, b)
	}

	code, stderr = runCLI(t, "clients", "--forms", "control,error200,status503", "--form", "flaky=copy:status=503@0.5", "--exec-name", "body", "--exec", bodyRule, "--out", filepath.Join(dir, "body"))
	if code != exitOK {
		t.Errorf("body-rule client: exit %d (%s)", code, stderr)
	}

	code, stderr = runCLI(t, "clients", "--forms", "control", "--exec", "true", "--out", filepath.Join(dir, "notrun"))
	if code != exitUsage || !strings.Contains(stderr, "no copy-part request reached the proxy") {
		t.Errorf("a client that ignores the endpoint: exit %d, stderr %q; want 2", code, stderr)
	}

	for _, bad := range [][]string{
		{"clients", "--exec-name", "a", "--exec-name", "b", "--exec", "true"},
		{"clients", "--builtin", "bogus"},
		{"clients", "--forms", "nope", "--exec", "true"},
		{"clients", "--form", "x=bogus", "--exec", "true"},
		{"clients", "--exec", "true", "--exec", "true", "--exec-name", "a", "--exec-name", "a"},
		{"clients", "--retries", "sometimes"},
	} {
		if code, stderr := runCLI(t, bad...); code != exitUsage || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line", bad, code, stderr)
		}
	}

	secret := refserver.DefaultMain.SecretKey
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s contains the secret key", p)
			}
		}
		return nil
	})
}
