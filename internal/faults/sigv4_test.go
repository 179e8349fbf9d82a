package faults

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Test-only credentials for a fake upstream; not a real key.
var testCreds = aws.Credentials{AccessKeyID: "AKIDPROXYTEST", SecretAccessKey: "proxy-test-secret"}

func s3Signer() *v4.Signer {
	// S3 signs the path as sent, without double escaping.
	return v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
}

// verifySigV4 re-signs the received request (its request-URI, Host and the
// headers named in SignedHeaders) with the same credentials and time, and
// compares the Authorization headers. It returns "" when they match.
func verifySigV4(r *http.Request, body []byte) string {
	auth := r.Header.Get("Authorization")
	_, rest, ok := strings.Cut(auth, "SignedHeaders=")
	if !ok {
		return "no SignedHeaders"
	}
	signed, _, _ := strings.Cut(rest, ",")
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return "bad X-Amz-Date"
	}
	u, err := url.ParseRequestURI(r.RequestURI)
	if err != nil {
		return "bad request URI"
	}
	u.Scheme, u.Host = "http", r.Host
	again := &http.Request{Method: r.Method, URL: u, Host: r.Host, Header: http.Header{}, ContentLength: r.ContentLength}
	for _, h := range strings.Split(signed, ";") {
		if h == "host" || h == "content-length" {
			continue // the signer takes these from Host and ContentLength
		}
		again.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
	}
	sum := sha256.Sum256(body)
	if got := r.Header.Get("X-Amz-Content-Sha256"); got != hex.EncodeToString(sum[:]) {
		return "payload hash mismatch"
	}
	if err := s3Signer().SignHTTP(context.Background(), testCreds, again, hex.EncodeToString(sum[:]), "s3", "us-east-1", when); err != nil {
		return "re-sign: " + err.Error()
	}
	if again.Header.Get("Authorization") != auth {
		return "SignatureDoesNotMatch"
	}
	return ""
}

func signedRequest(t *testing.T, method, base, host, uri string, body []byte, extra map[string]string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, base+uri, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	for k, v := range extra {
		req.Header.Set(k, v)
	}
	sum := sha256.Sum256(body)
	req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	if err := s3Signer().SignHTTP(context.Background(), testCreds, req, hex.EncodeToString(sum[:]), "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

func TestSigV4SurvivesProxy(t *testing.T) {
	up := newFakeUpstream(t)
	up.check = verifySigV4
	// keepalive rewrites the answer but must not touch the request.
	rn := startProxy(t, up, Options{}, "copy:keepalive=10ms,30ms")
	copyHeaders := map[string]string{"x-amz-copy-source": "/src-bkt/a%2Fb%20c", "x-amz-copy-source-range": "bytes=0-9"}
	tests := []struct {
		name, method, host, uri string
		body                    []byte
		extra                   map[string]string
		wantBody                string // substring of the answer
	}{
		{"virtual-hosted put with odd key", http.MethodPut, "bkt.s3.example.test", "/dir%2Fkey+plus%20space~%21?x-id=PutObject",
			[]byte("payload bytes"), map[string]string{"Content-Type": "text/plain", "X-Amz-Meta-Note": "  spaced   value "}, "echo:payload bytes"},
		{"path-style get with odd query", http.MethodGet, "127.0.0.1:9", "/bkt/key?list-type=2&prefix=a%2Fb&delimiter=%2F&marker=a+b", nil, nil, "echo:"},
		{"copy part", http.MethodPut, "bkt.s3.example.test", "/dst?partNumber=3&uploadId=VXBsb2FkSWQ%3D", nil, copyHeaders, "<ETag>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := signedRequest(t, tt.method, rn.URL, tt.host, tt.uri, tt.body, tt.extra)
			res, err := newClient().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode >= 300 || !strings.Contains(string(body), tt.wantBody) {
				t.Fatalf("%s %q: the target rejected the proxied request", res.Status, body)
			}
			// The signer puts the query in canonical order before sending.
			if got := up.last(t); got.Host != tt.host || got.RequestURI != req.URL.RequestURI() {
				t.Errorf("target saw Host %q URI %q, client sent %q", got.Host, got.RequestURI, req.URL.RequestURI())
			}
		})
	}

	// Controls: the verifier does reject what a careless proxy would do
	// (decode %2F in the path, rewrite Host), so the passes above mean
	// something.
	controls := []struct {
		name  string
		alter func(*http.Request)
	}{
		{"path decoded", func(r *http.Request) { r.URL.RawPath = "" }},
		{"host rewritten", func(r *http.Request) { r.Host = up.Listener.Addr().String() }},
	}
	for _, c := range controls {
		req := signedRequest(t, http.MethodGet, up.URL, "bkt.s3.example.test", "/bkt/a%2Fkey", nil, nil)
		c.alter(req)
		res, err := newClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %s, want 403 from the verifier", c.name, res.Status)
		}
	}
}
