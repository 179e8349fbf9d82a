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
// Transitively, load reaches github.com/onsi/ginkgo/v2/types (data types
// only) through reports, which converts Ginkgo reports; the Ginkgo DSL and
// runner (github.com/onsi/ginkgo/v2 itself) and Gomega must stay out.
func TestImports(t *testing.T) {
	pkgs := []string{"github.com/partcopy/partcopy/load", "github.com/partcopy/partcopy/load/nulls3"}
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
	for _, dep := range strings.Fields(string(all)) {
		switch {
		case dep == "github.com/onsi/ginkgo/v2", strings.HasPrefix(dep, "github.com/onsi/gomega"),
			strings.HasPrefix(dep, "github.com/partcopy/partcopy/suites"),
			strings.HasPrefix(dep, "github.com/partcopy/partcopy/internal/refserver"):
			t.Errorf("load depends on %s", dep)
		}
	}
}
