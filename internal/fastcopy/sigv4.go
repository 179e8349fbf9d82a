package fastcopy

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"time"
	"unicode/utf8"
)

// Signer signs Requests with SigV4 (header-based, as aws-sdk-go-v2's
// v4.Signer.SignHTTP with DisableURIPathEscaping, which is how s3call
// signs): byte for byte the same Authorization for the same request
// (TestSignerMatchesSDK, over thousands of random requests, and AWS's
// published examples).
//
// Unlike the SDK's signer it keeps its scratch buffers, the SHA-256 state
// and an HMAC keyed with the day's derived key from one request to the
// next: signing allocates nothing once the buffers have grown. It is not
// safe for concurrent use; each worker owns one.
type Signer struct {
	accessKey, secretKey, token string
	region, service             string

	day   [8]byte // the day of the cached key ("20060102")
	mac   hash.Hash
	scope []byte // "20060102/region/service/aws4_request"
	sha   hash.Hash

	// The X-Amz-Date of the last second signed in (formatting a time costs
	// more than the rest of the header).
	dateSec int64
	dateBuf [16]byte

	canon, sts, scratch, signed []byte
	hdrs                        []hdrEntry
	params                      []param
	sum                         [sha256.Size]byte
}

type hdrEntry struct {
	name span // lower-case name, in scratch
	val  span // cleaned value, in scratch
}

type param struct{ key, val span } // encoded, in scratch

// NewSigner returns a signer for one principal, region and service.
func NewSigner(accessKey, secretKey, sessionToken, region, service string) *Signer {
	return &Signer{accessKey: accessKey, secretKey: secretKey, token: sessionToken,
		region: region, service: service, sha: sha256.New()}
}

const (
	algorithm   = "AWS4-HMAC-SHA256"
	amzDateName = "X-Amz-Date"
	tokenName   = "X-Amz-Security-Token"
	authName    = "Authorization"
)

