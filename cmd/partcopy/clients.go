package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/partcopy/partcopy/internal/clients"
	"github.com/partcopy/partcopy/reports"
)

// clientsOptions are the flags of 'partcopy clients'.
type clientsOptions struct {
	ep         endpointFlags
	execs      []string
	execNames  []string
	builtins   string
	retries    []string
	forms      []string
	userForms  []string
	seed       int64
	parallel   int
	timeout    time.Duration
	driversDir string
	cacheDir   string
	bucket     string
	out        string
	doc        string
	gate       bool
	debug      bool
	verbose    bool
	configFile string
}

func init() {
	register(func() *cobra.Command {
		o := &clientsOptions{}
		cmd := &cobra.Command{
			Use:   "clients [--exec 'COMMAND' [--exec-name NAME]]... [flags]",
			Short: "Certify S3 clients: does a client notice a failed copy answered 200?",
			Long: `clients runs a client's UploadPartCopy through partcopy's fault proxy, in front
of the embedded reference endpoint (or --endpoint), once per response form,
and says whether the client noticed what the server actually sent:

  control              a normal 200 CopyPartResult
  error200             200 whose body is an S3 <Error>                 (D02)
  empty200             200 with an empty body                          (D02)
  noetag200            200 CopyPartResult without ETag                 (D02)
  truncate             200, half the body, then the connection drops   (D02)
  keepalive            200, declaration, whitespace, then the result   (S06, legal)
  keepalive-error      the same, then an <Error>                       (S06+D02)
  pre-decl-whitespace  whitespace BEFORE the declaration, then the result
                       (S06's deviation; the copy happened and the body
                       carries its ETag, so an error is a false failure)
  status500            500 with an S3 InternalError body, every attempt
  status503            503 SlowDown, every attempt

Built-in drivers (each with its default retries, and a second row with
retries off): aws-sdk-go-v2 s3.Client.UploadPartCopy and minio-go v7
Core.CopyObjectPart (a Go module of their own, built at run time into the
cache), boto3 upload_part_copy (when python3 has boto3) and
@aws-sdk/client-s3 v3 UploadPartCopyCommand (Node.js; npm ci into the cache).
A driver that cannot run here is "unsupported" with the reason.

Any client: --exec 'COMMAND' (repeatable, each named by the --exec-name of
the same position). With --exec, the built-in drivers run only when
--builtin names them.

` + clients.ContractDoc + `

Reports: clients.json (schema partcopy/clients/v1), clients.md and
clients.html in --out. --form NAME=RULE adds a form of your own (proxy
--fault grammar; repeat NAME to combine rules); its truth is read from what
the proxy sent, like every form's.

Exit codes: 0 no tested cell is SILENT or FALSE FAILURE; 1 some are (the gate;
--gate=false turns it off); 2 usage, configuration, connection, or a client
that never reached the proxy; 130 interrupted (partial reports are written).`,
			Example: `  # the built-in SDK matrix against the embedded endpoint
  partcopy clients --out clients-report

  # your own code path, in any language
  partcopy clients --exec-name app --exec 'python3 myapp/copy_part.py'

  # a client that trusts the status alone: SILENT on every D02 form
  partcopy clients --exec-name curl-f --exec 'curl -sf -X PUT --aws-sigv4 aws:amz:$AWS_REGION:s3 \
      --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H "x-amz-copy-source: $PARTCOPY_COPY_SOURCE" \
      "$PARTCOPY_ENDPOINT/$PARTCOPY_BUCKET/$PARTCOPY_KEY?partNumber=$PARTCOPY_PART_NUMBER&uploadId=$PARTCOPY_UPLOAD_ID"'

  # the Go drivers only, two forms, against a real endpoint
  partcopy clients --endpoint http://127.0.0.1:9000 --access-key AK --secret-key SK \
      --builtin aws-sdk-go-v2,minio-go --forms control,empty200

  # a form of your own: half the copies get a 503 first
  partcopy clients --form 'flaky=copy:status=503@0.5' --forms control`,
			Args: cobra.NoArgs,
			RunE: func(c *cobra.Command, _ []string) error {
				if err := applyConfigFile(c, o.configFile); err != nil {
					return err
				}
				return runClients(c, o)
			},
		}
		fs := cmd.Flags()
		o.ep.add(fs)
		fs.StringArrayVar(&o.execs, "exec", nil, "a client command (sh -c) following the contract above; repeatable")
		fs.StringArrayVar(&o.execNames, "exec-name", nil, "name of the --exec at the same position (default exec-N)")
		fs.StringVar(&o.builtins, "builtin", "", "built-in drivers to run, comma-separated: all, none, "+strings.Join(clients.BuiltinSDKs, ", ")+" (default: all without --exec, none with it)")
		fs.StringSliceVar(&o.retries, "retries", []string{clients.RetriesDefault, clients.RetriesOff}, "rows per built-in driver: default (the SDK's own retries), off")
		fs.StringSliceVar(&o.forms, "forms", nil, "built-in forms to run, comma-separated (default all; 'none' with --form runs only yours)")
		fs.StringArrayVar(&o.userForms, "form", nil, "a form of your own, NAME=RULE (proxy --fault grammar); repeatable")
		fs.Int64Var(&o.seed, "seed", 1, "seed of the proxy's random choices (forms with @probability)")
		fs.IntVar(&o.parallel, "parallel", 4, "cells run at once (each has its own proxy and upload)")
		fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "longest one client run may take before it is killed")
		fs.StringVar(&o.driversDir, "drivers-dir", "", "the built-in drivers' sources (default: internal/clients/drivers of the checkout partcopy was built from)")
		fs.StringVar(&o.cacheDir, "cache-dir", "", "where the built-in drivers are built and installed (default $PARTCOPY_CACHE/clients or ~/.cache/partcopy/clients)")
		fs.StringVar(&o.bucket, "bucket", "", "existing bucket to use (default: a fresh one, deleted at the end)")
		fs.StringVar(&o.out, "out", "partcopy-report", "directory for clients.json, clients.md, clients.html")
		fs.StringVar(&o.doc, "doc", "", "also write the matrix as a documentation page to this file (make clients: docs/clients.md)")
		fs.BoolVar(&o.gate, "gate", true, "exit 1 when a tested cell is SILENT or FALSE FAILURE")
		fs.BoolVar(&o.debug, "debug", false, "drivers log their wire exchanges (PARTCOPY_DEBUG=1), shown on stderr redacted")
		fs.BoolVarP(&o.verbose, "verbose", "v", false, "one line per cell on stderr")
		fs.StringVar(&o.configFile, "config", "", "YAML file of options (keys are flag names); explicit flags override it")
		return cmd
	})
}

