package refserver

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestBodyMemoryBudget: bodies in flight beyond Options.MaxBodyMemory are
// answered 503 SlowDown (the client may retry), and the budget is given
// back when a request ends: a body that fits is stored afterwards.
func TestBodyMemoryBudget(t *testing.T) {
	e := newEnv(t, Options{MaxBodyMemory: 256 << 10})
	b := e.bucket(e.main)
	put := func(n int) *http.Response {
		req, _ := http.NewRequest(http.MethodPut, e.url+"/"+b+"/k", bytes.NewReader(make([]byte, n)))
		e.sign(req, e.srv.Options().Main, unsignedPayload, e.clock.now())
		resp, err := e.hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		return resp
	}
	resp := put(1 << 20)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 503 || !strings.Contains(string(body), "SlowDown") {
		t.Fatalf("1 MiB body with a 256 KiB budget: %d %s", resp.StatusCode, body)
	}
	if got := e.srv.bodyMem.Load(); got != 0 {
		t.Fatalf("budget not given back: %d bytes still reserved", got)
	}
	if resp := put(100 << 10); resp.StatusCode != 200 {
		t.Fatalf("100 KiB body after a refused one: %d", resp.StatusCode)
	}
}

// TestBodyReadTimeout: a body that stops arriving is abandoned after
// Options.BodyReadTimeout, and its reservation is given back.
func TestBodyReadTimeout(t *testing.T) {
	e := newEnv(t, Options{BodyReadTimeout: 300 * time.Millisecond})
	b := e.bucket(e.main)
	req, _ := http.NewRequest(http.MethodPut, e.url+"/"+b+"/k", nil)
	e.sign(req, e.srv.Options().Main, unsignedPayload, e.clock.now())
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT /%s/k HTTP/1.1\r\nHost: %s\r\nContent-Length: 1000000\r\n", b, req.Host)
	for k, vs := range req.Header {
		fmt.Fprintf(conn, "%s: %s\r\n", k, vs[0])
	}
	fmt.Fprint(conn, "\r\nabc")
	start := time.Now()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err == nil {
		resp.Body.Close()
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("the server waited %v for a silent body", took)
	}
	if err == nil && resp.StatusCode < 400 {
		t.Fatalf("a silent body was accepted: %d", resp.StatusCode)
	}
	deadline := time.Now().Add(2 * time.Second)
	for e.srv.bodyMem.Load() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := e.srv.bodyMem.Load(); got != 0 {
		t.Fatalf("budget not given back: %d", got)
	}
}
