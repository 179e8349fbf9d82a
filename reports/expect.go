package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// ExpectedSchema is the schema of an expectation file: the verdict a real
// server is known to give for each clause, with the reason for every
// clause it fails (confirmed by reading the exchange).
const ExpectedSchema = "partcopy/expected/v1"

// Expected is one server's expected verdicts under one profile.
type Expected struct {
	Schema  string `json:"schema"`
	Server  string `json:"server"`
	Version string `json:"version,omitempty"`
	Profile string `json:"profile"`
	// Clauses holds every clause of the profile.
	Clauses []ExpectedClause `json:"clauses"`
}

// ExpectedClause is one clause's expected verdict.
type ExpectedClause struct {
	ID      string  `json:"id"`
	Verdict Verdict `json:"verdict"`
	// Observed are the statuses/codes the server answered (evidence).
	Observed []string `json:"observed,omitempty"`
	// Reason says, in one line, why the server fails (or is unsupported
	// for) the clause: what it answered vs what the clause requires.
	Reason string `json:"reason,omitempty"`
	// Failing names the specs that failed, as evidence.
	Failing []string `json:"failing,omitempty"`
}

// ReasonTODO marks a reason not yet confirmed by a person.
const ReasonTODO = "TODO: confirm from the exchange"

// ReadExpected reads an expectation file.
func ReadExpected(path string) (Expected, error) {
	var e Expected
	data, err := ReadBounded(path, MaxInputSize)
	if err != nil {
		return e, err
	}
	if err := json.Unmarshal(data, &e); err != nil {
		return e, fmt.Errorf("%s: %w", path, err)
	}
	if e.Schema != ExpectedSchema {
		return e, fmt.Errorf("%s: schema %q, want %q", path, e.Schema, ExpectedSchema)
	}
	return e, nil
}

// WriteExpected writes e as indented JSON.
func WriteExpected(path string, e Expected) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := writeIndentedJSON(f, e); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ExpectedFrom builds an expectation from an actual report, keeping the
// reasons of prev (a previous expectation, may be zero) for clauses whose
// verdict did not change, and marking the rest ReasonTODO where a reason
// is owed (fail or unsupported).
func ExpectedFrom(c Conformance, server, version string, prev Expected) Expected {
	old := map[string]ExpectedClause{}
	for _, ec := range prev.Clauses {
		old[ec.ID] = ec
	}
	e := Expected{Schema: ExpectedSchema, Server: server, Version: version, Profile: c.Profile}
	for _, cl := range c.Clauses {
		// Sorted: specs run in random order, and the same answers must
		// give the same file.
		observed := append([]string(nil), cl.Observed...)
		sort.Strings(observed)
		ec := ExpectedClause{ID: cl.ID, Verdict: cl.Verdict, Observed: observed}
		for _, s := range c.Specs {
			if s.State == StateFailed && containsString(s.Clauses, cl.ID) {
				ec.Failing = append(ec.Failing, s.Name)
			}
		}
		if p, ok := old[cl.ID]; ok && p.Verdict == cl.Verdict && p.Reason != "" {
			ec.Reason = p.Reason
		} else if reasonOwed(cl.Verdict) {
			ec.Reason = ReasonTODO
			switch cl.Verdict {
			case VerdictUnsupported:
				ec.Reason = stateReason(c, cl.ID, StateUnsupported, UnsupportedPrefix)
			case VerdictBlocked:
				ec.Reason = stateReason(c, cl.ID, StateBlocked, "")
			}
		}
		e.Clauses = append(e.Clauses, ec)
	}
	return e
}

// reasonOwed reports verdicts whose expectation needs a confirmed reason.
func reasonOwed(v Verdict) bool {
	return v == VerdictFail || v == VerdictUnsupported || v == VerdictBlocked
}