func runClients(c *cobra.Command, o *clientsOptions) error {
	stderr := c.ErrOrStderr()
	if len(o.execNames) > len(o.execs) {
		return usageError("--exec-name given %d times but --exec only %d times: each name goes with the --exec at the same position", len(o.execNames), len(o.execs))
	}
	forms, err := o.selectForms()
	if err != nil {
		return err
	}
	sdks, err := o.selectBuiltins()
	if err != nil {
		return err
	}
	if o.parallel < 1 {
		return usageError("--parallel must be at least 1")
	}
	if o.timeout <= 0 {
		return usageError("--timeout must be positive")
	}

	base := c.Context()
	if base == nil {
		base = context.Background()
	}
	ctx, stop := signal.NotifyContext(base, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); stop() }()

	logf := func(string, ...any) {}
	if o.verbose || o.debug {
		logf = func(format string, a ...any) { fmt.Fprintf(stderr, format+"\n", a...) }
	}
	cfg := clients.Config{Forms: forms, Seed: o.seed, Parallel: o.parallel, Timeout: o.timeout,
		Bucket: o.bucket, Debug: o.debug, PartcopyVersion: partcopyVersion()}

	res, embedded, err := o.ep.resolve(ctx)
	if err != nil {
		return err
	}
	if embedded {
		// The embedded endpoint outlives an interrupt: cleanup talks to it.
		e, err := startEmbedded(context.Background(), 0)
		if err != nil {
			return err
		}
		defer e.Close()
		res.Endpoint, res.Credentials, res.Region = e.URL(), e.main(), e.opts.Region
		cfg.EndpointLabel = "embedded (partcopy reference endpoint " + version + ")"
	}
	cfg.Target = o.ep.clientConfig(res)
	cfg.Target.Signature = "" // setup signs SigV4; clients sign themselves
	if strings.HasPrefix(cfg.Target.Endpoint, "https://") {
		if cfg.UpstreamTLS, err = upstreamTLS(o.ep.insecure, o.ep.caCert); err != nil {
			return err
		}
	}
	if !embedded {
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := probe(pctx, cfg.Target, o.ep.source)
		cancel()
		if err != nil {
			return err
		}
	}

	if len(sdks) > 0 {
		rows, err := clients.BuiltinClients(ctx, clients.DriverOptions{Dir: o.driversDir, CacheDir: o.cacheDir, SDKs: sdks, Retries: o.retries, Logf: logf})
		if err != nil {
			return usageError("%v", err)
		}
		for _, r := range rows {
			if r.Unsupported != "" {
				fmt.Fprintf(stderr, "partcopy clients: %s: unsupported: %s\n", r.Name, r.Unsupported)
			}
		}
		cfg.Clients = append(cfg.Clients, rows...)
	}
	seen := map[string]bool{}
	for _, cl := range cfg.Clients {
		seen[cl.Name] = true
	}
	for i, command := range o.execs {
		name := fmt.Sprintf("exec-%d", i+1)
		if i < len(o.execNames) && strings.TrimSpace(o.execNames[i]) != "" {
			name = strings.TrimSpace(o.execNames[i])
		}
		if strings.TrimSpace(command) == "" {
			return usageError("--exec %d is empty", i+1)
		}
		if seen[name] {
			return usageError("client name %q is used twice: give each --exec its own --exec-name", name)
		}
		seen[name] = true
		cfg.Clients = append(cfg.Clients, clients.ExecClient(name, command))
	}
	if len(cfg.Clients) == 0 {
		return usageError("no client to test: give --exec 'COMMAND' or --builtin")
	}
	cfg.Logf = logf

	rep, runErr := clients.Run(ctx, cfg)
	rep.Provenance = collectProvenance(o.ep.usedAWSProfile(embedded), cfg.Target.Credentials.Secrets()...)
	if werr := reports.WriteClients(o.out, rep); werr != nil {
		return usageError("writing the reports: %v", werr)
	}
	if o.doc != "" {
		if err := writeClientsDoc(o.doc, rep); err != nil {
			return usageError("--doc: %v", err)
		}
	}
	printClientsMatrix(stderr, rep)
	fmt.Fprintf(stderr, "partcopy clients: reports in %s\n", o.out)
	switch {
	case ctx.Err() != nil:
		return interrupted("interrupted: partial reports written to %s", o.out)
	case errors.Is(runErr, clients.ErrSetup):
		return usageError("%v (partial reports in %s)", runErr, o.out)
	case runErr != nil:
		return usageError("%v", runErr)
	case o.gate && len(rep.Gate) > 0:
		return checkFailed("%d cell(s) SILENT or FALSE FAILURE: %s", len(rep.Gate), strings.Join(rep.Gate, "; "))
	case rep.Summary.NotRun > 0:
		for _, r := range rep.Results {
			if r.Verdict == reports.ClientNotRun {
				return usageError("%s / %s: %s", r.Client, r.Form, r.Detail)
			}
		}
	}
	return nil
}

