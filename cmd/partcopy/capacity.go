package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/load"
	"github.com/partcopy/partcopy/reports"
)

type capacityOptions struct {
	ep            endpointFlags
	configFile    string
	slo           []string
	startRate     float64
	factor        float64
	resolution    string
	maxRate       float64
	warmup        time.Duration
	measure       time.Duration
	repeats       int
	concurrency   string
	maxInFlight   int
	sourceSize    string
	partSize      string
	sources       int
	ssec          string
	completeEvery int
	bucketPrefix  string
	timeout       time.Duration
	out           string
	iKnow         bool
	// implementation names the endpoint under test in capacity.json.
	implementation string
}

func init() {
	register(func() *cobra.Command {
		o := &capacityOptions{}
		cmd := &cobra.Command{
			Use:   "capacity --slo EXPR[,EXPR...]",
			Short: "Find the highest copy rate an endpoint sustains under an SLO; sweep concurrency and fit the USL",
			Long: `capacity answers "what is the highest UploadPartCopy rate this endpoint sustains
with p99 under 200 ms and under 0.1% errors?".

Open-loop search: starting at --start-rate, each step offers a constant rate
for --warmup (discarded) plus --measure (judged), and steps up by --factor
until the SLO breaks; then it bisects between the last rate that met the SLO
and the first that did not until they are within --resolution. A step meets
the SLO when every --slo threshold holds over its measurement window (same
expressions as 'partcopy load --threshold') and at least 95% of the offered
rate completed. A step is repeated (up to --repeats times, majority decides)
when it is inconclusive: the generator was limited (CPU-starved, timer
slack), or a latency is within 5% of its limit. Every step's full result is
kept.

Closed-loop sweep (--concurrency 1,2,4,8,16,32): one step per worker count;
the Universal Scalability Law X(N) = λN/(1+σ(N-1)+κN(N-1)) is fitted to the
throughput, giving the predicted peak concurrency and throughput and the
fit's R².

Writes into --out: capacity.json (schema partcopy/capacity/v1: the SLO, every
step, maxSustainableRate in copies/s and bytes/s, the knee, the USL
coefficients, generatorLimited), capacity.md and capacity.html (throughput vs
offered rate, p99 vs throughput with the SLO line and the knee, throughput vs
concurrency with the USL curve). A line per step goes to stderr.

Setup is as for 'partcopy load' (bucket, sources, uploads; not measured; all
deleted at the end). Without --endpoint it loads the embedded endpoint.

Exit codes: 0 a sustainable rate was found (or the sweep ran); 1 even the
start rate breaks the SLO; 2 usage, config or connection error; 130
interrupted (partial results written).`,
			Example: `  # highest rate with p99 under 200 ms and under 0.1% errors, to 5%
  partcopy capacity --endpoint http://127.0.0.1:9000 --access-key AK --secret-key SK \
      --slo 'p99<200ms,errors<0.1%' --start-rate 50 --resolution 5%

  # and a closed-loop sweep with a USL fit
  partcopy capacity --slo 'p99<200ms' --start-rate 50 --concurrency 1,2,4,8,16,32,64

  # quick look at the embedded endpoint
  partcopy capacity --slo 'p99<50ms' --start-rate 100 --warmup 1s --measure 3s --out cap`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				if err := applyConfigFile(cmd, o.configFile); err != nil {
					return err
				}
				return runCapacity(cmd, o)
			},
		}
		fs := cmd.Flags()
		o.ep.add(fs)
		deprecatedAlias(fs, "session-token", "main-session-token")
		fs.StringVar(&o.configFile, "config", "", "YAML file of options (keys are flag names); explicit flags override it")
		fs.StringVar(&o.implementation, "implementation", "", `name and version of the implementation under test, "name" or "name@version"`)
		fs.StringArrayVar(&o.slo, "slo", nil, "thresholds every step must meet, e.g. 'p99<200ms,errors<0.1%' (repeatable; syntax of load --threshold)")
		fs.Float64Var(&o.startRate, "start-rate", 10, "first offered rate, copies/s (0: no open-loop search, only the --concurrency sweep)")
		fs.Float64Var(&o.factor, "factor", 2, "rate multiplier of each step up until the SLO breaks")
		fs.StringVar(&o.resolution, "resolution", "5%", "bisect until the bracket is narrower than this share of the rate (5% or 0.05)")
		fs.Float64Var(&o.maxRate, "max-rate", 0, "highest rate to try, copies/s (0: no cap below 1e6)")
		fs.DurationVar(&o.warmup, "warmup", 5*time.Second, "start of every step that is discarded")
		fs.DurationVar(&o.measure, "measure", 20*time.Second, "measurement window of every step")
		fs.IntVar(&o.repeats, "repeats", 3, "most runs of an inconclusive step (generator limited, latency within 5% of a limit)")
		fs.StringVar(&o.concurrency, "concurrency", "", "closed-loop sweep: worker counts, e.g. 1,2,4,8,16,32 (USL fit needs 3 or more)")
		fs.IntVar(&o.maxInFlight, "max-in-flight", load.DefaultMaxInFlight, "open-loop steps: most copies in flight at once")
		fs.StringVar(&o.sourceSize, "source-size", "8MiB", "size of each source object")
		fs.StringVar(&o.partSize, "part-size", "", "size of each copied part (default: the whole source)")
		fs.IntVar(&o.sources, "sources", 1, "number of source objects")
		fs.StringVar(&o.ssec, "ssec", "none", "SSE-C: none, source, dest or both")
		fs.IntVar(&o.completeEvery, "complete-every", 100, "copies per multipart upload before it is replaced")
		fs.StringVar(&o.bucketPrefix, "bucket-prefix", "partcopy-capacity", "prefix of the run's bucket name")
		fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "most one request may take")
		fs.StringVar(&o.out, "out", "./partcopy-report", "directory for capacity.json, capacity.md, capacity.html")
		fs.BoolVar(&o.iKnow, "i-know", false, "lift the documented maxima (rates 1e6/s, concurrency and in-flight 100000, windows 1h)")
		return cmd
	})
}

