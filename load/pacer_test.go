package load

import (
	"testing"
	"time"
)

func TestConstantPacer(t *testing.T) {
	for _, tc := range []struct {
		rate float64
		hit  uint64
		want time.Duration
	}{
		{1, 0, 0},
		{1, 3, 3 * time.Second},
		{200, 1, 5 * time.Millisecond},
		{200, 200, time.Second},
		{3, 1, 333333333},
		{0.5, 1, 2 * time.Second},
		// No drift over long runs: hit n is due at exactly n/rate.
		{1000, 3_600_000, time.Hour},
	} {
		if got := (ConstantPacer{Rate: tc.rate}).Due(tc.hit); got != tc.want {
			t.Errorf("rate %g hit %d: due %v, want %v", tc.rate, tc.hit, got, tc.want)
		}
	}
}
