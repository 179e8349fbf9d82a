package reports

import (
	"testing"

	"github.com/partcopy/partcopy/internal/depcheck"
)

// TestImports keeps the import rule: reports depends on no Ginkgo or Gomega
// package at all (load imports reports, and load never imports Ginkgo;
// converting a Ginkgo report is ginkgoreport's job), and must not import
// suites or load.
func TestImports(t *testing.T) {
	depcheck.Check(t, []string{"."}, []string{"github.com/partcopy/partcopy/reports"},
		"github.com/partcopy/partcopy/suites", "github.com/partcopy/partcopy/load*", "github.com/partcopy/partcopy/reports/*", "github.com/partcopy/partcopy/cmd*",
		"github.com/onsi/ginkgo*", "github.com/onsi/gomega*")
}