func (o *clientsOptions) selectForms() ([]clients.Form, error) {
	user, err := clients.ParseFormFlags(o.userForms)
	if err != nil {
		return nil, usageError("%v", err)
	}
	var forms []clients.Form
	if !(len(o.forms) == 1 && o.forms[0] == "none") {
		if forms, err = clients.SelectForms(o.forms); err != nil {
			return nil, usageError("--forms: %v", err)
		}
	}
	for _, u := range user {
		for _, f := range forms {
			if f.Name == u.Name {
				return nil, usageError("--form %s: a built-in form has that name; pick another", u.Name)
			}
		}
	}
	forms = append(forms, user...)
	if len(forms) == 0 {
		return nil, usageError("no form to run: --forms none needs at least one --form")
	}
	return forms, nil
}

func (o *clientsOptions) selectBuiltins() ([]string, error) {
	v := strings.TrimSpace(o.builtins)
	switch {
	case v == "" && len(o.execs) > 0, v == "none":
		return nil, nil
	case v == "" || v == "all":
		return clients.BuiltinSDKs, nil
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		found := false
		for _, b := range clients.BuiltinSDKs {
			if b == s {
				found = true
			}
		}
		if !found {
			return nil, usageError("--builtin %q: want all, none or some of %s", s, strings.Join(clients.BuiltinSDKs, ", "))
		}
		out = append(out, s)
	}
	return out, nil
}

