package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/partcopy/partcopy/internal/refserver"
	"github.com/partcopy/partcopy/internal/size"
)

// serveOptions are the flags of 'partcopy serve'.
type serveOptions struct {
	listen                    string
	region                    string
	accessKey, secretKey      string
	altAccessKey, altSecret   string
	tempAccessKey, tempSecret string
	sessionToken              string
	tlsCert, tlsKey           string
	minPartSize               string
	restoreDelay              time.Duration
	keepAlive                 time.Duration
	copyDelay                 time.Duration
	kmsKeyID                  string
	domain                    string
	verbose                   bool
	maxBodyMemory             string
	bodyReadTimeout           time.Duration
	maxConns                  int
}

func init() {
	register(func() *cobra.Command {
		var o serveOptions
		cmd := &cobra.Command{
			Use:   "serve [--listen ADDR] [flags]",
			Short: "Serve the embedded reference S3 endpoint",
			Long: `serve runs partcopy's reference S3 endpoint: an in-memory S3 server that
implements the documented UploadPartCopy behaviour (every D and S clause) and
the S3 surface the conformance suites and the load generator need around it
(buckets, versioning, objects, CopyObject, multipart uploads, restore of cold
objects, bucket policies and ACLs). It verifies SigV4 and SigV2 signatures.

It knows three principals. Without flags they have fixed, documented
credentials (this is a local test server; it prints them once at startup;
secrets given by flag are never printed, only the access key ids and where
the secrets came from):

  main  ` + refserver.DefaultMain.AccessKey + ` / ` + refserver.DefaultMain.SecretKey + `
  alt   ` + refserver.DefaultAlt.AccessKey + ` / ` + refserver.DefaultAlt.SecretKey + `
        a second user: no rights on main's buckets unless granted (D18/D19/D21)
  temp  ` + refserver.DefaultTemp.AccessKey + ` / ` + refserver.DefaultTemp.SecretKey + `
        temporary credentials of main; every request must carry
        x-amz-security-token: ` + refserver.DefaultTemp.SessionToken + ` (D12)

Hostile clients are bounded: a request body takes memory as its bytes
arrive, never as declared (--max-body-memory over all requests, past it 503
SlowDown), a body that sends nothing for --body-read-timeout is abandoned,
at most --max-conns connections are served at once, headers must arrive
within 10 s and idle connections close after 2 minutes.

Data lives in memory and is gone when the server stops. Big objects built
server side by part copies cost memory per part, not per byte.

Sizes are bytes or take a unit: KB/MB/GB (powers of 1000), KiB/MiB/GiB (powers of 1024).
SIGINT or SIGTERM stops the server cleanly (exit 0).`,
			Example: `  # serve on the default 127.0.0.1:9000 and check a vendor-like setup
  partcopy serve --min-part-size 100KB

  # what large S3 deployments do for long copies (S06): 200 at once, then
  # whitespace every second while a 5 s copy runs
  partcopy serve --keepalive-copies 1s --copy-delay 5s

  # make "restore in progress" observable for 30 s (D05)
  partcopy serve --restore-delay 30s --verbose

  # then, from another shell
  partcopy conform --endpoint http://127.0.0.1:9000 \
    --access-key ` + refserver.DefaultMain.AccessKey + ` --secret-key ` + refserver.DefaultMain.SecretKey,
			Args: cobra.NoArgs,
			RunE: func(c *cobra.Command, _ []string) error { return runServe(c, o) },
		}
		fs := cmd.Flags()
		fs.StringVar(&o.listen, "listen", "127.0.0.1:9000", "address to listen on (host:port; port 0 picks a free one)")
		fs.StringVar(&o.region, "region", "us-east-1", "SigV4 region the server expects")
		fs.StringVar(&o.accessKey, "access-key", "", "main principal's access key id (default "+refserver.DefaultMain.AccessKey+")")
		fs.StringVar(&o.secretKey, "secret-key", "", "main principal's secret key")
		fs.StringVar(&o.altAccessKey, "alt-access-key", "", "alt principal's access key id (default "+refserver.DefaultAlt.AccessKey+")")
		fs.StringVar(&o.altSecret, "alt-secret-key", "", "alt principal's secret key")
		fs.StringVar(&o.tempAccessKey, "temp-access-key", "", "temp principal's access key id (default "+refserver.DefaultTemp.AccessKey+")")
		fs.StringVar(&o.tempSecret, "temp-secret-key", "", "temp principal's secret key")
		fs.StringVar(&o.sessionToken, "temp-session-token", "", "temp principal's session token")
		deprecatedAlias(fs, "session-token", "temp-session-token")
		fs.StringVar(&o.tlsCert, "tls-cert", "", "PEM certificate file: serve HTTPS (with --tls-key)")
		fs.StringVar(&o.tlsKey, "tls-key", "", "PEM private key file for --tls-cert")
		fs.StringVar(&o.minPartSize, "min-part-size", "5MiB", "minimum size of every part but the last at CompleteMultipartUpload (S05)")
		fs.DurationVar(&o.restoreDelay, "restore-delay", 0, "how long a restore of a cold object takes (0: at once)")
		fs.DurationVar(&o.keepAlive, "keepalive-copies", 0, "answer copies at once and send a space every DURATION while they run (S06); 0 disables")
		fs.DurationVar(&o.copyDelay, "copy-delay", 0, "artificial delay added to every copy")
		fs.StringVar(&o.kmsKeyID, "kms-key-id", "", "KMS key id reported for SSE-KMS without a named key (default "+refserver.DefaultKMSKeyARN+")")
		fs.StringVar(&o.domain, "virtual-host-domain", "", "enable virtual-hosted addressing: Host <bucket>.DOMAIN names the bucket")
		fs.BoolVarP(&o.verbose, "verbose", "v", false, "log one line per request to stderr (never secrets)")
		fs.StringVar(&o.maxBodyMemory, "max-body-memory", "2GiB", "bound on the request body bytes being received, over all requests (past it: 503 SlowDown); memory is taken as bytes arrive, never as declared")
		fs.DurationVar(&o.bodyReadTimeout, "body-read-timeout", 30*time.Second, "abandon a request body that sends nothing for this long")
		fs.IntVar(&o.maxConns, "max-conns", 4096, "connections served at once (more wait to be accepted)")
		return cmd
	})
}

