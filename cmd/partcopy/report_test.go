package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partcopy/partcopy/reports"
)

// writeConformance saves a conformance report whose specs have the given
// states (spec i covers clause D0i+1).
func writeConformance(t *testing.T, dir, name string, states ...reports.SpecState) string {
	t.Helper()
	c := reports.Conformance{
		Schema: reports.ConformanceSchema, GeneratedAt: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC),
		PartcopyVersion: "test", Endpoint: "http://127.0.0.1:9000", Profile: reports.ProfileOBS,
	}
	for i, s := range states {
		c.Specs = append(c.Specs, reports.SpecResult{
			Name: "spec " + string(rune('a'+i)), Clauses: []string{[]string{"D01", "D02", "D03"}[i]}, Labels: []string{}, State: s,
		})
	}
	c.Recompute()
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := reports.WriteJSON(f, c); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeLoad(t *testing.T, dir, name string, p99, ops float64) string {
	return writeLoadFailed(t, dir, name, p99, ops, 0)
}

func writeLoadFailed(t *testing.T, dir, name string, p99, ops float64, failed int64) string {
	t.Helper()
	l := reports.Load{
		Schema: reports.LoadSchema, Endpoint: "http://127.0.0.1:9000", Mode: reports.ModeOpen, TargetRate: 100,
		Ops:        reports.LoadOps{Total: 1000, Succeeded: 1000 - failed, Failed: failed},
		Throughput: reports.Throughput{OpsPerSecond: ops},
		LatencyMs:  reports.LatencySet{Total: reports.Latency{P50: 10, P99: p99, Count: 1000}},
	}
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := reports.WriteLoadJSON(f, l); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	P, F, U := reports.StatePassed, reports.StateFailed, reports.StateUnsupported
	base := writeConformance(t, dir, "base.json", P, U, P)
	worse := writeConformance(t, dir, "worse.json", F, U, P)
	better := writeConformance(t, dir, "better.json", P, P, P)
	loadOld := writeLoad(t, dir, "load-old.json", 80, 100)
	loadNew := writeLoad(t, dir, "load-new.json", 100, 95)
	// 0% -> 54% failed at the same p99: compare without flags used to say PASS.
	loadErr := writeLoadFailed(t, dir, "load-err.json", 100, 95, 540)
	unknown := filepath.Join(dir, "v9.json")
	if err := os.WriteFile(unknown, []byte(`{"schema":"partcopy/conformance/v9"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage.json")
	if err := os.WriteFile(garbage, []byte("not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	md := filepath.Join(dir, "diff.md")

	tests := []struct {
		name string
		args []string
		code int
	}{
		{"no subcommand", []string{"report"}, exitUsage},
		{"help", []string{"report", "compare", "--help"}, exitOK},
		{"same", []string{"report", "compare", base, base}, exitOK},
		{"regression", []string{"report", "compare", base, worse}, exitCheckFailed},
		{"improvement", []string{"report", "compare", base, better}, exitOK},
		// pass -> unsupported is its own change, a regression only --strict.
		{"improvement reversed", []string{"report", "compare", better, base}, exitOK},
		{"improvement reversed, strict", []string{"report", "compare", "--strict", better, base}, exitCheckFailed},
		{"load default gates: p99 +25%", []string{"report", "compare", loadOld, loadNew}, exitCheckFailed},
		{"load no default gates", []string{"report", "compare", loadOld, loadNew, "--no-default-gates"}, exitOK},
		{"load p99 over", []string{"report", "compare", loadOld, loadNew, "--max-p99-increase", "20", "--markdown", md}, exitCheckFailed},
		{"load p99 within", []string{"report", "compare", loadOld, loadNew, "--max-p99-increase", "30"}, exitOK},
		{"load error rate up", []string{"report", "compare", loadOld, loadErr, "--max-p99-increase", "30"}, exitCheckFailed},
		{"load error rate up, allowed", []string{"report", "compare", loadOld, loadErr, "--max-p99-increase", "30", "--max-error-rate-increase", "60"}, exitOK},
		{"load throughput under", []string{"report", "compare", loadOld, loadNew, "--min-throughput-ratio", "0.96"}, exitCheckFailed},
		{"mixed schemas", []string{"report", "compare", base, loadNew}, exitUsage},
		{"unknown schema", []string{"report", "compare", base, unknown}, exitUsage},
		{"garbage", []string{"report", "compare", garbage, base}, exitUsage},
		{"missing file", []string{"report", "compare", base, filepath.Join(dir, "nope.json")}, exitUsage},
		{"one arg", []string{"report", "compare", base}, exitUsage},
		{"threshold on conformance", []string{"report", "compare", base, base, "--max-p99-increase", "5"}, exitUsage},
		{"negative threshold", []string{"report", "compare", loadOld, loadNew, "--max-p50-increase", "-1"}, exitUsage},
		{"bad flag value", []string{"report", "compare", loadOld, loadNew, "--min-throughput-ratio", "x"}, exitUsage},
		{"render conformance", []string{"report", "render", worse, "--out", filepath.Join(dir, "r1")}, exitOK},
		{"render load", []string{"report", "render", loadNew, "--out", filepath.Join(dir, "r2")}, exitOK},
		{"render without out", []string{"report", "render", worse}, exitUsage},
		{"render unknown", []string{"report", "render", unknown, "--out", filepath.Join(dir, "r3")}, exitUsage},
		{"merge", []string{"report", "merge", worse, better, "--out", filepath.Join(dir, "m", "merged.json")}, exitOK},
		{"merge load", []string{"report", "merge", worse, loadNew, "--out", filepath.Join(dir, "m2.json")}, exitUsage},
		{"merge without out", []string{"report", "merge", worse}, exitUsage},
		{"merge nothing", []string{"report", "merge", "--out", filepath.Join(dir, "m3.json")}, exitUsage},
	}
	for _, tt := range tests {
		if got := run(tt.args); got != tt.code {
			t.Errorf("%s: partcopy %s exited %d, want %d", tt.name, strings.Join(tt.args, " "), got, tt.code)
		}
	}

	for _, f := range []string{"conformance.json", "junit.xml", "conformance.md", "conformance.html"} {
		if _, err := os.Stat(filepath.Join(dir, "r1", f)); err != nil {
			t.Errorf("render conformance: %v", err)
		}
	}
	for _, f := range []string{"load.json", "load.md", "load.html", "latency.svg"} {
		if _, err := os.Stat(filepath.Join(dir, "r2", f)); err != nil {
			t.Errorf("render load: %v", err)
		}
	}
	if b, err := os.ReadFile(md); err != nil || !strings.Contains(string(b), "| total | p99 | 80.00 | 100.00 |") {
		t.Errorf("--markdown file: %v %s", err, b)
	}
	// worse has D01 failing, better has it passing: failure wins the merge.
	m, err := reports.ReadConformance(filepath.Join(dir, "m", "merged.json"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Result != reports.ResultFail || m.Clauses[0].Verdict != reports.VerdictFail || m.Clauses[1].Verdict != reports.VerdictPass {
		t.Errorf("merged: result %s, D01 %s, D02 %s", m.Result, m.Clauses[0].Verdict, m.Clauses[1].Verdict)
	}
	if m.Provenance == nil || m.Provenance.PartcopyVersion != partcopyVersion() || m.Provenance.GoVersion == "" {
		t.Errorf("the merged report does not carry the merge's provenance: %+v", m.Provenance)
	}
}
