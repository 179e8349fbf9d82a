package reports

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"strings"
	"time"
)

// CapacitySchema is the schema identifier of a capacity report.
const CapacitySchema = "partcopy/capacity/v1"

// Files WriteCapacityAll writes.
const (
	FileCapacityJSON = "capacity.json"
	FileCapacityMD   = "capacity.md"
	FileCapacityHTML = "capacity.html"
)

// Capacity is the result of 'partcopy capacity', schema
// partcopy/capacity/v1: the highest copy rate an endpoint sustains under
// an SLO (open-loop search), and a closed-loop concurrency sweep with a
// USL fit.
type Capacity struct {
	Schema          string          `json:"schema"`
	GeneratedAt     time.Time       `json:"generatedAt"`
	PartcopyVersion string          `json:"partcopyVersion,omitempty"`
	Endpoint        string          `json:"endpoint"`
	Implementation  *Implementation `json:"implementation,omitempty"`
	// SLO is the thresholds every step is judged by, as written.
	SLO        []string `json:"slo"`
	SourceSize int64    `json:"sourceSize"`
	PartSize   int64    `json:"partSize"`
	// StartRate, Factor and Resolution drive the open-loop search;
	// WarmupSeconds of every step are discarded, MeasureSeconds judged.
	StartRate      float64 `json:"startRate,omitempty"`
	Factor         float64 `json:"factor,omitempty"`
	Resolution     float64 `json:"resolution,omitempty"`
	WarmupSeconds  float64 `json:"warmupSeconds"`
	MeasureSeconds float64 `json:"measureSeconds"`
	// Steps is every step's full result, in the order they ran.
	Steps []CapacityStep `json:"steps"`
	// Found is true when at least one rate met the SLO.
	Found bool `json:"found"`
	// MaxSustainableRate is the highest offered rate (copies/s) that met
	// the SLO; MaxSustainableBytesPerSecond its copied bytes per second.
	MaxSustainableRate           float64 `json:"maxSustainableRate"`
	MaxSustainableBytesPerSecond float64 `json:"maxSustainableBytesPerSecond"`
	// Knee is the first rate above the sustainable one that broke the SLO.
	Knee *CapacityStep `json:"knee,omitempty"`
	// Capped is true when the search stopped at --max-rate still passing.
	Capped bool `json:"capped,omitempty"`
	// USL is the fit of the closed-loop sweep (steps of phase sweep).
	USL *USL `json:"usl,omitempty"`
	// USLError says why no fit was made, when a sweep ran.
	USLError string `json:"uslError,omitempty"`
	// GeneratorLimited is true when any step's generator was limited.
	GeneratorLimited bool `json:"generatorLimited"`
	// Interrupted is true when the search was stopped by Ctrl-C.
	Interrupted bool `json:"interrupted"`
}

// Capacity step phases.
const (
	PhaseProbe  = "probe"  // geometric steps up from the start rate
	PhaseBisect = "bisect" // bisection between the last pass and the first fail
	PhaseSweep  = "sweep"  // closed-loop concurrency sweep
)

// CapacityStep is one measured step.
type CapacityStep struct {
	Phase string `json:"phase"`
	// OfferedRate (open loop) or Concurrency (sweep).
	OfferedRate float64 `json:"offeredRate,omitempty"`
	Concurrency int     `json:"concurrency,omitempty"`
	// Attempt counts repeats of an inconclusive step from 1.
	Attempt         int     `json:"attempt"`
	DurationSeconds float64 `json:"durationSeconds"`
	Ops             int64   `json:"ops"`
	Failed          int64   `json:"failed"`
	ErrorRatePct    float64 `json:"errorRatePct"`
	OpsPerSecond    float64 `json:"opsPerSecond"`
	BytesPerSecond  float64 `json:"bytesPerSecond"`
	P50Ms           float64 `json:"p50Ms"`
	P99Ms           float64 `json:"p99Ms"`
	LagP99Ms        float64 `json:"lagP99Ms"`
	// Thresholds is the SLO evaluated on the measurement window.
	Thresholds []ThresholdResult `json:"thresholds,omitempty"`
	// Pass is the step's verdict: every threshold met and, in the open
	// loop, at least 95% of the offered rate completed.
	Pass bool `json:"pass"`
	// Inconclusive is true when the step was repeated (generator limited,
	// or a latency within 5% of its limit); Reason says why or why it
	// failed.
	Inconclusive     bool   `json:"inconclusive,omitempty"`
	Reason           string `json:"reason,omitempty"`
	GeneratorLimited bool   `json:"generatorLimited"`
}

// WriteCapacityJSON writes c as indented JSON, redacted.
func WriteCapacityJSON(w io.Writer, c Capacity) error { return writeIndentedJSON(w, c.redacted()) }

