package suites

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/suites/clause"
)

// Endpoint health during a run (C of issue 9): a dead endpoint is news, not
// a hundred failures. The spec during which the endpoint stops answering
// fails with the catalogue's crash message and its last exchange; the run
// waits up to Config.RecoverWait for the endpoint to answer again; specs
// that cannot run meanwhile are not-run; buckets the crash left behind are
// removed when the endpoint is back, or listed.
//
// Configuration and transport errors (wrong region, TLS against plain
// HTTP, DNS, an expired token) stop the run: the spec that met one carries
// the config-error entry with one line naming the flag to fix, and the
// suite is aborted, so that no clause gets a verdict from them.

// Incident is one time the endpoint stopped answering.
type Incident struct {
	// Spec is the full text of the spec that was running.
	Spec string
	// Message is what was seen: the transport errors and the last exchange.
	Message string
	// Recovered says whether the endpoint answered again.
	Recovered bool
	// Down is how long it did not answer (to recovery, or to the last
	// check).
	Down time.Duration
}

// Run is what Register returns: what the run learnt about the endpoint
// besides the specs' verdicts. Read it after RunSpecs.
type Run struct{ sc *Ctx }

// Incidents lists the times the endpoint stopped answering.
func (r *Run) Incidents() []Incident {
	r.sc.mu.Lock()
	defer r.sc.mu.Unlock()
	return append([]Incident(nil), r.sc.incidents...)
}

// LeftoverBuckets lists test buckets the run could not remove.
func (r *Run) LeftoverBuckets() []string {
	r.sc.mu.Lock()
	defer r.sc.mu.Unlock()
	var out []string
	for b := range r.sc.leftover {
		out = append(out, b)
	}
	return out
}

// ConfigError is the configuration or transport error that stopped the
// run, "" if none.
func (r *Run) ConfigError() string {
	r.sc.mu.Lock()
	defer r.sc.mu.Unlock()
	return r.sc.configErr
}

// healthProbeTimeout bounds one health check.
const healthProbeTimeout = 5 * time.Second

// isNoAnswer reports a transport error that means the endpoint did not
// answer at all: connection refused or reset, closed early, timed out.
func isNoAnswer(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	m := strings.ToLower(err.Error())
	for _, w := range []string{"connection refused", "connection reset", "broken pipe", "eof", "timeout", "deadline exceeded", "server closed"} {
		if strings.Contains(m, w) {
			return true
		}
	}
	return false
}

// configProblem returns the one line naming a configuration or transport
// error in an exchange (or its absence), "" when there is none. Only what
// no spec provokes on purpose counts: a signed request the endpoint
// refuses for its region, a TLS handshake against plain HTTP (or the
// reverse), an unknown host, the main credentials' expired token.
func (sc *Ctx) configProblem(ex *s3call.Exchange, err error) string {
	if err != nil {
		m := err.Error()
		lm := strings.ToLower(m)
		ep := sc.Cfg.Client.Endpoint
		switch {
		case strings.Contains(lm, "server gave http response to https client"):
			return fmt.Sprintf("%s answers plain HTTP, not HTTPS: use --endpoint %s", ep, strings.Replace(ep, "https://", "http://", 1))
		case strings.Contains(lm, "first record does not look like a tls handshake") || strings.Contains(lm, "malformed http response"):
			return fmt.Sprintf("%s answers TLS, not plain HTTP: use --endpoint %s", ep, strings.Replace(ep, "http://", "https://", 1))
		case strings.Contains(lm, "x509:") || strings.Contains(lm, "tls: "):
			return fmt.Sprintf("TLS with %s failed (%s): check --ca-cert or --insecure", ep, rootMessage(err))
		case strings.Contains(lm, "no such host") || strings.Contains(lm, "server misbehaving"):
			return fmt.Sprintf("the host of %s does not resolve (%s): check --endpoint", ep, rootMessage(err))
		}
		return ""
	}
	if ex == nil || ex.Status < 400 {
		return ""
	}
	e, _ := s3call.ParseError(ex.Body)
	signedV4 := strings.HasPrefix(ex.RequestHeader.Get("Authorization"), "AWS4-HMAC-SHA256")
	switch {
	case signedV4 && (e.Code == "AuthorizationHeaderMalformed" || e.Code == "InvalidRegion") && strings.Contains(strings.ToLower(e.Message), "region"):
		region := regionInMessage(e.Message)
		if region == "" {
			return fmt.Sprintf("%s refuses the signing region %q (%s %q): check --region", sc.Cfg.Client.Endpoint, sc.Cfg.Client.Region, e.Code, e.Message)
		}
		return fmt.Sprintf("%s refuses the signing region %q (%s: expecting %q): use --region %s", sc.Cfg.Client.Endpoint, sc.Cfg.Client.Region, e.Code, region, region)
	case e.Code == "ExpiredToken" && ex.RequestHeader.Get(s3call.HdrSecurityToken) != "" &&
		sc.Cfg.Client.Credentials.SessionToken != "" && ex.RequestHeader.Get(s3call.HdrSecurityToken) != sc.Cfg.Temp.SessionToken:
		return fmt.Sprintf("%s says the main credentials' session token expired (%s): renew --main-session-token", sc.Cfg.Client.Endpoint, e.Code)
	}
	return ""
}

