package reports

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/partcopy/partcopy/suites/clause"
)

// ConformanceSchema is the schema identifier of a conformance report.
const ConformanceSchema = "partcopy/conformance/v1"

// UnsupportedPrefix starts the message of a spec whose clause needs a
// capability the endpoint lacks; such a spec is "unsupported", not
// "skipped". It is the catalogue's (suites/clause).
const UnsupportedPrefix = clause.UnsupportedPrefix

// Result is the overall outcome of a conformance run.
type Result string

// Results, from best to worst news.
const (
	// ResultPass: every clause of the profile passed.
	ResultPass Result = "pass"
	// ResultPartial: every spec that ran passed, but some clauses of the
	// profile did not (unsupported, blocked, or not run: a --labels
	// subset).
	ResultPartial Result = "partial"
	// ResultFail: a spec failed, a suite-level failure occurred, or the
	// endpoint stopped answering.
	ResultFail Result = "fail"
	// ResultError: a configuration or transport error stopped the run
	// (wrong region, TLS mismatch, rejected token, DNS); no verdict is
	// about the endpoint.
	ResultError Result = "error"
	// ResultIncomplete: the run was interrupted (Ctrl-C, --timeout).
	ResultIncomplete Result = "incomplete"
)

// SpecState is the outcome of one spec.
type SpecState string

// Spec states. Unsupported is distinct from skipped: the endpoint lacks a
// capability the clause needs, which is an answer, not a gap.
const (
	StatePassed      SpecState = "passed"
	StateFailed      SpecState = "failed"
	StateSkipped     SpecState = "skipped"
	StateUnsupported SpecState = "unsupported"
	// StateBlocked: setup could not go on because of another clause's
	// deviation (BlockedBy names it); not a verdict on the spec's clause.
	StateBlocked SpecState = "blocked"
	// StateNotRun: the spec could not run because the endpoint was down.
	StateNotRun SpecState = "not-run"
	// StateInterrupted: the run was interrupted while the spec ran.
	StateInterrupted SpecState = "interrupted"
	// StateError: a configuration or transport error stopped the spec
	// and the run.
	StateError SpecState = "error"
)

// Verdict is the outcome of one clause, derived from the states of its specs.
type Verdict string

// Verdicts.
const (
	VerdictPass        Verdict = "pass"
	VerdictFail        Verdict = "fail"
	VerdictBlocked     Verdict = "blocked"
	VerdictUnsupported Verdict = "unsupported"
	VerdictNotRun      Verdict = "not-run"
)

// Implementation identifies the endpoint's implementation, as the user names it.
type Implementation struct {
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
}

// Summary counts specs by state.
type Summary struct {
	Passed      int `json:"passed"`
	Failed      int `json:"failed"`
	Skipped     int `json:"skipped"`
	Unsupported int `json:"unsupported"`
	Blocked     int `json:"blocked"`
	NotRun      int `json:"notRun"`
	Interrupted int `json:"interrupted"`
	Errored     int `json:"errored"`
}

// Incident is the endpoint stopping to answer during a spec: the spec
// failed with the catalogue's crash message and the run waited for the
// endpoint (--recover-wait).
type Incident struct {
	// Spec is the spec that was running.
	Spec string `json:"spec"`
	// Message says what was seen: the transport errors and the last
	// exchange.
	Message string `json:"message"`
	// Recovered says whether the endpoint answered again within the wait.
	Recovered bool `json:"recovered"`
	// DownSeconds is how long it did not answer (to recovery, or to the end
	// of the wait).
	DownSeconds float64 `json:"downSeconds"`
}

// ClauseResult is one clause of the profile with the specs that cover it.
type ClauseResult struct {
	ID      string  `json:"id"`
	Title   string  `json:"title"`
	Verdict Verdict `json:"verdict"`
	// Specs names every spec labelled with the clause, whatever its state.
	Specs []string `json:"specs"`
	// Observed collects the observed status/code of the clause's specs that
	// ran, where the document names no code.
	Observed []string `json:"observed"`
}

