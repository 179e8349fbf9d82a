package reports

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// The parts of conformance.html that make a failing report readable: what
// needs attention at the top, anchors to jump to a clause's row and its
// failing specs, each failed spec's exchange in full (collapsed), and a
// print stylesheet that leaves the passing rows out.

// attentionVerdicts are the clause verdicts listed at the top of the page,
// worst first. "blocked" is the verdict of a clause whose setup another
// clause's deviation stopped.
var attentionVerdicts = []Verdict{VerdictFail, Verdict("blocked"), VerdictUnsupported}

// attentionClause is one clause listed at the top.
type attentionClause struct {
	ID, Title string
	Verdict   Verdict
	// Specs are the clause's specs in the attention state (failed,
	// blocked, unsupported), with their anchor when the page has a
	// section for them.
	Specs []attentionSpec
}

type attentionSpec struct {
	Name, Anchor, Reason string
}

// attention lists the clauses that failed, were blocked or are
// unsupported, worst verdict first, then in report order.
func attention(c Conformance) []attentionClause {
	rank := map[Verdict]int{}
	for i, v := range attentionVerdicts {
		rank[v] = i + 1
	}
	byName := map[string]int{}
	for i, s := range c.Specs {
		if _, dup := byName[s.Name]; !dup {
			byName[s.Name] = i
		}
	}
	var out []attentionClause
	for _, cl := range c.Clauses {
		if rank[cl.Verdict] == 0 {
			continue
		}
		a := attentionClause{ID: cl.ID, Title: cl.Title, Verdict: cl.Verdict}
		for _, name := range cl.Specs {
			i, ok := byName[name]
			if !ok {
				continue
			}
			s := c.Specs[i]
			if s.State == StatePassed || s.State == StateSkipped {
				continue
			}
			as := attentionSpec{Name: s.Name, Reason: truncate(firstLine(s.Message), 200)}
			if s.State == StateFailed {
				as.Anchor = specAnchor(i)
			}
			a.Specs = append(a.Specs, as)
		}
		out = append(out, a)
	}
	sort.SliceStable(out, func(i, j int) bool { return rank[out[i].Verdict] < rank[out[j].Verdict] })
	return out
}

// specAnchor is the id of the i-th spec's section.
func specAnchor(i int) string { return fmt.Sprintf("spec-%d", i+1) }

// specAnchors maps spec names to the anchors of the failed specs' sections.
func specAnchors(c Conformance) map[string]string {
	m := map[string]string{}
	for i, s := range c.Specs {
		if s.State == StateFailed {
			if _, dup := m[s.Name]; !dup {
				m[s.Name] = specAnchor(i)
			}
		}
	}
	return m
}

// exchangeRecord is an s3call exchange record as the page shows it: the
// request line and headers, the response status, headers and body.
type exchangeRecord struct {
	Method          string              `json:"method"`
	URL             string              `json:"url"`
	RequestHeaders  map[string][]string `json:"requestHeaders"`
	Status          int                 `json:"status"`
	ResponseHeaders map[string][]string `json:"responseHeaders"`
	Body            string              `json:"body"`
	BodyBytes       int                 `json:"bodyBytes"`
	BodyError       string              `json:"bodyError"`
	TransportError  string              `json:"transportError"`
	TotalMs         float64             `json:"totalMs"`
}

// exchangeView is one record, rendered.
type exchangeView struct {
	Summary string // "PUT /b/k?partNumber=1 → 200 (125 bytes, 0.7 ms)"
	Text    string // request line, headers, blank line, status, headers, body
}

// maxExchangeBody bounds a body shown on the page (the JSON has it all).
const maxExchangeBody = 8 << 10

// exchangeViews renders a spec's (already redacted) exchange records.
// Records that are not s3call exchanges are shown as compact JSON.
func exchangeViews(records []json.RawMessage) []exchangeView {
	var out []exchangeView
	for _, raw := range records {
		var r exchangeRecord
		if json.Unmarshal(raw, &r) != nil || r.Method == "" && r.Status == 0 && r.TransportError == "" {
			out = append(out, exchangeView{Summary: "record", Text: recordExcerpt(raw, 4000)})
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s HTTP/1.1\n", r.Method, r.URL)
		writeHeaders(&b, r.RequestHeaders)
		b.WriteString("\n")
		v := exchangeView{}
		if r.TransportError != "" {
			fmt.Fprintf(&b, "no response: %s\n", r.TransportError)
			v.Summary = fmt.Sprintf("%s %s → no response", r.Method, truncate(r.URL, 120))
		} else {
			fmt.Fprintf(&b, "HTTP %d\n", r.Status)
			writeHeaders(&b, r.ResponseHeaders)
			b.WriteString("\n")
			b.WriteString(truncate(r.Body, maxExchangeBody))
			if r.BodyError != "" {
				fmt.Fprintf(&b, "\n(body error: %s)", r.BodyError)
			}
			v.Summary = fmt.Sprintf("%s %s → %d (%d body bytes, %.1f ms)", r.Method, truncate(r.URL, 120), r.Status, r.BodyBytes, r.TotalMs)
		}
		v.Text = strings.TrimRight(b.String(), "\n")
		out = append(out, v)
	}
	return out
}

func writeHeaders(b *strings.Builder, h map[string][]string) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s: %s\n", k, v)
		}
	}
}

// printCSS keeps a printed failing report short: the verdict, what needs
// attention and the failed specs' messages; passing clause rows, collapsed
// exchanges and the unsupported list stay on screen only.
const printCSS = `
nav.attention{border:2px solid #cf222e;border-radius:6px;padding:.4em 1em;margin:1em 0}
nav.attention h2{margin-top:.3em;border:0}
nav.attention li{margin:.25em 0}
details.exchange summary{cursor:pointer;color:#0550ae}
details.exchange pre{max-height:40em;overflow:auto}
tr:target td{outline:2px solid #0969da}
section.failed-spec:target{background:#f6f8fa}
@media print{
body{margin:0;max-width:none;font-size:10pt}
tr.v-pass,tr.v-not-run,details.exchange{display:none}
pre{white-space:pre-wrap;max-height:none;font-size:8pt}
section.failed-spec{break-inside:avoid}
a{color:inherit;text-decoration:none}
}
`
