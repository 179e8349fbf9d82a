package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
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
		{"aws profile as clause profile", []string{"conform", "--profile", "pcref"}, "--aws-profile pcref"},
		{"bad signature", []string{"conform", "--signature", "v3"}, "use v4 or v2"},
		{"bad labels", []string{"conform", "--labels", "D01 &&"}, "--labels"},
		{"both load models", []string{"load", "--rate", "5", "--concurrency", "3"}, "exclude each other"},
		{"bad size", []string{"load", "--source-size", "lots"}, "bad size"},
		{"bad client", []string{"load", "--client", "quick"}, "use auto, fast or s3call"},
		{"fast client with SigV2", []string{"load", "--client", "fast", "--signature", "v2", "--duration", "1s", "--out", filepath.Join(dir, "r3")}, "does not cover SigV2"},
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
			t.Parallel()
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

// rawServer accepts loopback connections and hands each to serve (which
// reads the request itself); it returns the base URL.
func rawServer(t *testing.T, serve func(c net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(time.Minute))
				serve(c)
			}()
		}
	}()
	return "http://" + l.Addr().String()
}

// answer reads one request head and writes resp.
func answer(resp string) func(net.Conn) {
	return func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if line == "\r\n" {
				break
			}
		}
		_, _ = io.WriteString(c, resp)
	}
}

// TestPrecheckProvesS3: whatever answers that is not S3 (a redirect loop,
// a truncated or endless body, the wrong root, XML nested deep, HTML,
// silence) or that says the region or scheme is wrong is one line naming
// what came back, exit 2, before any spec or copy runs.
func TestPrecheckProvesS3(t *testing.T) {
	xmlResp := func(status, body string) string {
		return fmt.Sprintf("HTTP/1.1 %s\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n\r\n%s", status, len(body), body)
	}
	// The handler reads the server's own URL, which exists only once
	// rawServer returns: an atomic, since the race detector sees no order
	// between this goroutine and the accepting one through the socket.
	var self atomic.Value
	loop := rawServer(t, func(c net.Conn) {
		answer("HTTP/1.1 307 Temporary Redirect\r\nLocation: " + self.Load().(string) + "/\r\nContent-Length: 0\r\n\r\n")(c)
	})
	self.Store(loop)
	truncated := rawServer(t, answer("HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: 1000\r\n\r\n<ListAllMyBucketsResult><Buck"))
	endless := rawServer(t, func(c net.Conn) {
		answer("HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n\r\n<ListAllMyBucketsResult>")(c)
		chunk := []byte(strings.Repeat("<Owner>", 4096))
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	})
	wrongRoot := rawServer(t, answer(xmlResp("200 OK", `<?xml version="1.0"?><ListBucketResult><Name>x</Name></ListBucketResult>`)))
	deep := rawServer(t, answer(xmlResp("200 OK", strings.Repeat("<ListAllMyBucketsResult>", 50000))))
	html := rawServer(t, answer("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 20\r\n\r\n<html>hello</html>\r\nEXTRA BYTES AFTER THE BODY\r\n"))
	region := rawServer(t, answer(xmlResp("400 Bad Request", `<Error><Code>AuthorizationHeaderMalformed</Code><Message>The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-3'</Message><Region>eu-west-3</Region></Error>`)))
	noCode := rawServer(t, answer(xmlResp("403 Forbidden", `<Error><Message>no</Message></Error>`)))
	silent := rawServer(t, func(c net.Conn) { time.Sleep(time.Minute) })
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(tlsSrv.Close)
	plain := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(plain.Close)

	creds := []string{"--access-key", "AKIDPRECHECK", "--secret-key", "precheck/secret+key0001"}
	conform := func(ep string) []string {
		return append([]string{"conform", "--endpoint", ep, "--out", t.TempDir(), "--skip-large"}, creds...)
	}
	load := func(ep string) []string {
		return append([]string{"load", "--endpoint", ep, "--duration", "1s", "--out", t.TempDir()}, creds...)
	}
	inputs := []badInput{
		{name: "307 loop", args: conform(loop), want: "answered 307 redirecting to"},
		{name: "307 loop load", args: load(loop), want: "answered 307 redirecting to"},
		{name: "truncated body", args: conform(truncated), want: "truncated body"},
		{name: "endless body", args: conform(endless), want: "body of more than"},
		{name: "wrong root", args: conform(wrongRoot), want: "<ListBucketResult>"},
		{name: "deep XML", args: conform(deep), want: "nested more than"},
		{name: "HTML with trailing bytes", args: conform(html), want: "with <html>"},
		{name: "region", args: conform(region), want: "--region eu-west-3"},
		{name: "error without code", args: conform(noCode), want: "without a Code"},
		{name: "http to https", args: conform(strings.Replace(tlsSrv.URL, "https://", "http://", 1)), want: "use https://"},
		{name: "https to http", args: append(conform(strings.Replace(plain.URL, "http://", "https://", 1)), "--insecure"), want: "use http://"},
		{name: "silent", args: conform(silent), want: "did not answer"},
		{name: "silent load", args: load(silent), want: "did not answer"},
	}
	checkBadInputs(t, []string{"precheck/secret+key0001"}, inputs)
}

