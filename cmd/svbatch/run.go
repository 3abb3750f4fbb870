package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"svbatch"
	"svbatch/client"
	"svbatch/dispatch"
	"svbatch/job"
)

type runOptions struct {
	conn        connFlags
	read        readFlags
	notify      notifyFlags
	resolve     bool
	resolveLag  time.Duration
	summary     *job.Summary // how the run ended, for --notify (nil: it ended before sending)
	qps         float64
	burst       int
	concurrency int
	maxAttempts int
	maxBanWait  time.Duration
	unreachable time.Duration
	outageWait  time.Duration
	onFailure   string
	journalPath string
	out         string
	dryRun      bool
	retryFailed bool
	yes         bool
	logFormat   string
	noProgress  bool
	// sheetRowLimit overrides the Results sheet size (tests).
	sheetRowLimit int
	output        outputFlags // --lang, --tz
}

func newRunCmd(io *cmdIO) *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run FILE",
		Short: "Send every row of a CSV/XLSX file, exactly once, and write a results workbook",
		Long: `run validates the whole file (nothing is sent unless every row is valid), shows what it is about to
do, then sends each row to recharge.operate under a rate limit: rows of one account strictly in file
order, accounts in parallel. Every step is journaled (--journal, default <input>.svbatch.db), so
running the same command again resumes: rows that succeeded are not resent, rows whose outcome is
unknown are resent with the same request_id (the gateway deduplicates), and a row edited since it
was sent is reported as a conflict instead of being sent twice.

Exit codes: 0 every row succeeded; 1 some rows failed, are unknown, skipped or in conflict (see the
Retry sheet); 2 bad usage, invalid input, or a gateway error that every row would hit (nothing more
is sent); 3 interrupted (Ctrl-C, SIGTERM, or a flow-control ban longer than --max-ban-wait):
run the same command again to resume; 4 svbatch itself failed (the journal, the disk): the cause is
printed, fix it and run the same command again.`,
		Example: `  # rehearse against a local sandbox (svbatch sandbox), then for real:
  SVBATCH_APP_SECRET=sandbox-secret svbatch run samples/operations.csv \
      --gateway http://127.0.0.1:8795/router/rest --app-key sandbox --qps 20 --yes
  # see the request_ids without sending anything
  svbatch run samples/operations.csv --dry-run
  # cron: no terminal, JSON log lines
  svbatch run /data/tonight.csv --yes --log-format json`,
		Args: oneFile,
		RunE: func(cmd *cobra.Command, args []string) error {
			started := time.Now()
			err := runRun(cmd.Context(), io, &o, args[0])
			o.notify.post(cmd.Context(), io, newLogger(io.stderr, o.logFormat), o.logFormat == "json", runNotice(args[0], o.summary, started), err)
			if err != nil && o.logFormat == "json" {
				return jsonExit(newLogger(io.stderr, "json"), err)
			}
			return err
		},
	}
	f := cmd.Flags()
	o.conn.addFlags(f)
	o.read.addFlags(f)
	o.notify.addFlags(f)
	o.output.addFlags(f, true)
	f.StringVar(&o.read.idNamespace, "id-namespace", "", "namespace mixed into derived request_ids (a new namespace = new ids: use with care)")
	f.Float64Var(&o.qps, "qps", 20, "requests per second at most, retries included: the app's quota (0 = no limit)")
	f.IntVar(&o.burst, "burst", 0, "rate limiter burst (default 1)")
	f.IntVar(&o.concurrency, "concurrency", 8, "requests in flight at most")
	f.IntVar(&o.maxAttempts, "max-attempts", client.DefaultMaxAttempts, "sends of one row before giving up on transient errors (it is then unknown)")
	f.DurationVar(&o.maxBanWait, "max-ban-wait", client.DefaultMaxBanWait, "longest flow-control ban to wait out; longer stops the run (resumable)")
	f.DurationVar(&o.unreachable, "unreachable-after", dispatch.DefaultUnreachableAfter, "stop when no request has reached the API for this long and none has in this run (a wrong --gateway, a closed port): nothing more is sent, exit 2")
	f.DurationVar(&o.outageWait, "outage-wait", dispatch.DefaultOutageWait, "a gateway that stops answering mid-run is waited for this long, then the run stops as interrupted (exit 3, resumable)")
	f.StringVar(&o.onFailure, "on-failure", dispatch.OnFailureSkipAccount, "after a row fails: skip-account (skip that account's later rows) or continue")
	f.StringVar(&o.journalPath, "journal", "", "journal file (default <input>.svbatch.db beside the output; for a results workbook sent again, the journal of the run that wrote it)")
	f.StringVar(&o.out, "out", "", "results file: .xlsx, or .csv for the Results sheet only (default <input>.results.xlsx; <input>.dry-run.results.xlsx for --dry-run; X.retry.results.xlsx, X.retry2… when <input> is X.results.xlsx)")
	f.BoolVar(&o.dryRun, "dry-run", false, "send nothing: write the results with status planned and each row's request_id")
	f.BoolVar(&o.retryFailed, "retry-failed", false, "resend rows that failed, under a new request_id generation")
	f.BoolVar(&o.resolve, "resolve", false, "on a resume, first ask the platform about the journal's unknown rows (as svbatch resolve does): applied ones are done, the others are sent with their request_id")
	f.DurationVar(&o.resolveLag, "resolve-lag", client.DefaultFlowLag, "with --resolve: the platform's read-after-write lag (see svbatch resolve --lag)")
	f.BoolVarP(&o.yes, "yes", "y", false, "do not ask for confirmation")
	f.StringVar(&o.logFormat, "log-format", "text", "log lines when not on a terminal: text or json")
	f.BoolVar(&o.noProgress, "no-progress", false, "no progress bar, log lines instead")
	f.IntVar(&o.sheetRowLimit, "sheet-row-limit", 0, "rows per Results sheet (testing)")
	f.MarkHidden("sheet-row-limit")
	return cmd
}

