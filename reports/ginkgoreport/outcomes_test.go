package ginkgoreport

import (
	"bytes"
	"strings"
	"testing"

	ginkgotypes "github.com/onsi/ginkgo/v2/types"

	"github.com/partcopy/partcopy/reports"
	"github.com/partcopy/partcopy/suites/clause"
)

// TestOutcomes: the catalogue's prefixes and entries become partcopy's
// outcomes - blocked (with the blocking clause), not-run, interrupted,
// error, and the endpoint crash - and none of them is a clause failure
// except the crash itself.
func TestOutcomes(t *testing.T) {
	meta := reports.Meta{Endpoint: "http://127.0.0.1:1", Profile: reports.ProfileS3}
	r := ginkgotypes.Report{SpecReports: ginkgotypes.SpecReports{
		it(nil, "blocked", nil, []string{"D03"}, ginkgotypes.SpecStateSkipped,
			clause.Blocked("S08", "CompleteMultipartUpload answered 500 and HEAD answers 404")),
		it(nil, "s08 own", nil, []string{"S08"}, ginkgotypes.SpecStateFailed, "Complete answered 500"),
		it(nil, "crash", nil, []string{"D07"}, ginkgotypes.SpecStateFailed, "PUT: connection refused",
			entry(clause.EntryEndpointDown, "the last 2 request(s) got no answer")),
		it(nil, "after the crash", nil, []string{"D08"}, ginkgotypes.SpecStateSkipped, clause.NotRunPrefix+clause.EndpointDownReason+": no answer"),
	}}
	c := FromGinkgo(r, meta)
	byName := map[string]reports.SpecResult{}
	for _, s := range c.Specs {
		byName[s.Name] = s
	}
	if s := byName["blocked"]; s.State != reports.StateBlocked || s.BlockedBy != "S08" {
		t.Errorf("blocked spec = %s by %q", s.State, s.BlockedBy)
	}
	if s := byName["crash"]; s.State != reports.StateFailed || !s.EndpointDown || !strings.HasPrefix(s.Message, clause.CrashMessage) {
		t.Errorf("crashed spec = %s down=%v %q", s.State, s.EndpointDown, s.Message)
	}
	if s := byName["after the crash"]; s.State != reports.StateNotRun {
		t.Errorf("not-run spec = %s", s.State)
	}
	verdicts := map[string]reports.Verdict{}
	for _, cl := range c.Clauses {
		verdicts[cl.ID] = cl.Verdict
	}
	if verdicts["D03"] != reports.VerdictBlocked || verdicts["S08"] != reports.VerdictFail || verdicts["D08"] != reports.VerdictNotRun {
		t.Errorf("verdicts D03 %s S08 %s D08 %s", verdicts["D03"], verdicts["S08"], verdicts["D08"])
	}
	if len(c.EndpointIncidents) != 1 || c.EndpointIncidents[0].Spec != "crash" || c.Result != reports.ResultFail {
		t.Errorf("incidents %+v, result %s", c.EndpointIncidents, c.Result)
	}
	// The crash leads every rendering.
	var md bytes.Buffer
	if err := reports.WriteMarkdown(&md, c); err != nil {
		t.Fatal(err)
	}
	lead := md.String()[:strings.Index(md.String(), "| Endpoint")]
	if !strings.Contains(lead, "crashed or stopped answering") || !strings.Contains(md.String(), "## Blocked") {
		t.Errorf("markdown does not lead with the crash or lacks the blocked section:\n%s", md.String()[:min(800, md.Len())])
	}

	// Ctrl-C: the running spec is interrupted, the run incomplete, no fail.
	r = ginkgotypes.Report{SpecialSuiteFailureReasons: []string{"Interrupted by User"}, SpecReports: ginkgotypes.SpecReports{
		it(nil, "passed", nil, []string{"D01"}, ginkgotypes.SpecStatePassed, ""),
		it(nil, "running", nil, []string{"D02"}, ginkgotypes.SpecStateInterrupted, "Interrupted by User"),
		it(nil, "later", nil, []string{"D03"}, ginkgotypes.SpecStateSkipped, ""),
	}}
	c = FromGinkgo(r, meta)
	if c.Result != reports.ResultIncomplete || !c.Interrupted || c.Summary.Failed != 0 || c.Summary.Interrupted != 1 || len(c.SuiteFailures) != 0 {
		t.Errorf("interrupted: result %s interrupted %v summary %+v suite failures %v", c.Result, c.Interrupted, c.Summary, c.SuiteFailures)
	}
	for _, cl := range c.Clauses {
		if cl.Verdict == reports.VerdictFail {
			t.Errorf("interrupted run: clause %s fails", cl.ID)
		}
	}
	var junit bytes.Buffer
	if err := reports.WriteJUnit(&junit, c); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(junit.String(), "<failure") || !strings.Contains(junit.String(), `type="interrupted"`) {
		t.Errorf("junit of an interrupted run:\n%s", junit.String())
	}

	// A configuration error: the spec is error, the run error, junit <error>.
	line := "http://127.0.0.1:1 refuses the signing region \"eu-west-1\": use --region us-east-1"
	r = ginkgotypes.Report{SpecReports: ginkgotypes.SpecReports{
		it(nil, "met the wrong region", nil, []string{"D01"}, ginkgotypes.SpecStateAborted, "configuration error: "+line,
			entry(clause.EntryConfigError, line)),
		it(nil, "never ran", nil, []string{"D02"}, ginkgotypes.SpecStateSkipped, ""),
	}}
	c = FromGinkgo(r, meta)
	if c.Result != reports.ResultError || c.ConfigError != line || c.Summary.Failed != 0 {
		t.Errorf("config error: result %s config %q summary %+v", c.Result, c.ConfigError, c.Summary)
	}
	junit.Reset()
	if err := reports.WriteJUnit(&junit, c); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(junit.String(), "<failure") || !strings.Contains(junit.String(), `type="config-error"`) {
		t.Errorf("junit of a config error:\n%s", junit.String())
	}
}
