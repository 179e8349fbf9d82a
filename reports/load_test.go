package reports

import (
	"bytes"
	"encoding/xml"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

func fixtureLoad() Load {
	return Load{
		Schema:          LoadSchema,
		GeneratedAt:     time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC),
		PartcopyVersion: "v0.1.0-test",
		Endpoint:        "http://user:pass@127.0.0.1:9000/?X-Amz-Signature=" + presignSig,
		Mode:            ModeOpen, TargetRate: 200, Concurrency: 64, DurationSeconds: 30,
		SourceSize: 64 << 20, PartSize: 8 << 20, SSEC: true,
		Ops:        LoadOps{Total: 6000, Succeeded: 5940, Failed: 60, LateStarts: 12},
		Failures:   map[string]int64{"NoSuchUpload": 10, "200-without-etag": 50},
		Throughput: Throughput{OpsPerSecond: 198, BytesPerSecond: 198 * (8 << 20)},
		LatencyMs: LatencySet{
			Total:       Latency{P50: 12, P90: 25, P99: 80, P999: 240, Max: 410, Mean: 15, Count: 6000},
			TTFB:        Latency{P50: 3, P90: 6, P99: 20, P999: 60, Max: 90, Mean: 4, Count: 6000},
			Uncorrected: Latency{P50: 11, P90: 20, P99: 50, P999: 120, Max: 300, Mean: 12, Count: 6000},
		},
		Intervals: func() []Interval {
			var iv []Interval
			for i := 0; i < 30; i++ {
				ops := 200 - 30*math.Abs(math.Sin(float64(i)/4))
				iv = append(iv, Interval{StartSeconds: float64(i), DurationSeconds: 1, Ops: int64(ops), Failed: int64(i % 5),
					OpsPerSecond: ops, BytesPerSecond: ops * (8 << 20), P50Ms: 12, P99Ms: 80})
			}
			return iv
		}(),
	}
}

func TestLatencyFromHistogram(t *testing.T) {
	h := hdrhistogram.New(1, 60_000_000, 3) // microseconds
	for i := int64(1); i <= 10000; i++ {
		if err := h.RecordValue(i * 100); err != nil { // 0.1 ms .. 1000 ms
			t.Fatal(err)
		}
	}
	l := LatencyFromHistogram(h, 0.001)
	near := func(got, want float64) bool { return math.Abs(got-want) <= want*0.01 }
	if !near(l.P50, 500) || !near(l.P90, 900) || !near(l.P99, 990) || !near(l.Max, 1000) || !near(l.Mean, 500) || l.Count != 10000 {
		t.Errorf("summary = %+v", l)
	}
	// 10 points per decade up to log10(10000) = 4 decades: 41 points.
	if n := len(l.Distribution); n != 41 {
		t.Errorf("distribution has %d points, want 41", n)
	}
	for i := 1; i < len(l.Distribution); i++ {
		if l.Distribution[i].Percentile <= l.Distribution[i-1].Percentile || l.Distribution[i].ValueMs < l.Distribution[i-1].ValueMs {
			t.Fatalf("distribution not ascending at %d: %+v", i, l.Distribution[i-1:i+1])
		}
	}
	if got := LatencyFromHistogram(hdrhistogram.New(1, 1000, 2), 1); got.Count != 0 || got.Distribution != nil {
		t.Errorf("empty histogram = %+v", got)
	}
}

func TestPercentileAxis(t *testing.T) {
	tests := []struct{ p, x float64 }{{0, 0}, {90, 1}, {99, 2}, {99.9, 3}, {99.999, 5}, {100, 5}}
	for _, tt := range tests {
		if got := percentileX(tt.p); math.Abs(got-tt.x) > 1e-9 {
			t.Errorf("percentileX(%v) = %v, want %v", tt.p, got, tt.x)
		}
	}
	for d, want := range []string{"0%", "90%", "99%", "99.9%", "99.99%", "99.999%"} {
		if got := percentileLabel(d); got != want {
			t.Errorf("percentileLabel(%d) = %q, want %q", d, got, want)
		}
	}
}