// printClientsMatrix prints the matrix to stderr, one row per client.
func printClientsMatrix(w io.Writer, rep reports.Clients) {
	width := 6
	for _, c := range rep.Clients {
		width = max(width, len(c.Name))
	}
	for _, c := range rep.Clients {
		fmt.Fprintf(w, "  %-*s", width, c.Name)
		for _, f := range rep.Forms {
			if r, ok := rep.Cell(c.Name, f.Name); ok {
				fmt.Fprintf(w, "  %s=%s", f.Name, r.Verdict)
				if r.Attempts > 1 {
					fmt.Fprintf(w, "x%d", r.Attempts)
				}
			}
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "partcopy clients: %d cells: %d ok, %d detected, %d silent, %d false-failure, %d late, %d unsupported, %d not-run\n",
		rep.Summary.Cells, rep.Summary.OK, rep.Summary.Detected, rep.Summary.Silent, rep.Summary.FalseFailure,
		rep.Summary.Late, rep.Summary.Unsupported, rep.Summary.NotRun)
}

// writeClientsDoc writes the documentation page: what is tested, the
// contract, then the report's Markdown (matrix, versions, cells).
func writeClientsDoc(path string, rep reports.Clients) error {
	var b strings.Builder
	b.WriteString("<!-- Generated by `make clients` (partcopy clients --doc docs/clients.md); do not edit. -->\n\n")
	b.WriteString("# Client certification: does an S3 client notice a failed copy?\n\n")
	b.WriteString("A `200 OK` does not mean an UploadPartCopy succeeded: only a body with an ETag does (clause D02). " +
		"`partcopy clients` runs a client's copy through partcopy's fault proxy once per response form and compares " +
		"what the client reported with what the proxy actually sent. This page is the matrix of the built-in drivers " +
		"(pinned versions below) against the embedded reference endpoint; run it against your own client with " +
		"`partcopy clients --exec 'COMMAND'`.\n\n")
	b.WriteString("## The --exec contract\n\n```text\n" + clients.ContractDoc + "\n```\n\n")
	var md strings.Builder
	if err := reports.WriteClientsMarkdown(&md, rep); err != nil {
		return err
	}
	// The report's own title is replaced by this page's.
	body := md.String()
	if i := strings.Index(body, "\n"); i >= 0 && strings.HasPrefix(body, "# ") {
		body = body[i+1:]
	}
	b.WriteString("## The run\n" + body)
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
