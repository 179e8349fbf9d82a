package s3call

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/partcopy/partcopy/internal/redact"
)

// UnsignedPayload is the SigV4 payload hash for bodies that are not hashed.
const UnsignedPayload = "UNSIGNED-PAYLOAD"

// emptySHA256 is the SigV4 payload hash of an empty body.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Client sends raw S3 requests to one endpoint as one principal. It is safe
// for concurrent use. WithCredentials derives a client for another
// principal that shares the connection pool.
type Client struct {
	cfg      Config
	base     *url.URL
	http     *http.Client
	maxBody  int64
	signerV4 *v4Signer
	now      func() time.Time
	observe  func(*Exchange, error)
}

// New builds a client. Errors are *ConfigError.
func New(cfg Config) (*Client, error) {
	base, err := ParseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	switch cfg.Signature {
	case "", SigV4, SigV2:
	default:
		return nil, configErr("bad signature version %q: use v4 or v2", cfg.Signature)
	}
	hc, err := cfg.httpClient()
	if err != nil {
		return nil, err
	}
	redact.Add(cfg.Credentials.Secrets()...)
	return &Client{cfg: cfg, base: base, http: hc, maxBody: cfg.maxBody(), signerV4: newV4Signer(), now: time.Now}, nil
}

// WithCredentials returns a client for another principal (alt, temporary
// credentials, anonymous with the zero value) sharing this one's
// connections.
func (c *Client) WithCredentials(cr Credentials) *Client {
	n := *c
	n.cfg.Credentials = cr
	redact.Add(cr.Secrets()...)
	// aws-sdk-go-v2's signer caches derived signing keys by access key id
	// alone: a shared signer would sign "main's key id, wrong secret" with
	// main's real key (D15 caught it). Each principal gets its own.
	n.signerV4 = newV4Signer()
	return &n
}

// WithObserver returns a client that calls f after every exchange (with
// the transport error, if any; ex is nil then). The suites use it to keep
// the exchanges of a failed spec for its report.
func (c *Client) WithObserver(f func(ex *Exchange, err error)) *Client {
	n := *c
	n.observe = f
	return &n
}

// WithSignature returns a client that signs with version v ("v4" or "v2").
func (c *Client) WithSignature(v string) *Client {
	n := *c
	n.cfg.Signature = v
	return &n
}

// Config returns the client's configuration.
func (c *Client) Config() Config { return c.cfg }

// Endpoint returns the endpoint's base URL.
func (c *Client) Endpoint() string { return c.base.String() }

// Request is one raw S3 request. Nothing in it is corrected or defaulted
// except what the protocol needs (Host, signature headers).
type Request struct {
	// Method is the HTTP method; "" means GET.
	Method string
	// Bucket and Key address the resource; both "" is the service. The key
	// is percent-encoded per S3's rules (EncodePath) unless RawPath is set.
	Bucket, Key string
	// RawPath, when set, is sent as the request path exactly as given
	// (already escaped), e.g. "/bucket/a%2Fb".
	RawPath string
	// Query is the raw query string, sent exactly as given
	// ("partNumber=abc&uploadId=x" included).
	Query string
	// Header holds request headers, sent as given.
	Header http.Header
	// Body is the request body; nil means none. For a bytes.Reader,
	// bytes.Buffer or strings.Reader the length is known and SigV4 hashes
	// it; other readers need ContentLength and are sent UNSIGNED-PAYLOAD.
	Body io.Reader
	// ContentLength of Body when Body is not one of the known types; 0
	// with a nil Body means no body.
	ContentLength int64
	// PayloadHash overrides the SigV4 payload hash ("" = computed).
	PayloadHash string
	// Stream leaves the response body open in Exchange.Stream; the caller
	// must close it. Timing.Done is then set by the caller (Exchange.Finish).
	Stream bool
}

// Timing holds the instants of one exchange.
type Timing struct {
	// Start is when Do was called (after signing).
	Start time.Time
	// Wrote is when the request (headers and body) was fully written; zero
	// when the server answered before the request was fully written.
	Wrote time.Time
	// FirstByte is when the first byte of the response arrived.
	FirstByte time.Time
	// Done is when the final body byte was read (or the read failed).
	Done time.Time
}

// TTFB is the time from Start to the first response byte.
func (t Timing) TTFB() time.Duration { return sub(t.FirstByte, t.Start) }

// Total is the time from Start to the final body byte.
func (t Timing) Total() time.Duration { return sub(t.Done, t.Start) }

func sub(a, b time.Time) time.Duration {
	if a.IsZero() || b.IsZero() {
		return 0
	}
	return a.Sub(b)
}

