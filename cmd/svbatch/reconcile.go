package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newReconcileCmd is a placeholder until its issue lands.
func newReconcileCmd(io *cmdIO) *cobra.Command {
	return &cobra.Command{
		Use:    "reconcile",
		Short:  "(not built yet)",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withCode(exitUsage, errors.New("svbatch reconcile is not built yet"))
		},
	}
}