func runRun(ctx context.Context, cio *cmdIO, o *runOptions, input string) error {
	opt, err := o.read.options()
	if err != nil {
		return err
	}
	opt.Table.Sheet = retrySheetAlias(input, opt.Table.Sheet) // --sheet Retry names 重试 too
	switch {
	case o.qps < 0:
		return usageErr("--qps must not be negative (0 = unlimited)")
	case o.concurrency < 1:
		return usageErr("--concurrency must be at least 1")
	case o.maxAttempts < 1:
		return usageErr("--max-attempts must be at least 1")
	case o.unreachable <= 0 || o.outageWait <= 0:
		return usageErr("--unreachable-after and --outage-wait must be positive durations (e.g. 10s, 2m)")
	case o.onFailure != dispatch.OnFailureSkipAccount && o.onFailure != dispatch.OnFailureContinue:
		return usageErr("--on-failure %q: want skip-account or continue", o.onFailure)
	case o.logFormat != "text" && o.logFormat != "json":
		return usageErr("--log-format %q: want text or json", o.logFormat)
	case o.notify.check() != nil:
		return o.notify.check()
	case o.output.check() != nil:
		return o.output.check()
	}
	log := newLogger(cio.stderr, o.logFormat)
	policy := client.DefaultRetryPolicy()
	policy.MaxAttempts, policy.MaxBanWait = o.maxAttempts, o.maxBanWait
	qps := "unlimited"
	if o.qps > 0 {
		qps = fmtFloat(o.qps)
	}
	gw := o.conn.gateway
	if o.dryRun {
		gw = "(dry run: none)"
	}
	cfg := job.Config{
		Input: input, Read: opt, Out: o.out, Journal: o.journalPath, DryRun: o.dryRun,
		Dispatch: dispatch.Config{QPS: o.qps, Burst: o.burst, Concurrency: o.concurrency, Policy: policy,
			OnFailure: o.onFailure, RetryFailed: o.retryFailed, UnreachableAfter: o.unreachable, OutageWait: o.outageWait},
		Params: [][2]string{{"gateway", gw}, {"app key", o.conn.appKey}, {"sign method", o.conn.signMethod}, {"qps", qps},
			{"concurrency", strconv.Itoa(o.concurrency)}, {"max attempts", strconv.Itoa(o.maxAttempts)}, {"on failure", o.onFailure},
			{"id namespace", o.read.idNamespace}, {"retry failed", strconv.FormatBool(o.retryFailed)}},
		JournalParams: map[string]string{"gateway": o.conn.gateway, "app_key": o.conn.appKey, "qps": fmtFloat(o.qps),
			"concurrency": strconv.Itoa(o.concurrency), "retry_failed": strconv.FormatBool(o.retryFailed)},
		Version:       version,
		SheetRowLimit: o.sheetRowLimit,
		// the plan shown stays true until the run: the journal stays locked across the question
		KeepJournalOpen: true,
	}
	cfg.Params = append(cfg.Params, o.output.params()...) // --lang, --tz: read by the results writer

	// 0. --resolve: ask the platform about the journal's unknown rows before any resend.
	if o.resolve && !o.dryRun {
		if err := runResolveFirst(ctx, cio, o, input, log); err != nil {
			return err
		}
	}

	// 1. Validate everything before anything is sent.
	prep, err := job.Prepare(cfg)
	if err != nil {
		var inv *job.InvalidError
		if errors.As(err, &inv) {
			if o.logFormat == "json" {
				for i, pr := range inv.Report.Errors {
					if i == 20 {
						break
					}
					log.Error("invalid row", "row", pr.Row, "column", pr.Column, "value", pr.Value, "message", pr.Message)
				}
			} else {
				printReport(cio.stderr, inv.Report, 20)
			}
		}
		return runError(err)
	}
	defer prep.Close()
	plan := prep.Plan

	var secret string
	if !o.dryRun {
		if secret, err = o.conn.resolve(cio.getenv); err != nil {
			return err
		}
	}
	if o.logFormat == "json" {
		logPlan(log, plan, o)
	} else {
		printPlan(cio.stderr, plan, o)
	}
	if !o.dryRun && !o.yes && isTerminal(cio.stdin) {
		if !confirm(ctx, cio, "Send these operations? Type yes to go on: ") {
			return withCode(exitUsage, errors.New("not confirmed; nothing was sent"))
		}
	}
	if o.dryRun {
		sum, err := prep.DryRun()
		if err != nil {
			return runError(err)
		}
		fmt.Fprintf(cio.stderr, "Planned %d rows; request_ids are in %s\n", sum.Counts[svbatch.Planned], sum.Out)
		return nil
	}

	cl, err := o.conn.newClient(secret)
	if err != nil {
		return err
	}
	left := plan.Rows
	if plan.Journal != nil {
		left = plan.Journal.LeftRows
	}
	mon := &dispatch.Monitor{}
	prep.SetMonitor(mon)
	prog := newProgress(cio.stderr, left, o.noProgress, log, mon)
	started := time.Now()
	sum, err := prep.Run(ctx, cl, prog.row)
	prog.finish()
	o.summary = sum
	if err != nil {
		return runError(err)
	}
	if sum.InputChanged {
		fmt.Fprintf(cio.stderr, "Warning: %s changed during the run; the results show the file as it is now, and rows whose values differ from what was sent are reported as conflict.\n", input)
	}
	if o.logFormat != "json" {
		printSummary(cio.stderr, sum, o)
	}
	for _, e := range sum.Gone {
		const what = "may have been applied, and is no longer in the file: check the account, or put the row back and run again (it is resent with the same request_id, safe)"
		if o.logFormat == "json" {
			log.Warn("row not in the file", "request_id", e.RequestID, "journal_row", e.Line, "state", string(e.State), "message", what)
		} else {
			fmt.Fprintf(cio.stderr, "Warning: the journal's row %d (request_id %s, %s) %s\n", e.Line, e.RequestID, e.State, what)
		}
	}
	if !isTerminal(cio.stderr) || o.logFormat == "json" {
		counts, amounts := map[string]int{}, map[string]int64{}
		for st, n := range sum.Counts {
			counts[string(st)] = n
		}
		for st, a := range sum.Amounts {
			amounts[string(st)] = a
		}
		code := exitOK
		var ee *exitError
		if errors.As(runExit(sum), &ee) {
			code = ee.code
		}
		log.Info("run finished", "outcome", sum.Outcome, "results", sum.Out, "journal", sum.Journal, "counts", counts, "amounts_fen", amounts,
			"needs_attention", sum.NeedsAttention(), "duration_s", time.Since(started).Round(time.Millisecond).Seconds(), "exit_code", code)
	}
	if stop := sum.Stop; stop != nil && !stop.Interrupted() && o.logFormat == "json" {
		log.Error("run stopped", "row", stop.Line, "reason", client.Describe(stop.Err), "outcome", sum.Outcome)
	}
	if stop := sum.Stop; stop != nil && stop.Interrupted() {
		const resume = "to resume, run the same command again: rows already done are not resent, unknown ones are resent with the same request_id"
		if o.logFormat == "json" {
			log.Warn("interrupted", "reason", stop.Err.Error(), "resume", resume)
		} else {
			fmt.Fprintf(cio.stderr, "Interrupted (%v).\n%s.\n", stop.Err, strings.ToUpper(resume[:1])+resume[1:])
		}
	}
	return runExit(sum)
}

