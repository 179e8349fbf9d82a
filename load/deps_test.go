package load

import (
	"testing"

	"github.com/partcopy/partcopy/internal/depcheck"
)

// TestImports keeps the import graph flowing one way: load may use s3call
// and reports, never Ginkgo, the suites, the embedded endpoint, the fault
// proxy or the CLI (tests may). The clause catalogue (suites/clause) is a
// dependency-free leaf every package may import; reports does.
//
// Not even transitively: no github.com/onsi/ginkgo or github.com/onsi/gomega
// package at all, the types package included, may be among the dependencies
// of load or its subpackages (reports keeps the Ginkgo conversion in
// reports/ginkgoreport, which load does not import).
func TestImports(t *testing.T) {
	depcheck.Check(t, []string{"github.com/partcopy/partcopy/load/..."}, []string{"github.com/partcopy/partcopy/load", "github.com/partcopy/partcopy/reports"},
		"github.com/onsi/*", "github.com/partcopy/partcopy/suites", "github.com/partcopy/partcopy/reports/ginkgoreport*",
		"github.com/partcopy/partcopy/internal/refserver*", "github.com/partcopy/partcopy/internal/faults*", "github.com/partcopy/partcopy/cmd*")
}
