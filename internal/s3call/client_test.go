package s3call

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// seen is one request as the server received it.
type seen struct {
	method, host   string
	requestURI     string // the request target exactly as on the wire
	path, rawQuery string // requestURI split at the first '?'
	decodedPath    string // the server's decoding of the path
	header         http.Header
	contentLength  int64
	body           []byte
}

// recorder is a local S3 stand-in that records every request it gets.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

// newRecorder starts a server; h answers after the request was recorded
// (nil: 200 with an empty body).
func newRecorder(t *testing.T, h http.HandlerFunc) *recorder {
	t.Helper()
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s := seen{method: r.Method, host: r.Host, requestURI: r.RequestURI, decodedPath: r.URL.Path,
			header: r.Header.Clone(), contentLength: r.ContentLength, body: body}
		s.path, s.rawQuery, _ = strings.Cut(r.RequestURI, "?")
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, s)
		rec.mu.Unlock()
		if h != nil {
			h(w, r)
		}
	}))
	t.Cleanup(rec.Close)
	return rec
}

func (rec *recorder) count() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.reqs)
}

func (rec *recorder) last() seen {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.reqs) == 0 {
		return seen{}
	}
	return rec.reqs[len(rec.reqs)-1]
}

// dialAll returns an HTTP client that connects every host name to the
// recorder, so virtual-hosted requests for real host names land here.
func (rec *recorder) dialAll() *http.Client {
	addr := rec.Listener.Addr().String()
	return &http.Client{
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			},
			DisableCompression: true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// client returns a client for the recorder with cfg's other fields.
func (rec *recorder) client(t *testing.T, cfg Config) *Client {
	t.Helper()
	cfg.Endpoint = rec.URL
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var testCreds = Credentials{AccessKey: "AKIDTESTCLIENT", SecretKey: "s3cr3t-KEY-never-printed-0123456789"}

// verifyV4 re-signs the request the server received and reports whether
// the signature that arrived is the one its bytes call for: the wire
// carries what was signed (query as given, Host, headers).
func verifyV4(t *testing.T, s seen, cr Credentials, region string) {
	t.Helper()
	got := parseV4Auth(t, s.header.Get("Authorization"))
	at, err := time.Parse("20060102T150405Z", s.header.Get("X-Amz-Date"))
	if err != nil {
		t.Fatalf("X-Amz-Date %q: %v", s.header.Get("X-Amz-Date"), err)
	}
	h := http.Header{}
	for _, name := range strings.Split(got.signedHeaders, ";") {
		if name == "host" || name == "content-length" {
			continue
		}
		if v, ok := s.header[http.CanonicalHeaderKey(name)]; ok {
			h[http.CanonicalHeaderKey(name)] = v
		}
	}
	req := &http.Request{Method: s.method, Host: s.host, Header: h, ContentLength: s.contentLength,
		URL: &url.URL{Scheme: "http", Host: s.host, Opaque: s.path, RawQuery: s.rawQuery}}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: cr.AccessKey, SecretAccessKey: cr.SecretKey, SessionToken: cr.SessionToken}
	if err := signer.SignHTTP(context.Background(), creds, req, s.header.Get("X-Amz-Content-Sha256"), "s3", region, at); err != nil {
		t.Fatal(err)
	}
	if want := parseV4Auth(t, req.Header.Get("Authorization")); want.signature != got.signature || want.signedHeaders != got.signedHeaders {
		t.Errorf("signature on the wire does not match the request on the wire:\n got %+v\nwant %+v", got, want)
	}
}

func TestQuerySentExactly(t *testing.T) {
	srv := newRecorder(t, nil)
	queries := []string{
		"partNumber=abc&uploadId=x",
		"partNumber=",
		"partNumber",
		"uploadId=x",
		"partNumber=1&partNumber=2&uploadId=x",
		"uploadId=a%2Fb%3D%3D&partNumber=1",
		"uploadId=a/b==&partNumber=1",
		"uploadId=a+b&partNumber=-1",
		"partNumber=%zz&uploadId=%",
		"partNumber=1;uploadId=x",
		"partNumber=%E2%9C%93&uploadId=%e2%9c%93",
		"&&partNumber=1&&",
		"uploads",
		"versionId=null",
	}
	for _, sig := range []string{SigV4, SigV2, "anonymous"} {
		for _, q := range queries {
			t.Run(sig+"/"+q, func(t *testing.T) {
				cfg := Config{Signature: sig, Credentials: testCreds}
				if sig == "anonymous" {
					cfg = Config{}
				}
				c := srv.client(t, cfg)
				ex, err := c.Do(context.Background(), &Request{Method: http.MethodPut, Bucket: "bkt", Key: "obj", Query: q})
				if err != nil {
					t.Fatal(err)
				}
				s := srv.last()
				if want := "/bkt/obj?" + q; s.requestURI != want {
					t.Errorf("request target = %q, want %q", s.requestURI, want)
				}
				if want := srv.URL + "/bkt/obj?" + q; ex.URL != want {
					t.Errorf("Exchange.URL = %q, want %q", ex.URL, want)
				}
				if sig == SigV4 {
					verifyV4(t, s, testCreds, "us-east-1")
				}
			})
		}
	}
}

func TestPathEncoding(t *testing.T) {
	srv := newRecorder(t, nil)
	cases := []struct{ key, path string }{
		{"plain.txt", "/bkt/plain.txt"},
		{"with space", "/bkt/with%20space"},
		{"a+b", "/bkt/a%2Bb"},
		{"100%", "/bkt/100%25"},
		{"%41", "/bkt/%2541"},
		{"dir/sub/file", "/bkt/dir/sub/file"},
		{"a//b", "/bkt/a//b"},
		{"/leading", "/bkt//leading"},
		{"trailing/", "/bkt/trailing/"},
		{"ünïcødé/日本", "/bkt/%C3%BCn%C3%AFc%C3%B8d%C3%A9/%E6%97%A5%E6%9C%AC"},
		{"q?x=1#frag", "/bkt/q%3Fx%3D1%23frag"},
		{"~-_.", "/bkt/~-_."},
		{"a;b,c:d@e&f=g$h!i'j(k)l*m", "/bkt/a%3Bb%2Cc%3Ad%40e%26f%3Dg%24h%21i%27j%28k%29l%2Am"},
		{"tab\tnl\n", "/bkt/tab%09nl%0A"},
		{"..", "/bkt/.."},
	}
	for _, sig := range []string{SigV4, SigV2} {
		for _, tc := range cases {
			t.Run(sig+"/"+tc.key, func(t *testing.T) {
				c := srv.client(t, Config{Signature: sig, Credentials: testCreds})
				if _, err := c.Do(context.Background(), &Request{Bucket: "bkt", Key: tc.key}); err != nil {
					t.Fatal(err)
				}
				s := srv.last()
				if s.requestURI != tc.path {
					t.Errorf("request target = %q, want %q", s.requestURI, tc.path)
				}
				if s.decodedPath != "/bkt/"+tc.key {
					t.Errorf("server decoded the path to %q, want %q", s.decodedPath, "/bkt/"+tc.key)
				}
				switch sig {
				case SigV4:
					verifyV4(t, s, testCreds, "us-east-1")
				case SigV2:
					r := &http.Request{Method: s.method, Header: s.header, URL: &url.URL{Opaque: s.path, RawQuery: s.rawQuery}}
					if want := "AWS " + testCreds.AccessKey + ":" + SignV2(testCreds.SecretKey, StringToSignV2(r, "")); s.header.Get("Authorization") != want {
						t.Errorf("Authorization = %q, want %q", s.header.Get("Authorization"), want)
					}
				}
			})
		}
	}
	t.Run("RawPath as given", func(t *testing.T) {
		// net/http's server refuses invalid escapes before any handler runs,
		// so the request line is read off the socket.
		lines := make(chan string, 1)
		endpoint := rawServerFunc(t, func(requestLine string) string {
			lines <- requestLine
			return "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
		})
		c, err := New(Config{Endpoint: endpoint, Credentials: testCreds})
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range []string{"/bkt/a%2Fb", "/bkt/lower%c3%a9", "/bkt/bad%zz", "/bkt/%", "//bkt//x", "/bkt/%zz?"} {
			ex, err := c.Do(context.Background(), &Request{RawPath: raw, Query: "partNumber=1"})
			if err != nil {
				t.Fatalf("%s: %v", raw, err)
			}
			if got, want := <-lines, "GET "+raw+"?partNumber=1 HTTP/1.1"; got != want && !strings.HasPrefix(raw, "//") {
				t.Errorf("request line = %q, want %q", got, want)
			} else if strings.HasPrefix(raw, "//") && !strings.HasSuffix(got, raw+"?partNumber=1 HTTP/1.1") {
				t.Errorf("request line = %q, want the path %q", got, raw)
			}
			if want := endpoint + raw + "?partNumber=1"; ex.URL != want {
				t.Errorf("Exchange.URL = %q, want %q", ex.URL, want)
			}
		}
	})
}

func TestHeadersSentAsGiven(t *testing.T) {
	srv := newRecorder(t, nil)
	c := srv.client(t, Config{Credentials: testCreds})
	h := http.Header{}
	h.Set(HdrCopySource, "/src%20bucket/a%2Bb?versionId=3%2F4")
	h.Set(HdrCopySourceRange, "bytes=a-b")
	h["X-Amz-Meta-Multi"] = []string{"one", "two"}
	h["x-lower-case"] = []string{"kept"}
	h.Set("X-Empty", "")
	h.Set("Content-Type", "application/octet-stream")
	if _, err := c.Do(context.Background(), &Request{Method: http.MethodPut, Bucket: "b", Key: "k", Query: "partNumber=1&uploadId=u", Header: h}); err != nil {
		t.Fatal(err)
	}
	s := srv.last()
	for k, want := range map[string][]string{
		HdrCopySource:          {"/src%20bucket/a%2Bb?versionId=3%2F4"},
		HdrCopySourceRange:     {"bytes=a-b"},
		"X-Amz-Meta-Multi":     {"one", "two"},
		"X-Lower-Case":         {"kept"},
		"X-Empty":              {""},
		"Content-Type":         {"application/octet-stream"},
		"X-Amz-Content-Sha256": {emptySHA256},
	} {
		if got := s.header[k]; strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if s.header.Get("Accept-Encoding") != "" {
		t.Errorf("Accept-Encoding %q added: the suite must see bodies as sent", s.header.Get("Accept-Encoding"))
	}
	if s.contentLength != 0 || len(s.body) != 0 {
		t.Errorf("a copy request carried a body (D24): length %d", s.contentLength)
	}
	verifyV4(t, s, testCreds, "us-east-1")
	// The caller's header is not modified by signing.
	if h.Get("Authorization") != "" || h.Get("X-Amz-Date") != "" {
		t.Errorf("the caller's header was modified: %v", h)
	}
}

func TestRequestBodies(t *testing.T) {
	srv := newRecorder(t, nil)
	c := srv.client(t, Config{Credentials: testCreds})
	data := GenBytes(3, 100000)
	cases := []struct {
		name string
		body func() io.Reader
		size int64
		hash string
	}{
		{"bytes.Reader", func() io.Reader { return bytes.NewReader(data) }, 0, sha256Hex(string(data))},
		{"bytes.Buffer", func() io.Reader { return bytes.NewBuffer(data) }, 0, sha256Hex(string(data))},
		{"strings.Reader", func() io.Reader { return strings.NewReader(string(data)) }, 0, sha256Hex(string(data))},
		{"stream with length", func() io.Reader { return NewGen(3, int64(len(data))) }, int64(len(data)), UnsignedPayload},
		{"empty bytes.Reader", func() io.Reader { return bytes.NewReader(nil) }, 0, emptySHA256},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ex, err := c.PutObject(context.Background(), "b", "k", tc.body(), tc.size, nil)
			if err != nil || ex.Status != 200 {
				t.Fatalf("PutObject: %v %v", ex, err)
			}
			s := srv.last()
			want := data
			if tc.hash == emptySHA256 {
				want = nil
			}
			if !bytes.Equal(s.body, want) || s.contentLength != int64(len(want)) {
				t.Errorf("server got %d bytes (Content-Length %d), want %d", len(s.body), s.contentLength, len(want))
			}
			if got := s.header.Get("X-Amz-Content-Sha256"); got != tc.hash {
				t.Errorf("X-Amz-Content-Sha256 = %q, want %q", got, tc.hash)
			}
			if len(s.header["Transfer-Encoding"]) != 0 {
				t.Errorf("Transfer-Encoding %v: a known length must be sent as Content-Length", s.header["Transfer-Encoding"])
			}
			verifyV4(t, s, testCreds, "us-east-1")
		})
	}
	t.Run("CompleteMultipartUpload body", func(t *testing.T) {
		parts := []CompletedPart{{1, `"a"`}, {2, `"b&c"`}}
		ex, _ := c.CompleteMultipartUpload(context.Background(), "b", "k", "up/1", parts, nil)
		if ex == nil {
			t.Fatal("no exchange")
		}
		s := srv.last()
		want := CompleteBody(parts)
		if string(s.body) != want || s.method != http.MethodPost || s.rawQuery != "uploadId=up%2F1" {
			t.Errorf("server got %s ?%s %q, want POST ?uploadId=up%%2F1 %q", s.method, s.rawQuery, s.body, want)
		}
		if !strings.Contains(want, "<ETag>&#34;b&amp;c&#34;</ETag>") {
			t.Errorf("CompleteBody does not escape the ETag: %s", want)
		}
		if got := s.header.Get("X-Amz-Content-Sha256"); got != sha256Hex(want) {
			t.Errorf("payload hash %s, want %s", got, sha256Hex(want))
		}
	})
}

