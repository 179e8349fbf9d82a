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
//
// Ginkgo's own words become partcopy's outcomes here: a Skip with the
// catalogue's unsupported, blocked or not-run prefix is that state; an
// interrupted spec (Ctrl-C, --timeout) is interrupted and the run
// incomplete, never failed; a spec that carries the config-error entry is
// error and its line the report's ConfigError; a failed spec that carries
// the endpoint-down entry fails with the catalogue's crash message and is
// the report's endpoint incident (meta.Incidents, from the suites, may
// already hold it: it is not repeated).
func FromGinkgo(r ginkgotypes.Report, meta reports.Meta) reports.Conformance {
	var suiteFailures []string
	for _, reason := range r.SpecialSuiteFailureReasons {
		if isInterruptReason(reason) {
			meta.Interrupted = true
			continue
		}
		suiteFailures = append(suiteFailures, reason)
	}
	specs := []reports.SpecResult{}
	known := map[string]bool{}
	for _, in := range meta.Incidents {
		known[in.Spec] = true
	}
	for _, sr := range r.SpecReports {
		if sr.LeafNodeType != ginkgotypes.NodeTypeIt {
			// Suite-level nodes are not specs, but their failure (a
			// BeforeSuite that could not create buckets) fails the run.
			if sr.State.Is(ginkgotypes.SpecStateFailureStates) {
				suiteFailures = append(suiteFailures, fmt.Sprintf("%s: %s", sr.LeafNodeType, sr.Failure.Message))
			}
			continue
		}
		s := specFromGinkgo(sr)
		switch {
		case s.State == reports.StateInterrupted:
			meta.Interrupted = true
		case s.State == reports.StateError && meta.ConfigError == "":
			meta.ConfigError = entryValue(sr, clause.EntryConfigError)
		case s.EndpointDown && !known[s.Name]:
			known[s.Name] = true
			meta.Incidents = append(meta.Incidents, reports.Incident{Spec: s.Name, Message: entryValue(sr, clause.EntryEndpointDown)})
		}
		specs = append(specs, s)
	}
	return reports.NewConformance(meta, specs, suiteFailures)
}

// isInterruptReason reports a Ginkgo special failure reason that says the
// run was interrupted (a signal, or the suite's --timeout).
func isInterruptReason(reason string) bool {
	r := strings.ToLower(reason)
	return strings.Contains(r, "interrupt") || strings.Contains(r, "timeout")
}

// entryValue is the value of the first report entry named name.
func entryValue(sr ginkgotypes.SpecReport, name string) string {
	for _, e := range sr.ReportEntries {
		if e.Name == name {
			return entryString(e)
		}
	}
	return ""
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
	trimmed := strings.TrimSpace(msg)
	switch {
	case entryValue(sr, clause.EntryConfigError) != "":
		// Whatever Ginkgo made of it (aborted, failed): the run was
		// stopped by the configuration, not by the endpoint's behaviour.
		s.State = reports.StateError
		msg = entryValue(sr, clause.EntryConfigError)
	case sr.State == ginkgotypes.SpecStatePassed:
		s.State = reports.StatePassed
		msg = ""
	case sr.State == ginkgotypes.SpecStateSkipped && strings.HasPrefix(trimmed, strings.TrimSpace(clause.UnsupportedPrefix)):
		s.State = reports.StateUnsupported
		msg = trimmed
	case sr.State == ginkgotypes.SpecStateSkipped && strings.HasPrefix(trimmed, clause.BlockedPrefix):
		if owner, _, ok := clause.ParseBlocked(trimmed); ok {
			s.State, s.BlockedBy = reports.StateBlocked, owner
		} else {
			s.State = reports.StateSkipped
		}
		msg = trimmed
	case sr.State == ginkgotypes.SpecStateSkipped && strings.HasPrefix(trimmed, strings.TrimSpace(clause.NotRunPrefix)):
		s.State = reports.StateNotRun
		msg = trimmed
	case sr.State == ginkgotypes.SpecStateInterrupted:
		// Ctrl-C or the suite's --timeout stopped it: no verdict.
		s.State = reports.StateInterrupted
		msg = "interrupted: " + msg
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
		if down := entryValue(sr, clause.EntryEndpointDown); down != "" {
			s.EndpointDown = true
			msg = clause.CrashMessage + ": " + down + "\n\n" + msg
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
