package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/load"
	"github.com/partcopy/partcopy/reports"
)

type loadOptions struct {
	ep             endpointFlags
	duration       time.Duration
	concurrency    int
	rate           float64
	maxInFlight    int
	sourceSize     string
	partSize       string
	sources        int
	ssec           string
	completeEvery  int
	out            string
	bucketPrefix   string
	drain          time.Duration
	every          time.Duration
	shard          shardOptions
	implementation string
	timeout        time.Duration
	thresholds     []string
	abortOnFail    bool
	configFile     string
	iKnow          bool
	client         string
}

// Documented maxima of the load flags (beyond them: --i-know). They keep
// a typo (an extra zero) from opening a hundred thousand connections.
const (
	maxLoadRate        = 1e6
	maxLoadConcurrency = 100000
	maxLoadDuration    = 24 * time.Hour
	maxLoadSources     = 10000
	maxLoadTimeout     = time.Hour
)

func init() {
	register(func() *cobra.Command {
		o := &loadOptions{}
		cmd := &cobra.Command{
			Use:   "load",
			Short: "Measure UploadPartCopy throughput and latency under load",
			Long: `load sends UploadPartCopy requests to an S3 endpoint for --duration and measures
them: latency to the response headers and to the final body byte, copies and
bytes per second, and failures. A copy answered 200 whose body carries no ETag
is a failed copy (D02), counted by its kind.

Two load models:
  --concurrency N  closed loop: N workers send copies back to back.
  --rate R         open loop: R copies per second, each with an intended start
                   time; latency runs from that time even when the endpoint made
                   the generator wait (coordinated omission corrected, as wrk2
                   does), and the figure from the actual send is kept beside it
                   as "uncorrected". At most --max-in-flight copies run at once;
                   copies that start late are counted.
With neither, it runs closed loop with 4 workers.

Setup (not measured) creates a bucket named --bucket-prefix-<random> and the
source objects. Copies go to multipart uploads, part numbers cycling through
1..10000 (one copy in four overwrites a part, D03); every --complete-every
copies an upload is completed (or aborted when its parts are under 5 MiB) and
replaced. Everything is deleted at the end, and on Ctrl-C (a second Ctrl-C
quits at once, leaving the bucket behind).

Without --endpoint (and without AWS_ENDPOINT_URL_S3/AWS_ENDPOINT_URL) it starts
the embedded reference endpoint in process and loads that.

Writes into --out: load.json (schema partcopy/load/v1), load.md, load.html,
latency.svg, throughput.svg, load.csv (one row per second), latency.hlog
(HdrHistogram interval log, tags total and ttfb, values in ns), latency.hgrm,
latency-ttfb.hgrm and latency-uncorrected.hgrm (percentile distributions in
HdrHistogram's text format, ms). Compare two runs with 'partcopy report compare'.

Thresholds (--threshold, repeatable, or comma-separated) gate the run on its
own figures: pNN (p50, p99, p99.9, any percentile), max or mean of the
corrected latency of successful copies, optionally after ttfb., uncorrected.,
failed. or lag. (the generator's own lag), with <, <=, > or >= and a duration
(200ms, 1s; a bare number is ms); errors (failed/total, 0.1% or 0.001);
failed (a count); throughput (successful copies/s, 150/s); bytes (copied
bytes/s, 400MiB/s). Each prints as a ✓/✗ line with the measured value and goes
into load.json (thresholds: [{expr, value, ok}]), load.md and load.html; any ✗
exits 1. --abort-on-fail stops the run as soon as a threshold can no longer
be met (see load/README.md). A run whose generator was limited says so beside
the verdict.

The generator measures its own lag (each copy's actual send minus its
intended start) and warns when it is large against the latency ("generator
limited", naming the cause: CPU-starved, in-flight cap reached, timer
slack); load.json then has generator.limited: true.

Copies go through a lean client of partcopy's own (--client fast: one HTTP/1.1
connection per worker, its own SigV4 signer proven against aws-sdk-go-v2's)
whenever it covers the configuration; SigV2 falls back to the general client
(--client s3call), and the summary and load.json ("client") say which was used.
Either way every copy is judged by the same D02 rule.

Limits (checked before any request): --rate <= 1e6, --concurrency and
--max-in-flight <= 100000, --duration <= 24h, --sources <= 10000, --timeout
<= 1h; --i-know lifts them. --duration ends the dispatch: copies due but never
sent (every worker busy) are counted as not sent, copies in flight get
--drain, and a request gets --timeout (a silent endpoint: one line, exit 2).

Exit codes: 0 the run completed and every threshold was met; 1 a threshold
was not met, or not a single copy succeeded; 2 usage, config or connection
error; 130 interrupted (partial results still written).`,
			Example: `  # 30 s closed loop against the embedded endpoint
  partcopy load --concurrency 16 --duration 30s

  # 200 copies/s of 8 MiB ranges from a 64 MiB source, SSE-C on both sides
  partcopy load --endpoint https://127.0.0.1:9000 --ca-cert ca.pem \
      --access-key AK --secret-key SK --rate 200 --duration 5m \
      --source-size 64MiB --part-size 8MiB --ssec both

  # shard 0 of a run split over 3 machines that start together, with
  # Prometheus metrics; then 'partcopy report merge results --out merged'
  partcopy load --endpoint http://10.0.0.5:9000 --shard 0/3 --start-at 2026-12-04T19:00:00Z \
      --rate 900 --duration 5m --out results --metrics-addr 127.0.0.1:9464

  # gate on absolute SLOs: exit 1 on any miss, stop early once one is lost
  partcopy load --rate 200 --duration 2m --threshold 'p99<200ms' \
      --threshold 'errors<0.1%' --threshold 'throughput>190/s' --abort-on-fail

  # the same from a YAML file (keys are flag names)
  #   rate: 200
  #   threshold: ["p99<200ms", "errors<0.1%"]
  partcopy load --config slo.yaml

  # gate a release on the latency of the previous run
  partcopy load --endpoint http://127.0.0.1:9000 --rate 100 --duration 1m --out new
  partcopy report compare old/load.json new/load.json`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				if err := applyConfigFile(cmd, o.configFile); err != nil {
					return err
				}
				return runLoad(cmd, o)
			},
		}
		fs := cmd.Flags()
		o.ep.add(fs)
		deprecatedAlias(fs, "session-token", "main-session-token")
		fs.StringVar(&o.configFile, "config", "", "YAML file of options (keys are flag names); explicit flags override it")
		fs.DurationVar(&o.duration, "duration", 30*time.Second, "how long to send copies")
		fs.IntVar(&o.concurrency, "concurrency", 0, "closed loop: number of workers sending copies back to back")
		fs.Float64Var(&o.rate, "rate", 0, "open loop: copies per second, latency from each copy's intended start")
		fs.IntVar(&o.maxInFlight, "max-in-flight", load.DefaultMaxInFlight, "open loop: most copies in flight at once")
		fs.StringVar(&o.sourceSize, "source-size", "8MiB", "size of each source object, e.g. 8MiB, 1GiB, or bytes")
		fs.StringVar(&o.partSize, "part-size", "", "size of each copied part (<= source size; smaller copies ranges); default: the whole source")
		fs.IntVar(&o.sources, "sources", 1, "number of source objects")
		fs.StringVar(&o.ssec, "ssec", "none", "SSE-C: none, source (D10), dest (D09) or both")
		fs.IntVar(&o.completeEvery, "complete-every", 100, "copies per multipart upload before it is completed or aborted and replaced")
		fs.StringVar(&o.out, "out", "./partcopy-report", "directory for the results")
		fs.StringVar(&o.bucketPrefix, "bucket-prefix", "partcopy-load", "prefix of the run's bucket name")
		fs.DurationVar(&o.drain, "drain", load.DefaultDrain, "how long copies still in flight at the end may take before they are cancelled")
		fs.StringVar(&o.implementation, "implementation", "", `name and version of the implementation under test, "name" or "name@version"`)
		fs.StringVar(&o.client, "client", "auto", "client for the copies: fast (internal/fastcopy: SigV4 or anonymous, HTTP or HTTPS), s3call (net/http), or auto (fast when it covers the configuration, else s3call)")
		fs.DurationVar(&o.every, "progress-every", 5*time.Second, "period of the progress lines when the output is not a terminal")
		o.shard.add(fs)
		fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "most one request may take, response body included (a silent endpoint fails within it)")
		fs.StringArrayVar(&o.thresholds, "threshold", nil, "gate on the run's figures, e.g. 'p99<200ms', 'errors<0.1%', 'throughput>150/s', 'bytes>400MiB/s' (repeatable; any miss exits 1)")
		fs.BoolVar(&o.abortOnFail, "abort-on-fail", false, "stop the run as soon as a --threshold can no longer be met (exit 1)")
		fs.BoolVar(&o.iKnow, "i-know", false, "lift the documented maxima of --rate, --concurrency, --max-in-flight, --duration, --sources, --timeout")
		return cmd
	})
}

