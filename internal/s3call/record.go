package s3call

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Redacted replaces every secret in output.
const Redacted = "[REDACTED]"

// secretHeaders never appear in output with their values.
var secretHeaders = map[string]bool{
	"authorization":                 true,
	"x-amz-security-token":          true,
	strings.ToLower(HdrSSECKey):     true,
	strings.ToLower(HdrCopySSECKey): true,
	"cookie":                        true,
	"proxy-authorization":           true,
}

// isSecretHeader is secretHeaders[strings.ToLower(k)] without the lower-case
// copy (it runs on every header of every request).
func isSecretHeader(k string) bool {
	for name := range secretHeaders {
		if len(name) == len(k) && strings.EqualFold(name, k) {
			return true
		}
	}
	return false
}

// secretQuery matches presigned-URL secrets in query strings.
// A value ends at the next parameter, white space, a quote or markup.
var secretQuery = regexp.MustCompile(`(?i)(X-Amz-(?:Signature|Credential|Security-Token)|Signature|AWSAccessKeyId)=[^&\s"'<>]*`)

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
	body := ex.Body
	if len(body) > recordBodyMax {
		body = body[:recordBodyMax]
	}
	r.Body = RedactString(string(body), secrets)
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
			if secretHeaders[strings.ToLower(k)] {
				vs[i] = redactAuth(k, v)
			} else {
				vs[i] = RedactString(v, secrets)
			}
		}
		out[k] = vs
	}
	return out
}

// redactAuth keeps the scheme of an Authorization header (useful to see
// v2 vs v4) and drops everything else.
func redactAuth(k, v string) string {
	if strings.EqualFold(k, "authorization") {
		if scheme, _, ok := strings.Cut(v, " "); ok {
			return scheme + " " + Redacted
		}
	}
	return Redacted
}

// RedactString removes presigned-query secrets and every given secret
// string from s.
func RedactString(s string, secrets []string) string {
	s = secretQuery.ReplaceAllString(s, "${1}="+Redacted)
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, Redacted)
		}
	}
	return s
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