// TestPayloadHashGiven: a payload hash given by the caller (the field or
// the header itself) is the one sent and signed, even a wrong one.
func TestPayloadHashGiven(t *testing.T) {
	srv := newRecorder(t, nil)
	c := srv.client(t, Config{Credentials: testCreds})
	wrong := sha256Hex("not the body")
	for _, r := range []*Request{
		{Method: http.MethodPut, Bucket: "b", Key: "k", Body: strings.NewReader("body"), PayloadHash: wrong},
		{Method: http.MethodPut, Bucket: "b", Key: "k", Body: strings.NewReader("body"), Header: http.Header{"X-Amz-Content-Sha256": {wrong}}},
		{Method: http.MethodPut, Bucket: "b", Key: "k", Body: strings.NewReader("body"), PayloadHash: UnsignedPayload},
	} {
		if _, err := c.Do(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		s := srv.last()
		want := wrong
		if r.PayloadHash == UnsignedPayload {
			want = UnsignedPayload
		}
		if got := s.header.Values("X-Amz-Content-Sha256"); len(got) != 1 || got[0] != want {
			t.Errorf("X-Amz-Content-Sha256 = %q, want %q", got, want)
		}
		if string(s.body) != "body" {
			t.Errorf("body %q", s.body)
		}
		verifyV4(t, s, testCreds, "us-east-1")
	}
}

func TestNoRetries(t *testing.T) {
	cases := []struct {
		name      string
		method    string
		handler   http.HandlerFunc
		transport bool
	}{
		{"500", http.MethodPut, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(500)
			io.WriteString(w, `<Error><Code>InternalError</Code></Error>`)
		}, false},
		{"503 SlowDown", http.MethodGet, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(503)
			io.WriteString(w, `<Error><Code>SlowDown</Code></Error>`)
		}, false},
		{"redirect", http.MethodGet, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
		}, false},
		{"connection closed without a response", http.MethodPut, hangUp, true},
		{"GET, connection closed without a response", http.MethodGet, hangUp, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newRecorder(t, tc.handler)
			c := srv.client(t, Config{Credentials: testCreds})
			ex, err := c.Do(context.Background(), &Request{Method: tc.method, Bucket: "b", Key: "k", Query: "partNumber=1&uploadId=u"})
			if tc.transport {
				var te *TransportError
				if !errors.As(err, &te) || ex != nil {
					t.Fatalf("want a *TransportError, got %v, %v", ex, err)
				}
				if IsConnectError(err) {
					t.Errorf("IsConnectError(%v) = true for a reached server", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if n := srv.count(); n != 1 {
				t.Errorf("server saw %d requests, want 1", n)
			}
		})
	}
}

