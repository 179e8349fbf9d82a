package refserver

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	xmlDecl = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"
	s3NS    = "http://s3.amazonaws.com/doc/2006-03-01/"

	// maxXMLBody caps request bodies of XML APIs (policies, ACLs, versioning,
	// restore, delete). CompleteMultipartUpload may list 10,000 parts and
	// gets maxCompleteBody.
	maxXMLBody      = 1 << 20
	maxCompleteBody = 4 << 20
	maxKeyLen       = 1024
)

// request is the per-request state shared by the handlers.
type request struct {
	s       *Server
	w       *respWriter
	r       *http.Request
	id      *identity // nil: anonymous
	reqID   string
	bucket  string
	key     string
	q       url.Values
	payload string // declared hex SHA-256 of the body, "" if unsigned
}

// respWriter records the status for logging and whether headers went out,
// so the recover middleware knows whether it can still answer 500.
type respWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

// Unwrap lets http.ResponseController reach the connection (read
// deadlines while a body arrives).
func (w *respWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *respWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status = code
		w.wrote = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *respWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

func (w *respWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(hw http.ResponseWriter, r *http.Request) {
	start := time.Now()
	w := &respWriter{ResponseWriter: hw}
	req := &request{s: s, w: w, r: r, reqID: fmt.Sprintf("%s%08X", s.reqID, s.reqSeq.Add(1))}
	h := w.Header()
	// Every response carries a request id, errors included.
	h.Set("x-amz-request-id", req.reqID)
	h.Set("x-amz-id-2", base64.StdEncoding.EncodeToString([]byte("partcopy-refserver/"+req.reqID)))
	h.Set("Server", "partcopy-refserver")
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler { //nolint:errorlint // a recover() value: net/http panics with the sentinel itself
				panic(v)
			}
			s.logf("refserver: panic serving %s %s (request %s): %v\n%s", r.Method, r.URL.Path, req.reqID, v, debug.Stack())
			if !w.wrote {
				req.fail(errf(http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again."))
			}
		}
		who := "anonymous"
		if req.id != nil {
			who = req.id.p.Name
		}
		target := r.URL.Path
		if r.URL.RawQuery != "" {
			target += "?" + redactQuery(r.URL.RawQuery)
		}
		s.logf("refserver: %s %s -> %d (%s, %s, %v)", r.Method, target, w.status, who, req.reqID, time.Since(start).Round(time.Microsecond))
	}()
	if err := req.route(); err != nil {
		req.fail(err)
	}
}

// redactQuery drops signature-bearing query parameters from log lines.
func redactQuery(raw string) string {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return "(unparsable)"
	}
	for k := range q {
		lk := strings.ToLower(k)
		if strings.Contains(lk, "signature") || strings.Contains(lk, "credential") || strings.Contains(lk, "token") {
			q.Set(k, "REDACTED")
		}
	}
	return q.Encode()
}

// hostBucket returns the bucket named by a virtual-hosted Host, or "".
func (s *Server) hostBucket(host string) string {
	if s.opt.BaseDomain == "" {
		return ""
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(host)
	b, ok := strings.CutSuffix(host, "."+s.opt.BaseDomain)
	if !ok || b == "" {
		return ""
	}
	return b
}

// unsupportedSub lists sub-resources S3 has and this endpoint does not; they
// get 501 rather than being mistaken for plain object or bucket requests.
var unsupportedSub = []string{
	"lifecycle", "cors", "tagging", "website", "logging", "notification", "replication", "encryption",
	"object-lock", "ownershipControls", "publicAccessBlock", "accelerate", "requestPayment", "analytics",
	"inventory", "metrics", "intelligent-tiering", "legal-hold", "retention", "torrent", "select", "attributes",
	"policyStatus",
}

func (q *request) route() *apiError {
	r := q.r
	rawPath := r.URL.EscapedPath()
	if strings.HasPrefix(r.RequestURI, "/") {
		rawPath, _, _ = strings.Cut(r.RequestURI, "?")
	}
	vals, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return errInvalidArgument("The query string is not valid: bad percent-encoding.")
	}
	q.q = vals
	p := r.URL.Path
	if !utf8.ValidString(p) {
		return errInvalidArgument("Object key and bucket name must be valid UTF-8.")
	}
	if hb := q.s.hostBucket(r.Host); hb != "" {
		q.bucket = hb
		q.key = strings.TrimPrefix(p, "/")
	} else {
		q.bucket, q.key, _ = strings.Cut(strings.TrimPrefix(p, "/"), "/")
	}
	ar, aerr := q.s.authenticate(r, rawPath, vals)
	if aerr != nil {
		return aerr
	}
	q.id, q.payload = ar.id, ar.payloadSHA256
	if len(q.key) > maxKeyLen {
		return errf(http.StatusBadRequest, "KeyTooLongError", "Your key is too long")
	}
	for _, sub := range unsupportedSub {
		if vals.Has(sub) {
			return errNotImplemented("?" + sub)
		}
	}
	m := r.Method
	switch {
	case q.bucket == "":
		if m == http.MethodGet {
			return q.listBuckets()
		}
	case q.key == "":
		return q.routeBucket()
	default:
		return q.routeObject()
	}
	return errf(http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
}

func (q *request) routeBucket() *apiError {
	v := q.q
	switch q.r.Method {
	case http.MethodPut:
		switch {
		case v.Has("versioning"):
			return q.putVersioning()
		case v.Has("policy"):
			return q.putPolicy()
		case v.Has("acl"):
			return q.putBucketACL()
		default:
			return q.createBucket()
		}
	case http.MethodGet:
		switch {
		case v.Has("versioning"):
			return q.getVersioning()
		case v.Has("policy"):
			return q.getPolicy()
		case v.Has("acl"):
			return q.getBucketACL()
		case v.Has("location"):
			return q.getLocation()
		case v.Has("uploads"):
			return q.listUploads()
		case v.Has("versions"):
			return q.listVersions()
		default:
			return q.listObjects()
		}
	case http.MethodHead:
		return q.headBucket()
	case http.MethodDelete:
		if v.Has("policy") {
			return q.deletePolicy()
		}
		return q.deleteBucket()
	case http.MethodPost:
		if v.Has("delete") {
			return q.deleteObjects()
		}
	}
	return errf(http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
}

func (q *request) routeObject() *apiError {
	v := q.q
	switch q.r.Method {
	case http.MethodPut:
		switch {
		case v.Has("uploadId") || v.Has("partNumber"):
			if _, ok := q.r.Header["X-Amz-Copy-Source"]; ok {
				return q.uploadPartCopy()
			}
			return q.uploadPart()
		case v.Has("acl"):
			return errNotImplemented("object ACLs (grant access with a bucket policy or bucket ACL)")
		case len(q.r.Header.Values("X-Amz-Copy-Source")) > 0:
			return q.copyObject()
		default:
			return q.putObject()
		}
	case http.MethodGet:
		if v.Has("uploadId") {
			return q.listParts()
		}
		if v.Has("acl") {
			return errNotImplemented("object ACLs")
		}
		return q.getObject(false)
	case http.MethodHead:
		return q.getObject(true)
	case http.MethodDelete:
		if v.Has("uploadId") {
			return q.abortUpload()
		}
		return q.deleteObject()
	case http.MethodPost:
		switch {
		case v.Has("uploads"):
			return q.createUpload()
		case v.Has("uploadId"):
			return q.completeUpload()
		case v.Has("restore"):
			return q.restoreObject()
		}
	}
	return errf(http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
}

// fail writes e as an S3 error response (no body for HEAD).
func (q *request) fail(e *apiError) {
	if q.w.wrote {
		return
	}
	h := q.w.Header()
	if q.r.Method == http.MethodHead {
		q.w.WriteHeader(e.Status)
		return
	}
	body := errorBody(e, q.r.URL.Path, q.reqID)
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", fmt.Sprint(len(xmlDecl)+len(body)))
	q.w.WriteHeader(e.Status)
	_, _ = io.WriteString(q.w, xmlDecl)
	_, _ = q.w.Write(body)
}

// writeXML writes a success document: the XML declaration, then v.
func (q *request) writeXML(status int, v any) *apiError {
	b, err := xml.Marshal(v)
	if err != nil {
		return errf(http.StatusInternalServerError, "InternalError", "encoding the response failed")
	}
	h := q.w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", fmt.Sprint(len(xmlDecl)+len(b)))
	q.w.WriteHeader(status)
	_, _ = io.WriteString(q.w, xmlDecl)
	_, _ = q.w.Write(b)
	return nil
}

func (q *request) noContent(status int) *apiError {
	q.w.WriteHeader(status)
	return nil
}

// readXMLBody reads a small request body (at most limit bytes), verifying
// its declared digests.
func (q *request) readXMLBody(limit int64) ([]byte, *apiError) {
	if q.r.ContentLength > limit {
		return nil, errf(http.StatusBadRequest, "MaxMessageLengthExceeded", "Your request was too big.")
	}
	v, e := q.newBodyVerifier()
	if e != nil {
		return nil, e
	}
	b, err := io.ReadAll(io.LimitReader(q.r.Body, limit+1))
	if err != nil {
		return nil, errf(http.StatusBadRequest, "IncompleteBody", "The request body could not be read: %v", err)
	}
	if int64(len(b)) > limit {
		return nil, errf(http.StatusBadRequest, "MaxMessageLengthExceeded", "Your request was too big.")
	}
	v.write(b)
	if _, e := v.check(); e != nil {
		return nil, e
	}
	return b, nil
}

// crc64NVME is the CRC-64/NVME table S3's CRC64NVME checksum uses.
var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

// checksumAlgs are the x-amz-checksum-* headers S3 verifies on uploads.
var checksumAlgs = []struct {
	name string
	new  func() hash.Hash
}{
	{"crc32", func() hash.Hash { return crc32.NewIEEE() }},
	{"crc32c", func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) }},
	{"crc64nvme", func() hash.Hash { return crc64.New(crc64NVME) }},
	{"sha1", sha1.New},
	{"sha256", sha256.New},
}

// bodyVerifier hashes a request body as it is read and checks it against
// every digest the request declared: x-amz-content-sha256 (SigV4),
// Content-MD5 and x-amz-checksum-*.
type bodyVerifier struct {
	q      *request
	md5    hash.Hash
	sha    hash.Hash // nil unless the payload hash was signed
	sums   []hash.Hash
	names  []string
	wanted [][]byte
}

func (q *request) newBodyVerifier() (*bodyVerifier, *apiError) {
	v := &bodyVerifier{q: q, md5: md5.New()}
	if q.payload != "" {
		v.sha = sha256.New()
	}
	for _, a := range checksumAlgs {
		hv := q.r.Header.Get("X-Amz-Checksum-" + a.name)
		if hv == "" {
			continue
		}
		h := a.new()
		want, err := base64.StdEncoding.DecodeString(hv)
		if err != nil || len(want) != h.Size() {
			return nil, errInvalidRequest("Value for x-amz-checksum-%s header is invalid.", a.name)
		}
		v.sums, v.names, v.wanted = append(v.sums, h), append(v.names, a.name), append(v.wanted, want)
	}
	return v, nil
}

func (v *bodyVerifier) write(p []byte) {
	v.md5.Write(p)
	if v.sha != nil {
		v.sha.Write(p)
	}
	for _, h := range v.sums {
		h.Write(p)
	}
}

// check compares the digests and returns the body's MD5.
func (v *bodyVerifier) check() ([16]byte, *apiError) {
	var sum [16]byte
	copy(sum[:], v.md5.Sum(nil))
	if v.sha != nil && hex.EncodeToString(v.sha.Sum(nil)) != v.q.payload {
		return sum, errf(http.StatusBadRequest, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")
	}
	if cm := v.q.r.Header.Get("Content-MD5"); cm != "" {
		want, err := base64.StdEncoding.DecodeString(cm)
		if err != nil || len(want) != 16 {
			return sum, errf(http.StatusBadRequest, "InvalidDigest", "The Content-MD5 you specified was invalid.")
		}
		if !bytes.Equal(want, sum[:]) {
			return sum, errf(http.StatusBadRequest, "BadDigest", "The Content-MD5 you specified did not match what we received.")
		}
	}
	for i, h := range v.sums {
		if !bytes.Equal(h.Sum(nil), v.wanted[i]) {
			return sum, errf(http.StatusBadRequest, "BadDigest", "The %s you specified did not match the calculated checksum.", strings.ToUpper(v.names[i]))
		}
	}
	return sum, nil
}

// bodyChunk is the size of the blobs an uploaded body is stored in: no
// contiguous buffer of the whole body is ever needed.
const bodyChunk = 8 << 20

// bodyFirstRead is the buffer a body starts with; it doubles as bytes
// arrive, so a request holds at most about twice what it received (a
// client that declares 5 GiB and sends nothing costs 32 KiB).
const bodyFirstRead = 32 << 10

// readObjectBody reads the body of PutObject/UploadPart: Content-Length is
// required and at most 5 GiB. It returns the data as a content of chunk
// blobs, and its MD5. Memory is taken as bytes arrive, from the server's
// budget of body bytes in flight (Options.MaxBodyMemory): past it the
// request is answered 503 SlowDown. A body that sends nothing for
// Options.BodyReadTimeout is abandoned.
func (q *request) readObjectBody() (*content, [16]byte, *apiError) {
	n := q.r.ContentLength
	if n < 0 {
		return nil, [16]byte{}, errf(http.StatusLengthRequired, "MissingContentLength", "You must provide the Content-Length HTTP header.")
	}
	if n > MaxPartSize {
		return nil, [16]byte{}, errf(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.")
	}
	v, e := q.newBodyVerifier()
	if e != nil {
		return nil, [16]byte{}, e
	}
	var reserved int64
	defer func() { q.s.bodyMem.Add(-reserved) }()
	rc := http.NewResponseController(q.w)
	var segs []segment
	for left := n; left > 0; {
		chunk, e := q.readChunk(rc, min(left, bodyChunk), &reserved)
		if e != nil {
			return nil, [16]byte{}, e
		}
		v.write(chunk)
		segs = append(segs, segment{b: &blob{data: chunk}, n: int64(len(chunk))})
		left -= int64(len(chunk))
	}
	_ = rc.SetReadDeadline(time.Time{})
	sum, e := v.check()
	if e != nil {
		return nil, sum, e
	}
	return newContent(segs), sum, nil
}

// readChunk reads exactly want bytes of the body into a buffer that grows
// with what arrived, reserving each growth from the server's budget.
func (q *request) readChunk(rc *http.ResponseController, want int64, reserved *int64) ([]byte, *apiError) {
	var buf []byte
	for int64(len(buf)) < want {
		if len(buf) == cap(buf) {
			newCap := min(want, max(2*int64(cap(buf)), bodyFirstRead))
			grow := newCap - int64(cap(buf))
			if q.s.bodyMem.Add(grow) > q.s.opt.MaxBodyMemory {
				q.s.bodyMem.Add(-grow)
				return nil, errf(http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate: too many request bodies in flight.")
			}
			*reserved += grow
			nb := make([]byte, len(buf), newCap)
			copy(nb, buf)
			buf = nb
		}
		_ = rc.SetReadDeadline(time.Now().Add(q.s.opt.BodyReadTimeout))
		m, err := q.r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err != nil && int64(len(buf)) < want {
			return nil, errf(http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.")
		}
	}
	return buf, nil
}

// isoTime formats S3 XML timestamps: ISO 8601 with milliseconds, UTC (D13).
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func httpTime(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

func quoteETag(sum []byte) string { return `"` + hex.EncodeToString(sum) + `"` }
