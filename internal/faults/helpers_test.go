package faults

import (
	"bufio"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
)

// copyPartBody is what the fake upstream answers to a copy-part request.
const copyPartBody = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
	`<CopyPartResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LastModified>2026-11-25T08:00:00.000Z</LastModified><ETag>"9b2cf535f27731c974343645a3985328"</ETag></CopyPartResult>`

// recorded is what the fake upstream saw of one request.
type recorded struct {
	Method           string
	RequestURI       string
	Host             string
	Header           http.Header
	Body             []byte
	ContentLength    int64
	TransferEncoding []string
	Trailer          http.Header
}

// fakeUpstream is a tiny S3 stand-in: copy-part requests get a real
// CopyPartResult, /stream streams until released, /chunked answers chunked
// with a trailer, anything else echoes the request body.
type fakeUpstream struct {
	*httptest.Server
	mu      sync.Mutex
	reqs    []recorded
	release chan struct{} // closes to let /stream finish
	// check, when set, runs on every request; a non-empty result is
	// answered as a 403 with that text (used by the signature test).
	check func(r *http.Request, body []byte) string
}

func newFakeUpstream(t *testing.T) *fakeUpstream {
	t.Helper()
	f := &fakeUpstream{release: make(chan struct{})}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// newFakeUpstreamTLS is newFakeUpstream over HTTPS with httptest's
// self-signed certificate (valid for 127.0.0.1).
func newFakeUpstreamTLS(t *testing.T) *fakeUpstream {
	t.Helper()
	f := &fakeUpstream{release: make(chan struct{})}
	f.Server = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	// The untrusted-target case makes handshakes fail on purpose.
	f.Server.Config.ErrorLog = log.New(io.Discard, "", 0)
	f.StartTLS()
	t.Cleanup(f.Close)
	return f
}

func (f *fakeUpstream) url(t *testing.T) *url.URL {
	t.Helper()
	u, err := url.Parse(f.Server.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *fakeUpstream) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

func (f *fakeUpstream) last(t *testing.T) recorded {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		t.Fatal("upstream saw no request")
	}
	return f.reqs[len(f.reqs)-1]
}

func (f *fakeUpstream) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, recorded{
		Method: r.Method, RequestURI: r.RequestURI, Host: r.Host, Header: r.Header.Clone(),
		Body: body, ContentLength: r.ContentLength, TransferEncoding: r.TransferEncoding, Trailer: r.Trailer.Clone(),
	})
	check := f.check
	f.mu.Unlock()
	if check != nil {
		if msg := check(r, body); msg != "" {
			http.Error(w, msg, http.StatusForbidden)
			return
		}
	}
	q := r.URL.Query()
	h := w.Header()
	h.Set("x-amz-request-id", "REQ-1")
	switch {
	case r.Method == http.MethodPut && q.Has("partNumber") && q.Has("uploadId") && r.Header.Get("x-amz-copy-source") != "":
		h.Set("Content-Type", "application/xml")
		_, _ = io.WriteString(w, copyPartBody)
	case r.URL.Path == "/stream":
		_, _ = io.WriteString(w, "hello")
		w.(http.Flusher).Flush()
		<-f.release
		_, _ = io.WriteString(w, " world")
	case r.URL.Path == "/chunked":
		h.Set("Trailer", "X-Sum")
		h["Date"] = nil
		_, _ = io.WriteString(w, "part one,")
		w.(http.Flusher).Flush()
		_, _ = io.WriteString(w, "part two")
		h.Set("X-Sum", "42")
	default:
		// No Date, no Content-Type: the proxy must not add them either.
		h["Date"] = nil
		h["Content-Type"] = nil
		h.Add("X-Multi", "one")
		h.Add("X-Multi", "two")
		h.Set("ETag", `"etag-value"`)
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, "echo:")
		_, _ = w.Write(body)
	}
}

// startProxy starts a proxy to up with the rules.
func startProxy(t *testing.T, up *fakeUpstream, o Options, specs ...string) *Running {
	t.Helper()
	rules, err := ParseRules(specs)
	if err != nil {
		t.Fatal(err)
	}
	o.Rules = rules
	rn, err := Start(up.url(t), o, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rn.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return rn
}

// rawExchange writes raw request bytes to addr ("host:port") and reads one
// response. method tells ReadResponse whether a body follows (HEAD).
func rawExchange(t *testing.T, addr, method string, raw []byte) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write(raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, &http.Request{Method: method})
	for err == nil && res.StatusCode == http.StatusContinue {
		res, err = http.ReadResponse(br, &http.Request{Method: method})
	}
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return res, body
}

func hostOf(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// newClient returns a client without connection reuse, so that a test's
// deliberately broken connection never leaks into the next request.
func newClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true, DisableCompression: true}}
}

// copyPartRequest builds a copy-part request to base.
func copyPartRequest(t *testing.T, base string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, base+"/bkt/dst?partNumber=1&uploadId=U1", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-amz-copy-source", "/bkt/src")
	return req
}

func urlParse(s string) (*url.URL, error) { return url.Parse(s) }
