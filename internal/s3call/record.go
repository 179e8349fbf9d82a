package s3call

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/partcopy/partcopy/internal/redact"
)

// Redacted replaces every secret in output.
const Redacted = redact.Marker

// isSecretHeader reports whether a header's value never appears in output.
func isSecretHeader(k string) bool { return redact.IsSecretHeader(k) }

// Record is an exchange fit for reports and logs: every secret redacted,
// the body cut to an excerpt.
type Record struct {
	Method          string              `json:"method"`
	URL             string              `json:"url"`
	RequestHeaders  map[string][]string `json:"requestHeaders,omitempty"`
	Status          int                 `json:"status,omitempty"`
	ResponseHeaders map[string][]string `json:"responseHeaders,omitempty"`
	Body            string              `json:"body,omitempty"`
	BodyBytes       int                 `json:"bodyBytes"`
	BodyError       string              `json:"bodyError,omitempty"`
	TransportError  string              `json:"transportError,omitempty"`
	TTFBMillis      float64             `json:"ttfbMs,omitempty"`
	TotalMillis     float64             `json:"totalMs,omitempty"`
}

// recordBodyMax is how much of a body a record keeps.
const recordBodyMax = 4096

// Record returns the redacted form of ex; extra secrets (SSE-C keys the
// caller used, for instance) are redacted too.
func (ex *Exchange) Record(extra ...string) Record {
	secrets := append(append([]string(nil), ex.secrets...), extra...)
	r := Record{
		Method:          ex.Method,
		URL:             RedactString(ex.URL, secrets),
		RequestHeaders:  redactHeaders(ex.RequestHeader, secrets),
		Status:          ex.Status,
		ResponseHeaders: redactHeaders(ex.Header, secrets),
		BodyBytes:       len(ex.Body),
		TTFBMillis:      ms(ex.Timing.TTFB()),
		TotalMillis:     ms(ex.Timing.Total()),
	}
	// Redact the whole body, then cut it: a cut made first could split a
	// secret (or the hex dump that spells it) and leave half of it behind.
	body := RedactString(string(ex.Body), secrets)
	if len(body) > recordBodyMax {
		body = body[:recordBodyMax]
	}
	r.Body = body
	if ex.BodyErr != nil {
		r.BodyError = RedactString(ex.BodyErr.Error(), secrets)
	}
	return r
}

// TransportRecord is the record of a request that got no response.
func TransportRecord(err error, secrets ...string) Record {
	r := Record{TransportError: RedactString(err.Error(), secrets)}
	var te *TransportError
	if errors.As(err, &te) {
		r.Method, r.URL = te.Method, RedactString(te.URL, secrets)
	}
	return r
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func redactHeaders(h http.Header, secrets []string) map[string][]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string][]string, len(h))
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vs := make([]string, len(h[k]))
		for i, v := range h[k] {
			if isSecretHeader(k) {
				vs[i] = redact.HeaderValue(k, v)
			} else {
				vs[i] = RedactString(v, secrets)
			}
		}
		out[k] = vs
	}
	return out
}

// RedactString removes every secret from s: the patterns and every value
// the process registered (internal/redact), in every encoding, and the
// given secrets too. New registers a client's credentials, NewSSEC its
// keys, so callers rarely need to pass any.
func RedactString(s string, secrets []string) string {
	var extra []string
	for _, sec := range secrets {
		if len(sec) >= 4 && !redact.Known(sec) {
			extra = append(extra, sec)
		}
	}
	return redact.String(s, extra...)
}

// JSON renders records as a JSON array (the partcopy.exchange report entry).
func RecordsJSON(rs []Record) string {
	b, err := json.Marshal(rs)
	if err != nil {
		return "[]"
	}
	return string(b)
}

// headerSecrets returns the secret values a request carries in its headers
// (the signature, the session token, SSE-C keys), so that a record of the
// exchange redacts them wherever they come back: a SignatureDoesNotMatch
// body quotes the signature it got, a faulty server may echo a key.
func headerSecrets(h http.Header) []string {
	var out []string
	for k, vs := range h {
		if !isSecretHeader(k) {
			continue
		}
		for _, v := range vs {
			if strings.EqualFold(k, "authorization") {
				v = authSignature(v)
			}
			if v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// authSignature is the signature in an Authorization value: SigV4's
// "Signature=<hex>", SigV2's "AWS <access key>:<signature>".
func authSignature(v string) string {
	if _, sig, ok := strings.Cut(v, "Signature="); ok {
		sig, _, _ = strings.Cut(sig, ",")
		return strings.TrimSpace(sig)
	}
	if _, sig, ok := strings.Cut(v, ":"); ok && strings.HasPrefix(v, "AWS ") {
		return strings.TrimSpace(sig)
	}
	return v
}