// TestNoRetryOnReusedConnection: a server that reads a request on a
// kept-alive connection and hangs up sees it once. (net/http itself
// re-sends GET and HEAD once in that case, before any byte of a response;
// the methods that change state - every copy, upload and complete - are
// never re-sent.)
func TestNoRetryOnReusedConnection(t *testing.T) {
	var calls atomic.Int32
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) >= 2 {
			hangUp(w, r)
		}
	})
	c := srv.client(t, Config{Credentials: testCreds})
	for _, m := range []string{http.MethodPut, http.MethodPost, http.MethodDelete} {
		calls.Store(0)
		before := srv.count()
		if _, err := c.Do(context.Background(), &Request{Method: m, Bucket: "b", Key: "k"}); err != nil {
			t.Fatal(err)
		}
		_, err := c.Do(context.Background(), &Request{Method: m, Bucket: "b", Key: "k", Query: "partNumber=1&uploadId=u"})
		if err == nil {
			t.Errorf("%s: no error for a dropped request", m)
		}
		if n := srv.count() - before; n != 2 {
			t.Errorf("%s: server saw %d requests for 2 calls", m, n)
		}
	}
}

// hangUp reads the request and closes the connection without a response.
func hangUp(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

func TestTimingsOrdered(t *testing.T) {
	const pause, margin = 60 * time.Millisecond, 20 * time.Millisecond
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(pause)
		w.WriteHeader(200)
		io.WriteString(w, decl)
		w.(http.Flusher).Flush()
		time.Sleep(pause)
		io.WriteString(w, copyResult(`<ETag>"x"</ETag>`))
	})
	c := srv.client(t, Config{Credentials: testCreds})
	for _, body := range []io.Reader{nil, bytes.NewReader(GenBytes(1, 1<<20))} {
		ex, err := c.Do(context.Background(), &Request{Method: http.MethodPut, Bucket: "b", Key: "k", Body: body})
		if err != nil {
			t.Fatal(err)
		}
		tm := ex.Timing
		if tm.Start.IsZero() || tm.Wrote.IsZero() || tm.FirstByte.IsZero() || tm.Done.IsZero() {
			t.Fatalf("a zero instant: %+v", tm)
		}
		if tm.Wrote.Before(tm.Start) || tm.FirstByte.Before(tm.Wrote) || tm.Done.Before(tm.FirstByte) {
			t.Errorf("instants out of order: start %v wrote %v first byte %v done %v", tm.Start, tm.Wrote, tm.FirstByte, tm.Done)
		}
		if tm.TTFB() < pause {
			t.Errorf("TTFB %v < the server's %v pause", tm.TTFB(), pause)
		}
		// FirstByte may be taken late on a busy machine, which shortens
		// this span; the margin allows for that, not for a wrong event.
		if tm.Done.Sub(tm.FirstByte) < pause-margin {
			t.Errorf("body took %v < the server's %v pause", tm.Done.Sub(tm.FirstByte), pause)
		}
		if tm.Total() != tm.Done.Sub(tm.Start) {
			t.Errorf("Total %v", tm.Total())
		}
		if o := CopyPartOutcome(ex, nil); !o.OK {
			t.Errorf("outcome %s", o)
		}
	}
	// Streamed: Done is the caller's, set by Finish.
	ex, err := c.Do(context.Background(), &Request{Bucket: "b", Key: "k", Stream: true})
	if err != nil {
		t.Fatal(err)
	}
	if !ex.Timing.Done.IsZero() || ex.Timing.Total() != 0 {
		t.Errorf("Done set before the stream was read: %+v", ex.Timing)
	}
	n, err := io.Copy(io.Discard, ex.Stream)
	ex.Finish(err)
	ex.Stream.Close()
	if n == 0 || ex.Timing.Done.Before(ex.Timing.FirstByte) || ex.Timing.Done.Sub(ex.Timing.FirstByte) < pause-margin {
		t.Errorf("streamed timings %+v after %d bytes", ex.Timing, n)
	}
}

