package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	ginkgotypes "github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"
	"github.com/spf13/cobra"

	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/internal/size"
	"github.com/partcopy/partcopy/reports"
	"github.com/partcopy/partcopy/reports/ginkgoreport"
	"github.com/partcopy/partcopy/suites"
)

type conformOptions struct {
	ep             endpointFlags
	altAccessKey   string
	altSecretKey   string
	altPrincipal   string
	altGrantCmd    string
	tempAccessKey  string
	tempSecretKey  string
	sessionToken   string
	kmsKeyID       string
	noKMS          bool
	coldClass      string
	restoreTimeout time.Duration
	profile        string
	skipLarge      bool
	labels         string
	out            string
	baseline       string
	implementation string
	minPartSize    string
	timeout        time.Duration
	verbose        bool
	recordAll      bool
	configFile     string
	list           bool
	progress       string
	recoverWait    time.Duration
	strict         bool
}

func init() {
	register(func() *cobra.Command {
		o := &conformOptions{}
		cmd := &cobra.Command{
			Use:   "conform",
			Short: "Check an endpoint's UploadPartCopy against every documented clause",
			Long: `conform runs partcopy's conformance specs (Ginkgo) against an S3 endpoint and
writes conformance.json (schema partcopy/conformance/v1), junit.xml,
conformance.md and conformance.html into --out.

Every clause (D01-D25 from the vendor's document, S01-S08 widely documented S3
behaviour) gets a verdict: pass, fail, unsupported (the endpoint or the
configuration lacks what the clause needs: no alt principal, no cold storage
class, no KMS...) or not-run. A copy answered 200 without an ETag in its body
is a failed copy (D02), wherever it happens.

Without --endpoint (and without AWS_ENDPOINT_URL_S3/AWS_ENDPOINT_URL) it starts
the embedded reference endpoint in process and checks that.

Results: pass (every clause of the profile passed), partial (every spec that
ran passed, some clauses unsupported, blocked or not run), fail, error (a
configuration or transport error such as a wrong --region stopped the run),
incomplete (interrupted). A spec whose setup hits another clause's deviation
is "blocked by <clause>", never failed. When the endpoint stops answering
during a spec, that spec fails with "the endpoint crashed or stopped
answering during this spec", the run waits --recover-wait for it, and specs
that could not run are not-run.

Exit codes: 0 pass or partial; 1 a spec failed or the endpoint stopped
answering (with --baseline: a clause got worse than in the baseline); 2 usage,
config or connection error (also one found during the run: the report's
result is error); 130 interrupted (partial reports are still written, result
incomplete).`,
			Example: `  # the embedded reference endpoint (nothing else needed)
  partcopy conform

  # a real endpoint, both principals, the document's clauses only
  partcopy conform --endpoint https://127.0.0.1:9000 --ca-cert ca.pem \
      --access-key AK --secret-key SK --alt-access-key AK2 --alt-secret-key SK2 \
      --profile obs

  # only the SSE-C clauses, skipping the 5 GiB specs
  partcopy conform --endpoint http://127.0.0.1:7070 --labels 'D09 || D10 || D11' --skip-large

  # gate a release: fail only on clauses that got worse than last time
  partcopy conform --endpoint ... --baseline last/conformance.json`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				if err := applyConfigFile(cmd, o.configFile); err != nil {
					return err
				}
				if o.list {
					return runConformList(cmd.Context(), cmd.OutOrStdout(), o)
				}
				return runConform(cmd.Context(), cmd.OutOrStdout(), o)
			},
		}
		fs := cmd.Flags()
		o.ep.add(fs)
		fs.StringVar(&o.altAccessKey, "alt-access-key", "", "second principal's access key (D18, D19, D21); none: those clauses are unsupported")
		fs.StringVar(&o.altSecretKey, "alt-secret-key", "", "second principal's secret key")
		fs.StringVar(&o.altPrincipal, "alt-principal", "", `how bucket policies name the alt principal, e.g. "arn:aws:iam::123456789012:user/alt" (default: its access key id)`)
		fs.StringVar(&o.altGrantCmd, "alt-grant-cmd", "", "command that grants the alt principal rights, run as 'CMD BUCKET none|read|write|readwrite' (default: bucket policies)")
		fs.StringVar(&o.tempAccessKey, "temp-access-key", "", "temporary credentials' access key (D12)")
		fs.StringVar(&o.tempSecretKey, "temp-secret-key", "", "temporary credentials' secret key (D12)")
		fs.StringVar(&o.sessionToken, "temp-session-token", "", "temporary credentials' session token, sent as x-amz-security-token (D12)")
		deprecatedAlias(fs, "session-token", "temp-session-token")
		fs.StringVar(&o.kmsKeyID, "kms-key-id", "", "SSE-KMS key id for D14 (default: the endpoint's default key)")
		fs.BoolVar(&o.noKMS, "no-kms", false, "the endpoint has no SSE-KMS: D14's KMS half is unsupported")
		fs.StringVar(&o.coldClass, "cold-class", "GLACIER", "storage class that makes an object cold (D05), e.g. GLACIER, COLD, DEEP_ARCHIVE")
		fs.DurationVar(&o.restoreTimeout, "restore-timeout", 2*time.Minute, "how long to wait for a cold object's restore (D05)")
		fs.StringVar(&o.profile, "profile", suites.ProfileS3, "clauses to check: obs (the document's D clauses and codes) or s3 (D + S, AWS's codes)")
		fs.BoolVar(&o.skipLarge, "skip-large", false, "skip the 5 GiB specs (D22), reported as unsupported")
		fs.StringVar(&o.labels, "labels", "", `Ginkgo label filter, e.g. "D03 || D22" or "!large"`)
		fs.StringVar(&o.out, "out", "partcopy-report", "directory for the reports")
		fs.StringVar(&o.baseline, "baseline", "", "a previous conformance.json: exit 1 only for clauses whose verdict got worse")
		fs.StringVar(&o.implementation, "implementation", "", `name and version of the implementation under test, "name" or "name@version"`)
		fs.StringVar(&o.minPartSize, "min-part-size", "5MiB", "the endpoint's minimum size of a non-last part (S05), e.g. 5MiB, 100KB")
		fs.DurationVar(&o.timeout, "timeout", 2*time.Hour, "bound on the whole run")
		fs.BoolVarP(&o.verbose, "verbose", "v", false, "Ginkgo's own output: every spec as it runs, full failure dumps")
		fs.StringVar(&o.progress, "progress", progressSpec, "progress on a non-terminal stderr: spec (a line per spec) or clause (a line per clause)")
		fs.BoolVar(&o.recordAll, "record-all", false, "keep every spec's HTTP exchanges in the report, not only failed specs'")
		fs.StringVar(&o.configFile, "config", "", "YAML file of options (keys are flag names); explicit flags override it")
		fs.BoolVar(&o.list, "list", false, "print every spec with its clause, profiles and needed capabilities (and which this configuration lacks); send no request")
		fs.BoolVar(&o.list, "dry-run", false, "the same as --list")
		fs.DurationVar(&o.recoverWait, "recover-wait", 60*time.Second, "when the endpoint stops answering during a spec, how long to wait for it to answer again (specs that cannot run meanwhile are not-run)")
		fs.BoolVar(&o.strict, "strict", false, "with --baseline: a clause that passed and is now unsupported counts as a regression")
		return cmd
	})
}

