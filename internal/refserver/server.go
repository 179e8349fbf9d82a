package refserver

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/netutil"
)

// Principal is one set of credentials the endpoint accepts.
type Principal struct {
	// Name is the user name; it also works as a policy principal and as a
	// grantee id (id="main").
	Name string
	// AccessKey is the access key id.
	AccessKey string
	// SecretKey is the secret access key. Never logged.
	SecretKey string
	// SessionToken is the session token of temporary credentials (Temp
	// only). Requests with Temp's access key must carry it in
	// x-amz-security-token (D12). Never logged.
	SessionToken string
}

// The fixed, documented default principals. They are never random so that
// documentation and examples can show them; this is a local test server.
var (
	// DefaultMain owns the buckets it creates.
	DefaultMain = Principal{Name: "main", AccessKey: "PCMAINACCESSKEY00001", SecretKey: "partcopy-main-secret-key-000000000000001"}
	// DefaultAlt is a second user with no rights on main's buckets unless
	// granted by policy or ACL (D18, D19, D21).
	DefaultAlt = Principal{Name: "alt", AccessKey: "PCALTACCESSKEY000002", SecretKey: "partcopy-alt-secret-key-0000000000000002"}
	// DefaultTemp holds temporary credentials of the main user (D12).
	DefaultTemp = Principal{Name: "temp", AccessKey: "PCTEMPACCESSKEY00003", SecretKey: "partcopy-temp-secret-key-000000000000003",
		SessionToken: "partcopy-temp-session-token-0000000000000000000003"}
)

// DefaultKMSKeyARN is the KMS key id reported for SSE-KMS requests that name
// no key (D14) when Options.DefaultKMSKeyID is empty.
const DefaultKMSKeyARN = "arn:aws:kms:us-east-1:000000000001:key/00000000-0000-4000-8000-00000000c0de"

// MaxPartSize is the largest part (and copy source) S3 allows: 5 GiB (D22).
const MaxPartSize int64 = 5 << 30

// Options configure a Server. Every zero value has a documented default.
type Options struct {
	// Region is the SigV4 region; "" means "us-east-1".
	Region string
	// Main, Alt and Temp are the accepted principals; a zero value means
	// DefaultMain, DefaultAlt, DefaultTemp respectively. Temp acts as the
	// same user as Main.
	Main, Alt, Temp Principal
	// MinPartSize is the minimum size of every part but the last at
	// CompleteMultipartUpload (S05); 0 means 5 MiB.
	MinPartSize int64
	// RestoreDelay is how long a POST ?restore takes to finish; 0 means the
	// restore completes at once.
	RestoreDelay time.Duration
	// KeepAliveCopy, when non-zero, makes copies answer 200 at once, write
	// the XML declaration, then a space every KeepAliveCopy while working,
	// then the root element (S06). 0 disables it.
	KeepAliveCopy time.Duration
	// CopyDelay is an artificial delay added to every copy (tests of S06 and
	// load); 0 means none.
	CopyDelay time.Duration
	// DefaultKMSKeyID is reported for SSE-KMS without a named key; "" means
	// DefaultKMSKeyARN.
	DefaultKMSKeyID string
	// BaseDomain enables virtual-hosted-style addressing: a request whose
	// Host is "<bucket>.<BaseDomain>" (port ignored) addresses <bucket>.
	// "" means path-style only.
	BaseDomain string
	// MaxBodyMemory bounds the bytes of request bodies being received,
	// summed over all requests; past it a request gets 503 SlowDown. 0
	// means 2 GiB. Memory is taken as bytes arrive, never as declared.
	MaxBodyMemory int64
	// BodyReadTimeout abandons a request body that sends nothing for this
	// long; 0 means 30 s.
	BodyReadTimeout time.Duration
	// MaxConns bounds the connections served at once (more wait to be
	// accepted); 0 means 4096.
	MaxConns int
	// Logf receives one line per request and per recovered panic; nil
	// means silent. Secrets are never passed to it.
	Logf func(format string, args ...any)
}

func (o Options) withDefaults() Options {
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Main == (Principal{}) {
		o.Main = DefaultMain
	}
	if o.Alt == (Principal{}) {
		o.Alt = DefaultAlt
	}
	if o.Temp == (Principal{}) {
		o.Temp = DefaultTemp
	}
	if o.Main.Name == "" {
		o.Main.Name = "main"
	}
	if o.Alt.Name == "" {
		o.Alt.Name = "alt"
	}
	if o.Temp.Name == "" {
		o.Temp.Name = "temp"
	}
	if o.MaxBodyMemory <= 0 {
		o.MaxBodyMemory = 2 << 30
	}
	if o.BodyReadTimeout <= 0 {
		o.BodyReadTimeout = 30 * time.Second
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 4096
	}
	if o.MinPartSize <= 0 {
		o.MinPartSize = 5 << 20
	}
	if o.DefaultKMSKeyID == "" {
		o.DefaultKMSKeyID = DefaultKMSKeyARN
	}
	o.BaseDomain = strings.ToLower(strings.TrimPrefix(o.BaseDomain, "."))
	return o
}