// TestEarlyResponseNoRace: a server that answers before it read the whole
// request body. The exchange must not race with the transport still
// writing (go test -race).
func TestEarlyResponseNoRace(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		w.WriteHeader(403)
		io.WriteString(w, `<Error><Code>AccessDenied</Code></Error>`)
	}))
	defer srv.Close()
	c, err := New(Config{Endpoint: srv.URL, Credentials: testCreds})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		ex, err := c.PutObject(context.Background(), "b", "k", NewGen(1, 8<<20), 8<<20, nil)
		if err != nil {
			continue // the server may reset the connection mid-write
		}
		if ex.Status != 403 {
			t.Fatalf("status %d", ex.Status)
		}
		tm := ex.Timing
		time.Sleep(time.Millisecond)
		_ = tm.Wrote.Before(tm.FirstByte) // read while the writer may still run
		if !tm.Wrote.IsZero() && tm.Wrote.Before(tm.Start) {
			t.Errorf("Wrote before Start: %+v", tm)
		}
	}
}

func TestBodyCap(t *testing.T) {
	for _, tc := range []struct {
		size   int
		capped bool
	}{{15, false}, {16, false}, {17, true}, {100000, true}} {
		srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			w.Write(bytes.Repeat([]byte("x"), tc.size))
		})
		c := srv.client(t, Config{MaxBody: 16})
		ex, err := c.Do(context.Background(), &Request{Bucket: "b"})
		if err != nil {
			t.Fatal(err)
		}
		want := min(tc.size, 16)
		if len(ex.Body) != want || ex.BodyCapped != tc.capped || ex.BodyErr != nil {
			t.Errorf("%d-byte body: kept %d, capped %v, err %v; want %d, %v", tc.size, len(ex.Body), ex.BodyCapped, ex.BodyErr, want, tc.capped)
		}
	}
}

