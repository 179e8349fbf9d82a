package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// exchangeExcerpt renders up to max records of an HTTP exchange, the last
// ones (the failing request is usually the last). A record in the shape
// internal/s3call writes (method, url, status, body, ...) becomes
// "PUT url -> 200 (n bytes, t ms)" plus its body; any other record is shown
// as compact JSON. Each part is cut to width characters; the full records
// stay in conformance.json.
func exchangeExcerpt(records []json.RawMessage, max, width int) string {
	if len(records) == 0 {
		return ""
	}
	var b strings.Builder
	start := 0
	if len(records) > max {
		start = len(records) - max
		fmt.Fprintf(&b, "(%d earlier records in conformance.json)\n\n", start)
	}
	for _, r := range records[start:] {
		b.WriteString(recordExcerpt(r, width))
		// A blank line between records: they are long and wrap.
		b.WriteString("\n\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// httpRecord is the part of an s3call exchange record an excerpt shows.
type httpRecord struct {
	Method         string  `json:"method"`
	URL            string  `json:"url"`
	Status         int     `json:"status"`
	Body           string  `json:"body"`
	BodyBytes      int     `json:"bodyBytes"`
	BodyError      string  `json:"bodyError"`
	TransportError string  `json:"transportError"`
	TotalMs        float64 `json:"totalMs"`
}

func recordExcerpt(raw json.RawMessage, width int) string {
	var rec httpRecord
	if json.Unmarshal(raw, &rec) == nil && (rec.Method != "" || rec.Status != 0 || rec.TransportError != "") {
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s -> ", rec.Method, truncate(rec.URL, width))
		if rec.TransportError != "" {
			fmt.Fprintf(&b, "no response: %s", truncate(rec.TransportError, width))
		} else {
			fmt.Fprintf(&b, "%d (%d body bytes, %.1f ms)", rec.Status, rec.BodyBytes, rec.TotalMs)
		}
		if body := strings.TrimSpace(rec.Body); body != "" {
			fmt.Fprintf(&b, "\n  body: %s", truncate(strings.Join(strings.Fields(body), " "), width))
		}
		if rec.BodyError != "" {
			fmt.Fprintf(&b, "\n  body error: %s", truncate(rec.BodyError, width))
		}
		return b.String()
	}
	var buf bytes.Buffer
	line := string(raw)
	if json.Compact(&buf, raw) == nil {
		line = buf.String()
	}
	return truncate(line, width)
}

// truncate cuts s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + fmt.Sprintf("… (%d more characters)", len(r)-n)
}

// mdCell escapes text for a Markdown table cell: pipes escaped, newlines
// folded, so one value never breaks the table.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "<", "&lt;")
	s = strings.ReplaceAll(s, "\r", "")
	s = strings.ReplaceAll(s, "\n", "<br>")
	return s
}

// mdFence returns a code fence longer than any backtick run in s.
func mdFence(s string) string {
	fence := "```"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	return fence
}

var verdictIcon = map[Verdict]string{
	VerdictPass:        "✅ pass",
	VerdictFail:        "❌ fail",
	VerdictUnsupported: "➖ unsupported",
	VerdictBlocked:     "⛔ blocked",
	VerdictNotRun:      "⚠️ not-run",
}

// WriteMarkdown writes c as Markdown: a header with endpoint, profile,
// result and summary; a table of every clause of the profile; then the failed
// specs with their message and an excerpt of their HTTP exchange.
func WriteMarkdown(w io.Writer, c Conformance) error {
	c = c.redacted()
	var b strings.Builder
	fmt.Fprintf(&b, "# partcopy conformance: %s\n\n", strings.ToUpper(string(c.Result)))
	// What a reader must know first: the endpoint died, the run was
	// stopped by a configuration error, or it was interrupted.
	for _, line := range leadLines(c) {
		fmt.Fprintf(&b, "> **%s**\n>\n", mdCell(line))
	}
	if len(leadLines(c)) > 0 {
		b.WriteString("\n")
	}
	if len(c.EndpointIncidents) > 0 {
		b.WriteString("## The endpoint stopped answering\n\n")
		for _, in := range c.EndpointIncidents {
			fmt.Fprintf(&b, "### During: %s\n\n", mdCell(in.Spec))
			fence := mdFence(in.Message)
			fmt.Fprintf(&b, "%s\n%s\n%s\n\n", fence, in.Message, fence)
		}
		if len(c.LeftoverBuckets) > 0 {
			fmt.Fprintf(&b, "Buckets left behind (not removed): %s\n\n", mdCell(strings.Join(c.LeftoverBuckets, ", ")))
		}
	}
	fmt.Fprintf(&b, "| | |\n|---|---|\n")
	fmt.Fprintf(&b, "| Endpoint | %s |\n", mdCell(c.Endpoint))
	if c.Implementation != nil {
		fmt.Fprintf(&b, "| Implementation | %s |\n", mdCell(strings.TrimSpace(c.Implementation.Name+" "+c.Implementation.Version)))
	}
	fmt.Fprintf(&b, "| Profile | %s |\n", mdCell(c.Profile))
	if c.RunID != "" {
		fmt.Fprintf(&b, "| Run id (in bucket names) | %s |\n", mdCell(c.RunID))
	}
	fmt.Fprintf(&b, "| Result | **%s** |\n", c.Result)
	fmt.Fprintf(&b, "| Specs | %s |\n", specCounts(c.Summary))
	if c.LabelFilter != "" {
		fmt.Fprintf(&b, "| Labels | `%s` |\n", strings.ReplaceAll(c.LabelFilter, "`", "'"))
	}
	fmt.Fprintf(&b, "| Clauses | %s |\n", clauseCounts(c.Clauses))
	fmt.Fprintf(&b, "| Generated | %s by partcopy %s (%s) |\n\n",
		c.GeneratedAt.UTC().Format("2006-01-02 15:04:05Z"), mdCell(c.PartcopyVersion), c.Schema)
	if rows := c.Provenance.Rows(); rows != nil {
		b.WriteString("Provenance:\n\n| | |\n|---|---|\n")
		for _, p := range rows {
			fmt.Fprintf(&b, "| %s | %s |\n", p[0], mdCell(p[1]))
		}
		b.WriteString("\n")
	}

	if len(c.SuiteFailures) > 0 {
		b.WriteString("## Suite failures\n\n")
		for _, f := range c.SuiteFailures {
			fmt.Fprintf(&b, "- %s\n", mdCell(f))
		}
		b.WriteString("\n")
	}

	states := specStates(c.Specs)
	b.WriteString("## Clauses\n\n| ID | Clause | Verdict | Specs | Observed |\n|---|---|---|---|---|\n")
	for _, cl := range c.Clauses {
		var specs []string
		for _, name := range cl.Specs {
			specs = append(specs, fmt.Sprintf("%s (%s)", mdCell(name), states[name]))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", cl.ID, mdCell(cl.Title), verdictIcon[cl.Verdict],
			strings.Join(specs, "<br>"), mdCell(strings.Join(cl.Observed, "; ")))
	}

	if failed := specsIn(c.Specs, StateFailed); len(failed) > 0 {
		b.WriteString("\n## Failed specs\n")
		for _, s := range failed {
			fmt.Fprintf(&b, "\n### %s\n\n", mdCell(s.Name))
			fmt.Fprintf(&b, "Clauses: %s", mdCell(strings.Join(s.Clauses, ", ")))
			if s.Location != "" {
				fmt.Fprintf(&b, " · at `%s`", strings.ReplaceAll(s.Location, "`", "'"))
			}
			b.WriteString("\n\n")
			fence := mdFence(s.Message)
			fmt.Fprintf(&b, "%s\n%s\n%s\n", fence, s.Message, fence)
			if ex := exchangeExcerpt(s.Exchange, 4, 600); ex != "" {
				fence := mdFence(ex)
				fmt.Fprintf(&b, "\nHTTP exchange (excerpt):\n\n%s\n%s\n%s\n", fence, ex, fence)
			}
		}
	}

	if blocked := specsIn(c.Specs, StateBlocked); len(blocked) > 0 {
		b.WriteString("\n## Blocked\n\nSetup could not go on because of another clause's deviation; that clause's own spec shows it.\n\n")
		for _, s := range blocked {
			fmt.Fprintf(&b, "- %s (%s), blocked by **%s**: %s\n", mdCell(s.Name), strings.Join(s.Clauses, ", "), s.BlockedBy, mdCell(s.Message))
		}
	}

	if unsupported := specsIn(c.Specs, StateUnsupported); len(unsupported) > 0 {
		b.WriteString("\n## Unsupported\n\n")
		for _, s := range unsupported {
			fmt.Fprintf(&b, "- %s (%s): %s\n", mdCell(s.Name), strings.Join(s.Clauses, ", "), mdCell(s.Message))
		}
	}

	for _, st := range []SpecState{StateNotRun, StateInterrupted, StateError} {
		specs := specsIn(c.Specs, st)
		if len(specs) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n## %s\n\n", map[SpecState]string{StateNotRun: "Not run", StateInterrupted: "Interrupted", StateError: "Stopped by a configuration error"}[st])
		for _, s := range specs {
			fmt.Fprintf(&b, "- %s (%s): %s\n", mdCell(s.Name), strings.Join(s.Clauses, ", "), mdCell(firstLine(s.Message)))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// specsIn returns the specs in state.
func specsIn(specs []SpecResult, state SpecState) []SpecResult {
	var out []SpecResult
	for _, s := range specs {
		if s.State == state {
			out = append(out, s)
		}
	}
	return out
}

// specStates maps spec names to their states, for the clause table.
func specStates(specs []SpecResult) map[string]SpecState {
	m := make(map[string]SpecState, len(specs))
	for _, s := range specs {
		m[s.Name] = s.State
	}
	return m
}

// clauseCounts summarizes verdicts, "20 pass, 1 fail, 2 unsupported, 10
// not-run" (blocked only when there is any).
func clauseCounts(clauses []ClauseResult) string {
	n := map[Verdict]int{}
	for _, c := range clauses {
		n[c.Verdict]++
	}
	blocked := ""
	if n[VerdictBlocked] > 0 {
		blocked = fmt.Sprintf("%d blocked, ", n[VerdictBlocked])
	}
	return fmt.Sprintf("%d pass, %d fail, %s%d unsupported, %d not-run",
		n[VerdictPass], n[VerdictFail], blocked, n[VerdictUnsupported], n[VerdictNotRun])
}

// specCounts summarizes spec states; the rarer states only when present.
func specCounts(s Summary) string {
	out := fmt.Sprintf("%d passed, %d failed, %d unsupported, %d skipped", s.Passed, s.Failed, s.Unsupported, s.Skipped)
	for _, x := range []struct {
		n    int
		name string
	}{{s.Blocked, "blocked"}, {s.NotRun, "not-run"}, {s.Interrupted, "interrupted"}, {s.Errored, "error"}} {
		if x.n > 0 {
			out += fmt.Sprintf(", %d %s", x.n, x.name)
		}
	}
	return out
}

// LeadLines are the lines every rendering of c starts with (see
// leadLines), for the CLI's summary.
func LeadLines(c Conformance) []string { return leadLines(c.redacted()) }

// SpecCounts summarizes spec states, "3 passed, 1 failed, ...".
func SpecCounts(s Summary) string { return specCounts(s) }

// ClauseCounts summarizes clause verdicts, "20 pass, 1 fail, ...".
func ClauseCounts(clauses []ClauseResult) string { return clauseCounts(clauses) }

// leadLines are what every report says before anything else: the
// configuration error that stopped the run, the endpoint's crash, the
// interrupt.
func leadLines(c Conformance) []string {
	var out []string
	if c.ConfigError != "" {
		out = append(out, "Stopped by a configuration error: "+c.ConfigError)
	}
	for _, in := range c.EndpointIncidents {
		state := "did not answer again"
		if in.Recovered {
			state = "answered again"
		}
		out = append(out, fmt.Sprintf("The endpoint crashed or stopped answering during %q and %s after %.0f s; specs that could not run are not-run.", in.Spec, state, in.DownSeconds))
	}
	if c.Interrupted {
		out = append(out, "The run was interrupted: the result is incomplete, and specs that did not finish have no verdict.")
	}
	return out
}
