package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/partcopy/partcopy/internal/faults"
	"github.com/partcopy/partcopy/internal/redact"
	"github.com/partcopy/partcopy/internal/s3call"
)

// proxyOptions are the flags of 'partcopy proxy'.
type proxyOptions struct {
	target   string
	listen   string
	faults   []string
	seed     int64
	insecure bool
	caCert   string
	tlsCert  string
	tlsKey   string
	verbose  bool
	duration time.Duration
}

func init() {
	register(func() *cobra.Command {
		var o proxyOptions
		cmd := &cobra.Command{
			Use:   "proxy --target URL [--listen ADDR] [--fault SPEC]... [--seed N]",
			Short: "Fault-injecting reverse proxy for S3 endpoints",
			Long: `proxy forwards every request to --target unchanged - method, raw path and
query, the Host header as sent, all headers, streamed bodies - so SigV4/SigV2
signatures still verify there. By rule and probability it injects the faults
real endpoints show: copy-part answers that are a 200 but not a success (D02),
keep-alive whitespace (S06), latency, stalls, connection resets, S3 errors.
Point any S3 client (partcopy conform/load included) at the proxy's URL.

Rule grammar, one rule per --fault:

  [selector:]action[=args | (args)][@probability]

  args are comma-separated, positional in the order shown or name=value;
  probability is 0..1 or a percentage (@0.25, @25%); without it: always.

Selectors (default: copy for body rewrites, all for the rest):
  copy            copy-part requests: PUT with partNumber and uploadId in the
                  query and an x-amz-copy-source header
  all, *          every request
  put, get, ...   one HTTP method
  BASE?k&k=v      BASE and the query has key k (with value v), e.g.
                  copy?partNumber=1, post?uploads, put?partNumber&uploadId

Body rewrites (copy-part responses only; the target still does the copy):
  error200[=code,message]     200 + <Error><Code>InternalError</Code>...
  empty200                    200 + empty body
  noetag200                   200 + CopyPartResult without ETag
  truncate[=keep]             200 + first keep bytes (40) or share (50%, the
                              default) of the real body, then the connection drops
  keepalive[=every,for]       200 + XML declaration at once, a space every
                              'every' (1s) for at least 'for' (3s), then the real
                              result: harmless, a client must succeed
  keepalive-error[=every,for,code,message]
                              the same, ending in <Error>: a failure
  pre-decl-whitespace[=every,for]
                              whitespace BEFORE the XML declaration (breaks
                              common clients); default: one newline

Other actions:
  latency=D                   wait before forwarding; D: 100ms, uniform(10ms,50ms),
                              exp(20ms) (mean), normal(50ms,10ms) (mean,stddev)
  stall=F/P                   freeze F out of every P (from proxy start): requests
                              arriving in a freeze wait until it ends
  reset[=before|after]        close the connection (TCP RST), no response; after:
                              forward first, so the work is done but the answer lost
  status=N[,code,message]     answer HTTP N (400-599) with an S3 <Error> without
                              forwarding (503: SlowDown)

Rules combine in flag order: latency and stall delays that fire add up; of
reset, status and the body rewrites the first that fires wins. The same --seed
and request order inject the same faults (without --seed a random seed is
chosen and printed).

Counters per rule (matched, fired) are served as JSON at
  <proxy URL>` + faults.StatsPath + `
for an unsigned GET (bucket names cannot contain '_'; signed requests are
always forwarded), and printed to stderr when the proxy stops. --verbose logs
each injected fault to stderr (never headers; signature query values redacted).

The proxy's URL is printed on stdout; it runs until SIGINT/SIGTERM (or
--duration) and then exits 0.`,
			Example: `  # a quarter of copy-part answers are 200 + <Error>, all requests get 10-50 ms
  partcopy proxy --target http://127.0.0.1:9000 --listen 127.0.0.1:9080 \
      --fault 'error200@0.25' --fault 'latency=uniform(10ms,50ms)' --seed 1

  # slow-down storm on multipart initiation, keep-alive copies, stalls
  partcopy proxy --target https://s3.example.com --ca-cert ca.pem \
      --fault 'post?uploads:status=503@10%' --fault 'keepalive=500ms,2s' \
      --fault 'stall=1s/5s'

  # only part 1 of every copy is answered without an ETag
  partcopy proxy --target http://127.0.0.1:9000 --fault 'copy?partNumber=1:noetag200'

  curl http://127.0.0.1:9080` + faults.StatsPath,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				if !cmd.Flags().Changed("seed") {
					o.seed = rand.Int64()
				}
				return runProxy(o)
			},
		}
		fs := cmd.Flags()
		fs.StringVar(&o.target, "target", "", "URL of the S3 endpoint to forward to (http or https, no path)")
		fs.StringVar(&o.listen, "listen", "127.0.0.1:9080", "address to listen on (port 0: any free port)")
		fs.StringArrayVar(&o.faults, "fault", nil, "fault rule, repeatable (grammar above); none: pure pass-through")
		fs.Int64Var(&o.seed, "seed", 0, "seed of the random choices (default: random, printed)")
		fs.BoolVar(&o.insecure, "insecure", false, "skip TLS certificate verification of the target")
		fs.StringVar(&o.caCert, "ca-cert", "", "PEM file of extra CA certificates to trust for the target")
		fs.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with this PEM certificate (with --tls-key)")
		fs.StringVar(&o.tlsKey, "tls-key", "", "PEM private key for --tls-cert")
		fs.BoolVarP(&o.verbose, "verbose", "v", false, "log every injected fault to stderr")
		fs.DurationVar(&o.duration, "duration", 0, "stop after this long (default: run until interrupted)")
		return cmd
	})
}

