package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"svbatch"
	"svbatch/reconcile"
	"svbatch/undo"
)

type undoOptions struct {
	out string
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
  svbatch run tonight.xlsx.results.xlsx.undo.csv`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErr("svbatch undo needs one RESULTS file (what svbatch run wrote), got %d argument(s)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runUndo(cio, o, args[0]) },
	}
	cmd.Flags().StringVar(&o.out, "out", "", "the operations file to write, CSV (default <RESULTS>.undo.csv)")
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
