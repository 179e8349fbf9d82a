package fastcopy

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/partcopy/partcopy/internal/s3call"
)

// ErrUnsupported is returned by NewTarget for configurations the fast path
// does not cover; the caller uses s3call's client for them.
var ErrUnsupported = errors.New("fastcopy: not covered by the fast path")

// Target is one endpoint and principal, shared (read-only) by the workers.
type Target struct {
	scheme   string // "http" or "https"
	host     string // the endpoint's host[:port] as in its URL
	vhost    bool
	tls      *tls.Config // nil for http
	creds    s3call.Credentials
	region   string
	timeout  time.Duration
	maxBody  int64
	slack    time.Duration // how stale a connection deadline may get
	endpoint string
	// dialAddr, when set, is dialled instead of the Host (tests: a
	// virtual-hosted name that does not resolve).
	dialAddr string
}

// NewTarget returns the target of cfg, or an error wrapping ErrUnsupported
// (with the reason) when the fast path does not cover cfg, or an
// s3call.ConfigError.
func NewTarget(cfg s3call.Config) (*Target, error) {
	switch {
	case cfg.Signature == s3call.SigV2:
		return nil, unsupported("SigV2 signing")
	case cfg.Signature != "" && cfg.Signature != s3call.SigV4:
		return nil, unsupported("signature " + cfg.Signature)
	case cfg.HTTPClient != nil:
		return nil, unsupported("a custom HTTP client")
	}
	u, err := s3call.ParseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	t := &Target{scheme: u.Scheme, host: u.Host, vhost: cfg.VirtualHost, creds: cfg.Credentials,
		region: cfg.SigningRegion(), timeout: cfg.ExchangeTimeout(), maxBody: cfg.BodyCap(), endpoint: u.String()}
	if u.Scheme == "https" {
		if t.tls, err = cfg.TLSConfig(); err != nil {
			return nil, err
		}
	}
	// A connection's deadline is moved only when it has fallen this far
	// behind now+timeout: moving it costs as much as a small syscall, and a
	// closed loop sends thousands of copies a second per connection. The
	// effective timeout is then between timeout-slack and timeout.
	t.slack = min(t.timeout/1000, 50*time.Millisecond)
	return t, nil
}

func unsupported(why string) error { return &unsupportedError{why: why} }

type unsupportedError struct{ why string }

func (e *unsupportedError) Error() string { return "the fast path does not cover " + e.why }
func (e *unsupportedError) Unwrap() error { return ErrUnsupported }

// CopyPart is one UploadPartCopy as the load scenario sends it.
type CopyPart struct {
	Bucket, Key, UploadID string
	PartNumber            int
	// Source is the raw x-amz-copy-source value.
	Source string
	// Ranged sends x-amz-copy-source-range: bytes=RangeStart-RangeEnd.
	Ranged               bool
	RangeStart, RangeEnd int64
	// Header holds extra headers (SSE-C), sent and signed as given.
	Header []Field
}

// Field is one request header.
type Field struct{ Name, Value string }

// Timing of one exchange, as s3call.Timing: Start after signing, FirstByte
// the first response byte, Done the final body byte (or the failure).
type Timing struct {
	Start, FirstByte, Done time.Time
}

// Worker sends copies over its own connection. Not safe for concurrent
// use.
type Worker struct {
	t      *Target
	signer *Signer
	req    Request
	wbuf   []byte
	body   []byte
	ex     s3call.Exchange

	mu        sync.Mutex // guards nc and aborted against the context's AfterFunc
	nc        net.Conn
	aborted   bool
	connHost  string
	rd        reader
	deadline  time.Time
	idleSince time.Time
	used      bool // the connection has carried a request

	ctx  context.Context
	stop func() bool

	lastBucket, lastVHost string

	now func() time.Time
}

// NewWorker returns a worker with no connection yet.
func (t *Target) NewWorker() *Worker {
	w := &Worker{t: t, now: time.Now}
	if !t.creds.IsZero() {
		w.signer = NewSigner(t.creds.AccessKey, t.creds.SecretKey, t.creds.SessionToken, t.region, "s3")
	}
	return w
}

// emptySHA256 is the SigV4 payload hash of the copy's empty body.
var emptySHA256 = func() string { s := sha256.Sum256(nil); return hex.EncodeToString(s[:]) }()

// UploadPartCopy sends in and classifies the answer by s3call's one D02
// rule (s3call.CopyPartOutcome).
func (w *Worker) UploadPartCopy(ctx context.Context, in *CopyPart) (Timing, s3call.Outcome) {
	w.build(in)
	return w.Do(ctx)
}

