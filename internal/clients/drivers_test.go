package clients

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/partcopy/partcopy/reports"
)

// TestDriversUnsupported: without the runtimes every built-in row is still
// there, "unsupported" with the reason, never silently dropped; a python3
// without boto3 says "boto3 not installed".
func TestDriversUnsupported(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is not on PATH")
	}
	empty := t.TempDir()
	t.Setenv("PATH", empty)
	cls, err := BuiltinClients(context.Background(), DriverOptions{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{SDKGoV2: "go toolchain", SDKMinio: "go toolchain", SDKBoto3: "python3 is not on PATH", SDKJSv3: "node is not on PATH"}
	if len(cls) != 8 {
		t.Fatalf("%d rows, want 8", len(cls))
	}
	for _, c := range cls {
		if !strings.Contains(c.Unsupported, want[c.SDK]) {
			t.Errorf("%s: unsupported %q, want it to say %q", c.Name, c.Unsupported, want[c.SDK])
		}
	}

	// python3 without its site packages: boto3 cannot be imported.
	wrapper := filepath.Join(empty, "python3")
	if err := os.WriteFile(wrapper, []byte("#!/bin/sh\nexec "+py+" -S \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", empty+string(os.PathListSeparator)+"/usr/bin:/bin")
	cls, err = BuiltinClients(context.Background(), DriverOptions{SDKs: []string{SDKBoto3}, Retries: []string{RetriesOff}})
	if err != nil {
		t.Fatal(err)
	}
	if len(cls) != 1 || cls[0].Unsupported != "boto3 not installed" || cls[0].Name != "boto3 (retries off)" {
		t.Errorf("rows %+v, want one 'boto3 (retries off)' unsupported: boto3 not installed", cls)
	}

	if _, err := BuiltinClients(context.Background(), DriverOptions{SDKs: []string{"aws-sdk-cobol"}}); err == nil {
		t.Error("an unknown SDK was accepted")
	}
	if _, err := BuiltinClients(context.Background(), DriverOptions{Retries: []string{"sometimes"}}); err == nil {
		t.Error("an unknown retry setting was accepted")
	}
}

// TestDriverDebugRedacted: with the drivers' wire logging on (--debug),
// what partcopy logs of it carries no secret key, no Authorization value
// and no SigV4 signature, and still shows that logging happened.
func TestDriverDebugRedacted(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the Go drivers; not in -short")
	}
	ctx := context.Background()
	cls, err := BuiltinClients(ctx, DriverOptions{SDKs: []string{SDKGoV2, SDKMinio, SDKBoto3}, Retries: []string{RetriesOff}})
	if err != nil {
		t.Fatal(err)
	}
	target := embedded(t)
	forms, _ := SelectForms([]string{"control"})
	var logs strings.Builder
	var mu sync.Mutex
	rep, err := Run(ctx, Config{Target: target, Forms: forms, Clients: cls, Debug: true, Logf: func(f string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(&logs, f+"\n", a...)
	}})
	if err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	for _, r := range rep.Results {
		if r.Verdict != reports.ClientOK && r.Verdict != reports.ClientUnsupported {
			t.Errorf("%s / control: %s (%s)", r.Client, r.Verdict, r.Detail)
		}
	}
	if !strings.Contains(out, "AWS4-HMAC-SHA256 "+reports.Redacted) {
		t.Fatalf("no redacted Authorization in the debug log: the drivers did not log the wire?\n%s", out)
	}
	if strings.Contains(out, target.Credentials.SecretKey) {
		t.Error("the secret key is in the debug log")
	}
	if m := regexp.MustCompile(`Signature=[0-9a-f]{16}|\b[0-9a-f]{64}\b`).FindString(out); m != "" {
		t.Errorf("a signature is in the debug log: %s", m)
	}
}
