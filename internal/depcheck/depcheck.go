// Package depcheck keeps partcopy's import graph flowing one way
// (cmd -> suites, load, reports -> internal/s3call -> libraries): each
// package's tests call Check with what it must never depend on, not even
// transitively. It is only for tests; it runs `go list -deps`.
package depcheck

import (
	"os/exec"
	"strings"
	"testing"
)

// Check runs `go list -deps pkgs...` and fails t for every dependency
// that a banned pattern matches. A pattern ending in "*" matches by
// prefix; any other matches exactly. must lists packages that have to be
// in the output: without them it is not the dependency list, and a check
// of it would prove nothing.
func Check(t testing.TB, pkgs []string, must []string, banned ...string) {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list", "-deps"}, pkgs...)...).Output()
	if err != nil {
		t.Fatalf("go list -deps %v: %v", pkgs, err)
	}
	deps := strings.Fields(string(out))
	seen := map[string]bool{}
	for _, d := range deps {
		seen[d] = true
		for _, b := range banned {
			if p, ok := strings.CutSuffix(b, "*"); ok && strings.HasPrefix(d, p) || d == b {
				t.Errorf("%v depends on %s (banned: %s)", pkgs, d, b)
			}
		}
	}
	for _, m := range must {
		if !seen[m] {
			t.Errorf("go list -deps %v does not list %s (%d entries): not a dependency list", pkgs, m, len(deps))
		}
	}
}
