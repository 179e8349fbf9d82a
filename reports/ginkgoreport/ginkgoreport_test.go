package ginkgoreport

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	ginkgotypes "github.com/onsi/ginkgo/v2/types"

	"github.com/partcopy/partcopy/reports"
)

// update rewrites the golden file that ties reports' hand-built fixture to
// what FromGinkgo makes of the Ginkgo fixture.
var update = flag.Bool("update", false, "rewrite ../testdata/fixture.conformance.json from FromGinkgo")

// goldenFixture is the JSON of FromGinkgo(fixtureReport, fixtureMeta).
// reports/fixture_test.go builds the same report from hand-written specs
// with reports.NewConformance and compares it with this file, so that the
// writer tests there run on exactly what FromGinkgo produces.
var goldenFixture = filepath.Join("..", "testdata", "fixture.conformance.json")

func TestFromGinkgo(t *testing.T) {
	c := FromGinkgo(fixtureReport(t), fixtureMeta())

	if c.Schema != reports.ConformanceSchema || c.Profile != reports.ProfileS3 || c.PartcopyVersion != "v0.1.0-test" {
		t.Errorf("header: %+v", c)
	}
	if c.Endpoint != "http://127.0.0.1:9000/" {
		t.Errorf("endpoint = %q, want credentials stripped", c.Endpoint)
	}
	if c.Implementation == nil || c.Implementation.Name != "refserver" {
		t.Errorf("implementation = %+v", c.Implementation)
	}
	if c.Result != reports.ResultFail {
		t.Errorf("result = %s, want fail", c.Result)
	}
	wantSummary := reports.Summary{Passed: 3, Failed: 2, Skipped: 2, Unsupported: 2}
	if c.Summary != wantSummary {
		t.Errorf("summary = %+v, want %+v", c.Summary, wantSummary)
	}
	if len(c.Specs) != 9 {
		t.Fatalf("got %d specs, want 9 (the passed BeforeSuite is not a spec)", len(c.Specs))
	}

	specs := map[string]reports.SpecResult{}
	for _, s := range c.Specs {
		specs[s.Name] = s
	}
	tests := []struct {
		name    string
		state   reports.SpecState
		clauses []string
		labels  []string
		msg     string // substring
	}{
		{"UploadPartCopy basic copy copies the whole source", reports.StatePassed, []string{"D01", "D13", "D25"}, []string{}, ""},
		{"UploadPartCopy overwrites an existing part", reports.StateFailed, []string{"D03"}, []string{"large"}, "Expected ListParts"},
		{"UploadPartCopy rejects a missing token", reports.StateUnsupported, []string{"D12"}, []string{}, "unsupported: endpoint has no STS"},
		{"UploadPartCopy SSE-C copies an SSE-C source", reports.StateUnsupported, []string{"D10", "D14"}, []string{"ssec"}, "unsupported: SSE-C"},
		{"UploadPartCopy copies a 5 GiB part", reports.StateSkipped, []string{"D22"}, []string{"large"}, "disabled"},
		// "[S02]" in the text names no clause: clauses come from labels only.
		{"UploadPartCopy [S02] rejects a failed if-match", reports.StateFailed, []string{}, []string{}, "panicked: runtime error"},
		{"UploadPartCopy pending spec", reports.StateSkipped, []string{"S03"}, []string{}, "pending"},
	}
	for _, tt := range tests {
		s, ok := specs[tt.name]
		if !ok {
			t.Errorf("spec %q missing", tt.name)
			continue
		}
		if s.State != tt.state || !slices.Equal(s.Clauses, tt.clauses) || !slices.Equal(s.Labels, tt.labels) || !strings.Contains(s.Message, tt.msg) {
			t.Errorf("spec %q = state %s clauses %v labels %v msg %q; want %s %v %v ~%q",
				tt.name, s.State, s.Clauses, s.Labels, s.Message, tt.state, tt.clauses, tt.labels, tt.msg)
		}
		if s.DurationSeconds != 1.5 {
			t.Errorf("spec %q duration = %v", tt.name, s.DurationSeconds)
		}
	}
	failed := specs["UploadPartCopy overwrites an existing part"]
	if len(failed.Exchange) != 2 || failed.Location != "suites/spec.go:42" {
		t.Errorf("failed spec: %d exchange records, location %q", len(failed.Exchange), failed.Location)
	}
	// A passed spec's exchange is there only when the suite recorded it
	// (--record-all); what the suite attached is kept.
	if s := specs["UploadPartCopy SSE-C echoes SSE-C headers"]; len(s.Exchange) != 1 {
		t.Errorf("passed spec's recorded exchange: %s", s.Exchange)
	}

	// Every clause of the profile, in order, with derived verdicts.
	if len(c.Clauses) != 33 {
		t.Fatalf("got %d clauses, want 33", len(c.Clauses))
	}
	verdicts := map[string]reports.ClauseResult{}
	for i, cl := range c.Clauses {
		if cl.ID != reports.Clauses[i].ID {
			t.Errorf("clause %d = %s, want %s", i, cl.ID, reports.Clauses[i].ID)
		}
		verdicts[cl.ID] = cl
	}
	wantVerdicts := map[string]reports.Verdict{
		"D01": reports.VerdictPass, "D13": reports.VerdictPass, "D25": reports.VerdictPass,
		"D03": reports.VerdictFail, "D12": reports.VerdictUnsupported,
		"D10": reports.VerdictUnsupported, "D14": reports.VerdictPass, // unsupported + passed
		"D18": reports.VerdictPass, "D22": reports.VerdictNotRun, "S02": reports.VerdictNotRun, "S03": reports.VerdictNotRun,
		"D02": reports.VerdictNotRun, "S08": reports.VerdictNotRun, // no spec at all
	}
	for id, want := range wantVerdicts {
		if got := verdicts[id].Verdict; got != want {
			t.Errorf("clause %s verdict = %s, want %s", id, got, want)
		}
	}
	if got := verdicts["D14"].Specs; len(got) != 2 {
		t.Errorf("D14 specs = %v", got)
	}
	if got := verdicts["D18"].Observed; !slices.Equal(got, []string{"status=403 code=AccessDenied"}) {
		t.Errorf("D18 observed = %v (rehydrated entry)", got)
	}
	if got := verdicts["D02"]; len(got.Specs) != 0 || got.Specs == nil || got.Observed == nil {
		t.Errorf("uncovered D02 = %+v, want empty non-nil lists", got)
	}
}