func (c Capacity) redacted() Capacity {
	r := NewRedactor()
	out := c
	out.Endpoint = sanitizeEndpoint(r, c.Endpoint)
	out.PartcopyVersion = r.String(c.PartcopyVersion)
	if c.Implementation != nil {
		out.Implementation = &Implementation{Name: r.String(c.Implementation.Name), Version: r.String(c.Implementation.Version)}
	}
	return out
}

// WriteCapacityAll writes capacity.json, capacity.md and capacity.html
// into dir.
func WriteCapacityAll(dir string, c Capacity) error {
	c = c.redacted()
	return writeFiles(dir, []fileWriter{
		{FileCapacityJSON, func(w io.Writer) error { return WriteCapacityJSON(w, c) }},
		{FileCapacityMD, func(w io.Writer) error { return WriteCapacityMarkdown(w, c) }},
		{FileCapacityHTML, func(w io.Writer) error { return WriteCapacityHTML(w, c) }},
	})
}

// CapacityVerdict is the one-line result.
func CapacityVerdict(c Capacity) string {
	var v string
	switch {
	case c.Found:
		v = fmt.Sprintf("max sustainable rate %s copies/s (%s/s) under %s", fmtNum(math.Round(c.MaxSustainableRate*10)/10),
			fmtBytes(c.MaxSustainableBytesPerSecond), strings.Join(c.SLO, ", "))
		if c.Capped {
			v += " (still passing at --max-rate: the endpoint may sustain more)"
		}
		if c.Knee != nil {
			v += fmt.Sprintf("; breaks at %s copies/s (p99 %s, %.3g%% errors)", fmtNum(math.Round(c.Knee.OfferedRate*10)/10),
				fmtDurationMs(c.Knee.P99Ms), c.Knee.ErrorRatePct)
		}
	case len(c.openSteps()) > 0:
		v = fmt.Sprintf("even the start rate %s copies/s breaks %s", fmtNum(c.StartRate), strings.Join(c.SLO, ", "))
	default:
		v = "no open-loop search"
	}
	if u := c.USL; u != nil {
		switch {
		case u.PeakConcurrency > 0:
			v += fmt.Sprintf("; USL peak %.1f copies/s at concurrency %.1f (R² %.3f)", u.PeakThroughput, u.PeakConcurrency, u.R2)
		case u.PeakThroughput > 0:
			v += fmt.Sprintf("; USL: no peak, throughput approaches %.1f copies/s (R² %.3f)", u.PeakThroughput, u.R2)
		default:
			v += fmt.Sprintf("; USL: linear scaling, no limit seen (R² %.3f)", u.R2)
		}
	}
	if c.GeneratorLimited {
		v += "; the generator was limited in some steps"
	}
	return v
}

func (c Capacity) openSteps() []CapacityStep {
	var out []CapacityStep
	for _, s := range c.Steps {
		if s.Phase != PhaseSweep {
			out = append(out, s)
		}
	}
	return out
}

func (c Capacity) sweepSteps() []CapacityStep {
	var out []CapacityStep
	for _, s := range c.Steps {
		if s.Phase == PhaseSweep {
			out = append(out, s)
		}
	}
	return out
}

// sloLatencyLimit is the SLO's corrected p99 limit in ms, 0 if none.
func (c Capacity) sloLatencyLimit() float64 {
	for _, e := range c.SLO {
		if t, err := ParseThreshold(e); err == nil && t.Metric == "total.p99" {
			return t.Limit
		}
	}
	return 0
}

