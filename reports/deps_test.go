package reports

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps the import rule: reports depends on no Ginkgo or Gomega
// package at all (load imports reports, and load never imports Ginkgo;
// converting a Ginkgo report is ginkgoreport's job), and must not import
// suites or load.
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	sawSelf := false
	for _, d := range deps {
		switch {
		case d == "github.com/partcopy/partcopy/reports":
			sawSelf = true
		case strings.HasPrefix(d, "github.com/partcopy/partcopy/suites"), strings.HasPrefix(d, "github.com/partcopy/partcopy/load"),
			strings.HasPrefix(d, "github.com/partcopy/partcopy/reports/"),
			strings.HasPrefix(d, "github.com/onsi/ginkgo"), strings.HasPrefix(d, "github.com/onsi/gomega"):
			t.Errorf("reports depends on %s", d)
		}
	}
	// go list -deps ends with the package itself; without it the output is
	// not the dependency list and the checks above prove nothing.
	if !sawSelf || len(deps) < 10 {
		t.Errorf("go list output does not look like a dependency list: %d entries", len(deps))
	}
}
