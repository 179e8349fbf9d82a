package reports

import (
	_ "embed"
	"io"
	"time"
)

// ClientsSchema is the schema identifier of a client certification report
// (`partcopy clients`).
const ClientsSchema = "partcopy/clients/v1"

//go:embed schema/clients-v1.json
var clientsSchemaJSON []byte

// Files WriteClients writes into its directory.
const (
	FileClientsJSON = "clients.json"
	FileClientsMD   = "clients.md"
	FileClientsHTML = "clients.html"
)

// ClientVerdict is the verdict on one cell: one client against one response
// form.
type ClientVerdict string

// Client verdicts. Silent and false-failure trip the gate; late is a failure
// noticed at the wrong step; not-run means the cell could not be judged (the
// client never sent the copy through the proxy), which is a setup problem,
// not the client's verdict.
const (
	// ClientOK: the copy succeeded and the client reported success with its ETag.
	ClientOK ClientVerdict = "ok"
	// ClientDetected: the copy failed and the client reported an error.
	ClientDetected ClientVerdict = "detected"
	// ClientSilent: the client reported success for a failed copy (or a
	// success with an ETag that is not the copy's).
	ClientSilent ClientVerdict = "silent"
	// ClientFalseFailure: the copy succeeded and the client reported an error.
	ClientFalseFailure ClientVerdict = "false-failure"
	// ClientLate: the copy failed, the client went on to
	// CompleteMultipartUpload and only noticed there.
	ClientLate ClientVerdict = "late"
	// ClientUnsupported: the client could not be run here (with a reason).
	ClientUnsupported ClientVerdict = "unsupported"
	// ClientNotRun: the cell could not be judged.
	ClientNotRun ClientVerdict = "not-run"
)

// ClientVerdicts lists the verdicts in report order.
var ClientVerdicts = []ClientVerdict{ClientOK, ClientDetected, ClientSilent, ClientFalseFailure, ClientLate, ClientUnsupported, ClientNotRun}

// Gates reports whether v trips the regression gate (exit 1).
func (v ClientVerdict) Gates() bool { return v == ClientSilent || v == ClientFalseFailure }

// ClientForm is one response form the proxy gave the copy.
type ClientForm struct {
	// Name is the form's identifier ("control", "error200", ...).
	Name string `json:"name"`
	// Title says what the client receives, in a few words.
	Title string `json:"title"`
	// Rules are the fault proxy rules that produce the form (none: control).
	Rules []string `json:"rules"`
	// Clause is the clause the form is about ("D02", "S06"; "" for none).
	Clause string `json:"clause"`
	// Expect is what a correct client reports: "success" or "error"; ""
	// for a user's form, whose truth is only read from the answers.
	Expect string `json:"expect"`
}

// ClientInfo describes one tested client (one row of the matrix).
type ClientInfo struct {
	// Name is the row's name ("aws-sdk-go-v2", "boto3 (retries off)", a
	// --exec-name).
	Name string `json:"name"`
	// Kind is "builtin" or "exec".
	Kind string `json:"kind"`
	// SDK names the library of a built-in driver ("" for --exec).
	SDK string `json:"sdk"`
	// Retries is "default" or "off" for built-in drivers, "" for --exec.
	Retries string `json:"retries"`
	// Versions are "module version" lines of what was tested.
	Versions []string `json:"versions"`
	// Command is what ran (for --exec the user's command).
	Command string `json:"command"`
	// Unsupported is why the client could not run here ("" when it ran).
	Unsupported string `json:"unsupported"`
}

// ClientReported is what the client said about the copy.
type ClientReported struct {
	// Success is true when the client exited 0 (it believes the copy worked).
	Success bool `json:"success"`
	// ETag is what the client printed on stdout (last line, trimmed).
	ETag string `json:"etag"`
	// Error is the client's error (stderr, last lines, redacted) when it
	// did not report success.
	Error string `json:"error"`
	// ExitCode is the client's exit status (-1: killed or not started).
	ExitCode int `json:"exitCode"`
	// TimedOut is true when the client was killed at the cell timeout.
	TimedOut bool `json:"timedOut"`
}