// jsonExit logs err as a JSON ERROR record (--log-format json: every line of stderr is JSON, the
// fatal error too) and returns its exit code with nothing more to print.
func jsonExit(log *slog.Logger, err error) error {
	code := exitFailed
	msg := err
	var ee *exitError
	if errors.As(err, &ee) {
		code, msg = ee.code, ee.err
	}
	if msg != nil {
		log.Error("svbatch stopped", "error", msg.Error(), "exit_code", code)
	}
	return withCode(code, nil)
}

// runExit is the one mapping from how a run ended to svbatch's exit code (DESIGN.md §7).
func runExit(sum *job.Summary) error {
	if sum.Err != nil {
		return withCode(exitSystem, sum.Err)
	}
	switch stop := sum.Stop; {
	case stop == nil:
	case stop.Interrupted():
		return withCode(exitInterrupted, nil)
	case stop.RunStopping():
		return withCode(exitUsage, fmt.Errorf("stopped at row %d: %s; nothing more was sent", stop.Line, client.Describe(stop.Err)))
	default: // the journal failed
		return withCode(exitSystem, fmt.Errorf("stopped at row %d: %v; nothing more was sent (the journal keeps what was): fix the cause, then run the same command again", stop.Line, stop.Err))
	}
	if sum.NeedsAttention() > 0 {
		return withCode(exitFailed, nil)
	}
	return nil
}

