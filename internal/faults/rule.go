package faults

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Action names one kind of fault. The names are the words of the --fault
// grammar (see the package documentation).
type Action string

// The actions. Body rewrites (error200 .. pre-decl-whitespace) only ever
// touch copy-part responses; the others apply to whatever their selector
// matches.
const (
	// ActionError200 answers 200 with an S3 <Error> body (D02).
	ActionError200 Action = "error200"
	// ActionEmpty200 answers 200 with an empty body (D02).
	ActionEmpty200 Action = "empty200"
	// ActionNoETag200 answers 200 with a CopyPartResult that has no ETag (D02).
	ActionNoETag200 Action = "noetag200"
	// ActionTruncate sends 200 headers and the start of the real body, then
	// drops the connection (D02: truncated body).
	ActionTruncate Action = "truncate"
	// ActionKeepalive sends 200 headers and the XML declaration at once, then
	// whitespace, then the real result (S06: harmless, the client must succeed).
	ActionKeepalive Action = "keepalive"
	// ActionKeepaliveError is ActionKeepalive ending in an <Error> (S06+D02:
	// a failure).
	ActionKeepaliveError Action = "keepalive-error"
	// ActionPreDeclWhitespace sends whitespace before the XML declaration (the
	// S06 deviation that breaks common clients).
	ActionPreDeclWhitespace Action = "pre-decl-whitespace"
	// ActionLatency delays the request before it is forwarded.
	ActionLatency Action = "latency"
	// ActionStall holds every request that arrives during a periodic freeze
	// until the freeze ends.
	ActionStall Action = "stall"
	// ActionReset closes the client connection without a response.
	ActionReset Action = "reset"
	// ActionStatus answers with an S3 error of the given HTTP status instead of
	// forwarding the request.
	ActionStatus Action = "status"
)

// kind groups actions by how rules combine.
type kind int

const (
	// kindDelay rules (latency, stall) all apply; their delays add.
	kindDelay kind = iota
	// kindTerminal rules (reset, status) and kindRewrite rules (the body
	// rewrites) decide the request's outcome: the first one in flag order
	// that fires wins.
	kindTerminal
	kindRewrite
)

// actionDef describes one action: its kind and its parameters in positional
// order.
type actionDef struct {
	kind   kind
	params []string
}

var actionDefs = map[Action]actionDef{
	ActionError200:          {kindRewrite, []string{"code", "message"}},
	ActionEmpty200:          {kindRewrite, nil},
	ActionNoETag200:         {kindRewrite, nil},
	ActionTruncate:          {kindRewrite, []string{"keep"}},
	ActionKeepalive:         {kindRewrite, []string{"every", "for"}},
	ActionKeepaliveError:    {kindRewrite, []string{"every", "for", "code", "message"}},
	ActionPreDeclWhitespace: {kindRewrite, []string{"every", "for"}},
	ActionLatency:           {kindDelay, []string{"dist"}},
	ActionStall:             {kindDelay, []string{"for", "every"}},
	ActionReset:             {kindTerminal, []string{"when"}},
	ActionStatus:            {kindTerminal, []string{"status", "code", "message"}},
}

// actionOrder lists the actions for error messages and help.
var actionOrder = []Action{
	ActionError200, ActionEmpty200, ActionNoETag200, ActionTruncate,
	ActionKeepalive, ActionKeepaliveError, ActionPreDeclWhitespace,
	ActionLatency, ActionStall, ActionReset, ActionStatus,
}

// Defaults for omitted parameters.
const (
	defaultErrorCode    = "InternalError"
	defaultErrorMessage = "We encountered an internal error. Please try again."
	defaultEvery        = time.Second
	defaultFor          = 3 * time.Second
	defaultKeepPercent  = 50
)