// Sign adds X-Amz-Date (t, in UTC), X-Amz-Security-Token (for temporary
// credentials) and Authorization to r, replacing any r carried, as the
// SDK's signer does.
func (s *Signer) Sign(r *Request, t time.Time) {
	t = t.UTC()
	r.drop(s.token != "")
	if sec := t.Unix(); sec != s.dateSec || s.dateBuf[0] == 0 {
		appendAmzDate(s.dateBuf[:0], t)
		s.dateSec = sec
	}
	m := r.Mark()
	r.Buf = append(r.Buf, s.dateBuf[:]...)
	r.EndHeader(amzDateName, m)
	date := r.Buf[m:len(r.Buf)]
	if s.token != "" {
		r.AddHeader(tokenName, s.token)
	}
	if s.mac == nil || !bytes.Equal(s.day[:], date[:8]) {
		s.derive(date[:8])
	}

	// Canonical headers: host, content-length when there is a body, then
	// every header but the ones the SDK ignores, by lower-case name (a
	// stable sort: values of one name keep their order), values cleaned.
	s.scratch = s.scratch[:0]
	s.hdrs = s.hdrs[:0]
	host := sanitizeHost(r.Scheme, r.Host)
	s.addHdr("host", host, true)
	if r.ContentLength > 0 {
		a := len(s.scratch)
		s.scratch = append(s.scratch, "content-length"...)
		b := len(s.scratch)
		s.scratch = appendInt(s.scratch, r.ContentLength)
		s.hdrs = append(s.hdrs, hdrEntry{name: span{a, b}, val: span{b, len(s.scratch)}})
	}
	for _, f := range r.fields {
		if ignoredHeader(f.name) || equalFold(f.name, "Content-Length") {
			continue
		}
		s.addHdrBytes(f.name, r.Buf[f.val.a:f.val.b])
	}
	s.sortHdrs()

	// Canonical request.
	c := s.canon[:0]
	c = append(c, r.Method...)
	c = append(c, '\n')
	if p := r.Path(); len(p) == 0 {
		c = append(c, '/')
	} else {
		c = append(c, p...)
	}
	c = append(c, '\n')
	c = s.appendCanonicalQuery(c, r.Query())
	c = append(c, '\n')
	s.signed = s.signed[:0]
	for i := 0; i < len(s.hdrs); {
		h := s.hdrs[i]
		name := s.scratch[h.name.a:h.name.b]
		if len(s.signed) > 0 {
			s.signed = append(s.signed, ';')
		}
		s.signed = append(s.signed, name...)
		c = append(c, name...)
		c = append(c, ':')
		c = append(c, s.scratch[h.val.a:h.val.b]...)
		for i++; i < len(s.hdrs) && bytes.Equal(s.scratch[s.hdrs[i].name.a:s.hdrs[i].name.b], name); i++ {
			c = append(c, ',')
			c = append(c, s.scratch[s.hdrs[i].val.a:s.hdrs[i].val.b]...)
		}
		c = append(c, '\n')
	}
	c = append(c, '\n')
	c = append(c, s.signed...)
	c = append(c, '\n')
	c = append(c, r.PayloadHash...)
	s.canon = c

	// String to sign, signature.
	s.sha.Reset()
	s.sha.Write(c)
	sum := s.sha.Sum(s.sum[:0])
	st := s.sts[:0]
	st = append(st, algorithm+"\n"...)
	st = append(st, date...)
	st = append(st, '\n')
	st = append(st, s.scope...)
	st = append(st, '\n')
	st = hex.AppendEncode(st, sum)
	s.sts = st
	s.mac.Reset()
	s.mac.Write(st)
	sig := s.mac.Sum(s.sum[:0])

	m = r.Mark()
	r.Buf = append(r.Buf, algorithm+" Credential="...)
	r.Buf = append(r.Buf, s.accessKey...)
	r.Buf = append(r.Buf, '/')
	r.Buf = append(r.Buf, s.scope...)
	r.Buf = append(r.Buf, ", SignedHeaders="...)
	r.Buf = append(r.Buf, s.signed...)
	r.Buf = append(r.Buf, ", Signature="...)
	r.Buf = hex.AppendEncode(r.Buf, sig)
	r.EndHeader(authName, m)
}

// drop removes the headers Sign sets.
func (r *Request) drop(token bool) {
	k := 0
	for _, f := range r.fields {
		if equalFold(f.name, authName) || equalFold(f.name, amzDateName) || token && equalFold(f.name, tokenName) {
			continue
		}
		r.fields[k] = f
		k++
	}
	r.fields = r.fields[:k]
}

// derive computes the day's signing key (HMAC chain over "AWS4"+secret,
// day, region, service, "aws4_request") and keys the reused HMAC with it.
func (s *Signer) derive(day []byte) {
	k := hmacSum([]byte("AWS4"+s.secretKey), day)
	k = hmacSum(k, []byte(s.region))
	k = hmacSum(k, []byte(s.service))
	k = hmacSum(k, []byte("aws4_request"))
	s.mac = hmac.New(sha256.New, k)
	copy(s.day[:], day)
	s.scope = append(append(append(append(append(s.scope[:0], day...), '/'), s.region...), '/'), s.service...)
	s.scope = append(s.scope, "/aws4_request"...)
}

func hmacSum(key, data []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(data)
	return m.Sum(nil)
}

// addHdr adds an entry whose name is already lower case. Host's value is
// only stripped of excess spaces (no TrimSpace), as the SDK does.
func (s *Signer) addHdr(lname, val string, host bool) {
	a := len(s.scratch)
	s.scratch = append(s.scratch, lname...)
	b := len(s.scratch)
	s.scratch = appendStripSpaces(s.scratch, val)
	if !host {
		s.scratch = trimSpaceTail(s.scratch, b)
	}
	s.hdrs = append(s.hdrs, hdrEntry{name: span{a, b}, val: span{b, len(s.scratch)}})
}