// identity is an authenticated requester. user is the name of the user the
// request acts as (temp acts as main).
type identity struct {
	p           Principal
	user        string
	canonicalID string
	temp        bool
}

// Server is the reference S3 endpoint. It implements http.Handler and is
// safe for concurrent use.
type Server struct {
	opt  Options
	now  func() time.Time
	keys map[string]*identity // access key id -> identity

	mu      sync.Mutex
	buckets map[string]*bucket
	uploads map[string]*upload

	bodyMem  atomic.Int64 // bytes of request bodies being received
	memo     md5Memo
	salt     []byte // SSE-C key hashes are salted with it; never stored keys
	reqSeq   atomic.Uint64
	reqID    string
	idSeq    atomic.Uint64
	accounts map[string]string // user name -> account id (12 digits)
}

// New returns a Server with o's defaults filled.
func New(o Options) *Server {
	o = o.withDefaults()
	s := &Server{
		opt:     o,
		now:     time.Now,
		buckets: map[string]*bucket{},
		uploads: map[string]*upload{},
		keys:    map[string]*identity{},
	}
	s.salt = make([]byte, 32)
	_, _ = rand.Read(s.salt)
	var rid [4]byte
	_, _ = rand.Read(rid[:])
	s.reqID = strings.ToUpper(hex.EncodeToString(rid[:]))
	s.accounts = map[string]string{o.Main.Name: "000000000001", o.Alt.Name: "000000000002"}
	s.keys[o.Main.AccessKey] = &identity{p: o.Main, user: o.Main.Name, canonicalID: canonicalID(o.Main.Name)}
	s.keys[o.Alt.AccessKey] = &identity{p: o.Alt, user: o.Alt.Name, canonicalID: canonicalID(o.Alt.Name)}
	// Temp acts as the main user: same owner, same rights (D12).
	s.keys[o.Temp.AccessKey] = &identity{p: o.Temp, user: o.Main.Name, canonicalID: canonicalID(o.Main.Name), temp: true}
	return s
}

// canonicalID is the S3 canonical user id of a user: a fixed 64-hex value.
func canonicalID(user string) string {
	h := sha256.Sum256([]byte("partcopy-refserver-user:" + user))
	return hex.EncodeToString(h[:])
}

// Options returns the effective options (defaults filled).
func (s *Server) Options() Options { return s.opt }

func (s *Server) logf(format string, args ...any) {
	if s.opt.Logf != nil {
		s.opt.Logf(format, args...)
	}
}

// newID returns a fresh opaque id (upload ids, version ids).
func (s *Server) newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s%06x", hex.EncodeToString(b[:]), s.idSeq.Add(1)&0xffffff)
}

// Running is a Server listening on a port.
type Running struct {
	// URL is the base URL, e.g. "http://127.0.0.1:41234".
	URL string
	// Server is the handler being served.
	Server *Server

	hs       *http.Server
	done     chan struct{}
	closeErr error
	once     sync.Once
}

// Close shuts the listener down, waiting briefly for requests in flight.
func (r *Running) Close() error {
	r.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r.closeErr = r.hs.Shutdown(ctx)
		if errors.Is(r.closeErr, context.DeadlineExceeded) {
			r.closeErr = r.hs.Close()
		}
		<-r.done
	})
	return r.closeErr
}

// Start serves a new Server for o on addr ("127.0.0.1:0" picks a free port)
// and returns its base URL. With tlsCert and tlsKey (PEM files) it serves
// HTTPS. Cancelling ctx shuts it down like Close.
func Start(ctx context.Context, o Options, addr string, tlsCert, tlsKey string) (*Running, error) {
	if (tlsCert == "") != (tlsKey == "") {
		return nil, errors.New("refserver: TLS needs both a certificate and a key file")
	}
	var tlsCfg *tls.Config
	if tlsCert != "" {
		// Load the pair up front so a bad file is an error here, not later.
		pair, err := tls.LoadX509KeyPair(tlsCert, tlsKey)
		if err != nil {
			return nil, fmt.Errorf("refserver: TLS certificate: %w", err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	}
	srv := New(o)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("refserver: listen %s: %w", addr, err)
	}
	// Connections past MaxConns wait in the kernel's backlog: each costs a
	// goroutine and buffers, and a flood of idle ones must not add up.
	ln = netutil.LimitListener(ln, srv.opt.MaxConns)
	hs := NewHTTPServer(srv)
	scheme := "http"
	if tlsCfg != nil {
		scheme = "https"
		ln = tls.NewListener(ln, tlsCfg)
	}
	r := &Running{URL: scheme + "://" + ln.Addr().String(), Server: srv, hs: hs, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			srv.logf("refserver: serve: %v", err)
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
			_ = r.Close()
		case <-r.done:
		}
	}()
	return r, nil
}

// NewHTTPServer wraps h in an http.Server with the limits a hostile client
// needs: bounded header size and header read time. Bodies are bounded per
// request by the handler itself.
func NewHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		MaxHeaderBytes:    64 << 10,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
}
