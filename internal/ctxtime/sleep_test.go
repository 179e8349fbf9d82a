package ctxtime

import (
	"context"
	"testing"
	"time"
)

func TestSleep(t *testing.T) {
	if !Sleep(context.Background(), time.Millisecond) {
		t.Error("a short sleep on a live context did not elapse")
	}
	if !Sleep(context.Background(), 0) {
		t.Error("a zero sleep on a live context reported an interruption")
	}
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	if Sleep(ended, 0) || Sleep(ended, time.Hour) {
		t.Error("a sleep on an ended context reported that it elapsed")
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(10*time.Millisecond, cancel)
	start := time.Now()
	if Sleep(ctx, time.Hour) {
		t.Error("an hour elapsed")
	}
	if time.Since(start) > time.Minute {
		t.Error("the cancel did not end the sleep")
	}
}
