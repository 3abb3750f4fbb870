package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newCallCmd is a placeholder until its issue lands.
func newCallCmd(io *cmdIO) *cobra.Command {
	return &cobra.Command{
		Use:    "call",
		Short:  "(not built yet)",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withCode(exitUsage, errors.New("svbatch call is not built yet"))
		},
	}
}
