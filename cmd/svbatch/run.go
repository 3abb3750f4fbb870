package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newRunCmd is a placeholder until its issue lands.
func newRunCmd(io *cmdIO) *cobra.Command {
	return &cobra.Command{
		Use:    "run",
		Short:  "(not built yet)",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withCode(exitUsage, errors.New("svbatch run is not built yet"))
		},
	}
}
