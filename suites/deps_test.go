package suites_test

import (
	"testing"

	"github.com/partcopy/partcopy/internal/depcheck"
)

// TestImports keeps the import graph flowing one way: suites is a library of
// specs that cmd, go test and other suites run; it never imports load or
// reports (nor reports/ginkgoreport, which reads what the suites record) or
// the CLI, not even transitively. The report entry names and the Skip
// prefix are declared here and checked against ginkgoreport's by its tests.
func TestImports(t *testing.T) {
	depcheck.Check(t, []string{"."}, []string{"github.com/partcopy/partcopy/suites", "github.com/partcopy/partcopy/internal/s3call"},
		"github.com/partcopy/partcopy/load*", "github.com/partcopy/partcopy/reports*", "github.com/partcopy/partcopy/cmd*", "github.com/partcopy/partcopy/internal/refserver*", "github.com/partcopy/partcopy/internal/faults*")
}
