package main

import "github.com/spf13/cobra"

func init() {
	register(func() *cobra.Command {
		return &cobra.Command{
			Use:   "load",
			Short: "load (not built yet)",
			RunE:  notBuilt("load"),
		}
	})
}
