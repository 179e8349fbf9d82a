package reports

import (
	"fmt"
	"html/template"
	"io"
	"strings"
)

// pageCSS is shared by the conformance and load pages; the pages are
// self-contained (no external assets) so they can be archived as CI artifacts.
const pageCSS = `
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#1f2328;background:#fff}
h1{font-size:1.6em;margin-bottom:.3em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #d0d7de;padding-bottom:.2em}
table{border-collapse:collapse;width:100%;margin:.6em 0}
th,td{border:1px solid #d0d7de;padding:.35em .6em;text-align:left;vertical-align:top;font-size:.92em}
th{background:#f6f8fa}
table.meta{width:auto}table.meta th{width:11em}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:.1em .55em;border-radius:1em;font-weight:600;font-size:.85em;white-space:nowrap}
.pass,.passed{background:#dafbe1;color:#116329}
.fail,.failed{background:#ffebe9;color:#a40e26}
.unsupported{background:#ddf4ff;color:#0550ae}
.blocked{background:#fbefff;color:#6e40c9}
.interrupted,.error,.partial,.incomplete{background:#fff1e5;color:#953800}
.lead{border:2px solid #cf222e;background:#ffebe9;padding:.6em 1em;margin:.8em 0;font-weight:600}
.not-run,.skipped{background:#fff8c5;color:#7d4e00}
tr.v-fail td{background:#fff5f5}tr.v-not-run td{background:#fffdf0}
.result{font-size:1.1em;padding:.2em .8em}
ul.specs{margin:0;padding-left:1.1em}
pre{background:#f6f8fa;border:1px solid #d0d7de;padding:.6em;overflow-x:auto;white-space:pre-wrap;word-break:break-word;font-size:.85em}
.muted{color:#59636e}
section.failed-spec{border-left:4px solid #cf222e;padding-left:1em;margin:1.2em 0}
svg{max-width:100%;height:auto;border:1px solid #d0d7de;background:#fff}
p.banner{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:.6em .9em;font-weight:600}
`

