package load

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/partcopy/partcopy/internal/faults"
	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/load/nulls3"
)

// testCreds are the credentials tests sign with; nulls3 checks none.
var testCreds = s3call.Credentials{AccessKey: "LOADTESTACCESSKEY", SecretKey: "load-test-secret-key-never-printed"}

// nullServer starts the do-nothing endpoint.
func nullServer(t testing.TB) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(nulls3.Handler())
	t.Cleanup(srv.Close)
	return srv
}

// faultServer starts the fault proxy with rules in front of target.
func faultServer(t testing.TB, target string, start time.Time, rules ...string) *faultProxy {
	t.Helper()
	rs, err := faults.ParseRules(rules)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(target)
	p, err := faults.New(u, faults.Options{Rules: rs, Seed: 42, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	t.Cleanup(p.CloseIdleConnections)
	return &faultProxy{Proxy: p, URL: srv.URL}
}

// faultProxy is a running fault proxy.
type faultProxy struct {
	*faults.Proxy
	URL string
}

// newScenario returns a set-up copy scenario against endpoint.
func newScenario(t testing.TB, endpoint string, w Workload, uploads int) *CopyScenario {
	t.Helper()
	c, err := s3call.New(s3call.Config{Endpoint: endpoint, Credentials: testCreds})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := NewCopyScenario(c, w)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := sc.Setup(ctx, uploads); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := sc.Cleanup(ctx); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return sc
}

// countingHandler counts copy-part requests that reach next.
type countingHandler struct {
	next  http.Handler
	count func()
}

func (h countingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if nulls3.IsCopyPart(r) {
		h.count()
	}
	h.next.ServeHTTP(w, r)
}
