package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func init() {
	register(func() *cobra.Command {
		return &cobra.Command{
			Use:   "version",
			Short: "Print partcopy's version and build information",
			Args:  cobra.NoArgs,
			RunE: func(c *cobra.Command, _ []string) error {
				// The same provenance every report carries.
				p := collectProvenance("")
				fmt.Fprintf(c.OutOrStdout(), "partcopy %s\n", p.PartcopyVersion)
				fmt.Fprintf(c.OutOrStdout(), "revision %s, built with %s\n", p.Revision(), p.GoVersion)
				return nil
			},
		}
	})
}