// CapacitySVGs draws the three plots: throughput vs offered rate, p99 vs
// throughput (SLO line, knee marked), throughput vs concurrency with the
// USL curve. Empty strings for plots without data.
func CapacitySVGs(c Capacity) (rate, latency, sweep string) {
	open := c.openSteps()
	if len(open) > 0 {
		var pts, ideal, pl [][2]float64
		xmax, ymax, lmax := 0.0, 0.0, 0.0
		sorted := append([]CapacityStep(nil), open...)
		sortSteps(sorted, func(s CapacityStep) float64 { return s.OfferedRate })
		for _, s := range sorted {
			pts = append(pts, [2]float64{s.OfferedRate, s.OpsPerSecond})
			xmax, ymax = math.Max(xmax, s.OfferedRate), math.Max(ymax, s.OpsPerSecond)
		}
		ideal = [][2]float64{{0, 0}, {xmax, xmax}}
		ymax = math.Max(ymax, xmax)
		rate = drawPlot(plotSpec{title: "Throughput vs offered rate", xLabel: "offered rate (copies/s)", yLabel: "throughput (copies/s)",
			xmax: xmax, ymax: ymax, xTicks: linearTicks(xmax), series: []series{
				{name: "measured", color: colorTotal, points: pts, markers: true},
				{name: "offered", color: colorTarget, dash: "6 4", points: ideal},
			}})
		sortSteps(sorted, func(s CapacityStep) float64 { return s.OpsPerSecond })
		tmax := 0.0
		for _, s := range sorted {
			pl = append(pl, [2]float64{s.OpsPerSecond, s.P99Ms})
			tmax, lmax = math.Max(tmax, s.OpsPerSecond), math.Max(lmax, s.P99Ms)
		}
		ss := []series{{name: "p99", color: colorTotal, points: pl, markers: true}}
		if lim := c.sloLatencyLimit(); lim > 0 {
			ss = append(ss, series{name: "SLO " + fmtDurationMs(lim), color: colorFailed, dash: "6 4", points: [][2]float64{{0, lim}, {tmax, lim}}})
			lmax = math.Max(lmax, lim)
		}
		if c.Knee != nil {
			ss = append(ss, series{name: "knee", color: colorUncorr, points: [][2]float64{{c.Knee.OpsPerSecond, c.Knee.P99Ms}}, markers: true})
		}
		latency = drawPlot(plotSpec{title: "p99 latency vs throughput", xLabel: "throughput (copies/s)", yLabel: "p99 latency (ms)",
			xmax: tmax, ymax: lmax, xTicks: linearTicks(tmax), series: ss})
	}
	if sw := c.sweepSteps(); len(sw) > 0 {
		var pts, curve [][2]float64
		xmax, ymax := 0.0, 0.0
		for _, s := range sw {
			pts = append(pts, [2]float64{float64(s.Concurrency), s.OpsPerSecond})
			xmax, ymax = math.Max(xmax, float64(s.Concurrency)), math.Max(ymax, s.OpsPerSecond)
		}
		ss := []series{{name: "measured", color: colorTotal, points: pts, markers: true}}
		if c.USL != nil {
			for i := 0; i <= 100; i++ {
				n := 1 + (xmax-1)*float64(i)/100
				curve = append(curve, [2]float64{n, c.USL.At(n)})
				ymax = math.Max(ymax, c.USL.At(n))
			}
			ss = append(ss, series{name: fmt.Sprintf("USL (R² %.3f)", c.USL.R2), color: colorUncorr, dash: "6 4", points: curve})
		}
		sweep = drawPlot(plotSpec{title: "Throughput vs concurrency (closed loop)", xLabel: "concurrency", yLabel: "throughput (copies/s)",
			xmax: xmax, ymax: ymax, xTicks: linearTicks(xmax), series: ss})
	}
	return rate, latency, sweep
}