// Rule is one parsed --fault rule. Its exported fields describe it; the
// action's parameters are kept unexported and shown by String.
type Rule struct {
	// Spec is the text the rule was parsed from.
	Spec string
	// Selector is the canonical selector: "copy", "all", a method ("PUT"),
	// optionally followed by "?" and query conditions.
	Selector string
	// Action is what the rule does when it fires.
	Action Action
	// Probability is the chance in [0,1] that the rule fires on a request its
	// selector matches; 1 when the spec has no "@".
	Probability float64

	sel  selector
	kind kind

	// error200, keepalive-error, status
	code, message string
	// status
	status int
	// truncate: keepBytes >= 0 keeps that many bytes, else keepPct percent.
	keepBytes int
	keepPct   float64
	// keepalive, keepalive-error, pre-decl-whitespace: whitespace every
	// `every` for at least `dur` (every == 0: one burst, no wait).
	every, dur time.Duration
	// latency
	dist distribution
	// stall
	freeze, period time.Duration
	// reset: after forwarding (the target did the work, the answer is lost)
	afterForward bool
}

// String returns the rule in canonical form; ParseRule(r.String()) yields a
// rule with the same String.
func (r Rule) String() string {
	var b strings.Builder
	b.WriteString(r.Selector)
	b.WriteByte(':')
	b.WriteString(string(r.Action))
	args := r.canonicalArgs()
	if len(args) > 0 {
		b.WriteByte('=')
		b.WriteString(strings.Join(args, ","))
	}
	b.WriteByte('@')
	b.WriteString(strconv.FormatFloat(r.Probability, 'g', -1, 64))
	return b.String()
}

func (r Rule) canonicalArgs() []string {
	switch r.Action {
	case ActionError200:
		return []string{r.code, r.message}
	case ActionTruncate:
		if r.keepBytes >= 0 {
			return []string{strconv.Itoa(r.keepBytes)}
		}
		return []string{strconv.FormatFloat(r.keepPct, 'g', -1, 64) + "%"}
	case ActionKeepalive, ActionPreDeclWhitespace:
		return []string{r.every.String(), r.dur.String()}
	case ActionKeepaliveError:
		return []string{r.every.String(), r.dur.String(), r.code, r.message}
	case ActionLatency:
		return []string{r.dist.String()}
	case ActionStall:
		return []string{r.freeze.String() + "/" + r.period.String()}
	case ActionReset:
		if r.afterForward {
			return []string{"after"}
		}
		return []string{"before"}
	case ActionStatus:
		return []string{strconv.Itoa(r.status), r.code, r.message}
	}
	return nil
}

