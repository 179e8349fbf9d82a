package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadInputOneLineExit2: bad flags, a bad URL, an unreachable endpoint
// and missing credentials each give exactly one line on stderr and exit 2.
func TestBadInputOneLineExit2(t *testing.T) {
	// No ambient credentials or endpoints: an empty shared config.
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", empty)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	// A port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()

	tests := []struct {
		name string
		args []string
		want string // in the one line
	}{
		{"unknown flag", []string{"conform", "--bogus"}, "unknown flag"},
		{"bad scheme", []string{"conform", "--endpoint", "ftp://x", "--access-key", "a", "--secret-key", "b"}, "scheme must be http or https"},
		{"path in URL", []string{"load", "--endpoint", "http://127.0.0.1:9/x", "--access-key", "a", "--secret-key", "b"}, "must not have a path"},
		{"credentials in URL", []string{"conform", "--endpoint", "http://u:topsecret@127.0.0.1:9"}, "credentials in the URL"},
		{"unreachable", []string{"conform", "--endpoint", dead, "--access-key", "a", "--secret-key", "b", "--out", filepath.Join(dir, "r1")}, "cannot reach"},
		{"unreachable load", []string{"load", "--endpoint", dead, "--access-key", "a", "--secret-key", "b", "--duration", "1s", "--out", filepath.Join(dir, "r2")}, "cannot reach"},
		{"missing credentials", []string{"conform", "--endpoint", dead}, "no credentials"},
		{"half credentials", []string{"conform", "--endpoint", dead, "--access-key", "a"}, "go together"},
		{"bad profile", []string{"conform", "--profile", "xyz"}, "use obs or s3"},
		{"bad signature", []string{"conform", "--signature", "v3"}, "use v4 or v2"},
		{"bad labels", []string{"conform", "--labels", "D01 &&"}, "--labels"},
		{"both load models", []string{"load", "--rate", "5", "--concurrency", "3"}, "exclude each other"},
		{"bad size", []string{"load", "--source-size", "lots"}, "bad size"},
		{"bad config file", []string{"conform", "--config", filepath.Join(dir, "nope.yaml")}, "--config"},
		{"extra argument", []string{"conform", "extra"}, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			errOut = &buf
			defer func() { errOut = os.Stderr }()
			code := run(tt.args)
			if code != exitUsage {
				t.Errorf("exit %d, want %d (stderr %q)", code, exitUsage, buf.String())
			}
			out := buf.String()
			if strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "partcopy: ") {
				t.Errorf("stderr is not one line: %q", out)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("stderr %q does not say %q", out, tt.want)
			}
			if strings.Contains(out, "topsecret") {
				t.Errorf("stderr shows a secret: %q", out)
			}
		})
	}
}

// TestParseSize covers the size syntax every size flag uses.
func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "5368709120": 5 << 30, "8MiB": 8 << 20, "1GiB": 1 << 30, "100KB": 100000, "5MB": 5000000, "64K": 64 << 10, "7B": 7,
	} {
		got, err := parseSize(in)
		if err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "x", "1.5GiB", "99999999999GiB"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) accepted", in)
		}
	}
}
