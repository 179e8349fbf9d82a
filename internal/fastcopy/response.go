package fastcopy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Limits of a response. net/http's client allows 10 MB of response
// headers; a copy's answer has a dozen short ones, so 1 MiB is generous and
// keeps a hostile endpoint from making a worker hold more.
const (
	// MaxHeaderBytes bounds the status lines and headers of one response
	// (interim 1xx responses included).
	MaxHeaderBytes = 1 << 20
	// maxChunkLine is net/http's bound on one chunk-size line.
	maxChunkLine = 4096
	// maxDrain is how much of a body beyond the kept part is read (and
	// dropped) so that the connection can be reused, as s3call does; a
	// longer body ends the connection.
	maxDrain = 64 << 20
	// max1xx is how many interim responses net/http's client skips.
	max1xx = 5
	// readBufSize is the initial read buffer of a connection.
	readBufSize = 4096
)

// Errors of the response parser (transport failures: no response).
var (
	ErrHeaderTooLong = fmt.Errorf("fastcopy: response headers exceeded %d bytes", MaxHeaderBytes)
	errMalformed     = errors.New("fastcopy: malformed HTTP response")
	errChunked       = errors.New("fastcopy: malformed chunked encoding")
	errTooMany1xx    = errors.New("fastcopy: too many 1xx informational responses")
)

// reader buffers the bytes of one connection.
type reader struct {
	src  io.Reader
	buf  []byte
	r, w int
	err  error // sticky error of src
	// first is when the first byte arrived since it was last zeroed.
	first time.Time
	// line is scratch for one logical header line, cl for the first
	// Content-Length value.
	line, cl []byte
}

func (rd *reader) reset(src io.Reader) {
	rd.src, rd.r, rd.w, rd.err = src, 0, 0, nil
	if rd.buf == nil {
		rd.buf = make([]byte, readBufSize)
	}
}

func (rd *reader) buffered() int { return rd.w - rd.r }

// fill reads more bytes from src (at least one, or an error), growing the
// buffer up to limit when it is full.
func (rd *reader) fill(limit int) error {
	if rd.r > 0 {
		rd.w = copy(rd.buf, rd.buf[rd.r:rd.w])
		rd.r = 0
	}
	if rd.w == len(rd.buf) {
		if len(rd.buf) >= limit {
			return ErrHeaderTooLong
		}
		n := min(2*len(rd.buf), limit)
		nb := make([]byte, n)
		copy(nb, rd.buf[:rd.w])
		rd.buf = nb
	}
	for empty := 0; ; empty++ {
		if rd.err != nil {
			return rd.err
		}
		n, err := rd.src.Read(rd.buf[rd.w:])
		if n > 0 && rd.first.IsZero() {
			rd.first = time.Now()
		}
		rd.w += n
		if err != nil {
			rd.err = err
		}
		if n > 0 {
			return nil
		}
		if empty > 100 {
			return io.ErrNoProgress
		}
	}
}

// readLineN returns the next line without "\n" or "\r\n", at most limit
// bytes long (the limit counts the line ending), and the bytes consumed.
// The slice is valid until the next read.
func (rd *reader) readLineN(limit int, tooLong error) ([]byte, int, error) {
	for start := rd.r; ; {
		for i := start; i < rd.w; i++ {
			if rd.buf[i] == '\n' {
				line := rd.buf[rd.r:i]
				used := i + 1 - rd.r
				if used > limit {
					return nil, 0, tooLong
				}
				rd.r = i + 1
				if n := len(line); n > 0 && line[n-1] == '\r' {
					line = line[:n-1]
				}
				return line, used, nil
			}
		}
		if rd.w-rd.r >= limit {
			return nil, 0, tooLong
		}
		scanned := rd.w - rd.r
		if err := rd.fill(rd.r + limit + 1); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			if errors.Is(err, ErrHeaderTooLong) {
				err = tooLong
			}
			return nil, 0, err
		}
		start = rd.r + scanned
	}
}

// response is what readResponse read. Body aliases the caller's buffer.
type response struct {
	status     int
	body       []byte
	bodyCapped bool
	// bodyErr ended the body early (the response still counts).
	bodyErr error
	// close: the connection cannot carry another request.
	close bool
}

// head is what the header section says about the body and the
// connection.
type head struct {
	status       int
	major, minor int
	cl           int64 // -1: none
	clSeen       bool
	chunked      bool
	teCount      int
	connClose    bool
	connKeep     bool
	clBad, clDup bool
}

