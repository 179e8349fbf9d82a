package s3call

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/partcopy/partcopy/internal/ctxtime"
)

// Retry bounds: at most retryAttempts tries, waits drawn with full jitter
// from an exponential backoff starting at retryBase and capped at retryMax
// (about 6 s in all at worst).
const (
	retryAttempts = 5
	retryBase     = 100 * time.Millisecond
	retryMax      = 2 * time.Second
)

// Retryable reports whether S3 asks the client to try ex again: 503
// SlowDown (or a 503 without a body) and 500 InternalError.
func Retryable(ex *Exchange) bool {
	if ex == nil {
		return false
	}
	switch code := ErrorCode(ex); ex.Status {
	case 503:
		return code == "SlowDown" || code == "ServiceUnavailable" || code == ""
	case 500:
		return code == "InternalError" || code == ""
	}
	return false
}

// Retry runs op until it returns an exchange S3 does not ask to retry (or
// none: a transport error), ctx ends, or retryAttempts tries were made; it returns
// the last result. op must build its request anew each time (a body
// reader is consumed by a try). It is for setup and cleanup calls only:
// the copies being measured or judged are never retried, since a retry
// would hide the very answer under test.
func Retry(ctx context.Context, op func() (*Exchange, error)) (*Exchange, error) {
	var (
		ex  *Exchange
		err error
	)
	for try := 0; try < retryAttempts; try++ {
		ex, err = op()
		// A transport error has no exchange and is not retried; an error
		// that carries a retryable answer (a Check of a 503) is.
		if !Retryable(ex) || try == retryAttempts-1 {
			return ex, err
		}
		if !ctxtime.Sleep(ctx, backoff(try)) {
			return ex, err
		}
	}
	return ex, err
}

// backoff is the wait before try+1: full jitter over min(max, base*2^try).
func backoff(try int) time.Duration {
	d := retryBase << try
	if d > retryMax || d <= 0 {
		d = retryMax
	}
	return time.Duration(rand.Int64N(int64(d)) + 1)
}
