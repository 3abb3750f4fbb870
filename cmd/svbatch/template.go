package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newTemplateCmd is a placeholder until its issue lands.
func newTemplateCmd(io *cmdIO) *cobra.Command {
	return &cobra.Command{
		Use:    "template",
		Short:  "(not built yet)",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withCode(exitUsage, errors.New("svbatch template is not built yet"))
		},
	}
}