// conformRun is what runConform set up: the suite configuration and the
// embedded endpoint, if one was started.
type conformRun struct {
	cfg      *suites.Config
	embedded *embeddedEndpoint
}

func setupConform(ctx context.Context, o *conformOptions) (*conformRun, error) {
	switch o.profile {
	case suites.ProfileOBS, suites.ProfileS3:
	default:
		return nil, clauseProfileError(o.profile)
	}
	if (o.altAccessKey == "") != (o.altSecretKey == "") {
		return nil, usageError("--alt-access-key and --alt-secret-key go together")
	}
	if (o.tempAccessKey == "") != (o.tempSecretKey == "") || (o.tempAccessKey != "" && o.sessionToken == "") {
		return nil, usageError("--temp-access-key, --temp-secret-key and --temp-session-token go together")
	}
	minPart, err := size.Parse(o.minPartSize)
	if err != nil {
		return nil, usageError("--min-part-size: %v", err)
	}
	if o.labels != "" {
		if _, err := ginkgotypes.ParseLabelFilter(o.labels); err != nil {
			return nil, usageError("--labels %q: %v", o.labels, err)
		}
	}
	res, embedded, err := o.ep.resolve(ctx)
	if err != nil {
		return nil, err
	}
	run := &conformRun{}
	var cfg *suites.Config
	if embedded {
		e, err := startEmbedded(ctx, 2*time.Second)
		if err != nil {
			return nil, err
		}
		run.embedded = e
		cfg = suites.NewConfig(e.URL(), e.main())
		cfg.Client.Region = e.opts.Region
		cfg.Client.Signature = o.ep.signature
		cfg.Alt, cfg.Temp = e.alt(), e.temp()
		cfg.MinPartSize = e.opts.MinPartSize
		cfg.ZeroCopy = true
	} else {
		cfg = suites.NewConfig(res.Endpoint, res.Credentials)
		cfg.Client = o.ep.clientConfig(res)
		cfg.Alt = s3call.Credentials{AccessKey: o.altAccessKey, SecretKey: o.altSecretKey}
		cfg.AltPrincipal = o.altPrincipal
		cfg.AltGrantCommand = o.altGrantCmd
		cfg.Temp = s3call.Credentials{AccessKey: o.tempAccessKey, SecretKey: o.tempSecretKey, SessionToken: o.sessionToken}
		cfg.MinPartSize = minPart
	}
	cfg.KMSKeyID, cfg.NoKMS = o.kmsKeyID, o.noKMS
	cfg.ColdStorageClass = o.coldClass
	cfg.RestoreTimeout = o.restoreTimeout
	cfg.Profile = o.profile
	cfg.SkipLarge = o.skipLarge
	cfg.RecordAll = o.recordAll
	cfg.RecoverWait = o.recoverWait
	cfg.RunID = suites.NewRunID()
	if err := cfg.Validate(); err != nil {
		run.close()
		return nil, asUsage(err)
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := probe(pctx, cfg.Client, o.ep.source); err != nil {
		run.close()
		return nil, err
	}
	run.cfg = cfg
	return run, nil
}

func (r *conformRun) close() {
	if r.embedded != nil {
		r.embedded.Close()
	}
}

// specFailer is the tiny GinkgoTestingT a real main passes to RunSpecs.
type specFailer struct{ failed bool }

func (f *specFailer) Fail() { f.failed = true }

func runConform(ctx context.Context, stdout io.Writer, o *conformOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := checkProgressMode(o.progress); err != nil {
		return err
	}
	run, err := setupConform(ctx, o)
	if err != nil {
		return err
	}
	defer run.close()
	cfg := run.cfg
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return usageError("--out %s: %v", o.out, err)
	}
	var baseline *reports.Conformance
	if o.baseline != "" {
		b, err := reports.ReadConformance(o.baseline)
		if err != nil {
			return usageError("--baseline: %v", err)
		}
		if err := b.UsableAsBaseline(); err != nil {
			return usageError("--baseline %s: %v", o.baseline, err)
		}
		baseline = &b
	}

	var report ginkgotypes.Report
	ginkgo.ReportAfterSuite("partcopy conformance report", func(r ginkgo.Report) { report = r })
	gomega.RegisterFailHandler(ginkgo.Fail)
	srun := suites.Register(cfg)
	suiteCfg, reporterCfg := ginkgo.GinkgoConfiguration()
	suiteCfg.LabelFilter = suites.CombineLabelFilters(cfg.LabelFilter(), o.labels)
	suiteCfg.Timeout = o.timeout
	suiteCfg.RandomSeed = time.Now().UnixNano() % 100000
	reporterCfg.Succinct = !o.verbose
	reporterCfg.Verbose = o.verbose
	reporterCfg.NoColor = !isTerminal(os.Stdout)
	stopProgress := startProgress(os.Stderr, o.progress, o.verbose, suiteCfg, reporterCfg, "partcopy UploadPartCopy conformance")
	ginkgo.RunSpecs(&specFailer{}, "partcopy UploadPartCopy conformance", suiteCfg, reporterCfg)
	stopProgress()

	var incidents []reports.Incident
	for _, in := range srun.Incidents() {
		incidents = append(incidents, reports.Incident{Spec: in.Spec, Message: in.Message, Recovered: in.Recovered, DownSeconds: in.Down.Seconds()})
	}
	c := ginkgoreport.FromGinkgo(report, reports.Meta{
		Endpoint: cfg.Client.Endpoint, Profile: cfg.Profile,
		Implementation: implementation(o.implementation, run.embedded != nil),
		Version:        partcopyVersion(), Secrets: cfg.Secrets(),
		Provenance:  collectProvenance(o.ep.usedAWSProfile(run.embedded != nil), cfg.Secrets()...),
		LabelFilter: o.labels, RunID: cfg.RunID, ConfigError: srun.ConfigError(), Incidents: incidents, LeftoverBuckets: srun.LeftoverBuckets(),
	})
	if err := reports.WriteAll(o.out, c); err != nil {
		return usageError("writing reports to %s: %v", o.out, err)
	}
	printConformSummary(stdout, c, o.out)
	printFailedSpecs(stdout, c, o.out)

	switch {
	case c.Result == reports.ResultError:
		// No verdict is about the endpoint: the configuration is wrong.
		return usageError("%s (the run stopped; reports in %s say result error)", c.ConfigError, o.out)
	case c.Interrupted || interruptedRun(report):
		return interrupted("interrupted: partial reports written to %s (result incomplete)", o.out)
	case len(c.EndpointIncidents) > 0:
		in := c.EndpointIncidents[0]
		state := "it did not answer again within --recover-wait"
		if in.Recovered {
			state = fmt.Sprintf("it answered again after %.0f s", in.DownSeconds)
		}
		return checkFailed("the endpoint crashed or stopped answering during %q; %s; %d spec(s) not run: see %s",
			in.Spec, state, c.Summary.NotRun, filepath.Join(o.out, "conformance.md"))
	}
	if baseline != nil {
		diff := reports.CompareConformanceWith(*baseline, c, reports.CompareOptions{Strict: o.strict})
		if regs := diff.Regressions(); len(regs) > 0 {
			var ids []string
			for _, r := range regs {
				ids = append(ids, fmt.Sprintf("%s %s->%s", r.ID, r.Old, r.New))
			}
			return checkFailed("%d clause(s) got worse than the baseline: %s", len(regs), strings.Join(ids, ", "))
		}
		if now := diff.NowUnsupported(); len(now) > 0 {
			var ids []string
			for _, r := range now {
				ids = append(ids, r.ID)
			}
			fmt.Fprintf(stdout, "now unsupported (not counted; --strict would): %s\n", strings.Join(ids, ", "))
		}
		fmt.Fprintf(stdout, "no clause got worse than the baseline %s\n", o.baseline)
		return nil
	}
	if c.Result == reports.ResultFail {
		return checkFailed("%d spec(s) failed: see %s", c.Summary.Failed+len(c.SuiteFailures), filepath.Join(o.out, "conformance.md"))
	}
	return nil
}

