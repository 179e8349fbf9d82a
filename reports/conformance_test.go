package reports

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	ginkgotypes "github.com/onsi/ginkgo/v2/types"
)

func TestDeriveVerdict(t *testing.T) {
	P, F, S, U := StatePassed, StateFailed, StateSkipped, StateUnsupported
	// Every subset of the four states (order and repetition do not matter).
	tests := []struct {
		states []SpecState
		want   Verdict
	}{
		{nil, VerdictNotRun},
		{[]SpecState{P}, VerdictPass},
		{[]SpecState{F}, VerdictFail},
		{[]SpecState{S}, VerdictNotRun},
		{[]SpecState{U}, VerdictUnsupported},
		{[]SpecState{P, F}, VerdictFail},
		{[]SpecState{P, S}, VerdictPass},
		{[]SpecState{P, U}, VerdictPass},
		{[]SpecState{F, S}, VerdictFail},
		{[]SpecState{F, U}, VerdictFail},
		{[]SpecState{S, U}, VerdictUnsupported},
		{[]SpecState{P, F, S}, VerdictFail},
		{[]SpecState{P, F, U}, VerdictFail},
		{[]SpecState{P, S, U}, VerdictPass},
		{[]SpecState{F, S, U}, VerdictFail},
		{[]SpecState{P, F, S, U}, VerdictFail},
		// Order and repetition.
		{[]SpecState{U, U, P, S}, VerdictPass},
		{[]SpecState{S, S, S}, VerdictNotRun},
		{[]SpecState{U, S, F, P}, VerdictFail},
	}
	for _, tt := range tests {
		if got := DeriveVerdict(tt.states); got != tt.want {
			t.Errorf("DeriveVerdict(%v) = %s, want %s", tt.states, got, tt.want)
		}
	}
}

func TestClauseTableMatchesDocument(t *testing.T) {
	if len(Clauses) != 33 {
		t.Fatalf("got %d clauses, want 33", len(Clauses))
	}
	seen := map[string]bool{}
	for _, c := range Clauses {
		if !IsClauseID(c.ID) || seen[c.ID] || c.Title == "" {
			t.Errorf("bad clause %+v", c)
		}
		seen[c.ID] = true
	}
	// The table must list exactly the IDs of clauses.md (found beside the
	// project as ../shared in CI and for developers).
	doc, err := os.ReadFile(filepath.Join("..", "..", "shared", "spec", "clauses.md"))
	if err != nil {
		t.Skipf("clauses.md not found: %v", err)
	}
	var ids []string
	for _, m := range regexp.MustCompile(`(?m)^\| ([DS]\d\d) \|`).FindAllStringSubmatch(string(doc), -1) {
		ids = append(ids, m[1])
	}
	var ours []string
	for _, c := range Clauses {
		ours = append(ours, c.ID)
	}
	if !slices.Equal(ids, ours) {
		t.Errorf("clause IDs differ from clauses.md:\n doc  %v\n ours %v", ids, ours)
	}
}

func TestProfileClauses(t *testing.T) {
	tests := []struct {
		profile string
		n       int
		ok      bool
	}{{ProfileOBS, 25, true}, {ProfileS3, 33, true}, {"gcs", 0, false}}
	for _, tt := range tests {
		got, ok := ProfileClauses(tt.profile)
		if len(got) != tt.n || ok != tt.ok {
			t.Errorf("ProfileClauses(%q) = %d clauses, %v; want %d, %v", tt.profile, len(got), ok, tt.n, tt.ok)
		}
		for _, c := range got {
			if tt.profile == ProfileOBS && c.ID[0] != 'D' {
				t.Errorf("obs profile lists %s", c.ID)
			}
		}
	}
}

