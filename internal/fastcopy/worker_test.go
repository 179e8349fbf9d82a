package fastcopy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/load/nulls3"
)

var testCreds = s3call.Credentials{AccessKey: "FASTCOPYTESTKEY", SecretKey: "fastcopy-test-secret-never-printed"}

// seen is one request as a server received it.
type seen struct {
	method, uri, host string
	header            http.Header
}

// captureServer answers every request with nulls3 and records it.
func captureServer(t *testing.T, tlsOn bool) (*httptest.Server, func() []seen) {
	t.Helper()
	var mu sync.Mutex
	var got []seen
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, seen{r.Method, r.RequestURI, r.Host, r.Header.Clone()})
		mu.Unlock()
		nulls3.Handler().ServeHTTP(w, r)
	})
	var srv *httptest.Server
	if tlsOn {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	return srv, func() []seen {
		mu.Lock()
		defer mu.Unlock()
		out := got
		got = nil
		return out
	}
}

func caFile(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ca.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestWireMatchesS3call sends the same copies through s3call's client and
// through a Worker and compares what the server received: method, request
// URI, Host and every header, Authorization included (same signing
// second), over plain HTTP and TLS, path-style and virtual-hosted, with
// and without a session token, a range and SSE-C headers.
func TestWireMatchesS3call(t *testing.T) {
	for _, tc := range []struct {
		name        string
		tls, vhost  bool
		token       string
		insecure    bool
		ranged, sse bool
	}{
		{name: "http path-style"},
		{name: "http path-style ranged SSE-C token", ranged: true, sse: true, token: "session/token+=="},
		{name: "http virtual-hosted", vhost: true, ranged: true},
		{name: "https path-style", tls: true, sse: true},
		{name: "https virtual-hosted", tls: true, vhost: true, insecure: true, token: "tok"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, got := captureServer(t, tc.tls)
			cr := testCreds
			cr.SessionToken = tc.token
			cfg := s3call.Config{Endpoint: srv.URL, Credentials: cr, VirtualHost: tc.vhost, Insecure: tc.insecure}
			if tc.tls && !tc.insecure {
				cfg.CACertFile = caFile(t, srv)
			}
			addr := srv.Listener.Addr().String()
			s3cfg := cfg
			if tc.vhost {
				// bucket.127.0.0.1 resolves nowhere: both clients dial the
				// server whatever the name.
				tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
					return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
				}, DisableCompression: true, TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
				s3cfg.HTTPClient = &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			}
			c, err := s3call.New(s3cfg)
			if err != nil {
				t.Fatal(err)
			}
			target, err := NewTarget(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if tc.vhost {
				target.dialAddr = addr
			}
			w := target.NewWorker()
			defer w.Close()
			in := CopyPart{Bucket: "wire-bucket", Key: "dst/key with space+plus", UploadID: "up/id=1", PartNumber: 42,
				Source: s3call.CopySource("wire-bucket", "src/ä", "")}
			hdr := http.Header{}
			if tc.ranged {
				in.Ranged, in.RangeStart, in.RangeEnd = true, 5<<20, 10<<20-1
			}
			if tc.sse {
				k := s3call.NewSSEC([]byte("0123456789abcdef0123456789abcdef"))
				hdr = s3call.MergeHeaders(k.Header(), k.CopySourceHeader())
				var names []string
				for n := range hdr {
					names = append(names, n)
				}
				sort.Strings(names)
				for _, n := range names {
					in.Header = append(in.Header, Field{n, hdr.Get(n)})
				}
			}
			rng := ""
			if in.Ranged {
				rng = s3call.Range(in.RangeStart, in.RangeEnd)
			}
			for try := 0; ; try++ {
				_, o1 := c.UploadPartCopy(context.Background(), s3call.CopyPart{Bucket: in.Bucket, Key: in.Key, UploadID: in.UploadID,
					PartNumber: "42", Source: in.Source, Range: rng, Header: hdr})
				_, o2 := w.UploadPartCopy(context.Background(), &in)
				if !o1.OK || !o2.OK {
					t.Fatalf("outcomes %v / %v", o1, o2)
				}
				reqs := got()
				if len(reqs) != 2 {
					t.Fatalf("%d requests", len(reqs))
				}
				a, b := reqs[0], reqs[1]
				if a.header.Get("X-Amz-Date") != b.header.Get("X-Amz-Date") && try < 5 {
					continue // signed in different seconds
				}
				if a.method != b.method || a.uri != b.uri || a.host != b.host {
					t.Errorf("request line: s3call %s %s (Host %s), fast %s %s (Host %s)", a.method, a.uri, a.host, b.method, b.uri, b.host)
				}
				if fa, fb := fmt.Sprint(sorted(a.header)), fmt.Sprint(sorted(b.header)); fa != fb {
					t.Errorf("headers\ns3call %s\nfast   %s", fa, fb)
				}
				return
			}
		})
	}
}

