package clients

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
