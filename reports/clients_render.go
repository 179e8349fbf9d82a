package reports

import (
	"fmt"
	"html/template"
	"io"
	"strings"
)

// clientCellText is the matrix text of a cell: the verdict (gating ones in
// capitals, as the report talks about them) and the attempt count when the
// client sent the copy more than once.
func clientCellText(r ClientResult) string {
	s := string(r.Verdict)
	switch r.Verdict {
	case ClientSilent:
		s = "SILENT"
	case ClientFalseFailure:
		s = "FALSE FAILURE"
	}
	if r.Attempts > 1 {
		s += fmt.Sprintf(" ×%d", r.Attempts)
	}
	return s
}

// reportedText is what the client reported, in one line.
func reportedText(r ClientResult) string {
	switch {
	case r.Verdict == ClientUnsupported:
		return "-"
	case r.Reported.Success && r.Reported.ETag == "":
		return "success, no ETag"
	case r.Reported.Success:
		return "success, ETag " + r.Reported.ETag
	case r.Reported.TimedOut:
		return "killed at the timeout"
	}
	return fmt.Sprintf("error (exit %d): %s", r.Reported.ExitCode, r.Reported.Error)
}

// answerText is what the proxy sent, in one line.
func answerText(a *ClientAnswer) string {
	if a == nil {
		return "-"
	}
	s := fmt.Sprintf("%d %s", a.Status, a.Outcome)
	if a.ETag != "" {
		s += " ETag " + a.ETag
	}
	return s
}

func clientsSummaryText(c Clients) string {
	s := c.Summary
	return fmt.Sprintf("%d cells: %d ok, %d detected, %d SILENT, %d FALSE FAILURE, %d late, %d unsupported, %d not-run",
		s.Cells, s.OK, s.Detected, s.Silent, s.FalseFailure, s.Late, s.Unsupported, s.NotRun)
}

