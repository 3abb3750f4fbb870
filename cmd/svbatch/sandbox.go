package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newSandboxCmd is a placeholder until its issue lands.
func newSandboxCmd(io *cmdIO) *cobra.Command {
	return &cobra.Command{
		Use:    "sandbox",
		Short:  "(not built yet)",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withCode(exitUsage, errors.New("svbatch sandbox is not built yet"))
		},
	}
}