// Exchange is one raw request/response pair.
type Exchange struct {
	// Method and URL as sent.
	Method, URL string
	// RequestHeader as sent, Authorization included: use Record() to get a
	// copy fit for output.
	RequestHeader http.Header
	// Status is the HTTP status code.
	Status int
	// Header holds the response headers.
	Header http.Header
	// Body is the response body, at most Config.MaxBody bytes.
	Body []byte
	// BodyCapped is true when the body was longer than the cap.
	BodyCapped bool
	// BodyErr is the error that ended reading the body early (a connection
	// closed mid-body: a truncated response).
	BodyErr error
	// Stream is the open body when Request.Stream was set.
	Stream io.ReadCloser
	// Timing of the exchange.
	Timing Timing
	// secrets to redact from records of this exchange.
	secrets []string
}

// TransportError is a failure before any response arrived: connection
// refused, TLS failure, timeout, reset.
type TransportError struct {
	Method, URL string
	Err         error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("%s %s: %v", e.Method, e.URL, e.Err)
}
func (e *TransportError) Unwrap() error { return e.Err }

// Do sends r and returns the exchange. The error is non-nil only when no
// response arrived (*TransportError) or the request could not be built;
// any HTTP status, however bad, is an exchange for the caller to judge.
func (c *Client) Do(ctx context.Context, r *Request) (*Exchange, error) {
	// The timeout and the trace go on the context before the request is
	// built, so that net/http's request carries them from the start (no
	// WithContext copy of it per exchange).
	var cancel context.CancelFunc = func() {}
	if _, has := ctx.Deadline(); !has {
		ctx, cancel = context.WithTimeout(ctx, c.cfg.timeout())
	}
	tr := newTraceState()
	ctx = httptrace.WithClientTrace(ctx, &tr.trace)
	req, payloadHash, err := c.build(ctx, r)
	if err != nil {
		cancel()
		return nil, err
	}
	if err := c.sign(req, payloadHash); err != nil {
		cancel()
		return nil, err
	}
	ex := &Exchange{
		Method:  req.Method,
		URL:     c.displayURL(req),
		secrets: c.cfg.Credentials.Secrets(),
	}
	ex.secrets = append(ex.secrets, headerSecrets(req.Header)...)
	// The exchange keeps the request's own header map instead of a copy:
	// build made it for this request alone, net/http only reads it, and a
	// Host entry in it is not written (the Host line comes from req.Host),
	// so adding Host here before sending changes nothing on the wire.
	req.Header.Set("Host", req.Host)
	ex.RequestHeader = req.Header
	ex.Timing.Start = time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		cancel()
		te := &TransportError{Method: req.Method, URL: ex.URL, Err: err}
		if c.observe != nil {
			c.observe(nil, te)
		}
		return nil, te
	}
	now := time.Now()
	ex.Timing.Wrote, ex.Timing.FirstByte = tr.seal()
	if ex.Timing.FirstByte.IsZero() {
		ex.Timing.FirstByte = now
	}
	ex.Status = resp.StatusCode
	ex.Header = resp.Header
	if r.Stream {
		ex.Stream = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
		if c.observe != nil {
			c.observe(ex, nil)
		}
		return ex, nil
	}
	defer cancel()
	defer resp.Body.Close()
	ex.Body, ex.BodyCapped, ex.BodyErr = readCappedHint(resp.Body, c.maxBody, resp.ContentLength)
	ex.Timing.Done = time.Now()
	if c.observe != nil {
		c.observe(ex, nil)
	}
	return ex, nil
}

// traceState holds the instants the trace callbacks see. The callbacks run
// on the transport's goroutines; a server that answers before reading the
// whole request makes WroteRequest fire after Do has returned. The
// instants are kept here and copied into the exchange once (seal), under
// the lock; later callbacks are ignored. One allocation per exchange holds
// the state and the trace.
type traceState struct {
	mu               sync.Mutex
	wrote, firstByte time.Time
	sealed           bool
	trace            httptrace.ClientTrace
}

func newTraceState() *traceState {
	t := &traceState{}
	t.trace.WroteRequest = t.wroteRequest
	t.trace.GotFirstResponseByte = t.gotFirstResponseByte
	return t
}

func (t *traceState) wroteRequest(httptrace.WroteRequestInfo) {
	now := time.Now()
	t.mu.Lock()
	if !t.sealed {
		t.wrote = now
	}
	t.mu.Unlock()
}

