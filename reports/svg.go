package reports

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"strings"
)

// The SVG plots are written by hand: no dependency, and the output is
// self-contained so the HTML page and the Markdown's image links work offline.

const (
	plotW, plotH                        = 760, 400
	marginL, marginR, marginT, marginB  = 70, 32, 44, 56
	innerW                              = plotW - marginL - marginR
	innerH                              = plotH - marginT - marginB
	colorTotal, colorUncorr, colorTTFB  = "#0969da", "#bc4c00", "#1a7f37"
	colorTarget, colorFailed, colorGrid = "#6e7781", "#cf222e", "#d8dee4"
	svgFont                             = `font-family="Helvetica,Arial,sans-serif"`
)

// series is one line of a plot.
type series struct {
	name, color, dash string
	points            [][2]float64 // (x, y) in data units
	markers           bool
}

// percentileX is the plot's x for a percentile p in 0..100: log10(1/(1-p)),
// so 90% is 1, 99% is 2, 99.9% is 3, as HdrHistogram's plots are drawn.
func percentileX(p float64) float64 {
	q := 1 - p/100
	if q <= 0 {
		return maxPlotDecades
	}
	return math.Min(maxPlotDecades, math.Log10(1/q))
}

// percentilePoints returns l's percentile curve: its distribution if present,
// else the summary points (p50, p90, p99, p99.9, and max placed at the
// percentile the sample count resolves).
func percentilePoints(l Latency) (pts [][2]float64, fromSummary bool) {
	if l.Count == 0 {
		return nil, false
	}
	if len(l.Distribution) > 0 {
		for _, d := range l.Distribution {
			pts = append(pts, [2]float64{percentileX(d.Percentile), d.ValueMs})
		}
		// The curve ends at the max, placed where the sample count stops
		// resolving percentiles (1/(1-p) = count).
		if last := pts[len(pts)-1]; l.Max > last[1] {
			pts = append(pts, [2]float64{math.Max(last[0], math.Min(maxPlotDecades, math.Log10(float64(l.Count)))), l.Max})
		}
		return pts, false
	}
	// Nothing below p50 is summarized, so the curve starts there.
	pts = [][2]float64{{percentileX(50), l.P50}, {percentileX(90), l.P90}, {percentileX(99), l.P99}}
	if l.Count >= 1000 {
		pts = append(pts, [2]float64{percentileX(99.9), l.P999})
	}
	maxX := math.Min(maxPlotDecades, math.Log10(float64(l.Count)))
	if maxX < pts[len(pts)-1][0] {
		maxX = pts[len(pts)-1][0]
	}
	pts = append(pts, [2]float64{maxX, l.Max})
	return pts, true
}

// LatencySVG draws the latency-by-percentile plot of l: corrected (total),
// uncorrected and TTFB latency on a log(1/(1-p)) percentile axis.
func LatencySVG(l Load) string {
	var ss []series
	add := func(name, color, dash string, lat Latency) {
		if pts, summary := percentilePoints(lat); len(pts) > 0 {
			ss = append(ss, series{name: name, color: color, dash: dash, points: pts, markers: summary})
		}
	}
	add("total (corrected)", colorTotal, "", l.LatencyMs.Total)
	add("uncorrected", colorUncorr, "7 4", l.LatencyMs.Uncorrected)
	add("TTFB", colorTTFB, "2 3", l.LatencyMs.TTFB)

	xmax := 2.0
	ymax := 0.0
	for _, s := range ss {
		for _, p := range s.points {
			xmax = math.Max(xmax, math.Ceil(p[0]-1e-9))
			ymax = math.Max(ymax, p[1])
		}
	}
	xmax = math.Min(xmax, maxPlotDecades)
	var xt []tick
	for d := 0; d <= int(xmax); d++ {
		xt = append(xt, tick{float64(d), percentileLabel(d)})
	}
	xt = append(xt, tick{percentileX(50), "50%"})
	return drawPlot(plotSpec{
		title: "Copy latency by percentile", xLabel: "percentile", yLabel: "latency (ms)",
		xmin: 0, xmax: xmax, ymax: ymax, xTicks: xt, series: ss,
		empty: "no latency samples",
	})
}

// percentileLabel labels decade d of the percentile axis: 0%, 90%, 99%, 99.9%...
func percentileLabel(d int) string {
	switch d {
	case 0:
		return "0%"
	case 1:
		return "90%"
	case 2:
		return "99%"
	}
	return "99." + strings.Repeat("9", d-2) + "%"
}