// rawServer answers every connection with resp after reading the request
// head, then closes the connection.
func rawServer(t *testing.T, resp string) string {
	t.Helper()
	return rawServerFunc(t, func(string) string { return resp })
}

// rawServerFunc answers every connection with respond(request line) after
// reading the request head, then closes the connection.
func rawServerFunc(t *testing.T, respond func(requestLine string) string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				br := bufio.NewReader(conn)
				first, _ := br.ReadString('\n')
				for {
					line, err := br.ReadString('\n')
					if err != nil || line == "\r\n" {
						break
					}
				}
				io.WriteString(conn, respond(strings.TrimRight(first, "\r\n")))
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

func TestConnectionClosedMidBody(t *testing.T) {
	partial := decl + "\n   \n<CopyPartResult><LastModified>2011-04-11T20:34:56.000Z</LastModified><ETag>\"b54357"
	cases := []struct{ name, resp string }{
		{"Content-Length", "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: 4096\r\n\r\n" + partial},
		{"chunked", "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nTransfer-Encoding: chunked\r\n\r\n" +
			fmt.Sprintf("%x", len(partial)) + "\r\n" + partial + "\r\n"},
		{"keep-alive only", "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + decl + strings.Repeat(" ", 100)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(Config{Endpoint: rawServer(t, tc.resp), Credentials: testCreds})
			if err != nil {
				t.Fatal(err)
			}
			ex, o := c.UploadPartCopy(context.Background(), CopyPart{Bucket: "b", Key: "k", UploadID: "u", PartNumber: "1", Source: CopySource("s", "k", "")})
			if ex == nil {
				t.Fatalf("no exchange: %s", o)
			}
			if ex.BodyErr == nil {
				t.Errorf("BodyErr not set for a body cut by the server")
			}
			if !bytes.HasPrefix([]byte(tc.resp[strings.Index(tc.resp, "\r\n\r\n")+4:]), ex.Body) && tc.name != "chunked" {
				t.Errorf("kept body %q is not a prefix of what was sent", ex.Body)
			}
			if tc.name != "keep-alive only" && !bytes.Equal(ex.Body, []byte(partial)) {
				t.Errorf("kept body %q, want the partial body %q", ex.Body, partial)
			}
			if o.Kind != KindTruncated200 || o.FailureKey() != "truncated-200" {
				t.Errorf("outcome %s, want truncated-200", o)
			}
			if strings.Contains(ex.Record().BodyError, testCreds.SecretKey) {
				t.Errorf("secret in the record")
			}
		})
	}
}

