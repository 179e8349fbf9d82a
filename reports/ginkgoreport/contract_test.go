package ginkgoreport_test

import (
	"strings"
	"testing"

	"github.com/partcopy/partcopy/reports"
	"github.com/partcopy/partcopy/reports/ginkgoreport"
	"github.com/partcopy/partcopy/suites"
)

// TestSuitesContract: suites may not import this package (nor reports), so
// it declares the report entry names and the Skip prefix itself. They must
// be the ones FromGinkgo reads, or evidence and "unsupported" verdicts are
// silently lost.
func TestSuitesContract(t *testing.T) {
	tests := []struct{ what, suites, ours string }{
		{"exchange entry", suites.EntryExchange, ginkgoreport.EntryExchange},
		{"observed entry", suites.EntryObserved, ginkgoreport.EntryObserved},
	}
	for _, tt := range tests {
		if tt.suites != tt.ours {
			t.Errorf("%s: suites write %q, FromGinkgo reads %q", tt.what, tt.suites, tt.ours)
		}
	}
	if !strings.HasPrefix(suites.UnsupportedPrefix, reports.UnsupportedPrefix) {
		t.Errorf("suites skip with %q, FromGinkgo looks for %q", suites.UnsupportedPrefix, reports.UnsupportedPrefix)
	}
}
