package faults

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestTLSBothWays(t *testing.T) {
	up := newFakeUpstreamTLS(t)
	pool := x509.NewCertPool()
	pool.AddCert(up.Certificate())

	// Without the CA the target is not trusted: 502, and the log says why.
	var mu sync.Mutex
	var logs []string
	logf := func(f string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		logs = append(logs, fmt.Sprintf(f, a...))
	}
	untrusted := startProxy(t, up, Options{Logf: logf})
	res, err := newClient().Get(untrusted.URL + "/bkt/key?X-Amz-Signature=cafebabe")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadGateway {
		t.Errorf("untrusted target: %s, want 502", res.Status)
	}

	// With the CA, and serving HTTPS itself (the same test certificate).
	rn := startProxy(t, up, Options{
		UpstreamTLS: &tls.Config{RootCAs: pool},
		ServerTLS:   &tls.Config{Certificates: up.TLS.Certificates},
	}, "copy:error200", "get?reset:reset")
	if !strings.HasPrefix(rn.URL, "https://") {
		t.Fatalf("URL %q, want https", rn.URL)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, DisableKeepAlives: true}}
	res, err = client.Get(rn.URL + "/bkt/key")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated || string(body) != "echo:" || res.ProtoMajor != 1 {
		t.Errorf("GET: %s %s %q", res.Proto, res.Status, body)
	}
	res, err = client.Do(copyPartRequest(t, rn.URL))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "<Code>InternalError</Code>") {
		t.Errorf("copy part: %s %q", res.Status, body)
	}
	if res, err := client.Get(rn.URL + "/bkt/key?reset"); err == nil {
		res.Body.Close()
		t.Errorf("reset over TLS: got %s, want a connection error", res.Status)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logs) == 0 || !strings.Contains(strings.Join(logs, "\n"), "certificate") {
		t.Errorf("no log line about the untrusted certificate: %q", logs)
	}
	for _, l := range logs {
		if strings.Contains(l, "cafebabe") {
			t.Errorf("log leaks the signature: %s", l)
		}
	}
}
