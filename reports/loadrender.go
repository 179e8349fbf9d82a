package reports

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strings"
)

// Files WriteLoadAll writes into its directory.
const (
	FileLoadJSON       = "load.json"
	FileLoadMD         = "load.md"
	FileLoadHTML       = "load.html"
	FileLatencySVG     = "latency.svg"
	FileThroughputSVG  = "throughput.svg"
	FileLatencyTimeSVG = "latency-time.svg"
)

// WriteLoadAll writes load.json, load.md, load.html and latency.svg (and
// throughput.svg when l has intervals) into dir, creating it if needed.
func WriteLoadAll(dir string, l Load) error {
	l = l.redacted()
	files := []fileWriter{
		{FileLoadJSON, func(w io.Writer) error { return WriteLoadJSON(w, l) }},
		{FileLoadMD, func(w io.Writer) error { return WriteLoadMarkdown(w, l) }},
		{FileLoadHTML, func(w io.Writer) error { return WriteLoadHTML(w, l) }},
		{FileLatencySVG, func(w io.Writer) error { _, err := io.WriteString(w, LatencySVG(l)); return err }},
	}
	if svg, ok := ThroughputSVG(l); ok {
		files = append(files, fileWriter{FileThroughputSVG, func(w io.Writer) error { _, err := io.WriteString(w, svg); return err }})
	}
	if svg, ok := LatencyTimeSVG(l); ok {
		files = append(files, fileWriter{FileLatencyTimeSVG, func(w io.Writer) error { _, err := io.WriteString(w, svg); return err }})
	}
	return writeFiles(dir, files)
}

// loadRow is one labelled value of the load summary.
type loadRow struct{ Name, Value string }

// loadSummaryRows lists the run's parameters and outcome, shared by the
// Markdown and HTML renderings.
func loadSummaryRows(l Load) []loadRow {
	rows := []loadRow{{"Endpoint", l.Endpoint}}
	rows = append(rows, shardRows(l)...)
	if l.Implementation != nil {
		rows = append(rows, loadRow{"Implementation", strings.TrimSpace(l.Implementation.Name + " " + l.Implementation.Version)})
	}
	mode := l.Mode
	if l.Mode == ModeOpen {
		mode += fmt.Sprintf(", target %s copies/s", fmtNum(l.TargetRate))
	}
	dur := fmt.Sprintf("%.1f s", l.DurationSeconds)
	if l.RequestedDurationSeconds > 0 && math.Abs(l.RequestedDurationSeconds-l.DurationSeconds) >= 0.05 {
		dur += fmt.Sprintf(" (%.1f s asked for)", l.RequestedDurationSeconds)
	}
	if l.Interrupted {
		dur += ", INTERRUPTED"
	}
	if l.Aborted != "" {
		dur += ", stopped early: " + l.Aborted
	}
	rows = append(rows,
		loadRow{"Mode", mode},
		concurrencyRow(l),
		loadRow{"Duration", dur},
		loadRow{"Source / part size", fmt.Sprintf("%s / %s", fmtBytes(float64(l.SourceSize)), fmtBytes(float64(l.PartSize)))},
		loadRow{"SSE-C", ssecName(l)},
		loadRow{"Copies", fmt.Sprintf("%d total, %d succeeded, %d failed (%.2f%%), %d late starts",
			l.Ops.Total, l.Ops.Succeeded, l.Ops.Failed, 100*l.Ops.ErrorRate(), l.Ops.LateStarts)},
		loadRow{"Throughput", fmt.Sprintf("%.2f copies/s, %s/s", l.Throughput.OpsPerSecond, fmtBytes(l.Throughput.BytesPerSecond))},
	)
	if len(l.Failures) > 0 {
		rows = append(rows, loadRow{"Failures", failureList(l.Failures)})
	}
	if g := l.Generator; g != nil {
		v := fmt.Sprintf("lag p50 %s, p99 %s, max %s; %d workers used", fmtDurationMs(g.LagMs.P50), fmtDurationMs(g.LagMs.P99),
			fmtDurationMs(g.LagMs.Max), g.WorkersUsed)
		if g.MaxInFlight > 0 {
			v += fmt.Sprintf(" of %d", g.MaxInFlight)
		}
		if g.MaxInFlightReached {
			v += ", in-flight cap reached"
		}
		if g.NotSent > 0 {
			v += fmt.Sprintf(", %d due and not sent", g.NotSent)
		}
		if g.Limited {
			v += "; LIMITED (" + strings.Join(g.Causes, ", ") + ")"
		}
		rows = append(rows, loadRow{"Generator", v})
	}
	rows = append(rows, loadRow{"Generated", fmt.Sprintf("%s by partcopy %s (%s)",
		l.GeneratedAt.UTC().Format("2006-01-02 15:04:05Z"), l.PartcopyVersion, l.Schema)})
	for _, p := range l.Provenance.Rows() {
		rows = append(rows, loadRow{p[0], p[1]})
	}
	return rows
}