// principal applies flag overrides to a default principal.
func principal(def refserver.Principal, ak, sk, token, name string) (refserver.Principal, error) {
	p := def
	if ak != "" {
		p.AccessKey = ak
	}
	if sk != "" {
		p.SecretKey = sk
	}
	if token != "" {
		p.SessionToken = token
	}
	if (ak != "") != (sk != "") {
		return p, fmt.Errorf("--%saccess-key and --%ssecret-key go together", name, name)
	}
	return p, nil
}

func (o serveOptions) options(stderr io.Writer) (refserver.Options, error) {
	var ro refserver.Options
	var err error
	if ro.Main, err = principal(refserver.DefaultMain, o.accessKey, o.secretKey, "", ""); err != nil {
		return ro, err
	}
	if ro.Alt, err = principal(refserver.DefaultAlt, o.altAccessKey, o.altSecret, "", "alt-"); err != nil {
		return ro, err
	}
	if ro.Temp, err = principal(refserver.DefaultTemp, o.tempAccessKey, o.tempSecret, o.sessionToken, "temp-"); err != nil {
		return ro, err
	}
	if ro.Main.AccessKey == ro.Alt.AccessKey || ro.Main.AccessKey == ro.Temp.AccessKey || ro.Alt.AccessKey == ro.Temp.AccessKey {
		return ro, fmt.Errorf("the three principals need distinct access keys")
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return ro, fmt.Errorf("--tls-cert and --tls-key go together")
	}
	if ro.MinPartSize, err = size.Parse(o.minPartSize); err != nil {
		return ro, fmt.Errorf("--min-part-size: %w", err)
	}
	if ro.MinPartSize == 0 {
		return ro, fmt.Errorf("--min-part-size must be at least 1 byte")
	}
	for name, d := range map[string]time.Duration{"--restore-delay": o.restoreDelay, "--keepalive-copies": o.keepAlive, "--copy-delay": o.copyDelay} {
		if d < 0 {
			return ro, fmt.Errorf("%s must not be negative", name)
		}
	}
	if ro.MaxBodyMemory, err = size.Parse(o.maxBodyMemory); err != nil || ro.MaxBodyMemory < 1<<20 {
		return ro, fmt.Errorf("--max-body-memory %q: give a size of at least 1MiB", o.maxBodyMemory)
	}
	if o.bodyReadTimeout <= 0 {
		return ro, fmt.Errorf("--body-read-timeout must be > 0")
	}
	if o.maxConns < 1 {
		return ro, fmt.Errorf("--max-conns must be at least 1")
	}
	ro.BodyReadTimeout, ro.MaxConns = o.bodyReadTimeout, o.maxConns
	ro.Region = o.region
	ro.RestoreDelay, ro.KeepAliveCopy, ro.CopyDelay = o.restoreDelay, o.keepAlive, o.copyDelay
	ro.DefaultKMSKeyID = o.kmsKeyID
	ro.BaseDomain = o.domain
	if o.verbose {
		lg := log.New(stderr, "", log.LstdFlags|log.Lmicroseconds)
		ro.Logf = lg.Printf
	}
	return ro, nil
}

