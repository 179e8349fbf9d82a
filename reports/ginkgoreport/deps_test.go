package ginkgoreport

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps the import rule: ginkgoreport may use Ginkgo's types
// package but not its DSL or Gomega, and must not import suites or load.
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	sawTypes, sawReports := false, false
	for _, d := range deps {
		switch {
		case d == "github.com/onsi/ginkgo/v2/types":
			sawTypes = true
		case d == "github.com/partcopy/partcopy/reports":
			sawReports = true
		case d == "github.com/partcopy/partcopy/suites", d == "github.com/partcopy/partcopy/load",
			d == "github.com/onsi/ginkgo/v2", strings.HasPrefix(d, "github.com/onsi/ginkgo/v2/internal"),
			strings.HasPrefix(d, "github.com/onsi/gomega"):
			t.Errorf("ginkgoreport imports %s", d)
		}
	}
	if !sawTypes || !sawReports {
		t.Errorf("go list output does not look like a dependency list (%d entries, types %v, reports %v)", len(deps), sawTypes, sawReports)
	}
}