func (s *Signer) addHdrBytes(name string, val []byte) {
	a := len(s.scratch)
	s.scratch = appendLower(s.scratch, name)
	b := len(s.scratch)
	s.scratch = appendStripSpaces(s.scratch, val)
	s.scratch = trimSpaceTail(s.scratch, b)
	s.hdrs = append(s.hdrs, hdrEntry{name: span{a, b}, val: span{b, len(s.scratch)}})
}

// sortHdrs sorts the entries by name, stably (insertion sort: a request
// has a handful of headers, and sort.SliceStable allocates).
func (s *Signer) sortHdrs() {
	h := s.hdrs
	for i := 1; i < len(h); i++ {
		for j := i; j > 0 && bytes.Compare(s.scratch[h[j].name.a:h[j].name.b], s.scratch[h[j-1].name.a:h[j-1].name.b]) < 0; j-- {
			h[j], h[j-1] = h[j-1], h[j]
		}
	}
}

// appendCanonicalQuery appends SigV4's canonical query of the raw query q
// as the SDK builds it from url.URL.Query(): pairs split at '&', a pair with
// ';' or a bad escape dropped, empty pairs dropped, names and values
// unescaped as net/url does ('+' is a space), then each percent-encoded
// (RFC 3986 unreserved characters kept, upper-case hex) and the pairs
// sorted by encoded name, then encoded value.
func (s *Signer) appendCanonicalQuery(dst, q []byte) []byte {
	s.params = s.params[:0]
	for len(q) > 0 {
		var pair []byte
		if i := bytes.IndexByte(q, '&'); i >= 0 {
			pair, q = q[:i], q[i+1:]
		} else {
			pair, q = q, nil
		}
		if len(pair) == 0 || bytes.IndexByte(pair, ';') >= 0 {
			continue
		}
		k, v := pair, []byte(nil)
		if i := bytes.IndexByte(pair, '='); i >= 0 {
			k, v = pair[:i], pair[i+1:]
		}
		if !validEscapes(k) || !validEscapes(v) {
			continue
		}
		a := len(s.scratch)
		s.scratch = appendRecode(s.scratch, k)
		b := len(s.scratch)
		s.scratch = appendRecode(s.scratch, v)
		s.params = append(s.params, param{key: span{a, b}, val: span{b, len(s.scratch)}})
	}
	p := s.params
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && s.paramLess(p[j], p[j-1]); j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
	for i, x := range p {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, s.scratch[x.key.a:x.key.b]...)
		dst = append(dst, '=')
		dst = append(dst, s.scratch[x.val.a:x.val.b]...)
	}
	return dst
}

func (s *Signer) paramLess(x, y param) bool {
	if c := bytes.Compare(s.scratch[x.key.a:x.key.b], s.scratch[y.key.a:y.key.b]); c != 0 {
		return c < 0
	}
	return bytes.Compare(s.scratch[x.val.a:x.val.b], s.scratch[y.val.a:y.val.b]) < 0
}

// validEscapes is true when every '%' in b starts a %XX escape, which is
// what url.QueryUnescape accepts.
func validEscapes(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] == '%' {
			if i+2 >= len(b) || !isHex(b[i+1]) || !isHex(b[i+2]) {
				return false
			}
			i += 2
		}
	}
	return true
}

// appendRecode appends SigV4's encoding of the query-unescaped b.
func appendRecode(dst, b []byte) []byte {
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '+':
			c = ' '
		case c == '%':
			c = unhex(b[i+1])<<4 | unhex(b[i+2])
			i += 2
		}
		if isUnreserved(c) {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return dst
}

