package size

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		bad  string // what the error must say; "" for a valid size
	}{
		{in: "0", want: 0},
		{in: "1048576", want: 1 << 20},
		{in: "8MiB", want: 8 << 20},
		{in: "8mib", want: 8 << 20},
		{in: "1GiB", want: 1 << 30},
		{in: "5GiB", want: 5 << 30},
		{in: "512KiB", want: 512 << 10},
		{in: "5MB", want: 5_000_000},
		{in: "100KB", want: 100_000},
		{in: "1.5GiB", want: 3 << 29},
		{in: " 64 MiB ", want: 64 << 20},
		{in: "8M", want: 8 << 20},
		{in: "10B", want: 10},
		{in: "", bad: "use bytes"},
		{in: "MiB", bad: "use bytes"},
		{in: "-1", bad: "out of range"},
		{in: "-1MiB", bad: "out of range"},
		{in: "1.5B", bad: "whole number"},
		{in: "abc", bad: "use bytes"},
		{in: "8XiB", bad: "use bytes"},
		{in: "99999999999TiB", bad: "out of range"},
		{in: "NaN", bad: "use bytes"},
	} {
		got, err := Parse(tc.in)
		if tc.bad != "" {
			if err == nil || !strings.Contains(err.Error(), tc.bad) {
				t.Errorf("Parse(%q) = %d, %v; want an error saying %q", tc.in, got, err, tc.bad)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		in   int64
		want string
	}{
		{0, "0B"}, {1023, "1023B"}, {1024, "1KiB"}, {8 << 20, "8MiB"}, {3 << 29, "1.5GiB"}, {5 << 30, "5GiB"},
	} {
		if got := Format(tc.in); got != tc.want {
			t.Errorf("Format(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"8MiB", "1GiB", "0", "1.5GiB", "5MB", "-1", "1e30", " 3 k"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("Parse(%q) = %d < 0", s, n)
		}
		// A formatted size with an integral value parses back to itself.
		if back, err := Parse(Format(n)); err == nil && Format(back) != Format(n) {
			t.Fatalf("round trip of %d: %q -> %d", n, Format(n), back)
		}
	})
}