// runError maps job's typed errors to exit codes: nothing sent (2), or svbatch itself failed (4).
func runError(err error) error {
	var inv *job.InvalidError
	var in *job.InputError
	var sys *job.SystemError
	switch {
	case errors.As(err, &inv), errors.As(err, &in):
		return withCode(exitUsage, err)
	case errors.As(err, &sys):
		return withCode(exitSystem, err)
	}
	return err
}

// confirm asks on the terminal; Ctrl-C (ctx ending) or anything but yes/y is a no.
func confirm(ctx context.Context, cio *cmdIO, question string) bool {
	fmt.Fprint(cio.stderr, question)
	answer := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(cio.stdin).ReadString('\n')
		answer <- line
	}()
	select {
	case line := <-answer:
		a := strings.ToLower(strings.TrimSpace(line))
		return a == "yes" || a == "y"
	case <-ctx.Done():
		fmt.Fprintln(cio.stderr)
		return false
	}
}

// logPlan is printPlan as one log record (--log-format json).
func logPlan(log *slog.Logger, p *job.Plan, o *runOptions) {
	attrs := []any{"input", p.Input, "rows", p.Rows, "encoding", p.Encoding, "dry_run", o.dryRun}
	for _, op := range []svbatch.OperateType{svbatch.Charge, svbatch.Freeze, svbatch.Verify, svbatch.Refund} {
		attrs = append(attrs, op.String()+"_rows", p.Count[op], op.String()+"_fen", p.Amount[op])
	}
	if !o.dryRun {
		attrs = append(attrs, "gateway", o.conn.gateway, "app_key", o.conn.appKey, "qps", o.qps, "concurrency", o.concurrency)
	}
	if h := p.Journal; h != nil {
		attrs = append(attrs, "journal_known", h.Known, "journal_done", h.Done, "journal_failed", h.Failed, "journal_conflict", h.Conflict, "left_rows", h.LeftRows)
		for _, op := range []svbatch.OperateType{svbatch.Charge, svbatch.Freeze, svbatch.Verify, svbatch.Refund} {
			attrs = append(attrs, "left_"+op.String()+"_rows", h.LeftCount[op], "left_"+op.String()+"_fen", h.LeftAmount[op])
		}
	}
	log.Info("plan", attrs...)
	for _, wr := range p.Warnings {
		log.Warn("input", "kind", wr.Kind, "message", wr.Message)
	}
}