// parseShare reads "5%" or "0.05" as a fraction in (0, 1).
func parseShare(s string) (float64, error) {
	t := strings.TrimSpace(s)
	div := 1.0
	if strings.HasSuffix(t, "%") {
		t, div = strings.TrimSuffix(t, "%"), 100
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v/div <= 0 || v/div >= 1 {
		return 0, fmt.Errorf("%q: give a share in (0, 1), e.g. 5%% or 0.05", s)
	}
	return v / div, nil
}

func capacityConfig(o *capacityOptions) (load.CapacityOptions, load.Workload, error) {
	var co load.CapacityOptions
	var w load.Workload
	slo, err := reports.ParseThresholds(o.slo)
	if err != nil {
		return co, w, usageError("--slo: %v", err)
	}
	if len(slo) == 0 {
		return co, w, usageError("--slo is required, e.g. --slo 'p99<200ms,errors<0.1%%'")
	}
	res, err := parseShare(o.resolution)
	if err != nil {
		return co, w, usageError("--resolution %v", err)
	}
	var conc []int
	if o.concurrency != "" {
		for _, f := range strings.Split(o.concurrency, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				return co, w, usageError("--concurrency %q: give worker counts >= 1, e.g. 1,2,4,8", o.concurrency)
			}
			if n > maxLoadConcurrency && !o.iKnow {
				return co, w, usageError("--concurrency %d is over the maximum %d (pass --i-know if you mean it)", n, maxLoadConcurrency)
			}
			conc = append(conc, n)
		}
	}
	for name, v := range map[string]float64{"--start-rate": o.startRate, "--factor": o.factor, "--max-rate": o.maxRate} {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return co, w, usageError("%s %v: give a finite, non-negative number", name, v)
		}
	}
	switch {
	case o.startRate == 0 && len(conc) == 0:
		return co, w, usageError("give --start-rate > 0 (open-loop search) or --concurrency (sweep)")
	case o.factor <= 1:
		return co, w, usageError("--factor must be > 1")
	case o.maxRate > 0 && o.maxRate < o.startRate:
		return co, w, usageError("--max-rate %g is below --start-rate %g", o.maxRate, o.startRate)
	case o.measure <= 0 || o.warmup < 0:
		return co, w, usageError("--measure must be > 0 and --warmup not negative")
	case o.repeats < 1:
		return co, w, usageError("--repeats must be at least 1")
	case o.timeout <= 0:
		return co, w, usageError("--timeout must be > 0")
	case o.maxInFlight < 1:
		return co, w, usageError("--max-in-flight must be at least 1")
	case !o.iKnow && (o.startRate > maxLoadRate || o.maxRate > maxLoadRate):
		return co, w, usageError("rates are limited to %g copies/s (pass --i-know if you mean it)", float64(maxLoadRate))
	case !o.iKnow && o.maxInFlight > maxLoadConcurrency:
		return co, w, usageError("--max-in-flight %d is over the maximum %d (pass --i-know if you mean it)", o.maxInFlight, maxLoadConcurrency)
	case !o.iKnow && (o.measure > time.Hour || o.warmup > time.Hour || o.timeout > maxLoadTimeout):
		return co, w, usageError("--warmup, --measure and --timeout are limited to 1h (pass --i-know if you mean it)")
	}
	src, err := load.ParseSize(o.sourceSize)
	if err != nil || src <= 0 {
		return co, w, usageError("--source-size %q: give a size > 0, e.g. 8MiB", o.sourceSize)
	}
	part := src
	if o.partSize != "" {
		if part, err = load.ParseSize(o.partSize); err != nil || part <= 0 {
			return co, w, usageError("--part-size %q: give a size > 0 (omit it to copy the whole source)", o.partSize)
		}
	}
	if o.sources < 1 || (!o.iKnow && o.sources > maxLoadSources) {
		return co, w, usageError("--sources must be in 1..%d", maxLoadSources)
	}
	mode, err := load.ParseSSECMode(o.ssec)
	if err != nil {
		return co, w, usageError("--ssec: %v", err)
	}
	w = load.Workload{BucketPrefix: o.bucketPrefix, SourceSize: src, PartSize: part, Sources: o.sources, SSEC: mode, CompleteEvery: o.completeEvery}
	if err := w.Validate(); err != nil {
		return co, w, usageError("%v", err)
	}
	co = load.CapacityOptions{SLO: slo, StartRate: o.startRate, Factor: o.factor, Resolution: res, MaxRate: o.maxRate,
		Warmup: o.warmup, Measure: o.measure, MaxInFlight: o.maxInFlight, Repeats: o.repeats, Concurrency: conc, PartSize: part}
	if co.MaxRate == 0 && !o.iKnow {
		co.MaxRate = maxLoadRate
	}
	if err := co.Validate(); err != nil {
		return co, w, usageError("%v", err)
	}
	return co, w, nil
}