func (t *traceState) gotFirstResponseByte() {
	now := time.Now()
	t.mu.Lock()
	if !t.sealed && t.firstByte.IsZero() {
		t.firstByte = now
	}
	t.mu.Unlock()
}

// seal returns the instants seen so far and ignores later callbacks.
func (t *traceState) seal() (wrote, firstByte time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sealed = true
	return t.wrote, t.firstByte
}

// Finish records the end of a streamed body.
func (ex *Exchange) Finish(err error) {
	ex.Timing.Done = time.Now()
	if err != nil && ex.BodyErr == nil {
		ex.BodyErr = err
	}
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// readCappedHint is readCapped for a body whose length is announced as
// hint (-1: unknown): the buffer starts at that size (plus one byte to see
// EOF) instead of growing from bytes.Buffer's 512, and no bytes.Buffer or
// LimitReader is allocated. What it returns is what readCapped returns.
func readCappedHint(r io.Reader, max, hint int64) ([]byte, bool, error) {
	if max <= 0 || hint < 0 || hint >= max {
		return readCapped(r, max)
	}
	buf := make([]byte, 0, hint+1)
	for int64(len(buf)) < max {
		if len(buf) == cap(buf) {
			// Longer than announced (a server that lies, or a reader that
			// ignores the length): grow as append does.
			buf = append(buf, 0)[:len(buf)]
		}
		end := cap(buf)
		if int64(end) > max {
			end = int(max)
		}
		n, err := r.Read(buf[len(buf):end])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, false, nil
		}
		if err != nil {
			return buf, false, err
		}
	}
	// At the cap: is there more?
	extra, err := io.Copy(io.Discard, io.LimitReader(r, 64<<20))
	return buf, extra > 0, err
}

// readCapped reads r to the end, keeping at most max bytes; the rest is
// drained so the connection can be reused, up to a bound.
func readCapped(r io.Reader, max int64) ([]byte, bool, error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, max))
	if err != nil {
		return buf.Bytes(), false, err
	}
	if n < max {
		return buf.Bytes(), false, nil
	}
	// At the cap: is there more?
	extra, err := io.Copy(io.Discard, io.LimitReader(r, 64<<20))
	return buf.Bytes(), extra > 0, err
}

