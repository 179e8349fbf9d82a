package main

import "github.com/spf13/cobra"

func init() {
	register(func() *cobra.Command {
		return &cobra.Command{
			Use:   "serve",
			Short: "serve (not built yet)",
			RunE:  notBuilt("serve"),
		}
	})
}