// clientsMatrix returns, per client in report order, the cell text per form.
func clientsMatrix(c Clients) [][]string {
	rows := make([][]string, 0, len(c.Clients))
	for _, ci := range c.Clients {
		row := []string{ci.Name}
		for _, f := range c.Forms {
			if r, ok := c.Cell(ci.Name, f.Name); ok {
				row = append(row, clientCellText(r))
			} else {
				row = append(row, "")
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// WriteClientsMarkdown writes the report as Markdown: the matrix first, then
// the forms, the clients and every cell.
func WriteClientsMarkdown(w io.Writer, c Clients) error {
	c = c.redacted()
	var b strings.Builder
	fmt.Fprintf(&b, "# partcopy clients: does the client notice a failed copy?\n\n")
	fmt.Fprintf(&b, "| | |\n|---|---|\n")
	fmt.Fprintf(&b, "| endpoint | %s (behind the fault proxy) |\n", mdCell(c.Endpoint))
	if c.Provenance == nil { // else its rows name partcopy below
		fmt.Fprintf(&b, "| partcopy | %s |\n", mdCell(c.PartcopyVersion))
	}
	fmt.Fprintf(&b, "| started | %s |\n", c.Started.UTC().Format("2006-01-02 15:04:05 UTC"))
	fmt.Fprintf(&b, "| duration | %.1f s |\n", c.DurationSeconds)
	fmt.Fprintf(&b, "| seed | %d |\n", c.Seed)
	fmt.Fprintf(&b, "| result | %s |\n", mdCell(clientsSummaryText(c)))
	if len(c.Gate) > 0 {
		fmt.Fprintf(&b, "| gate | **tripped**: %s |\n", mdCell(strings.Join(c.Gate, "; ")))
	} else {
		fmt.Fprintf(&b, "| gate | passed (no cell is SILENT or FALSE FAILURE) |\n")
	}
	if c.Partial {
		fmt.Fprintf(&b, "| partial | yes: some cells could not be judged |\n")
	}
	for _, row := range c.Provenance.Rows() {
		fmt.Fprintf(&b, "| %s | %s |\n", mdCell(row[0]), mdCell(row[1]))
	}
	b.WriteString("\nVerdicts: **ok** (good copy, success with its ETag), **detected** (failed copy, error), " +
		"**SILENT** (success reported for a failed copy, or with an ETag that is not the copy's), " +
		"**FALSE FAILURE** (error for a good copy), **late** (failed copy only noticed at CompleteMultipartUpload), " +
		"**unsupported** (the client cannot run here), **not-run** (the client never sent the copy through the proxy). " +
		"×N: the copy reached the proxy N times (the proxy's own counter); every attempt the proxy forwarded re-ran the copy at the target.\n\n")

	b.WriteString("## Matrix\n\n| client |")
	for _, f := range c.Forms {
		fmt.Fprintf(&b, " %s |", mdCell(f.Name))
	}
	b.WriteString("\n|---|")
	for range c.Forms {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, row := range clientsMatrix(c) {
		b.WriteString("|")
		for i, cell := range row {
			if i > 0 && (strings.HasPrefix(cell, "SILENT") || strings.HasPrefix(cell, "FALSE")) {
				cell = "**" + cell + "**"
			}
			fmt.Fprintf(&b, " %s |", mdCell(cell))
		}
		b.WriteString("\n")
	}

	b.WriteString("\n## Forms\n\n| form | what the client receives | proxy rules | clause | a correct client reports |\n|---|---|---|---|---|\n")
	for _, f := range c.Forms {
		rules := "(none)"
		if len(f.Rules) > 0 {
			rules = "`" + strings.Join(f.Rules, "` `") + "`"
		}
		expect := f.Expect
		if expect == "" {
			expect = "(read from the answer)"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdCell(f.Name), mdCell(f.Title), mdCell(rules), mdCell(f.Clause), expect)
	}

	b.WriteString("\n## Clients\n\n| client | versions | command |\n|---|---|---|\n")
	for _, ci := range c.Clients {
		cmd := "`" + ci.Command + "`"
		if ci.Unsupported != "" {
			cmd = "unsupported: " + ci.Unsupported
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", mdCell(ci.Name), mdCell(strings.Join(ci.Versions, ", ")), mdCell(cmd))
	}

	b.WriteString("\n## Cells\n\nattempts: copy requests that reached the proxy / of them run at the target (the others the proxy answered itself).\n\n" +
		"| client | form | verdict | attempts | time | the client reported | the proxy sent (last attempt) | why |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range c.Results {
		fmt.Fprintf(&b, "| %s | %s | %s | %d / %d | %.2f s | %s | %s | %s |\n",
			mdCell(r.Client), mdCell(r.Form), mdCell(clientCellText(r)), r.Attempts, r.Forwarded, r.DurationSeconds,
			mdCell(truncate(reportedText(r), 300)), mdCell(answerText(r.Answer)), mdCell(r.Detail))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

var clientsHTML = template.Must(template.New("clients").Funcs(template.FuncMap{
	"matrix":     clientsMatrix,
	"summary":    clientsSummaryText,
	"cell":       clientCellText,
	"reported":   func(r ClientResult) string { return truncate(reportedText(r), 600) },
	"answer":     answerText,
	"join":       strings.Join,
	"provenance": func(p *Provenance) [][2]string { return p.Rows() },
	"vclass": func(s string) string {
		switch {
		case strings.HasPrefix(s, "ok"):
			return "pass"
		case strings.HasPrefix(s, "SILENT"), strings.HasPrefix(s, "FALSE"):
			return "fail"
		case strings.HasPrefix(s, "detected"):
			return "detected"
		case strings.HasPrefix(s, "unsupported"):
			return "unsupported"
		case s == "":
			return ""
		}
		return "not-run"
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>partcopy clients</title><style>` + pageCSS + `
.detected{background:#dafbe1;color:#116329;opacity:.8}
</style></head><body>
<h1>partcopy clients: does the client notice a failed copy?</h1>
<table class="meta">
<tr><th>endpoint</th><td>{{.Endpoint}} (behind the fault proxy)</td></tr>
{{if not .Provenance}}<tr><th>partcopy</th><td>{{.PartcopyVersion}}</td></tr>{{end}}
<tr><th>started</th><td>{{.Started.UTC.Format "2006-01-02 15:04:05 UTC"}}</td></tr>
<tr><th>duration</th><td>{{printf "%.1f" .DurationSeconds}} s</td></tr>
<tr><th>seed</th><td>{{.Seed}}</td></tr>
<tr><th>result</th><td>{{summary .}}</td></tr>
<tr><th>gate</th><td>{{if .Gate}}<span class="badge fail">tripped</span> {{join .Gate "; "}}{{else}}<span class="badge pass">passed</span>{{end}}</td></tr>
{{if .Partial}}<tr><th>partial</th><td>some cells could not be judged</td></tr>{{end}}
{{range provenance .Provenance}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>
{{end}}
</table>
<h2>Matrix</h2>
<table><tr><th>client</th>{{range .Forms}}<th>{{.Name}}</th>{{end}}</tr>
{{range matrix .}}<tr>{{range $i, $c := .}}{{if eq $i 0}}<th>{{$c}}</th>{{else}}<td><span class="badge {{vclass $c}}">{{$c}}</span></td>{{end}}{{end}}</tr>
{{end}}</table>
<p class="muted">ok: good copy, success with its ETag. detected: failed copy, error. SILENT: success reported for a failed copy (or with an ETag that is not the copy's). FALSE FAILURE: error for a good copy. late: failed copy only noticed at CompleteMultipartUpload. ×N: the copy reached the proxy N times (its own counter).</p>
<h2>Forms</h2>
<table><tr><th>form</th><th>what the client receives</th><th>proxy rules</th><th>clause</th><th>a correct client reports</th></tr>
{{range .Forms}}<tr><td>{{.Name}}</td><td>{{.Title}}</td><td><code>{{join .Rules " "}}</code></td><td>{{.Clause}}</td><td>{{if .Expect}}{{.Expect}}{{else}}(read from the answer){{end}}</td></tr>
{{end}}</table>
<h2>Clients</h2>
<table><tr><th>client</th><th>versions</th><th>command</th></tr>
{{range .Clients}}<tr><td>{{.Name}}</td><td>{{join .Versions ", "}}</td><td>{{if .Unsupported}}<span class="badge unsupported">unsupported</span> {{.Unsupported}}{{else}}<code>{{.Command}}</code>{{end}}</td></tr>
{{end}}</table>
<h2>Cells</h2>
<table><tr><th>client</th><th>form</th><th>verdict</th><th>attempts / run at the target</th><th>time</th><th>the client reported</th><th>the proxy sent (last attempt)</th><th>why</th></tr>
{{range .Results}}{{$c := cell .}}<tr><td>{{.Client}}</td><td>{{.Form}}</td><td><span class="badge {{vclass $c}}">{{$c}}</span></td><td class="num">{{.Attempts}} / {{.Forwarded}}</td><td class="num">{{printf "%.2f" .DurationSeconds}} s</td><td>{{reported .}}</td><td>{{answer .Answer}}</td><td>{{.Detail}}</td></tr>
{{end}}</table>
</body></html>
`))

// WriteClientsHTML writes the report as a self-contained HTML page.
func WriteClientsHTML(w io.Writer, c Clients) error {
	return clientsHTML.Execute(w, c.redacted())
}
