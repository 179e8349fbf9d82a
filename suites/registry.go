package suites

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"
)

// area is one behaviour area: a Describe container whose body receives the
// shared Ctx. Areas register themselves at init time and are added to the
// Ginkgo tree only once a Config exists (Register).
type area struct {
	text string
	args []any
	body func(sc *Ctx)
}

var areas []area

// describe registers a behaviour area. args are Ginkgo decorators (Labels
// for features, Ordered, ...).
// It returns true so areas can register with `var _ = describe(...)`.
func describe(text string, body func(sc *Ctx), args ...any) bool {
	areas = append(areas, area{text: text, args: args, body: body})
	return true
}

// Register adds every spec to the Ginkgo tree for cfg. Call it during tree
// construction: at the top level of a suite file, or inside a container.
// The Run it returns tells, after RunSpecs, what the run learnt about the
// endpoint besides the verdicts (outages, leftover buckets, the
// configuration error that stopped it).
func Register(cfg *Config) *Run {
	sc := newCtx(cfg)
	Describe("UploadPartCopy", func() {
		BeforeEach(func() {
			Expect(sc.initErr).NotTo(HaveOccurred(), "suite configuration")
			sc.beginSpec()
			sc.beforeSpec()
			sc.checkSpec()
		})
		AfterEach(func() {
			r := CurrentSpecReport()
			failed := r.Failed()
			sc.endSpec(failed)
			// An interrupted spec (Ctrl-C, --timeout) says nothing about
			// the endpoint's health.
			sc.afterSpec(failed && !r.State.Is(types.SpecStateInterrupted|types.SpecStateAborted))
		})
		for _, a := range areas {
			args := append(append([]any{}, a.args...), func() { a.body(sc) })
			Describe(a.text, args...)
		}
	})
	return &Run{sc: sc}
}

// Test runs every spec against cfg from `go test`. It applies the
// profile's label filter on top of any -ginkgo.label-filter given.
func Test(t *testing.T, cfg *Config) {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("suites: %v", err)
	}
	RegisterFailHandler(Fail)
	Register(cfg)
	suiteCfg, reporterCfg := GinkgoConfiguration()
	suiteCfg.LabelFilter = CombineLabelFilters(cfg.LabelFilter(), suiteCfg.LabelFilter)
	RunSpecs(t, "partcopy UploadPartCopy conformance", suiteCfg, reporterCfg)
}

// CombineLabelFilters ANDs label filters; empty ones are ignored.
func CombineLabelFilters(filters ...string) string {
	out := ""
	for _, f := range filters {
		if f == "" {
			continue
		}
		if out == "" {
			out = "(" + f + ")"
		} else {
			out += " && (" + f + ")"
		}
	}
	return out
}
