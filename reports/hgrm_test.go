package reports

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata golden files")

// hgrmFixture is a histogram as the load module keeps them (ns, 1 µs to
// 1 h, 3 significant figures) with a spread of values.
func hgrmFixture(t *testing.T) *hdrhistogram.Histogram {
	h := hdrhistogram.New(1000, 3600*1e9, 3)
	for i := int64(1); i <= 2000; i++ {
		if err := h.RecordValue(i * i * 700); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// TestHGRMGolden pins the .hgrm bytes, and checks them line by line against
// wrk2's layout (print_hdr_latency + hdr_percentiles_print, CLASSIC) and the
// row values against hdrhistogram-go's own PercentilesPrint.
func TestHGRMGolden(t *testing.T) {
	h := hgrmFixture(t)
	var buf bytes.Buffer
	if err := WriteHGRM(&buf, h); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "latency.hgrm")
	if *updateGolden {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("WriteHGRM differs from %s:\n%s", golden, buf.String())
	}

	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	// wrk2: printf("\n%s\n", "  Detailed Percentile spectrum:"), then
	// "%12s %12s %12s %12s\n\n".
	if lines[0] != "  Detailed Percentile spectrum:" {
		t.Errorf("line 1 %q is not wrk2's marker", lines[0])
	}
	if lines[1] != "       Value   Percentile   TotalCount 1/(1-Percentile)" || lines[2] != "" {
		t.Errorf("header %q %q is not wrk2's", lines[1], lines[2])
	}
	// "%12.3f %12f %12d %12.2f\n": four right-aligned 12-wide columns.
	row := regexp.MustCompile(`^ *\d+\.\d{3} +[01]\.\d{6} +\d+ +(\d+\.\d{2}|inf)$`)
	footer := []*regexp.Regexp{
		regexp.MustCompile(`^#\[Mean    = [ \d]{8}\.\d{3}, StdDeviation   = [ \d]{8}\.\d{3}\]$`),
		regexp.MustCompile(`^#\[Max     = [ \d]{8}\.\d{3}, Total count    = {9}2000\]$`),
		regexp.MustCompile(`^#\[Buckets = [ \d]{12}, SubBuckets     = {9}2048\]$`),
	}
	rows := lines[3 : len(lines)-4]
	for _, r := range rows {
		if len(r) != 51 || !row.MatchString(r) {
			t.Errorf("row %q is not in wrk2's column layout", r)
		}
	}
	if !strings.HasSuffix(rows[len(rows)-1], "1.000000         2000          inf") {
		t.Errorf("last row %q is not the 100%% row", rows[len(rows)-1])
	}
	for i, re := range footer {
		if l := lines[len(lines)-4+i]; !re.MatchString(l) {
			t.Errorf("footer line %q is not wrk2's", l)
		}
	}
	if lines[len(lines)-1] != strings.Repeat("-", 58) {
		t.Errorf("last line %q is not wrk2's rule", lines[len(lines)-1])
	}

	// The same numbers as the library's own printout, row for row.
	var lib bytes.Buffer
	if _, err := h.PercentilesPrint(&lib, 5, 1e6); err != nil {
		t.Fatal(err)
	}
	libRows := strings.Split(lib.String(), "\n")[2:]
	for i, r := range rows {
		if strings.Fields(r)[0] != strings.Fields(libRows[i])[0] || strings.Join(strings.Fields(r), " ") != strings.Join(strings.Fields(libRows[i]), " ") {
			t.Errorf("row %d %q differs from hdrhistogram-go's %q", i, r, libRows[i])
		}
	}
}
