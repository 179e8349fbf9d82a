package reports

import (
	"bytes"
	"encoding/json"

	"github.com/partcopy/partcopy/internal/redact"
)

// Redacted replaces every secret the Redactor removes.
const Redacted = redact.Marker

// Redactor removes secrets from strings and JSON documents. The removal
// itself is internal/redact's, the one place partcopy does it: values of
// sensitive headers, presigned and SigV2 query values, S3's hex dumps of
// the canonical request, and every secret value the process knows, in
// every encoding. A Redactor adds the structure of JSON documents (a
// member named like a secret header is replaced whole). A nil *Redactor
// works too.
type Redactor struct{}

// NewRedactor returns a Redactor that also removes each given secret (in
// all its encodings) wherever it appears, from now on in every output of
// the process.
func NewRedactor(secrets ...string) *Redactor {
	redact.Add(secrets...)
	return &Redactor{}
}

// String returns s with every secret replaced by [REDACTED].
func (r *Redactor) String(s string) string { return redact.String(s) }

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
			if name, ok := x[0].(string); ok && redact.IsSecretHeader(name) {
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
			if n, ok := x[k].(string); ok && redact.IsSecretHeader(n) {
				secretName = n
			}
		}
		for k, e := range x {
			switch {
			case redact.IsSecretHeader(k):
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

// redactHeaderValue is what a report shows of a secret header's value.
func redactHeaderValue(name, value string) string { return redact.HeaderValue(name, value) }

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

// sanitizeEndpoint removes user info (however malformed the URL) and
// secret query values from an endpoint URL.
func sanitizeEndpoint(r *Redactor, endpoint string) string {
	return redact.URL(endpoint)
}
