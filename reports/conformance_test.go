package reports

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
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

// TestNewConformance checks the report derived from the fixture's specs:
// header, endpoint without credentials, summary, and every clause of the
// profile in order with its derived verdict. (How a Ginkgo report becomes
// these specs is tested in ginkgoreport.)
func TestNewConformance(t *testing.T) {
	specs := fixtureSpecs(t)
	c := NewConformance(fixtureMeta(), specs, nil)

	if c.Schema != ConformanceSchema || c.Profile != ProfileS3 || c.PartcopyVersion != "v0.1.0-test" {
		t.Errorf("header: %+v", c)
	}
	if c.Endpoint != "http://127.0.0.1:9000/" {
		t.Errorf("endpoint = %q, want credentials stripped", c.Endpoint)
	}
	if c.Implementation == nil || c.Implementation.Name != "refserver" {
		t.Errorf("implementation = %+v", c.Implementation)
	}
	if !c.GeneratedAt.Equal(fixtureMeta().Time) {
		t.Errorf("generatedAt = %v", c.GeneratedAt)
	}
	if c.Result != ResultFail {
		t.Errorf("result = %s, want fail", c.Result)
	}
	wantSummary := Summary{Passed: 3, Failed: 2, Skipped: 2, Unsupported: 2}
	if c.Summary != wantSummary {
		t.Errorf("summary = %+v, want %+v", c.Summary, wantSummary)
	}
	if len(c.Specs) != 9 {
		t.Fatalf("got %d specs, want 9", len(c.Specs))
	}
	// The caller's specs are not redacted in place: the report is a copy.
	if !strings.Contains(specs[1].Message, secretKey) || strings.Contains(c.Specs[1].Message, secretKey) {
		t.Errorf("input message %q, report message %q", specs[1].Message, c.Specs[1].Message)
	}
	if !strings.Contains(string(specs[1].Exchange[0]), sseKey) || strings.Contains(string(c.Specs[1].Exchange[0]), sseKey) {
		t.Errorf("exchange record not copied before redaction")
	}
	if len(c.Specs[1].Exchange) != 2 || len(c.Specs[4].Exchange) != 1 {
		t.Errorf("exchange records: failed %d, recorded passed %d", len(c.Specs[1].Exchange), len(c.Specs[4].Exchange))
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
		"D18": VerdictPass, "D22": VerdictNotRun, "S02": VerdictNotRun, "S03": VerdictNotRun,
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
		t.Errorf("D18 observed = %v", got)
	}
	if got := verdicts["D03"].Observed; !slices.Equal(got, []string{"status=200 code="}) {
		t.Errorf("D03 observed = %v", got)
	}
	if got := verdicts["D02"]; len(got.Specs) != 0 || got.Specs == nil || got.Observed == nil {
		t.Errorf("uncovered D02 = %+v, want empty non-nil lists", got)
	}
}

func TestNewConformanceMeta(t *testing.T) {
	passed := []SpecResult{{Name: "p", Clauses: []string{"D01"}, State: StatePassed}}
	tests := []struct {
		name      string
		meta      Meta
		specs     []SpecResult
		failures  []string
		endpoint  string
		impl      *Implementation
		result    Result
		nFailures int
	}{
		{"no specs", Meta{Profile: ProfileOBS}, nil, nil, "", nil, ResultPartial, 0},
		{"empty implementation is none", Meta{Endpoint: "http://127.0.0.1:1", Implementation: &Implementation{}}, passed, nil,
			"http://127.0.0.1:1", nil, ResultPartial, 0},
		{"version only", Meta{Implementation: &Implementation{Version: "2"}}, passed, nil, "", &Implementation{Version: "2"}, ResultPartial, 0},
		{"user info and signature", Meta{Endpoint: "https://ak:s/k@h:9000/p?X-Amz-Signature=ff"}, passed, nil,
			"https://h:9000/p?X-Amz-Signature=[REDACTED]", nil, ResultPartial, 0},
		{"suite failure fails a passing run", Meta{}, passed, []string{"BeforeSuite: cannot create bucket"}, "", nil, ResultFail, 1},
		{"interrupted", Meta{}, passed, []string{"Interrupted by User", "AfterSuite: x"}, "", nil, ResultFail, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := time.Now().UTC()
			c := NewConformance(tt.meta, tt.specs, tt.failures)
			if c.Specs == nil || len(c.Specs) != len(tt.specs) {
				t.Errorf("specs = %v, want %d (non-nil)", c.Specs, len(tt.specs))
			}
			if c.Endpoint != tt.endpoint {
				t.Errorf("endpoint = %q, want %q", c.Endpoint, tt.endpoint)
			}
			if (c.Implementation == nil) != (tt.impl == nil) || (tt.impl != nil && *c.Implementation != *tt.impl) {
				t.Errorf("implementation = %+v, want %+v", c.Implementation, tt.impl)
			}
			if tt.meta.Implementation != nil && c.Implementation == tt.meta.Implementation {
				t.Error("implementation is shared with the caller's Meta")
			}
			if c.Result != tt.result || len(c.SuiteFailures) != tt.nFailures {
				t.Errorf("result %s, suite failures %v; want %s, %d", c.Result, c.SuiteFailures, tt.result, tt.nFailures)
			}
			// Zero Meta.Time means now, in UTC.
			if c.GeneratedAt.Before(before) || c.GeneratedAt.Location() != time.UTC {
				t.Errorf("generatedAt = %v, want now in UTC", c.GeneratedAt)
			}
		})
	}
}

