package suites_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps the import graph flowing one way: suites is a library of
// specs that cmd, go test and other suites run; it never imports load or
// reports (nor reports/ginkgoreport, which reads what the suites record) or
// the CLI, not even transitively. The report entry names and the Skip
// prefix are declared here and checked against ginkgoreport's by its tests.
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	sawSelf := false
	for _, d := range deps {
		switch {
		case d == "github.com/partcopy/partcopy/suites":
			sawSelf = true
		case strings.HasPrefix(d, "github.com/partcopy/partcopy/load"), strings.HasPrefix(d, "github.com/partcopy/partcopy/reports"),
			strings.HasPrefix(d, "github.com/partcopy/partcopy/cmd"):
			t.Errorf("suites depends on %s", d)
		}
	}
	if !sawSelf || len(deps) < 10 {
		t.Errorf("go list output does not look like a dependency list: %d entries", len(deps))
	}
}