// concurrencyRow names the number for what it is: the workers of a closed
// loop, the in-flight cap of an open one (which sends at its rate, however
// few copies are in flight).
func concurrencyRow(l Load) loadRow {
	if l.Mode == ModeOpen {
		return loadRow{"In-flight cap", fmt.Sprint(l.Concurrency)}
	}
	return loadRow{"Workers", fmt.Sprint(l.Concurrency)}
}

// ssecName is where SSE-C was used, by name; reports older than ssecMode
// only say whether.
func ssecName(l Load) string {
	switch {
	case l.SSECMode != "":
		return l.SSECMode
	case l.SSEC:
		return "yes"
	}
	return "none"
}

// FailureKeys returns the keys of failure counts f, most frequent first,
// then by name: the one order every load report lists failures in.
func FailureKeys(f map[string]int64) []string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if f[keys[i]] != f[keys[j]] {
			return f[keys[i]] > f[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}

// failureList renders failure counts, most frequent first.
func failureList(f map[string]int64) string {
	var parts []string
	for _, k := range FailureKeys(f) {
		parts = append(parts, fmt.Sprintf("%s: %d", k, f[k]))
	}
	return strings.Join(parts, ", ")
}

// latencyHeader is the latency table's column names after the statistic.
func latencyHeader(l Load) []string {
	h := []string{"total (corrected)", "uncorrected", "TTFB"}
	if l.LatencyMs.Failed != nil {
		h = append(h, "failed copies")
	}
	if l.Generator != nil {
		h = append(h, "generator lag")
	}
	return h
}

// latencyRows is the latency table: one row per statistic, columns total
// (corrected), uncorrected, TTFB (successful copies), then failed copies
// and the generator's lag when the report has them.
func latencyRows(ld Load) [][]string {
	l := ld.LatencyMs
	stat := []struct {
		name string
		get  func(Latency) float64
	}{
		{"p50", func(x Latency) float64 { return x.P50 }},
		{"p90", func(x Latency) float64 { return x.P90 }},
		{"p99", func(x Latency) float64 { return x.P99 }},
		{"p99.9", func(x Latency) float64 { return x.P999 }},
		{"max", func(x Latency) float64 { return x.Max }},
		{"mean", func(x Latency) float64 { return x.Mean }},
	}
	cols := []Latency{l.Total, l.Uncorrected, l.TTFB}
	if l.Failed != nil {
		cols = append(cols, *l.Failed)
	}
	if ld.Generator != nil {
		cols = append(cols, ld.Generator.LagMs)
	}
	var rows [][]string
	for _, s := range stat {
		row := []string{s.name}
		for _, c := range cols {
			row = append(row, fmtMs(s.get(c)))
		}
		rows = append(rows, row)
	}
	row := []string{"count"}
	for _, c := range cols {
		row = append(row, fmt.Sprint(c.Count))
	}
	return append(rows, row)
}

// loadBanners are the warnings a reader must see first: a limited
// generator, an interrupted or aborted run.
func loadBanners(l Load) []string {
	var b []string
	if l.Interrupted {
		b = append(b, fmt.Sprintf("Interrupted after %.1f s of the %.1f s asked for: the figures cover the part of the run that completed.",
			l.DurationSeconds, l.RequestedDurationSeconds))
	}
	if l.Aborted != "" {
		b = append(b, "Stopped early (--abort-on-fail): "+l.Aborted)
	}
	if g := l.Generator; g != nil && g.Limited {
		b = append(b, strings.ToUpper(g.Warning[:1])+g.Warning[1:]+".")
	}
	return b
}

// thresholdBadge is "PASS", "FAIL" or "" (no thresholds).
func thresholdBadge(l Load) string {
	if len(l.Thresholds) == 0 {
		return ""
	}
	if ThresholdsPassed(l.Thresholds) {
		return "PASS"
	}
	return "FAIL"
}

func fmtMs(v float64) string { return fmt.Sprintf("%.2f", v) }

// fmtBytes formats a byte count with binary units.
func fmtBytes(v float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", v)
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}

// latencyNote explains the latency table's columns.
func latencyNote(l Load) string {
	n := "Total is measured from the intended start time (corrected for coordinated omission in open mode); uncorrected from the actual send."
	if l.LatencyOf == LatencyOfSucceeded {
		n += " Total, uncorrected and TTFB are of successful copies; failed copies have their own column."
	}
	if l.Generator != nil {
		n += " Generator lag is each copy's actual send minus its intended start."
	}
	return n
}

// WriteLoadMarkdown writes l as Markdown. The plots are linked as
// latency.svg and throughput.svg, which WriteLoadAll writes beside it.
func WriteLoadMarkdown(w io.Writer, l Load) error {
	l = l.redacted()
	var b strings.Builder
	b.WriteString("# partcopy load")
	if badge := thresholdBadge(l); badge != "" {
		b.WriteString(": " + badge)
	}
	b.WriteString("\n\n")
	for _, bn := range loadBanners(l) {
		fmt.Fprintf(&b, "> **Warning:** %s\n\n", mdCell(bn))
	}
	b.WriteString("| | |\n|---|---|\n")
	for _, r := range loadSummaryRows(l) {
		fmt.Fprintf(&b, "| %s | %s |\n", r.Name, mdCell(r.Value))
	}
	if len(l.Thresholds) > 0 {
		fmt.Fprintf(&b, "\n## Thresholds: %s\n\n| | Threshold | Measured | Note |\n|---|---|--:|---|\n", thresholdBadge(l))
		for _, t := range l.Thresholds {
			mark := "✓"
			if !t.OK {
				mark = "✗"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mark, mdCell(t.Expr), FormatThresholdValue(t.Value, t.Unit), mdCell(t.Note))
		}
	}
	b.WriteString("\n## Latency (ms)\n\n" + latencyNote(l) + "\n\n")
	hdr := latencyHeader(l)
	fmt.Fprintf(&b, "| | %s |\n|---|%s\n", strings.Join(hdr, " | "), strings.Repeat("--:|", len(hdr)))
	for _, r := range latencyRows(l) {
		fmt.Fprintf(&b, "| %s |\n", strings.Join(r, " | "))
	}
	fmt.Fprintf(&b, "\n![latency by percentile](%s)\n", FileLatencySVG)
	if len(l.Intervals) > 0 {
		fmt.Fprintf(&b, "\n## Latency over time\n\n![latency over time](%s)\n", FileLatencyTimeSVG)
		fmt.Fprintf(&b, "\n## Throughput over time\n\n![throughput over time](%s)\n", FileThroughputSVG)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

var loadHTML = template.Must(template.New("load").Funcs(template.FuncMap{
	"css":   func() template.CSS { return template.CSS(pageCSS) },
	"value": func(t ThresholdResult) string { return FormatThresholdValue(t.Value, t.Unit) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<title>partcopy load{{if .Badge}}: {{.Badge}}{{end}}</title>
<style>{{css}}</style>
</head>
<body>
<h1>partcopy load{{if .Badge}} <span class="badge result {{if eq .Badge "PASS"}}pass{{else}}fail{{end}}">{{.Badge}}</span>{{end}}</h1>
{{- range .Banners}}
<p class="banner">&#9888; {{.}}</p>
{{- end}}
<table class="meta">
{{- range .Rows}}
<tr><th>{{.Name}}</th><td>{{.Value}}</td></tr>
{{- end}}
</table>
{{- if .Thresholds}}
<h2>Thresholds</h2>
<table style="width:auto">
<thead><tr><th></th><th>threshold</th><th>measured</th><th>note</th></tr></thead>
<tbody>
{{- range .Thresholds}}
<tr class="{{if .OK}}v-pass{{else}}v-fail{{end}}"><td>{{if .OK}}&#10003;{{else}}&#10007;{{end}}</td><td><code>{{.Expr}}</code></td><td class="num">{{value .}}</td><td>{{.Note}}</td></tr>
{{- end}}
</tbody>
</table>
{{- end}}
<h2>Latency (ms)</h2>
<p class="muted">{{.Note}}</p>
<table style="width:auto">
<thead><tr><th></th>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{- range .Latency}}
<tr><th>{{index . 0}}</th>{{range $i, $v := .}}{{if $i}}<td class="num">{{$v}}</td>{{end}}{{end}}</tr>
{{- end}}
</tbody>
</table>
{{.LatencySVG}}
{{- if .LatencyTimeSVG}}
<h2>Latency over time</h2>
{{.LatencyTimeSVG}}
{{- end}}
{{- if .ThroughputSVG}}
<h2>Throughput over time</h2>
{{.ThroughputSVG}}
{{- end}}
</body>
</html>
`))

// WriteLoadHTML writes l as a self-contained HTML page with the plots inline.
func WriteLoadHTML(w io.Writer, l Load) error {
	l = l.redacted()
	tsvg, _ := ThroughputSVG(l)
	ltsvg, _ := LatencyTimeSVG(l)
	data := struct {
		Rows                                      []loadRow
		Badge, Note                               string
		Banners, Header                           []string
		Thresholds                                []ThresholdResult
		Latency                                   [][]string
		LatencySVG, LatencyTimeSVG, ThroughputSVG template.HTML
	}{
		Rows: loadSummaryRows(l), Badge: thresholdBadge(l), Note: latencyNote(l), Banners: loadBanners(l),
		Header: latencyHeader(l), Thresholds: l.Thresholds, Latency: latencyRows(l),
		// The SVGs are generated here with every text node escaped.
		LatencySVG: template.HTML(LatencySVG(l)), LatencyTimeSVG: template.HTML(ltsvg), ThroughputSVG: template.HTML(tsvg),
	}
	if err := loadHTML.Execute(w, data); err != nil {
		return fmt.Errorf("render load html: %w", err)
	}
	return nil
}