func sortSteps(s []CapacityStep, key func(CapacityStep) float64) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && key(s[j]) < key(s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func linearTicks(xmax float64) []tick {
	if xmax <= 0 {
		xmax = 1
	}
	st := niceStep(xmax, 8)
	var t []tick
	for x := 0.0; x <= xmax+1e-9; x += st {
		t = append(t, tick{x, fmtNum(x)})
	}
	return t
}

// capacityRows is the step table shared by Markdown and HTML.
func capacityRows(c Capacity) (header []string, rows [][]string) {
	header = []string{"#", "phase", "offered/s", "conc.", "try", "copies/s", "MiB/s", "p50", "p99", "errors", "lag p99", "verdict"}
	for i, s := range c.Steps {
		v := "FAIL"
		if s.Pass {
			v = "PASS"
		}
		if s.Reason != "" {
			v += ": " + s.Reason
		}
		off, conc := "", ""
		if s.OfferedRate > 0 {
			off = fmtNum(math.Round(s.OfferedRate*10) / 10)
		}
		if s.Concurrency > 0 {
			conc = fmt.Sprint(s.Concurrency)
		}
		rows = append(rows, []string{fmt.Sprint(i + 1), s.Phase, off, conc, fmt.Sprint(s.Attempt), fmt.Sprintf("%.1f", s.OpsPerSecond),
			fmt.Sprintf("%.1f", s.BytesPerSecond/(1<<20)), fmtDurationMs(s.P50Ms), fmtDurationMs(s.P99Ms),
			fmt.Sprintf("%.3g%%", s.ErrorRatePct), fmtDurationMs(s.LagP99Ms), v})
	}
	return header, rows
}

// WriteCapacityMarkdown writes c as Markdown.
func WriteCapacityMarkdown(w io.Writer, c Capacity) error {
	c = c.redacted()
	var b strings.Builder
	fmt.Fprintf(&b, "# partcopy capacity\n\n**%s**\n\n| | |\n|---|---|\n", mdCell(CapacityVerdict(c)))
	fmt.Fprintf(&b, "| Endpoint | %s |\n| SLO | %s |\n| Part / source size | %s / %s |\n| Steps | warm-up %.1f s discarded, %.1f s measured |\n",
		mdCell(c.Endpoint), mdCell(strings.Join(c.SLO, ", ")), fmtBytes(float64(c.PartSize)), fmtBytes(float64(c.SourceSize)),
		c.WarmupSeconds, c.MeasureSeconds)
	if c.USL != nil {
		fmt.Fprintf(&b, "| USL | λ %.4g, σ %.4g, κ %.4g, R² %.4f; peak %.1f copies/s at concurrency %.1f |\n",
			c.USL.Lambda, c.USL.Sigma, c.USL.Kappa, c.USL.R2, c.USL.PeakThroughput, c.USL.PeakConcurrency)
	} else if c.USLError != "" {
		fmt.Fprintf(&b, "| USL | not fitted: %s |\n", mdCell(c.USLError))
	}
	if c.Interrupted {
		b.WriteString("\n> **Warning:** interrupted: the search did not finish.\n")
	}
	h, rows := capacityRows(c)
	fmt.Fprintf(&b, "\n## Steps\n\n| %s |\n|%s\n", strings.Join(h, " | "), strings.Repeat("---|", len(h)))
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s |\n", strings.Join(mdCells(r), " | "))
	}
	b.WriteString("\nThe plots are in capacity.html.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func mdCells(r []string) []string {
	out := make([]string, len(r))
	for i, s := range r {
		out[i] = mdCell(s)
	}
	return out
}

var capacityHTML = template.Must(template.New("capacity").Funcs(template.FuncMap{
	"css": func() template.CSS { return template.CSS(pageCSS) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<title>partcopy capacity</title>
<style>{{css}}</style>
</head>
<body>
<h1>partcopy capacity <span class="badge result {{if .C.Found}}pass{{else}}fail{{end}}">{{if .C.Found}}FOUND{{else}}NOT FOUND{{end}}</span></h1>
<p><strong>{{.Verdict}}</strong></p>
{{- if .C.Interrupted}}<p class="banner">&#9888; Interrupted: the search did not finish.</p>{{end}}
{{- if .C.GeneratorLimited}}<p class="banner">&#9888; The generator was limited in some steps (see the lag column); those steps were repeated.</p>{{end}}
<table class="meta">
<tr><th>Endpoint</th><td>{{.C.Endpoint}}</td></tr>
<tr><th>SLO</th><td>{{.SLO}}</td></tr>
<tr><th>Steps</th><td>warm-up {{printf "%.1f" .C.WarmupSeconds}} s discarded, {{printf "%.1f" .C.MeasureSeconds}} s measured</td></tr>
{{- if .C.USL}}
<tr><th>USL</th><td>λ {{printf "%.4g" .C.USL.Lambda}}, σ {{printf "%.4g" .C.USL.Sigma}}, κ {{printf "%.4g" .C.USL.Kappa}}, R² {{printf "%.4f" .C.USL.R2}}; peak {{printf "%.1f" .C.USL.PeakThroughput}} copies/s at concurrency {{printf "%.1f" .C.USL.PeakConcurrency}}</td></tr>
{{- end}}
</table>
{{.Rate}}
{{.Latency}}
{{.Sweep}}
<h2>Steps</h2>
<table>
<thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{- range .Rows}}
<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{- end}}
</tbody>
</table>
</body>
</html>
`))

// WriteCapacityHTML writes c as a self-contained page with the plots.
func WriteCapacityHTML(w io.Writer, c Capacity) error {
	c = c.redacted()
	rate, lat, sweep := CapacitySVGs(c)
	h, rows := capacityRows(c)
	data := struct {
		C                    Capacity
		Verdict, SLO         string
		Header               []string
		Rows                 [][]string
		Rate, Latency, Sweep template.HTML
	}{C: c, Verdict: CapacityVerdict(c), SLO: strings.Join(c.SLO, ", "), Header: h, Rows: rows,
		// Generated here with every text node escaped.
		Rate: template.HTML(rate), Latency: template.HTML(lat), Sweep: template.HTML(sweep)}
	if err := capacityHTML.Execute(w, data); err != nil {
		return fmt.Errorf("render capacity html: %w", err)
	}
	return nil
}

// ReadCapacity reads a capacity.json.
func ReadCapacity(path string) (Capacity, error) {
	var c Capacity
	data, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	if c.Schema != CapacitySchema {
		return c, fmt.Errorf("%s: schema %q, want %s: %w", path, c.Schema, CapacitySchema, ErrUnknownSchema)
	}
	return c, nil
}
