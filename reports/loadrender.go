package reports

import (
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
)

// Files WriteLoadAll writes into its directory.
const (
	FileLoadJSON      = "load.json"
	FileLoadMD        = "load.md"
	FileLoadHTML      = "load.html"
	FileLatencySVG    = "latency.svg"
	FileThroughputSVG = "throughput.svg"
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
	rows = append(rows,
		loadRow{"Mode", mode},
		concurrencyRow(l),
		loadRow{"Duration", fmt.Sprintf("%.1f s", l.DurationSeconds)},
		loadRow{"Source / part size", fmt.Sprintf("%s / %s", fmtBytes(float64(l.SourceSize)), fmtBytes(float64(l.PartSize)))},
		loadRow{"SSE-C", ssecName(l)},
		loadRow{"Copies", fmt.Sprintf("%d total, %d succeeded, %d failed (%.2f%%), %d late starts",
			l.Ops.Total, l.Ops.Succeeded, l.Ops.Failed, 100*l.Ops.ErrorRate(), l.Ops.LateStarts)},
		loadRow{"Throughput", fmt.Sprintf("%.2f copies/s, %s/s", l.Throughput.OpsPerSecond, fmtBytes(l.Throughput.BytesPerSecond))},
	)
	if len(l.Failures) > 0 {
		rows = append(rows, loadRow{"Failures", failureList(l.Failures)})
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

// latencyRows is the latency table: one row per statistic, columns total
// (corrected), uncorrected, TTFB.
func latencyRows(l LatencySet) [][]string {
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
	var rows [][]string
	for _, s := range stat {
		rows = append(rows, []string{s.name, fmtMs(s.get(l.Total)), fmtMs(s.get(l.Uncorrected)), fmtMs(s.get(l.TTFB))})
	}
	rows = append(rows, []string{"count", fmt.Sprint(l.Total.Count), fmt.Sprint(l.Uncorrected.Count), fmt.Sprint(l.TTFB.Count)})
	return rows
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

// WriteLoadMarkdown writes l as Markdown. The plots are linked as
// latency.svg and throughput.svg, which WriteLoadAll writes beside it.
func WriteLoadMarkdown(w io.Writer, l Load) error {
	l = l.redacted()
	var b strings.Builder
	b.WriteString("# partcopy load\n\n| | |\n|---|---|\n")
	for _, r := range loadSummaryRows(l) {
		fmt.Fprintf(&b, "| %s | %s |\n", r.Name, mdCell(r.Value))
	}
	b.WriteString("\n## Latency (ms)\n\nTotal is measured from the intended start time (corrected for coordinated omission in open mode); uncorrected from the actual send.\n\n")
	b.WriteString("| | total (corrected) | uncorrected | TTFB |\n|---|--:|--:|--:|\n")
	for _, r := range latencyRows(l.LatencyMs) {
		fmt.Fprintf(&b, "| %s |\n", strings.Join(r, " | "))
	}
	fmt.Fprintf(&b, "\n![latency by percentile](%s)\n", FileLatencySVG)
	if len(l.Intervals) > 0 {
		fmt.Fprintf(&b, "\n## Throughput over time\n\n![throughput over time](%s)\n", FileThroughputSVG)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

var loadHTML = template.Must(template.New("load").Funcs(template.FuncMap{
	"css": func() template.CSS { return template.CSS(pageCSS) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<title>partcopy load</title>
<style>{{css}}</style>
</head>
<body>
<h1>partcopy load</h1>
<table class="meta">
{{- range .Rows}}
<tr><th>{{.Name}}</th><td>{{.Value}}</td></tr>
{{- end}}
</table>
<h2>Latency (ms)</h2>
<p class="muted">Total is measured from the intended start time (corrected for coordinated omission in open mode); uncorrected from the actual send.</p>
<table style="width:auto">
<thead><tr><th></th><th>total (corrected)</th><th>uncorrected</th><th>TTFB</th></tr></thead>
<tbody>
{{- range .Latency}}
<tr><th>{{index . 0}}</th><td class="num">{{index . 1}}</td><td class="num">{{index . 2}}</td><td class="num">{{index . 3}}</td></tr>
{{- end}}
</tbody>
</table>
{{.LatencySVG}}
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
	data := struct {
		Rows                      []loadRow
		Latency                   [][]string
		LatencySVG, ThroughputSVG template.HTML
	}{
		Rows: loadSummaryRows(l), Latency: latencyRows(l.LatencyMs),
		// Both SVGs are generated here with every text node escaped.
		LatencySVG: template.HTML(LatencySVG(l)), ThroughputSVG: template.HTML(tsvg),
	}
	if err := loadHTML.Execute(w, data); err != nil {
		return fmt.Errorf("render load html: %w", err)
	}
	return nil
}
