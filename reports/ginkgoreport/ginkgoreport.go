package ginkgoreport

import (
	"encoding/json"
	"fmt"
	"strings"

	ginkgotypes "github.com/onsi/ginkgo/v2/types"

	"github.com/partcopy/partcopy/reports"
	"github.com/partcopy/partcopy/suites/clause"
)

// Report entry names the suites attach to a spec with AddReportEntry,
// declared once in the clause catalogue.
const (
	// EntryExchange holds a JSON array of already-redacted HTTP exchange
	// records (requests and responses) of the spec.
	EntryExchange = clause.EntryExchange
	// EntryObserved holds what the endpoint answered where the document
	// names no error code, e.g. "status=403 code=AccessDenied".
	EntryObserved = clause.EntryObserved
)

// FromGinkgo builds a conformance report from a Ginkgo report. Every clause
// of meta.Profile is listed, covered or not. All strings are redacted with
// meta.Secrets and the built-in patterns (see reports.NewConformance).
func FromGinkgo(r ginkgotypes.Report, meta reports.Meta) reports.Conformance {
	suiteFailures := append([]string(nil), r.SpecialSuiteFailureReasons...)
	specs := []reports.SpecResult{}
	for _, sr := range r.SpecReports {
		if sr.LeafNodeType != ginkgotypes.NodeTypeIt {
			// Suite-level nodes are not specs, but their failure (a
			// BeforeSuite that could not create buckets) fails the run.
			if sr.State.Is(ginkgotypes.SpecStateFailureStates) {
				suiteFailures = append(suiteFailures, fmt.Sprintf("%s: %s", sr.LeafNodeType, sr.Failure.Message))
			}
			continue
		}
		specs = append(specs, specFromGinkgo(sr))
	}
	return reports.NewConformance(meta, specs, suiteFailures)
}

// specFromGinkgo converts one It.
func specFromGinkgo(sr ginkgotypes.SpecReport) reports.SpecResult {
	s := reports.SpecResult{
		Name:            sr.FullText(),
		Clauses:         []string{},
		Labels:          []string{},
		DurationSeconds: sr.RunTime.Seconds(),
	}
	// The clause comes from the spec's labels only: its text is prose, and
	// a container cannot speak for every spec it will ever hold.
	ids, caps, other := clause.FromLabels(sr.Labels())
	s.Clauses = append(s.Clauses, ids...)
	s.Labels = append(s.Labels, other...)
	for _, c := range caps {
		s.Needs = append(s.Needs, string(c))
	}

	msg := sr.Failure.Message
	switch {
	case sr.State == ginkgotypes.SpecStatePassed:
		s.State = reports.StatePassed
		msg = ""
	case sr.State == ginkgotypes.SpecStateSkipped && strings.HasPrefix(strings.TrimSpace(msg), reports.UnsupportedPrefix):
		s.State = reports.StateUnsupported
		msg = strings.TrimSpace(msg)
	case sr.State == ginkgotypes.SpecStateSkipped:
		s.State = reports.StateSkipped
	case sr.State == ginkgotypes.SpecStatePending:
		s.State = reports.StateSkipped
		msg = "pending"
	case sr.State.Is(ginkgotypes.SpecStateFailureStates):
		s.State = reports.StateFailed
		if sr.State != ginkgotypes.SpecStateFailed {
			// Panicked, timed out, interrupted, aborted: say which.
			msg = sr.State.String() + ": " + msg
		}
		if sr.Failure.ForwardedPanic != "" {
			msg += "\n" + sr.Failure.ForwardedPanic
		}
	default:
		s.State = reports.StateSkipped
	}
	s.Message = msg
	// Where it failed or skipped if Ginkgo knows, else where the spec is.
	loc := sr.Failure.Location
	if loc.FileName == "" {
		loc = sr.LeafNodeLocation
	}
	if loc.FileName != "" {
		// Relative to the module: no building machine's paths in a report.
		s.Location = reports.ModuleRelative(fmt.Sprintf("%s:%d", loc.FileName, loc.LineNumber))
	}

	for _, e := range sr.ReportEntries {
		switch e.Name {
		case EntryObserved:
			if v := entryString(e); v != "" && s.State != reports.StateSkipped {
				s.Observed = append(s.Observed, v)
			}
		case EntryExchange:
			// The suites attach exchanges to failed specs only (the
			// evidence a vendor needs), unless asked for every spec's
			// (--record-all, which the self-tests use): keep what came.
			s.Exchange = append(s.Exchange, exchangeRecords(entryString(e))...)
		}
	}
	return s
}

// entryString returns a report entry's value as the string the suite passed.
// In-process the raw value is the string; rehydrated from JSON (or from a
// parallel process) only AsJSON / Representation are left.
func entryString(e ginkgotypes.ReportEntry) string {
	if s, ok := e.Value.GetRawValue().(string); ok {
		return s
	}
	if e.Value.AsJSON != "" {
		var s string
		if json.Unmarshal([]byte(e.Value.AsJSON), &s) == nil {
			return s
		}
	}
	return e.StringRepresentation()
}

// exchangeRecords splits a JSON array of records into its elements; a value
// that is not a JSON array is kept as one record (a JSON string if it is not
// JSON at all) so that no evidence is lost.
func exchangeRecords(v string) []json.RawMessage {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	var arr []json.RawMessage
	if err := json.Unmarshal([]byte(v), &arr); err == nil {
		return arr
	}
	if json.Valid([]byte(v)) {
		return []json.RawMessage{json.RawMessage(v)}
	}
	b, _ := json.Marshal(v)
	return []json.RawMessage{b}
}
