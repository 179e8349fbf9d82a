// Package size is the one byte-size syntax of every size flag, environment
// variable and YAML key: "8MiB", "1GiB", "512KiB", "5MB" (decimal), "1.5GiB",
// or a plain number of bytes, case-insensitive.
package size

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	// Longest suffixes first so that "MiB" is not read as "B".
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1000}, {"mb", 1000 * 1000}, {"gb", 1000 * 1000 * 1000}, {"tb", 1000 * 1000 * 1000 * 1000},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40},
	{"b", 1},
}

// Parse parses a byte size: "8MiB", "1GiB", "512KiB", "5MB" (decimal),
// "1.5GiB", or a plain number of bytes. Single-letter units (k, m, g, t)
// are binary.
func Parse(s string) (int64, error) {
	in := strings.TrimSpace(s)
	low := strings.ToLower(in)
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(low, u.suffix) {
			mult = u.mult
			low = strings.TrimSpace(strings.TrimSuffix(low, u.suffix))
			break
		}
	}
	if low == "" {
		return 0, fmt.Errorf("bad size %q: use bytes or a unit like 8MiB, 1GiB", s)
	}
	if n, err := strconv.ParseInt(low, 10, 64); err == nil {
		if n < 0 || (n > 0 && mult > math.MaxInt64/n) {
			return 0, fmt.Errorf("bad size %q: out of range", s)
		}
		return n * mult, nil
	}
	f, err := strconv.ParseFloat(low, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("bad size %q: use bytes or a unit like 8MiB, 1GiB", s)
	}
	v := f * float64(mult)
	if v < 0 || v >= math.MaxInt64 {
		return 0, fmt.Errorf("bad size %q: out of range", s)
	}
	if v != math.Trunc(v) {
		return 0, fmt.Errorf("bad size %q: not a whole number of bytes", s)
	}
	return int64(v), nil
}

// Format renders n bytes with a binary unit ("8MiB", "1.5GiB", "100B").
func Format(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	v := float64(n)
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return strconv.FormatInt(n, 10) + "B"
	}
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64) + units[i]
}