func printPlan(w io.Writer, p *job.Plan, o *runOptions) {
	fmt.Fprintf(w, "%s: %d rows, all valid (%s)\n", p.Input, p.Rows, p.Encoding)
	for _, wr := range p.Warnings {
		fmt.Fprintf(w, "Warning: %s\n", wr.Message)
	}
	for _, op := range []svbatch.OperateType{svbatch.Charge, svbatch.Freeze, svbatch.Verify, svbatch.Refund} {
		if p.Count[op] > 0 {
			fmt.Fprintf(w, "  %-7s %7d rows  %16s yuan (%d fen)\n", op, p.Count[op], svbatch.FormatYuan(p.Amount[op]), p.Amount[op])
		}
	}
	if o.dryRun {
		fmt.Fprintf(w, "Dry run: nothing is sent; writing %s\n", p.Out)
		return
	}
	if h := p.Journal; h != nil {
		fmt.Fprintf(w, "The journal already holds %d of these rows: %d done (not resent), %d failed (not resent without --retry-failed), %d in conflict (never resent).\n",
			h.Known, h.Done, h.Failed, h.Conflict)
		fmt.Fprintf(w, "Left to send: %d rows\n", h.LeftRows)
		for _, op := range []svbatch.OperateType{svbatch.Charge, svbatch.Freeze, svbatch.Verify, svbatch.Refund} {
			if h.LeftCount[op] > 0 {
				fmt.Fprintf(w, "  %-7s %7d rows  %16s yuan (%d fen)\n", op, h.LeftCount[op], svbatch.FormatYuan(h.LeftAmount[op]), h.LeftAmount[op])
			}
		}
	}
	qps := "unlimited"
	if o.qps > 0 {
		qps = fmtFloat(o.qps) + "/s"
	}
	fmt.Fprintf(w, "Gateway %s, app key %s, rate %s, concurrency %d\n", o.conn.gateway, o.conn.appKey, qps, o.concurrency)
}

// printSummary says what the run did and what to do next, matching how it ended: resume after an
// interruption, fix the credentials or the gateway after a run-stopping error, fix rows on the
// Retry sheet when rows failed or are in conflict.
func printSummary(w io.Writer, sum *job.Summary, o *runOptions) {
	out, jpath := sum.Out, sum.Journal
	fmt.Fprintf(w, "Results: %s\n", countsString(sum.Counts))
	fmt.Fprintf(w, "Wrote %s (journal %s)\n", out, jpath)
	if stop := sum.Stop; stop != nil {
		if !stop.Interrupted() {
			fmt.Fprintf(w, "Nothing is wrong with the rows: fix what stopped the run (next line), then run the same command again; rows already done are not resent.\n")
		}
		return // an interruption prints how to resume
	}
	toFix := sum.Counts[svbatch.Failed] + sum.Counts[svbatch.Conflict] + sum.Counts[svbatch.Skipped]
	unfinished := sum.Counts[svbatch.Pending] + sum.Counts[svbatch.Unknown]
	if toFix > 0 && strings.EqualFold(filepath.Ext(out), ".xlsx") {
		cmd := []string{"svbatch", "run", shellQuote(out), "--sheet", retrySheetOf(out), "--journal", shellQuote(jpath)}
		// The Retry sheet holds the rows as the file had them: read it the same way.
		if o.read.mapping != "" {
			m, err := filepath.Abs(o.read.mapping)
			if err != nil {
				m = o.read.mapping
			}
			cmd = append(cmd, "--mapping", shellQuote(m))
		}
		if u := strings.ToLower(o.read.amountUnit); u != "" && u != "fen" {
			cmd = append(cmd, "--amount-unit", u)
		}
		if o.read.idNamespace != "" {
			cmd = append(cmd, "--id-namespace", shellQuote(o.read.idNamespace))
		}
		if sum.Counts[svbatch.Failed] > 0 {
			cmd = append(cmd, "--retry-failed")
		}
		fmt.Fprintf(w, "%d row(s) to fix are on its %s sheet (failed, in conflict, or skipped after an earlier row of the account). Fix them there, then send them with the same journal:\n  %s\n",
			toFix, retrySheetOf(out), strings.Join(cmd, " "))
		if sum.Counts[svbatch.Failed] > 0 {
			fmt.Fprintf(w, "(--retry-failed resends the rows that failed under a new request_id; skipped rows are sent as they are)\n")
		}
	}
	if unfinished > 0 {
		fmt.Fprintf(w, "%d row(s) are not finished (pending, or unknown: no definitive answer): run the same command again; unknown rows are resent with the same request_id, which is safe.\n", unfinished)
	}
}

// shellQuote quotes a path for a copy-pasted command line when it needs it.
func shellQuote(p string) string {
	if strings.ContainsAny(p, " '\"$`\\*?&;|<>()[]{}#~!") {
		return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
	}
	return p
}

func countsString(counts map[svbatch.Status]int) string {
	var keys []string
	for k, n := range counts {
		if n > 0 {
			keys = append(keys, string(k))
		}
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, counts[svbatch.Status(k)]))
	}
	return strings.Join(parts, ", ")
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// isTerminal reports whether a stdin/stdout/stderr is a terminal.
func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}