// stateReason is the message of the first spec of id in state, without
// prefix.
func stateReason(c Conformance, id string, state SpecState, prefix string) string {
	for _, s := range c.Specs {
		if s.State == state && containsString(s.Clauses, id) {
			return strings.TrimSpace(strings.TrimPrefix(s.Message, prefix))
		}
	}
	return ReasonTODO
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// Mismatch is a clause whose actual verdict differs from the expected one.
type Mismatch struct {
	ID       string
	Expected Verdict
	Actual   Verdict
	Specs    []string
}

// CheckExpected compares an actual report with an expectation. It returns
// every clause whose verdict changed, and problems with the expectation
// itself (a failing clause without a confirmed reason).
func CheckExpected(e Expected, c Conformance) (mismatches []Mismatch, problems []string) {
	actual := map[string]ClauseResult{}
	for _, cl := range c.Clauses {
		actual[cl.ID] = cl
	}
	for _, ec := range e.Clauses {
		a, ok := actual[ec.ID]
		if !ok {
			mismatches = append(mismatches, Mismatch{ID: ec.ID, Expected: ec.Verdict, Actual: "missing"})
			continue
		}
		if a.Verdict != ec.Verdict {
			var specs []string
			for _, s := range c.Specs {
				if containsString(s.Clauses, ec.ID) && (s.State == StateFailed || s.State == StateUnsupported || s.State == StateBlocked) {
					specs = append(specs, fmt.Sprintf("%s [%s]: %s", s.Name, s.State, clip(firstLine(s.Message), 200)))
				}
			}
			mismatches = append(mismatches, Mismatch{ID: ec.ID, Expected: ec.Verdict, Actual: a.Verdict, Specs: specs})
		}
		if reasonOwed(ec.Verdict) && (ec.Reason == "" || ec.Reason == ReasonTODO) {
			problems = append(problems, fmt.Sprintf("%s: expected %s without a confirmed reason", ec.ID, ec.Verdict))
		}
	}
	if e.Profile != c.Profile {
		problems = append(problems, fmt.Sprintf("profile %q expected, report has %q", e.Profile, c.Profile))
	}
	return mismatches, problems
}

// WriteMatrix renders docs/compatibility.md: a clause x server matrix
// from expectation files, with the observed status/code and every
// reason as evidence.
func WriteMatrix(w io.Writer, exps []Expected) error {
	sort.SliceStable(exps, func(i, j int) bool {
		if exps[i].Server != exps[j].Server {
			return exps[i].Server < exps[j].Server
		}
		return exps[i].Profile < exps[j].Profile
	})
	var b strings.Builder
	b.WriteString("# Compatibility matrix\n\n")
	b.WriteString("Generated by `make compat` from `testdata/expected/*.json`, which `make test` checks against live runs of\n")
	b.WriteString("`partcopy conform` on each server (a changed verdict fails the test run). Do not edit by hand.\n\n")
	b.WriteString("Verdicts: **pass**, **FAIL** (the server breaks the clause; the reason below says how), *blocked* (another\n")
	b.WriteString("clause's deviation stopped every spec of the clause in its setup), *unsupported* (the server lacks a capability\n")
	b.WriteString("the clause needs), not-run. Observed = the status and error code the server answered where the document names\n")
	b.WriteString("none. The clauses are described in [clauses.md](clauses.md).\n\n")
	b.WriteString("| server | version | profile | pass | fail | blocked | unsupported | not-run |\n|---|---|---|---|---|---|---|---|\n")
	for _, e := range exps {
		n := map[Verdict]int{}
		for _, c := range e.Clauses {
			n[c.Verdict]++
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %d | %d | %d | %d |\n", e.Server, e.Version, e.Profile,
			n[VerdictPass], n[VerdictFail], n[VerdictBlocked], n[VerdictUnsupported], n[VerdictNotRun])
	}
	b.WriteString("\n## Clause by clause\n\n| clause | title |")
	for _, e := range exps {
		fmt.Fprintf(&b, " %s (%s) |", e.Server, e.Profile)
	}
	b.WriteString("\n|---|---|")
	for range exps {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	byID := make([]map[string]ExpectedClause, len(exps))
	ids := []string{}
	seen := map[string]bool{}
	for i, e := range exps {
		byID[i] = map[string]ExpectedClause{}
		for _, c := range e.Clauses {
			byID[i][c.ID] = c
			if !seen[c.ID] {
				seen[c.ID] = true
				ids = append(ids, c.ID)
			}
		}
	}
	SortClauseIDs(ids)
	for _, id := range ids {
		title, _ := ClauseTitle(id)
		fmt.Fprintf(&b, "| %s | %s |", id, mdCell(title))
		for i := range exps {
			c, ok := byID[i][id]
			if !ok {
				b.WriteString(" — |")
				continue
			}
			cell := verdictCell(c.Verdict)
			if len(c.Observed) > 0 {
				cell += "<br>" + mdCell(strings.Join(uniq(c.Observed), "; "))
			}
			b.WriteString(" " + cell + " |")
		}
		b.WriteString("\n")
	}
	b.WriteString("\n## Reasons\n\n")
	for _, e := range exps {
		var lines []string
		for _, c := range e.Clauses {
			if c.Reason != "" {
				lines = append(lines, fmt.Sprintf("- **%s** %s: %s", c.ID, verdictCell(c.Verdict), c.Reason))
			}
		}
		if len(lines) == 0 {
			continue
		}
		fmt.Fprintf(&b, "### %s %s (profile %s)\n\n%s\n\n", e.Server, e.Version, e.Profile, strings.Join(lines, "\n"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func verdictCell(v Verdict) string {
	switch v {
	case VerdictPass:
		return "**pass**"
	case VerdictFail:
		return "**FAIL**"
	case VerdictUnsupported:
		return "*unsupported*"
	case VerdictBlocked:
		return "*blocked*"
	default:
		return string(v)
	}
}

func uniq(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	if len(out) > 4 {
		out = append(out[:4], fmt.Sprintf("+%d more", len(out)-4))
	}
	return out
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
