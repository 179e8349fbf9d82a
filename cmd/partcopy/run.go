package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
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
				if loadErr != nil {
					return loadErr
				}
				if conformErr != nil {
					return conformErr
				}
				fmt.Fprintf(c.OutOrStdout(), "\npartcopy run: PASS; reports in %s (conformance.md, load.md)\n", out)
				return nil
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
