package ginkgoreport

import (
	ginkgotypes "github.com/onsi/ginkgo/v2/types"

	"github.com/partcopy/partcopy/reports"
)

// Spec converts one finished Ginkgo spec (an It) exactly as FromGinkgo
// does: its state, clauses, message and location. Live progress uses it so
// that what it prints while the run goes agrees with the report at the end.
func Spec(sr ginkgotypes.SpecReport) reports.SpecResult { return specFromGinkgo(sr) }
