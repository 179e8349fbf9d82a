package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCredentialErrorNamesItsSource: when the endpoint refuses the
// credentials, the one line names the flag, variable or profile that
// supplied the refused part.
func TestCredentialErrorNamesItsSource(t *testing.T) {
	var code string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		status := http.StatusForbidden
		if code == "InvalidToken" {
			status = http.StatusBadRequest
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, "<Error><Code>%s</Code><Message>no</Message></Error>", code)
	}))
	defer srv.Close()

	tests := []struct {
		name, code string
		env        map[string]string
		profile    string // a credentials file with this profile
		args       []string
		want, not  string
	}{
		{"flag key", "InvalidAccessKeyId", nil, "", []string{"--access-key", "AKFLAG", "--secret-key", "skflag"}, "check --access-key", "AWS_"},
		{"flag secret", "SignatureDoesNotMatch", nil, "", []string{"--access-key", "AKFLAG", "--secret-key", "skflag"}, "check --secret-key", "--access-key"},
		{"flag token", "InvalidToken", nil, "", []string{"--access-key", "AKFLAG", "--secret-key", "skflag", "--main-session-token", "garbage"}, "check --main-session-token", "--secret-key"},
		{"flag token as key", "InvalidAccessKeyId", nil, "", []string{"--access-key", "AKFLAG", "--secret-key", "skflag", "--main-session-token", "garbage"}, "check --access-key and --main-session-token", "AWS_"},
		{"env key", "InvalidAccessKeyId", map[string]string{"AWS_ACCESS_KEY_ID": "AKENV", "AWS_SECRET_ACCESS_KEY": "skenv"}, "", nil, "check AWS_ACCESS_KEY_ID", "--access-key"},
		{"env token", "InvalidToken", map[string]string{"AWS_ACCESS_KEY_ID": "AKENV", "AWS_SECRET_ACCESS_KEY": "skenv", "AWS_SESSION_TOKEN": "garbage"}, "", nil, "check AWS_SESSION_TOKEN", "--"},
		{"profile", "SignatureDoesNotMatch", nil, "pcref", []string{"--aws-profile", "pcref"}, `check profile "pcref" in `, "AWS_SECRET"},
	}
	for _, cmd := range []string{"conform", "load"} {
		for _, tt := range tests {
			t.Run(cmd+"/"+tt.name, func(t *testing.T) {
				noAmbientAWS(t)
				dir := t.TempDir()
				for k, v := range tt.env {
					t.Setenv(k, v)
				}
				if tt.profile != "" {
					creds := filepath.Join(dir, "credentials")
					if err := os.WriteFile(creds, []byte("["+tt.profile+"]\naws_access_key_id = AKPROF\naws_secret_access_key = skprof\n"), 0o600); err != nil {
						t.Fatal(err)
					}
					t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
				}
				code = tt.code
				var buf bytes.Buffer
				errOut = &buf
				defer func() { errOut = os.Stderr }()
				args := append([]string{cmd, "--endpoint", srv.URL, "--out", filepath.Join(dir, "r")}, tt.args...)
				if got := run(args); got != exitUsage {
					t.Errorf("exit %d, want %d", got, exitUsage)
				}
				line := buf.String()
				if !strings.Contains(line, "rejected the credentials") || !strings.Contains(line, tt.want) || strings.Contains(line, tt.not) {
					t.Errorf("stderr %q: want %q, not %q", line, tt.want, tt.not)
				}
			})
		}
	}
}

// TestFlagNamesOneMeaning: --session-token meant the temporary principal's
// token in conform and the main one in load; each meaning has its own name
// now, and the old one is a deprecated alias of the right one.
func TestFlagNamesOneMeaning(t *testing.T) {
	for _, tt := range []struct{ cmd, alias, name string }{
		{"conform", "session-token", "temp-session-token"},
		{"serve", "session-token", "temp-session-token"},
		{"load", "session-token", "main-session-token"},
	} {
		root := newRootCmd()
		c, _, err := root.Find([]string{tt.cmd})
		if err != nil {
			t.Fatal(err)
		}
		fs := c.Flags()
		var out bytes.Buffer
		fs.SetOutput(&out)
		if err := fs.Parse([]string{"--" + tt.alias, "tok123"}); err != nil {
			t.Fatalf("%s --%s: %v", tt.cmd, tt.alias, err)
		}
		if v := fs.Lookup(tt.name).Value.String(); v != "tok123" {
			t.Errorf("%s --%s set --%s to %q", tt.cmd, tt.alias, tt.name, v)
		}
		if fs.Lookup(tt.alias).Deprecated == "" || !strings.Contains(out.String(), "--"+tt.name) {
			t.Errorf("%s --%s is not deprecated in favour of --%s (printed %q)", tt.cmd, tt.alias, tt.name, out.String())
		}
	}
	// Every command that takes endpoint options takes --config.
	root := newRootCmd()
	for _, c := range root.Commands() {
		if c.Flags().Lookup("endpoint") != nil && c.Flags().Lookup("config") == nil {
			t.Errorf("%s takes --endpoint but not --config", c.Name())
		}
	}
}

// TestConfigFileOnLoadAndRun: load and run read --config like conform.
func TestConfigFileOnLoadAndRun(t *testing.T) {
	noAmbientAWS(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "load.yaml")
	if err := os.WriteFile(cfg, []byte("source-size: lots\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	errOut = &buf
	defer func() { errOut = os.Stderr }()
	if code := run([]string{"load", "--config", cfg, "--out", filepath.Join(dir, "r")}); code != exitUsage || !strings.Contains(buf.String(), "bad size") {
		t.Errorf("load --config with a bad size: exit %d, %q", code, buf.String())
	}
	buf.Reset()
	if err := os.WriteFile(cfg, []byte("no-such-option: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := run([]string{"run", "--config", cfg}); code != exitUsage || !strings.Contains(buf.String(), `unknown option "no-such-option"`) {
		t.Errorf("run --config with an unknown key: exit %d, %q", code, buf.String())
	}
}
