package s3call

import (
	"bytes"
	"errors"
	"io"
	"net/url"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadCappedHint: with any announced length, true or not, and any
// reader behaviour, readCappedHint returns what readCapped returns.
func TestReadCappedHint(t *testing.T) {
	boom := errors.New("boom")
	readers := map[string]func(s string) io.Reader{
		"plain":     func(s string) io.Reader { return strings.NewReader(s) },
		"one byte":  func(s string) io.Reader { return iotest.OneByteReader(strings.NewReader(s)) },
		"half":      func(s string) io.Reader { return iotest.HalfReader(strings.NewReader(s)) },
		"data+EOF":  func(s string) io.Reader { return iotest.DataErrReader(strings.NewReader(s)) },
		"then fail": func(s string) io.Reader { return io.MultiReader(strings.NewReader(s), iotest.ErrReader(boom)) },
		"timeout":   func(s string) io.Reader { return iotest.TimeoutReader(strings.NewReader(s)) },
	}
	for _, size := range []int{0, 1, 7, 8, 9, 200, 1000} {
		body := strings.Repeat("x", size)
		for name, mk := range readers {
			for _, max := range []int64{1, 8, 9, 64, 1 << 20} {
				for _, hint := range []int64{-1, 0, 1, int64(size) - 1, int64(size), int64(size) + 1, max - 1, max, 5000} {
					wb, wc, werr := readCapped(mk(body), max)
					gb, gc, gerr := readCappedHint(mk(body), max, hint)
					if name == "timeout" {
						// It fails on the second Read, so how much comes
						// before the error depends on the buffer sizes
						// (as with a connection that breaks mid-body):
						// both keep a prefix and report the error.
						if gc != wc || gerr != werr || !strings.HasPrefix(body, string(gb)) || !strings.HasPrefix(body, string(wb)) { //nolint:errorlint // both paths must return the identical error
							t.Errorf("%s, %d bytes, max %d, hint %d: got %d bytes, %v, %v; want %d bytes, %v, %v",
								name, size, max, hint, len(gb), gc, gerr, len(wb), wc, werr)
						}
						continue
					}
					if !bytes.Equal(gb, wb) || gc != wc || !errors.Is(gerr, werr) && gerr != werr || (gb == nil) != (wb == nil) { //nolint:errorlint // both paths must return the identical error
						t.Errorf("%s, %d bytes, max %d, hint %d: got %d bytes, %v, %v; want %d bytes, %v, %v",
							name, size, max, hint, len(gb), gc, gerr, len(wb), wc, werr)
					}
				}
			}
		}
	}
}

// FuzzPlainShortcuts: setPath and percentEncode give what their general
// case gives, for plain and other inputs alike.
func FuzzPlainShortcuts(f *testing.F) {
	for _, s := range []string{"/", "/b/k", "//b", "/b/a%2Fb", "/b/a b", "/b/~._-", "/b/%zz", "b", "/b/ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, want := &url.URL{Scheme: "http", Host: "h"}, &url.URL{Scheme: "http", Host: "h"}
		setPath(got, s)
		setPathGeneral(want, s)
		if *got != *want {
			t.Fatalf("setPath(%q) = %+v, want %+v", s, got, want)
		}
		for _, slash := range []bool{true, false} {
			if g, w := percentEncode(s, slash), percentEncodeGeneral(s, slash); g != w {
				t.Fatalf("percentEncode(%q, %v) = %q, want %q", s, slash, g, w)
			}
		}
	})
}
