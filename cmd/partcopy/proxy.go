package main

import "github.com/spf13/cobra"

func init() {
	register(func() *cobra.Command {
		return &cobra.Command{
			Use:   "proxy",
			Short: "proxy (not built yet)",
			RunE:  notBuilt("proxy"),
		}
	})
}
