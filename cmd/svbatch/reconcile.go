package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"svbatch"
	"svbatch/batch"
	"svbatch/reconcile"
	"svbatch/reports"
	"svbatch/table"
)

// reconcileOptions are the flags of `svbatch reconcile`.
type reconcileOptions struct {
	notify         notifyFlags
	out            string
	json           bool
	tolerance      int64
	netTolerance   int64
	balances       string
	actualBalances string
	asOf           string
	amountUnit     string
	mapping        string
	sheet          string
	encoding       string
	sheetRows      int // rows per category sheet (tests)
	matchedCSV     int64
	partitions     string // "auto" or a count (reconcile_partitions.go)
	memory         string // the memory budget auto partitioning aims at
	tempDir        string
	output         outputFlags
	platform       platformFlags // --platform: the three-way reconciliation (reconcile_platform.go)
}

func newReconcileCmd(io *cmdIO) *cobra.Command {
	var o reconcileOptions
	c := &cobra.Command{
		Use:   "reconcile RESULTS EXPECTED",
		Short: "Prove the money moved as intended: match results against an expected ledger",
		Long: `reconcile matches a results file of 'svbatch run' (its workbook, every Results sheet, or its CSV)
against an expected ledger (CSV or XLSX: brand_id, operate_type, outer_order_id, new_outer_order_id,
change_value, optional customer_id/mobile/outer_type/outer_id and expected_status, default succeeded)
on the identity (brand_id, operate_type, outer_order_id, new_outer_order_id).

Every row lands in one category: matched, missing (expected, not succeeded: status failed/unknown/
skipped/absent…), unexpected (in the results, not expected), amount_mismatch, customer_mismatch,
status_mismatch (expected a failure that succeeded or ended otherwise), duplicate (an identity twice
on either side: every row involved, both sides); with --balances and --actual-balances, accounts whose
closing balances differ are balance_mismatch.

The net difference (actual total − expected total, fen: results that succeeded vs ledger rows expected
to succeed) is split over the categories and checked: "explained" when the parts add up.

With --platform (and the gateway flags, as for run) it also asks the platform what happened: the flows
of the run's shops over its time window and each account's balance (read once, kept in --platform-cache).
Rows and flows that disagree are platform_only, results_only or platform_amount_mismatch, and each
account's balance is proved: opening + the window's flows = the closing balance the platform holds.

Writes a workbook (Summary with a chart, one sheet per non-empty category sorted by the identity);
the same inputs and --as-of give a byte-identical file. --json prints the summary as one object.

Ledgers larger than memory are reconciled partitioned: each side is read once, its rows hashed on
the identity into N bucket files (in a directory of their own in --temp-dir, default beside the
workbook; removed at the end, also on failure), each bucket reconciled in memory and the category
rows merged back in identity order: the workbook, the matched CSV, the summary and the exit code are
byte for byte those of the in-memory mode. --partitions auto (the default) estimates the in-memory
need from the inputs' sizes: ` + autoRuleText + `. --partitions N forces N buckets; 0 or 1, in memory.

Exit 0 when everything matched, 1 when anything did not, 2 when an input is unusable.`,
		Example: `  svbatch reconcile out/batch.results.xlsx expected.xlsx
  svbatch reconcile results.csv expected.csv --json --tolerance 1
  svbatch reconcile results.xlsx expected.csv --balances closing.csv --actual-balances http://127.0.0.1:8080/sandbox/balances.csv
  svbatch reconcile results.xlsx expected.csv --platform   # three-way: the platform's flows and balances too (gateway as for run)`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageErr("reconcile needs RESULTS and EXPECTED, got %d argument(s) (see 'svbatch reconcile --help')", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			started := time.Now()
			var rep *reconcile.Report
			out := ""
			err := runReconcile(cmd, io, o, args[0], args[1], &rep, &out)
			o.notify.post(cmd.Context(), io, nil, false, reconcileNotice(args[0], args[1], out, rep, started), err)
			return err
		},
	}
	f := c.Flags()
	o.notify.addFlags(f)
	f.StringVar(&o.out, "out", "", "reconciliation workbook to write (default reconciliation.xlsx beside RESULTS)")
	f.BoolVar(&o.json, "json", false, "print the summary as one JSON object")
	f.Int64Var(&o.tolerance, "tolerance", 0, "amount differences up to N fen are within_tolerance, not amount_mismatch")
	f.Int64Var(&o.netTolerance, "net-tolerance", 0, "the within_tolerance differences may add up to N fen either way; beyond, the books did not match (exit 1)")
	f.StringVar(&o.balances, "balances", "", "expected closing balances per account (CSV or XLSX: brand_id, customer identity, available, frozen)")
	f.StringVar(&o.actualBalances, "actual-balances", "", "actual balances: a file or an http(s) URL of the same shape (the sandbox's /sandbox/balances.csv)")
	f.StringVar(&o.asOf, "as-of", "", "the timestamp the workbook shows (RFC 3339 or YYYY-MM-DD; default now)")
	f.StringVar(&o.amountUnit, "amount-unit", "fen", "unit of the expected ledger's change_value and of --balances: fen or yuan")
	f.StringVar(&o.mapping, "mapping", "", "YAML header-mapping file for the expected ledger (as for validate and run)")
	f.StringVar(&o.sheet, "sheet", "", "sheet of an XLSX expected ledger (name or 1-based number; default the first)")
	f.StringVar(&o.encoding, "encoding", "auto", "encoding of a CSV expected ledger: auto, utf-8, gbk or gb18030")
	f.IntVar(&o.sheetRows, "sheet-rows", 0, "rows per category sheet, header included (default Excel's 1,048,576)")
	_ = f.MarkHidden("sheet-rows")
	f.Int64Var(&o.matchedCSV, "matched-csv-above", reports.DefaultMatchedCSVAbove, "past this many matched rows, they go to <out>.matched.csv beside the workbook instead of its Matched sheet (which says so): a million-row Matched sheet is slow to write and to open; -1 = always in the workbook")
	f.StringVar(&o.partitions, "partitions", "auto", "bucket files to reconcile in, bounding memory: auto (by the inputs' sizes and --memory), N, or 0/1 = in memory")
	f.StringVar(&o.memory, "memory", defaultReconcileMemory, "memory budget for --partitions auto (e.g. 512MiB, 2GiB)")
	f.StringVar(&o.tempDir, "temp-dir", "", "directory for the partitioned mode's bucket files (default: beside the workbook)")
	o.output.addFlags(f, true)
	o.platform.addFlags(f)
	return c
}

