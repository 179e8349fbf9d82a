package reports

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps the import rule: reports may use Ginkgo's types package
// but not its DSL, and must not import suites or load (load imports reports).
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	sawTypes := false
	for _, d := range deps {
		switch {
		case d == "github.com/onsi/ginkgo/v2/types":
			sawTypes = true
		case d == "github.com/partcopy/partcopy/suites", d == "github.com/partcopy/partcopy/load",
			d == "github.com/onsi/ginkgo/v2", strings.HasPrefix(d, "github.com/onsi/ginkgo/v2/internal"),
			strings.HasPrefix(d, "github.com/onsi/gomega"):
			t.Errorf("reports imports %s", d)
		}
	}
	if !sawTypes {
		t.Errorf("go list output does not look like a dependency list: %d entries", len(deps))
	}
}