// ClientAnswer is what the proxy actually sent the client for the copy
// (its last attempt), judged by the D02 rule.
type ClientAnswer struct {
	// Status is the HTTP status sent (0: no answer, e.g. a reset).
	Status int `json:"status"`
	// Outcome is the D02 verdict of that answer (s3call.Kind: "ok",
	// "error-in-200", "empty-200", ...).
	Outcome string `json:"outcome"`
	// ETag is the ETag the answer carried ("" when none).
	ETag string `json:"etag"`
	// Detail is the D02 rule's one-line description of the answer.
	Detail string `json:"detail"`
	// Faults are the proxy's X-Partcopy-Fault marks on the answer.
	Faults []string `json:"faults"`
}

// ClientResult is one cell of the matrix.
type ClientResult struct {
	Client  string        `json:"client"`
	Form    string        `json:"form"`
	Verdict ClientVerdict `json:"verdict"`
	// Attempts counts the copy-part requests that reached the proxy (its
	// own counter): every one re-ran the copy at the target unless the
	// proxy answered it itself.
	Attempts int64 `json:"attempts"`
	// Forwarded counts the attempts the proxy passed on to the target, so
	// the copies the target really ran: attempts minus those the proxy
	// answered itself (status, reset before forwarding).
	Forwarded int64 `json:"forwarded"`
	// AttemptOutcomes is the D02 kind of every copy answer in order ("ok",
	// "empty-200", "http-error:SlowDown", ...).
	AttemptOutcomes []string `json:"attemptOutcomes"`
	// CompleteAttempts counts CompleteMultipartUpload requests of the client.
	CompleteAttempts int64 `json:"completeAttempts"`
	// DurationSeconds is the client's wall time.
	DurationSeconds float64        `json:"durationSeconds"`
	Reported        ClientReported `json:"reported"`
	// Answer is the last copy answer the client received (nil: none).
	Answer *ClientAnswer `json:"answer"`
	// Detail explains the verdict in a sentence.
	Detail string `json:"detail"`
}

// ClientsSummary counts cells by verdict.
type ClientsSummary struct {
	Cells        int `json:"cells"`
	OK           int `json:"ok"`
	Detected     int `json:"detected"`
	Silent       int `json:"silent"`
	FalseFailure int `json:"falseFailure"`
	Late         int `json:"late"`
	Unsupported  int `json:"unsupported"`
	NotRun       int `json:"notRun"`
}

// Clients is a client certification report (schema partcopy/clients/v1).
type Clients struct {
	Schema          string `json:"schema"`
	PartcopyVersion string `json:"partcopyVersion"`
	// Provenance says which build ran how; nil when not recorded.
	Provenance      *Provenance `json:"provenance,omitempty"`
	Started         time.Time   `json:"started"`
	DurationSeconds float64     `json:"durationSeconds"`
	// Endpoint is the target behind the proxy ("embedded" for the
	// reference endpoint).
	Endpoint string `json:"endpoint"`
	// Seed seeds the proxy's random choices.
	Seed int64 `json:"seed"`
	// Partial is true when the run was interrupted or some cells were not
	// run.
	Partial bool           `json:"partial"`
	Forms   []ClientForm   `json:"forms"`
	Clients []ClientInfo   `json:"clients"`
	Results []ClientResult `json:"results"`
	Summary ClientsSummary `json:"summary"`
	// Gate lists the cells ("client / form") that trip the gate: silent or
	// false-failure.
	Gate []string `json:"gate"`

	secrets []string
}

// SetSecrets records strings that every writer removes from the report.
func (c *Clients) SetSecrets(s ...string) { c.secrets = append(c.secrets, s...) }