func TestLatencySVG(t *testing.T) {
	l := fixtureLoad()
	svg := LatencySVG(l)
	wellFormedXML(t, "latency.svg", []byte(svg))
	// Three lines (corrected, uncorrected, TTFB) drawn from summary points,
	// the legend, and the percentile ticks up to 99.9% (6000 samples).
	if n := strings.Count(svg, "<polyline"); n != 3 {
		t.Errorf("%d polylines, want 3", n)
	}
	for _, want := range []string{">total (corrected)<", ">uncorrected<", ">TTFB<", ">99.9%<", ">90%<", ">50%<", colorTotal, colorUncorr} {
		if !strings.Contains(svg, want) {
			t.Errorf("svg lacks %q", want)
		}
	}
	// The y axis reaches the largest value (max 410 ms -> 500 with 100 steps).
	if !strings.Contains(svg, ">500<") {
		t.Errorf("y axis does not reach the max: %s", svg)
	}
	// With a distribution, the line has one vertex per point.
	h := hdrhistogram.New(1, 10_000_000, 3)
	for i := int64(1); i <= 100000; i++ {
		_ = h.RecordValue(1000 + i%997*10)
	}
	l.LatencyMs.Total = LatencyFromHistogram(h, 0.001)
	svg = LatencySVG(l)
	wellFormedXML(t, "latency.svg (distribution)", []byte(svg))
	first := svg[strings.Index(svg, "<polyline"):]
	first = first[strings.Index(first, `points="`)+8:]
	first = first[:strings.Index(first, `"`)]
	if n := len(strings.Fields(first)); n != len(l.LatencyMs.Total.Distribution) {
		t.Errorf("corrected line has %d vertices, want %d", n, len(l.LatencyMs.Total.Distribution))
	}
	if !strings.Contains(svg, ">99.999%<") {
		t.Error("100000 samples should extend the axis to 99.999%")
	}
	empty := LatencySVG(Load{})
	wellFormedXML(t, "empty latency.svg", []byte(empty))
	if !strings.Contains(empty, "no latency samples") {
		t.Error("empty plot does not say so")
	}
}

func TestThroughputSVG(t *testing.T) {
	l := fixtureLoad()
	svg, ok := ThroughputSVG(l)
	if !ok {
		t.Fatal("no throughput plot with intervals")
	}
	wellFormedXML(t, "throughput.svg", []byte(svg))
	for _, want := range []string{">copies/s<", ">target rate<", ">failed/s<", ">30s<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("svg lacks %q", want)
		}
	}
	l.Intervals = nil
	if _, ok := ThroughputSVG(l); ok {
		t.Error("throughput plot without intervals")
	}
}

func TestWriteLoadAll(t *testing.T) {
	dir := t.TempDir()
	if err := WriteLoadAll(dir, fixtureLoad()); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{FileLoadJSON, FileLoadMD, FileLoadHTML, FileLatencySVG, FileThroughputSVG, FileLatencyTimeSVG} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(presignSig)) || bytes.Contains(b, []byte("user:pass")) {
			t.Errorf("%s leaks the endpoint's credentials", f)
		}
		if strings.HasSuffix(f, ".svg") || strings.HasSuffix(f, ".html") {
			wellFormedXML(t, f, b)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, FileLoadMD))
	for _, want := range []string{"| p99 | 80.00 | 50.00 | 20.00 |", "200-without-etag: 50, NoSuchUpload: 10", "![latency by percentile](latency.svg)",
		"(throughput.svg)", "6000 total, 5940 succeeded, 60 failed (1.00%), 12 late starts", "64.0 MiB / 8.0 MiB"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("load.md lacks %q", want)
		}
	}
	page, _ := os.ReadFile(filepath.Join(dir, FileLoadHTML))
	if n := strings.Count(string(page), "<svg "); n != 3 {
		t.Errorf("load.html has %d inline svgs, want 3", n)
	}
	var probe struct{ XMLName xml.Name }
	if err := xml.Unmarshal(page, &probe); err != nil || probe.XMLName.Local != "html" {
		t.Errorf("load.html root: %v %v", probe.XMLName, err)
	}
	back, err := ReadLoad(filepath.Join(dir, FileLoadJSON))
	if err != nil {
		t.Fatal(err)
	}
	if back.Ops != fixtureLoad().Ops || back.LatencyMs.Total.P99 != 80 || len(back.Intervals) != 30 || back.Endpoint != "http://127.0.0.1:9000/?X-Amz-Signature=[REDACTED]" {
		t.Errorf("round trip: %+v", back)
	}
}
