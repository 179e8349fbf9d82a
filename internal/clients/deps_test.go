package clients

import (
	"testing"

	"github.com/partcopy/partcopy/internal/depcheck"
)

// TestImports: the main module never depends on minio-go (the Go drivers
// are a module of their own, built at run time), and this package stays
// below cmd: no suites (its leaf clause catalogue aside), load, Ginkgo or cmd.
func TestImports(t *testing.T) {
	depcheck.Check(t, []string{"github.com/partcopy/partcopy/..."}, []string{"github.com/partcopy/partcopy/internal/clients"},
		"github.com/minio/*")
	depcheck.Check(t, []string{"."}, []string{"github.com/partcopy/partcopy/internal/clients", "github.com/partcopy/partcopy/internal/faults"},
		"github.com/partcopy/partcopy/suites", "github.com/partcopy/partcopy/load*", "github.com/partcopy/partcopy/cmd*",
		"github.com/onsi/ginkgo*", "github.com/onsi/gomega*")
}
