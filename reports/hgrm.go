package reports

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strings"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// HGRM layout: what wrk2 prints for --latency (print_hdr_latency and
// hdr_percentiles_print in CLASSIC format), so that scripts keyed on its
// marker and column layout, and HdrHistogram's plotter, read partcopy's
// .hgrm files as they read wrk2's output.
const (
	// HGRMMarker is the line wrk2 prints before the spectrum.
	HGRMMarker = "  Detailed Percentile spectrum:"
	// hgrmRule is the line wrk2 prints after it.
	hgrmRule = "----------------------------------------------------------"
	// hgrmTicks is the ticks per half distance wrk2 uses (5).
	hgrmTicks = 5
	// hgrmNsPerMs: histograms record nanoseconds, the file shows ms (wrk2
	// records µs and divides by 1000: also ms).
	hgrmNsPerMs = 1e6
)

// WriteHGRM writes h's percentile spectrum byte for byte in wrk2's layout:
// the "  Detailed Percentile spectrum:" marker, the header
// "%12s %12s %12s %12s" and a blank line, one row per percentile step
// ("%12.<significant figures>f %12f %12d %12.2f", "inf" for 100%), the
// three "#[...]" footer lines, and wrk2's closing rule. Values are in
// milliseconds; the percentile iteration is hdrhistogram-go's (the one its
// PercentilesPrint uses), whose footer this reuses verbatim.
func WriteHGRM(w io.Writer, h *hdrhistogram.Histogram) error {
	var b strings.Builder
	b.WriteString(HGRMMarker + "\n")
	fmt.Fprintf(&b, "%12s %12s %12s %12s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)")
	for _, s := range h.CumulativeDistributionWithTicks(hgrmTicks) {
		p := s.Quantile / 100
		inv := fmt.Sprintf("%12.2f", 1/(1-p))
		if math.IsInf(1/(1-p), 1) {
			inv = fmt.Sprintf("%12s", "inf") // C's printf, not Go's +Inf
		}
		fmt.Fprintf(&b, "%12.*f %12f %12d %s\n", int(h.SignificantFigures()), float64(s.ValueAt)/hgrmNsPerMs, p, s.Count, inv)
	}
	var lib bytes.Buffer
	if _, err := h.PercentilesPrint(&lib, hgrmTicks, hgrmNsPerMs); err != nil {
		return err
	}
	i := bytes.Index(lib.Bytes(), []byte("#[Mean"))
	if i < 0 {
		return fmt.Errorf("hdrhistogram-go's percentile output has no #[Mean footer")
	}
	b.Write(lib.Bytes()[i:])
	b.WriteString(hgrmRule + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}
