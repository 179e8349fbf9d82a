package refserver

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxSkew is how far a request's date may be from the server clock.
const maxSkew = 15 * time.Minute

const (
	unsignedPayload = "UNSIGNED-PAYLOAD"
	emptySHA256     = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// authResult is what authentication learned about a request.
type authResult struct {
	id *identity // nil: anonymous
	// payloadSHA256 is the hex SHA-256 the client declared for the body
	// (SigV4); "" when the payload is unsigned or SigV2 was used. Readers of
	// the body verify it.
	payloadSHA256 string
}

// authenticate verifies the request's signature (SigV4 header auth or SigV2)
// and returns the requester. A request without Authorization is anonymous.
// D15: unknown key -> 403 InvalidAccessKeyId, bad signature -> 403
// SignatureDoesNotMatch. D12: temporary credentials need their token.
func (s *Server) authenticate(r *http.Request, rawPath string, q url.Values) (authResult, *apiError) {
	auth := r.Header.Get("Authorization")
	switch {
	case auth == "":
		if q.Has("X-Amz-Signature") || q.Has("X-Amz-Credential") || q.Has("Signature") {
			return authResult{}, errNotImplemented("presigned (query string) authentication")
		}
		return authResult{}, nil
	case strings.HasPrefix(auth, "AWS4-HMAC-SHA256 "):
		return s.authV4(r, auth, rawPath, q)
	case strings.HasPrefix(auth, "AWS "):
		return s.authV2(r, auth, rawPath)
	default:
		return authResult{}, errf(http.StatusBadRequest, "InvalidArgument", "Unsupported Authorization Type")
	}
}

// checkToken applies D12: temporary credentials must carry their session
// token; long-term credentials must not carry one.
func (s *Server) checkToken(id *identity, r *http.Request) *apiError {
	tok := r.Header.Get("X-Amz-Security-Token")
	if id.temp {
		if tok == "" {
			return errf(http.StatusForbidden, "InvalidToken", "Temporary credentials require the x-amz-security-token header")
		}
		if subtle.ConstantTimeCompare([]byte(tok), []byte(id.p.SessionToken)) != 1 {
			return errf(http.StatusForbidden, "InvalidToken", "The provided token is malformed or otherwise invalid.")
		}
		return nil
	}
	if tok != "" {
		return errf(http.StatusForbidden, "InvalidToken", "The provided token is not valid for long-term credentials.")
	}
	return nil
}

func (s *Server) checkSkew(t time.Time) *apiError {
	d := s.now().Sub(t)
	if d > maxSkew || d < -maxSkew {
		return errf(http.StatusForbidden, "RequestTimeTooSkewed",
			"The difference between the request time and the current time is too large.").
			with("RequestTime", t.UTC().Format(time.RFC1123)).with("ServerTime", s.now().UTC().Format(time.RFC1123))
	}
	return nil
}

func errMalformedAuth(msg string) *apiError {
	return errf(http.StatusBadRequest, "AuthorizationHeaderMalformed", "The authorization header is malformed; %s", msg)
}

// v4Auth is a parsed SigV4 Authorization header.
type v4Auth struct {
	accessKey, date, region, service, term string
	signedHeaders                          []string
	signature                              string
}

func parseV4Auth(h string) (v4Auth, *apiError) {
	var a v4Auth
	rest := strings.TrimPrefix(h, "AWS4-HMAC-SHA256 ")
	var cred, signed, sig string
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return a, errMalformedAuth("the authorization component '" + k + "' is malformed.")
		}
		switch k {
		case "Credential":
			cred = v
		case "SignedHeaders":
			signed = v
		case "Signature":
			sig = v
		}
	}
	if cred == "" || signed == "" || sig == "" {
		return a, errMalformedAuth("missing Credential, SignedHeaders or Signature.")
	}
	cp := strings.Split(cred, "/")
	if len(cp) != 5 {
		return a, errMalformedAuth("the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
	}
	a.accessKey, a.date, a.region, a.service, a.term = cp[0], cp[1], cp[2], cp[3], cp[4]
	a.signedHeaders = strings.Split(signed, ";")
	a.signature = sig
	return a, nil
}

