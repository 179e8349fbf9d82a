package reports

import (
	"bytes"
	"encoding/json"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// Redacted replaces every secret the Redactor removes.
const Redacted = "[REDACTED]"

// sensitiveHeaders are header (or field) names whose values are secrets.
// Compared case-insensitively.
var sensitiveHeaders = map[string]bool{
	"authorization":        true,
	"x-amz-security-token": true,
	// D09/D10/D11: SSE-C customer keys, destination and source.
	"x-amz-server-side-encryption-customer-key":             true,
	"x-amz-copy-source-server-side-encryption-customer-key": true,
	"cookie":              true,
	"proxy-authorization": true,
}

// headerLine matches "Name: value" to the end of the line for a sensitive
// header, as found in raw HTTP dumps and failure messages. The -MD5 headers
// are not secrets and are left alone (the name must end right before ':').
// The value runs to the end of the line or a quote: over-redacting the rest
// of a Go-formatted header map is better than stopping inside a secret.
var headerLine = regexp.MustCompile(`(?i)(authorization|x-amz-security-token|x-amz-server-side-encryption-customer-key|x-amz-copy-source-server-side-encryption-customer-key)("?\s*:\s*)("?)[^"\r\n]*`)

// queryParam matches presigned-URL query values that are secrets.
var queryParam = regexp.MustCompile(`(?i)(X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token)(=)[^&\s"'<>]*`)

// sigV4Value matches a SigV4 Authorization value wherever it appears without
// its header name (for example a Go-formatted header map in a message).
var sigV4Value = regexp.MustCompile(`AWS4-HMAC-SHA256\s+[^"\r\n]*`)

// Redactor removes secrets from strings and JSON documents: values of
// sensitive headers (Authorization, x-amz-security-token, SSE-C customer
// keys), presigned-URL query values (X-Amz-Signature, X-Amz-Credential,
// X-Amz-Security-Token), SigV4 Authorization values, and an explicit list of
// secret strings. A nil *Redactor still applies the patterns.
type Redactor struct {
	secrets []string
}

// NewRedactor returns a Redactor that also replaces each non-empty secret
// (and its URL-encoded forms) wherever it appears. Empty strings are ignored:
// replacing "" would mangle every string.
func NewRedactor(secrets ...string) *Redactor {
	seen := map[string]bool{}
	var list []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			list = append(list, s)
		}
	}
	for _, s := range secrets {
		add(s)
		add(url.QueryEscape(s))
		add(url.PathEscape(s))
		// A secret can sit inside a JSON string in a message or raw body.
		if b, err := json.Marshal(s); err == nil {
			add(string(b[1 : len(b)-1]))
		}
	}
	// Longest first, so a secret that contains another is removed whole.
	sort.SliceStable(list, func(i, j int) bool { return len(list[i]) > len(list[j]) })
	return &Redactor{secrets: list}
}

// String returns s with every secret replaced by [REDACTED].
func (r *Redactor) String(s string) string {
	// Patterns first: an explicit secret replaced inside a header name or
	// value could otherwise break the pattern that removes the whole value.
	s = headerLine.ReplaceAllStringFunc(s, func(m string) string {
		g := headerLine.FindStringSubmatch(m)
		value := m[len(g[1])+len(g[2])+len(g[3]):]
		return g[1] + g[2] + g[3] + redactHeaderValue(g[1], value)
	})
	s = queryParam.ReplaceAllString(s, "${1}${2}"+Redacted)
	s = sigV4Value.ReplaceAllString(s, "AWS4-HMAC-SHA256 "+Redacted)
	if r != nil {
		for _, sec := range r.secrets {
			s = strings.ReplaceAll(s, sec, Redacted)
		}
	}
	return s
}

// Strings redacts each element of ss into a new slice, never nil: the
// schemas' list fields are arrays, not null.
func (r *Redactor) Strings(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = r.String(s)
	}
	return out
}

// JSON redacts a JSON document: every string and object key is redacted, and
// the value of any object member named like a sensitive header (or of an
// object {"name": "Authorization", "value": ...}, or a pair
// ["Authorization", ...]) is replaced whole. Invalid JSON is redacted as text
// and returned as a JSON string, so the output is always valid JSON.
func (r *Redactor) JSON(raw json.RawMessage) json.RawMessage {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		b, _ := json.Marshal(r.String(string(raw)))
		return b
	}
	b, err := marshalNoEscape(r.value(v))
	if err != nil {
		b, _ = json.Marshal(Redacted)
	}
	return b
}

func (r *Redactor) value(v any) any {
	switch x := v.(type) {
	case string:
		return r.String(x)
	case []any:
		// ["Authorization", "AWS4-..."]: a header as a name/value pair.
		if len(x) == 2 {
			if name, ok := x[0].(string); ok && sensitiveHeaders[strings.ToLower(name)] {
				return []any{name, redactWhole(name, x[1])}
			}
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.value(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		secretName := ""
		for _, k := range []string{"name", "Name", "key", "Key", "header", "Header"} {
			if n, ok := x[k].(string); ok && sensitiveHeaders[strings.ToLower(n)] {
				secretName = n
			}
		}
		for k, e := range x {
			switch {
			case sensitiveHeaders[strings.ToLower(k)]:
				out[r.String(k)] = redactWhole(k, e)
			case secretName != "" && (k == "value" || k == "Value" || k == "values" || k == "Values"):
				out[k] = redactWhole(secretName, e)
			default:
				out[r.String(k)] = r.value(e)
			}
		}
		return out
	}
	return v
}

// redactWhole replaces a secret header's value, keeping its shape (a header
// may be a string or a list of strings).
func redactWhole(name string, v any) any {
	if l, ok := v.([]any); ok {
		out := make([]any, len(l))
		for i, e := range l {
			out[i] = redactWhole(name, e)
		}
		return out
	}
	if s, ok := v.(string); ok {
		return redactHeaderValue(name, s)
	}
	return Redacted
}

// authSchemes are Authorization schemes worth keeping in a report: whether a
// request was signed with v2 or v4 matters when reading a failure (D15).
var authSchemes = map[string]bool{
	"AWS4-HMAC-SHA256": true, "AWS4-ECDSA-P256-SHA256": true, "AWS": true, "Bearer": true, "Basic": true,
}

// redactHeaderValue returns [REDACTED] for a secret header's value, keeping
// a known Authorization scheme in front of it.
func redactHeaderValue(name, value string) string {
	if strings.EqualFold(name, "authorization") || strings.EqualFold(name, "proxy-authorization") {
		if scheme, _, ok := strings.Cut(strings.TrimSpace(value), " "); ok && authSchemes[scheme] {
			return scheme + " " + Redacted
		}
	}
	return Redacted
}

// marshalNoEscape encodes v without HTML escaping, so that exchange records
// stay readable (<Error> bodies) in JSON output.
func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// sanitizeEndpoint removes user info and secret query values from an
// endpoint URL. User info is cut textually first: a secret key with "/" in it
// makes the URL unparsable, and it must go all the same.
func sanitizeEndpoint(r *Redactor, endpoint string) string {
	if i := strings.Index(endpoint, "://"); i >= 0 {
		rest := endpoint[i+3:]
		end := len(rest)
		if j := strings.IndexAny(rest, "?#"); j >= 0 {
			end = j
		}
		if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
			endpoint = endpoint[:i+3] + rest[at+1:]
		}
	}
	if u, err := url.Parse(endpoint); err == nil && u.Host != "" {
		u.User = nil
		endpoint = u.String()
	}
	return r.String(endpoint)
}