// build writes in into w.req as s3call's client would send it.
func (w *Worker) build(in *CopyPart) {
	r := &w.req
	r.Reset()
	r.Method, r.Scheme, r.PayloadHash = "PUT", w.t.scheme, emptySHA256
	m := r.Mark()
	if w.t.vhost && in.Bucket != "" {
		r.Host = w.vhostFor(in.Bucket)
		r.Buf = append(r.Buf, '/')
	} else {
		r.Host = w.t.host
		r.Buf = append(r.Buf, '/')
		r.Buf = append(r.Buf, in.Bucket...)
		r.Buf = append(r.Buf, '/')
	}
	r.Buf = append(r.Buf, s3call.EncodePath(in.Key)...)
	r.EndPath(m)
	// The SDK signer drops a default port from Host, and s3call's wire
	// then carries the same (net/http sends req.Host).
	r.Host = sanitizeHost(r.Scheme, r.Host)
	m = r.Mark()
	r.Buf = append(r.Buf, "partNumber="...)
	r.Buf = appendInt(r.Buf, int64(in.PartNumber))
	r.Buf = append(r.Buf, "&uploadId="...)
	r.Buf = append(r.Buf, s3call.EncodeQueryValue(in.UploadID)...)
	r.EndQuery(m)
	for _, f := range in.Header {
		r.AddHeader(f.Name, f.Value)
	}
	if in.Source != "" {
		r.AddHeader(s3call.HdrCopySource, in.Source)
	}
	if in.Ranged {
		m = r.Mark()
		r.Buf = append(r.Buf, "bytes="...)
		r.Buf = appendInt(r.Buf, in.RangeStart)
		r.Buf = append(r.Buf, '-')
		r.Buf = appendInt(r.Buf, in.RangeEnd)
		r.EndHeader(s3call.HdrCopySourceRange, m)
	}
	r.AddHeader("X-Amz-Content-Sha256", r.PayloadHash)
}

// vhostFor is the virtual-hosted Host of bucket, kept while the bucket
// stays the same (a run has one).
func (w *Worker) vhostFor(bucket string) string {
	if bucket != w.lastBucket || w.lastVHost == "" {
		w.lastBucket, w.lastVHost = bucket, bucket+"."+w.t.host
	}
	return w.lastVHost
}

// Do signs and sends the request built in w.req and classifies the answer
// as a copy (D02).
func (w *Worker) Do(ctx context.Context) (Timing, s3call.Outcome) {
	var tm Timing
	if w.signer != nil {
		w.signer.Sign(&w.req, w.now())
	}
	tm.Start = time.Now()
	resp, err := w.roundTrip(ctx, &tm)
	tm.Done = time.Now()
	if err != nil {
		return tm, s3call.CopyPartOutcome(nil, &s3call.TransportError{Method: w.req.Method, URL: w.displayURL(), Err: err})
	}
	w.ex = s3call.Exchange{Method: w.req.Method, Status: resp.status, Body: resp.body,
		BodyCapped: resp.bodyCapped, BodyErr: resp.bodyErr}
	return tm, s3call.CopyPartOutcome(&w.ex, nil)
}

func (w *Worker) displayURL() string {
	var b strings.Builder
	b.WriteString(w.req.Scheme)
	b.WriteString("://")
	b.WriteString(w.req.Host)
	b.Write(w.req.Path())
	if q := w.req.Query(); len(q) > 0 {
		b.WriteByte('?')
		b.Write(q)
	}
	return b.String()
}

// errAborted is the error of a request whose context ended.
var errAborted = errors.New("fastcopy: request cancelled")