func TestSessionTokenSent(t *testing.T) {
	srv := newRecorder(t, nil)
	cr := testCreds
	cr.SessionToken = "IQoJb3JpZ2luX2VjEXAMPLE-session-token/with+chars="
	for _, sig := range []string{SigV4, SigV2} {
		t.Run(sig, func(t *testing.T) {
			c := srv.client(t, Config{Signature: sig, Credentials: cr})
			if _, err := c.Do(context.Background(), &Request{Method: http.MethodPut, Bucket: "b", Key: "k", Query: "partNumber=1&uploadId=u"}); err != nil {
				t.Fatal(err)
			}
			s := srv.last()
			if got := s.header.Values(HdrSecurityToken); len(got) != 1 || got[0] != cr.SessionToken {
				t.Errorf("x-amz-security-token = %q, want the session token once (D12)", got)
			}
			switch sig {
			case SigV4:
				verifyV4(t, s, cr, "us-east-1")
			case SigV2:
				r := &http.Request{Method: s.method, Header: s.header, URL: &url.URL{Opaque: s.path, RawQuery: s.rawQuery}}
				sts := StringToSignV2(r, "")
				if !strings.Contains(sts, "x-amz-security-token:"+cr.SessionToken+"\n") {
					t.Errorf("the token is not in the string to sign: %q", sts)
				}
				if want := "AWS " + cr.AccessKey + ":" + SignV2(cr.SecretKey, sts); s.header.Get("Authorization") != want {
					t.Errorf("Authorization = %q, want %q", s.header.Get("Authorization"), want)
				}
			}
		})
	}
}