// readResponse reads one response to a request with the given method:
// interim 1xx responses are skipped, the body is framed by chunked
// encoding, Content-Length or the end of the connection, and at most
// maxBody bytes of it are kept in body (whose capacity is reused). err is
// non-nil only when no response could be read; a body that broke off is
// resp.bodyErr.
func readResponse(rd *reader, method string, maxBody int64, body []byte) (resp response, err error) {
	var h head
	for n1xx := 0; ; n1xx++ {
		budget := MaxHeaderBytes // per response, interim ones included, as net/http
		if h, err = readHead(rd, &budget); err != nil {
			return resp, err
		}
		if h.status >= 100 && h.status <= 199 && h.status != 101 {
			if n1xx >= max1xx {
				return resp, errTooMany1xx
			}
			continue
		}
		break
	}
	resp.status = h.status
	resp.close = h.major < 1 || h.connClose || h.major == 1 && h.minor == 0 && !h.connKeep
	// In net/http's order: the transfer coding (HTTP/1.1 and later: only
	// the single coding "chunked"), then Content-Length, whatever the
	// status.
	if h.teCount > 0 && (h.major > 1 || h.major == 1 && h.minor >= 1) {
		if h.teCount != 1 || !h.chunked {
			return resp, errors.New("fastcopy: unsupported transfer encoding")
		}
	} else {
		h.chunked = false
	}
	if h.clDup {
		return resp, errors.New("fastcopy: multiple Content-Length headers")
	}
	if h.clBad {
		return resp, errors.New("fastcopy: bad Content-Length")
	}
	noBody := method == "HEAD" || h.status/100 == 1 || h.status == 204 || h.status == 304
	switch {
	case noBody:
		resp.body = body[:0]
	case h.chunked:
		resp.body, resp.bodyCapped, resp.bodyErr = readChunked(rd, maxBody, body[:0])
	case h.clSeen && h.cl >= 0:
		resp.body, resp.bodyCapped, resp.bodyErr = readLength(rd, h.cl, maxBody, body[:0])
	default:
		resp.close = true
		resp.body, resp.bodyCapped, resp.bodyErr = readLength(rd, -1, maxBody, body[:0])
	}
	if resp.bodyErr != nil || resp.bodyCapped && resp.close {
		resp.close = true
	}
	return resp, nil
}

// readHead reads a status line and the headers after it.
func readHead(rd *reader, budget *int) (head, error) {
	h := head{cl: -1}
	line, err := readBudget(rd, budget)
	if err != nil {
		return h, err
	}
	if err := parseStatusLine(line, &h); err != nil {
		return h, err
	}
	if err := readFields(rd, budget, &h); err != nil {
		return h, err
	}
	h.finishCL(rd)
	return h, nil
}

func readBudget(rd *reader, budget *int) ([]byte, error) {
	line, used, err := rd.readLineN(*budget, ErrHeaderTooLong)
	if err != nil {
		return nil, err
	}
	*budget -= used
	return line, nil
}