// SpecResult is one spec of the run.
type SpecResult struct {
	Name    string   `json:"name"`
	Clauses []string `json:"clauses"`
	// Labels are the spec's labels other than clause IDs (features such as
	// "ssec" or "large").
	Labels []string `json:"labels"`
	// Needs are the capabilities the spec declares (clause catalogue
	// names: alt-principal, kms, cold-tier, ...).
	Needs []string  `json:"needs,omitempty"`
	State SpecState `json:"state"`
	// BlockedBy is the clause whose deviation blocked the spec's setup.
	BlockedBy string `json:"blockedBy,omitempty"`
	// EndpointDown marks the failed spec during which the endpoint stopped
	// answering.
	EndpointDown    bool     `json:"endpointDown,omitempty"`
	Message         string   `json:"message,omitempty"`
	Location        string   `json:"location,omitempty"`
	DurationSeconds float64  `json:"durationSeconds"`
	Observed        []string `json:"observed,omitempty"`
	// Exchange holds the HTTP exchange records of a failed spec, as the
	// suites recorded them (redacted again on the way in).
	Exchange []json.RawMessage `json:"exchange,omitempty"`
}

// Conformance is a conformance report, schema partcopy/conformance/v1.
type Conformance struct {
	Schema          string          `json:"schema"`
	GeneratedAt     time.Time       `json:"generatedAt"`
	PartcopyVersion string          `json:"partcopyVersion"`
	Endpoint        string          `json:"endpoint"`
	Implementation  *Implementation `json:"implementation,omitempty"`
	Profile         string          `json:"profile"`
	// RunID is the id in every bucket name the run created (what
	// `partcopy cleanup` matches); "" in reports written before it existed.
	RunID string `json:"runId,omitempty"`
	// Provenance says which build ran how; nil in reports written before
	// it existed.
	Provenance *Provenance `json:"provenance,omitempty"`
	Result     Result      `json:"result"`
	// LabelFilter is the --labels subset the run selected ("" = every
	// spec of the profile).
	LabelFilter string `json:"labelFilter,omitempty"`
	// Interrupted says the run was interrupted (Ctrl-C, --timeout): the
	// result is incomplete.
	Interrupted bool `json:"interrupted,omitempty"`
	// ConfigError is the one line naming the configuration or transport
	// error that stopped the run (the result is error).
	ConfigError string `json:"configError,omitempty"`
	// EndpointIncidents are the times the endpoint stopped answering.
	EndpointIncidents []Incident `json:"endpointIncidents,omitempty"`
	// LeftoverBuckets are test buckets the run could not remove (the
	// endpoint was down at cleanup).
	LeftoverBuckets []string `json:"leftoverBuckets,omitempty"`
	Summary         Summary  `json:"summary"`
	// SuiteFailures lists failures outside any spec (a failed BeforeSuite,
	// an interrupted run); any of them makes the result fail.
	SuiteFailures []string       `json:"suiteFailures,omitempty"`
	Clauses       []ClauseResult `json:"clauses"`
	Specs         []SpecResult   `json:"specs"`

	// secrets are the caller's explicit secrets (Meta.Secrets), kept out of
	// the JSON so that every writer can redact with them once more.
	secrets []string
}

// Meta is what NewConformance needs besides the specs: the run's identity
// and the secrets to redact.
type Meta struct {
	// Endpoint is the endpoint URL; user info is dropped.
	Endpoint string
	// Profile is "obs" or "s3"; another value lists every known clause.
	Profile string
	// Implementation is optional; nil or empty means not given.
	Implementation *Implementation
	// Version is partcopy's version.
	Version string
	// Provenance is the build and command line; nil means not recorded.
	Provenance *Provenance
	// Time is the report's generation time; zero means time.Now().
	Time time.Time
	// Secrets are strings replaced by [REDACTED] wherever they appear
	// (access/secret keys, SSE-C keys, session tokens). Empty ones are ignored.
	Secrets []string
	// LabelFilter is the run's --labels subset; "" means none.
	LabelFilter string
	// Interrupted says the run was interrupted.
	Interrupted bool
	// ConfigError is the configuration or transport error that stopped the
	// run, if any.
	ConfigError string
	// Incidents are the times the endpoint stopped answering.
	Incidents []Incident
	// LeftoverBuckets are buckets the run could not remove.
	LeftoverBuckets []string
	// RunID is the run's id (in its bucket names).
	RunID string
}

