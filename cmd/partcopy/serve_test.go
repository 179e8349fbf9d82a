package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/partcopy/partcopy/internal/refserver"
	"github.com/partcopy/partcopy/internal/s3call"
)

// startServeChild starts 'partcopy serve' on a free port and returns its URL.
func startServeChild(t *testing.T, args ...string) (*child, string) {
	t.Helper()
	c := startChild(t, nil, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if out := c.stdout.String(); strings.Contains(out, "\n") {
			line := strings.SplitN(out, "\n", 2)[0]
			if i := strings.Index(line, "http://"); i >= 0 {
				u := strings.Fields(line[i:])[0]
				return c, strings.TrimSuffix(u, ",")
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("serve printed no URL: %q %q", c.stdout.String(), c.stderr.String())
	return nil, ""
}

// rssBytes is a process's resident set size, from /proc.
func rssBytes(t *testing.T, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no", field)
	return 0
}

// TestServeSlowPutsBoundedMemory: 500 signed PUTs that each declare a
// 5 GiB body and send a few bytes keep the serve process under 300 MB
// resident: it allocates per request in proportion to bytes received,
// not to bytes declared.
func TestServeSlowPutsBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("500 connections")
	}
	srv, base := startServeChild(t)
	main := refserver.DefaultMain
	c, err := s3call.New(s3call.Config{Endpoint: base, Credentials: s3call.Credentials{AccessKey: main.AccessKey, SecretKey: main.SecretKey}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if ex, err := c.CreateBucket(ctx, "slowput", nil); err != nil || ex.Status != 200 {
		t.Fatalf("CreateBucket: %v %v", ex, err)
	}
	host := strings.TrimPrefix(base, "http://")
	signer := v4.NewSigner()
	creds := aws.Credentials{AccessKeyID: main.AccessKey, SecretAccessKey: main.SecretKey}
	const conns = 500
	var open []net.Conn
	closeAll := func() {
		for _, c := range open {
			c.Close()
		}
		open = nil
	}
	defer closeAll()
	before := rssBytes(t, srv.cmd.Process.Pid, "VmRSS:")
	// Two waves: the first gives up after a while (the server frees what
	// it reserved), the second holds on. Memory the first wave reserved
	// and the second reuses is zeroed, and so resident.
	for wave := 0; wave < 2; wave++ {
		if wave == 1 {
			time.Sleep(2 * time.Second)
			closeAll()
			time.Sleep(time.Second)
		}
		slowPuts(t, signer, creds, base, host, wave, conns, &open)
	}
	// Let the server read what was sent (and allocate what it will).
	time.Sleep(3 * time.Second)
	rss := rssBytes(t, srv.cmd.Process.Pid, "VmRSS:")
	peak := rssBytes(t, srv.cmd.Process.Pid, "VmHWM:")
	t.Logf("serve RSS %d MB before, %d MB (peak %d MB) with %d slow 5 GiB PUTs open", before>>20, rss>>20, peak>>20, conns)
	if peak > 300<<20 {
		t.Errorf("serve held up to %d MB resident for %d slow PUTs (bound: 300 MB)", peak>>20, conns)
	}
	// The server still answers.
	if ex, err := c.ListBuckets(ctx); err != nil || ex.Status != 200 {
		t.Errorf("ListBuckets during the slow PUTs: %v %v", ex, err)
	}
}

// slowPuts opens n connections, each sending a signed PUT that declares
// 5 GiB and then three bytes of it.
func slowPuts(t *testing.T, signer *v4.Signer, creds aws.Credentials, base, host string, wave, n int, open *[]net.Conn) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		req, _ := http.NewRequest(http.MethodPut, fmt.Sprintf("%s/slowput/k%d-%d", base, wave, i), nil)
		req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		if err := signer.SignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		conn, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		*open = append(*open, conn)
		w := bufio.NewWriter(conn)
		fmt.Fprintf(w, "PUT /slowput/k%d-%d HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", wave, i, host, int64(5)<<30)
		for k, vs := range req.Header {
			for _, v := range vs {
				fmt.Fprintf(w, "%s: %s\r\n", k, v)
			}
		}
		w.WriteString("\r\nabc") // three bytes of five GiB
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestServeNeverPrintsGivenSecrets: secrets given to serve are not in its
// banner or logs; the access key ids are, and where the secrets came from.
func TestServeNeverPrintsGivenSecrets(t *testing.T) {
	sk, tok := "serveGIVEN/secret+key01", "serveGIVENsession/token+02"
	srv, base := startServeChild(t, "--access-key", "AKIDSERVEGIVEN", "--secret-key", sk, "--session-token", tok, "--verbose")
	c, err := s3call.New(s3call.Config{Endpoint: base, Credentials: s3call.Credentials{AccessKey: "AKIDSERVEGIVEN", SecretKey: sk}})
	if err != nil {
		t.Fatal(err)
	}
	if ex, err := c.ListBuckets(context.Background()); err != nil || ex.Status != 200 {
		t.Fatalf("ListBuckets: %v %v", ex, err)
	}
	_ = srv.cmd.Process.Signal(os.Interrupt)
	srv.wait(t, 30*time.Second)
	out := srv.stdout.String() + srv.stderr.String()
	for _, s := range []string{sk, tok} {
		for name, f := range grepForms(s) {
			if strings.Contains(out, f) {
				t.Errorf("serve printed a given secret (%s): %s", name, out)
			}
		}
	}
	for _, want := range []string{"AKIDSERVEGIVEN", "from --secret-key", "from --session-token"} {
		if !strings.Contains(out, want) {
			t.Errorf("serve's banner does not say %q: %s", want, out)
		}
	}
}