func interruptedRun(r ginkgotypes.Report) bool {
	for _, reason := range r.SpecialSuiteFailureReasons {
		if strings.Contains(strings.ToLower(reason), "interrupt") {
			return true
		}
	}
	return false
}

// implementation is what --implementation names ("name" or "name@version");
// without it, the embedded endpoint names itself and another is unknown (nil).
func implementation(flag string, embedded bool) *reports.Implementation {
	if flag == "" {
		if embedded {
			return &reports.Implementation{Name: "partcopy embedded reference endpoint", Version: partcopyVersion()}
		}
		return nil
	}
	name, ver, _ := strings.Cut(flag, "@")
	return &reports.Implementation{Name: name, Version: ver}
}

// printConformSummary prints the verdict per clause that did not pass and
// where the reports are.
func printConformSummary(w io.Writer, c reports.Conformance, out string) {
	fmt.Fprintf(w, "\npartcopy conform: %s against %s (profile %s)\n", strings.ToUpper(string(c.Result)), c.Endpoint, c.Profile)
	for _, line := range reports.LeadLines(c) {
		fmt.Fprintf(w, "  !! %s\n", line)
	}
	fmt.Fprintf(w, "  specs: %s\n", reports.SpecCounts(c.Summary))
	counts := map[reports.Verdict]int{}
	for _, cl := range c.Clauses {
		counts[cl.Verdict]++
		if cl.Verdict != reports.VerdictPass {
			fmt.Fprintf(w, "  %-4s %-11s %s\n", cl.ID, cl.Verdict, cl.Title)
		}
	}
	fmt.Fprintf(w, "  clauses: %s\n", reports.ClauseCounts(c.Clauses))
	if len(c.LeftoverBuckets) > 0 {
		fmt.Fprintf(w, "  buckets left behind: %s (run id %s: partcopy cleanup removes them)\n", strings.Join(c.LeftoverBuckets, ", "), c.RunID)
	} else if c.RunID != "" {
		fmt.Fprintf(w, "  run id: %s (in its bucket names)\n", c.RunID)
	}
	fmt.Fprintf(w, "  reports: %s\n", filepath.Join(out, "conformance.md"))
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
