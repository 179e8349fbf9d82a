package s3call

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
)

// TestRetrySlowDown: 503 SlowDown and 500 InternalError are retried until
// an answer S3 does not ask to retry; other errors are not; tries are
// bounded.
func TestRetrySlowDown(t *testing.T) {
	var n atomic.Int32
	fails := int32(2)
	status, code := 503, "SlowDown"
	srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= fails {
			w.WriteHeader(status)
			_, _ = w.Write([]byte("<Error><Code>" + code + "</Code></Error>"))
			return
		}
		w.WriteHeader(204)
	})
	c := srv.client(t, Config{Credentials: Credentials{AccessKey: "AK", SecretKey: "SK"}})
	ctx := context.Background()
	for _, tt := range []struct {
		status     int
		code       string
		fails      int32
		wantTries  int32
		wantStatus int
	}{
		{503, "SlowDown", 2, 3, 204},
		{500, "InternalError", 1, 2, 204},
		{503, "SlowDown", 100, retryAttempts, 503},
		{403, "AccessDenied", 1, 1, 403},
	} {
		n.Store(0)
		status, code, fails = tt.status, tt.code, tt.fails
		ex, err := Retry(ctx, func() (*Exchange, error) { return c.DeleteBucket(ctx, "b") })
		if err != nil {
			t.Fatal(err)
		}
		if got := n.Load(); got != tt.wantTries || ex.Status != tt.wantStatus {
			t.Errorf("%d %s x%d: %d tries, status %d; want %d tries, %d", tt.status, tt.code, tt.fails, got, ex.Status, tt.wantTries, tt.wantStatus)
		}
	}
}
