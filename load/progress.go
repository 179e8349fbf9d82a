package load

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Progress shows a run as it goes: on a terminal a progress bar over the
// run's duration with a live status (elapsed, ops/s, MiB/s, errors, p99 so
// far); elsewhere a plain line every Every.
type Progress struct {
	mu       sync.Mutex
	w        io.Writer
	bar      *progressbar.ProgressBar
	every    time.Duration
	lastLine time.Duration
	prev     Counts
	prevAt   time.Duration
}

// NewProgress returns a progress reporter writing to w. tty selects the
// bar; every is the period of plain lines (0 means 5 s).
func NewProgress(w io.Writer, tty bool, duration, every time.Duration) *Progress {
	if every <= 0 {
		every = 5 * time.Second
	}
	p := &Progress{w: w, every: every}
	if tty {
		p.bar = progressbar.NewOptions64(int64(duration/time.Second),
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetWidth(20),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionShowDescriptionAtLineEnd(),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionSetElapsedTime(false),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

// Interval updates the display.
func (p *Progress) Interval(iv *Interval) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	elapsed := iv.Offset + iv.End.Sub(iv.Start)
	if p.bar != nil {
		d := p.status(iv, elapsed, iv.Counts, iv.End.Sub(iv.Start))
		p.bar.Describe(d)
		return p.bar.Set64(int64(elapsed / time.Second))
	}
	if elapsed-p.lastLine < p.every && !iv.Final {
		return nil
	}
	// Rates over the time since the last line.
	c := iv.SoFar
	window := Counts{Ops: c.Ops - p.prev.Ops, Succeeded: c.Succeeded - p.prev.Succeeded,
		Failed: c.Failed - p.prev.Failed, Bytes: c.Bytes - p.prev.Bytes}
	line := p.status(iv, elapsed, window, elapsed-p.prevAt)
	p.lastLine, p.prev, p.prevAt = elapsed, c, elapsed
	_, err := fmt.Fprintln(p.w, line)
	return err
}

func (p *Progress) status(iv *Interval, elapsed time.Duration, c Counts, over time.Duration) string {
	secs := over.Seconds()
	if secs <= 0 {
		secs = 1
	}
	return fmt.Sprintf("%6.1fs  %8.1f ops/s  %8.1f MiB/s  errors %d  p99 %s  in flight %d",
		elapsed.Seconds(), float64(c.Succeeded)/secs, float64(c.Bytes)/secs/(1<<20),
		iv.SoFar.Failed, ms(iv.P99SoFar), iv.InFlight)
}

// Finish clears the bar.
func (p *Progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
		fmt.Fprintln(p.w)
	}
}
