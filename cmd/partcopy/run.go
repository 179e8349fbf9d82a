package main

import "github.com/spf13/cobra"

func init() {
	register(func() *cobra.Command {
		return &cobra.Command{
			Use:   "run",
			Short: "run (not built yet)",
			RunE:  notBuilt("run"),
		}
	})
}