// TestBadFilesAndNumbers: input files are read bounded (/dev/zero, a huge
// file), an options file's errors never repeat its values (a secret under
// a wrong key or in a number option), NaN and Inf are refused everywhere,
// and run's load settings are checked before its conformance run.
func TestBadFilesAndNumbers(t *testing.T) {
	dir := t.TempDir()
	secret := "cfgSECRET/vQx7+0001xyz"
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	wrongKey := write("wrong-key.yaml", "secret_key: "+secret+"\n")
	valueAsKey := write("value-key.yaml", secret+": 1\n")
	wrongType := write("wrong-type.yaml", "restore-timeout: "+secret+"\n")
	badYAML := write("bad.yaml", "endpoint: [\""+secret+"\n")
	nested := write("nested.yaml", "secret-key:\n  inner: "+secret+"\n")
	huge := filepath.Join(dir, "huge.json")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(200 << 20); err != nil { // sparse: 200 MB of zeros
		t.Fatal(err)
	}
	f.Close()
	report := write("conf.json", `{"schema":"partcopy/conformance/v1"}`)
	inputs := []badInput{
		{name: "config /dev/zero", args: []string{"conform", "--config", "/dev/zero"}, want: "larger than"},
		{name: "config directory", args: []string{"conform", "--config", dir}, want: "is a directory"},
		{name: "config secret under a wrong key", args: []string{"conform", "--config", wrongKey}, want: "unknown option"},
		{name: "config value as key", args: []string{"conform", "--config", valueAsKey}, want: "not a flag name"},
		{name: "config wrong type", args: []string{"conform", "--config", wrongType}, want: "not a valid duration value"},
		{name: "config bad YAML", args: []string{"conform", "--config", badYAML}, want: "not a YAML map"},
		{name: "config nested", args: []string{"conform", "--config", nested}, want: "a map is not a flag value"},
		{name: "compare /dev/zero", args: []string{"report", "compare", "/dev/zero", report}, want: "larger than"},
		{name: "compare huge", args: []string{"report", "compare", report, huge}, want: "larger than"},
		{name: "render /dev/zero", args: []string{"report", "render", "/dev/zero", "--out", t.TempDir()}, want: "larger than"},
		{name: "merge /dev/zero", args: []string{"report", "merge", "/dev/zero", report, "--out", filepath.Join(dir, "m.json")}, want: "larger than"},
		{name: "compare NaN", args: []string{"report", "compare", "--max-p99-increase", "NaN", report, report}, want: "finite"},
		{name: "compare Inf ratio", args: []string{"report", "compare", "--min-throughput-ratio", "+Inf", report, report}, want: "finite"},
		{name: "load rate NaN", args: []string{"load", "--rate", "NaN"}, want: "finite"},
		{name: "load rate Inf", args: []string{"load", "--rate", "+Inf"}, want: "finite"},
		{name: "run load-rate -1", args: []string{"run", "--load-rate", "-1", "--out", t.TempDir()}, want: "--load-rate"},
		{name: "run load-rate NaN", args: []string{"run", "--load-rate", "NaN", "--out", t.TempDir()}, want: "finite"},
		{name: "run load-duration 0", args: []string{"run", "--load-duration", "0s", "--out", t.TempDir()}, want: "--load-duration"},
		{name: "cleanup without endpoint", args: []string{"cleanup"}, want: "needs --endpoint"},
		{name: "cleanup negative age", args: []string{"cleanup", "--older-than", "-1h"}, want: "must not be negative"},
		{name: "cleanup bad prefix", args: []string{"cleanup", "--prefix", "A*"}, want: "--prefix"},
		{name: "cleanup config secret", args: []string{"cleanup", "--config", wrongKey}, want: "unknown option"},
	}
	checkBadInputs(t, []string{secret}, inputs)
}