// ParseRules parses every spec; the first error names the spec it came from.
func ParseRules(specs []string) ([]Rule, error) {
	rules := make([]Rule, 0, len(specs))
	for _, s := range specs {
		r, err := ParseRule(s)
		if err != nil {
			return nil, err
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// ParseRule parses one --fault rule:
//
//	[selector ":"] action [ "=" args | "(" args ")" ] [ "@" probability ]
//
// See the package documentation for selectors, actions and their arguments.
// The error is one line and names the spec.
func ParseRule(spec string) (Rule, error) {
	r, err := parseRule(spec)
	if err != nil {
		return Rule{}, fmt.Errorf("fault %q: %w", spec, err)
	}
	return r, nil
}

func parseRule(spec string) (Rule, error) {
	r := Rule{Spec: spec, Probability: 1, keepBytes: -1}
	for _, c := range spec {
		if c < 0x20 || c == 0x7f {
			return r, errors.New("control character in rule")
		}
	}
	s := strings.TrimSpace(spec)
	if s == "" {
		return r, errors.New("empty rule")
	}

	// Probability: the last "@" whose suffix has no argument syntax.
	if i := strings.LastIndexByte(s, '@'); i >= 0 && !strings.ContainsAny(s[i+1:], "(),=") {
		p, err := parseProbability(strings.TrimSpace(s[i+1:]))
		if err != nil {
			return r, err
		}
		r.Probability = p
		s = strings.TrimSpace(s[:i])
	}

	// Selector: the text before the first ":" when it looks like one
	// (letters or "*", optionally "?conditions"); a ":" inside arguments
	// is therefore never taken for a selector separator.
	selText := ""
	if i := strings.IndexByte(s, ':'); i >= 0 && looksLikeSelector(s[:i]) {
		selText = strings.TrimSpace(s[:i])
		s = strings.TrimSpace(s[i+1:])
	}

	// Action name, then "=args" or "(args)".
	n := 0
	for n < len(s) && (s[n] >= 'a' && s[n] <= 'z' || s[n] >= '0' && s[n] <= '9' || s[n] == '-' || s[n] >= 'A' && s[n] <= 'Z') {
		n++
	}
	name := Action(strings.ToLower(s[:n]))
	def, ok := actionDefs[name]
	if !ok {
		if name == "" {
			return r, fmt.Errorf("missing action (want one of %s)", actionList())
		}
		return r, fmt.Errorf("unknown action %q (want one of %s)", name, actionList())
	}
	r.Action, r.kind = name, def.kind
	rest := strings.TrimSpace(s[n:])
	var argText string
	hasArgs := false
	switch {
	case rest == "":
	case rest[0] == '=':
		argText, hasArgs = rest[1:], true
	case rest[0] == '(':
		if !strings.HasSuffix(rest, ")") {
			return r, fmt.Errorf("%s: missing closing parenthesis", name)
		}
		argText, hasArgs = rest[1:len(rest)-1], true
	default:
		return r, fmt.Errorf("%s: unexpected %q after the action (want =args or (args))", name, rest)
	}
	args, err := parseArgs(name, def.params, argText, hasArgs)
	if err != nil {
		return r, err
	}
	if err := r.setParams(args); err != nil {
		return r, fmt.Errorf("%s: %w", name, err)
	}

	sel, err := parseSelector(selText, r.kind)
	if err != nil {
		return r, err
	}
	r.sel, r.Selector = sel, sel.String()
	return r, nil
}

func actionList() string {
	names := make([]string, len(actionOrder))
	for i, a := range actionOrder {
		names[i] = string(a)
	}
	return strings.Join(names, ", ")
}

func looksLikeSelector(s string) bool {
	s = strings.TrimSpace(s)
	base, _, _ := strings.Cut(s, "?")
	if base == "*" {
		return true
	}
	if base == "" {
		return false
	}
	for _, c := range base {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func parseProbability(s string) (float64, error) {
	pct := strings.HasSuffix(s, "%")
	num := strings.TrimSuffix(s, "%")
	p, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(p) || math.IsInf(p, 0) {
		return 0, fmt.Errorf("bad probability %q (want a number in [0,1] or a percentage like 25%%)", s)
	}
	if pct {
		p /= 100
	}
	if p < 0 || p > 1 {
		return 0, fmt.Errorf("probability %q out of range [0,1]", s)
	}
	return p, nil
}

// parseArgs splits argText on top-level commas and assigns positional and
// name=value arguments to the action's parameters.
func parseArgs(name Action, params []string, argText string, hasArgs bool) (map[string]string, error) {
	out := map[string]string{}
	if !hasArgs {
		return out, nil
	}
	parts, err := splitTop(argText)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(params) == 0 {
		return nil, fmt.Errorf("%s takes no arguments", name)
	}
	pos := 0
	named := false
	for _, p := range parts {
		p = strings.TrimSpace(p)
		key := ""
		if k, v, ok := strings.Cut(p, "="); ok && isParamName(strings.TrimSpace(k)) && !strings.Contains(k, "(") {
			key, p = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
			if !contains(params, key) {
				return nil, fmt.Errorf("%s: unknown argument %q (want %s)", name, key, strings.Join(params, ", "))
			}
			named = true
		} else {
			if named {
				return nil, fmt.Errorf("%s: positional argument %q after a named one", name, p)
			}
			if pos >= len(params) {
				return nil, fmt.Errorf("%s: too many arguments (want at most %d: %s)", name, len(params), strings.Join(params, ", "))
			}
			key = params[pos]
			pos++
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("%s: argument %q given twice", name, key)
		}
		if p == "" {
			return nil, fmt.Errorf("%s: empty value for %q", name, key)
		}
		out[key] = p
	}
	return out, nil
}

func isParamName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// splitTop splits s on commas outside parentheses.
func splitTop(s string) ([]string, error) {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return nil, errors.New("unbalanced parentheses")
			}
		case ',':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, errors.New("unbalanced parentheses")
	}
	return append(parts, s[start:]), nil
}

// setParams checks and stores the action's arguments, filling defaults.
func (r *Rule) setParams(a map[string]string) error {
	var err error
	switch r.Action {
	case ActionError200, ActionKeepaliveError:
		if r.code, err = codeArg(a, "code", defaultErrorCode); err != nil {
			return err
		}
		if r.message, err = messageArg(a, defaultErrorMessage); err != nil {
			return err
		}
	}
	switch r.Action {
	case ActionKeepalive, ActionKeepaliveError, ActionPreDeclWhitespace:
		every, dur := defaultEvery, defaultFor
		if r.Action == ActionPreDeclWhitespace {
			// Without arguments: one burst of whitespace before the
			// declaration, no waiting.
			every, dur = 0, 0
		}
		if r.every, err = durationArg(a, "every", every); err != nil {
			return err
		}
		if r.dur, err = durationArg(a, "for", dur); err != nil {
			return err
		}
		if r.every == 0 && r.dur > 0 {
			return errors.New(`"every" must be > 0 when "for" is > 0`)
		}
	case ActionTruncate:
		v, ok := a["keep"]
		if !ok {
			r.keepPct = defaultKeepPercent
			return nil
		}
		if strings.HasSuffix(v, "%") {
			p, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
			if err != nil || math.IsNaN(p) || p < 0 || p > 100 {
				return fmt.Errorf("bad keep %q (want bytes like 40 or a percentage like 50%%)", v)
			}
			r.keepPct = p
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxRewriteBody {
			return fmt.Errorf("bad keep %q (want bytes like 40 or a percentage like 50%%)", v)
		}
		r.keepBytes = n
	case ActionLatency:
		v, ok := a["dist"]
		if !ok {
			return errors.New("needs a delay, e.g. latency=100ms or latency=uniform(10ms,50ms)")
		}
		if r.dist, err = parseDistribution(v); err != nil {
			return err
		}
	case ActionStall:
		fv, hasFor := a["for"]
		ev, hasEvery := a["every"]
		if hasFor && !hasEvery {
			if f, e, ok := strings.Cut(fv, "/"); ok {
				fv, ev, hasEvery = f, e, true
			}
		}
		if !hasFor || !hasEvery {
			return errors.New("needs freeze/period, e.g. stall=1s/5s")
		}
		if r.freeze, err = parseDuration("freeze", fv); err != nil {
			return err
		}
		if r.period, err = parseDuration("period", ev); err != nil {
			return err
		}
		if r.freeze <= 0 || r.period <= r.freeze {
			return fmt.Errorf("want 0 < freeze < period, got %s/%s", r.freeze, r.period)
		}
	case ActionReset:
		switch strings.ToLower(a["when"]) {
		case "", "before":
		case "after":
			r.afterForward = true
		default:
			return fmt.Errorf("bad when %q (want before or after)", a["when"])
		}
	case ActionStatus:
		v, ok := a["status"]
		if !ok {
			return errors.New("needs an HTTP status, e.g. status=503")
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 400 || n > 599 {
			return fmt.Errorf("bad status %q (want 400..599)", v)
		}
		r.status = n
		if r.code, err = codeArg(a, "code", defaultCodeFor(n)); err != nil {
			return err
		}
		if r.message, err = messageArg(a, defaultMessageFor(n)); err != nil {
			return err
		}
	}
	return nil
}

func codeArg(a map[string]string, key, def string) (string, error) {
	v, ok := a[key]
	if !ok {
		return def, nil
	}
	if len(v) > 64 {
		return "", fmt.Errorf("%s too long", key)
	}
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.') {
			return "", fmt.Errorf("bad %s %q (letters, digits and dots only)", key, v)
		}
	}
	return v, nil
}

// messageArg allows printable ASCII without the characters the grammar
// itself uses, so that every rule prints back to a parsable spec.
func messageArg(a map[string]string, def string) (string, error) {
	v, ok := a["message"]
	if !ok {
		return def, nil
	}
	if len(v) > 256 {
		return "", errors.New("message too long")
	}
	for _, c := range v {
		if c < 0x20 || c > 0x7e || strings.ContainsRune(`@(),:=<>&"'`, c) {
			return "", fmt.Errorf("bad message %q (printable ASCII without @(),:=<>&\"')", v)
		}
	}
	return v, nil
}

func durationArg(a map[string]string, key string, def time.Duration) (time.Duration, error) {
	v, ok := a[key]
	if !ok {
		return def, nil
	}
	return parseDuration(key, v)
}

// maxDuration bounds every duration in a rule: a fault that waits longer
// than a day is a typo.
const maxDuration = 24 * time.Hour

func parseDuration(what, v string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < 0 || d > maxDuration {
		return 0, fmt.Errorf("bad %s %q (want a duration like 100ms, 0..24h)", what, v)
	}
	return d, nil
}

// defaultCodeFor returns the S3 error code a status=N rule answers with
// unless the rule names one.
func defaultCodeFor(status int) string {
	switch status {
	case 400:
		return "BadRequest"
	case 403:
		return "AccessDenied"
	case 404:
		return "NoSuchKey"
	case 409:
		return "OperationAborted"
	case 500:
		return "InternalError"
	case 501:
		return "NotImplemented"
	case 503:
		return "SlowDown"
	}
	if status >= 500 {
		return "ServiceUnavailable"
	}
	return "InvalidRequest"
}

func defaultMessageFor(status int) string {
	switch status {
	case 500:
		return defaultErrorMessage
	case 503:
		return "Please reduce your request rate."
	}
	return "Injected by partcopy proxy."
}

// selector says which requests a rule applies to.
type selector struct {
	base  string // "copy", "all" or an upper-case method
	conds []cond // query conditions, all must hold
}

type cond struct {
	key, value string
	hasValue   bool
}

func parseSelector(s string, k kind) (selector, error) {
	if s == "" {
		if k == kindRewrite {
			return selector{base: "copy"}, nil
		}
		return selector{base: "all"}, nil
	}
	baseText, condText, hasConds := strings.Cut(s, "?")
	var sel selector
	switch b := strings.ToLower(baseText); b {
	case "copy", "all":
		sel.base = b
	case "*":
		sel.base = "all"
	default:
		if !looksLikeSelector(baseText) || len(baseText) > 16 {
			return sel, fmt.Errorf("bad selector %q (want copy, all, a method like put, or METHOD?key[=value]&...)", s)
		}
		sel.base = strings.ToUpper(baseText)
	}
	if k == kindRewrite && sel.base != "copy" && sel.base != "all" && sel.base != http.MethodPut {
		return sel, fmt.Errorf("selector %q never matches a copy-part request (a PUT), and body rewrites only touch copy-part responses", s)
	}
	if hasConds {
		if condText == "" {
			return sel, fmt.Errorf("bad selector %q: empty query condition after '?'", s)
		}
		for _, c := range strings.Split(condText, "&") {
			key, val, hasVal := strings.Cut(c, "=")
			if key == "" || !validCondText(key) || (hasVal && !validCondText(val)) {
				return sel, fmt.Errorf("bad query condition %q in selector %q (want key or key=value, characters A-Za-z0-9-_.~)", c, s)
			}
			sel.conds = append(sel.conds, cond{key: key, value: val, hasValue: hasVal})
		}
	}
	return sel, nil
}

func validCondText(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.~", c)) {
			return false
		}
	}
	return true
}

func (s selector) String() string {
	if len(s.conds) == 0 {
		return s.base
	}
	parts := make([]string, len(s.conds))
	for i, c := range s.conds {
		parts[i] = c.key
		if c.hasValue {
			parts[i] += "=" + c.value
		}
	}
	return s.base + "?" + strings.Join(parts, "&")
}

// match reports whether the request is selected. isCopy says whether it is
// a copy-part request; q is its parsed query.
func (s selector) match(method string, q url.Values, isCopy bool) bool {
	switch s.base {
	case "copy":
		if !isCopy {
			return false
		}
	case "all":
	default:
		if method != s.base {
			return false
		}
	}
	for _, c := range s.conds {
		vs, ok := q[c.key]
		if !ok {
			return false
		}
		if c.hasValue && !contains(vs, c.value) {
			return false
		}
	}
	return true
}

// isCopyPart reports whether r is an UploadPartCopy request: a PUT with
// partNumber and uploadId in the query and an x-amz-copy-source header
// (D01, D06, D08).
func isCopyPart(r *http.Request, q url.Values) bool {
	return r.Method == http.MethodPut && q.Has("partNumber") && q.Has("uploadId") &&
		r.Header.Get("x-amz-copy-source") != ""
}
