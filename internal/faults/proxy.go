package faults

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/partcopy/partcopy/internal/ctxtime"
	"github.com/partcopy/partcopy/internal/redact"
)

// Options configure a Proxy.
type Options struct {
	// Rules are the faults to inject, in --fault order. None: a pure
	// pass-through proxy.
	Rules []Rule
	// Seed seeds the random choices (probabilities, latency draws). The same
	// seed and the same request order give the same faults; 0 is a seed
	// like any other.
	Seed int64
	// Start anchors the stall schedule; zero means the time New is called.
	Start time.Time
	// Logf, when set, gets one line per injected fault and per upstream
	// failure. It never sees request headers, and signature query
	// parameters are redacted. Nil: silent.
	Logf func(string, ...any)
	// UpstreamTLS configures TLS to an https target (CA pool, verification);
	// nil means the system roots. Ignored when Transport is set.
	UpstreamTLS *tls.Config
	// Transport carries requests to the target; nil means a pooled
	// http.Transport built from UpstreamTLS (HTTP/1.1, no compression).
	Transport http.RoundTripper
	// ServerTLS makes Start serve HTTPS with this config; nil means plain
	// HTTP. New ignores it.
	ServerTLS *tls.Config
}

// Proxy is the fault-injecting reverse proxy; it implements http.Handler.
// Requests are forwarded to the target unchanged (method, raw request-URI,
// Host, headers, streamed body) so that SigV2/SigV4 signatures still verify
// there; responses stream back unchanged unless a rule fires.
type Proxy struct {
	target *url.URL
	rules  []Rule
	counts []ruleCount
	rt     http.RoundTripper
	start  time.Time
	logf   func(string, ...any)
	// logging is true when Options.Logf was given.
	logging bool
	seed    int64

	requests atomic.Int64

	mu  sync.Mutex // guards rng: draws happen in request arrival order
	rng *rand.Rand
}

type ruleCount struct {
	matched, fired atomic.Int64
}

// maxRewriteBody caps the copy-part response bodies the proxy reads in
// order to rewrite them; a CopyPartResult is a few hundred bytes.
const maxRewriteBody = 1 << 20

// New returns a proxy to target (http or https, no path) with the options.
func New(target *url.URL, o Options) (*Proxy, error) {
	if target == nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		return nil, fmt.Errorf("target must be an http:// or https:// URL with a host, got %q", redactURL(target))
	}
	if target.Path != "" && target.Path != "/" || target.RawQuery != "" || target.User != nil {
		// Signatures cover the path: a prefix added by the proxy would
		// break every signed request, so it is refused rather than added.
		return nil, fmt.Errorf("target %q must have no path, query or user info", redactURL(target))
	}
	start := o.Start
	if start.IsZero() {
		start = time.Now()
	}
	rt := o.Transport
	if rt == nil {
		rt = newTransport(o.UpstreamTLS)
	}
	logf := func(string, ...any) {}
	if o.Logf != nil {
		// Every line goes through the redactor, whatever it holds.
		logf = func(format string, a ...any) { o.Logf("%s", redact.String(fmt.Sprintf(format, a...))) }
	}
	return &Proxy{
		target:  &url.URL{Scheme: target.Scheme, Host: target.Host},
		rules:   append([]Rule(nil), o.Rules...),
		counts:  make([]ruleCount, len(o.Rules)),
		rt:      rt,
		start:   start,
		logf:    logf,
		logging: o.Logf != nil,
		seed:    o.Seed,
		rng:     rand.New(rand.NewPCG(uint64(o.Seed), 0x70617274636f7079)), //nolint:gosec // G115: the seed's bits, reinterpreted; "partcopy"
	}, nil
}

func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	// url.URL.Redacted keeps the user name; it can be a secret too.
	v := *u
	v.User = nil
	return redact.URL(v.String())
}

// newTransport returns the pooled upstream transport. HTTP/1.1 only (the
// raw request-URI is sent as-is, which HTTP/2 pseudo-headers would
// validate), no transparent compression (it would add Accept-Encoding and
// alter bodies), no response-header timeout (a copy can take minutes, S06).
func newTransport(tlsConf *tls.Config) *http.Transport {
	if tlsConf != nil {
		tlsConf = tlsConf.Clone()
	}
	return &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tlsConf,
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
		ForceAttemptHTTP2:     false,
		TLSNextProto:          map[string]func(string, *tls.Conn) http.RoundTripper{},
	}
}