// TestNewConformanceProfile: under obs, a D clause with only an unsupported
// spec makes no failure, and an S clause whose spec ran is listed after the
// D clauses, not hidden.
func TestNewConformanceProfile(t *testing.T) {
	c := NewConformance(Meta{Endpoint: "http://127.0.0.1:1", Profile: ProfileOBS}, []SpecResult{
		{Name: "unsupported only", Clauses: []string{"D05"}, State: StateUnsupported, Message: "unsupported: no archive tier"},
		{Name: "s clause under obs", Clauses: []string{"S01"}, State: StatePassed},
	}, nil)
	if c.Result != ResultPartial {
		t.Errorf("result = %s, want partial (nothing failed, but D05 is unsupported and most clauses not run)", c.Result)
	}
	if len(c.Clauses) != 26 || c.Clauses[25].ID != "S01" || c.Clauses[4].Verdict != VerdictUnsupported {
		t.Errorf("obs clauses = %d, last %s, D05 %s", len(c.Clauses), c.Clauses[len(c.Clauses)-1].ID, c.Clauses[4].Verdict)
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

// TestResults: error before incomplete before fail before partial before
// pass; blocked is a clause verdict of its own, never fail.
func TestResults(t *testing.T) {
	all := func(state SpecState, except map[string]SpecState) []SpecResult {
		var specs []SpecResult
		for _, cl := range Clauses {
			st := state
			if e, ok := except[cl.ID]; ok {
				st = e
			}
			sp := SpecResult{Name: "spec " + cl.ID, Clauses: []string{cl.ID}, State: st}
			if st == StateBlocked {
				sp.BlockedBy = "S08"
			}
			specs = append(specs, sp)
		}
		return specs
	}
	tests := []struct {
		name   string
		meta   Meta
		specs  []SpecResult
		result Result
		d03    Verdict
	}{
		{"every clause passes", Meta{Profile: ProfileS3}, all(StatePassed, nil), ResultPass, VerdictPass},
		{"one unsupported", Meta{Profile: ProfileS3}, all(StatePassed, map[string]SpecState{"D05": StateUnsupported}), ResultPartial, VerdictPass},
		{"blocked by a failing clause", Meta{Profile: ProfileS3}, all(StatePassed, map[string]SpecState{"D03": StateBlocked, "S08": StateFailed}), ResultFail, VerdictBlocked},
		{"blocked alone is partial", Meta{Profile: ProfileS3}, all(StatePassed, map[string]SpecState{"D03": StateBlocked}), ResultPartial, VerdictBlocked},
		{"interrupted", Meta{Profile: ProfileS3, Interrupted: true}, all(StatePassed, map[string]SpecState{"D03": StateInterrupted}), ResultIncomplete, VerdictNotRun},
		{"interrupted with a failure", Meta{Profile: ProfileS3}, all(StatePassed, map[string]SpecState{"D03": StateInterrupted, "D04": StateFailed}), ResultIncomplete, VerdictNotRun},
		{"config error", Meta{Profile: ProfileS3, ConfigError: "wrong region: use --region us-east-1"}, all(StateSkipped, map[string]SpecState{"D03": StateError}), ResultError, VerdictNotRun},
		{"endpoint down", Meta{Profile: ProfileS3, Incidents: []Incident{{Spec: "spec D02"}}}, all(StatePassed, map[string]SpecState{"D02": StateFailed, "D03": StateNotRun}), ResultFail, VerdictNotRun},
	}
	for _, tt := range tests {
		c := NewConformance(tt.meta, tt.specs, nil)
		var d03 Verdict
		for _, cl := range c.Clauses {
			if cl.ID == "D03" {
				d03 = cl.Verdict
			}
		}
		if c.Result != tt.result || d03 != tt.d03 {
			t.Errorf("%s: result %s, D03 %s; want %s, %s", tt.name, c.Result, d03, tt.result, tt.d03)
		}
	}
}