// build turns r into an http.Request and the SigV4 payload hash.
func (c *Client) build(ctx context.Context, r *Request) (*http.Request, string, error) {
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	host := c.base.Host
	path := r.RawPath
	if path == "" {
		path = c.path(r.Bucket, r.Key)
		if c.cfg.VirtualHost && r.Bucket != "" {
			host = r.Bucket + "." + c.base.Host
		}
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	u := &url.URL{Scheme: c.base.Scheme, Host: host, RawQuery: r.Query}
	setPath(u, path)
	var body io.Reader
	length := int64(0)
	payloadHash := r.PayloadHash
	switch b := r.Body.(type) {
	case nil:
		if payloadHash == "" {
			payloadHash = emptySHA256
		}
	case *bytes.Reader:
		data := make([]byte, b.Len())
		if _, err := io.ReadFull(b, data); err != nil {
			return nil, "", err
		}
		body, length = bytes.NewReader(data), int64(len(data))
		if payloadHash == "" {
			payloadHash = hashHex(data)
		}
	case *bytes.Buffer:
		data := b.Bytes()
		body, length = bytes.NewReader(data), int64(len(data))
		if payloadHash == "" {
			payloadHash = hashHex(data)
		}
	case *strings.Reader:
		data := make([]byte, b.Len())
		if _, err := io.ReadFull(b, data); err != nil {
			return nil, "", err
		}
		body, length = bytes.NewReader(data), int64(len(data))
		if payloadHash == "" {
			payloadHash = hashHex(data)
		}
	default:
		body, length = r.Body, r.ContentLength
		if payloadHash == "" {
			payloadHash = UnsignedPayload
		}
	}
	// The request is made for the endpoint and then given the exact URL:
	// net/url would reject (or rewrite) the malformed paths specs send.
	req, err := http.NewRequestWithContext(ctx, method, c.base.String(), body)
	if err != nil {
		return nil, "", fmt.Errorf("building request: %w", err)
	}
	req.URL = u
	req.Host = host
	req.ContentLength = length
	if body == nil {
		req.Body = nil
		req.ContentLength = 0
	} else if length > 0 {
		// Keep http from switching to chunked encoding for readers it does not know.
		req.Body = io.NopCloser(body)
	}
	// A copy of the caller's header (signing adds to it), the values in
	// one backing array as http.Header.Clone does; an empty list stays nil.
	req.Header = make(http.Header, len(r.Header)+4)
	nv := 0
	for _, v := range r.Header {
		nv += len(v)
	}
	vals := make([]string, nv)
	for k, v := range r.Header {
		if len(v) == 0 {
			req.Header[k] = nil
			continue
		}
		n := copy(vals, v)
		req.Header[k] = vals[:n:n]
		vals = vals[n:]
	}
	return req, payloadHash, nil
}

// setPath puts the escaped path on u so that it goes on the wire byte for
// byte, in origin form ("PUT /bucket/key?q HTTP/1.1", as every SDK sends
// it). Paths net/url cannot carry as given (an invalid escape, a byte it
// would escape) go in u.Opaque; one of those that starts with "//" would
// read as a host there, so it is sent in absolute form instead.
func setPath(u *url.URL, path string) {
	if isPlain(path, true) {
		// Nothing to unescape or escape: what setPathGeneral ends with,
		// without its work (FuzzPlainShortcuts compares the two).
		u.Path, u.RawPath = path, path
		return
	}
	setPathGeneral(u, path)
}

// setPathGeneral is setPath for any path: the escaped form is kept as
// RawPath when it round-trips, else sent opaque.
func setPathGeneral(u *url.URL, path string) {
	if p, err := url.PathUnescape(path); err == nil {
		u.Path, u.RawPath = p, path
		if u.EscapedPath() == path {
			return
		}
		u.Path, u.RawPath = "", ""
	}
	if strings.HasPrefix(path, "//") {
		u.Opaque = "//" + u.Host + path
	} else {
		u.Opaque = path
	}
}

// wirePath is the escaped path of u as it goes on the wire.
func wirePath(u *url.URL) string {
	switch {
	case u.Opaque == "":
		return u.EscapedPath()
	case strings.HasPrefix(u.Opaque, "//"):
		rest := strings.TrimPrefix(u.Opaque, "//")
		if i := strings.Index(rest, "/"); i >= 0 {
			return rest[i:]
		}
		return "/"
	default:
		return u.Opaque
	}
}

// displayURL is the URL as it went on the wire, query included.
func (c *Client) displayURL(req *http.Request) string {
	s := req.URL.Scheme + "://" + req.URL.Host + wirePath(req.URL)
	if req.URL.RawQuery != "" {
		s += "?" + req.URL.RawQuery
	}
	return s
}

// path is the escaped path of bucket/key in path-style or virtual-hosted
// addressing.
func (c *Client) path(bucket, key string) string {
	switch {
	case bucket == "":
		return "/"
	case c.cfg.VirtualHost:
		return "/" + EncodePath(key)
	case key == "":
		return "/" + bucket
	default:
		return "/" + bucket + "/" + EncodePath(key)
	}
}

// EncodePath percent-encodes an object key for a request path the way S3
// expects: every byte but unreserved characters and '/' is escaped.
func EncodePath(key string) string { return percentEncode(key, true) }

// EncodeQueryValue percent-encodes a query value the way SigV4 canonicalizes
// it (RFC 3986 unreserved characters only).
func EncodeQueryValue(v string) string { return percentEncode(v, false) }

// percentEncode escapes every byte of s but the unreserved characters (and
// '/' when keepSlash), upper-case hex, as S3 and SigV4 want.
func percentEncode(s string, keepSlash bool) string {
	if isPlain(s, keepSlash) {
		return s
	}
	return percentEncodeGeneral(s, keepSlash)
}

// percentEncodeGeneral is percentEncode without its plain-string shortcut
// (FuzzPlainShortcuts compares the two).
func percentEncodeGeneral(s string, keepSlash bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if isUnreserved(ch) || keepSlash && ch == '/' {
			b.WriteByte(ch)
		} else {
			fmt.Fprintf(&b, "%%%02X", ch)
		}
	}
	return b.String()
}

// isPlain is true when s has only unreserved characters (and '/' when
// slash): percentEncode leaves it as it is.
func isPlain(s string, slash bool) bool {
	for i := 0; i < len(s); i++ {
		if ch := s[i]; !isUnreserved(ch) && !(slash && ch == '/') {
			return false
		}
	}
	return true
}

func isUnreserved(ch byte) bool {
	return 'A' <= ch && ch <= 'Z' || 'a' <= ch && ch <= 'z' || '0' <= ch && ch <= '9' ||
		ch == '-' || ch == '_' || ch == '.' || ch == '~'
}

func hashHex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// ErrNoCredentials is returned by helpers that need a signed request when
// the client has none.
var ErrNoCredentials = errors.New("no credentials: pass --access-key and --secret-key, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
