package clients

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/partcopy/partcopy/internal/faults"
	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/reports"
)

// Config configures a certification run.
type Config struct {
	// Target is the endpoint behind the proxy, with the credentials the
	// clients get. Setup (bucket, source, uploads) talks to it directly.
	Target s3call.Config
	// EndpointLabel names the target in the report ("" = Target.Endpoint).
	EndpointLabel string
	// UpstreamTLS is the proxy's TLS configuration to an https target; nil
	// means the system roots.
	UpstreamTLS *tls.Config
	// Forms are the response forms, in matrix order. Required.
	Forms []Form
	// Clients are the matrix rows. Required.
	Clients []Client
	// Seed seeds the proxy's random choices (forms with probabilities).
	Seed int64
	// Parallel is how many cells run at once; 0 means 4. Every cell has its
	// own proxy and upload, so cells never share a counter.
	Parallel int
	// Timeout bounds one client run; 0 means 2 minutes.
	Timeout time.Duration
	// SourceSize is the size of the copied source object; 0 means 64 KiB.
	SourceSize int
	// Bucket is an existing bucket to use; "" creates a fresh one and
	// deletes it at the end.
	Bucket string
	// Debug asks the drivers for their wire logging (PARTCOPY_DEBUG=1);
	// Logf then gets it, redacted.
	Debug bool
	// Logf gets one line per cell (and debug output); nil: silent.
	Logf func(string, ...any)
	// PartcopyVersion goes into the report.
	PartcopyVersion string
}

// ErrSetup wraps failures to prepare the target (bucket, source object,
// upload): a configuration or connection problem, not a client's verdict.
var ErrSetup = errors.New("setup")

