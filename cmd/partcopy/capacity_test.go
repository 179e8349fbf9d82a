package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/partcopy/partcopy/reports"
)

// TestCapacityExitCodes against the embedded endpoint: an SLO that every
// rate meets up to --max-rate exits 0 with capacity.json/.md/.html and a
// line per step; one that even the start rate breaks exits 1; bad input
// exits 2 with one line.
func TestCapacityExitCodes(t *testing.T) {
	quick := []string{"capacity", "--start-rate", "10", "--warmup", "0s", "--measure", "1s", "--repeats", "1", "--source-size", "64KiB"}

	dir := t.TempDir()
	code, out, errs := runCaptured(t, append(quick, "--slo", "errors<50%", "--max-rate", "20", "--out", dir)...)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	c := readCapacity(t, dir)
	if !c.Found || c.MaxSustainableRate != 20 || !c.Capped || len(c.Steps) < 2 {
		t.Errorf("capacity %+v", c)
	}
	if strings.Count(errs, "partcopy: step ") != len(c.Steps) || !strings.Contains(out, "Capacity: max sustainable rate 20 copies/s") {
		t.Errorf("progress/verdict:\nstdout:\n%s\nstderr:\n%s", out, errs)
	}

	dir = t.TempDir()
	code, out, errs = runCaptured(t, append(quick, "--slo", "p99<1us", "--out", dir)...)
	if code != exitCheckFailed || !strings.Contains(errs, "even the start rate 10 copies/s breaks the SLO p99<1us") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if c := readCapacity(t, dir); c.Found || len(c.Steps) != 1 {
		t.Errorf("capacity %+v", c)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"capacity"}, "--slo is required"},
		{[]string{"capacity", "--slo", "p99<NaNms"}, "finite"},
		{[]string{"capacity", "--slo", "p99<1s", "--resolution", "150%"}, "share in (0, 1)"},
		{[]string{"capacity", "--slo", "p99<1s", "--factor", "1"}, "--factor must be > 1"},
		{[]string{"capacity", "--slo", "p99<1s", "--start-rate", "NaN"}, "finite"},
		{[]string{"capacity", "--slo", "p99<1s", "--start-rate", "0"}, "--concurrency (sweep)"},
		{[]string{"capacity", "--slo", "p99<1s", "--concurrency", "1,0"}, "worker counts >= 1"},
		{[]string{"capacity", "--slo", "p99<1s", "--measure", "0s"}, "--measure must be > 0"},
		{[]string{"capacity", "--slo", "p99<1s", "--part-size", "0"}, "--part-size"},
	} {
		code, _, errs := runCaptured(t, append(tc.args, "--out", t.TempDir())...)
		if code != exitUsage || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d stderr %q, want exit 2 and %q", tc.args, code, errs, tc.want)
		}
	}
}

func readCapacity(t *testing.T, dir string) reports.Capacity {
	t.Helper()
	data, err := reports.ReadCapacity(filepath.Join(dir, reports.FileCapacityJSON))
	if err != nil {
		t.Fatal(err)
	}
	return data
}