const upperHex = "0123456789ABCDEF"

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// ignoredHeader is the SDK's IgnoredHeaders rule (it matches the
// canonical form of the name, which for a token is a case-insensitive
// match).
func ignoredHeader(name string) bool {
	switch len(name) {
	case len("Authorization"):
		return equalFold(name, "Authorization")
	case len("User-Agent"):
		return equalFold(name, "User-Agent")
	case len("X-Amzn-Trace-Id"):
		return equalFold(name, "X-Amzn-Trace-Id")
	case len("Expect"):
		return equalFold(name, "Expect")
	case len("Transfer-Encoding"):
		return equalFold(name, "Transfer-Encoding")
	}
	return false
}

// equalFold is ASCII case-insensitive equality.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// appendLower appends strings.ToLower(s) (ASCII fast path; the rare
// non-ASCII name goes through the rune-wise mapping).
func appendLower[T string | []byte](dst []byte, s T) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return appendLowerUnicode(dst, string(s))
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

func appendLowerUnicode(dst []byte, s string) []byte {
	return append(dst, bytes.ToLower([]byte(s))...)
}

// appendStripSpaces appends the SDK's StripExcessSpaces(v): leading and
// trailing ' ' removed, runs of ' ' inside collapsed to one.
func appendStripSpaces[T string | []byte](dst []byte, v T) []byte {
	i, j := 0, len(v)
	for j > 0 && v[j-1] == ' ' {
		j--
	}
	for i < j && v[i] == ' ' {
		i++
	}
	space := false
	for ; i < j; i++ {
		c := v[i]
		if c == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		dst = append(dst, c)
	}
	return dst
}

// trimSpaceTail applies strings.TrimSpace to dst[from:] in place.
func trimSpaceTail(dst []byte, from int) []byte {
	t := bytes.TrimSpace(dst[from:])
	n := copy(dst[from:], t)
	return dst[:from+n]
}

// sanitizeHost is the SDK's SanitizeHostForHeader: a default port (80 for
// http, 443 for https, or an empty one) is dropped, and with it the
// brackets of an IPv6 literal.
func sanitizeHost(scheme, host string) string {
	port := portOnly(host)
	if port != "" && (equalFold(scheme, "http") && port == "80" || equalFold(scheme, "https") && port == "443") {
		return stripPort(host)
	}
	return host
}

// portOnly and stripPort are the SDK's (copied there from Go 1.8's net/url).
func portOnly(hostport string) string {
	colon := indexByte(hostport, ':')
	if colon == -1 {
		return ""
	}
	if i := indexStr(hostport, "]:"); i != -1 {
		return hostport[i+len("]:"):]
	}
	if indexByte(hostport, ']') != -1 {
		return ""
	}
	return hostport[colon+len(":"):]
}

func stripPort(hostport string) string {
	colon := indexByte(hostport, ':')
	if colon == -1 {
		return hostport
	}
	if i := indexByte(hostport, ']'); i != -1 {
		h := hostport[:i]
		if len(h) > 0 && h[0] == '[' {
			h = h[1:]
		}
		return h
	}
	return hostport[:colon]
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func indexStr(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// appendAmzDate appends t as "20060102T150405Z" without time.Format's
// allocation.
func appendAmzDate(dst []byte, t time.Time) []byte {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	dst = appendPad(dst, y, 4)
	dst = appendPad(dst, int(mo), 2)
	dst = appendPad(dst, d, 2)
	dst = append(dst, 'T')
	dst = appendPad(dst, h, 2)
	dst = appendPad(dst, mi, 2)
	dst = appendPad(dst, s, 2)
	return append(dst, 'Z')
}

func appendPad(dst []byte, v, width int) []byte {
	var b [8]byte
	i := len(b)
	for v > 0 || width > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		width--
	}
	return append(dst, b[i:]...)
}

func appendInt(dst []byte, v int64) []byte {
	if v == 0 {
		return append(dst, '0')
	}
	var b [20]byte
	i := len(b)
	neg := v < 0
	for v != 0 {
		i--
		d := v % 10
		if d < 0 {
			d = -d
		}
		b[i] = byte('0' + d)
		v /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return append(dst, b[i:]...)
}
