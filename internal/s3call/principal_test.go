package s3call

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestWithCredentialsSignsWithItsOwnSecret: the SDK signer caches derived
// keys by access key id; a derived client with the same key id and another
// secret must still sign with its own secret (D15's wrong-secret case).
func TestWithCredentialsSignsWithItsOwnSecret(t *testing.T) {
	var auths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auths = append(auths, r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	good, err := New(Config{Endpoint: srv.URL, Credentials: Credentials{AccessKey: "AKID", SecretKey: "right-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	fixed := good.now()
	good.now = func() time.Time { return fixed }
	bad := good.WithCredentials(Credentials{AccessKey: "AKID", SecretKey: "wrong-secret"})
	for _, c := range []*Client{good, bad, good} {
		if _, err := c.Do(context.Background(), &Request{Bucket: "b", Key: "k"}); err != nil {
			t.Fatal(err)
		}
	}
	if auths[0] == auths[1] {
		t.Fatalf("a wrong secret produced the right signature: %q", auths[1])
	}
	if auths[0] != auths[2] {
		t.Fatalf("the same credentials at the same time signed differently")
	}
}