func TestAnonymous(t *testing.T) {
	srv := newRecorder(t, nil)
	signed := srv.client(t, Config{Credentials: Credentials{AccessKey: "AK", SecretKey: "SK", SessionToken: "TOKEN"}})
	for _, c := range []*Client{signed.WithCredentials(Credentials{}), srv.client(t, Config{}), srv.client(t, Config{Signature: SigV2})} {
		if _, err := c.Do(context.Background(), &Request{Bucket: "b", Key: "k"}); err != nil {
			t.Fatal(err)
		}
		s := srv.last()
		for _, h := range []string{"Authorization", "X-Amz-Date", HdrSecurityToken, "Date"} {
			if v := s.header.Get(h); v != "" {
				t.Errorf("anonymous request carries %s: %q", h, v)
			}
		}
	}
	// WithCredentials derives a client without touching the original.
	if signed.Config().Credentials.AccessKey != "AK" {
		t.Errorf("WithCredentials changed the original client")
	}
	alt := signed.WithCredentials(Credentials{AccessKey: "ALT", SecretKey: "ALTSECRET"})
	if alt.http != signed.http {
		t.Errorf("WithCredentials does not share the connection pool")
	}
	if _, err := alt.Do(context.Background(), &Request{Bucket: "b"}); err != nil {
		t.Fatal(err)
	}
	if a := parseV4Auth(t, srv.last().header.Get("Authorization")); !strings.HasPrefix(a.credential, "ALT/") {
		t.Errorf("alt client signed as %q", a.credential)
	}
	if v2 := signed.WithSignature(SigV2); v2.Config().Signature != SigV2 || signed.Config().Signature != "" {
		t.Errorf("WithSignature: %q / %q", v2.Config().Signature, signed.Config().Signature)
	}
}

func TestGetObjectStreamsAndHashes(t *testing.T) {
	const size = 64 << 20
	const seed = 42
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/b/missing" {
			w.WriteHeader(404)
			io.WriteString(w, `<Error><Code>NoSuchKey</Code></Error>`)
			return
		}
		if r.URL.Path == "/b/small" {
			w.Write(GenBytes(seed, 1000))
			return
		}
		w.Header().Set("Content-Length", "67108864")
		io.Copy(w, NewGen(seed, size))
	})
	c := srv.client(t, Config{Credentials: testCreds})
	want := md5.New()
	if n, _ := io.Copy(want, NewGen(seed, size)); n != size {
		t.Fatalf("NewGen gave %d bytes", n)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	or, err := c.GetObject(context.Background(), "b", "k", "", nil, 1024)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if or.Status != 200 || or.Size != size || or.MD5 != hex.EncodeToString(want.Sum(nil)) || or.BodyErr != nil {
		t.Fatalf("GetObject: status %d, %d bytes, MD5 %s, err %v", or.Status, or.Size, or.MD5, or.BodyErr)
	}
	if or.Data != nil {
		t.Errorf("Data kept for a body longer than keep")
	}
	// Client and server together allocate far less than the body: it was
	// streamed, never held.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size/2 {
		t.Errorf("GetObject allocated %d bytes for a %d-byte body", alloc, size)
	}
	if or.Timing.Done.IsZero() || or.Timing.Done.Before(or.Timing.FirstByte) {
		t.Errorf("timing %+v", or.Timing)
	}

	small, err := c.GetObject(context.Background(), "b", "small", "versionId=v1", http.Header{"Range": {"bytes=0-9"}}, 1000)
	if err != nil || small.Size != 1000 || !bytes.Equal(small.Data, GenBytes(seed, 1000)) || small.MD5 != MD5Hex(GenBytes(seed, 1000)) {
		t.Errorf("GetObject with keep: %d bytes kept, err %v", len(small.Data), err)
	}
	if got := srv.last().rawQuery; got != "versionId=v1" {
		t.Errorf("query %q", got)
	}
	if got := srv.last().header.Get("Range"); got != "bytes=0-9" {
		t.Errorf("Range header %q", got)
	}

	miss, err := c.GetObject(context.Background(), "b", "missing", "", nil, 0)
	if err != nil || miss.Status != 404 || ErrorCode(miss.Exchange) != "NoSuchKey" || miss.Size != 0 {
		t.Errorf("404: %+v, %v", miss, err)
	}
}

