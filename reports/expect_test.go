package reports

import (
	"path/filepath"
	"strings"
	"testing"
)

func expectFixture() Conformance {
	c := Conformance{Profile: "s3", Specs: []SpecResult{
		{Name: "copy works", Clauses: []string{"D01"}, State: StatePassed},
		{Name: "alt refused", Clauses: []string{"D21"}, State: StateFailed, Message: "the copy must fail, but it succeeded", Observed: []string{"status=200 code="}},
		{Name: "cold", Clauses: []string{"D05"}, State: StateUnsupported, Message: "unsupported: no cold storage class (400 InvalidStorageClass)"},
		{Name: "ranges", Clauses: []string{"S01"}, State: StateFailed, Observed: []string{"status=416 code=InvalidRange", "status=400 code=InvalidArgument"}},
	}}
	c.Recompute()
	return c
}

func verdictOf(e Expected, id string) ExpectedClause {
	for _, c := range e.Clauses {
		if c.ID == id {
			return c
		}
	}
	return ExpectedClause{}
}

// TestExpectedFromKeepsConfirmedReasons: a new expectation marks every
// failing clause TODO, takes an unsupported spec's reason, and keeps a
// person's reason only while the verdict stays the same.
func TestExpectedFromKeepsConfirmedReasons(t *testing.T) {
	c := expectFixture()
	e := ExpectedFrom(c, "srv", "1.0", Expected{})
	if got := verdictOf(e, "D21"); got.Verdict != VerdictFail || got.Reason != ReasonTODO || len(got.Failing) != 1 {
		t.Errorf("D21: %+v", got)
	}
	if got := verdictOf(e, "D05"); got.Verdict != VerdictUnsupported || got.Reason != "no cold storage class (400 InvalidStorageClass)" {
		t.Errorf("D05: %+v", got)
	}
	if got := verdictOf(e, "D01"); got.Verdict != VerdictPass || got.Reason != "" {
		t.Errorf("D01: %+v", got)
	}
	if got := verdictOf(e, "S01"); strings.Join(got.Observed, ";") != "status=400 code=InvalidArgument;status=416 code=InvalidRange" {
		t.Errorf("S01 observed not sorted: %v", got.Observed)
	}
	if len(e.Clauses) != 33 {
		t.Errorf("%d clauses, want every clause of the s3 profile", len(e.Clauses))
	}
	// A person confirms D21; an update with the same verdict keeps it.
	for i := range e.Clauses {
		if e.Clauses[i].ID == "D21" {
			e.Clauses[i].Reason = "alt copied into main's upload: 200"
		}
	}
	e2 := ExpectedFrom(c, "srv", "1.0", e)
	if got := verdictOf(e2, "D21"); got.Reason != "alt copied into main's upload: 200" {
		t.Errorf("confirmed reason lost: %+v", got)
	}
	// The verdict changes: the old reason no longer applies.
	c.Specs[1].State = StatePassed
	c.Recompute()
	e3 := ExpectedFrom(c, "srv", "1.0", e)
	if got := verdictOf(e3, "D21"); got.Verdict != VerdictPass || got.Reason != "" {
		t.Errorf("stale reason kept: %+v", got)
	}
}

// TestCheckExpected: a changed verdict is a mismatch naming the specs; an
// unconfirmed reason is a problem; a faithful run is neither.
func TestCheckExpected(t *testing.T) {
	c := expectFixture()
	e := ExpectedFrom(c, "srv", "1.0", Expected{})
	mism, problems := CheckExpected(e, c)
	if len(mism) != 0 {
		t.Errorf("mismatches on the run the expectation came from: %+v", mism)
	}
	if len(problems) != 2 { // D21 and S01 are TODO
		t.Errorf("problems = %v, want the two TODO reasons", problems)
	}
	for i := range e.Clauses {
		if e.Clauses[i].Reason == ReasonTODO {
			e.Clauses[i].Reason = "confirmed"
		}
	}
	if _, problems := CheckExpected(e, c); len(problems) != 0 {
		t.Errorf("problems after confirming: %v", problems)
	}
	// The server starts refusing alt (D21 passes): a change is a change,
	// better or worse.
	c.Specs[1].State = StatePassed
	c.Recompute()
	mism, _ = CheckExpected(e, c)
	if len(mism) != 1 || mism[0].ID != "D21" || mism[0].Expected != VerdictFail || mism[0].Actual != VerdictPass {
		t.Errorf("mismatches = %+v", mism)
	}
	// A profile mix-up is a problem.
	c.Profile = "obs"
	if _, problems := CheckExpected(e, c); len(problems) == 0 {
		t.Error("profile mismatch not reported")
	}
}

// TestExpectedRoundTripAndMatrix: files round-trip, a wrong schema is
// refused, and the matrix shows every clause, verdict, evidence and reason.
func TestExpectedRoundTripAndMatrix(t *testing.T) {
	e := ExpectedFrom(expectFixture(), "srv", "1.0", Expected{})
	for i := range e.Clauses {
		if e.Clauses[i].ID == "D21" {
			e.Clauses[i].Reason = "alt | copied into main's upload"
		}
	}
	path := filepath.Join(t.TempDir(), "srv-s3.json")
	if err := WriteExpected(path, e); err != nil {
		t.Fatal(err)
	}
	back, err := ReadExpected(path)
	if err != nil || len(back.Clauses) != len(e.Clauses) || back.Server != "srv" {
		t.Fatalf("round trip: %v %+v", err, back)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	e.Schema = "partcopy/expected/v0"
	_ = WriteExpected(bad, e)
	if _, err := ReadExpected(bad); err == nil {
		t.Error("wrong schema accepted")
	}
	var b strings.Builder
	if err := WriteMatrix(&b, []Expected{back}); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{"| D01 |", "| S08 |", "**FAIL**", "*unsupported*", "status=416 code=InvalidRange", "alt | copied into main's upload", "srv (s3)"} {
		if !strings.Contains(md, want) {
			t.Errorf("matrix lacks %q", want)
		}
	}
}
