package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"
	ginkgotypes "github.com/onsi/ginkgo/v2/types"
	"golang.org/x/term"

	"github.com/partcopy/partcopy/internal/redact"
	"github.com/partcopy/partcopy/reports"
	"github.com/partcopy/partcopy/reports/ginkgoreport"
)

// Progress modes of conform (--progress), for output that is not a terminal.
const (
	progressSpec   = "spec"   // one line per spec as it finishes
	progressClause = "clause" // one line per clause once its last spec finished
)

func checkProgressMode(m string) error {
	if m != progressSpec && m != progressClause {
		return usageError("--progress %q: use spec or clause", m)
	}
	return nil
}

// conformProgress is conform's own Ginkgo reporter (ReportBeforeEach /
// ReportAfterEach nodes). On a terminal it keeps one live line: specs
// done/total, passed/failed/unsupported so far, the running spec's clause
// and an ETA. Elsewhere (CI logs, pipes) it writes one line per spec, or per
// clause, as each finishes; stderr is unbuffered, so every line is out at
// once. Ginkgo's own output (dots, failure dumps before the summary) is
// silenced; -v brings it back instead of this. Outcomes come from
// ginkgoreport.Spec, so they are the report's.
type conformProgress struct {
	w         io.Writer
	live      bool
	perClause bool

	mu        sync.Mutex
	active    bool // false during the preview (a dry run)
	willRun   map[string]bool
	total     int
	clauseLen map[string]int // specs that will run, per clause
	clauseGot map[string][]reports.SpecState
	done      int
	counts    map[reports.SpecState]int
	start     time.Time
	current   string
	curStart  time.Time
	stopTick  chan struct{}
	tickDone  chan struct{}
}

// startProgress registers the reporter, finds which specs will run (a
// Ginkgo dry run with the same configuration) and silences Ginkgo's default
// reporter. The returned stop ends the live line and restores Ginkgo's
// output; call it right after RunSpecs. With verbose, Ginkgo reports as it
// always did and nothing else happens.
func startProgress(w *os.File, mode string, verbose bool, suiteCfg ginkgotypes.SuiteConfig, reporterCfg ginkgotypes.ReporterConfig, description string) (stop func()) {
	if verbose {
		return func() {}
	}
	p := &conformProgress{
		w: w, live: isTerminal(w), perClause: mode == progressClause,
		willRun: map[string]bool{}, clauseLen: map[string]int{}, clauseGot: map[string][]reports.SpecState{},
		counts: map[reports.SpecState]int{},
	}
	// The preview first: it runs on a clone of the suite and leaves the
	// suite without the top-level nodes registered before it (the suites'
	// specs all live in containers, which it keeps).
	preview := ginkgo.PreviewSpecs(description, suiteCfg, reporterCfg)
	for _, sr := range preview.SpecReports {
		if sr.LeafNodeType != ginkgotypes.NodeTypeIt || sr.State != ginkgotypes.SpecStatePassed {
			continue // filtered out or pending: it will not run
		}
		p.willRun[specKey(sr)] = true
		p.total++
		for _, id := range ginkgoreport.Spec(sr).Clauses {
			p.clauseLen[id]++
		}
	}

	ginkgo.ReportBeforeEach(p.before)
	ginkgo.ReportAfterEach(p.after)

	saved := formatter.ColorableStdOut
	formatter.ColorableStdOut = io.Discard
	p.mu.Lock()
	p.active, p.start = true, time.Now()
	p.mu.Unlock()
	if p.live {
		p.stopTick, p.tickDone = make(chan struct{}), make(chan struct{})
		go p.tick()
	}
	fmt.Fprintf(w, "partcopy: running %d spec(s)\n", p.total)
	return func() {
		formatter.ColorableStdOut = saved
		if p.live {
			close(p.stopTick)
			<-p.tickDone
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		p.active = false
		if p.live {
			p.redraw()
			fmt.Fprintln(p.w)
		}
	}
}

// specKey identifies a spec across the preview and the run.
func specKey(sr ginkgotypes.SpecReport) string {
	return sr.LeafNodeLocation.String() + " " + sr.FullText()
}

func (p *conformProgress) before(sr ginkgotypes.SpecReport) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.active || !p.willRun[specKey(sr)] {
		return
	}
	s := ginkgoreport.Spec(sr)
	p.current = strings.TrimSpace(strings.Join(s.Clauses, ",") + " " + s.Name)
	p.curStart = time.Now()
	if p.live {
		p.redraw()
	}
}

