package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/partcopy/partcopy/reports"
)

func init() {
	register(newReportCmd)
}

func newReportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Compare, re-render and merge saved partcopy reports",
		Long: `report works on saved JSON reports: conformance reports
(schema partcopy/conformance/v1, conformance.json) and load reports
(schema partcopy/load/v1, load.json). The schema is read from each file.`,
		Example: `  # gate CI on regressions against a saved baseline
  partcopy report compare baseline/conformance.json partcopy-report/conformance.json

  # re-render Markdown, HTML and JUnit from a saved JSON
  partcopy report render partcopy-report/conformance.json --out rendered

  # merge the reports of several processes or runs
  partcopy report merge run-d/conformance.json run-s/conformance.json --out merged.json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return usageError("'report' needs a subcommand: compare, render or merge (see 'partcopy report --help')")
		},
	}
	cmd.AddCommand(newReportCompareCmd(), newReportRenderCmd(), newReportMergeCmd())
	return cmd
}

// readReportFile reads a JSON report and returns its schema; errors are usage
// errors (exit 2) on one line.
func readReportFile(path string) (schema string, data []byte, err error) {
	data, err = reports.ReadBounded(path, reports.MaxInputSize)
	if err != nil {
		return "", nil, usageError("read report: %v", err)
	}
	schema, err = reports.DetectSchema(data)
	if err != nil {
		return "", nil, usageError("%s: %v", path, err)
	}
	return schema, data, nil
}

func newReportCompareCmd() *cobra.Command {
	var (
		th       = reports.DefaultThresholds()
		markdown string
		noGates  bool
		strict   bool
	)
	cmd := &cobra.Command{
		Use:   "compare OLD.json NEW.json",
		Short: "Compare two reports; exit 1 on a regression or an exceeded threshold",
		Long: `compare reads two reports of the same schema.

Conformance reports are compared clause by clause. A clause whose verdict got
worse (pass -> fail, pass -> not-run, unsupported -> fail, ...) is a
regression; pass -> unsupported is shown as its own change and is a regression
only with --strict. compare prints the changes and exits 1 if any clause
regressed. An interrupted or errored OLD report is refused (it is no baseline).

Load reports are compared percentile by percentile (corrected, uncorrected
and TTFB latency), with the throughput ratio and error rates. compare prints
the delta table and exits 1 if a threshold is exceeded; the latency
thresholds apply to the corrected (total) latency. By default a p99 increase
over 10% and any error-rate increase fail (--max-p99-increase 0 and
--no-default-gates turn them off).