// CloseIdleConnections closes idle upstream connections.
func (p *Proxy) CloseIdleConnections() {
	if c, ok := p.rt.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// plan is what the rules decided for one request.
type plan struct {
	delay   time.Duration
	outcome *Rule // reset, status or a body rewrite; nil: pass through
	fired   []int // indexes of fired rules, for the log
}

// decide evaluates the rules for a request arriving at now. Every rule whose
// selector matches counts as matched; delay rules that fire all add up; the
// first outcome rule (reset, status, body rewrite) that fires wins and later
// outcome rules are not rolled. Draws happen under p.mu in arrival order,
// so a seed replays the same faults for the same request sequence.
func (p *Proxy) decide(r *http.Request, q url.Values, now time.Time) plan {
	var pl plan
	isCopy := isCopyPart(r, q)
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.rules {
		rule := &p.rules[i]
		if !rule.sel.match(r.Method, q, isCopy) {
			continue
		}
		if rule.kind == kindRewrite && !isCopy {
			// D02 forms are copy-part answers; a wider selector (all, PUT)
			// still only rewrites copy-part responses.
			continue
		}
		p.counts[i].matched.Add(1)
		if rule.kind != kindDelay && pl.outcome != nil {
			continue
		}
		if !p.roll(rule.Probability) {
			continue
		}
		switch rule.Action {
		case ActionStall:
			w := stallWait(p.start, now, rule.freeze, rule.period)
			if w <= 0 {
				continue
			}
			pl.delay += w
		case ActionLatency:
			pl.delay += rule.dist.sample(p.rng)
		default:
			pl.outcome = rule
		}
		p.counts[i].fired.Add(1)
		pl.fired = append(pl.fired, i)
	}
	return pl
}

// roll draws for probability p; certain outcomes (0, 1) draw nothing, so
// adding an @1 rule does not shift the sequence of the others.
func (p *Proxy) roll(prob float64) bool {
	if prob >= 1 {
		return true
	}
	if prob <= 0 {
		return false
	}
	return p.rng.Float64() < prob
}

// ServeHTTP implements http.Handler.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isStatsRequest(r) {
		p.serveStats(w)
		return
	}
	p.requests.Add(1)
	now := time.Now()
	q, _ := url.ParseQuery(r.URL.RawQuery) // best effort: an odd query just matches less
	pl := p.decide(r, q, now)
	if p.logging {
		learnSecrets(r)
	}
	for _, i := range pl.fired {
		p.logf("partcopy proxy: fault %s fired on %s %s", p.rules[i].String(), r.Method, redactedURI(r))
	}
	if pl.delay > 0 && !ctxtime.Sleep(r.Context(), pl.delay) {
		return // the client gave up while held
	}
	// Every answer a fired rule touched says so, so that a client's record
	// of the exchange shows it received a fault (self-tests, bug reports).
	// A reset sends no answer to carry it.
	for _, i := range pl.fired {
		w.Header().Add(FaultHeader, string(p.rules[i].Action))
	}
	rule := pl.outcome
	if rule == nil {
		p.passThrough(w, r)
		return
	}
	switch rule.Action {
	case ActionReset:
		if rule.afterForward {
			// The target does the work (a copy may complete), then the
			// answer is lost: the client cannot know.
			if res, err := p.forward(r); err == nil {
				_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxRewriteBody))
				res.Body.Close()
			} else {
				p.logUpstream(r, "", err)
			}
		}
		resetConn(w)
	case ActionStatus:
		writeS3Error(w, rule.status, rule.code, rule.message, nil)
	case ActionKeepalive, ActionKeepaliveError, ActionPreDeclWhitespace:
		p.streamRewrite(w, r, rule)
	default:
		p.bufferedRewrite(w, r, rule)
	}
}

// forward sends r to the target unchanged and returns the response.
func (p *Proxy) forward(r *http.Request) (*http.Response, error) {
	out := &http.Request{
		Method:        r.Method,
		URL:           p.upstreamURL(r),
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        forwardHeader(r.Header),
		Host:          r.Host, // Host is signed (SigV4) and names the bucket (virtual-hosted style)
		ContentLength: r.ContentLength,
		Body:          r.Body,
		Trailer:       r.Trailer,
	}
	if r.ContentLength == 0 {
		out.Body = http.NoBody
	}
	out = out.WithContext(r.Context())
	return p.rt.RoundTrip(out)
}

// upstreamURL keeps the client's request-URI byte for byte: the path goes
// in Opaque (which net/http writes verbatim) and the query in RawQuery, so
// encodings like %2F, + and %20 are never normalised (signatures cover
// them).
func (p *Proxy) upstreamURL(r *http.Request) *url.URL {
	u := &url.URL{Scheme: p.target.Scheme, Host: p.target.Host}
	uri := r.RequestURI
	if !strings.HasPrefix(uri, "/") {
		// Absolute-form or "*": fall back to the parsed URL.
		uri = r.URL.EscapedPath()
		if r.URL.ForceQuery || r.URL.RawQuery != "" {
			uri += "?" + r.URL.RawQuery
		}
	}
	path, query, hasQuery := strings.Cut(uri, "?")
	if strings.HasPrefix(path, "//") {
		// An Opaque starting with "//" would be sent in absolute form,
		// whose authority overrides the Host header at the target. Use
		// Path/RawPath instead: net/http sends RawPath verbatim whenever it
		// is a valid encoding of Path, which a request line always is.
		u.Path, _ = url.PathUnescape(path)
		u.RawPath = path
	} else {
		u.Opaque = path
	}
	u.RawQuery = query
	u.ForceQuery = hasQuery && query == ""
	return u
}

