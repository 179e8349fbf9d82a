package reports

import (
	"github.com/partcopy/partcopy/suites/clause"
)

// Clause is one numbered clause of the catalogue (package suites/clause,
// docs/clauses.md): a D clause comes from the vendor's page "Upload Part -
// Copy", an S clause is widely documented S3 behaviour the page leaves
// implicit.
type Clause struct {
	ID    string
	Title string
}

// Clauses lists every clause ID with its one-line title, in catalogue
// order. The conformance report lists each clause of the profile, covered
// or not, so that a clause without a spec shows as a gap instead of
// disappearing.
var Clauses = func() []Clause {
	out := make([]Clause, 0, len(clause.All))
	for _, c := range clause.All {
		out = append(out, Clause{ID: c.ID, Title: c.Title})
	}
	return out
}()

// Profile names. A vendor may be certified against the document alone
// (ProfileOBS: D clauses) or the document plus common S3 behaviour
// (ProfileS3: D and S clauses).
const (
	ProfileOBS = string(clause.OBS)
	ProfileS3  = string(clause.S3)
)

// IsClauseID reports whether s has the shape of a clause ID (D01, S08, ...).
func IsClauseID(s string) bool { return clause.IsID(s) }

// ClauseTitle returns the one-line title of a known clause.
func ClauseTitle(id string) (string, bool) {
	c, ok := clause.Lookup(id)
	return c.Title, ok
}

// ProfileClauses returns the clauses a profile certifies, in document order:
// D only for "obs", D and S for "s3". ok is false for an unknown profile.
func ProfileClauses(profile string) (clauses []Clause, ok bool) {
	switch profile {
	case ProfileS3, ProfileOBS:
	default:
		return nil, false
	}
	for _, c := range clause.ForProfile(clause.Profile(profile)) {
		clauses = append(clauses, Clause{ID: c.ID, Title: c.Title})
	}
	return clauses, true
}

// SortClauseIDs orders clause IDs in place as the catalogue does: D before
// S, then by number.
func SortClauseIDs(ids []string) { clause.Sort(ids) }