// NewConformance builds a conformance report from the specs of a run and the
// failures outside any spec (a failed BeforeSuite, an interrupted run). Every
// clause of meta.Profile is listed, covered or not; Summary, Clauses and
// Result are derived (Recompute). All strings, the exchange records
// included, are redacted with meta.Secrets and the built-in patterns, and
// the secrets travel with the report so that every writer redacts again.
// specs and suiteFailures are not modified; nil specs give an empty list.
func NewConformance(meta Meta, specs []SpecResult, suiteFailures []string) Conformance {
	red := NewRedactor(meta.Secrets...)
	c := Conformance{
		Schema:          ConformanceSchema,
		GeneratedAt:     meta.Time,
		PartcopyVersion: meta.Version,
		Endpoint:        sanitizeEndpoint(red, meta.Endpoint),
		Profile:         meta.Profile,
		RunID:           meta.RunID,
		LabelFilter:     meta.LabelFilter,
		Interrupted:     meta.Interrupted,
		ConfigError:     meta.ConfigError,
		secrets:         append([]string(nil), meta.Secrets...),
	}
	c.EndpointIncidents = append(c.EndpointIncidents, meta.Incidents...)
	c.LeftoverBuckets = append(c.LeftoverBuckets, meta.LeftoverBuckets...)
	if c.GeneratedAt.IsZero() {
		c.GeneratedAt = time.Now()
	}
	c.GeneratedAt = c.GeneratedAt.UTC()
	if meta.Implementation != nil && (meta.Implementation.Name != "" || meta.Implementation.Version != "") {
		impl := *meta.Implementation
		c.Implementation = &impl
	}
	c.Provenance = meta.Provenance
	c.SuiteFailures = append(c.SuiteFailures, suiteFailures...)
	c.Specs = append([]SpecResult{}, specs...)
	c = c.redacted()
	c.Recompute()
	return c
}

// DeriveVerdict is the verdict of a clause whose specs ended in states: fail
// if any failed, else pass if any passed, else blocked if any was blocked
// (another clause's deviation stopped every spec that ran), else
// unsupported if any was unsupported, else not-run (no spec, or only
// skipped, not-run, interrupted or errored ones: nothing was observed).
func DeriveVerdict(states []SpecState) Verdict {
	var passed, blocked, unsupported bool
	for _, s := range states {
		switch s {
		case StateFailed:
			return VerdictFail
		case StatePassed:
			passed = true
		case StateBlocked:
			blocked = true
		case StateUnsupported:
			unsupported = true
		}
	}
	switch {
	case passed:
		return VerdictPass
	case blocked:
		return VerdictBlocked
	case unsupported:
		return VerdictUnsupported
	}
	return VerdictNotRun
}

// Recompute derives Summary, Clauses and Result from Specs, Profile and
// SuiteFailures. Every clause of the profile is listed; a clause outside the
// profile appears too when a spec names it, so no evidence is hidden. Titles
// of clauses not in the table are kept from the existing Clauses.
func (c *Conformance) Recompute() {
	c.Summary = Summary{}
	for _, s := range c.Specs {
		switch s.State {
		case StatePassed:
			c.Summary.Passed++
		case StateFailed:
			c.Summary.Failed++
		case StateUnsupported:
			c.Summary.Unsupported++
		case StateBlocked:
			c.Summary.Blocked++
		case StateNotRun:
			c.Summary.NotRun++
		case StateInterrupted:
			c.Summary.Interrupted++
		case StateError:
			c.Summary.Errored++
		default:
			c.Summary.Skipped++
		}
	}

	oldTitles := map[string]string{}
	for _, cl := range c.Clauses {
		oldTitles[cl.ID] = cl.Title
	}
	base, ok := ProfileClauses(c.Profile)
	if !ok {
		base = Clauses
	}
	var ids []string
	listed := map[string]bool{}
	for _, cl := range base {
		ids = append(ids, cl.ID)
		listed[cl.ID] = true
	}
	var extra []string
	for _, s := range c.Specs {
		// A clause outside the profile is listed only when a spec of it
		// ran: the obs profile filters the S specs out, and listing them
		// as not-run would report gaps the profile never asked about.
		if s.State == StateSkipped {
			continue
		}
		for _, id := range s.Clauses {
			if !listed[id] {
				listed[id] = true
				extra = append(extra, id)
			}
		}
	}
	SortClauseIDs(extra)
	ids = append(ids, extra...)

	c.Clauses = make([]ClauseResult, 0, len(ids))
	for _, id := range ids {
		title, known := ClauseTitle(id)
		if !known {
			title = oldTitles[id]
			if title == "" {
				title = "(clause not in this version of partcopy)"
			}
		}
		cr := ClauseResult{ID: id, Title: title, Specs: []string{}, Observed: []string{}}
		var states []SpecState
		seenObs := map[string]bool{}
		for _, s := range c.Specs {
			if !slices.Contains(s.Clauses, id) {
				continue
			}
			cr.Specs = append(cr.Specs, s.Name)
			states = append(states, s.State)
			for _, o := range s.Observed {
				if !seenObs[o] {
					seenObs[o] = true
					cr.Observed = append(cr.Observed, o)
				}
			}
		}
		cr.Verdict = DeriveVerdict(states)
		c.Clauses = append(c.Clauses, cr)
	}
	c.Result = c.deriveResult(base)
}

