package faults

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Running is a proxy serving on a listener.
type Running struct {
	// URL is the proxy's base URL, e.g. "http://127.0.0.1:41234".
	URL string
	// Proxy is the handler, for Stats.
	Proxy *Proxy

	srv       *http.Server
	done      chan struct{}
	serveErr  error
	closeOnce sync.Once
	closeErr  error
}

// Start listens on addr ("127.0.0.1:0" picks a port) and serves a proxy to
// target; it returns once the listener is open. HTTP/1.1 only: S3 clients
// speak it, and a reset must be able to hijack the connection.
func Start(target *url.URL, o Options, addr string) (*Running, error) {
	p, err := New(target, o)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	scheme := "http"
	if o.ServerTLS != nil {
		conf := o.ServerTLS.Clone()
		conf.NextProtos = []string{"http/1.1"}
		ln = tls.NewListener(ln, conf)
		scheme = "https"
	}
	errLog := log.New(io.Discard, "", 0)
	if o.Logf != nil {
		errLog = log.New(logfWriter(o.Logf), "partcopy proxy: ", 0)
	}
	srv := &http.Server{
		Handler:           p,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          errLog,
		TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
	rn := &Running{URL: scheme + "://" + ln.Addr().String(), Proxy: p, srv: srv, done: make(chan struct{})}
	go func() {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		rn.serveErr = err
		close(rn.done)
	}()
	return rn, nil
}

// Close stops the listener, waits up to 5 s for requests in flight, then
// closes what is left and the idle upstream connections.
// Calling it again returns the first result.
func (rn *Running) Close() error {
	rn.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := rn.srv.Shutdown(ctx)
		if err != nil {
			err = rn.srv.Close()
		}
		<-rn.done
		if err == nil {
			err = rn.serveErr
		}
		rn.Proxy.CloseIdleConnections()
		rn.closeErr = err
	})
	return rn.closeErr
}

// Done is closed when the server stops serving (after Close, or on a
// listener failure reported by Err).
func (rn *Running) Done() <-chan struct{} { return rn.done }

// Err returns why the server stopped; nil while it serves or after Close.
func (rn *Running) Err() error {
	select {
	case <-rn.done:
		return rn.serveErr
	default:
		return nil
	}
}

type logfWriter func(string, ...any)

func (f logfWriter) Write(b []byte) (int, error) {
	s := string(b)
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	f("%s", s)
	return len(b), nil
}
