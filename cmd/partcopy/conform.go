package main

import "github.com/spf13/cobra"

func init() {
	register(func() *cobra.Command {
		return &cobra.Command{
			Use:   "conform",
			Short: "conform (not built yet)",
			RunE:  notBuilt("conform"),
		}
	})
}
