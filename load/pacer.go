package load

import (
	"fmt"
	"time"
)

// Pacer decides when each request of an open-loop run is due. Due returns
// the intended start of the hit-th request (counting from 0) as an offset
// from the start of the run. The intended start is what latency is measured
// from, so a Pacer must be a pure function of hit: it must not look at how
// far behind the generator is.
type Pacer interface {
	Due(hit uint64) time.Duration
}

// ConstantPacer sends Rate requests per second, evenly spaced.
type ConstantPacer struct {
	// Rate is in requests per second; it must be > 0.
	Rate float64
}

// Due returns hit/Rate seconds.
func (p ConstantPacer) Due(hit uint64) time.Duration {
	return time.Duration(float64(hit) * float64(time.Second) / p.Rate)
}

// String describes the pacer.
func (p ConstantPacer) String() string { return fmt.Sprintf("constant %g/s", p.Rate) }