// roundTrip writes the request and reads the response on the worker's
// connection, dialling one when there is none (or the old one is gone).
func (w *Worker) roundTrip(ctx context.Context, tm *Timing) (response, error) {
	if ctx != w.ctx {
		// Registered once per context (the run's), not per request: the
		// context's end moves the connection's deadline into the past.
		if w.stop != nil {
			w.stop()
		}
		w.mu.Lock()
		w.aborted = false
		w.mu.Unlock()
		w.ctx, w.stop = ctx, context.AfterFunc(ctx, w.abort)
	}
	if err := ctx.Err(); err != nil {
		return response{}, err
	}
	now := tm.Start
	deadline := now.Add(w.t.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	host := w.req.Host
	if w.nc != nil && (host != w.connHost || w.used && now.Sub(w.idleSince) > idleCheckAfter && !w.alive()) {
		w.closeConn()
	}
	w.wbuf = w.req.appendWire(w.wbuf[:0])
	for attempt := 0; ; attempt++ {
		fresh := false
		if w.nc == nil {
			if err := w.dial(ctx, host, deadline); err != nil {
				return response{}, err
			}
			fresh = true
		}
		if err := w.setDeadline(deadline, fresh); err != nil {
			w.closeConn()
			return response{}, err
		}
		n, err := w.nc.Write(w.wbuf)
		if err == nil {
			break
		}
		w.closeConn()
		if n == 0 && !fresh && attempt == 0 {
			// Nothing of the request left: the server had closed the
			// reused connection. Send it on a new one, as net/http does for
			// a request without a body. Nothing is ever sent twice.
			continue
		}
		return response{}, w.ctxErr(ctx, err)
	}
	w.used = true
	w.rd.first = time.Time{}
	resp, err := readResponse(&w.rd, w.req.Method, w.t.maxBody, w.body)
	tm.FirstByte = w.rd.first
	if err != nil {
		w.closeConn()
		return resp, w.ctxErr(ctx, err)
	}
	if cap(resp.body) > cap(w.body) {
		w.body = resp.body[:0]
	}
	if resp.bodyErr != nil {
		resp.bodyErr = w.ctxErr(ctx, resp.bodyErr)
	}
	if resp.close || w.rd.buffered() > 0 {
		// Closed by the server, or bytes nobody asked for: the connection
		// carries no further request (net/http drops such a connection too).
		w.closeConn()
	} else {
		w.idleSince = time.Now()
	}
	return resp, nil
}

// idleCheckAfter is how long a connection may sit idle before the worker
// checks, without blocking, that the server has not closed it (a closed
// loop reuses its connection within microseconds and never pays for the
// check).
const idleCheckAfter = 50 * time.Millisecond

// ctxErr prefers the context's error when it ended the request.
func (w *Worker) ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return errors.Join(errAborted, ctx.Err())
	}
	return err
}

func (w *Worker) abort() {
	w.mu.Lock()
	w.aborted = true
	if w.nc != nil {
		_ = w.nc.SetDeadline(time.Unix(1, 0))
	}
	w.mu.Unlock()
}

// setDeadline moves the connection's deadline to d when it has fallen
// more than the slack behind (or the connection is new).
func (w *Worker) setDeadline(d time.Time, force bool) error {
	if !force && d.Sub(w.deadline) <= w.t.slack && !d.Before(w.deadline) {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.aborted {
		return errAborted
	}
	w.deadline = d
	return w.nc.SetDeadline(d)
}

func (w *Worker) dial(ctx context.Context, host string, deadline time.Time) error {
	addr := host
	if w.t.dialAddr != "" {
		addr = w.t.dialAddr
	} else if _, _, err := net.SplitHostPort(host); err != nil {
		if w.t.scheme == "https" {
			addr = net.JoinHostPort(strings.Trim(host, "[]"), "443")
		} else {
			addr = net.JoinHostPort(strings.Trim(host, "[]"), "80")
		}
	}
	dctx, cancel := context.WithDeadline(ctx, minTime(deadline, time.Now().Add(s3call.DialTimeout)))
	defer cancel()
	d := net.Dialer{KeepAlive: 30 * time.Second}
	nc, err := d.DialContext(dctx, "tcp", addr)
	if err != nil {
		return err
	}
	if w.t.tls != nil {
		cfg := w.t.tls.Clone()
		if cfg.ServerName == "" {
			// The name of the Host, as net/http verifies it.
			h, _, err := net.SplitHostPort(host)
			if err != nil {
				h = host
			}
			cfg.ServerName = strings.Trim(h, "[]")
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(dctx); err != nil {
			nc.Close()
			return err
		}
		nc = tc
	}
	w.mu.Lock()
	if w.aborted {
		w.mu.Unlock()
		nc.Close()
		return errAborted
	}
	w.nc = nc
	w.mu.Unlock()
	w.connHost = host
	w.used = false
	w.deadline = time.Time{}
	w.rd.reset(nc)
	return nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func (w *Worker) closeConn() {
	w.mu.Lock()
	nc := w.nc
	w.nc = nil
	w.mu.Unlock()
	if nc != nil {
		_ = nc.Close()
	}
}

// alive reports whether the idle connection is still open: nothing to
// read and no end of stream, checked without blocking.
func (w *Worker) alive() bool {
	raw := w.nc
	if tc, ok := raw.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	return peekAlive(raw)
}

// Close closes the worker's connection.
func (w *Worker) Close() {
	if w.stop != nil {
		w.stop()
	}
	w.closeConn()
}
