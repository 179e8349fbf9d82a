package main

import (
	"github.com/spf13/cobra"
)

// subcommands lists the constructors of every subcommand; each file adds its
// own in an init function so that subcommands can be written independently.
var subcommands []func() *cobra.Command

func register(f func() *cobra.Command) { subcommands = append(subcommands, f) }

// children lists sub-subcommands registered from other files, by parent
// name, so that a command's children can live in files of their own.
var children = map[string][]func() *cobra.Command{}

func registerChild(parent string, f func() *cobra.Command) {
	children[parent] = append(children[parent], f)
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "partcopy",
		Short: "Conformance and load-test harness for S3 UploadPartCopy",
		Long: `partcopy checks that an S3-compatible endpoint's "Upload Part - Copy"
(UploadPartCopy) does what the documentation says, clause by clause, and
measures its throughput and latency.

Without --endpoint, every command runs against partcopy's embedded reference
endpoint, so the whole job works on a fresh machine with nothing installed.

Exit codes: 0 success, 1 the endpoint failed a check (or a regression gate
tripped), 2 usage/config/connection error, 130 interrupted.`,
		Example: `  # everything, against the embedded endpoint
  partcopy run

  # conformance against a real endpoint
  partcopy conform --endpoint https://s3.example.com --access-key AK --secret-key SK

  # 30 s of open-loop load at 200 copies/s
  partcopy load --endpoint http://127.0.0.1:9000 --rate 200 --duration 30s`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentPreRunE = func(c *cobra.Command, _ []string) error {
		registerSecretFlags(c.Flags())
		return checkFiniteFlags(c.Flags())
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError("%v (see '%s --help')", err, c.CommandPath())
	})
	for _, f := range subcommands {
		c := f()
		for _, cf := range children[c.Name()] {
			c.AddCommand(cf())
		}
		root.AddCommand(c)
	}
	return root
}