func runCapacity(cmd *cobra.Command, o *capacityOptions) error {
	co, w, err := capacityConfig(o)
	if err != nil {
		return err
	}
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	ctx, stop := generatorContext(cmd)
	defer stop()

	t, err := openLoadTarget(ctx, &o.ep, o.timeout, o.implementation, "measuring", "search", stderr)
	if err != nil {
		return err
	}
	defer t.close()
	res, impl, client := t.res, t.impl, t.client
	sc, err := load.NewCopyScenario(client, w)
	if err != nil {
		return usageError("%v", err)
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return usageError("--out %s: %v", o.out, err)
	}
	cleanup := func() { cleanupScenario(sc, stderr) }
	fmt.Fprintf(stderr, "partcopy: setting up bucket %s: %d source object(s) of %s\n", sc.Bucket(), w.Sources, load.FormatSize(w.SourceSize))
	if err := sc.Setup(ctx, 16); err != nil {
		cleanup()
		if ctx.Err() != nil {
			return interrupted("interrupted during setup; bucket %s deleted", sc.Bucket())
		}
		if s3call.IsConnectError(err) {
			return usageError("cannot reach %s: %v", res.Endpoint, rootCause(err))
		}
		return usageError("setup against %s failed: %v", res.Endpoint, err)
	}
	n := 0
	co.Progress = func(s reports.CapacityStep) {
		n++
		verdict := "PASS"
		if !s.Pass {
			verdict = "FAIL"
		}
		if s.Reason != "" {
			verdict += " (" + s.Reason + ")"
		}
		what := fmt.Sprintf("offered %.1f copies/s", s.OfferedRate)
		if s.Phase == reports.PhaseSweep {
			what = fmt.Sprintf("concurrency %d", s.Concurrency)
			verdict = "measured"
		}
		fmt.Fprintf(stderr, "partcopy: step %d %s (try %d) %s: %.1f copies/s, p99 %s, errors %.3g%%, lag p99 %s: %s\n",
			n, s.Phase, s.Attempt, what, s.OpsPerSecond, reports.FormatThresholdValue(s.P99Ms, reports.ThresholdUnitMs),
			s.ErrorRatePct, reports.FormatThresholdValue(s.LagP99Ms, reports.ThresholdUnitMs), verdict)
	}
	c, runErr := load.Capacity(ctx, sc, co)
	fmt.Fprintf(stderr, "partcopy: cleaning up bucket %s\n", sc.Bucket())
	cleanup()
	c.Endpoint, c.PartcopyVersion, c.Implementation = res.Endpoint, partcopyVersion(), impl
	c.SourceSize, c.PartSize = w.SourceSize, w.PartSize
	c.Interrupted = errors.Is(runErr, load.ErrInterrupted)
	if err := reports.WriteCapacityAll(o.out, c); err != nil {
		return usageError("writing results into %s: %v", o.out, err)
	}
	fmt.Fprintf(stdout, "Capacity: %s\n", reports.CapacityVerdict(c))
	fmt.Fprintf(stdout, "Results: %s\n", filepath.Join(o.out, reports.FileCapacityJSON))
	switch {
	case c.Interrupted:
		return interrupted("interrupted after %d steps; partial results in %s", len(c.Steps), o.out)
	case runErr != nil:
		return usageError("capacity: %v", runErr)
	case co.StartRate > 0 && !c.Found:
		return checkFailed("even the start rate %g copies/s breaks the SLO %s", co.StartRate, strings.Join(c.SLO, ", "))
	}
	return nil
}