func (p *conformProgress) after(sr ginkgotypes.SpecReport) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.active || !p.willRun[specKey(sr)] {
		return
	}
	s := ginkgoreport.Spec(sr)
	p.done++
	p.counts[s.State]++
	p.current = ""
	switch {
	case p.live:
		p.redraw()
	case p.perClause:
		for _, id := range s.Clauses {
			p.clauseGot[id] = append(p.clauseGot[id], s.State)
			if got := p.clauseGot[id]; len(got) == p.clauseLen[id] {
				fmt.Fprint(p.w, redact.String(fmt.Sprintf("[%*d/%d] %-4s %-11s %s\n", width(p.total), p.done, p.total, id,
					reports.DeriveVerdict(got), stateCounts(got))))
			}
		}
	default:
		fmt.Fprint(p.w, redact.String(fmt.Sprintf("[%*d/%d] %-11s %-4s %s (%s)\n", width(p.total), p.done, p.total, s.State,
			strings.Join(s.Clauses, ","), s.Name, sr.RunTime.Round(time.Millisecond))))
	}
}

// tick redraws the live line so that elapsed time and ETA move during a
// long spec (the 5 GiB ones).
func (p *conformProgress) tick() {
	defer close(p.tickDone)
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stopTick:
			return
		case <-t.C:
			p.mu.Lock()
			p.redraw()
			p.mu.Unlock()
		}
	}
}

// redraw rewrites the live line, cut to the terminal's width so that it
// never wraps (a wrapped line cannot be rewritten with \r).
func (p *conformProgress) redraw() {
	elapsed := time.Since(p.start)
	eta := "ETA -"
	if p.done > 0 && p.done < p.total {
		left := time.Duration(float64(elapsed) / float64(p.done) * float64(p.total-p.done))
		eta = "ETA " + fmtClock(left)
	} else if p.done >= p.total {
		eta = "done"
	}
	line := fmt.Sprintf("%d/%d specs · %d passed, %d failed, %d unsupported · %s elapsed, %s",
		p.done, p.total, p.counts[reports.StatePassed], p.counts[reports.StateFailed], p.counts[reports.StateUnsupported],
		fmtClock(elapsed), eta)
	if p.current != "" {
		line += " · " + p.current
	}
	cols := 100
	if f, ok := p.w.(*os.File); ok {
		if c, _, err := term.GetSize(int(f.Fd())); err == nil && c > 10 {
			cols = c
		}
	}
	if r := []rune(line); len(r) > cols-1 {
		line = string(r[:cols-2]) + "…"
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s", redact.String(line))
}

func fmtClock(d time.Duration) string {
	d = d.Round(time.Second)
	return fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}

func width(n int) int { return len(fmt.Sprint(n)) }

// stateCounts is "3 specs: 2 passed, 1 unsupported".
func stateCounts(states []reports.SpecState) string {
	n := map[reports.SpecState]int{}
	var order []reports.SpecState
	for _, s := range states {
		if n[s] == 0 {
			order = append(order, s)
		}
		n[s]++
	}
	slices.Sort(order)
	parts := make([]string, len(order))
	for i, s := range order {
		parts[i] = fmt.Sprintf("%d %s", n[s], s)
	}
	return fmt.Sprintf("(%d spec(s): %s)", len(states), strings.Join(parts, ", "))
}

// maxListedFailures bounds the list after the summary; the report has all.
const maxListedFailures = 20

// printFailedSpecs lists the failed specs after the summary line, one line
// each with the first line of the message and where; details (messages,
// exchanges) are in the report.
func printFailedSpecs(w io.Writer, c reports.Conformance, out string) {
	var failed []reports.SpecResult
	for _, s := range c.Specs {
		if s.State == reports.StateFailed {
			failed = append(failed, s)
		}
	}
	if len(failed) == 0 {
		return
	}
	fmt.Fprintf(w, "  failed specs (messages and exchanges in %s):\n", out+string(os.PathSeparator)+reports.FileConformanceHTML)
	for i, s := range failed {
		if i == maxListedFailures {
			fmt.Fprintf(w, "    ... and %d more\n", len(failed)-i)
			break
		}
		msg, _, _ := strings.Cut(strings.TrimSpace(s.Message), "\n")
		if r := []rune(msg); len(r) > 160 {
			msg = string(r[:159]) + "…"
		}
		fmt.Fprintf(w, "    %-4s %s: %s", strings.Join(s.Clauses, ","), s.Name, msg)
		if s.Location != "" {
			fmt.Fprintf(w, " (%s)", s.Location)
		}
		fmt.Fprintln(w)
	}
}