// parseStatusLine reads "HTTP/1.1 200 OK" as net/http's ReadResponse does.
func parseStatusLine(line []byte, h *head) error {
	sp := -1
	for i, c := range line {
		if c == ' ' {
			sp = i
			break
		}
	}
	if sp < 0 {
		return errMalformed
	}
	proto, status := line[:sp], line[sp+1:]
	for len(status) > 0 && status[0] == ' ' {
		status = status[1:]
	}
	code := status
	for i, c := range status {
		if c == ' ' {
			code = status[:i]
			break
		}
	}
	if len(code) != 3 {
		return errMalformed
	}
	n, err := strconv.Atoi(string(code[:])) // three bytes: no allocation
	if err != nil || n < 0 {
		return errMalformed
	}
	if len(proto) != 8 || string(proto[:5]) != "HTTP/" || proto[6] != '.' ||
		!isDigit(proto[5]) || !isDigit(proto[7]) {
		return errMalformed
	}
	h.status, h.major, h.minor = n, int(proto[5]-'0'), int(proto[7]-'0')
	return nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// addCL collects one Content-Length value (the first is kept in rd.cl);
// finishCL judges them as net/http does: several must be equal, and the
// first must be a number (digits only, leading zeros allowed, < 2^63).
func (h *head) addCL(rd *reader, v []byte) {
	if h.clSeen {
		if string(rd.cl) != string(v) {
			h.clDup = true
		}
		return
	}
	h.clSeen = true
	rd.cl = append(rd.cl[:0], v...)
}

func (h *head) finishCL(rd *reader) {
	if !h.clSeen {
		return
	}
	if len(rd.cl) == 0 {
		h.clBad = true // net/http: "invalid empty Content-Length"
		return
	}
	var n int64
	for _, c := range rd.cl {
		if !isDigit(c) || n > (1<<63-1-int64(c-'0'))/10 {
			h.clBad = true
			return
		}
		n = n*10 + int64(c-'0')
	}
	h.cl = n
}

// connTokens notes "close" and "keep-alive" among the comma-separated
// tokens of a Connection value.
func (h *head) connTokens(v []byte) {
	for len(v) > 0 {
		tok := v
		if i := indexByteB(v, ','); i >= 0 {
			tok, v = v[:i], v[i+1:]
		} else {
			v = nil
		}
		tok = trimOWS(tok)
		switch {
		case equalFoldB(tok, "close"):
			h.connClose = true
		case equalFoldB(tok, "keep-alive"):
			h.connKeep = true
		}
	}
}

// readLength reads a body of n bytes (n < 0: until the connection ends).
func readLength(rd *reader, n, maxBody int64, body []byte) ([]byte, bool, error) {
	if n >= 0 && n < maxBody && int64(cap(body)) < n {
		body = make([]byte, 0, n)
	}
	var dropped int64
	for n != 0 {
		if rd.buffered() == 0 {
			if err := rd.fill(len(rd.buf)); err != nil {
				if errors.Is(err, io.EOF) {
					if n < 0 {
						return body, dropped > 0, nil
					}
					err = io.ErrUnexpectedEOF
				}
				return body, dropped > 0, err
			}
		}
		chunk := rd.buf[rd.r:rd.w]
		if n >= 0 && int64(len(chunk)) > n {
			chunk = chunk[:n]
		}
		rd.r += len(chunk)
		if n > 0 {
			n -= int64(len(chunk))
		}
		var err error
		body, dropped, err = keep(body, chunk, maxBody, dropped)
		if err != nil {
			return body, true, err
		}
	}
	return body, dropped > 0, nil
}

// errDrainLimit ends a body longer than the kept part plus maxDrain; the
// response still counts (capped), the connection is closed.
var errDrainLimit = errors.New("fastcopy: body longer than the drain limit")

// keep appends what fits under maxBody and counts the rest as dropped.
func keep(body, chunk []byte, maxBody, dropped int64) ([]byte, int64, error) {
	room := maxBody - int64(len(body))
	if room > 0 {
		k := chunk
		if int64(len(k)) > room {
			k = k[:room]
		}
		body = append(body, k...)
		chunk = chunk[len(k):]
	}
	dropped += int64(len(chunk))
	if dropped > maxDrain {
		return body, dropped, errDrainLimit
	}
	return body, dropped, nil
}

// readChunked reads a chunked body and its trailer with net/http's rules:
// chunk-size lines end in CRLF (no other CR) and fit in 4096 bytes,
// trailing spaces and tabs and any extension after ';' are dropped, at
// most 16 hex digits; each chunk's data ends in CRLF; the overhead of
// chunk lines is bounded ("too much non-data"); the trailer is either a
// bare CRLF or header lines ending in an empty line, within 4096 bytes.
func readChunked(rd *reader, maxBody int64, body []byte) ([]byte, bool, error) {
	var dropped, excess int64
	for {
		line, used, err := rd.readLineN(maxChunkLine, errChunked)
		if err != nil {
			return body, dropped > 0, err
		}
		// net/http wants the line to end in exactly CRLF, no other CR.
		if used != len(line)+2 || indexByteB(line, '\r') >= 0 {
			return body, dropped > 0, errChunked
		}
		excess += int64(len(line)) + 2
		n, ok := parseChunkSize(line)
		if !ok {
			return body, dropped > 0, errChunked
		}
		if n == 0 {
			break
		}
		excess = max(excess-16-2*int64(min(n, 1<<61)), 0)
		if excess > 16*1024 {
			return body, dropped > 0, errChunked
		}
		for n > 0 {
			if rd.buffered() == 0 {
				if err := rd.fill(len(rd.buf)); err != nil {
					if errors.Is(err, io.EOF) {
						err = io.ErrUnexpectedEOF
					}
					return body, dropped > 0, err
				}
			}
			chunk := rd.buf[rd.r:rd.w]
			if uint64(len(chunk)) > n {
				chunk = chunk[:n]
			}
			rd.r += len(chunk)
			n -= uint64(len(chunk))
			if body, dropped, err = keep(body, chunk, maxBody, dropped); err != nil {
				return body, true, err
			}
		}
		if err := rd.need(2); err != nil {
			return body, dropped > 0, err
		}
		if rd.buf[rd.r] != '\r' || rd.buf[rd.r+1] != '\n' {
			return body, dropped > 0, errChunked
		}
		rd.r += 2
	}
	// The trailer.
	if err := rd.need(2); err != nil {
		return body, dropped > 0, err
	}
	if rd.buf[rd.r] == '\r' && rd.buf[rd.r+1] == '\n' {
		rd.r += 2
		return body, dropped > 0, nil
	}
	// net/http reads a trailer only when its end ("\r\n\r\n") is within
	// its 4 KiB buffer.
	for {
		if i := bytes.Index(rd.buf[rd.r:rd.w], []byte("\r\n\r\n")); i >= 0 {
			break
		}
		if rd.buffered() >= maxChunkLine {
			return body, dropped > 0, errChunked
		}
		if err := rd.fill(rd.r + maxChunkLine); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, ErrHeaderTooLong) {
				err = errChunked
			}
			return body, dropped > 0, err
		}
	}
	budget := MaxHeaderBytes
	var h head
	if err := readFields(rd, &budget, &h); err != nil {
		return body, dropped > 0, err
	}
	return body, dropped > 0, nil
}

