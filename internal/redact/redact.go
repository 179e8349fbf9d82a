// Package redact is partcopy's one place that removes secrets from output:
// client exchange records (internal/s3call), reports (reports), the fault
// proxy's log lines (internal/faults) and the CLI's stderr line all pass
// their text through it. (The reference endpoint keeps its own redaction on
// purpose: it shares no code with the client.)
//
// It removes secrets two ways. By pattern: values of secret headers
// (Authorization, x-amz-security-token, SSE-C keys), presigned and SigV2
// query values (X-Amz-Signature, X-Amz-Credential, X-Amz-Security-Token,
// Signature, AWSAccessKeyId; the Signature= of a SigV4 Authorization
// value wherever it is quoted), and the hex dumps
// S3 puts in a SignatureDoesNotMatch body (CanonicalRequestBytes,
// StringToSignBytes), which are dropped whole. By value: every secret the
// process registered with Add (secret keys, session tokens, SSE-C keys raw
// and base64) is removed in every form it can take in a body or a header:
// raw, base64 and base64url (at every byte offset, padded or not),
// URL-encoded (either hex case), hex and space-separated hex (either
// case), JSON-escaped and XML-escaped.
//
// It imports nothing of partcopy's.
package redact

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"html"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Marker replaces every secret.
const Marker = "[REDACTED]"

// minSecret is the shortest value redacted by value: replacing a
// one-character "secret" would mangle every line.
const minSecret = 4

// maxSecrets bounds the process-wide set (an endpoint or a long run could
// otherwise make it grow without end); the oldest are kept, since the run's
// credentials are registered first.
const maxSecrets = 4096

var global struct {
	mu      sync.RWMutex
	seen    map[string]bool
	forms   []string
	rep     *strings.Replacer
	version int
}

// Add registers secret values for the whole process: from now on every
// String removes them in every encoding. Values shorter than 4 bytes are
// ignored.
func Add(secrets ...string) {
	global.mu.Lock()
	defer global.mu.Unlock()
	changed := false
	for _, s := range secrets {
		if len(s) < minSecret || global.seen[s] {
			continue
		}
		if len(global.seen) >= maxSecrets {
			break
		}
		if global.seen == nil {
			global.seen = map[string]bool{}
		}
		global.seen[s] = true
		global.forms = append(global.forms, Forms(s)...)
		changed = true
	}
	if changed {
		global.rep = newReplacer(global.forms)
		global.version++
	}
}

// Known reports whether s was registered with Add.
func Known(s string) bool {
	global.mu.RLock()
	defer global.mu.RUnlock()
	return global.seen[s]
}

func newReplacer(forms []string) *strings.Replacer {
	uniq := map[string]bool{}
	var list []string
	for _, f := range forms {
		if len(f) >= minSecret && !uniq[f] {
			uniq[f] = true
			list = append(list, f)
		}
	}
	// Longest first: at one position strings.Replacer tries the pairs in
	// argument order, so a form that contains another is removed whole.
	sort.SliceStable(list, func(i, j int) bool { return len(list[i]) > len(list[j]) })
	pairs := make([]string, 0, 2*len(list))
	for _, f := range list {
		pairs = append(pairs, f, Marker)
	}
	return strings.NewReplacer(pairs...)
}