Exit codes: 0 no regression, 1 regression or threshold exceeded, 2 unreadable
file, unknown schema, or two different schemas.`,
		Example: `  partcopy report compare old/conformance.json new/conformance.json
  partcopy report compare old/load.json new/load.json \
      --max-p99-increase 20 --max-p50-increase 10 --min-throughput-ratio 0.9 \
      --max-error-rate-increase 0.5 --markdown load-diff.md`,
		Args: reportExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			if noGates {
				if !c.Flags().Changed("max-p99-increase") {
					th.MaxP99IncreasePct = 0
				}
				th.ErrorRateGate = false
			}
			for name, v := range map[string]float64{
				"--max-p99-increase": th.MaxP99IncreasePct, "--max-p50-increase": th.MaxP50IncreasePct,
				"--min-throughput-ratio": th.MinThroughputRatio, "--max-error-rate-increase": th.MaxErrorRateIncrease,
			} {
				if v < 0 {
					return usageError("%s must not be negative", name)
				}
			}
			oldSchema, oldData, err := readReportFile(args[0])
			if err != nil {
				return err
			}
			newSchema, newData, err := readReportFile(args[1])
			if err != nil {
				return err
			}
			if oldSchema != newSchema {
				return usageError("cannot compare a %s report (%s) with a %s report (%s)", oldSchema, args[0], newSchema, args[1])
			}
			if oldSchema == reports.ConformanceSchema {
				if c.Flags().Changed("max-p99-increase") || c.Flags().Changed("max-p50-increase") ||
					c.Flags().Changed("min-throughput-ratio") || c.Flags().Changed("max-error-rate-increase") {
					return usageError("threshold flags apply to load reports only; %s is a conformance report", args[0])
				}
				return compareConformance(c.OutOrStdout(), args, oldData, newData, markdown, strict)
			}
			return compareLoad(c.OutOrStdout(), args, oldData, newData, th, markdown)
		},
	}
	f := cmd.Flags()
	f.Float64Var(&th.MaxP99IncreasePct, "max-p99-increase", th.MaxP99IncreasePct, "fail if corrected p99 latency rises by more than `PCT` percent (0: not checked)")
	f.Float64Var(&th.MaxP50IncreasePct, "max-p50-increase", 0, "fail if corrected p50 latency rises by more than `PCT` percent (0: not checked)")
	f.Float64Var(&th.MinThroughputRatio, "min-throughput-ratio", 0, "fail if new/old copies per second falls below `R`, e.g. 0.9 (0: not checked)")
	f.Float64Var(&th.MaxErrorRateIncrease, "max-error-rate-increase", 0, "fail if the error rate rises by more than `PCT` percentage points (default 0: any increase fails)")
	f.BoolVar(&noGates, "no-default-gates", false, "do not apply the default gates (p99 +10%, any error-rate increase); only the flags given")
	f.StringVar(&markdown, "markdown", "", "also write the comparison as Markdown to `FILE`")
	f.BoolVar(&strict, "strict", false, "conformance: count pass -> unsupported as a regression")
	return cmd
}

func compareConformance(out io.Writer, args []string, oldData, newData []byte, markdown string, strict bool) error {
	old, err := reports.ParseConformance(oldData)
	if err != nil {
		return usageError("%s: %v", args[0], err)
	}
	cur, err := reports.ParseConformance(newData)
	if err != nil {
		return usageError("%s: %v", args[1], err)
	}
	if err := old.UsableAsBaseline(); err != nil {
		return usageError("%s: %v", args[0], err)
	}
	d := reports.CompareConformanceWith(old, cur, reports.CompareOptions{Strict: strict})
	if err := writeComparison(out, markdown, d.WriteMarkdown); err != nil {
		return err
	}
	if regs := d.Regressions(); len(regs) > 0 {
		var parts []string
		for _, r := range regs {
			parts = append(parts, fmt.Sprintf("%s (%s -> %s)", r.ID, r.Old, r.New))
		}
		return checkFailed("%d clause(s) regressed: %s", len(regs), strings.Join(parts, ", "))
	}
	return nil
}

func compareLoad(out io.Writer, args []string, oldData, newData []byte, th reports.Thresholds, markdown string) error {
	old, err := reports.ParseLoad(oldData)
	if err != nil {
		return usageError("%s: %v", args[0], err)
	}
	cur, err := reports.ParseLoad(newData)
	if err != nil {
		return usageError("%s: %v", args[1], err)
	}
	d := reports.CompareLoad(old, cur, th)
	if err := writeComparison(out, markdown, d.WriteMarkdown); err != nil {
		return err
	}
	if d.Exceeded() {
		return checkFailed("load threshold exceeded: %s", strings.Join(d.Violations, "; "))
	}
	return nil
}

// writeComparison writes a comparison to out and, if path is set, to that file.
func writeComparison(out io.Writer, path string, write func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return asUsage(err)
	}
	if _, err := out.Write(buf.Bytes()); err != nil {
		return asUsage(err)
	}
	if path != "" {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			return usageError("write markdown: %v", err)
		}
	}
	return nil
}

func newReportRenderCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "render FILE.json",
		Short: "Re-render Markdown, HTML and JUnit (or the load plots) from a saved JSON report",
		Long: `render reads a saved report and writes its renderings into --out:
conformance.json, junit.xml, conformance.md and conformance.html for a
conformance report; load.json, load.md, load.html, latency.svg and
throughput.svg for a load report. Every output is redacted again.`,
		Example: `  partcopy report render partcopy-report/conformance.json --out rendered
  partcopy report render partcopy-report/load.json --out rendered`,
		Args: reportExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if out == "" {
				return usageError("--out DIR is required")
			}
			schema, data, err := readReportFile(args[0])
			if err != nil {
				return err
			}
			switch schema {
			case reports.ConformanceSchema:
				r, err := reports.ParseConformance(data)
				if err != nil {
					return usageError("%s: %v", args[0], err)
				}
				if err := reports.WriteAll(out, r); err != nil {
					return asUsage(err)
				}
			case reports.LoadSchema:
				l, err := reports.ParseLoad(data)
				if err != nil {
					return usageError("%s: %v", args[0], err)
				}
				if err := reports.WriteLoadAll(out, l); err != nil {
					return asUsage(err)
				}
			}
			fmt.Fprintf(c.OutOrStdout(), "rendered %s into %s\n", args[0], filepath.Clean(out))
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "directory to write the renderings into (created if needed)")
	return cmd
}

func newReportMergeCmd() *cobra.Command {
	var out string
	var lo loadMergeOptions
	cmd := &cobra.Command{
		Use:   "merge A.json B.json ... --out FILE | merge DIR... --out DIR",
		Short: "Merge conformance reports, or the shards of a load run, into one",
		Long: `merge combines conformance reports of the same endpoint: the union of
