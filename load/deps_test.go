package load

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps the import graph flowing one way: load may use s3call
// and reports, never Ginkgo, the suites, the embedded endpoint or the
// fault proxy (tests may).
//
// Not even transitively: no github.com/onsi/ginkgo or github.com/onsi/gomega
// package at all, the types package included, may be among the dependencies
// of load or its subpackages (reports keeps the Ginkgo conversion in
// reports/ginkgoreport, which load does not import).
func TestImports(t *testing.T) {
	pkgs := []string{"github.com/partcopy/partcopy/load/..."}
	direct, err := exec.Command("go", append([]string{"list", "-f", `{{join .Imports "\n"}}`}, pkgs...)...).Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(direct)) {
		for _, banned := range []string{
			"github.com/onsi/", "github.com/partcopy/partcopy/suites", "github.com/partcopy/partcopy/internal/refserver",
			"github.com/partcopy/partcopy/internal/faults", "github.com/partcopy/partcopy/cmd",
		} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("load imports %s", dep)
			}
		}
	}
	all, err := exec.Command("go", append([]string{"list", "-deps"}, pkgs...)...).Output()
	if err != nil {
		t.Skipf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(all))
	sawLoad, sawReports := false, false
	for _, dep := range deps {
		switch {
		case dep == "github.com/partcopy/partcopy/load":
			sawLoad = true
		case dep == "github.com/partcopy/partcopy/reports":
			sawReports = true
		case strings.HasPrefix(dep, "github.com/onsi/ginkgo"), strings.HasPrefix(dep, "github.com/onsi/gomega"),
			strings.HasPrefix(dep, "github.com/partcopy/partcopy/suites"),
			strings.HasPrefix(dep, "github.com/partcopy/partcopy/reports/ginkgoreport"),
			strings.HasPrefix(dep, "github.com/partcopy/partcopy/internal/refserver"):
			t.Errorf("load depends on %s", dep)
		}
	}
	// Without load itself (and reports, which it uses for the schema) the
	// output is not load's dependency list and the checks prove nothing.
	if !sawLoad || !sawReports {
		t.Errorf("go list -deps output does not look like load's dependencies (%d entries, load %v, reports %v)", len(deps), sawLoad, sawReports)
	}
}