var conformanceHTML = template.Must(template.New("conformance").Funcs(template.FuncMap{
	"state": func(states map[string]SpecState, name string) SpecState { return states[name] },
	"join":  strings.Join,
	"impl": func(i *Implementation) string {
		return strings.TrimSpace(i.Name + " " + i.Version)
	},
	"upper":      func(r Result) string { return strings.ToUpper(string(r)) },
	"provenance": func(p *Provenance) [][2]string { return p.Rows() },
	"css":        func() template.CSS { return template.CSS(pageCSS) },
	"printcss":   func() template.CSS { return template.CSS(printCSS) },
	"attention":  attention,
	"anchors":    specAnchors,
	"exchanges":  exchangeViews,
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<title>partcopy conformance: {{upper .C.Result}}</title>
<style>{{css}}{{printcss}}</style>
</head>
<body>
<h1>partcopy conformance <span class="badge result {{.C.Result}}">{{upper .C.Result}}</span></h1>
{{- range .Lead}}
<p class="lead">{{.}}</p>
{{- end}}
{{- if .C.EndpointIncidents}}
<h2>The endpoint stopped answering</h2>
{{- range .C.EndpointIncidents}}
<section class="failed-spec">
<h3>During: {{.Spec}}</h3>
<pre>{{.Message}}</pre>
</section>
{{- end}}
{{- if .C.LeftoverBuckets}}
<p>Buckets left behind (not removed): {{join .C.LeftoverBuckets ", "}}</p>
{{- end}}
{{- end}}
<table class="meta">
<tr><th>Endpoint</th><td>{{.C.Endpoint}}</td></tr>
{{- if .C.Implementation}}
<tr><th>Implementation</th><td>{{impl .C.Implementation}}</td></tr>
{{- end}}
<tr><th>Profile</th><td>{{.C.Profile}}</td></tr>
{{- if .C.RunID}}
<tr><th>Run id (in bucket names)</th><td>{{.C.RunID}}</td></tr>
{{- end}}
<tr><th>Specs</th><td><span class="badge passed">{{.C.Summary.Passed}} passed</span> <span class="badge failed">{{.C.Summary.Failed}} failed</span> <span class="badge unsupported">{{.C.Summary.Unsupported}} unsupported</span> <span class="badge skipped">{{.C.Summary.Skipped}} skipped</span>{{if .C.Summary.Blocked}} <span class="badge blocked">{{.C.Summary.Blocked}} blocked</span>{{end}}{{if .C.Summary.NotRun}} <span class="badge not-run">{{.C.Summary.NotRun}} not-run</span>{{end}}{{if .C.Summary.Interrupted}} <span class="badge interrupted">{{.C.Summary.Interrupted}} interrupted</span>{{end}}{{if .C.Summary.Errored}} <span class="badge error">{{.C.Summary.Errored}} error</span>{{end}}</td></tr>
{{- if .C.LabelFilter}}
<tr><th>Labels</th><td><code>{{.C.LabelFilter}}</code></td></tr>
{{- end}}
<tr><th>Clauses</th><td>{{.ClauseCounts}}</td></tr>
<tr><th>Generated</th><td>{{.Generated}} by partcopy {{.C.PartcopyVersion}} <span class="muted">({{.C.Schema}})</span></td></tr>
{{- range provenance .C.Provenance}}
<tr><th>{{index . 0}}</th><td><code>{{index . 1}}</code></td></tr>
{{- end}}
</table>
{{- with attention .C}}
<nav class="attention" id="attention">
<h2>Needs attention: {{len .}} clause(s)</h2>
<ul>
{{- range .}}
<li><a href="#clause-{{.ID}}">{{.ID}}</a> <span class="badge {{.Verdict}}">{{.Verdict}}</span> {{.Title}}
{{- if .Specs}}<ul>{{range .Specs}}<li>{{if .Anchor}}<a href="#{{.Anchor}}">{{.Name}}</a>{{else}}{{.Name}}{{end}}{{with .Reason}}: <span class="muted">{{.}}</span>{{end}}</li>{{end}}</ul>{{end}}</li>
{{- end}}
</ul>
</nav>
{{- end}}
{{- if .C.SuiteFailures}}
<h2>Suite failures</h2>
{{- range .C.SuiteFailures}}
<pre>{{.}}</pre>
{{- end}}
{{- end}}
<h2>Clauses</h2>
<table>
<thead><tr><th>ID</th><th>Clause</th><th>Verdict</th><th>Specs</th><th>Observed</th></tr></thead>
<tbody>
{{- $anchors := anchors .C}}
{{- range .C.Clauses}}
<tr class="v-{{.Verdict}}" id="clause-{{.ID}}"><td>{{.ID}}</td><td>{{.Title}}</td><td><span class="badge {{.Verdict}}">{{.Verdict}}</span></td><td>{{if .Specs}}<ul class="specs">{{range .Specs}}<li>{{with index $anchors .}}<a href="#{{.}}">{{end}}{{.}}{{if index $anchors .}}</a>{{end}} <span class="badge {{state $.States .}}">{{state $.States .}}</span></li>{{end}}</ul>{{else}}<span class="muted">no spec</span>{{end}}</td><td>{{join .Observed "; "}}</td></tr>
{{- end}}
</tbody>
</table>
{{- if .Failed}}
<h2>Failed specs</h2>
{{- range .Failed}}
<section class="failed-spec" id="{{index $anchors .Name}}">
<h3>{{.Name}}</h3>
<p class="muted">Clauses: {{range $i, $id := .Clauses}}{{if $i}}, {{end}}<a href="#clause-{{$id}}">{{$id}}</a>{{end}}{{if .Location}} · at <code>{{.Location}}</code>{{end}}</p>
<pre>{{.Message}}</pre>
{{- with exchanges .Exchange}}
<details class="exchange"><summary>HTTP exchange: {{len .}} record(s), redacted</summary>
{{- range .}}
<p class="muted">{{.Summary}}</p>
<pre>{{.Text}}</pre>
{{- end}}
</details>
{{- end}}
</section>
{{- end}}
{{- end}}
{{- if .Blocked}}
<h2>Blocked</h2>
<p class="muted">Setup could not go on because of another clause's deviation; that clause's own spec shows it.</p>
<ul>
{{- range .Blocked}}
<li>{{.Name}} ({{join .Clauses ", "}}), blocked by <b>{{.BlockedBy}}</b>: {{.Message}}</li>
{{- end}}
</ul>
{{- end}}
{{- if .Unsupported}}
<h2>Unsupported</h2>
<ul>
{{- range .Unsupported}}
<li>{{.Name}} ({{join .Clauses ", "}}): {{.Message}}</li>
{{- end}}
</ul>
{{- end}}
{{- if .Stopped}}
<h2>Not run, interrupted or stopped</h2>
<ul>
{{- range .Stopped}}
<li>{{.Name}} ({{join .Clauses ", "}}) <span class="badge {{.State}}">{{.State}}</span>: {{.Message}}</li>
{{- end}}
</ul>
{{- end}}
</body>
</html>
`))

// WriteHTML writes c as a self-contained HTML page with colour-coded
// verdicts: the same content as the Markdown report.
func WriteHTML(w io.Writer, c Conformance) error {
	c = c.redacted()
	data := struct {
		C                   Conformance
		States              map[string]SpecState
		ClauseCounts        string
		Generated           string
		Failed, Unsupported []SpecResult
		Blocked, Stopped    []SpecResult
		Lead                []string
	}{C: c, States: specStates(c.Specs), ClauseCounts: clauseCounts(c.Clauses),
		Generated: c.GeneratedAt.UTC().Format("2006-01-02 15:04:05Z"),
		Failed:    specsIn(c.Specs, StateFailed), Unsupported: specsIn(c.Specs, StateUnsupported),
		Blocked: specsIn(c.Specs, StateBlocked), Lead: leadLines(c),
		Stopped: append(append(specsIn(c.Specs, StateNotRun), specsIn(c.Specs, StateInterrupted)...), specsIn(c.Specs, StateError)...)}
	if err := conformanceHTML.Execute(w, data); err != nil {
		return fmt.Errorf("render html: %w", err)
	}
	return nil
}
