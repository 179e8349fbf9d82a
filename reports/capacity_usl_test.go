package reports

import (
	"math"
	"testing"
)

// TestFitUSLRecoversItsModel: points generated from known coefficients
// come back, with R² 1 and the analytic peak.
func TestFitUSLRecoversItsModel(t *testing.T) {
	want := USL{Lambda: 100, Sigma: 0.05, Kappa: 0.002}
	var n, x []float64
	for _, c := range []float64{1, 2, 4, 8, 16, 32, 64} {
		n, x = append(n, c), append(x, want.At(c))
	}
	u, err := FitUSL(n, x)
	if err != nil {
		t.Fatal(err)
	}
	near := func(a, b, tol float64) bool { return math.Abs(a-b) <= tol*math.Abs(b) }
	if !near(u.Lambda, 100, 0.01) || !near(u.Sigma, 0.05, 0.02) || !near(u.Kappa, 0.002, 0.02) || u.R2 < 0.9999 {
		t.Errorf("fit %+v, want %+v", u, want)
	}
	peakN := math.Sqrt((1 - 0.05) / 0.002)
	if !near(u.PeakConcurrency, peakN, 0.02) || !near(u.PeakThroughput, want.At(peakN), 0.01) {
		t.Errorf("peak %v at %v, want %v at %v", u.PeakThroughput, u.PeakConcurrency, want.At(peakN), peakN)
	}
}

// TestFitUSLHardLimit: N slots each busy S seconds (throughput min(c,N)/S)
// is no USL curve, but the fit's peak must land within 10% of N/S.
func TestFitUSLHardLimit(t *testing.T) {
	var n, x []float64
	for _, c := range []float64{1, 2, 4, 8, 16, 32} {
		n, x = append(n, c), append(x, math.Min(c, 10)/0.05)
	}
	u, err := FitUSL(n, x)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(u.PeakThroughput-200) > 20 {
		t.Errorf("peak %v, want 200 within 10%% (fit %+v)", u.PeakThroughput, u)
	}
	t.Logf("fit %+v", u)
}

func TestFitUSLRefusesTooLittle(t *testing.T) {
	for _, tc := range []struct{ n, x []float64 }{
		{[]float64{1, 2}, []float64{1, 2}},
		{[]float64{1, 1, 2}, []float64{1, 1, 2}},
		{[]float64{1, 2, 4}, []float64{1, 0, 3}},
		{[]float64{1, 2, 4}, []float64{1, math.NaN(), 3}},
		{[]float64{1, 2}, []float64{1}},
	} {
		if _, err := FitUSL(tc.n, tc.x); err == nil {
			t.Errorf("%v %v accepted", tc.n, tc.x)
		}
	}
}
