package reports

import (
	"errors"
	"math"
)

// USL is a fit of the Universal Scalability Law (Gunther; as in Baron
// Schwartz's "Practical Scalability Analysis with the USL") to throughput
// X against concurrency N:
//
//	X(N) = λN / (1 + σ(N-1) + κN(N-1))
//
// λ is the throughput of one worker, σ the contention (serialized share),
// κ the coherency cost (crosstalk); σ, κ >= 0.
type USL struct {
	Lambda float64 `json:"lambda"`
	Sigma  float64 `json:"sigma"`
	Kappa  float64 `json:"kappa"`
	// R2 is the fit's coefficient of determination on X.
	R2 float64 `json:"r2"`
	// PeakConcurrency is sqrt((1-σ)/κ), where X peaks; 0 when κ is 0 (no
	// peak: X approaches λ/σ). PeakThroughput is X there (or λ/σ; 0 when
	// both σ and κ are 0: no limit seen).
	PeakConcurrency float64 `json:"peakConcurrency"`
	PeakThroughput  float64 `json:"peakThroughput"`
}

// At is the fitted throughput at concurrency n.
func (u USL) At(n float64) float64 {
	return u.Lambda * n / (1 + u.Sigma*(n-1) + u.Kappa*n*(n-1))
}

// FitUSL fits the USL to (n[i], x[i]) by least squares on x: for a given
// λ the model is linear in σ and κ after the transform λn/x - 1 =
// σ(n-1) + κn(n-1), so σ and κ come from a non-negative linear least
// squares and λ from a search minimizing the squared error of x. It needs
// at least three points with distinct concurrencies and positive
// throughput.
func FitUSL(n, x []float64) (USL, error) {
	if len(n) != len(x) {
		return USL{}, errors.New("usl: n and x differ in length")
	}
	distinct := map[float64]bool{}
	maxPer := 0.0
	for i := range n {
		if n[i] < 1 || x[i] <= 0 || math.IsNaN(x[i]) || math.IsInf(x[i], 0) {
			return USL{}, errors.New("usl: every point needs concurrency >= 1 and a positive, finite throughput")
		}
		distinct[n[i]] = true
		maxPer = math.Max(maxPer, x[i]/n[i])
	}
	if len(distinct) < 3 {
		return USL{}, errors.New("usl: at least three distinct concurrencies are needed")
	}
	sse := func(lambda float64) (float64, USL) {
		u := USL{Lambda: lambda}
		u.Sigma, u.Kappa = fitSigmaKappa(n, x, lambda)
		var e float64
		for i := range n {
			d := x[i] - u.At(n[i])
			e += d * d
		}
		return e, u
	}
	// Coarse log-spaced scan of λ, then golden-section refinement around
	// the best.
	lo, hi := 0.5*maxPer, 3*maxPer
	best, bestE := lo, math.Inf(1)
	const steps = 400
	for i := 0; i <= steps; i++ {
		l := lo * math.Pow(hi/lo, float64(i)/steps)
		if e, _ := sse(l); e < bestE {
			best, bestE = l, e
		}
	}
	a, b := best/math.Pow(hi/lo, 1.0/steps), best*math.Pow(hi/lo, 1.0/steps)
	phi := (math.Sqrt(5) - 1) / 2
	for i := 0; i < 100; i++ {
		c, d := b-phi*(b-a), a+phi*(b-a)
		ec, _ := sse(c)
		ed, _ := sse(d)
		if ec < ed {
			b = d
		} else {
			a = c
		}
	}
	e, u := sse((a + b) / 2)
	if e > bestE {
		e, u = sse(best)
	}
	var mean, sst float64
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		sst += (v - mean) * (v - mean)
	}
	u.R2 = 1
	if sst > 0 {
		u.R2 = 1 - e/sst
	}
	switch {
	case u.Kappa > 0:
		u.PeakConcurrency = math.Sqrt(math.Max(0, 1-u.Sigma) / u.Kappa)
		u.PeakThroughput = u.At(math.Max(1, u.PeakConcurrency))
	case u.Sigma > 0:
		u.PeakThroughput = u.Lambda / u.Sigma
	}
	return u, nil
}

// fitSigmaKappa solves min Σ(y - σa - κb)² with σ, κ >= 0, where
// y = λn/x - 1, a = n-1, b = n(n-1).
func fitSigmaKappa(n, x []float64, lambda float64) (sigma, kappa float64) {
	var saa, sab, sbb, say, sby float64
	for i := range n {
		y := lambda*n[i]/x[i] - 1
		a, b := n[i]-1, n[i]*(n[i]-1)
		saa += a * a
		sab += a * b
		sbb += b * b
		say += a * y
		sby += b * y
	}
	det := saa*sbb - sab*sab
	if det > 0 {
		sigma = (say*sbb - sby*sab) / det
		kappa = (sby*saa - say*sab) / det
		if sigma >= 0 && kappa >= 0 {
			return sigma, kappa
		}
	}
	// On the boundary: one coefficient 0, the other fitted alone.
	bestE := math.Inf(1)
	try := func(s, k float64) {
		s, k = math.Max(0, s), math.Max(0, k)
		var e float64
		for i := range n {
			y := lambda*n[i]/x[i] - 1
			d := y - s*(n[i]-1) - k*n[i]*(n[i]-1)
			e += d * d
		}
		if e < bestE {
			bestE, sigma, kappa = e, s, k
		}
	}
	try(0, 0)
	if saa > 0 {
		try(say/saa, 0)
	}
	if sbb > 0 {
		try(0, sby/sbb)
	}
	return sigma, kappa
}
