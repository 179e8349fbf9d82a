package fastcopy

import "strconv"

// Request is one HTTP/1.1 request as it goes on the wire. The path, the
// query and every header value live in Buf, so that building, signing and
// writing a request allocates nothing once the buffers have grown; Reset
// keeps their capacity.
//
// Build the variable parts with Mark and the End* methods:
//
//	m := r.Mark()
//	r.Buf = append(r.Buf, "/bucket/key"...)
//	r.EndPath(m)
//
// or with the Set*/AddHeader shortcuts.
type Request struct {
	// Method is the request method.
	Method string
	// Scheme is "http" or "https"; SigV4 drops a default port (80, 443)
	// from Host the way aws-sdk-go-v2 does.
	Scheme string
	// Host is the Host header as sent (and signed).
	Host string
	// ContentLength of the body; the request has no body otherwise (the
	// copy has none). A PUT or POST sends "Content-Length: 0".
	ContentLength int64
	// PayloadHash is the SigV4 x-amz-content-sha256 value.
	PayloadHash string

	// Buf holds the path, the query and the header values.
	Buf []byte

	path, query span
	fields      []field
}

type span struct{ a, b int }

type field struct {
	name string
	val  span
}

// Reset empties r for the next request, keeping its buffers.
func (r *Request) Reset() {
	r.Method, r.Scheme, r.Host, r.PayloadHash = "", "", "", ""
	r.ContentLength = 0
	r.Buf = r.Buf[:0]
	r.path, r.query = span{}, span{}
	r.fields = r.fields[:0]
}

// Mark returns the position where the next part starts in Buf.
func (r *Request) Mark() int { return len(r.Buf) }

// EndPath makes Buf[m:] the escaped request path.
func (r *Request) EndPath(m int) { r.path = span{m, len(r.Buf)} }

// EndQuery makes Buf[m:] the raw query (without '?').
func (r *Request) EndQuery(m int) { r.query = span{m, len(r.Buf)} }

// EndHeader adds the header name with the value Buf[m:].
func (r *Request) EndHeader(name string, m int) {
	r.fields = append(r.fields, field{name: name, val: span{m, len(r.Buf)}})
}

// SetPath sets the escaped path.
func (r *Request) SetPath(p string) {
	m := r.Mark()
	r.Buf = append(r.Buf, p...)
	r.EndPath(m)
}

// SetQuery sets the raw query.
func (r *Request) SetQuery(q string) {
	m := r.Mark()
	r.Buf = append(r.Buf, q...)
	r.EndQuery(m)
}

// AddHeader adds a header, sent as given (name and value).
func (r *Request) AddHeader(name, value string) {
	m := r.Mark()
	r.Buf = append(r.Buf, value...)
	r.EndHeader(name, m)
}

// Path is the escaped path ("" when none was set).
func (r *Request) Path() []byte { return r.Buf[r.path.a:r.path.b] }

// Query is the raw query.
func (r *Request) Query() []byte { return r.Buf[r.query.a:r.query.b] }

// Header returns the first value of the header name (exact match), or nil.
func (r *Request) Header(name string) []byte {
	for _, f := range r.fields {
		if f.name == name {
			return r.Buf[f.val.a:f.val.b]
		}
	}
	return nil
}

// Fields calls fn for every header in order.
func (r *Request) Fields(fn func(name string, value []byte)) {
	for _, f := range r.fields {
		fn(f.name, r.Buf[f.val.a:f.val.b])
	}
}

// appendWire appends the request head ("PUT /p?q HTTP/1.1", Host, the
// headers, Content-Length, the empty line) to dst.
func (r *Request) appendWire(dst []byte) []byte {
	dst = append(dst, r.Method...)
	dst = append(dst, ' ')
	p := r.Path()
	if len(p) == 0 {
		dst = append(dst, '/')
	} else {
		dst = append(dst, p...)
	}
	if q := r.Query(); len(q) > 0 {
		dst = append(dst, '?')
		dst = append(dst, q...)
	}
	dst = append(dst, " HTTP/1.1\r\nHost: "...)
	dst = append(dst, r.Host...)
	dst = append(dst, "\r\nUser-Agent: "+userAgent+"\r\n"...)
	for _, f := range r.fields {
		dst = append(dst, f.name...)
		dst = append(dst, ": "...)
		dst = append(dst, r.Buf[f.val.a:f.val.b]...)
		dst = append(dst, "\r\n"...)
	}
	if r.ContentLength > 0 || r.Method == "PUT" || r.Method == "POST" || r.Method == "PATCH" {
		// What net/http sends for a body-less PUT/POST too.
		dst = append(dst, "Content-Length: "...)
		dst = strconv.AppendInt(dst, r.ContentLength, 10)
		dst = append(dst, "\r\n"...)
	}
	return append(dst, "\r\n"...)
}

// userAgent is net/http's default, which s3call's client sends as well, so
// the two paths look alike on the wire.
const userAgent = "Go-http-client/1.1"