func TestFromGinkgoProfilesAndSuiteFailures(t *testing.T) {
	r := ginkgotypes.Report{SpecReports: ginkgotypes.SpecReports{
		it(nil, "unsupported only", nil, []string{"D05"}, ginkgotypes.SpecStateSkipped, "unsupported: no archive tier"),
		it(nil, "s clause under obs", nil, []string{"S01"}, ginkgotypes.SpecStatePassed, ""),
	}}
	meta := reports.Meta{Endpoint: "http://127.0.0.1:1", Profile: reports.ProfileOBS}
	c := FromGinkgo(r, meta)
	if c.Result != reports.ResultPartial {
		t.Errorf("result = %s, want partial (nothing failed; clauses unsupported or not run)", c.Result)
	}
	// 25 D clauses plus S01, which a spec that ran names: not hidden.
	if len(c.Clauses) != 26 || c.Clauses[25].ID != "S01" {
		t.Errorf("obs clauses = %d, last %s", len(c.Clauses), c.Clauses[len(c.Clauses)-1].ID)
	}
	if c.GeneratedAt.IsZero() {
		t.Error("zero Meta.Time should mean now")
	}

	r.SpecReports = append(r.SpecReports, ginkgotypes.SpecReport{
		LeafNodeType: ginkgotypes.NodeTypeBeforeSuite, State: ginkgotypes.SpecStateFailed,
		Failure: ginkgotypes.Failure{Message: "cannot create bucket"},
	})
	c = FromGinkgo(r, meta)
	if c.Result != reports.ResultFail || len(c.SuiteFailures) != 1 || !strings.Contains(c.SuiteFailures[0], "cannot create bucket") {
		t.Errorf("BeforeSuite failure: result %s, suite failures %v", c.Result, c.SuiteFailures)
	}
	r.SpecReports = r.SpecReports[:2]
	r.SpecialSuiteFailureReasons = []string{"Interrupted by User"}
	if c = FromGinkgo(r, meta); c.Result != reports.ResultIncomplete || !c.Interrupted {
		t.Errorf("interrupted run: result %s, interrupted %v; want incomplete, true", c.Result, c.Interrupted)
	}
}

// TestFromGinkgoGolden pins the whole report FromGinkgo builds from the
// fixture, byte for byte as WriteJSON writes it.
func TestFromGinkgoGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := reports.WriteJSON(&buf, FromGinkgo(fixtureReport(t), fixtureMeta())); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(goldenFixture, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(goldenFixture)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("FromGinkgo(fixture) differs from %s (rerun with -update if the change is intended):\n%s", goldenFixture, buf.Bytes())
	}
}

