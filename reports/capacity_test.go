package reports

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func fixtureCapacity() Capacity {
	slo, _ := ParseThresholds([]string{"p99<250ms", "errors<0.1%"})
	step := func(phase string, rate float64, conc int, ops, p99 float64, pass bool) CapacityStep {
		s := CapacityStep{Phase: phase, OfferedRate: rate, Concurrency: conc, Attempt: 1, DurationSeconds: 2, Ops: int64(ops * 2),
			OpsPerSecond: ops, BytesPerSecond: ops * (1 << 20), P50Ms: p99 / 2, P99Ms: p99, LagP99Ms: 0.2, Pass: pass}
		if phase != PhaseSweep {
			l := Load{Ops: LoadOps{Total: s.Ops}, LatencyMs: LatencySet{Total: Latency{P50: p99 / 2, P90: p99, P99: p99, Count: s.Ops}}}
			s.Thresholds = EvaluateThresholds(slo, l, nil)
		}
		return s
	}
	c := Capacity{Schema: CapacitySchema, GeneratedAt: time.Date(2026, 12, 4, 20, 0, 0, 0, time.UTC), Endpoint: "http://user:pass@127.0.0.1:9000/",
		SLO: []string{"p99<250ms", "errors<0.1%"}, SourceSize: 1 << 20, PartSize: 1 << 20, StartRate: 50, Factor: 2, Resolution: 0.05,
		WarmupSeconds: 0.5, MeasureSeconds: 1.5,
		Steps: []CapacityStep{step(PhaseProbe, 50, 0, 50, 60, true), step(PhaseProbe, 100, 0, 100, 70, true), step(PhaseProbe, 200, 0, 150, 900, false),
			step(PhaseBisect, 150, 0, 148, 120, true), step(PhaseBisect, 175, 0, 152, 600, false),
			step(PhaseSweep, 0, 1, 20, 50, true), step(PhaseSweep, 0, 4, 80, 50, true), step(PhaseSweep, 0, 16, 150, 100, true)},
		Found: true, MaxSustainableRate: 150, MaxSustainableBytesPerSecond: 148 << 20, GeneratorLimited: true}
	k := c.Steps[4]
	c.Knee = &k
	u, _ := FitUSL([]float64{1, 4, 16}, []float64{20, 80, 150})
	c.USL = &u
	return c
}

func TestCapacityJSONMatchesSchema(t *testing.T) {
	v := newValidator(t, CapacitySchema)
	for name, c := range map[string]Capacity{"fixture": fixtureCapacity(), "empty": {Schema: CapacitySchema}} {
		var b bytes.Buffer
		if err := WriteCapacityJSON(&b, c); err != nil {
			t.Fatal(err)
		}
		if errs := v.validate(v.root, decodeNumbers(t, b.Bytes()), "$"); len(errs) > 0 {
			t.Errorf("%s: %s", name, strings.Join(errs, "\n"))
		}
	}
}

func TestWriteCapacityAll(t *testing.T) {
	dir := t.TempDir()
	if err := WriteCapacityAll(dir, fixtureCapacity()); err != nil {
		t.Fatal(err)
	}
	page, _ := os.ReadFile(filepath.Join(dir, FileCapacityHTML))
	wellFormedXML(t, "capacity.html", page)
	if n := strings.Count(string(page), "<svg "); n != 3 {
		t.Errorf("capacity.html has %d plots, want 3", n)
	}
	for _, want := range []string{"Throughput vs offered rate", "p99 latency vs throughput", ">SLO 250 ms<", ">knee<", "Throughput vs concurrency", "USL (R²", "FOUND"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("capacity.html lacks %q", want)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, FileCapacityMD))
	for _, want := range []string{"max sustainable rate 150 copies/s (148.0 MiB/s) under p99&lt;250ms, errors&lt;0.1%", "breaks at 175 copies/s", "| 5 | bisect | 175 |", "USL | λ"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("capacity.md lacks %q:\n%s", want, md)
		}
	}
	for _, f := range []string{FileCapacityJSON, FileCapacityMD, FileCapacityHTML} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		if bytes.Contains(b, []byte("user:pass")) {
			t.Errorf("%s leaks the endpoint's user info", f)
		}
	}
}