// need fills until n bytes are buffered; the end of the stream is
// io.ErrUnexpectedEOF.
func (rd *reader) need(n int) error {
	for rd.buffered() < n {
		if err := rd.fill(len(rd.buf)); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// parseChunkSize reads a chunk-size line: trailing spaces and tabs
// dropped, then any extension after ';', then 1 to 16 hex digits.
func parseChunkSize(line []byte) (uint64, bool) {
	for len(line) > 0 && (line[len(line)-1] == ' ' || line[len(line)-1] == '\t') {
		line = line[:len(line)-1]
	}
	if i := indexByteB(line, ';'); i >= 0 {
		line = line[:i]
	}
	if len(line) == 0 || len(line) > 16 {
		return 0, false
	}
	var n uint64
	for _, c := range line {
		if !isHex(c) {
			return 0, false
		}
		n = n<<4 | uint64(unhex(c))
	}
	return n, true
}

// validName is true for what net/textproto accepts as a header name: an
// HTTP token (RFC 7230 tchar), or one with spaces in it (go.dev/issue/34540;
// such a name is kept as it is and matches none of the headers read here).
func validName(b []byte) bool {
	for _, c := range b {
		if !isTchar(c) && c != ' ' {
			return false
		}
	}
	return len(b) > 0
}

func isTchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// trimOWS trims ASCII white space (' ', '\t', '\r', '\n') at both ends,
// as net/textproto does with lines and values.
func trimOWS(b []byte) []byte {
	for len(b) > 0 && isASCIISpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isASCIISpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// trimSP trims spaces and tabs at both ends (net/textproto's trim).
func trimSP(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func isASCIISpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func equalFoldB(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func indexByteB(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// readFields reads header lines up to the empty line that ends them, as
// net/textproto's ReadMIMEHeader does, noting in h what they say about the
// body and the connection.
func readFields(rd *reader, budget *int, h *head) error {
	if rd.buffered() == 0 {
		if err := rd.fill(len(rd.buf)); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	if c := rd.buf[rd.r]; c == ' ' || c == '\t' {
		return errMalformed // a folded first header line
	}
	for {
		line, err := readBudget(rd, budget)
		if err != nil {
			return err
		}
		if len(line) == 0 {
			return nil
		}
		if indexByteB(line, ':') < 0 {
			return errMalformed // the name must be on the first line
		}
		// One logical line, as net/textproto builds it: the line trimmed,
		// and each folded continuation line (starting with a space or a
		// tab) appended trimmed after one space.
		rd.line = append(rd.line[:0], trimSP(line)...)
		for {
			if rd.buffered() == 0 {
				if err := rd.fill(len(rd.buf)); err != nil {
					break // the next read reports it
				}
			}
			if c := rd.buf[rd.r]; c != ' ' && c != '\t' {
				break
			}
			for rd.buffered() > 0 && (rd.buf[rd.r] == ' ' || rd.buf[rd.r] == '\t') {
				rd.r++
				*budget--
			}
			cont, err := readBudget(rd, budget)
			if err != nil {
				return err
			}
			rd.line = append(rd.line, ' ')
			rd.line = append(rd.line, trimSP(cont)...)
		}
		kv := rd.line
		colon := indexByteB(kv, ':')
		if colon <= 0 || !validName(kv[:colon]) {
			return errMalformed
		}
		for _, c := range kv[colon+1:] {
			if c < ' ' && c != '\t' || c == 0x7f {
				return errMalformed // a control byte in the value
			}
		}
		name, v := kv[:colon], trimSP(kv[colon+1:])
		switch {
		case equalFoldB(name, "content-length"):
			h.addCL(rd, v)
		case equalFoldB(name, "transfer-encoding"):
			h.teCount++
			h.chunked = equalFoldB(v, "chunked")
		case equalFoldB(name, "connection"):
			h.connTokens(v)
		}
	}
}