// Run runs every client once per form and returns the report. The error is
// non-nil for a setup failure (wrapping ErrSetup) or when ctx ended; the
// report is then partial but still holds every cell that finished.
func Run(ctx context.Context, cfg Config) (reports.Clients, error) {
	start := time.Now()
	rep := reports.Clients{
		Schema: reports.ClientsSchema, PartcopyVersion: cfg.PartcopyVersion, Started: start.UTC(),
		Endpoint: cfg.EndpointLabel, Seed: cfg.Seed,
	}
	if rep.Endpoint == "" {
		rep.Endpoint = cfg.Target.Endpoint
	}
	rep.SetSecrets(cfg.Target.Credentials.Secrets()...)
	for _, f := range cfg.Forms {
		rep.Forms = append(rep.Forms, f.Report())
	}
	for _, c := range cfg.Clients {
		rep.Clients = append(rep.Clients, c.Info())
	}
	finish := func(err error) (reports.Clients, error) {
		rep.DurationSeconds = time.Since(start).Seconds()
		rep.Finish()
		if err != nil {
			rep.Partial = true
		}
		return rep, err
	}
	if len(cfg.Forms) == 0 || len(cfg.Clients) == 0 {
		return finish(fmt.Errorf("%w: no forms or no clients to run", ErrSetup))
	}
	r, err := newRunner(cfg)
	if err != nil {
		return finish(err)
	}
	if err := r.setup(ctx); err != nil {
		return finish(err)
	}
	defer r.teardown()

	type job struct{ ci, fi int }
	cells := make([]reports.ClientResult, len(cfg.Clients)*len(cfg.Forms))
	done := make([]bool, len(cells))
	jobs := make(chan job)
	var wg sync.WaitGroup
	var setupErr error
	var mu sync.Mutex
	for range r.parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				res, err := r.cell(ctx, j.ci, j.fi)
				mu.Lock()
				if err != nil {
					if setupErr == nil {
						setupErr = err
					}
				} else {
					cells[j.ci*len(cfg.Forms)+j.fi], done[j.ci*len(cfg.Forms)+j.fi] = res, true
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for ci := range cfg.Clients {
		for fi := range cfg.Forms {
			mu.Lock()
			stop := setupErr != nil
			mu.Unlock()
			if stop || ctx.Err() != nil {
				break feed
			}
			select {
			case jobs <- job{ci, fi}:
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	for i, c := range cells {
		if done[i] {
			rep.Results = append(rep.Results, c)
			continue
		}
		cl, f := cfg.Clients[i/len(cfg.Forms)], cfg.Forms[i%len(cfg.Forms)]
		rep.Results = append(rep.Results, reports.ClientResult{Client: cl.Name, Form: f.Name, Verdict: reports.ClientNotRun,
			Reported: reports.ClientReported{ExitCode: -1}, Detail: "not run: the run stopped before this cell"})
	}
	if setupErr != nil {
		return finish(setupErr)
	}
	return finish(ctx.Err())
}

// runner holds what every cell shares.
type runner struct {
	cfg      Config
	s3       *s3call.Client
	target   *url.URL
	red      *reports.Redactor
	parallel int
	timeout  time.Duration
	runID    string
	bucket   string
	ownBkt   bool
	source   string // source object key
	logf     func(string, ...any)
}

func newRunner(cfg Config) (*runner, error) {
	c, err := s3call.New(cfg.Target)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSetup, err)
	}
	u, err := url.Parse(cfg.Target.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("%w: endpoint: %w", ErrSetup, err)
	}
	for _, f := range cfg.Forms {
		if _, err := faults.ParseRules(f.Rules); err != nil {
			return nil, fmt.Errorf("%w: form %s: %w", ErrSetup, f.Name, err)
		}
	}
	id := make([]byte, 4)
	_, _ = rand.Read(id)
	r := &runner{
		cfg: cfg, s3: c, target: &url.URL{Scheme: u.Scheme, Host: u.Host},
		red: reports.NewRedactor(cfg.Target.Credentials.Secrets()...), parallel: cfg.Parallel, timeout: cfg.Timeout,
		runID: hex.EncodeToString(id), bucket: cfg.Bucket, logf: cfg.Logf,
	}
	if r.parallel <= 0 {
		r.parallel = 4
	}
	if r.timeout <= 0 {
		r.timeout = 2 * time.Minute
	}
	if r.logf == nil {
		r.logf = func(string, ...any) {}
	}
	return r, nil
}

// setup creates the bucket (unless given) and the source object.
func (r *runner) setup(ctx context.Context) error {
	if r.bucket == "" {
		r.bucket = "partcopy-clients-" + r.runID
		ex, err := r.s3.CreateBucket(ctx, r.bucket, nil)
		if err := s3call.Check("CreateBucket "+r.bucket, ex, err, 200); err != nil {
			return fmt.Errorf("%w: %w", ErrSetup, err)
		}
		r.ownBkt = true
	}
	size := r.cfg.SourceSize
	if size <= 0 {
		size = 64 << 10
	}
	r.source = "clients-" + r.runID + "/source.bin"
	body := s3call.GenBytes(1, size)
	ex, err := r.s3.PutObject(ctx, r.bucket, r.source, strings.NewReader(string(body)), int64(size), nil)
	if err := s3call.Check("PutObject "+r.source, ex, err, 200); err != nil {
		return fmt.Errorf("%w: %w", ErrSetup, err)
	}
	return nil
}

// teardown removes what setup made; best effort, bounded in time.
func (r *runner) teardown() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, _ = r.s3.DeleteObject(ctx, r.bucket, r.source, "")
	if r.ownBkt {
		_, _ = r.s3.DeleteBucket(ctx, r.bucket)
	}
}

// Counter rules put in front of every form's rules: they never fire
// (@0), and their "matched" counters are the proxy's own count of
// copy-part and CompleteMultipartUpload requests.
var counterRules = []string{"copy:latency=0s@0", "post?uploadId:latency=0s@0"}

// answeredByProxy reports whether a rule that fired kept the request from
// the target: a status answer, or a reset before forwarding. Every other
// rule forwards (body rewrites answer after the target did the copy).
func answeredByProxy(r faults.Rule) bool {
	return r.Action == faults.ActionStatus || r.Action == faults.ActionReset && !strings.Contains(r.String(), "reset=after")
}

// cell runs one client against one form. The error is a setup failure
// (ErrSetup); a client's failure is its verdict.
func (r *runner) cell(ctx context.Context, ci, fi int) (reports.ClientResult, error) {
	cl, f := r.cfg.Clients[ci], r.cfg.Forms[fi]
	res := reports.ClientResult{Client: cl.Name, Form: f.Name, Reported: reports.ClientReported{ExitCode: -1}}
	if cl.Unsupported != "" {
		res.Verdict, res.Detail = reports.ClientUnsupported, "unsupported: "+cl.Unsupported
		return res, nil
	}
	key := fmt.Sprintf("clients-%s/%02d-%02d-%s", r.runID, ci, fi, f.Name)
	uploadID, ex, err := r.s3.CreateMultipartUpload(ctx, r.bucket, key, nil)
	if err != nil {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		_ = ex
		return res, fmt.Errorf("%w: CreateMultipartUpload %s: %w", ErrSetup, key, err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = r.s3.Do(cctx, &s3call.Request{Method: http.MethodDelete, Bucket: r.bucket, Key: key, Query: "uploadId=" + s3call.EncodeQueryValue(uploadID)})
		_, _ = r.s3.DeleteObject(cctx, r.bucket, key, "") // a client that completed the upload made an object
	}()

	rules, err := faults.ParseRules(append(append([]string{}, counterRules...), f.Rules...))
	if err != nil {
		return res, fmt.Errorf("%w: form %s: %w", ErrSetup, f.Name, err)
	}
	p, err := faults.New(r.target, faults.Options{Rules: rules, Seed: r.cfg.Seed, UpstreamTLS: r.cfg.UpstreamTLS})
	if err != nil {
		return res, fmt.Errorf("%w: proxy: %w", ErrSetup, err)
	}
	rec := &recorder{next: p}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, fmt.Errorf("%w: proxy listener: %w", ErrSetup, err)
	}
	srv := &http.Server{Handler: rec, ReadHeaderTimeout: 30 * time.Second, ErrorLog: discardLog}
	go func() { _ = srv.Serve(ln) }()

	ct := Contract{
		Endpoint: "http://" + ln.Addr().String(), AccessKey: r.cfg.Target.Credentials.AccessKey,
		SecretKey: r.cfg.Target.Credentials.SecretKey, SessionToken: r.cfg.Target.Credentials.SessionToken,
		Region: r.cfg.Target.Region, Bucket: r.bucket, Key: key, UploadID: uploadID, PartNumber: 1,
		CopySource: s3call.CopySource(r.bucket, r.source, ""), Debug: r.cfg.Debug,
	}
	if ct.Region == "" {
		ct.Region = "us-east-1"
	}
	out := runClient(ctx, cl, ct, r.timeout, r.red)

	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if srv.Shutdown(sctx) != nil {
		_ = srv.Close()
	}
	cancel()
	p.CloseIdleConnections()
	if ctx.Err() != nil {
		return res, ctx.Err()
	}

	stats := p.Stats()
	res.Attempts, res.CompleteAttempts = stats[0].Matched, stats[1].Matched
	res.Forwarded = res.Attempts
	for i, st := range stats[len(counterRules):] {
		if answeredByProxy(rules[len(counterRules)+i]) {
			res.Forwarded -= st.Fired
		}
	}
	res.AttemptOutcomes = []string{}
	for _, a := range rec.all() {
		if !a.complete {
			o := a.outcome()
			k := o.FailureKey()
			if o.OK {
				k = string(o.Kind)
			}
			res.AttemptOutcomes = append(res.AttemptOutcomes, k)
		}
	}
	res.DurationSeconds = out.duration.Seconds()
	res.Reported = out.reported
	res.Verdict, res.Answer, res.Detail = judge(out.reported, rec.all())
	if res.Attempts > 1 && res.Verdict != reports.ClientNotRun {
		res.Detail += fmt.Sprintf("; the copy reached the proxy %d times, %d of them ran at the target", res.Attempts, res.Forwarded)
	}
	r.logf("clients: %s / %s: %s (%d attempt(s), %.2fs)", cl.Name, f.Name, res.Verdict, res.Attempts, res.DurationSeconds)
	if r.cfg.Debug && out.stderr != "" {
		r.logf("clients: %s / %s: client stderr:\n%s", cl.Name, f.Name, out.stderr)
	}
	return res, nil
}