func TestFromGinkgo(t *testing.T) {
	c := FromGinkgo(fixtureReport(t), fixtureMeta())

	if c.Schema != ConformanceSchema || c.Profile != ProfileS3 || c.PartcopyVersion != "v0.1.0-test" {
		t.Errorf("header: %+v", c)
	}
	if c.Endpoint != "http://127.0.0.1:9000/" {
		t.Errorf("endpoint = %q, want credentials stripped", c.Endpoint)
	}
	if c.Implementation == nil || c.Implementation.Name != "refserver" {
		t.Errorf("implementation = %+v", c.Implementation)
	}
	if c.Result != ResultFail {
		t.Errorf("result = %s, want fail", c.Result)
	}
	wantSummary := Summary{Passed: 3, Failed: 2, Skipped: 2, Unsupported: 2}
	if c.Summary != wantSummary {
		t.Errorf("summary = %+v, want %+v", c.Summary, wantSummary)
	}
	if len(c.Specs) != 9 {
		t.Fatalf("got %d specs, want 9 (the passed BeforeSuite is not a spec)", len(c.Specs))
	}

	specs := map[string]SpecResult{}
	for _, s := range c.Specs {
		specs[s.Name] = s
	}
	tests := []struct {
		name    string
		state   SpecState
		clauses []string
		labels  []string
		msg     string // substring
	}{
		{"UploadPartCopy basic copy copies the whole source", StatePassed, []string{"D01", "D13", "D25"}, []string{}, ""},
		{"UploadPartCopy overwrites an existing part", StateFailed, []string{"D03"}, []string{"large"}, "Expected ListParts"},
		{"UploadPartCopy rejects a missing token", StateUnsupported, []string{"D12"}, []string{}, "unsupported: endpoint has no STS"},
		{"UploadPartCopy SSE-C copies an SSE-C source", StateUnsupported, []string{"D10", "D14"}, []string{"ssec"}, "unsupported: SSE-C"},
		{"UploadPartCopy copies a 5 GiB part", StateSkipped, []string{"D22"}, []string{"large"}, "disabled"},
		{"UploadPartCopy [S02] rejects a failed if-match", StateFailed, []string{"S02"}, []string{}, "panicked: runtime error"},
		{"UploadPartCopy pending spec", StateSkipped, []string{"S03"}, []string{}, "pending"},
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
	verdicts := map[string]ClauseResult{}
	for i, cl := range c.Clauses {
		if cl.ID != Clauses[i].ID {
			t.Errorf("clause %d = %s, want %s", i, cl.ID, Clauses[i].ID)
		}
		verdicts[cl.ID] = cl
	}
	wantVerdicts := map[string]Verdict{
		"D01": VerdictPass, "D13": VerdictPass, "D25": VerdictPass,
		"D03": VerdictFail, "D12": VerdictUnsupported,
		"D10": VerdictUnsupported, "D14": VerdictPass, // unsupported + passed
		"D18": VerdictPass, "D22": VerdictNotRun, "S02": VerdictFail, "S03": VerdictNotRun,
		"D02": VerdictNotRun, "S08": VerdictNotRun, // no spec at all
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
	meta := Meta{Endpoint: "http://127.0.0.1:1", Profile: ProfileOBS}
	c := FromGinkgo(r, meta)
	if c.Result != ResultPass {
		t.Errorf("result = %s, want pass (unsupported counts as pass)", c.Result)
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
	if c.Result != ResultFail || len(c.SuiteFailures) != 1 || !strings.Contains(c.SuiteFailures[0], "cannot create bucket") {
		t.Errorf("BeforeSuite failure: result %s, suite failures %v", c.Result, c.SuiteFailures)
	}
	r.SpecReports = r.SpecReports[:2]
	r.SpecialSuiteFailureReasons = []string{"Interrupted by User"}
	if c = FromGinkgo(r, meta); c.Result != ResultFail {
		t.Errorf("interrupted run: result %s, want fail", c.Result)
	}
}

// TestProfileOmitsFilteredClauses: under obs, an S spec the profile
// filtered out (skipped) does not put its clause in the list; one that ran
// does.
func TestProfileOmitsFilteredClauses(t *testing.T) {
	c := Conformance{Profile: "obs", Specs: []SpecResult{
		{Name: "a", Clauses: []string{"S01"}, State: StateSkipped},
		{Name: "b", Clauses: []string{"S02"}, State: StatePassed},
	}}
	c.Recompute()
	ids := map[string]bool{}
	for _, cl := range c.Clauses {
		ids[cl.ID] = true
	}
	if ids["S01"] || !ids["S02"] || !ids["D25"] || len(c.Clauses) != 26 {
		t.Errorf("obs clauses: %d listed, S01 %v (want false), S02 %v (want true)", len(c.Clauses), ids["S01"], ids["S02"])
	}
}