func TestUploadPartCopyKeepAlive(t *testing.T) {
	var final string
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(200)
		io.WriteString(w, decl+"\n")
		for i := 0; i < 3; i++ {
			w.(http.Flusher).Flush()
			time.Sleep(5 * time.Millisecond)
			io.WriteString(w, " ")
		}
		io.WriteString(w, final)
	})
	c := srv.client(t, Config{Credentials: testCreds})
	in := CopyPart{Bucket: "dst", Key: "obj", UploadID: "up+1", PartNumber: "1", Source: CopySource("src", "a b", ""), Range: Range(0, 9)}
	final = copyResult(`<LastModified>2011-04-11T20:34:56.000Z</LastModified><ETag>` + awsETag + `</ETag>`)
	ex, o := c.UploadPartCopy(context.Background(), in)
	if !o.OK || o.ETag != awsETag || ex.Status != 200 {
		t.Errorf("keep-alive success: %s", o)
	}
	s := srv.last()
	if s.method != http.MethodPut || s.requestURI != "/dst/obj?partNumber=1&uploadId=up%2B1" ||
		s.header.Get(HdrCopySource) != "/src/a%20b" || s.header.Get(HdrCopySourceRange) != "bytes=0-9" {
		t.Errorf("request %s %s %v", s.method, s.requestURI, s.header)
	}
	final = awsError
	if _, o := c.UploadPartCopy(context.Background(), in); o.Kind != KindErrorIn200 || o.Code != "InternalError" {
		t.Errorf("keep-alive Error: %s", o)
	}
	in.OmitPartNumber, in.OmitUploadID, in.Source = true, true, ""
	c.UploadPartCopy(context.Background(), in)
	if s := srv.last(); s.requestURI != "/dst/obj" || s.header.Get(HdrCopySource) != "" {
		t.Errorf("omitted parameters sent: %s %v", s.requestURI, s.header)
	}
}

func TestIsConnectError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := New(Config{Endpoint: "http://" + addr, Credentials: testCreds})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Do(context.Background(), &Request{Bucket: "b"})
	if err == nil || !IsConnectError(err) {
		t.Errorf("refused port: IsConnectError(%v) = false", err)
	}
	var te *TransportError
	if !errors.As(err, &te) || te.Method != "GET" || te.URL != "http://"+addr+"/b" {
		t.Errorf("TransportError %+v", te)
	}
	if o := CopyPartOutcome(nil, err); o.Kind != KindTransport {
		t.Errorf("outcome %s", o)
	}
	// A server that accepts and then says nothing is reached: not a
	// connect error.
	hang := newRecorder(t, func(w http.ResponseWriter, r *http.Request) { time.Sleep(500 * time.Millisecond) })
	hc := hang.client(t, Config{Timeout: 100 * time.Millisecond})
	_, err = hc.Do(context.Background(), &Request{Bucket: "b"})
	if err == nil || IsConnectError(err) {
		t.Errorf("timeout after connecting: IsConnectError(%v) = true", err)
	}
	for _, e := range []error{nil, errors.New("dial tcp: refused"), &ConfigError{Err: errors.New("x")}} {
		if IsConnectError(e) {
			t.Errorf("IsConnectError(%v) = true", e)
		}
	}
}

func TestTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	defer srv.Close()
	strict, err := New(Config{Endpoint: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := strict.Do(context.Background(), &Request{}); err == nil || !IsConnectError(err) {
		t.Errorf("untrusted certificate: err %v, IsConnectError false", err)
	}
	insecure, err := New(Config{Endpoint: srv.URL, Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	if ex, err := insecure.Do(context.Background(), &Request{}); err != nil || ex.Status != 200 {
		t.Errorf("--insecure: %v", err)
	}
}

func TestNewRejects(t *testing.T) {
	for _, cfg := range []Config{
		{Endpoint: ""},
		{Endpoint: "http://127.0.0.1:1", Signature: "v3"},
		{Endpoint: "http://127.0.0.1:1", CACertFile: "/nonexistent/ca.pem"},
	} {
		_, err := New(cfg)
		var ce *ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("New(%+v) = %v, want a *ConfigError", cfg, err)
		}
	}
}

func TestWithObserver(t *testing.T) {
	srv := newRecorder(t, nil)
	var mu sync.Mutex
	var seenEx []*Exchange
	var seenErr []error
	c := srv.client(t, Config{Credentials: testCreds}).WithObserver(func(ex *Exchange, err error) {
		mu.Lock()
		defer mu.Unlock()
		seenEx, seenErr = append(seenEx, ex), append(seenErr, err)
	})
	ex, err := c.Do(context.Background(), &Request{Bucket: "b"})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	refused, err := New(Config{Endpoint: "http://" + addr})
	if err != nil {
		t.Fatal(err)
	}
	_, terr := refused.WithObserver(c.observe).Do(context.Background(), &Request{Bucket: "b"})
	mu.Lock()
	defer mu.Unlock()
	if len(seenEx) != 2 || seenEx[0] != ex || seenErr[0] != nil || seenEx[1] != nil || seenErr[1] != terr || terr == nil { //nolint:errorlint // the very error the callback was given
		t.Errorf("observer saw %v / %v", seenEx, seenErr)
	}
}