// loadConfig turns the flags into the attack configuration and workload.
func loadConfig(cmd *cobra.Command, o *loadOptions) (load.Config, load.Workload, error) {
	fs := cmd.Flags()
	var cfg load.Config
	var w load.Workload
	if err := checkLoadBounds(o); err != nil {
		return cfg, w, err
	}
	if fs.Changed("concurrency") && fs.Changed("rate") {
		return cfg, w, usageError("--concurrency (closed loop) and --rate (open loop) exclude each other: give one")
	}
	if o.concurrency < 0 || o.rate < 0 || o.maxInFlight < 1 {
		return cfg, w, usageError("--concurrency and --rate must be positive, --max-in-flight at least 1")
	}
	if fs.Changed("concurrency") && o.concurrency == 0 || fs.Changed("rate") && o.rate == 0 {
		return cfg, w, usageError("--concurrency and --rate must be > 0")
	}
	if fs.Changed("max-in-flight") && !fs.Changed("rate") {
		return cfg, w, usageError("--max-in-flight bounds the open loop: it needs --rate")
	}
	if o.duration <= 0 {
		return cfg, w, usageError("--duration must be > 0")
	}
	switch o.client {
	case "auto", load.ClientFast, load.ClientS3call:
	default:
		return cfg, w, usageError("--client %q: use auto, fast or s3call", o.client)
	}
	cfg = load.Config{Duration: o.duration, Rate: o.rate, Concurrency: o.concurrency, MaxInFlight: o.maxInFlight, Drain: o.drain}
	if cfg.Rate == 0 && cfg.Concurrency == 0 {
		cfg.Concurrency = 4
	}
	src, err := load.ParseSize(o.sourceSize)
	if err != nil {
		return cfg, w, usageError("--source-size: %v", err)
	}
	if src <= 0 {
		return cfg, w, usageError("--source-size must be > 0")
	}
	part := src
	if o.partSize != "" {
		if part, err = load.ParseSize(o.partSize); err != nil {
			return cfg, w, usageError("--part-size: %v", err)
		}
		if part <= 0 {
			return cfg, w, usageError("--part-size must be > 0 (omit it to copy the whole source)")
		}
	}
	mode, err := load.ParseSSECMode(o.ssec)
	if err != nil {
		return cfg, w, usageError("--ssec: %v", err)
	}
	w = load.Workload{BucketPrefix: o.bucketPrefix, SourceSize: src, PartSize: part, Sources: o.sources,
		SSEC: mode, CompleteEvery: o.completeEvery}
	if err := w.Validate(); err != nil {
		return cfg, w, usageError("%v", err)
	}
	return cfg, w, cfg.Validate()
}

