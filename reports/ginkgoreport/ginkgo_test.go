package ginkgoreport_test

import (
	"bytes"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	ginkgotypes "github.com/onsi/ginkgo/v2/types"

	"github.com/partcopy/partcopy/reports"
	"github.com/partcopy/partcopy/reports/ginkgoreport"
)

// recordingT receives RunSpecs' verdict without failing the Go test: the
// suite below fails on purpose.
type recordingT struct{ failed bool }

func (r *recordingT) Fail() { r.failed = true }

var captured ginkgotypes.Report

// The specs follow the suites' conventions: clause IDs as labels,
// Skip("unsupported: ...") for a missing capability, report entries for the
// exchange and the observed status.
var _ = Describe("UploadPartCopy", Label("D01"), func() {
	It("copies", Label("D13"), func() {
		AddReportEntry(ginkgoreport.EntryObserved, "status=200 code=")
	})
	It("overwrites", Label("D03", "large"), func() {
		AddReportEntry(ginkgoreport.EntryExchange, `[{"method":"PUT","url":"http://127.0.0.1/b/k?X-Amz-Signature=abcdef","status":200,"body":"<Error/>","requestHeaders":{"Authorization":["AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/x, Signature=0123"]}}]`)
		Fail("part 1 still has the old ETag")
	})
	It("needs STS", Label("D12"), func() {
		Skip("unsupported: no temporary credentials on this endpoint")
	})
	It("is skipped for another reason", Label("D22"), func() {
		Skip("--large not set")
	})
	It("is filtered out", Label("D23", "excluded"), func() {})
	PIt("is pending", Label("S03"), func() {})
})

var _ = ReportAfterSuite("capture", func(r Report) { captured = r })

// TestFromRealGinkgoRun checks FromGinkgo against what Ginkgo really
// reports, not only a hand-built report.
func TestFromRealGinkgoRun(t *testing.T) {
	suiteConfig, reporterConfig := GinkgoConfiguration()
	suiteConfig.LabelFilter = "!excluded"
	reporterConfig.Succinct = true
	reporterConfig.SilenceSkips = true
	rt := &recordingT{}
	if RunSpecs(rt, "ginkgoreport integration", suiteConfig, reporterConfig) || !rt.failed {
		t.Fatal("the suite has a failing spec and should have failed")
	}
	c := ginkgoreport.FromGinkgo(captured, reports.Meta{Endpoint: "http://127.0.0.1:1", Profile: reports.ProfileS3, Secrets: []string{"AKIDEXAMPLE"}})
	want := map[string]reports.SpecState{
		"UploadPartCopy copies":                        reports.StatePassed,
		"UploadPartCopy overwrites":                    reports.StateFailed,
		"UploadPartCopy needs STS":                     reports.StateUnsupported,
		"UploadPartCopy is skipped for another reason": reports.StateSkipped,
		"UploadPartCopy is filtered out":               reports.StateSkipped,
		"UploadPartCopy is pending":                    reports.StateSkipped,
	}
	if len(c.Specs) != len(want) {
		t.Errorf("got %d specs, want %d: %+v", len(c.Specs), len(want), c.Specs)
	}
	for _, s := range c.Specs {
		if s.State != want[s.Name] {
			t.Errorf("%q: state %s, want %s (message %q)", s.Name, s.State, want[s.Name], s.Message)
		}
	}
	v := map[string]reports.ClauseResult{}
	for _, cl := range c.Clauses {
		v[cl.ID] = cl
	}
	for id, want := range map[string]reports.Verdict{
		"D01": reports.VerdictFail, // container label: every spec carries it
		"D13": reports.VerdictPass, "D03": reports.VerdictFail, "D12": reports.VerdictUnsupported,
		"D22": reports.VerdictNotRun, "D23": reports.VerdictNotRun, "S03": reports.VerdictNotRun,
	} {
		if v[id].Verdict != want {
			t.Errorf("clause %s: %s, want %s", id, v[id].Verdict, want)
		}
	}
	if got := v["D13"].Observed; len(got) != 1 || got[0] != "status=200 code=" {
		t.Errorf("D13 observed = %v", got)
	}
	var out bytes.Buffer
	if err := reports.WriteJSON(&out, c); err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"AKIDEXAMPLE", "abcdef", "Signature=0123"} {
		if strings.Contains(out.String(), leak) {
			t.Errorf("report leaks %q", leak)
		}
	}
	if !strings.Contains(out.String(), "part 1 still has the old ETag") || !strings.Contains(out.String(), `"body": "<Error/>"`) &&
		!strings.Contains(out.String(), `"body":"<Error/>"`) {
		t.Errorf("failed spec lost its message or exchange:\n%s", out.String())
	}
}