func sorted(h http.Header) []string {
	var out []string
	for k, vs := range h {
		out = append(out, k+": "+strings.Join(vs, " | "))
	}
	sort.Strings(out)
	return out
}

// scripted is a raw TCP server whose connections are handled by fn (the
// connection's index, the connection); it counts connections.
type scripted struct {
	ln    net.Listener
	conns atomic.Int32
	wg    sync.WaitGroup
}

func newScripted(t *testing.T, fn func(i int, c net.Conn, br *bufio.Reader)) *scripted {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &scripted{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			i := int(s.conns.Add(1)) - 1
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				fn(i, c, bufio.NewReader(c))
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *scripted) worker(t *testing.T, timeout time.Duration) *Worker {
	t.Helper()
	target, err := NewTarget(s3call.Config{Endpoint: "http://" + s.ln.Addr().String(), Credentials: testCreds, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	w := target.NewWorker()
	t.Cleanup(w.Close)
	return w
}

var copyIn = CopyPart{Bucket: "b", Key: "k", UploadID: "u", PartNumber: 1, Source: "/b/src"}

const okBody = nulls3.CopyPartResult

func okResponse(extra string) string {
	return fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s", len(okBody), extra, okBody)
}

func readReq(br *bufio.Reader) bool {
	r, err := http.ReadRequest(br)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, r.Body)
	return true
}

// TestReconnect: "Connection: close", a server that closes an idle
// connection, and a connection broken mid-body each end the connection;
// the next copy dials a new one and succeeds, and no copy is sent twice.
func TestReconnect(t *testing.T) {
	var requests atomic.Int32
	s := newScripted(t, func(i int, c net.Conn, br *bufio.Reader) {
		for n := 0; readReq(br); n++ {
			requests.Add(1)
			switch i {
			case 0: // keep-alive once, then close announced
				if n == 0 {
					io.WriteString(c, okResponse(""))
					continue
				}
				io.WriteString(c, okResponse("Connection: close\r\n"))
				return
			case 1: // answer, then close the idle connection unannounced
				io.WriteString(c, okResponse(""))
				return
			case 2: // break off mid-body
				io.WriteString(c, fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(okBody), okBody[:30]))
				return
			default:
				io.WriteString(c, okResponse(""))
			}
		}
	})
	w := s.worker(t, 10*time.Second)
	ctx := context.Background()
	want := []s3call.Kind{s3call.KindOK, s3call.KindOK, s3call.KindOK, s3call.KindTruncated200, s3call.KindOK, s3call.KindOK}
	for i, k := range want {
		if i == 3 {
			// Connection 1 was closed by the server after its answer: the
			// idle check notices before the next copy is sent.
			time.Sleep(2 * idleCheckAfter)
		}
		_, out := w.UploadPartCopy(ctx, &copyIn)
		if out.Kind != k {
			t.Fatalf("copy %d: %v, want %s", i, out, k)
		}
	}
	if n := s.conns.Load(); n != 4 {
		t.Errorf("%d connections, want 4", n)
	}
	if n := requests.Load(); n != int32(len(want)) {
		t.Errorf("the servers saw %d requests for %d copies: a copy was sent twice", n, len(want))
	}
}

// TestTimeoutAndCancel: a server that never answers fails the copy as a
// transport error at the timeout; cancelling the context ends a copy in
// flight at once.
func TestTimeoutAndCancel(t *testing.T) {
	hold := make(chan struct{})
	s := newScripted(t, func(i int, c net.Conn, br *bufio.Reader) {
		readReq(br)
		<-hold
	})
	defer close(hold)
	w := s.worker(t, 300*time.Millisecond)
	start := time.Now()
	_, out := w.UploadPartCopy(context.Background(), &copyIn)
	if out.Kind != s3call.KindTransport || !strings.Contains(out.Detail, "timeout") {
		t.Fatalf("outcome %v, want a transport timeout", out)
	}
	if d := time.Since(start); d < 250*time.Millisecond || d > 10*time.Second {
		t.Errorf("timed out after %s, want about 300ms", d)
	}

	w2 := s.worker(t, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, out = w2.UploadPartCopy(ctx, &copyIn)
	if out.Kind != s3call.KindTransport || !strings.Contains(out.Detail, "cancel") {
		t.Fatalf("outcome %v, want a cancelled transport failure", out)
	}
	_, out = w2.UploadPartCopy(ctx, &copyIn)
	if out.OK {
		t.Fatal("a copy under a cancelled context succeeded")
	}
}

// TestKeepaliveStreamedAndTimed: whitespace after the declaration (S06)
// is read as it comes: the first byte is timed when the headers arrive,
// the total when the root element closes, and the copy succeeds.
func TestKeepaliveStreamedAndTimed(t *testing.T) {
	const decl = `<?xml version="1.0" encoding="UTF-8"?>`
	s := newScripted(t, func(i int, c net.Conn, br *bufio.Reader) {
		for readReq(br) {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
			io.WriteString(c, fmt.Sprintf("%x\r\n%s\r\n", len(decl), decl))
			for k := 0; k < 4; k++ {
				time.Sleep(50 * time.Millisecond)
				io.WriteString(c, "1\r\n \r\n")
			}
			rest := okBody[len(decl):]
			io.WriteString(c, fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(rest), rest))
		}
	})
	w := s.worker(t, 10*time.Second)
	tm, out := w.UploadPartCopy(context.Background(), &copyIn)
	if !out.OK {
		t.Fatalf("outcome %v", out)
	}
	ttfb, total := tm.FirstByte.Sub(tm.Start), tm.Done.Sub(tm.Start)
	if total < 200*time.Millisecond || ttfb > total-150*time.Millisecond {
		t.Errorf("ttfb %s, total %s: want the first byte at once and the total after the whitespace", ttfb, total)
	}
}

// TestUnsupported: SigV2 and a custom HTTP client are not covered.
func TestUnsupported(t *testing.T) {
	for _, cfg := range []s3call.Config{
		{Endpoint: "http://127.0.0.1:1", Signature: s3call.SigV2},
		{Endpoint: "http://127.0.0.1:1", HTTPClient: http.DefaultClient},
	} {
		if _, err := NewTarget(cfg); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%+v: err %v, want ErrUnsupported", cfg, err)
		}
	}
	if _, err := NewTarget(s3call.Config{Endpoint: "ftp://x"}); err == nil || errors.Is(err, ErrUnsupported) {
		t.Errorf("bad endpoint: %v", err)
	}
}