// Finish fills Summary and Gate from Results.
func (c *Clients) Finish() {
	c.Schema = ClientsSchema
	c.Summary = ClientsSummary{Cells: len(c.Results)}
	c.Gate = []string{}
	for _, r := range c.Results {
		switch r.Verdict {
		case ClientOK:
			c.Summary.OK++
		case ClientDetected:
			c.Summary.Detected++
		case ClientSilent:
			c.Summary.Silent++
		case ClientFalseFailure:
			c.Summary.FalseFailure++
		case ClientLate:
			c.Summary.Late++
		case ClientUnsupported:
			c.Summary.Unsupported++
		case ClientNotRun:
			c.Summary.NotRun++
		}
		if r.Verdict.Gates() {
			c.Gate = append(c.Gate, r.Client+" / "+r.Form)
		}
	}
	if c.Summary.NotRun > 0 {
		c.Partial = true
	}
}

// Cell returns the result of client on form.
func (c Clients) Cell(client, form string) (ClientResult, bool) {
	for _, r := range c.Results {
		if r.Client == client && r.Form == form {
			return r, true
		}
	}
	return ClientResult{}, false
}

// redacted returns a copy of c with every string redacted.
func (c Clients) redacted() Clients {
	r := NewRedactor(c.secrets...)
	out := c
	out.PartcopyVersion = r.String(c.PartcopyVersion)
	out.Provenance = c.Provenance.redacted(r)
	out.Endpoint = sanitizeEndpoint(r, c.Endpoint)
	out.Forms = make([]ClientForm, len(c.Forms))
	for i, f := range c.Forms {
		out.Forms[i] = ClientForm{Name: r.String(f.Name), Title: r.String(f.Title), Rules: r.Strings(f.Rules), Clause: f.Clause, Expect: f.Expect}
	}
	out.Clients = make([]ClientInfo, len(c.Clients))
	for i, ci := range c.Clients {
		out.Clients[i] = ClientInfo{
			Name: r.String(ci.Name), Kind: ci.Kind, SDK: r.String(ci.SDK), Retries: ci.Retries,
			Versions: r.Strings(ci.Versions), Command: r.String(ci.Command), Unsupported: r.String(ci.Unsupported),
		}
	}
	out.Results = make([]ClientResult, len(c.Results))
	for i, res := range c.Results {
		n := res
		n.Client, n.Form, n.Detail = r.String(res.Client), r.String(res.Form), r.String(res.Detail)
		n.Reported.ETag, n.Reported.Error = r.String(res.Reported.ETag), r.String(res.Reported.Error)
		n.AttemptOutcomes = r.Strings(res.AttemptOutcomes)
		if res.Answer != nil {
			a := *res.Answer
			a.ETag, a.Detail, a.Faults = r.String(a.ETag), r.String(a.Detail), r.Strings(a.Faults)
			n.Answer = &a
		}
		out.Results[i] = n
	}
	out.Gate = r.Strings(c.Gate)
	return out
}

// WriteClientsJSON writes c as indented JSON, redacted.
func WriteClientsJSON(w io.Writer, c Clients) error {
	return writeIndentedJSON(w, c.redacted())
}

// WriteClients writes clients.json, clients.md and clients.html into dir.
// Every output is redacted.
func WriteClients(dir string, c Clients) error {
	c = c.redacted()
	return writeFiles(dir, []fileWriter{
		{FileClientsJSON, func(w io.Writer) error { return WriteClientsJSON(w, c) }},
		{FileClientsMD, func(w io.Writer) error { return WriteClientsMarkdown(w, c) }},
		{FileClientsHTML, func(w io.Writer) error { return WriteClientsHTML(w, c) }},
	})
}

// ParseClients decodes a client certification report, checking its schema.
func ParseClients(data []byte) (Clients, error) {
	return parseReport[Clients](data, ClientsSchema)
}

// ReadClients reads a client certification report file.
func ReadClients(path string) (Clients, error) {
	return readReport[Clients](path, ClientsSchema)
}