// shownSecret is what the banner prints for a secret: the documented
// default itself, or where a given one came from.
func shownSecret(v, def, flag string) string {
	if v == def {
		return v + " (documented default)"
	}
	return "(from " + flag + ", not shown)"
}

func runServe(c *cobra.Command, o serveOptions) error {
	ro, err := o.options(c.ErrOrStderr())
	if err != nil {
		return usageError("%v", err)
	}
	ctx, stop := signal.NotifyContext(c.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	run, err := refserver.Start(context.WithoutCancel(ctx), ro, o.listen, o.tlsCert, o.tlsKey)
	if err != nil {
		return usageError("%v", err)
	}
	eff := run.Server.Options()
	out := c.OutOrStdout()
	// The documented defaults are public and printed so that they can be
	// copied; a secret given on the command line is never printed, only
	// where it came from.
	fmt.Fprintf(out, "partcopy reference S3 endpoint: %s (region %s)\n", run.URL, eff.Region)
	for _, p := range []struct {
		role        string
		p, def      refserver.Principal
		flag, token string
	}{
		{"main", eff.Main, refserver.DefaultMain, "--secret-key", ""},
		{"alt", eff.Alt, refserver.DefaultAlt, "--alt-secret-key", ""},
		{"temp", eff.Temp, refserver.DefaultTemp, "--temp-secret-key", "--session-token"},
	} {
		fmt.Fprintf(out, "  %-4s  access key %s  secret key %s", p.role, p.p.AccessKey, shownSecret(p.p.SecretKey, p.def.SecretKey, p.flag))
		if p.p.SessionToken != "" {
			fmt.Fprintf(out, "  session token %s", shownSecret(p.p.SessionToken, p.def.SessionToken, p.token))
		}
		fmt.Fprintln(out)
	}
	keep := "off"
	if eff.KeepAliveCopy > 0 {
		keep = "every " + eff.KeepAliveCopy.String()
	}
	fmt.Fprintf(out, "  min part size %d bytes, restore delay %v, keep-alive copies %s, copy delay %v\n",
		eff.MinPartSize, eff.RestoreDelay, keep, eff.CopyDelay)
	fmt.Fprintln(out, "Ctrl-C stops it.")
	<-ctx.Done()
	if err := run.Close(); err != nil {
		return usageError("stopping the endpoint: %v", err)
	}
	fmt.Fprintln(c.ErrOrStderr(), "partcopy serve: stopped")
	return nil
}
