package reports

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// stateWeight decides which outcome of the same spec wins when several runs
// report it: a failure anywhere wins (it must not be hidden), then a pass,
// then unsupported, then skipped (a spec filtered out of one process is
// reported as skipped there).
var stateWeight = map[SpecState]int{
	StateFailed:      3,
	StatePassed:      2,
	StateUnsupported: 1,
	StateSkipped:     0,
}

// Merge combines conformance reports of several runs or processes of the
// same endpoint: the union of their specs (a spec reported by several runs
// keeps its most significant outcome: failed > passed > unsupported >
// skipped), the union of their suite failures, and verdicts recomputed. The
// profile is the widest of the inputs (s3 over obs); the time is the latest.
// Reports of different endpoints are not merged.
func Merge(reports ...Conformance) (Conformance, error) {
	if len(reports) == 0 {
		return Conformance{}, errors.New("merge: no reports")
	}
	out := Conformance{
		Schema:          ConformanceSchema,
		GeneratedAt:     reports[0].GeneratedAt,
		PartcopyVersion: reports[0].PartcopyVersion,
		Endpoint:        reports[0].Endpoint,
		Profile:         reports[0].Profile,
		Specs:           []SpecResult{},
	}
	index := map[string]int{}
	seenFailure := map[string]bool{}
	var versions []string
	for i, r := range reports {
		if r.Schema != ConformanceSchema {
			return Conformance{}, fmt.Errorf("merge: report %d: %w %q", i+1, ErrUnknownSchema, r.Schema)
		}
		if r.Endpoint != out.Endpoint {
			return Conformance{}, fmt.Errorf("merge: report %d is for endpoint %s, report 1 for %s", i+1, r.Endpoint, out.Endpoint)
		}
		out.secrets = append(out.secrets, r.secrets...)
		if r.GeneratedAt.After(out.GeneratedAt) {
			out.GeneratedAt = r.GeneratedAt
		}
		if r.Profile != out.Profile {
			if r.Profile == ProfileS3 || out.Profile == ProfileS3 {
				out.Profile = ProfileS3
			} else {
				// Unknown profiles: Recompute then lists every clause.
				out.Profile = out.Profile + "+" + r.Profile
			}
		}
		if out.Implementation == nil && r.Implementation != nil {
			impl := *r.Implementation
			out.Implementation = &impl
		}
		if !slices.Contains(versions, r.PartcopyVersion) {
			versions = append(versions, r.PartcopyVersion)
		}
		for _, f := range r.SuiteFailures {
			if !seenFailure[f] {
				seenFailure[f] = true
				out.SuiteFailures = append(out.SuiteFailures, f)
			}
		}
		for _, s := range r.Specs {
			j, ok := index[s.Name]
			if !ok {
				index[s.Name] = len(out.Specs)
				out.Specs = append(out.Specs, s)
				continue
			}
			if stateWeight[s.State] > stateWeight[out.Specs[j].State] {
				out.Specs[j] = s
			}
		}
	}
	out.PartcopyVersion = strings.Join(versions, ", ")
	// Keep titles of clauses this version does not know.
	for _, r := range reports {
		out.Clauses = append(out.Clauses, r.Clauses...)
	}
	out.Recompute()
	return out, nil
}