// hopHeaders are connection-level headers that a proxy must not forward
// (RFC 9110 7.6.1); none of them can be part of a signature.
var hopHeaders = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

func removeHop(h http.Header) {
	for _, v := range h.Values("Connection") {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				h.Del(f)
			}
		}
	}
	for _, k := range hopHeaders {
		h.Del(k)
	}
}

func forwardHeader(in http.Header) http.Header {
	h := in.Clone()
	if h == nil {
		h = http.Header{}
	}
	removeHop(h)
	if _, ok := h["User-Agent"]; !ok {
		// net/http would add its own User-Agent; an empty value suppresses it.
		h["User-Agent"] = []string{""}
	}
	return h
}

// passThrough forwards the request and streams the response back unchanged.
func (p *Proxy) passThrough(w http.ResponseWriter, r *http.Request) {
	res, err := p.forward(r)
	if err != nil {
		p.upstreamFailed(w, r, err)
		return
	}
	defer res.Body.Close()
	h := w.Header()
	copyHeader(h, res.Header)
	removeHop(h)
	// Suppress what net/http would add on its own, so headers arrive as the
	// target sent them.
	for _, k := range []string{"Content-Type", "Date"} {
		if _, ok := res.Header[k]; !ok {
			h[k] = nil
		}
	}
	for k := range res.Trailer {
		h.Add("Trailer", k)
	}
	w.WriteHeader(res.StatusCode)
	// Flush after every read when the target streams (chunked): a real S3
	// sends keep-alive whitespace that the client must see as it comes (S06).
	if err := copyBody(w, res.Body, res.ContentLength < 0); err != nil {
		if r.Context().Err() == nil {
			p.logUpstream(r, "body", err)
		}
		// Abort so that the client sees a broken body, not a clean end.
		panic(http.ErrAbortHandler)
	}
	for k, v := range res.Trailer {
		h[k] = v
	}
}

// FaultHeader is the response header naming the action of every rule
// that fired on the request (one value per rule, in rule order). It is
// added to every answer the proxy delayed, rewrote or made up; a reset has
// no answer to carry it, and a pass-through answer has none.
const FaultHeader = "X-Partcopy-Fault"

// copyHeader copies the target's response headers into dst. FaultHeader
// values are appended, not replaced, so that the marks of a proxy behind
// this one and this proxy's own both survive.
func copyHeader(dst, src http.Header) {
	for k, v := range src {
		if k == FaultHeader {
			dst[k] = append(append([]string(nil), v...), dst[k]...)
			continue
		}
		dst[k] = v
	}
}

func copyBody(w http.ResponseWriter, body io.Reader, flush bool) error {
	rc := http.NewResponseController(w)
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	for {
		n, err := body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
			if flush {
				_ = rc.Flush()
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (p *Proxy) upstreamFailed(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return // the client is gone
	}
	p.logUpstream(r, "", err)
	writeS3Error(w, http.StatusBadGateway, "BadGateway", "partcopy proxy could not reach the target", nil)
}

// logUpstream logs an upstream failure for r. The *url.Error wrapper is
// dropped: it would print the full request-URI, presigned signature
// included.
func (p *Proxy) logUpstream(r *http.Request, what string, err error) {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if what != "" {
		what = " " + what
	}
	p.logf("partcopy proxy: upstream%s for %s %s: %v", what, r.Method, redactedURI(r), err)
}

// redactedURI is the request-URI for logs, through partcopy's one
// redactor (internal/redact): credential and signature query values go
// whatever separates the parameters ('&' or ';'), and so does every
// secret the proxy has seen in a request's headers.
func redactedURI(r *http.Request) string {
	uri := r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		uri += "?" + r.URL.RawQuery
	}
	return redact.String(uri)
}

// learnSecrets registers the secret header values of a request (session
// token, SSE-C keys) so that no log line repeats them in any encoding,
// in the URI or an upstream error alike. Only while logging: a silent
// proxy has nothing to redact.
func learnSecrets(r *http.Request) {
	for k, vs := range r.Header {
		if redact.IsSecretHeader(k) && !strings.EqualFold(k, "authorization") {
			redact.Add(vs...)
		}
	}
}

// resetConn drops the client connection without a response. On HTTP/1 it
// hijacks the connection and closes it with SO_LINGER 0, so the client
// gets a TCP RST; otherwise it aborts the handler.
func resetConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	nc := net.Conn(conn)
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	if tcp, ok := nc.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

var errBodyTooLarge = errors.New("copy-part response body larger than 1 MiB")
