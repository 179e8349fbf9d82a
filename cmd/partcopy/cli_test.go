package main

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// badInput is one hostile or careless input to the real binary.
type badInput struct {
	name string
	args []string
	env  []string
	want string // in the one line
}

// checkBadInputs runs each input as a child process and checks the
// contract: exit 2, exactly one line on stderr naming the problem, no Go
// runtime trace or panic, and no secret in any form on stdout or stderr.
func checkBadInputs(t *testing.T, secrets []string, inputs []badInput) {
	t.Helper()
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			code, stdout, stderr := runChild(t, 2*time.Minute, in.env, in.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want 2 (stderr %q)", code, stderr)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "partcopy: ") {
				t.Errorf("stderr is not one line: %q", stderr)
			}
			if !strings.Contains(stderr, in.want) {
				t.Errorf("stderr %q does not say %q", stderr, in.want)
			}
			for _, trace := range []string{"goroutine ", "panic:", "runtime.", "fatal error", "Unsolicited response"} {
				if strings.Contains(stdout+stderr, trace) {
					t.Errorf("output shows %q: %q", trace, stderr)
				}
			}
			for _, s := range secrets {
				for name, f := range grepForms(s) {
					if strings.Contains(stdout+stderr, f) {
						t.Errorf("output shows the secret (%s): %q", name, stderr)
					}
				}
			}
			// A piece of a secret is a leak too.
			for _, s := range secrets {
				for _, piece := range strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '+' || r == ':' }) {
					if len(piece) >= 4 && strings.Contains(stdout+stderr, piece) {
						t.Errorf("output shows part %q of a secret: %q", piece, stderr)
					}
				}
			}
		})
	}
}

// TestURLsNeverEchoUserinfo: an endpoint or proxy target with user info,
// however encoded or malformed (a secret with an unencoded '/' makes the
// URL unparsable), from a flag or AWS_ENDPOINT_URL_S3, is one line, exit
// 2, and names the endpoint without the credentials.
func TestURLsNeverEchoUserinfo(t *testing.T) {
	sk := "Zq9w/Xk7Vb+Wp3Rt8/Lm"
	ak := "AKIDUSERINFOLEAK"
	urls := []string{
		"http://" + ak + ":" + sk + "@127.0.0.1:9",
		"http://" + ak + ":" + url.QueryEscape(sk) + "@127.0.0.1:9",
		"http://" + ak + ":" + sk + "@127.0.0.1:9/",
		"https://" + ak + ":" + sk + "@[::1]:9?x=1",
		"http://" + ak + "%3A" + url.PathEscape(sk) + "@127.0.0.1:9",
		"http://" + sk + "@127.0.0.1:9",
		"http://" + ak + ":" + sk + "@",
		"//" + ak + ":" + sk + "@127.0.0.1:9",
	}
	var inputs []badInput
	for i, u := range urls {
		want := "credentials in the URL"
		inputs = append(inputs,
			badInput{name: fmt.Sprintf("conform %d", i), args: []string{"conform", "--endpoint", u, "--out", t.TempDir()}, want: want},
			badInput{name: fmt.Sprintf("load %d", i), args: []string{"load", "--endpoint", u, "--duration", "1s", "--out", t.TempDir()}, want: want},
			badInput{name: fmt.Sprintf("env %d", i), args: []string{"conform", "--out", t.TempDir()}, env: []string{"AWS_ENDPOINT_URL_S3=" + u}, want: want},
			badInput{name: fmt.Sprintf("proxy %d", i), args: []string{"proxy", "--target", u}, want: want},
		)
	}
	checkBadInputs(t, []string{sk, ak}, inputs)
}
