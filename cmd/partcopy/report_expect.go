package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/partcopy/partcopy/reports"
)

func init() {
	registerChild("report", newReportExpectCmd)
	registerChild("report", newReportMatrixCmd)
}

func newReportExpectCmd() *cobra.Command {
	var update bool
	var server, serverVersion string
	cmd := &cobra.Command{
		Use:   "expect EXPECTED.json ACTUAL.json",
		Short: "Check a conformance run against a server's expected verdicts (or update them)",
		Long: `expect compares the clause verdicts of a conformance.json with an expectation
file (schema partcopy/expected/v1, kept in testdata/expected/<server>-<profile>.json)
and exits 1 when any verdict changed, naming the clause, the old and new
verdicts and the specs involved. It also exits 1 when the expectation lists a
failing or unsupported clause without a confirmed one-line reason.

With --update it rewrites EXPECTED.json from ACTUAL.json instead, keeping the
reasons of clauses whose verdict did not change and marking the others
"TODO: confirm from the exchange" - a person then reads the exchange in the
report and writes the reason.`,
		Example: `  partcopy report expect testdata/expected/minio-s3.json build/real/minio-s3/conformance.json
  partcopy report expect --update --server minio testdata/expected/minio-s3.json build/real/minio-s3/conformance.json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			actual, err := reports.ReadConformance(args[1])
			if err != nil {
				return usageError("%s: %v", args[1], err)
			}
			if update {
				prev, err := reports.ReadExpected(args[0])
				if err != nil && !errors.Is(err, fs.ErrNotExist) {
					return usageError("%v", err)
				}
				if server == "" {
					server = prev.Server
				}
				if server == "" {
					return usageError("--update of a new expectation needs --server NAME")
				}
				if serverVersion == "" {
					serverVersion = prev.Version
				}
				e := reports.ExpectedFrom(actual, server, serverVersion, prev)
				if err := reports.WriteExpected(args[0], e); err != nil {
					return usageError("writing %s: %v", args[0], err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", args[0])
				return nil
			}
			exp, err := reports.ReadExpected(args[0])
			if err != nil {
				return usageError("%v", err)
			}
			mism, problems := reports.CheckExpected(exp, actual)
			out := cmd.OutOrStdout()
			for _, m := range mism {
				fmt.Fprintf(out, "%s %s: verdict %s, expected %s\n", exp.Server, m.ID, m.Actual, m.Expected)
				for _, s := range m.Specs {
					fmt.Fprintf(out, "    %s\n", s)
				}
			}
			for _, p := range problems {
				fmt.Fprintf(out, "%s: %s\n", args[0], p)
			}
			if len(mism) > 0 || len(problems) > 0 {
				return checkFailed("%s (%s): %d verdict(s) changed, %d problem(s) in the expectation", exp.Server, exp.Profile, len(mism), len(problems))
			}
			fmt.Fprintf(out, "%s (%s): all %d clause verdicts as expected\n", exp.Server, exp.Profile, len(exp.Clauses))
			return nil
		},
	}
	cmd.Flags().BoolVar(&update, "update", false, "rewrite EXPECTED.json from ACTUAL.json")
	cmd.Flags().StringVar(&server, "server", "", "server name for a new expectation file")
	cmd.Flags().StringVar(&serverVersion, "server-version", "", "server version recorded in the expectation file")
	return cmd
}

func newReportMatrixCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:     "matrix EXPECTED.json...",
		Short:   "Render the clause x server compatibility matrix (docs/compatibility.md)",
		Example: `  partcopy report matrix testdata/expected/*.json --out docs/compatibility.md`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var exps []reports.Expected
			for _, a := range args {
				e, err := reports.ReadExpected(a)
				if err != nil {
					return usageError("%v", err)
				}
				exps = append(exps, e)
			}
			w := cmd.OutOrStdout()
			var f *os.File
			if out != "" && out != "-" {
				if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
					return usageError("--out: %v", err)
				}
				var err error
				if f, err = os.Create(out); err != nil {
					return usageError("--out: %v", err)
				}
				defer f.Close()
				w = f
			}
			if err := reports.WriteMatrix(w, exps); err != nil {
				return usageError("writing the matrix: %v", err)
			}
			if f != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%s)\n", out, strings.Join(args, ", "))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "-", "output file (- for stdout)")
	return cmd
}
