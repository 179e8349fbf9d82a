package ginkgoreport

import (
	"testing"

	"github.com/partcopy/partcopy/internal/depcheck"
)

// TestImports keeps the import rule: ginkgoreport may use Ginkgo's types
// package but not its DSL or Gomega, and must not import suites or load.
func TestImports(t *testing.T) {
	depcheck.Check(t, []string{"."}, []string{"github.com/onsi/ginkgo/v2/types", "github.com/partcopy/partcopy/reports"},
		"github.com/partcopy/partcopy/suites", "github.com/partcopy/partcopy/load*", "github.com/partcopy/partcopy/cmd*",
		"github.com/onsi/ginkgo/v2", "github.com/onsi/ginkgo/v2/internal*", "github.com/onsi/gomega*")
}