// checkLoadBounds refuses values no run should start with: not finite,
// not positive, or beyond the documented maxima (unless --i-know).
func checkLoadBounds(o *loadOptions) error {
	if math.IsNaN(o.rate) || math.IsInf(o.rate, 0) {
		return usageError("--rate %v: give a finite number of copies per second", o.rate)
	}
	if o.timeout <= 0 {
		return usageError("--timeout must be > 0 (it bounds every request)")
	}
	if o.drain < 0 {
		return usageError("--drain must not be negative")
	}
	if o.every <= 0 {
		return usageError("--progress-every must be > 0")
	}
	if o.sources < 1 {
		return usageError("--sources must be at least 1")
	}
	if o.completeEvery < 1 {
		return usageError("--complete-every must be at least 1")
	}
	if o.iKnow {
		return nil
	}
	switch {
	case o.rate > maxLoadRate:
		return usageError("--rate %g is over the maximum %g copies/s (pass --i-know if you mean it)", o.rate, float64(maxLoadRate))
	case o.concurrency > maxLoadConcurrency:
		return usageError("--concurrency %d is over the maximum %d (pass --i-know if you mean it)", o.concurrency, maxLoadConcurrency)
	case o.maxInFlight > maxLoadConcurrency:
		return usageError("--max-in-flight %d is over the maximum %d (pass --i-know if you mean it)", o.maxInFlight, maxLoadConcurrency)
	case o.duration > maxLoadDuration:
		return usageError("--duration %s is over the maximum %s (pass --i-know if you mean it)", o.duration, maxLoadDuration)
	case o.sources > maxLoadSources:
		return usageError("--sources %d is over the maximum %d (pass --i-know if you mean it)", o.sources, maxLoadSources)
	case o.timeout > maxLoadTimeout:
		return usageError("--timeout %s is over the maximum %s (pass --i-know if you mean it)", o.timeout, maxLoadTimeout)
	}
	return nil
}