func runProxy(o proxyOptions) error {
	if o.target == "" {
		return usageError("--target is required (the S3 endpoint to forward to)")
	}
	// net/url's errors repeat the whole URL, user info included, and a
	// secret with an unencoded '/' makes it unparsable: name the target
	// without credentials, and refuse credentials in it.
	shown := redact.URL(o.target)
	if strings.Contains(o.target, "@") {
		return usageError("--target %s: credentials in the URL are not allowed (the proxy forwards the client's own signed requests)", shown)
	}
	target, err := url.Parse(o.target)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return usageError("--target %s: %s", shown, redact.String(err.Error()))
	}
	rules, err := faults.ParseRules(o.faults)
	if err != nil {
		return usageError("--fault: %v", err)
	}
	opts := faults.Options{Rules: rules, Seed: o.seed}
	if target.Scheme == "https" {
		if opts.UpstreamTLS, err = upstreamTLS(o.insecure, o.caCert); err != nil {
			return err
		}
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return usageError("--tls-cert and --tls-key go together")
	}
	if o.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
		if err != nil {
			return usageError("--tls-cert/--tls-key: %v", err)
		}
		opts.ServerTLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	if o.verbose {
		opts.Logf = func(format string, a ...any) { fmt.Fprintln(os.Stderr, redact.String(fmt.Sprintf(format, a...))) }
	}
	if o.duration < 0 {
		return usageError("--duration must not be negative")
	}

	rn, err := faults.Start(target, opts, o.listen)
	if err != nil {
		return usageError("proxy: %v", err)
	}
	fmt.Println(rn.URL)
	fmt.Fprintf(os.Stderr, "partcopy proxy: %s -> %s, seed %d, %d rule(s); counters at %s%s\n",
		rn.URL, shown, o.seed, len(rules), rn.URL, faults.StatsPath)
	for i, r := range rules {
		fmt.Fprintf(os.Stderr, "  rule %d: %s\n", i, r.String())
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	select {
	case <-ctx.Done():
	case <-rn.Done():
	}
	serveErr := rn.Err()
	closeErr := rn.Close()
	rep := rn.Proxy.Report()
	fmt.Fprintf(os.Stderr, "partcopy proxy: stopped after %d request(s)\n", rep.Requests)
	for _, s := range rep.Rules {
		fmt.Fprintf(os.Stderr, "  rule %d: %s matched %d fired %d\n", s.Index, s.Rule, s.Matched, s.Fired)
	}
	if serveErr != nil {
		return usageError("proxy: %v", serveErr)
	}
	if closeErr != nil {
		fmt.Fprintf(os.Stderr, "partcopy proxy: close: %v\n", closeErr)
	}
	return nil
}

// upstreamTLS is the TLS configuration for an https target: the client's
// own (--insecure, --ca-cert), so both read a CA file the same way.
func upstreamTLS(insecure bool, caFile string) (*tls.Config, error) {
	conf, err := s3call.Config{Insecure: insecure, CACertFile: caFile}.TLSConfig()
	return conf, asUsage(err)
}
