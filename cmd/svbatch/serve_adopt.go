package main

import (
	"fmt"
	"os/user"

	"github.com/spf13/cobra"

	"svbatch/web"
)

// adoptOptions are the flags of `svbatch serve adopt`.
type adoptOptions struct {
	journal string
	out     string
	dataDir string
	as      string
}

func newAdoptCmd(cio *cmdIO) *cobra.Command {
	var o adoptOptions
	cmd := &cobra.Command{
		Use:   "adopt INPUT",
		Short: "Bring a run started with 'svbatch run' onto the page: its journal in place, its status, resumable there",
		Long: `adopt makes a job of svbatch serve from a run started on the command line, so that the page shows
what 'svbatch status' shows of it (runs and their settings, rows and amounts per state, the rows that
need attention), offers its results workbook, and resumes it with a button.

The job uses the run's journal where it is (--journal, default as 'svbatch run' chooses it): never a
copy, which could send a row twice. Its lock keeps the page and the command line from running it at
once. INPUT is copied into the job (0600) and checked against the journal: it must be the file the
journal's runs read, read with the settings they recorded (unit, mapping, encoding, sheet, header
row), with every row they sent unchanged; otherwise it is refused. A running server shows the job at
once. The adoption goes to the audit log (who, which input and journal).
Exit 0 when adopted; 2 when refused (the reason is printed), e.g. while a run holds the journal.`,
		Example: `  svbatch serve adopt tonight.xlsx --data /srv/svbatch
  svbatch serve adopt in/tonight.csv --journal in/tonight.db --out in/tonight.results.xlsx --as alice --data /srv/svbatch`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErr("adopt needs one INPUT (the file 'svbatch run' read), got %d argument(s)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			by := o.as
			if by == "" {
				if u, err := user.Current(); err == nil {
					by = u.Username
				}
			}
			if by == "" {
				return usageErr("--as NAME: who adopts the run (recorded in the audit log)")
			}
			j, err := web.Adopt(o.dataDir, web.AdoptRequest{Input: args[0], Journal: o.journal, Out: o.out, By: by, Remote: "cli"})
			if err != nil {
				return usageErr("adopt: %v", err)
			}
			a := j.Adopted
			fmt.Fprintf(cio.stderr, "Adopted %s as job %s (%s): journal %s, used in place; %d sent row(s) checked against the file\n", a.Input, j.ID, j.State, a.Journal, a.Checked)
			fmt.Fprintf(cio.stderr, "Its page: /jobs/%s on svbatch serve --data %s\n", j.ID, o.dataDir)
			return nil
		},
	}
	cmd.Flags().StringVar(&o.journal, "journal", "", "the run's journal (default: as 'svbatch run' chooses it, <input>.svbatch.db beside the results)")
	cmd.Flags().StringVar(&o.out, "out", "", "the run's results workbook (default <input>.results.xlsx)")
	cmd.Flags().StringVar(&o.dataDir, "data", "svbatch-data", "data dir of svbatch serve")
	cmd.Flags().StringVar(&o.as, "as", "", "who adopts it, as the page and the audit log name them (default: your login name); they cannot approve it")
	return cmd
}
