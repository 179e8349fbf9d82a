package main

import "github.com/spf13/cobra"

func init() {
	register(func() *cobra.Command {
		return &cobra.Command{
			Use:   "report",
			Short: "report (not built yet)",
			RunE:  notBuilt("report"),
		}
	})
}
