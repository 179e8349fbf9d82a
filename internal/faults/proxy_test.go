package faults

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPassThroughIsByteIdentical sends the same raw requests straight to
// the upstream and through the proxy (with body-rewrite rules that must not
// apply to non-copy requests) and compares what the upstream saw and what
// the client got.
func TestPassThroughIsByteIdentical(t *testing.T) {
	up := newFakeUpstream(t)
	rn := startProxy(t, up, Options{}, "all:error200", "put:truncate", "copy:reset")
	body := make([]byte, 256<<10)
	for i := range body {
		body[i] = byte(i * 7)
	}
	chunked := "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
	tests := []struct {
		name, method string
		raw          []byte
	}{
		{"odd encodings, no user agent", "GET", []byte("GET /bkt/a%2Fb+c%20d%41~%7E?x=%2F&y=a+b&z&list-type=2&empty=&%2B=%3D HTTP/1.1\r\n" +
			"Host: Bucket.S3.Example.Test:9000\r\nX-Amz-Date: 20261125T080000Z\r\nX-Multi: 1\r\nx-multi: 2\r\nx-lower: v\r\nAccept-Encoding: identity\r\n\r\n")},
		{"put with length", "PUT", append([]byte(fmt.Sprintf("PUT /bkt/key?partNumber=2&uploadId=abc%%3D%%3D HTTP/1.1\r\nHost: h\r\nUser-Agent: test/1\r\nContent-Length: %d\r\nContent-Type: application/octet-stream\r\nX-Amz-Content-Sha256: UNSIGNED-PAYLOAD\r\n\r\n", len(body))), body...)},
		{"put chunked", "PUT", []byte("PUT /bkt/chunk HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked)},
		{"head", "HEAD", []byte("HEAD /bkt/key HTTP/1.1\r\nHost: h\r\n\r\n")},
		{"put with copy source but no uploadId", "PUT", []byte("PUT /bkt/key?partNumber=1 HTTP/1.1\r\nHost: h\r\nx-amz-copy-source: /bkt/src\r\nContent-Length: 0\r\n\r\n")},
		{"delete", "DELETE", []byte("DELETE /bkt/key?uploadId=a+b%2Bc HTTP/1.1\r\nHost: h\r\n\r\n")},
		{"double slash path", "GET", []byte("GET //bkt//key%2F?x HTTP/1.1\r\nHost: virtual.example\r\n\r\n")},
		{"empty query", "GET", []byte("GET /bkt/key? HTTP/1.1\r\nHost: h\r\n\r\n")},
		{"expect continue", "PUT", []byte("PUT /bkt/exp HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello")},
		{"stats path encoded differently is S3 traffic", "GET", []byte("GET /_partcopy%2Ffaults HTTP/1.1\r\nHost: h\r\n\r\n")},
		{"chunked response with trailer", "GET", []byte("GET /chunked HTTP/1.1\r\nHost: h\r\n\r\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			directRes, directBody := rawExchange(t, up.Listener.Addr().String(), tt.method, tt.raw)
			direct := up.last(t)
			proxiedRes, proxiedBody := rawExchange(t, hostOf(t, rn.URL), tt.method, tt.raw)
			proxied := up.last(t)
			if !reflect.DeepEqual(direct, proxied) {
				t.Errorf("upstream saw a different request through the proxy:\n direct:  %+v\n proxied: %+v", brief(direct), brief(proxied))
			}
			if directRes.StatusCode != proxiedRes.StatusCode {
				t.Errorf("status %d, want %d", proxiedRes.StatusCode, directRes.StatusCode)
			}
			if !reflect.DeepEqual(directRes.Header, proxiedRes.Header) {
				t.Errorf("response headers differ:\n direct:  %v\n proxied: %v", directRes.Header, proxiedRes.Header)
			}
			if !bytes.Equal(directBody, proxiedBody) {
				t.Errorf("response body differs: %q vs %q", trim(proxiedBody), trim(directBody))
			}
			if !reflect.DeepEqual(directRes.TransferEncoding, proxiedRes.TransferEncoding) || directRes.ContentLength != proxiedRes.ContentLength {
				t.Errorf("framing differs: %v/%d vs %v/%d", proxiedRes.TransferEncoding, proxiedRes.ContentLength, directRes.TransferEncoding, directRes.ContentLength)
			}
			if !reflect.DeepEqual(directRes.Trailer, proxiedRes.Trailer) {
				t.Errorf("trailers differ: %v vs %v", proxiedRes.Trailer, directRes.Trailer)
			}
		})
	}
	for _, s := range rn.Proxy.Stats() {
		if s.Matched != 0 || s.Fired != 0 {
			t.Errorf("rule %s matched %d fired %d on non-copy requests", s.Rule, s.Matched, s.Fired)
		}
	}
}

func brief(r recorded) recorded {
	r.Body = trim(r.Body)
	return r
}

func trim(b []byte) []byte {
	if len(b) > 64 {
		return append(append([]byte{}, b[:64]...), "..."...)
	}
	return b
}

// TestStreamsBody checks that a response is passed on as it arrives, not
// after the target finished (objects can be GiBs; S06 whitespace must flow).
func TestStreamsBody(t *testing.T) {
	up := newFakeUpstream(t)
	rn := startProxy(t, up, Options{})
	res, err := newClient().Get(rn.URL + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	got := make([]byte, 5)
	done := make(chan error, 1)
	go func() { _, err := io.ReadFull(res.Body, got); done <- err }()
	select {
	case err := <-done:
		if err != nil || string(got) != "hello" {
			t.Fatalf("first bytes %q, %v", got, err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("first bytes did not arrive before the target finished: the proxy buffers")
	}
	close(up.release)
	rest, err := io.ReadAll(res.Body)
	if err != nil || string(rest) != " world" {
		t.Fatalf("rest %q, %v", rest, err)
	}
}

const (
	declNL      = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"
	copyResult  = `<CopyPartResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LastModified>2026-11-25T08:00:00.000Z</LastModified><ETag>"9b2cf535f27731c974343645a3985328"</ETag></CopyPartResult>`
	internalErr = `<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>`
)

// TestCopyPartRewrites checks every D02/S06 form byte for byte.
func TestCopyPartRewrites(t *testing.T) {
	type result struct {
		res     *http.Response
		body    []byte
		readErr error
		ttfb    time.Duration // until the headers arrived
		total   time.Duration
	}
	tests := []struct {
		rule          string
		wantUpstream  int // requests the target saw
		wantClientErr bool
		check         func(t *testing.T, r result)
	}{
		{"error200", 1, false, func(t *testing.T, r result) {
			wantExact(t, r.res, r.body, r.readErr, declNL+internalErr)
			if r.res.Header.Get("x-amz-request-id") != "REQ-1" {
				t.Errorf("target's request id lost: %v", r.res.Header)
			}
		}},
		{"error200(code=SlowDown,message=Please slow down.)", 1, false, func(t *testing.T, r result) {
			wantExact(t, r.res, r.body, r.readErr, declNL+`<Error><Code>SlowDown</Code><Message>Please slow down.</Message></Error>`)
		}},
		{"empty200", 1, false, func(t *testing.T, r result) {
			wantExact(t, r.res, r.body, r.readErr, "")
			if r.res.ContentLength != 0 {
				t.Errorf("Content-Length %d, want 0", r.res.ContentLength)
			}
		}},
		{"noetag200", 1, false, func(t *testing.T, r result) {
			wantExact(t, r.res, r.body, r.readErr, declNL+`<CopyPartResult><LastModified>2026-11-25T08:00:00.000Z</LastModified></CopyPartResult>`)
		}},
		{"truncate=40", 1, false, func(t *testing.T, r result) {
			wantTruncated(t, r.res, r.body, r.readErr, copyPartBody[:40])
		}},
		{"truncate", 1, false, func(t *testing.T, r result) {
			wantTruncated(t, r.res, r.body, r.readErr, copyPartBody[:len(copyPartBody)/2])
		}},
		{"truncate=0", 1, false, func(t *testing.T, r result) {
			wantTruncated(t, r.res, r.body, r.readErr, "")
		}},
		{"keepalive=30ms,250ms", 1, false, func(t *testing.T, r result) {
			ws := wantKeepalive(t, r.res, r.body, r.readErr, declNL, copyResult)
			if ws < 3 {
				t.Errorf("only %d whitespace bytes in 250ms at 30ms intervals", ws)
			}
			if r.total < 250*time.Millisecond || r.ttfb > r.total/2 {
				t.Errorf("headers after %v, body after %v: want headers at once, body after >= 250ms", r.ttfb, r.total)
			}
		}},
		{"keepalive-error=30ms,150ms", 1, false, func(t *testing.T, r result) {
			wantKeepalive(t, r.res, r.body, r.readErr, declNL, internalErr)
			if r.total < 150*time.Millisecond {
				t.Errorf("body after %v, want >= 150ms", r.total)
			}
		}},
		{"keepalive-error(every=10ms,for=20ms,code=SlowDown)", 1, false, func(t *testing.T, r result) {
			wantKeepalive(t, r.res, r.body, r.readErr, declNL,
				`<Error><Code>SlowDown</Code><Message>We encountered an internal error. Please try again.</Message></Error>`)
		}},
		{"pre-decl-whitespace", 1, false, func(t *testing.T, r result) {
			wantExact(t, r.res, r.body, r.readErr, "\n"+copyPartBody)
		}},
		{"pre-decl-whitespace=20ms,100ms", 1, false, func(t *testing.T, r result) {
			ws := wantKeepalive(t, r.res, r.body, r.readErr, "\n", declNL+copyResult)
			if ws < 2 {
				t.Errorf("only %d whitespace bytes before the declaration", ws)
			}
		}},
		{"status=503", 0, false, func(t *testing.T, r result) {
			if r.res.StatusCode != http.StatusServiceUnavailable {
				t.Errorf("status %d, want 503", r.res.StatusCode)
			}
			want := declNL + `<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`
			if string(r.body) != want || r.readErr != nil {
				t.Errorf("body %q (%v), want %q", r.body, r.readErr, want)
			}
		}},
		{"copy:reset", 0, true, nil},
		{"copy:reset=after", 1, true, nil},
		{"copy:empty200@0", 1, false, func(t *testing.T, r result) {
			wantExact(t, r.res, r.body, r.readErr, copyPartBody)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			up := newFakeUpstream(t)
			rn := startProxy(t, up, Options{}, tt.rule)
			req := copyPartRequest(t, rn.URL)
			t0 := time.Now()
			res, err := newClient().Do(req)
			if tt.wantClientErr {
				if err == nil {
					res.Body.Close()
					t.Fatalf("got a response (%s), want a connection error", res.Status)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				ttfb := time.Since(t0)
				body, readErr := io.ReadAll(res.Body)
				res.Body.Close()
				tt.check(t, result{res, body, readErr, ttfb, time.Since(t0)})
			}
			// the target may still be finishing the reset=after request
			deadline := time.Now().Add(2 * time.Second)
			for up.count() != tt.wantUpstream && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if n := up.count(); n != tt.wantUpstream {
				t.Errorf("target saw %d requests, want %d", n, tt.wantUpstream)
			}
			st := rn.Proxy.Stats()
			wantFired := int64(1)
			if strings.HasSuffix(tt.rule, "@0") {
				wantFired = 0
			}
			if st[0].Matched != 1 || st[0].Fired != wantFired {
				t.Errorf("stats %+v, want matched 1 fired %d", st[0], wantFired)
			}
		})
	}
}

func wantExact(t *testing.T, res *http.Response, body []byte, readErr error, want string) {
	t.Helper()
	if res.StatusCode != http.StatusOK {
		t.Errorf("status %d, want 200", res.StatusCode)
	}
	if readErr != nil {
		t.Errorf("reading body: %v", readErr)
	}
	if string(body) != want {
		t.Errorf("body\n %q\nwant\n %q", body, want)
	}
}

func wantTruncated(t *testing.T, res *http.Response, body []byte, readErr error, want string) {
	t.Helper()
	if res.StatusCode != http.StatusOK {
		t.Errorf("status %d, want 200", res.StatusCode)
	}
	if readErr == nil {
		t.Errorf("body read cleanly, want a truncated body error")
	}
	if !reflect.DeepEqual(res.TransferEncoding, []string{"chunked"}) {
		t.Errorf("transfer encoding %v, want chunked", res.TransferEncoding)
	}
	if string(body) != want {
		t.Errorf("body %q, want %q", body, want)
	}
}

// wantKeepalive checks body == prefix + spaces + suffix and returns the
// number of spaces.
func wantKeepalive(t *testing.T, res *http.Response, body []byte, readErr error, prefix, suffix string) int {
	t.Helper()
	if res.StatusCode != http.StatusOK || readErr != nil {
		t.Fatalf("status %d, read error %v", res.StatusCode, readErr)
	}
	s := string(body)
	if !strings.HasPrefix(s, prefix) || !strings.HasSuffix(s, suffix) || len(s) < len(prefix)+len(suffix) {
		t.Fatalf("body %q, want %q + spaces + %q", s, prefix, suffix)
	}
	mid := s[len(prefix) : len(s)-len(suffix)]
	if strings.Trim(mid, " ") != "" {
		t.Fatalf("between declaration and result: %q, want only spaces", mid)
	}
	return len(mid)
}

// outcome classifies a copy-part answer by its body (D02).
func outcome(t *testing.T, res *http.Response) string {
	t.Helper()
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	switch {
	case err != nil:
		t.Fatal(err)
	case len(body) == 0:
		return "empty"
	case bytes.Contains(body, []byte("<Error>")):
		return "error"
	case bytes.Contains(body, []byte("<ETag>")):
		return "ok"
	}
	return "other"
}

func TestProbabilityAndSeed(t *testing.T) {
	const n = 1500
	run := func(seed int64, specs ...string) ([]string, []RuleStats) {
		up := newFakeUpstream(t)
		rn := startProxy(t, up, Options{Seed: seed}, specs...)
		c := &http.Client{}
		seq := make([]string, n)
		for i := range seq {
			res, err := c.Do(copyPartRequest(t, rn.URL))
			if err != nil {
				t.Fatal(err)
			}
			seq[i] = outcome(t, res)
		}
		return seq, rn.Proxy.Stats()
	}
	tally := func(seq []string) map[string]int {
		m := map[string]int{}
		for _, s := range seq {
			m[s]++
		}
		return m
	}
	near := func(name string, got int, p float64) {
		t.Helper()
		// 4 standard deviations of a binomial(n, p).
		if tol := 4 * sqrt(n*p*(1-p)); abs(float64(got)-n*p) > tol {
			t.Errorf("%s: %d of %d, want %.0f +- %.0f", name, got, n, n*p, tol)
		}
	}

	seqA, st := run(42, "copy:empty200@0.25")
	m := tally(seqA)
	near("empty200@0.25", m["empty"], 0.25)
	if st[0].Matched != n || st[0].Fired != int64(m["empty"]) {
		t.Errorf("stats %+v, want matched %d fired %d", st[0], n, m["empty"])
	}
	seqB, _ := run(42, "copy:empty200@0.25")
	if !reflect.DeepEqual(seqA, seqB) {
		t.Error("same seed, same requests: different faults")
	}
	seqC, _ := run(43, "copy:empty200@0.25")
	if reflect.DeepEqual(seqA, seqC) {
		t.Error("different seeds gave the same sequence")
	}

	// First outcome rule that fires wins: error ~50%, empty ~25% (half of
	// the rest), pass ~25%.
	seq, st := run(7, "error200@0.5", "empty200@50%")
	m = tally(seq)
	near("error200@0.5", m["error"], 0.5)
	near("empty200 after error200", m["empty"], 0.25)
	near("pass", m["ok"], 0.25)
	if st[1].Matched != n || st[1].Fired != int64(m["empty"]) {
		t.Errorf("second rule stats %+v", st[1])
	}
}

func sqrt(x float64) float64 {
	z := x / 2
	for range 50 {
		if z == 0 {
			return 0
		}
		z -= (z*z - x) / (2 * z)
	}
	return z
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestStall: with stall=200ms/1s anchored at Start, requests arriving in a
// freeze all wait until it ends; requests outside a freeze do not wait.
func TestStall(t *testing.T) {
	up := newFakeUpstream(t)
	start := time.Now().Add(50 * time.Millisecond)
	rn := startProxy(t, up, Options{Start: start}, "stall=200ms/1s")
	c := &http.Client{}
	at := func(d time.Duration) time.Duration { // send at start+d, return when done, relative to start
		time.Sleep(time.Until(start.Add(d)))
		res, err := c.Get(rn.URL + "/bkt/key")
		if err != nil {
			t.Error(err)
			return 0
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return time.Since(start)
	}
	const slack = 120 * time.Millisecond
	// Three requests arriving during the first freeze are released together at 200ms.
	var wg sync.WaitGroup
	done := make([]time.Duration, 3)
	for i := range done {
		wg.Go(func() { done[i] = at(time.Duration(20+30*i) * time.Millisecond) })
	}
	wg.Wait()
	for i, d := range done {
		if d < 200*time.Millisecond || d > 200*time.Millisecond+slack {
			t.Errorf("request %d (sent at %dms) done at %v, want ~200ms", i, 20+30*i, d)
		}
	}
	if d := at(400 * time.Millisecond); d > 400*time.Millisecond+slack {
		t.Errorf("request outside the freeze done at %v, want ~400ms", d)
	}
	if d := at(1030 * time.Millisecond); d < 1200*time.Millisecond || d > 1200*time.Millisecond+slack {
		t.Errorf("request in the second freeze done at %v, want ~1.2s", d)
	}
	st := rn.Proxy.Stats()[0]
	if st.Matched != 5 || st.Fired != 4 {
		t.Errorf("stats %+v, want matched 5 fired 4", st)
	}
}

func TestLatency(t *testing.T) {
	up := newFakeUpstream(t)
	rn := startProxy(t, up, Options{}, "latency=60ms", "all:latency=60ms", "copy:latency=1s")
	t0 := time.Now()
	res, err := newClient().Get(rn.URL + "/bkt/key")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	// Latency rules add; the copy-only rule does not apply to a GET.
	if d := time.Since(t0); d < 120*time.Millisecond || d > 900*time.Millisecond {
		t.Errorf("GET took %v, want ~120ms", d)
	}
	st := rn.Proxy.Stats()
	if st[0].Fired != 1 || st[1].Fired != 1 || st[2].Matched != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestDistributions(t *testing.T) {
	ms := float64(time.Millisecond)
	tests := []struct {
		spec           string
		mean, sd       float64 // ms
		lo, hi         float64 // bounds (ms); hi < 0: none
		meanTol, sdTol float64 // relative
	}{
		{"100ms", 100, 0, 100, 100, 0.001, 0},
		{"uniform(10ms,50ms)", 30, 40 / sqrt(12), 10, 50, 0.02, 0.05},
		{"exp(20ms)", 20, 20, 0, -1, 0.05, 0.08},
		{"normal(50ms,10ms)", 50, 10, 0, -1, 0.02, 0.05},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			d, err := parseDistribution(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			const n = 20000
			var sum, sum2 float64
			for range n {
				v := float64(d.sample(rng)) / ms
				if v < tt.lo || (tt.hi >= 0 && v > tt.hi) {
					t.Fatalf("sample %vms outside [%v,%v]", v, tt.lo, tt.hi)
				}
				sum += v
				sum2 += v * v
			}
			mean := sum / n
			sd := sqrt(sum2/n - mean*mean)
			if abs(mean-tt.mean) > tt.meanTol*tt.mean {
				t.Errorf("mean %.2fms, want %.2fms", mean, tt.mean)
			}
			if tt.sd > 0 && abs(sd-tt.sd) > tt.sdTol*tt.sd {
				t.Errorf("stddev %.2fms, want %.2fms", sd, tt.sd)
			}
		})
	}
}

func TestResetAnyRequest(t *testing.T) {
	up := newFakeUpstream(t)
	rn := startProxy(t, up, Options{}, "get:reset")
	res, err := newClient().Get(rn.URL + "/bkt/key")
	if err == nil {
		res.Body.Close()
		t.Fatalf("got %s, want a connection error", res.Status)
	}
	if up.count() != 0 {
		t.Errorf("target saw %d requests", up.count())
	}
	// Other methods pass.
	res, err = newClient().Head(rn.URL + "/bkt/key")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
}

func TestStatsEndpoint(t *testing.T) {
	up := newFakeUpstream(t)
	rn := startProxy(t, up, Options{Seed: 99}, "copy:empty200@0.5", "latency=1ms")
	for range 4 {
		res, err := newClient().Do(copyPartRequest(t, rn.URL))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	res, err := newClient().Get(rn.URL + StatsPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep StatsReport
	if err := json.NewDecoder(res.Body).Decode(&rep); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if rep.Seed != 99 || rep.Requests != 4 || len(rep.Rules) != 2 || rep.Rules[0].Matched != 4 || rep.Rules[1].Fired != 4 ||
		rep.Rules[0].Rule != "copy:empty200@0.5" {
		t.Errorf("report %+v", rep)
	}
	if !reflect.DeepEqual(rep.Rules, rn.Proxy.Stats()) {
		t.Errorf("endpoint %+v != Stats() %+v", rep.Rules, rn.Proxy.Stats())
	}
	// A signed request to the same path is S3 traffic: forwarded.
	before := up.count()
	req, _ := http.NewRequest(http.MethodGet, rn.URL+StatsPath, nil)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x")
	res, err = newClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if up.count() != before+1 {
		t.Error("signed request to the stats path was not forwarded")
	}
}

func TestLogRedactsSecrets(t *testing.T) {
	up := newFakeUpstream(t)
	var mu sync.Mutex
	var lines []string
	logf := func(f string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, fmt.Sprintf(f, a...))
	}
	rn := startProxy(t, up, Options{Logf: logf}, "all:latency=1ms")
	req, _ := http.NewRequest(http.MethodGet, rn.URL+"/bkt/key?X-Amz-Credential=AKIDSECRET%2F20261125&X-Amz-Signature=cafebabe&X-Amz-Security-Token=tokentoken&partNumber=1", nil)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDHEADER/x, Signature=deadbeef")
	res, err := newClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(lines) != 1 || !strings.Contains(lines[0], "all:latency=1ms@1") || !strings.Contains(lines[0], "partNumber=1") {
		t.Fatalf("log %q", lines)
	}
	for _, secret := range []string{"AKIDSECRET", "cafebabe", "tokentoken", "AKIDHEADER", "deadbeef", "Authorization"} {
		if strings.Contains(lines[0], secret) {
			t.Errorf("log line leaks %q: %s", secret, lines[0])
		}
	}
}

func TestUpstreamDown(t *testing.T) {
	up := newFakeUpstream(t)
	u := up.url(t)
	up.Close()
	rn, err := Start(u, Options{}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer rn.Close()
	res, err := newClient().Get(rn.URL + "/bkt/key")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusBadGateway || !bytes.Contains(body, []byte("<Code>BadGateway</Code>")) {
		t.Errorf("%s %q", res.Status, body)
	}
}

func TestNewRejectsBadTargets(t *testing.T) {
	for _, raw := range []string{"ftp://h", "http://", "http://h/prefix", "http://h?x=1", "http://u:p@h"} {
		u, _ := urlParse(raw)
		if _, err := New(u, Options{}); err == nil {
			t.Errorf("New(%q) succeeded", raw)
		} else if strings.Contains(err.Error(), ":p@") {
			t.Errorf("error leaks the password: %v", err)
		}
	}
}