// TestFromGinkgoEmpty: an empty Ginkgo report is the report of no specs,
// with an empty (not null) spec list.
func TestFromGinkgoEmpty(t *testing.T) {
	meta := reports.Meta{Profile: reports.ProfileOBS, Time: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	c := FromGinkgo(ginkgotypes.Report{}, meta)
	if c.Specs == nil || len(c.Specs) != 0 || len(c.SuiteFailures) != 0 || c.Result != reports.ResultPartial {
		t.Errorf("empty report: specs %v (nil %v), suite failures %v, result %s", c.Specs, c.Specs == nil, c.SuiteFailures, c.Result)
	}
	got, _ := json.Marshal(c)
	want, _ := json.Marshal(reports.NewConformance(meta, nil, nil))
	if !bytes.Equal(got, want) {
		t.Errorf("FromGinkgo(empty) = %s\nwant %s", got, want)
	}
}

// TestNoSecretInAnyOutput plants secrets in messages, exchange records, the
// endpoint, the observed entries and a suite failure reason, and checks the
// report FromGinkgo builds and every output format.
func TestNoSecretInAnyOutput(t *testing.T) {
	rep := fixtureReport(t)
	rep.SpecialSuiteFailureReasons = []string{"aborted with token " + sessionToken}
	c := FromGinkgo(rep, fixtureMeta())
	if len(c.SuiteFailures) != 1 || !strings.Contains(c.SuiteFailures[0], "aborted with token") {
		t.Errorf("suite failures = %v", c.SuiteFailures)
	}

	// The secrets must be gone from the in-memory report too, since callers
	// may write it themselves.
	inMemory, _ := json.Marshal(c)
	outputs := map[string][]byte{"in-memory": inMemory}

	dir := t.TempDir()
	if err := reports.WriteAll(dir, c); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{reports.FileConformanceJSON, reports.FileJUnit, reports.FileConformanceMD, reports.FileConformanceHTML} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		outputs[f] = b
	}
	// Writers called directly on a report whose fields were set after
	// FromGinkgo (the secrets list travels with the report).
	c.Specs[0].Message = "late message with " + secretKey
	for name, w := range map[string]func(*bytes.Buffer) error{
		"WriteJSON":     func(b *bytes.Buffer) error { return reports.WriteJSON(b, c) },
		"WriteJUnit":    func(b *bytes.Buffer) error { return reports.WriteJUnit(b, c) },
		"WriteMarkdown": func(b *bytes.Buffer) error { return reports.WriteMarkdown(b, c) },
		"WriteHTML":     func(b *bytes.Buffer) error { return reports.WriteHTML(b, c) },
	} {
		var buf bytes.Buffer
		if err := w(&buf); err != nil {
			t.Fatal(err)
		}
		outputs[name] = buf.Bytes()
	}
	merged, err := reports.Merge(c, c)
	if err != nil {
		t.Fatal(err)
	}
	var mbuf bytes.Buffer
	if err := reports.WriteMarkdown(&mbuf, merged); err != nil {
		t.Fatal(err)
	}
	outputs["merged markdown"] = mbuf.Bytes()

	for name, out := range outputs {
		for _, s := range allSecrets {
			if bytes.Contains(out, []byte(s)) {
				t.Errorf("%s contains secret %q", name, s)
			}
		}
		// The failed spec's evidence is still there, only redacted.
		if name != "in-memory" && !bytes.Contains(out, []byte(reports.Redacted)) {
			t.Errorf("%s has no [REDACTED] marker: the exchange excerpt is missing", name)
		}
	}
	if !strings.Contains(string(outputs[reports.FileConformanceJSON]), `"x-amz-copy-source":"/src/obj"`) &&
		!strings.Contains(string(outputs[reports.FileConformanceJSON]), `"x-amz-copy-source": "/src/obj"`) {
		t.Errorf("non-secret headers were lost: %s", outputs[reports.FileConformanceJSON])
	}
}

func TestExchangeRecords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  \n", nil},
		{`[{"a":1},{"b":2}]`, []string{`{"a":1}`, `{"b":2}`}},
		{`[]`, []string{}},
		// Not an array: kept whole, as JSON or as a JSON string.
		{`{"a":1}`, []string{`{"a":1}`}},
		{`transport error: reset`, []string{`"transport error: reset"`}},
	}
	for _, tt := range tests {
		got := exchangeRecords(tt.in)
		var gotS []string
		if got != nil {
			gotS = []string{}
		}
		for _, r := range got {
			gotS = append(gotS, string(r))
		}
		if !slices.Equal(gotS, tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("exchangeRecords(%q) = %q, want %q", tt.in, gotS, tt.want)
		}
	}
}

func TestEntryString(t *testing.T) {
	tests := []struct {
		name string
		e    ginkgotypes.ReportEntry
		want string
	}{
		{"in-process", entry(EntryObserved, "status=403 code=AccessDenied"), "status=403 code=AccessDenied"},
		{"rehydrated", rehydratedEntry(t, EntryObserved, "status=403 code=AccessDenied"), "status=403 code=AccessDenied"},
	}
	for _, tt := range tests {
		if got := entryString(tt.e); got != tt.want {
			t.Errorf("%s: entryString = %q, want %q", tt.name, got, tt.want)
		}
	}
}