// plotIntervals is l's time series as the plots draw it: a partial last
// interval (the run ended between two ticks) is folded into the one before,
// so that its short count is not drawn as a drop in the rate.
func plotIntervals(l Load) []Interval {
	ivs := l.Intervals
	n := len(ivs)
	if n < 2 || !ivs[n-1].Partial {
		return ivs
	}
	a, b := ivs[n-2], ivs[n-1]
	d := a.DurationSeconds + b.DurationSeconds
	m := a
	m.DurationSeconds = d
	m.Ops += b.Ops
	m.Failed += b.Failed
	if d > 0 {
		m.OpsPerSecond = (a.OpsPerSecond*a.DurationSeconds + b.OpsPerSecond*b.DurationSeconds) / d
		m.BytesPerSecond = (a.BytesPerSecond*a.DurationSeconds + b.BytesPerSecond*b.DurationSeconds) / d
	}
	m.P50Ms, m.P90Ms, m.P99Ms = math.Max(a.P50Ms, b.P50Ms), math.Max(a.P90Ms, b.P90Ms), math.Max(a.P99Ms, b.P99Ms)
	m.LagP99Ms = math.Max(a.LagP99Ms, b.LagP99Ms)
	m.Partial = false
	return append(append([]Interval(nil), ivs[:n-2]...), m)
}

// timeTicks are the ticks of a time axis up to xmax seconds.
func timeTicks(xmax float64) []tick {
	xstep := niceStep(xmax, 8)
	var xt []tick
	for x := 0.0; x <= xmax+1e-9; x += xstep {
		xt = append(xt, tick{x, fmtNum(x) + "s"})
	}
	return xt
}

// LatencyTimeSVG draws the corrected latency of successful copies over
// time, p50, p90 and p99 per interval, with the generator lag's p99. ok is
// false when l has no intervals with latencies.
func LatencyTimeSVG(l Load) (svg string, ok bool) {
	var p50, p90, p99, lag [][2]float64
	xmax, ymax := 0.0, 0.0
	for _, iv := range plotIntervals(l) {
		xmax = math.Max(xmax, iv.StartSeconds+iv.DurationSeconds)
		if iv.P99Ms <= 0 {
			continue // no successful copy in the interval: no point, not a zero
		}
		mid := iv.StartSeconds + iv.DurationSeconds/2
		p50 = append(p50, [2]float64{mid, iv.P50Ms})
		p90 = append(p90, [2]float64{mid, iv.P90Ms})
		p99 = append(p99, [2]float64{mid, iv.P99Ms})
		if iv.LagP99Ms > 0 {
			lag = append(lag, [2]float64{mid, iv.LagP99Ms})
		}
		ymax = math.Max(ymax, math.Max(iv.P99Ms, iv.LagP99Ms))
	}
	if len(p99) == 0 {
		return "", false
	}
	if xmax <= 0 {
		xmax = 1
	}
	markers := len(p99) < 40
	ss := []series{
		{name: "p50", color: colorTTFB, points: p50, markers: markers},
		{name: "p90", color: colorUncorr, points: p90, markers: markers},
		{name: "p99", color: colorTotal, points: p99, markers: markers},
		{name: "generator lag p99", color: colorTarget, dash: "2 3", points: lag},
	}
	return drawPlot(plotSpec{
		title: "Latency over time (successful copies, corrected)", xLabel: "time (s)", yLabel: "latency (ms)",
		xmin: 0, xmax: xmax, ymax: ymax, xTicks: timeTicks(xmax), series: ss,
	}), true
}

// ThroughputSVG draws successful and failed copies per second over time, with
// the target rate in open mode. ok is false when l has no intervals.
func ThroughputSVG(l Load) (svg string, ok bool) {
	if len(l.Intervals) == 0 {
		return "", false
	}
	var ops, failed [][2]float64
	xmax, ymax := 0.0, l.TargetRate
	for _, iv := range plotIntervals(l) {
		mid := iv.StartSeconds + iv.DurationSeconds/2
		ops = append(ops, [2]float64{mid, iv.OpsPerSecond})
		fps := 0.0
		if iv.DurationSeconds > 0 {
			fps = float64(iv.Failed) / iv.DurationSeconds
		}
		failed = append(failed, [2]float64{mid, fps})
		xmax = math.Max(xmax, iv.StartSeconds+iv.DurationSeconds)
		ymax = math.Max(ymax, math.Max(iv.OpsPerSecond, fps))
	}
	ss := []series{{name: "copies/s", color: colorTotal, points: ops, markers: len(ops) < 40}}
	if l.Mode == ModeOpen && l.TargetRate > 0 {
		ss = append(ss, series{name: "target rate", color: colorTarget, dash: "6 4",
			points: [][2]float64{{0, l.TargetRate}, {xmax, l.TargetRate}}})
	}
	ss = append(ss, series{name: "failed/s", color: colorFailed, points: failed})
	if xmax <= 0 {
		xmax = 1
	}
	return drawPlot(plotSpec{
		title: "Throughput over time", xLabel: "time (s)", yLabel: "copies per second",
		xmin: 0, xmax: xmax, ymax: ymax, xTicks: timeTicks(xmax), series: ss,
	}), true
}

