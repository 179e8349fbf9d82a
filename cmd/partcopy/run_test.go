package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunIgnoresAmbientEndpoint: a shell set up for another cluster
// (AWS_ENDPOINT_URL*, AWS_* keys, a profile with an endpoint and a
// credential_process) does not turn 'partcopy run' into a remote run: the
// listener those point at receives no connection, the profile's process never
// runs, the first line says the embedded endpoint is used, and the run passes.
// The control, 'partcopy conform' in the same environment, does reach the
// listener: the environment really points there.
func TestRunIgnoresAmbientEndpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suite in a child process")
	}
	bin := partcopyBinary(t)
	lis := newCountingListener(t)
	dir := t.TempDir()
	marker := filepath.Join(dir, "credential-process-ran")
	cfgFile := filepath.Join(dir, "config")
	if err := os.WriteFile(cfgFile, []byte("[profile cluster]\nendpoint_url = "+lis.URL()+"\n"+
		"credential_process = sh -c 'touch "+marker+"; echo {\\\"Version\\\":1,\\\"AccessKeyId\\\":\\\"AKPROC\\\",\\\"SecretAccessKey\\\":\\\"procsecret\\\"}'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(cleanEnv(t),
		"AWS_ENDPOINT_URL="+lis.URL(), "AWS_ENDPOINT_URL_S3="+lis.URL(),
		"AWS_ACCESS_KEY_ID=AKIACLUSTER", "AWS_SECRET_ACCESS_KEY=clustersecret", "AWS_SESSION_TOKEN=clustertoken",
		"AWS_CONFIG_FILE="+cfgFile, "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none"), "AWS_PROFILE=cluster",
	)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	out := filepath.Join(dir, "report")
	cmd := exec.CommandContext(ctx, bin, "run", "--skip-large", "--load-duration", "1s", "--load-rate", "20", "--out", out,
		"--access-key", "AKRUN", "--secret-key", "runsecret", "--implementation", "ref@9")
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("partcopy run: %v\nstdout:\n%s\nstderr:\n%s", err, tail(stdout.String()), tail(stderr.String()))
	}
	first, _, _ := strings.Cut(stdout.String(), "\n")
	if !strings.Contains(first, "embedded reference endpoint") {
		t.Errorf("first line %q does not say the embedded endpoint is used", first)
	}
	// The last lines name the directory, the file to open first and the rest.
	i := strings.LastIndex(stdout.String(), "partcopy run: PASS")
	if i < 0 {
		t.Fatalf("no 'partcopy run: PASS' line:\n%s", tail(stdout.String()))
	}
	tailOut := stdout.String()[i:]
	if !strings.Contains(tailOut, "open first: "+filepath.Join(out, "conformance.html")) {
		t.Errorf("run does not say to open conformance.html first:\n%s", tailOut)
	}
	for _, f := range []string{"conformance.json", "conformance.md", "junit.xml", "load.html", "load.json", "latency.hgrm", "latency.svg", "load.csv"} {
		if !strings.Contains(tailOut, "    "+f+"\n") {
			t.Errorf("run does not list %s:\n%s", f, tailOut)
		}
	}
	if hgrm, err := os.ReadFile(filepath.Join(out, "latency.hgrm")); err != nil || !strings.HasPrefix(string(hgrm), "  Detailed Percentile spectrum:\n") {
		t.Errorf("latency.hgrm does not start with wrk2's marker (%v)", err)
	}
	if n := lis.conns.Load(); n != 0 {
		t.Errorf("the ambient endpoint received %d connection(s)", n)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("the profile's credential_process ran")
	}
	verOut, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	version := strings.TrimPrefix(strings.SplitN(string(verOut), "\n", 2)[0], "partcopy ")
	for _, f := range []string{"conformance.json", "load.json"} {
		var r struct {
			Endpoint        string
			PartcopyVersion string
			Implementation  struct{ Name, Version string }
			Provenance      struct {
				PartcopyVersion, GoVersion string
				CommandLine                []string
			}
		}
		b, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if r.Endpoint == "" || strings.Contains(r.Endpoint, lis.l.Addr().String()) {
			t.Errorf("%s: endpoint %q, want the embedded one", f, r.Endpoint)
		}
		p := r.Provenance
		if r.PartcopyVersion != version || p.PartcopyVersion != version || p.GoVersion == "" {
			t.Errorf("%s: version %q, provenance %+v; 'partcopy version' says %q", f, r.PartcopyVersion, p, version)
		}
		if len(p.CommandLine) < 2 || p.CommandLine[1] != "run" || !strings.Contains(strings.Join(p.CommandLine, " "), "--secret-key [REDACTED]") {
			t.Errorf("%s: command line %q", f, p.CommandLine)
		}
		if r.Implementation.Name != "ref" || r.Implementation.Version != "9" {
			t.Errorf("%s: implementation %+v, want ref@9", f, r.Implementation)
		}
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(out, e.Name()))
		if bytes.Contains(b, []byte("runsecret")) {
			t.Errorf("%s shows the secret key given on the command line", e.Name())
		}
	}
	for _, s := range []string{"clustersecret", "clustertoken", "runsecret"} {
		if strings.Contains(stdout.String()+stderr.String(), s) {
			t.Errorf("output shows %q", s)
		}
	}

	// Control: conform obeys the same environment and reaches the listener.
	ctl := exec.CommandContext(ctx, bin, "conform", "--out", filepath.Join(dir, "control"))
	ctl.Env = env
	b, err := ctl.CombinedOutput()
	if exitCode(err) != exitUsage || lis.conns.Load() == 0 {
		t.Errorf("control: conform exit %d, %d connection(s) to the ambient endpoint; output %s", exitCode(err), lis.conns.Load(), tail(string(b)))
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// tail is the end of a long output, for failure messages.
func tail(s string) string {
	if len(s) > 4000 {
		return "..." + s[len(s)-4000:]
	}
	return s
}