// Forms returns every encoding of secret that String removes.
func Forms(secret string) []string {
	if len(secret) < minSecret {
		return nil
	}
	var out []string
	add := func(ss ...string) { out = append(out, ss...) }
	add(secret)
	// URL-encoded, as a query value, a path segment and by AWS's rules
	// (everything but unreserved characters), in either hex case.
	for _, e := range []string{url.QueryEscape(secret), url.PathEscape(secret), awsEscape(secret)} {
		add(e, lowerPercent(e))
		// Encoded twice (a URL inside a query value).
		add(strings.ReplaceAll(e, "%", "%25"))
	}
	// Hex, plain and space-separated (S3's CanonicalRequestBytes), in
	// either case.
	h := hex.EncodeToString([]byte(secret))
	add(h, strings.ToUpper(h))
	sp := spacedHex([]byte(secret))
	add(sp, strings.ToUpper(sp))
	// Base64 in every alphabet, at each of the three byte offsets the
	// secret can start at inside a larger encoded value.
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		for k := 0; k < 3; k++ {
			if f := base64Inner(enc, secret, k); len(f) >= minSecret {
				add(f)
			}
		}
		add(enc.EncodeToString([]byte(secret)))
	}
	// JSON-escaped (with and without HTML escaping, and with "\/").
	if b, err := json.Marshal(secret); err == nil {
		j := string(b[1 : len(b)-1])
		add(j, strings.ReplaceAll(j, "/", `\/`))
	}
	add(jsonNoHTML(secret))
	// XML/HTML-escaped, both Go's way and with numeric references.
	add(html.EscapeString(secret), xmlEscape(secret))
	// The decoded form of a base64 secret (an SSE-C key given in base64 is
	// a secret as raw bytes, and so in hex).
	if raw, err := base64.StdEncoding.DecodeString(secret); err == nil && len(raw) >= minSecret {
		rh := hex.EncodeToString(raw)
		rsp := spacedHex(raw)
		add(string(raw), rh, strings.ToUpper(rh), rsp, strings.ToUpper(rsp), base64.URLEncoding.EncodeToString(raw),
			base64.RawURLEncoding.EncodeToString(raw))
	}
	return out
}

// base64Inner is the part of the base64 encoding of secret, placed k bytes
// into a larger value, that depends on the secret's bytes only.
func base64Inner(enc *base64.Encoding, secret string, k int) string {
	b := make([]byte, k+len(secret))
	copy(b[k:], secret)
	e := enc.EncodeToString(b)
	from := (8*k + 5) / 6
	to := 8 * (k + len(secret)) / 6
	if to > len(e) || from >= to {
		return ""
	}
	return e[from:to]
}

func spacedHex(b []byte) string {
	var sb strings.Builder
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(hex.EncodeToString([]byte{c}))
	}
	return sb.String()
}

// awsEscape percent-encodes everything but unreserved characters, as SigV4
// canonicalisation does.
func awsEscape(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			sb.WriteByte(c)
			continue
		}
		sb.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
	}
	return sb.String()
}

var percentHex = regexp.MustCompile(`%[0-9A-F]{2}`)

func lowerPercent(s string) string {
	return percentHex.ReplaceAllStringFunc(s, strings.ToLower)
}

func jsonNoHTML(s string) string {
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	out := strings.TrimSpace(sb.String())
	return strings.TrimSuffix(strings.TrimPrefix(out, `"`), `"`)
}

func xmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;", "\r", "&#xD;", "\n", "&#xA;", "\t", "&#x9;")
	return r.Replace(s)
}

// secretHeaders are header (or field) names whose values are secrets.
var secretHeaders = []string{
	"authorization",
	"proxy-authorization",
	"cookie",
	"set-cookie",
	"x-amz-security-token",
	"x-amz-s3session-token",
	// D09/D10/D11: SSE-C customer keys, destination and source.
	"x-amz-server-side-encryption-customer-key",
	"x-amz-copy-source-server-side-encryption-customer-key",
}

// IsSecretHeader reports whether a header (or field) of that name carries a
// secret value. The -MD5 headers are not secrets.
func IsSecretHeader(name string) bool {
	for _, h := range secretHeaders {
		if len(h) == len(name) && strings.EqualFold(h, name) {
			return true
		}
	}
	return false
}

// authSchemes are Authorization schemes worth keeping in output: whether a
// request was signed with v2 or v4 matters when reading a failure (D15).
var authSchemes = map[string]bool{
	"AWS4-HMAC-SHA256": true, "AWS4-ECDSA-P256-SHA256": true, "AWS": true, "Bearer": true, "Basic": true,
}