// deriveResult is the run's result: error (a configuration error stopped
// it) before incomplete (interrupted) before fail (a spec or the suite
// failed, or the endpoint stopped answering) before partial (a clause of
// the profile did not pass) before pass.
func (c *Conformance) deriveResult(profile []Clause) Result {
	switch {
	case c.ConfigError != "" || c.Summary.Errored > 0:
		return ResultError
	case c.Interrupted || c.Summary.Interrupted > 0:
		return ResultIncomplete
	case c.Summary.Failed > 0 || len(c.SuiteFailures) > 0 || len(c.EndpointIncidents) > 0:
		return ResultFail
	}
	inProfile := map[string]bool{}
	for _, cl := range profile {
		inProfile[cl.ID] = true
	}
	for _, cl := range c.Clauses {
		if inProfile[cl.ID] && cl.Verdict != VerdictPass {
			return ResultPartial
		}
	}
	return ResultPass
}

// redacted returns a deep copy of c with every string redacted.
func (c Conformance) redacted() Conformance {
	r := NewRedactor(c.secrets...)
	out := c
	out.PartcopyVersion = r.String(c.PartcopyVersion)
	out.Endpoint = sanitizeEndpoint(r, c.Endpoint)
	out.Profile = r.String(c.Profile)
	out.Provenance = c.Provenance.redacted(r)
	if c.Implementation != nil {
		out.Implementation = &Implementation{Name: r.String(c.Implementation.Name), Version: r.String(c.Implementation.Version)}
	}
	out.SuiteFailures = r.Strings(c.SuiteFailures)
	out.LabelFilter = r.String(c.LabelFilter)
	out.ConfigError = r.String(c.ConfigError)
	out.LeftoverBuckets = r.Strings(c.LeftoverBuckets)
	if c.EndpointIncidents != nil {
		out.EndpointIncidents = make([]Incident, len(c.EndpointIncidents))
		for i, in := range c.EndpointIncidents {
			in.Spec, in.Message = r.String(in.Spec), r.String(in.Message)
			out.EndpointIncidents[i] = in
		}
	}
	out.Clauses = make([]ClauseResult, len(c.Clauses))
	for i, cl := range c.Clauses {
		out.Clauses[i] = ClauseResult{
			ID:       r.String(cl.ID),
			Title:    r.String(cl.Title),
			Verdict:  cl.Verdict,
			Specs:    r.Strings(cl.Specs),
			Observed: r.Strings(cl.Observed),
		}
	}
	out.Specs = make([]SpecResult, len(c.Specs))
	for i, s := range c.Specs {
		ns := s
		ns.Name = r.String(s.Name)
		ns.Clauses = r.Strings(s.Clauses)
		ns.Labels = r.Strings(s.Labels)
		if s.Needs != nil {
			ns.Needs = r.Strings(s.Needs)
		}
		ns.Message = r.String(s.Message)
		ns.BlockedBy = r.String(s.BlockedBy)
		ns.Location = r.String(s.Location)
		ns.Observed = r.Strings(s.Observed)
		if s.Exchange != nil {
			ns.Exchange = make([]json.RawMessage, len(s.Exchange))
			for j, e := range s.Exchange {
				ns.Exchange[j] = r.JSON(e)
			}
		}
		out.Specs[i] = ns
	}
	return out
}
