package depcheck

import "testing"

// fakeT records failures instead of failing.
type fakeT struct {
	testing.TB
	errors int
}

func (f *fakeT) Helper()                        {}
func (f *fakeT) Errorf(string, ...any)          { f.errors++ }
func (f *fakeT) Fatalf(format string, a ...any) { f.errors++ }

// TestCheckCatches: a banned dependency that is there is reported (exactly
// and by prefix); a must that is missing is reported; a clean list is not.
func TestCheckCatches(t *testing.T) {
	self := "github.com/partcopy/partcopy/internal/depcheck"
	for _, tt := range []struct {
		name   string
		must   []string
		banned []string
		want   int
	}{
		{"clean", []string{self, "strings"}, []string{"github.com/onsi/*", "net/http"}, 0},
		{"exact", []string{self}, []string{"os/exec"}, 1},
		{"prefix", []string{self}, []string{"os/*"}, 1},
		{"missing must", []string{"github.com/partcopy/partcopy/load"}, nil, 1},
	} {
		ft := &fakeT{TB: t}
		Check(ft, []string{"."}, tt.must, tt.banned...)
		if ft.errors != tt.want {
			t.Errorf("%s: %d errors, want %d", tt.name, ft.errors, tt.want)
		}
	}
}