func (s *Server) authV4(r *http.Request, h, rawPath string, q url.Values) (authResult, *apiError) {
	a, aerr := parseV4Auth(h)
	if aerr != nil {
		return authResult{}, aerr
	}
	id, ok := s.keys[a.accessKey]
	if !ok || a.accessKey == "" {
		return authResult{}, errf(http.StatusForbidden, "InvalidAccessKeyId",
			"The AWS Access Key Id you provided does not exist in our records.").with("AWSAccessKeyId", a.accessKey)
	}
	amzDate := r.Header.Get("X-Amz-Date")
	var t time.Time
	var err error
	if amzDate != "" {
		t, err = time.Parse("20060102T150405Z", amzDate)
	} else if d := r.Header.Get("Date"); d != "" {
		t, err = http.ParseTime(d)
		amzDate = t.UTC().Format("20060102T150405Z")
	} else {
		return authResult{}, errf(http.StatusForbidden, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
	}
	if err != nil {
		return authResult{}, errf(http.StatusForbidden, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
	}
	if e := s.checkSkew(t); e != nil {
		return authResult{}, e
	}
	if a.date != t.UTC().Format("20060102") {
		return authResult{}, errMalformedAuth("the credential date does not match the request date.")
	}
	if a.region != s.opt.Region {
		return authResult{}, errMalformedAuth("the region '"+a.region+"' is wrong; expecting '"+s.opt.Region+"'").with("Region", s.opt.Region)
	}
	if a.service != "s3" || a.term != "aws4_request" {
		return authResult{}, errMalformedAuth("incorrect service or terminator; expecting \"s3\" and \"aws4_request\".")
	}
	ph := r.Header.Get("X-Amz-Content-Sha256")
	var res authResult
	switch {
	case ph == "":
		return authResult{}, errInvalidRequest("Missing required header for this request: x-amz-content-sha256")
	case ph == unsignedPayload:
	case strings.HasPrefix(ph, "STREAMING-"):
		return authResult{}, errNotImplemented("x-amz-content-sha256: " + ph + " (aws-chunked uploads)")
	default:
		if len(ph) != 64 || !isHex(ph) {
			return authResult{}, errInvalidArgument("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-... or a valid sha256 value.")
		}
		res.payloadSHA256 = strings.ToLower(ph)
	}
	signedSet := map[string]bool{}
	for _, sh := range a.signedHeaders {
		signedSet[sh] = true
	}
	if !signedSet["host"] {
		return authResult{}, errf(http.StatusForbidden, "AccessDenied", "The host header must be signed")
	}
	// AWS refuses x-amz-* headers that are not covered by the signature, so
	// an unsigned header cannot change what a signed request does.
	var unsigned []string
	for k := range r.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-amz-") && !signedSet[lk] {
			unsigned = append(unsigned, lk)
		}
	}
	if len(unsigned) > 0 {
		sort.Strings(unsigned)
		return authResult{}, errf(http.StatusForbidden, "AccessDenied", "There were headers present in the request which were not signed").
			with("HeadersNotSigned", strings.Join(unsigned, ", "))
	}
	scope := a.date + "/" + a.region + "/s3/aws4_request"
	key := v4SigningKey(id.p.SecretKey, a.date, a.region)
	got, _ := hex.DecodeString(a.signature)
	match := false
	for _, uri := range v4URICandidates(rawPath) {
		creq := v4CanonicalRequest(r, uri, q, a.signedHeaders, ph)
		sts := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + sha256Hex([]byte(creq))
		if hmac.Equal(hmacSHA256(key, []byte(sts)), got) {
			match = true
			break
		}
	}
	if !match {
		return authResult{}, errf(http.StatusForbidden, "SignatureDoesNotMatch",
			"The request signature we calculated does not match the signature you provided. Check your key and signing method.").
			with("AWSAccessKeyId", a.accessKey)
	}
	if e := s.checkToken(id, r); e != nil {
		return authResult{}, e
	}
	res.id = id
	return res, nil
}

// v4URICandidates are the canonical URIs a correct client may have signed:
// the path exactly as sent (S3 clients sign it unescaped once), the path
// re-encoded with AWS's rules, and the double-encoded form generic SigV4
// signers produce.
func v4URICandidates(rawPath string) []string {
	if rawPath == "" {
		rawPath = "/"
	}
	c := []string{rawPath}
	if dec, err := url.PathUnescape(rawPath); err == nil {
		if e := awsEscape(dec, false); e != rawPath {
			c = append(c, e)
		}
	}
	if e := awsEscape(rawPath, false); e != rawPath {
		c = append(c, e)
	}
	return c
}