// reconcileAsOf reads --as-of; "" is now (to the second, UTC).
func reconcileAsOf(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return now.UTC().Truncate(time.Second), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--as-of %q: want RFC 3339 (2025-01-31T18:00:00+08:00) or YYYY-MM-DD", s)
}

// runReconcile reconciles; *repOut and *outOut get the report and the workbook's path once made
// (for --notify).
func runReconcile(cmd *cobra.Command, cio *cmdIO, o reconcileOptions, resultsPath, expectedPath string, repOut **reconcile.Report, outOut *string) error {
	if err := o.notify.check(); err != nil {
		return err
	}
	unit, err := svbatch.ParseUnit(o.amountUnit)
	if err != nil {
		return usageErr("--amount-unit: %v", err)
	}
	if o.tolerance < 0 || o.netTolerance < 0 {
		return usageErr("--tolerance %d, --net-tolerance %d: must not be negative", o.tolerance, o.netTolerance)
	}
	if (o.balances == "") != (o.actualBalances == "") {
		return usageErr("--balances and --actual-balances go together")
	}
	asOf, err := reconcileAsOf(o.asOf, time.Now())
	if err != nil {
		return usageErr("%v", err)
	}
	var mapping *batch.Mapping
	if o.mapping != "" {
		if mapping, err = batch.LoadMapping(o.mapping); err != nil {
			return usageErr("%v", err)
		}
	}
	header := func(h string) (string, bool) { return batch.CanonicalHeader(h, mapping) }
	opt := reconcile.Options{Tolerance: o.tolerance, NetTolerance: o.netTolerance, AmountUnit: unit, Header: header}
	if mapping != nil {
		opt.Constants = mapping.Constants
	}
	fileOpt := reconcile.FileOptions{Sheet: o.sheet, Encoding: o.encoding}
	out := o.out
	if out == "" {
		out = filepath.Join(filepath.Dir(resultsPath), "reconciliation.xlsx")
	}
	if recAbsPath(out) == recAbsPath(resultsPath) || recAbsPath(out) == recAbsPath(expectedPath) {
		return usageErr("--out %s would overwrite an input", out)
	}

	part, err := o.choosePartitions(resultsPath, expectedPath)
	if err != nil {
		return err
	}
	opt.Partitions = part.n
	opt.TempDir = o.tempDir
	if opt.TempDir == "" {
		opt.TempDir = filepath.Dir(out)
	}
	if part.n > 1 && part.limit > 0 {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(part.limit)) // the GC works harder rather than pass the budget
	}

	results, err := reconcile.OpenResults(resultsPath)
	if err != nil {
		return usageErr("%v", err)
	}
	defer results.Close()
	expected, err := reconcile.OpenExpected(expectedPath, fileOpt)
	if err != nil {
		return usageErr("%v", err)
	}
	defer expected.Close()
	// The inputs' checksums are read while they are reconciled (another core; the files are in
	// the page cache by then, or soon).
	type sha struct {
		sum string
		err error
	}
	shas := [2]chan sha{make(chan sha, 1), make(chan sha, 1)}
	var hashing sync.WaitGroup
	defer hashing.Wait() // no reading of the inputs goes on past the command, whatever it returns
	for i, p := range []string{resultsPath, expectedPath} {
		hashing.Go(func() {
			s, err := table.FileSHA256(p)
			shas[i] <- sha{s, err}
		})
	}
	rep, err := reconcile.Reconcile(expected, results, opt)
	if err == nil {
		*repOut, *outOut = rep, out
		defer rep.Close() // the partitioned mode's files; the totals stay for --notify
	}
	if err != nil {
		var ie *reconcile.InputError
		var te *reconcile.TempFileError
		switch {
		case errors.As(err, &ie):
			return usageErr("cannot reconcile: %v", err)
		case errors.As(err, &te):
			return withCode(exitSystem, err)
		}
		return usageErr("%v", err)
	}
	inputs := []reports.ReconciliationInput{
		{Role: "results", Name: filepath.Base(resultsPath), Rows: rep.ResultsRows},
		{Role: "expected", Name: filepath.Base(expectedPath), Rows: rep.ExpectedRows},
	}
	for i := range shas {
		s := <-shas[i]
		if s.err != nil {
			return usageErr("%v", s.err)
		}
		inputs[i].SHA256 = s.sum
	}
	if o.balances != "" {
		exp, sum, err := reconcile.ReadBalancesFile(o.balances, "balances", unit, header, fileOpt)
		if err != nil {
			return usageErr("%v", err)
		}
		inputs = append(inputs, reports.ReconciliationInput{Role: "balances", Name: filepath.Base(o.balances), SHA256: sum, Rows: int64(len(exp))})
		var act []reconcile.Balance
		name := filepath.Base(o.actualBalances)
		if reconcile.IsURL(o.actualBalances) {
			hc := &http.Client{Timeout: 2 * time.Minute}
			act, sum, err = fetchBalances(cmd.Context(), hc, o.actualBalances)
			name = reconcile.DisplayURL(o.actualBalances)
		} else {
			act, sum, err = reconcile.ReadBalancesFile(o.actualBalances, "actual balances", svbatch.Fen, header, reconcile.FileOptions{})
		}
		if err != nil {
			return usageErr("%v", err)
		}
		inputs = append(inputs, reports.ReconciliationInput{Role: "actual balances", Name: name, SHA256: sum, Rows: int64(len(act))})
		if _, err := rep.CheckBalances(exp, act); err != nil {
			return usageErr("cannot reconcile: %v", err)
		}
	}
	info := reports.ReconciliationInfo{
		AsOf: asOf, Inputs: inputs, SheetRowLimit: o.sheetRows,
		Params: [][2]string{{"amount unit of the expected ledger", unit.String()}},
	}
	if info.Lang, info.TZ, err = o.output.resolve(results.Header()); err != nil { // default: the results' language
		return err
	}
	if o.platform.on {
		return runReconcilePlatform(cmd.Context(), cio, &o.platform, rep, info, resultsPath, out, o.json)
	}
	if n := rep.Totals(reconcile.Matched).Count; o.matchedCSV >= 0 && n > o.matchedCSV {
		info.MatchedCSV = reports.MatchedCSVPath(out)
	}
	if err := reports.WriteReconciliationReport(out, rep, info); err != nil {
		return withCode(exitFailed, err)
	}
	if err := rep.Close(); err != nil {
		return withCode(exitSystem, err)
	}
	if o.json {
		b, err := json.Marshal(rep.Summary())
		if err != nil {
			return withCode(exitFailed, fmt.Errorf("summary: %w", err))
		}
		fmt.Fprintf(cio.stdout, "%s\n", b)
	} else {
		printReconcileText(cio.stdout, rep, out)
		if info.MatchedCSV != "" {
			fmt.Fprintf(cio.stdout, "matched rows: %s (more than --matched-csv-above %d)\n", info.MatchedCSV, o.matchedCSV)
		}
	}
	if !rep.AllMatched() {
		return withCode(exitFailed, nil)
	}
	return nil
}

func recAbsPath(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}

// printReconcileText prints the summary for a person.
func printReconcileText(w io.Writer, rep *reconcile.Report, out string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "category\tcount\tamount (fen)\tdifference (fen)\t")
	for _, c := range reconcile.Categories {
		t := rep.Totals(c)
		diff := fmt.Sprintf("%+d", t.Difference)
		if c == reconcile.BalanceMismatch {
			diff = "-"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t\n", c, t.Count, t.Amount, diff)
	}
	_ = tw.Flush()
	for _, s := range rep.Statement() {
		fmt.Fprintln(w, s)
	}
	if rep.AllMatched() {
		fmt.Fprintln(w, "all matched")
	} else {
		fmt.Fprintln(w, "NOT all matched: see the category sheets")
	}
	fmt.Fprintln(w, "workbook:", out)
}
