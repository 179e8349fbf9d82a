// Package ctxtime holds the one context-aware sleep the client's retries,
// the specs' polls, the fault proxy's delays and the reference endpoint's
// copy delay all use.
package ctxtime

import (
	"context"
	"time"
)

// Sleep waits d or until ctx ends, whichever comes first, and reports
// whether d elapsed (false when ctx ended first or had already ended). A
// d <= 0 does not wait.
func Sleep(ctx context.Context, d time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