// HeaderValue is what output shows of a secret header's value: Marker,
// after a known Authorization scheme.
func HeaderValue(name, value string) string {
	if strings.EqualFold(name, "authorization") || strings.EqualFold(name, "proxy-authorization") {
		if scheme, _, ok := strings.Cut(strings.TrimSpace(value), " "); ok && authSchemes[scheme] {
			return scheme + " " + Marker
		}
	}
	return Marker
}

// headerLine matches "Name: value" (or "Name":"value") to the end of the
// line or a quote, for a secret header, as found in raw HTTP dumps, failure
// messages and Go-formatted header maps.
var headerLine = regexp.MustCompile(`(?i)(authorization|x-amz-security-token|x-amz-s3session-token|x-amz-server-side-encryption-customer-key|x-amz-copy-source-server-side-encryption-customer-key)("?\s*:\s*)("?)[^"\r\n]*`)

// queryParam matches query values that are secrets: SigV4 presigned
// parameters and SigV2's Signature and AWSAccessKeyId. A value ends at the
// next parameter (& or ;), white space, a quote or markup.
var queryParam = regexp.MustCompile(`(?i)\b(X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|X-Amz-S3session-Token|Signature|AWSAccessKeyId)(=|%3D)[^&;\s"'<>]*`)

// hexDump matches the hex dumps of a SignatureDoesNotMatch body, closed or
// cut short, XML-escaped or not: they spell every signed header, secrets
// included, so they are dropped whole.
var hexDump = regexp.MustCompile(`(?i)(<|&lt;|\\u003c)(CanonicalRequestBytes|StringToSignBytes)(>|&gt;|\\u003e)[^<&\\]*`)

// spacedHexRun matches a long run of space-separated hex bytes anywhere (a
// dump outside its element): 16 bytes or more.
var spacedHexRun = regexp.MustCompile(`(?i)\b[0-9a-f]{2}(?: [0-9a-f]{2}){15,}\b`)

// String returns s with every secret removed: by pattern, every value
// registered with Add, and the extra values given (in all their forms).
func String(s string, extra ...string) string {
	if s == "" {
		return s
	}
	s = hexDump.ReplaceAllString(s, "${1}${2}${3}"+Marker)
	s = spacedHexRun.ReplaceAllString(s, Marker)
	s = headerLine.ReplaceAllStringFunc(s, func(m string) string {
		g := headerLine.FindStringSubmatch(m)
		value := m[len(g[1])+len(g[2])+len(g[3]):]
		return g[1] + g[2] + g[3] + HeaderValue(g[1], value)
	})
	s = queryParam.ReplaceAllString(s, "${1}${2}"+Marker)
	global.mu.RLock()
	rep := global.rep
	global.mu.RUnlock()
	if rep != nil {
		s = rep.Replace(s)
	}
	if len(extra) > 0 {
		var forms []string
		for _, e := range extra {
			forms = append(forms, Forms(e)...)
		}
		if len(forms) > 0 {
			s = newReplacer(forms).Replace(s)
		}
	}
	return s
}

// URL returns raw with any user info removed (whatever precedes the last
// '@' of the authority, also in strings net/url cannot parse, such as a
// secret with an unencoded '/'), then redacted by String. It is for
// endpoint URLs in messages and reports.
func URL(raw string, extra ...string) string {
	return String(StripUserinfo(raw), extra...)
}

// StripUserinfo removes user info from a URL-like string without parsing
// it: everything up to the last '@' goes, since a password may hold '/',
// '?' or '#' unencoded and then no parser finds the authority's end. (Meant for endpoint URLs, which have no path; a path
// holding '@' loses its head, which is safe.)
func StripUserinfo(raw string) string {
	prefix, rest := "", raw
	if i := strings.Index(raw, "://"); i >= 0 {
		prefix, rest = raw[:i+3], raw[i+3:]
	} else if strings.HasPrefix(raw, "//") {
		prefix, rest = "//", raw[2:]
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		rest = rest[at+1:]
	}
	return prefix + rest
}