func v4CanonicalRequest(r *http.Request, uri string, q url.Values, signed []string, payloadHash string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(uri)
	b.WriteByte('\n')
	b.WriteString(v4CanonicalQuery(q))
	b.WriteByte('\n')
	for _, h := range signed {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(canonicalHeaderValue(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// canonicalHeaderValue is a header's values trimmed, inner runs of spaces
// folded, joined by commas. Go moves Host and (sometimes) Content-Length
// out of the header map; they are restored here.
func canonicalHeaderValue(r *http.Request, name string) string {
	var vals []string
	switch name {
	case "host":
		vals = []string{r.Host}
	default:
		vals = r.Header.Values(name)
		if len(vals) == 0 && name == "content-length" && r.ContentLength >= 0 {
			vals = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(out, ",")
}

func v4CanonicalQuery(q url.Values) string {
	var pairs []string
	for k, vs := range q {
		if k == "X-Amz-Signature" {
			continue
		}
		for _, v := range vs {
			pairs = append(pairs, awsEscape(k, true)+"="+awsEscape(v, true))
		}
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}

// awsEscape is AWS's URI encoding: everything but A-Z a-z 0-9 - _ . ~ is
// percent-encoded (upper-case hex); '/' too when encodeSlash.
func awsEscape(s string, encodeSlash bool) string {
	const hexd = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexd[c>>4])
		b.WriteByte(hexd[c&15])
	}
	return b.String()
}

func v4SigningKey(secret, date, region string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), []byte(date))
	k = hmacSHA256(k, []byte(region))
	k = hmacSHA256(k, []byte("s3"))
	return hmacSHA256(k, []byte("aws4_request"))
}

func hmacSHA256(key, data []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(data)
	return m.Sum(nil)
}

func sha256Hex(p []byte) string {
	h := sha256.Sum256(p)
	return hex.EncodeToString(h[:])
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// v2SubResources are the query parameters that are part of SigV2's
// CanonicalizedResource.
var v2SubResources = map[string]bool{
	"acl": true, "cors": true, "delete": true, "lifecycle": true, "location": true, "logging": true,
	"notification": true, "partNumber": true, "policy": true, "requestPayment": true, "restore": true,
	"tagging": true, "torrent": true, "uploadId": true, "uploads": true, "versionId": true,
	"versioning": true, "versions": true, "website": true,
	"response-cache-control": true, "response-content-disposition": true, "response-content-encoding": true,
	"response-content-language": true, "response-content-type": true, "response-expires": true,
}

// v2StringToSign builds SigV2's StringToSign:
//
//	VERB \n Content-MD5 \n Content-Type \n Date \n CanonicalizedAmzHeaders CanonicalizedResource
//
// bucketFromHost is the bucket named by a virtual-hosted Host ("" for
// path-style); rawPath and rawQuery are the request path and query as sent.
func v2StringToSign(r *http.Request, bucketFromHost, rawPath, rawQuery string) string {
	var b strings.Builder
	b.WriteString(r.Method + "\n")
	b.WriteString(r.Header.Get("Content-MD5") + "\n")
	b.WriteString(r.Header.Get("Content-Type") + "\n")
	// With x-amz-date the Date line is empty: the amz header carries it.
	if r.Header.Get("X-Amz-Date") == "" {
		b.WriteString(r.Header.Get("Date"))
	}
	b.WriteString("\n")
	amz := map[string][]string{}
	var names []string
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if !strings.HasPrefix(lk, "x-amz-") {
			continue
		}
		if _, ok := amz[lk]; !ok {
			names = append(names, lk)
		}
		for _, v := range vs {
			amz[lk] = append(amz[lk], strings.Join(strings.Fields(v), " "))
		}
	}
	sort.Strings(names)
	for _, n := range names {
		b.WriteString(n + ":" + strings.Join(amz[n], ",") + "\n")
	}
	if bucketFromHost != "" {
		b.WriteString("/" + bucketFromHost)
	}
	if rawPath == "" {
		rawPath = "/"
	}
	b.WriteString(rawPath)
	// Sub-resources as botocore's HmacV1Auth writes them: from the raw
	// query, values unescaped, "k" without '=' and "k=" with an empty value
	// kept apart, sorted by name.
	type sub struct{ k, kv string }
	var subs []sub
	for _, pair := range strings.Split(rawQuery, "&") {
		k, v, hasEq := strings.Cut(pair, "=")
		if !v2SubResources[k] {
			continue
		}
		kv := k
		if hasEq {
			if dv, err := url.QueryUnescape(v); err == nil {
				v = dv
			}
			kv += "=" + v
		}
		subs = append(subs, sub{k, kv})
	}
	sort.SliceStable(subs, func(i, j int) bool { return subs[i].k < subs[j].k })
	for i, sr := range subs {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(sr.kv)
	}
	return b.String()
}

func v2Sign(secret, stringToSign string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func (s *Server) authV2(r *http.Request, h, rawPath string) (authResult, *apiError) {
	ak, sig, ok := strings.Cut(strings.TrimPrefix(h, "AWS "), ":")
	if !ok || ak == "" || sig == "" {
		return authResult{}, errf(http.StatusBadRequest, "InvalidArgument", "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature")
	}
	id, found := s.keys[ak]
	if !found {
		return authResult{}, errf(http.StatusForbidden, "InvalidAccessKeyId",
			"The AWS Access Key Id you provided does not exist in our records.").with("AWSAccessKeyId", ak)
	}
	d := r.Header.Get("X-Amz-Date")
	if d == "" {
		d = r.Header.Get("Date")
	}
	t, err := http.ParseTime(d)
	if err != nil {
		t, err = time.Parse(time.RFC1123Z, d)
	}
	if err != nil {
		return authResult{}, errf(http.StatusForbidden, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
	}
	if e := s.checkSkew(t); e != nil {
		return authResult{}, e
	}
	sts := v2StringToSign(r, s.hostBucket(r.Host), rawPath, r.URL.RawQuery)
	want := v2Sign(id.p.SecretKey, sts)
	if subtle.ConstantTimeCompare([]byte(want), []byte(sig)) != 1 {
		return authResult{}, errf(http.StatusForbidden, "SignatureDoesNotMatch",
			"The request signature we calculated does not match the signature you provided. Check your key and signing method.").
			with("AWSAccessKeyId", ak)
	}
	if e := s.checkToken(id, r); e != nil {
		return authResult{}, e
	}
	return authResult{id: id}, nil
}
