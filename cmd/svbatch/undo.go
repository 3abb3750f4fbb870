package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"svbatch"
	"svbatch/reconcile"
	"svbatch/undo"
)

type undoOptions struct {
	out   string
	check string
}

func newUndoCmd(cio *cmdIO) *cobra.Command {
	var o undoOptions
	cmd := &cobra.Command{
		Use:   "undo RESULTS",
		Short: "Write the operations file that reverses what a run applied (refunds of its charges)",
		Long: `undo reads a run's results (the .results.xlsx or .csv that run wrote) and writes an operations file
that reverses what the run applied where the API can: a refund (operate_type 4) of each charge that
succeeded, less what the same results already refunded, under a deterministic new_outer_order_id
(UNDO-<outer_order_id>). Freezes, verifies and refunds have no reverse operation in
recharge.operate: they are listed with what to do instead. undo sends nothing: check the file, then
send it like any other with svbatch run, which is exactly-once (running it twice refunds once).`,
		Example: `  svbatch undo tonight.xlsx.results.xlsx                 # writes tonight.xlsx.results.xlsx.undo.csv
  svbatch run tonight.xlsx.results.xlsx.undo.csv
  # then: did the undo reverse everything? (net effect per account; exit 0 when every one is 0)
  svbatch undo tonight.xlsx.results.xlsx --check tonight.xlsx.results.xlsx.undo.csv.results.xlsx`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErr("svbatch undo needs one RESULTS file (what svbatch run wrote), got %d argument(s)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.check != "" {
				return runUndoCheck(cio, args[0], o.check)
			}
			return runUndo(cio, o, args[0])
		},
	}
	cmd.Flags().StringVar(&o.out, "out", "", "the operations file to write, CSV (default <RESULTS>.undo.csv)")
	cmd.Flags().StringVar(&o.check, "check", "", "reconcile RESULTS with the results of its undo run instead: the net effect per account of the run's charges and refunds and the undo's refunds (exit 0 when every account nets to 0, 1 when not)")
	return cmd
}

func runUndo(cio *cmdIO, o undoOptions, results string) error {
	src, err := reconcile.OpenResults(results)
	if err != nil {
		return usageErr("%v", err)
	}
	plan, err := undo.FromResults(src)
	src.Close()
	if err != nil {
		return usageErr("%v", err)
	}
	out := o.out
	if out == "" {
		out = results + ".undo.csv"
	}
	var buf bytes.Buffer
	buf.WriteString("\uFEFF") // Excel opens it as UTF-8
	w := csv.NewWriter(&buf)
	w.Write(undo.Columns)
	for _, op := range plan.Refunds {
		w.Write(op.Cells())
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return withCode(exitSystem, fmt.Errorf("undo: %w", err))
	}
	fmt.Fprintf(cio.stderr, "%s: %d refund(s) of charges, %s yuan (%d fen) in all, written to %s\n",
		results, len(plan.Refunds), svbatch.FormatYuan(plan.Total), plan.Total, out)
	if len(plan.Skipped) > 0 {
		fmt.Fprintf(cio.stderr, "Not reversed (%d row(s)):\n", len(plan.Skipped))
		for _, s := range plan.Skipped {
			fmt.Fprintf(cio.stderr, "  row %d  %s %s, %s yuan: %s\n", s.Line, s.OperateType, s.OuterOrderID, svbatch.FormatYuan(s.ChangeValue), s.Why)
		}
	}
	if len(plan.Refunds) > 0 {
		fmt.Fprintf(cio.stderr, "Check the file, then send it (exactly once, like any run):\n  svbatch run %s\n", shellQuote(out))
	}
	return nil
}

// runUndoCheck reconciles a run (results) with its undo run (undone): per account, the net effect
// of the run's charges and refunds and the undo's refunds.
func runUndoCheck(cio *cmdIO, results, undone string) error {
	orig, err := reconcile.OpenResults(results)
	if err != nil {
		return usageErr("%v", err)
	}
	defer orig.Close()
	und, err := reconcile.OpenResults(undone)
	if err != nil {
		return usageErr("%v", err)
	}
	defer und.Close()
	c, err := undo.CheckUndo(orig, und)
	if err != nil {
		return usageErr("%v", err)
	}
	fmt.Fprintf(cio.stdout, "%s undone by %s: %d account(s) charged\n", results, undone, len(c.Accounts))
	fmt.Fprintf(cio.stdout, "%-8s %-24s %14s %14s %14s %14s\n", "brand", "customer", "charged", "refunded", "undone", "net (yuan)")
	for _, a := range c.Accounts {
		fmt.Fprintf(cio.stdout, "%-8s %-24s %14s %14s %14s %14s\n", a.BrandID, a.Customer, svbatch.FormatYuan(a.Charged),
			svbatch.FormatYuan(a.Refunded), svbatch.FormatYuan(a.Undone), svbatch.FormatYuan(a.Net))
	}
	if c.NotReversed > 0 {
		fmt.Fprintf(cio.stdout, "Not reversible, left as they are: %d freeze/verify row(s), %s yuan ('svbatch undo %s' lists them)\n",
			c.NotReversed, svbatch.FormatYuan(c.NotRevAmount), results)
	}
	if c.NotZero == 0 {
		fmt.Fprintf(cio.stdout, "Net effect 0 on every account: the undo reversed every charge.\n")
		return nil
	}
	fmt.Fprintf(cio.stdout, "NOT undone: %d account(s) net %s yuan (%d fen) in all:\n", c.NotZero, svbatch.FormatYuan(c.Net), c.Net)
	for _, a := range c.Accounts {
		if a.Net != 0 {
			fmt.Fprintf(cio.stdout, "  %s %s: net %s yuan: %s\n", a.BrandID, a.Customer, svbatch.FormatYuan(a.Net), a.Why)
		}
	}
	return withCode(exitFailed, errors.New("the undo did not reverse every charge"))
}