// rawServer answers every request head (up to the empty line) with the
// same fixed copy result, allocating nothing per request, so that a
// benchmark's allocations are the client's alone.
func rawServer(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	resp := []byte(okResponse("Content-Type: application/xml\r\n"))
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 64<<10)
				n := 0
				for {
					m, err := c.Read(buf[n:])
					if err != nil {
						return
					}
					n += m
					for {
						i := bytes.Index(buf[:n], []byte("\r\n\r\n"))
						if i < 0 {
							break
						}
						if _, err := c.Write(resp); err != nil {
							return
						}
						n = copy(buf, buf[i+4:n])
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// BenchmarkWorkerCopy is one copy through a Worker against a do-nothing
// endpoint that allocates nothing: build, sign, write, read, D02. Its
// allocs/op are the fast path's own.
func BenchmarkWorkerCopy(b *testing.B) {
	url := rawServer(b)
	target, err := NewTarget(s3call.Config{Endpoint: url, Credentials: testCreds})
	if err != nil {
		b.Fatal(err)
	}
	w := target.NewWorker()
	defer w.Close()
	in := copyIn
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		in.PartNumber = i%10000 + 1
		if _, out := w.UploadPartCopy(ctx, &in); !out.OK {
			b.Fatal(out)
		}
	}
}

// BenchmarkS3callCopy is the same copy through s3call's client.
func BenchmarkS3callCopy(b *testing.B) {
	c, err := s3call.New(s3call.Config{Endpoint: rawServer(b), Credentials: testCreds})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, out := c.UploadPartCopy(ctx, s3call.CopyPart{Bucket: "b", Key: "k", UploadID: "u",
			PartNumber: fmt.Sprint(i%10000 + 1), Source: "/b/src"}); !out.OK {
			b.Fatal(out)
		}
	}
}