their specs (a spec reported by several runs keeps its most significant
outcome: failed > passed > unsupported > skipped), verdicts recomputed for
every clause, the widest profile. It writes the merged JSON to --out; render
it with 'partcopy report render'.

Given load results (directories, or their load.json), merge combines the
shards of one sharded load run (partcopy load --shard I/N or --shards N)
into --out DIR, losslessly: the shards' interval histograms (latency.hlog)
are added bucket by bucket, so the merged percentiles are exact at
HdrHistogram precision (never an average of percentiles); copies, bytes,
failures per kind and late starts are summed; the per-second series is
aligned by wall-clock time. It writes load.json (shards, each shard's
summary, incomplete), load.md, load.html, the plots, the merged
latency.hlog and the .hgrm distributions. A DIR is a shard's results
directory or the run's --out directory holding shard-I directories.
Shards that are missing (see --shards) or failed (no load.json: killed,
crashed) are named and make the merged run incomplete. Shards of different
runs or settings are refused.

--threshold gates the merged run (the same expressions as 'partcopy load
--threshold'), evaluated on the merged histograms; the results are in the
merged load.json.

Exit codes: 0 merged (conformance: whatever the verdicts); 1 a merged load
run is incomplete or misses a --threshold (still written); 2 unreadable file, unknown schema,
reports of different endpoints, or shards of different runs or settings.`,
		Example: `  partcopy report merge p1/conformance.json p2/conformance.json --out merged/conformance.json
  partcopy report render merged/conformance.json --out merged

  # the shards of a 3-shard load run that wrote into results/shard-0..2
  partcopy report merge results --shards 3 --out results/merged \
      --threshold 'p99<200ms' --threshold 'throughput>850/s'

  # in a Kubernetes merge Job: wait for the shards, then merge
  partcopy report merge /results/run1 --shards 10 --wait 20m --out /results/run1/merged`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) < 1 {
				return usageError("merge needs at least one report (see 'partcopy report merge --help')")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			isLoad, err := isLoadMergeArgs(args)
			if err != nil {
				return err
			}
			if isLoad {
				if out == "" {
					return usageError("--out DIR is required")
				}
				return mergeLoadResults(c.OutOrStdout(), c.ErrOrStderr(), args, out, lo)
			}
			if c.Flags().Changed("shards") || c.Flags().Changed("wait") || c.Flags().Changed("threshold") {
				return usageError("--shards, --wait and --threshold apply to load results only")
			}
			if out == "" {
				return usageError("--out FILE is required")
			}
			var in []reports.Conformance
			for _, p := range args {
				r, err := reports.ReadConformance(p)
				if err != nil {
					return usageError("%v", err)
				}
				in = append(in, r)
			}
			m, err := reports.Merge(in...)
			if err != nil {
				return usageError("%v", err)
			}
			m.Provenance = collectProvenance("") // the merge is what wrote this report
			var buf bytes.Buffer
			if err := reports.WriteJSON(&buf, m); err != nil {
				return asUsage(err)
			}
			if dir := filepath.Dir(out); dir != "" {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return usageError("create %s: %v", dir, err)
				}
			}
			if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
				return usageError("write merged report: %v", err)
			}
			fmt.Fprintf(c.OutOrStdout(), "merged %d reports into %s: %s, %d passed, %d failed, %d unsupported, %d skipped\n",
				len(in), out, m.Result, m.Summary.Passed, m.Summary.Failed, m.Summary.Unsupported, m.Summary.Skipped)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "file to write the merged conformance JSON to (load results: the directory to write the merged run into)")
	cmd.Flags().IntVar(&lo.shards, "shards", 0, "load results: the run's shard count, so that a shard with no directory at all is named as missing (default: from the shards' reports)")
	cmd.Flags().DurationVar(&lo.wait, "wait", 0, "load results: wait up to this long for every shard to write its load.json, then merge what is there")
	cmd.Flags().StringArrayVar(&lo.thresholds, "threshold", nil, "load results: gate the merged run, e.g. 'p99<200ms', 'errors<0.1%', 'throughput>1000/s' (repeatable; any miss exits 1)")
	return cmd
}

// reportExactArgs is cobra.ExactArgs with a usage error (exit 2) that names the
// command's help.
func reportExactArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError("'%s' takes %d argument(s), got %d (see '%s --help')", c.CommandPath(), n, len(args), c.CommandPath())
		}
		return nil
	}
}
