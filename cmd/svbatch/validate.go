package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newValidateCmd is a placeholder until its issue lands.
func newValidateCmd(io *cmdIO) *cobra.Command {
	return &cobra.Command{
		Use:    "validate",
		Short:  "(not built yet)",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withCode(exitUsage, errors.New("svbatch validate is not built yet"))
		},
	}
}