// regionInMessage finds the region an "expecting 'us-east-1'" message
// names.
func regionInMessage(m string) string {
	i := strings.Index(strings.ToLower(m), "expecting")
	if i < 0 {
		return ""
	}
	rest := m[i+len("expecting"):]
	rest = strings.TrimLeft(rest, " :")
	rest = strings.Trim(rest, ".")
	if len(rest) > 0 && (rest[0] == '\'' || rest[0] == '"') {
		q := rest[0]
		if j := strings.IndexByte(rest[1:], q); j >= 0 {
			return rest[1 : 1+j]
		}
	}
	f := strings.Fields(rest)
	if len(f) > 0 {
		return strings.Trim(f[0], `'".,`)
	}
	return ""
}

func rootMessage(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}

// alive sends one health check (ListBuckets as Main, not recorded) and
// reports whether the endpoint answered at all; any HTTP status counts.
func (sc *Ctx) alive() (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), healthProbeTimeout)
	defer cancel()
	_, err := sc.probe.ListBuckets(ctx)
	if err != nil && isNoAnswer(err) {
		return false, err
	}
	return true, nil
}

// lastNoAnswer returns the spec's last record when it is a request that got
// no answer, and how many of the spec's records in a row at the end did.
func (sc *Ctx) lastNoAnswer() (s3call.Record, int, bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	n := 0
	for i := len(sc.records) - 1; i >= 0; i-- {
		if sc.records[i].ex != nil { // an answer
			break
		}
		n++
	}
	if n == 0 {
		return s3call.Record{}, 0, false
	}
	return s3call.TransportRecord(sc.records[len(sc.records)-1].err, sc.secrets...), n, true
}

// afterSpec runs after every spec, before its cleanups: it stops the run
// on a configuration error, and notices the endpoint dying during a
// failed spec (then waits for it, so that the cleanups can run).
func (sc *Ctx) afterSpec(failed bool) {
	if line := sc.takeConfigError(); line != "" {
		AddReportEntry(clause.EntryConfigError, line, ReportEntryVisibilityNever)
		AbortSuite("configuration error: " + line)
		return
	}
	if !failed {
		return
	}
	last, n, ok := sc.lastNoAnswer()
	if !ok {
		return
	}
	if up, _ := sc.alive(); up {
		return // the spec's own transport trouble; the endpoint answers
	}
	msg := fmt.Sprintf("the last %d request(s) of the spec got no answer, and neither did a health check (ListBuckets); last exchange: %s %s -> no response: %s",
		n, last.Method, last.URL, last.TransportError)
	AddReportEntry(clause.EntryEndpointDown, msg, ReportEntryVisibilityNever)
	sc.mu.Lock()
	sc.downSince = time.Now()
	sc.incidents = append(sc.incidents, Incident{Spec: CurrentSpecReport().FullText(), Message: msg})
	sc.mu.Unlock()
	GinkgoWriter.Printf("partcopy: %s; waiting up to %s for it to answer again\n", clause.CrashMessage, sc.Cfg.recoverWait())
	sc.waitForEndpoint(sc.Cfg.recoverWait())
}

// waitForEndpoint polls until the endpoint answers or d has passed, and
// records the outcome on the last incident.
func (sc *Ctx) waitForEndpoint(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if up, _ := sc.alive(); up {
			sc.recovered()
			return true
		}
		if time.Now().After(deadline) {
			sc.mu.Lock()
			if n := len(sc.incidents); n > 0 {
				sc.incidents[n-1].Down = time.Since(sc.downSince)
			}
			sc.mu.Unlock()
			return false
		}
		time.Sleep(time.Second)
	}
}

// recovered marks the endpoint as answering again and removes the buckets
// the outage left behind.
func (sc *Ctx) recovered() {
	sc.mu.Lock()
	wasDown := !sc.downSince.IsZero()
	if wasDown {
		if n := len(sc.incidents); n > 0 {
			sc.incidents[n-1].Recovered = true
			sc.incidents[n-1].Down = time.Since(sc.downSince)
		}
	}
	sc.downSince = time.Time{}
	var left []string
	for b := range sc.leftover {
		left = append(left, b)
	}
	sc.mu.Unlock()
	for _, b := range left {
		cctx, cancel := cleanupCtx()
		err := sc.probe.EmptyAndDeleteBucket(cctx, b)
		cancel()
		if err == nil {
			sc.mu.Lock()
			delete(sc.leftover, b)
			sc.mu.Unlock()
		}
	}
}

// isDown reports whether the endpoint stopped answering and has not
// answered since.
func (sc *Ctx) isDown() bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return !sc.downSince.IsZero()
}

// beforeSpec runs before every spec: a run stopped by a configuration
// error stays stopped, and while the endpoint is down the spec is
// not-run (one quick health check first: it may be back).
func (sc *Ctx) beforeSpec() {
	if sc.isDown() {
		if up, err := sc.alive(); up {
			sc.recovered()
		} else {
			sc.mu.Lock()
			since := sc.downSince
			sc.mu.Unlock()
			Skip(fmt.Sprintf("%s%s: no answer since %s (%v)", clause.NotRunPrefix, clause.EndpointDownReason, since.UTC().Format(time.RFC3339), err))
		}
	}
}

// noteConfigError keeps the first configuration error an exchange shows.
func (sc *Ctx) noteConfigError(ex *s3call.Exchange, err error) {
	line := sc.configProblem(ex, err)
	if line == "" {
		return
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.configErr == "" {
		sc.configErr = line
		sc.configPending = true
	}
}

// takeConfigError returns the configuration error not yet reported.
func (sc *Ctx) takeConfigError() string {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if !sc.configPending {
		return ""
	}
	sc.configPending = false
	return sc.configErr
}

// leftBehind records a bucket whose removal failed for lack of an answer.
func (sc *Ctx) leftBehind(b string) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.leftover[b] = true
}