type tick struct {
	v     float64
	label string
}

type plotSpec struct {
	title, xLabel, yLabel string
	xmin, xmax, ymax      float64
	xTicks                []tick
	series                []series
	empty                 string
}

// drawPlot renders a line plot with a grid, axes, ticks and a legend.
func drawPlot(p plotSpec) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" %s font-size="12">`+"\n",
		plotW, plotH, plotW, plotH, svgFont)
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>`+"\n", plotW, plotH)
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="15" font-weight="bold">%s</text>`+"\n", marginL, esc(p.title))

	ystep := niceStep(p.ymax, 6)
	ymax := ystep * math.Ceil(p.ymax/ystep)
	if ymax <= 0 {
		ymax = ystep
	}
	if p.xmax <= p.xmin {
		p.xmax = p.xmin + 1
	}
	sx := func(x float64) float64 { return marginL + (x-p.xmin)/(p.xmax-p.xmin)*innerW }
	sy := func(y float64) float64 { return marginT + innerH - y/ymax*innerH }

	// Grid and y ticks.
	for y := 0.0; y <= ymax+ystep/2; y += ystep {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" stroke-width="1"/>`+"\n",
			marginL, sy(y), marginL+innerW, sy(y), colorGrid)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" fill="#424a53">%s</text>`+"\n", marginL-6, sy(y)+4, fmtNum(y))
	}
	for _, t := range p.xTicks {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="1"/>`+"\n",
			sx(t.v), marginT, sx(t.v), marginT+innerH, colorGrid)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#424a53">%s</text>`+"\n", sx(t.v), marginT+innerH+16, esc(t.label))
	}
	// Axes.
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#24292f" stroke-width="1.2"/>`+"\n",
		marginL, marginT+innerH, marginL+innerW, marginT+innerH)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#24292f" stroke-width="1.2"/>`+"\n",
		marginL, marginT, marginL, marginT+innerH)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", marginL+innerW/2, plotH-12, esc(p.xLabel))
	fmt.Fprintf(&b, `<text x="16" y="%d" text-anchor="middle" transform="rotate(-90 16 %d)">%s</text>`+"\n",
		marginT+innerH/2, marginT+innerH/2, esc(p.yLabel))

	drawn := 0
	for _, s := range p.series {
		if len(s.points) == 0 {
			continue
		}
		drawn++
		var pts []string
		for _, pt := range s.points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", sx(pt[0]), sy(pt[1])))
		}
		dash := ""
		if s.dash != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, s.dash)
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>`+"\n", s.color, dash, strings.Join(pts, " "))
		if s.markers {
			for _, pt := range s.points {
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", sx(pt[0]), sy(pt[1]), s.color)
			}
		}
	}
	if drawn == 0 && p.empty != "" {
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="#6e7781">%s</text>`+"\n", marginL+innerW/2, marginT+innerH/2, esc(p.empty))
	}
	// Legend in one row in the top margin, right-aligned, so it never hides
	// a line (throughput runs along the top of its plot).
	type entry struct {
		s series
		w int
	}
	var entries []entry
	width := 0
	for _, s := range p.series {
		if len(s.points) == 0 {
			continue
		}
		// Helvetica at 12px averages under 7px a character.
		w := 34 + 7*len([]rune(s.name)) + 14
		entries = append(entries, entry{s, w})
		width += w
	}
	lx := plotW - marginR - width
	for _, e := range entries {
		dash := ""
		if e.s.dash != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, e.s.dash)
		}
		fmt.Fprintf(&b, `<line x1="%d" y1="20" x2="%d" y2="20" stroke="%s" stroke-width="2"%s/>`+"\n", lx, lx+28, e.s.color, dash)
		fmt.Fprintf(&b, `<text x="%d" y="24">%s</text>`+"\n", lx+34, esc(e.s.name))
		lx += e.w
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// niceStep returns a 1/2/5 x 10^k step giving about n ticks up to max.
func niceStep(max float64, n int) float64 {
	if max <= 0 || math.IsNaN(max) || math.IsInf(max, 0) {
		return 1
	}
	raw := max / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*mag {
			return m * mag
		}
	}
	return 10 * mag
}

// fmtNum formats a tick value without trailing zeros.
func fmtNum(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%.0f", v)
	}
	s := fmt.Sprintf("%.3f", v)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