func runLoad(cmd *cobra.Command, o *loadOptions) error {
	ths, err := reports.ParseThresholds(o.thresholds)
	if err != nil {
		return usageError("--threshold: %v", err)
	}
	if o.abortOnFail && len(ths) == 0 {
		return usageError("--abort-on-fail needs at least one --threshold")
	}
	cfg, w, err := loadConfig(cmd, o)
	if err != nil {
		return err
	}
	if err := o.shard.resolve(cmd.Flags(), &cfg, &w, time.Now(), cmd.ErrOrStderr()); err != nil {
		return err
	}
	o.out = o.shard.outDir(o.out)
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	ctx, stop := generatorContext(cmd)
	defer stop()

	t, err := openLoadTarget(ctx, &o.ep, o.timeout, o.implementation, "loading", "run", stderr)
	if err != nil {
		return err
	}
	defer t.close()
	res, embedded, impl, client := t.res, t.embedded, t.impl, t.client
	sc, err := load.NewCopyScenario(client, w)
	if err != nil {
		return usageError("%v", err)
	}
	if o.client != load.ClientS3call {
		if err := sc.UseFastPath(cfg.Workers()); err != nil {
			if o.client == load.ClientFast {
				return usageError("--client fast: %v; use --client s3call or auto", err)
			}
			fmt.Fprintf(stderr, "partcopy: copies go through the s3call client: %v\n", err)
		}
	}
	outs, err := load.OpenOutputs(o.out)
	if err != nil {
		return usageError("--out %s: %v", o.out, err)
	}
	defer outs.Close()
	promSink, stopMetrics, err := o.shard.startMetrics(stderr)
	if err != nil {
		return err
	}
	defer stopMetrics()

	cleanup := func() { cleanupScenario(sc, stderr) }
	fmt.Fprintf(stderr, "partcopy: setting up bucket %s: %d source object(s) of %s\n", sc.Bucket(), w.Sources, load.FormatSize(w.SourceSize))
	uploads := cfg.Concurrency
	if cfg.Rate > 0 {
		uploads = min(cfg.MaxInFlight, 16)
	}
	if err := sc.Setup(ctx, uploads); err != nil {
		cleanup()
		if ctx.Err() != nil {
			return interrupted("interrupted during setup; bucket %s deleted", sc.Bucket())
		}
		if s3call.IsConnectError(err) {
			return usageError("cannot reach %s: %v", res.Endpoint, rootCause(err))
		}
		return usageError("setup against %s failed: %v", res.Endpoint, err)
	}

	prog := load.NewProgress(stderr, isTerminal(os.Stderr) && stderr == io.Writer(os.Stderr), cfg.Duration, o.every)
	cfg.Sinks = append(outs.Sinks(), prog)
	if promSink != nil {
		cfg.Sinks = append(cfg.Sinks, promSink)
	}
	o.shard.beforeAttack(&cfg, time.Now(), stderr)
	var abort *load.AbortCheck
	if o.abortOnFail {
		abort = load.NewAbortCheck(ths, cfg)
		cfg.Sinks, cfg.Stop = append(cfg.Sinks, abort), abort.Stop()
	}
	run, attackErr := load.Attack(ctx, sc, cfg)
	prog.Finish()
	if run == nil {
		cleanup()
		return usageError("%v", attackErr)
	}
	fmt.Fprintf(stderr, "partcopy: cleaning up bucket %s\n", sc.Bucket())
	cleanup()

	meta := load.Meta{Endpoint: res.Endpoint, Version: partcopyVersion(), Workload: sc.Workload(), Implementation: impl, Client: sc.ClientPath(),
		Provenance: collectProvenance(o.ep.usedAWSProfile(embedded), res.Credentials.Secrets()...), Thresholds: ths}
	o.shard.meta(&meta)
	if abort != nil && run.Stopped {
		meta.Aborted = abort.Reason()
	}
	rep, err := outs.Finish(run, meta)
	run.WriteSummary(stdout, meta)
	if len(rep.Thresholds) > 0 {
		fmt.Fprintln(stdout, "Thresholds:")
		for _, t := range rep.Thresholds {
			fmt.Fprintf(stdout, "  %s\n", t.Line())
		}
		limited := rep.Generator != nil && rep.Generator.Limited
		fmt.Fprintf(stdout, "Verdict: %s\n", reports.ThresholdVerdict(rep.Thresholds, limited))
	}
	if meta.Aborted != "" {
		fmt.Fprintf(stdout, "Stopped early after %s: %s can no longer be met\n", run.Elapsed().Round(time.Millisecond), meta.Aborted)
	}
	m := sc.Maintenance()
	fmt.Fprintf(stdout, "Uploads: %d opened, %d completed, %d aborted, %d maintenance failures (not measured)\n",
		m.Created, m.Completed, m.Aborted, m.Failed)
	fmt.Fprintf(stdout, "Run: %s\n", meta.RunID)
	fmt.Fprintf(stdout, "Results: %s\n", filepath.Join(o.out, load.FileJSON))
	if err = errors.Join(err, attackErr); err != nil {
		return fmt.Errorf("writing results into %s: %w", o.out, err)
	}
	switch {
	case run.Interrupted:
		return interrupted("interrupted after %s; partial results in %s", run.Elapsed().Round(time.Second), o.out)
	case run.Counts.Ops > 0 && run.Counts.Succeeded == 0:
		top := load.FailureKeys(run.Failures)
		return checkFailed("not a single copy succeeded (%d failed, mostly %s)", run.Counts.Failed, top[0])
	case run.Counts.Ops == 0:
		return checkFailed("no copy completed in %s", run.Elapsed().Round(time.Millisecond))
	case !reports.ThresholdsPassed(rep.Thresholds):
		var missed []string
		for _, t := range rep.Thresholds {
			if !t.OK {
				missed = append(missed, fmt.Sprintf("%s (measured %s)", t.Expr, reports.FormatThresholdValue(t.Value, t.Unit)))
			}
		}
		return checkFailed("threshold not met: %s", strings.Join(missed, ", "))
	}
	return nil
}
