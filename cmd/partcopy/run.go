package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/partcopy/partcopy/reports"
)

func init() {
	register(func() *cobra.Command {
		var (
			out          string
			loadDuration time.Duration
			loadRate     float64
			skipLarge    bool
			profile      string
			ep           endpointFlags
			impl         string
			configFile   string
		)
		cmd := &cobra.Command{
			Use:   "run",
			Short: "The main job: conformance, then a short load, against the embedded endpoint",
			Long: `run is what 'make run' does: 'partcopy conform' against the embedded reference
endpoint (every clause, the 5 GiB specs included), then a short open-loop
'partcopy load' against it, with every report written into --out:
conformance.json/.md/.html, junit.xml, load.json/.md/.html, latency and
throughput plots, HdrHistogram logs and a per-second CSV.

It needs nothing installed, and it reads nothing from the environment:
AWS_ENDPOINT_URL*, AWS_* keys, profiles and config files are ignored, so a
shell set up for a test cluster still runs the demo locally. Only --endpoint
on its command line (or in its --config file) points it elsewhere (then the other endpoint flags, and
the usual AWS_* fallbacks for credentials, apply). To check a real endpoint
in depth, use 'partcopy conform' and 'partcopy load'.

Exit codes: 0 both passed; 1 a conformance spec failed or no copy succeeded
under load; 2 usage error; 130 interrupted.`,
			Example: `  partcopy run
  partcopy run --out /tmp/pc --load-duration 30s --load-rate 200`,
			Args: cobra.NoArgs,
			RunE: func(c *cobra.Command, _ []string) error {
				if err := applyConfigFile(c, configFile); err != nil {
					return err
				}
				// The load's settings are checked before the conformance
				// run, not after it (NaN and Inf are refused for every
				// flag before any command runs).
				if loadRate <= 0 {
					return usageError("--load-rate %g: give copies per second > 0", loadRate)
				}
				if loadDuration <= 0 {
					return usageError("--load-duration %s: give a duration > 0", loadDuration)
				}
				started := time.Now()
				epArgs := endpointArgs(c.Flags())
				if impl != "" {
					epArgs = append(epArgs, "--implementation", impl)
				}
				if c.Flags().Changed("endpoint") {
					fmt.Fprintf(c.OutOrStdout(), "partcopy run: against %s (--endpoint)\n", ep.endpoint)
				} else {
					epArgs = append(epArgs, "--embedded")
					fmt.Fprintln(c.OutOrStdout(), "partcopy run: against the embedded reference endpoint (AWS_ENDPOINT_URL*, AWS_* keys and profiles ignored; --endpoint URL checks another)")
				}
				conformArgs := append([]string{"conform", "--out", out, "--profile", profile}, epArgs...)
				if skipLarge {
					conformArgs = append(conformArgs, "--skip-large")
				}
				conformErr := subcommand(c, conformArgs)
				if exitCodeOf(conformErr) == exitInterrupted || exitCodeOf(conformErr) == exitUsage && conformErr != nil {
					return conformErr
				}
				fmt.Fprintf(c.OutOrStdout(), "\npartcopy run: load, %s at %g copies/s\n", loadDuration, loadRate)
				loadErr := subcommand(c, append([]string{"load", "--out", out, "--duration", loadDuration.String(),
					"--rate", fmt.Sprint(loadRate)}, epArgs...))
				verdict := "PASS"
				if loadErr != nil || conformErr != nil {
					verdict = "FAIL"
				}
				fmt.Fprintf(c.OutOrStdout(), "\npartcopy run: %s\n", verdict)
				printReportFiles(c.OutOrStdout(), out, started)
				if loadErr != nil {
					return loadErr
				}
				return conformErr
			},
		}
		fs := cmd.Flags()
		fs.StringVar(&out, "out", "partcopy-report", "directory for every report")
		fs.DurationVar(&loadDuration, "load-duration", 10*time.Second, "how long the load runs")
		fs.Float64Var(&loadRate, "load-rate", 100, "open-loop copies per second during the load")
		fs.BoolVar(&skipLarge, "skip-large", false, "skip the 5 GiB specs (D22)")
		fs.StringVar(&profile, "profile", "s3", "conformance profile: obs or s3")
		ep.add(fs)
		fs.StringVar(&configFile, "config", "", "YAML file of options (keys are flag names); explicit flags override it")
		fs.StringVar(&impl, "implementation", "", `name and version of the implementation under test, "name" or "name@version" (default: the embedded endpoint's)`)
		_ = fs.MarkHidden("embedded") // run is embedded unless --endpoint is given
		return cmd
	})
}

// printReportFiles names the report directory, the file to open first and
// every other file this run wrote there.
func printReportFiles(w io.Writer, dir string, since time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	var files []string
	for _, e := range entries {
		if info, err := e.Info(); err == nil && !e.IsDir() && !info.ModTime().Before(since.Add(-time.Second)) {
			files = append(files, e.Name())
		}
	}
	sort.Slice(files, func(i, j int) bool {
		// Conformance first, then load, the rest by name.
		rank := func(s string) int {
			switch {
			case s == reports.FileConformanceHTML:
				return 0
			case strings.HasPrefix(s, "conformance") || s == reports.FileJUnit:
				return 1
			case strings.HasPrefix(s, "load"):
				return 2
			}
			return 3
		}
		if rank(files[i]) != rank(files[j]) {
			return rank(files[i]) < rank(files[j])
		}
		return files[i] < files[j]
	})
	fmt.Fprintf(w, "  reports in %s\n", dir)
	if slices.Contains(files, reports.FileConformanceHTML) {
		fmt.Fprintf(w, "  open first: %s\n", filepath.Join(dir, reports.FileConformanceHTML))
	}
	for _, f := range files {
		if f != reports.FileConformanceHTML {
			fmt.Fprintf(w, "    %s\n", f)
		}
	}
}

// endpointArgs are the endpoint flags set on run's command line, as
// arguments for conform and load.
func endpointArgs(fs *pflag.FlagSet) []string {
	names := pflag.NewFlagSet("endpoint", pflag.ContinueOnError)
	(&endpointFlags{}).add(names)
	var args []string
	fs.Visit(func(f *pflag.Flag) {
		if names.Lookup(f.Name) != nil && f.Name != "embedded" {
			args = append(args, "--"+f.Name+"="+f.Value.String())
		}
	})
	return args
}

// subcommand runs another partcopy command in process, with the caller's
// output streams.
func subcommand(parent *cobra.Command, args []string) error {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(parent.OutOrStdout())
	root.SetErr(parent.ErrOrStderr())
	return root.ExecuteContext(parent.Context())
}
