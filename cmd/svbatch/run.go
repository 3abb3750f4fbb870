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
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"svbatch"
	"svbatch/batch"
	"svbatch/client"
	"svbatch/dispatch"
	"svbatch/journal"
	"svbatch/reconcile"
	"svbatch/reports"
)

type runOptions struct {
	conn        connFlags
	read        readFlags
	qps         float64
	burst       int
	concurrency int
	maxAttempts int
	maxBanWait  time.Duration
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
run the same command again to resume.`,
		Example: `  # rehearse against a local sandbox (svbatch sandbox), then for real:
  SVBATCH_APP_SECRET=sandbox-secret svbatch run samples/operations.csv \
      --gateway http://127.0.0.1:8795/router/rest --app-key sandbox --qps 20 --yes
  # see the request_ids without sending anything
  svbatch run samples/operations.csv --dry-run
  # cron: no terminal, JSON log lines
  svbatch run /data/tonight.csv --yes --log-format json`,
		Args: oneFile,
		RunE: func(cmd *cobra.Command, args []string) error { return runRun(cmd.Context(), io, &o, args[0]) },
	}
	f := cmd.Flags()
	o.conn.addFlags(f)
	o.read.addFlags(f)
	f.StringVar(&o.read.idNamespace, "id-namespace", "", "namespace mixed into derived request_ids (a new namespace = new ids: use with care)")
	f.Float64Var(&o.qps, "qps", 20, "requests per second at most, retries included: the app's quota (0 = no limit)")
	f.IntVar(&o.burst, "burst", 0, "rate limiter burst (default 1)")
	f.IntVar(&o.concurrency, "concurrency", 8, "requests in flight at most")
	f.IntVar(&o.maxAttempts, "max-attempts", client.DefaultMaxAttempts, "sends of one row before giving up on transient errors (it is then unknown)")
	f.DurationVar(&o.maxBanWait, "max-ban-wait", client.DefaultMaxBanWait, "longest flow-control ban to wait out; longer stops the run (resumable)")
	f.StringVar(&o.onFailure, "on-failure", dispatch.OnFailureSkipAccount, "after a row fails: skip-account (skip that account's later rows) or continue")
	f.StringVar(&o.journalPath, "journal", "", "journal file (default <input>.svbatch.db beside the output)")
	f.StringVar(&o.out, "out", "", "results file: .xlsx, or .csv for the Results sheet only (default <input>.results.xlsx)")
	f.BoolVar(&o.dryRun, "dry-run", false, "send nothing: write the results with status planned and each row's request_id")
	f.BoolVar(&o.retryFailed, "retry-failed", false, "resend rows that failed, under a new request_id generation")
	f.BoolVarP(&o.yes, "yes", "y", false, "do not ask for confirmation")
	f.StringVar(&o.logFormat, "log-format", "text", "log lines when not on a terminal: text or json")
	f.BoolVar(&o.noProgress, "no-progress", false, "no progress bar, log lines instead")
	f.IntVar(&o.sheetRowLimit, "sheet-row-limit", 0, "rows per Results sheet (testing)")
	f.MarkHidden("sheet-row-limit")
	return cmd
}

// runPlan is what a file asks for, shown before sending.
type runPlan struct {
	rows    int
	count   map[svbatch.OperateType]int
	amount  map[svbatch.OperateType]int64
	header  []string
	extra   []string
	inEnc   string
	input   string
	outPath string
}

func runRun(ctx context.Context, cio *cmdIO, o *runOptions, input string) error {
	opt, err := o.read.options()
	if err != nil {
		return err
	}
	switch {
	case o.qps < 0:
		return usageErr("--qps must not be negative (0 = unlimited)")
	case o.concurrency < 1:
		return usageErr("--concurrency must be at least 1")
	case o.maxAttempts < 1:
		return usageErr("--max-attempts must be at least 1")
	case o.onFailure != dispatch.OnFailureSkipAccount && o.onFailure != dispatch.OnFailureContinue:
		return usageErr("--on-failure %q: want skip-account or continue", o.onFailure)
	case o.logFormat != "text" && o.logFormat != "json":
		return usageErr("--log-format %q: want text or json", o.logFormat)
	}
	log := newLogger(cio.stderr, o.logFormat)
	outPath := o.out
	if outPath == "" {
		outPath = input + ".results.xlsx"
	}
	if ext := strings.ToLower(filepath.Ext(outPath)); ext != ".xlsx" && ext != ".csv" {
		return usageErr("--out %s: want a .xlsx or .csv file", outPath)
	}

	// 1. Validate everything before anything is sent; what was validated is this version of the file.
	sum, err := reconcile.FileSHA256(input)
	if err != nil {
		return usageErr("%v", err)
	}
	rep, err := batch.Validate(input, opt)
	if err != nil {
		return usageErr("%v", err)
	}
	if !rep.OK() {
		if o.logFormat == "json" {
			for i, pr := range rep.Errors {
				if i == 20 {
					break
				}
				log.Error("invalid row", "row", pr.Row, "column", pr.Column, "value", pr.Value, "message", pr.Message)
			}
		} else {
			printReport(cio.stderr, rep, 20)
		}
		return withCode(exitUsage, fmt.Errorf("%s: %d problem(s) in %d row(s); nothing was sent (run 'svbatch validate %s' for the full list)", input, max(rep.ErrorsTotal, len(rep.Errors)), rep.Rows-rep.Valid, input))
	}
	plan, err := planOf(input, opt)
	if err != nil {
		return usageErr("%v", err)
	}
	plan.outPath = outPath

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
		return writeDryRun(plan, opt, o, cio)
	}

	cl, err := o.conn.newClient(secret)
	if err != nil {
		return err
	}
	jpath := o.journalPath
	if jpath == "" {
		jpath = filepath.Join(filepath.Dir(outPath), filepath.Base(input)+".svbatch.db")
	}
	j, err := journal.Open(jpath)
	if err != nil {
		if errors.Is(err, journal.ErrLocked) {
			return usageErr("%v: is another 'svbatch run' on this file still going? (journal %s)", err, jpath)
		}
		return usageErr("journal %s: %v", jpath, err)
	}
	defer j.Close()
	if err := checkNamespace(j, o.read.idNamespace); err != nil {
		return err
	}
	params := map[string]string{"gateway": o.conn.gateway, "app_key": o.conn.appKey, "qps": fmtFloat(o.qps),
		"concurrency": strconv.Itoa(o.concurrency), "id_namespace": o.read.idNamespace, "retry_failed": strconv.FormatBool(o.retryFailed)}
	runID, err := j.BeginRun(input, params)
	if err != nil {
		return fmt.Errorf("journal %s: %w", jpath, err)
	}
	started := time.Now()

	prog := newProgress(cio.stderr, plan.rows, o.noProgress, log)
	policy := client.DefaultRetryPolicy()
	policy.MaxAttempts, policy.MaxBanWait = o.maxAttempts, o.maxBanWait
	d := dispatch.New(dispatch.Config{
		QPS: o.qps, Burst: o.burst, Concurrency: o.concurrency, Policy: policy, OnFailure: o.onFailure,
		RetryFailed: o.retryFailed, IDNamespace: o.read.idNamespace, OnRow: prog.row,
	}, cl, j)
	if now, err := reconcile.FileSHA256(input); err != nil || now != sum {
		return usageErr("%s changed since it was validated (or cannot be read again: %v); nothing was sent: run again", input, err)
	}
	rows, err := batch.Open(input, opt)
	if err != nil {
		return usageErr("%v", err)
	}
	runErr := d.Run(ctx, rows)
	rows.Close()
	prog.finish()
	if err := j.Flush(); err != nil {
		return fmt.Errorf("journal %s: %w", jpath, err)
	}

	if now, err := reconcile.FileSHA256(input); err != nil || now != sum {
		fmt.Fprintf(cio.stderr, "Warning: %s changed during the run; the results show the file as it is now, and rows whose values differ from what was sent are reported as conflict.\n", input)
	}
	outcome := "complete"
	var stop *dispatch.StopError
	if runErr != nil {
		if !errors.As(runErr, &stop) {
			outcome = "stopped: " + runErr.Error()
		} else if stop.Interrupted() {
			outcome = "interrupted"
		} else {
			outcome = "stopped: " + describeStop(stop.Err)
		}
	}
	if err := j.EndRun(runID, outcome); err != nil {
		return fmt.Errorf("journal %s: %w", jpath, err)
	}
	info := runInfo(plan, o, started, outcome)
	counts, err := writeResults(plan, opt, o, info, func(row batch.Row) (svbatch.Result, error) {
		e, ok, err := j.Get(row.Req.RequestID)
		return dispatch.ResultOf(row, e, ok, runID), err
	})
	if err != nil {
		return fmt.Errorf("writing %s: %w", outPath, err)
	}
	if o.logFormat != "json" {
		printSummary(cio.stderr, counts, outPath, jpath)
	}
	if !isTerminal(cio.stderr) || o.logFormat == "json" {
		log.Info("run finished", "outcome", outcome, "results", outPath, "journal", jpath, "counts", countsString(counts))
	}

	switch {
	case runErr == nil:
	case stop != nil && stop.Interrupted():
		const resume = "to resume, run the same command again: rows already done are not resent, unknown ones are resent with the same request_id"
		if o.logFormat == "json" {
			log.Warn("interrupted", "reason", stop.Err.Error(), "resume", resume)
		} else {
			fmt.Fprintf(cio.stderr, "Interrupted (%v).\n%s.\n", stop.Err, strings.ToUpper(resume[:1])+resume[1:])
		}
		return withCode(exitInterrupted, nil)
	case stop != nil && stop.RunStopping():
		return withCode(exitUsage, fmt.Errorf("stopped at row %d: %s; nothing more was sent", stop.Line, describeStop(stop.Err)))
	case stop != nil:
		return withCode(exitFailed, fmt.Errorf("stopped at row %d: %v; nothing more was sent (the journal keeps what was)", stop.Line, stop.Err))
	default:
		return runErr
	}
	for _, st := range []svbatch.Status{svbatch.Failed, svbatch.Unknown, svbatch.Skipped, svbatch.Conflict, svbatch.Pending} {
		if counts[st] > 0 {
			return withCode(exitFailed, nil)
		}
	}
	return nil
}

// checkNamespace refuses a run whose --id-namespace differs from the one the journal's runs used:
// every row would get a new request_id, and rows already applied could move money twice.
func checkNamespace(j *journal.Journal, ns string) error {
	runs, err := j.Runs()
	if err != nil {
		return fmt.Errorf("journal %s: %w", j.Path(), err)
	}
	for _, r := range runs {
		if prev, ok := r.Params["id_namespace"]; ok && prev != ns {
			return usageErr("journal %s was used with --id-namespace %q, this run has %q: every row would get a new request_id and rows already applied could move money twice; use the same namespace, or another --journal if this really is a new batch", j.Path(), prev, ns)
		}
	}
	return nil
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

// planOf streams the valid file once to count rows and amounts per operation.
func planOf(input string, opt batch.Options) (*runPlan, error) {
	r, err := batch.Open(input, opt)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	p := &runPlan{input: input, count: map[svbatch.OperateType]int{}, amount: map[svbatch.OperateType]int64{},
		header: r.Header(), extra: r.ExtraHeader(), inEnc: r.Encoding()}
	for {
		row, _, err := r.Next()
		if err == io.EOF {
			return p, nil
		}
		if err != nil {
			return nil, err
		}
		p.rows++
		p.count[row.Req.OperateType]++
		sum, ok := svbatch.AddFen(p.amount[row.Req.OperateType], row.Req.ChangeValue)
		if !ok {
			return nil, fmt.Errorf("row %d: the %s total passes the largest amount svbatch can add up: split the file", row.Line, row.Req.OperateType)
		}
		p.amount[row.Req.OperateType] = sum
	}
}

// logPlan is printPlan as one log record (--log-format json).
func logPlan(log *slog.Logger, p *runPlan, o *runOptions) {
	attrs := []any{"input", p.input, "rows", p.rows, "encoding", p.inEnc, "dry_run", o.dryRun}
	for _, op := range []svbatch.OperateType{svbatch.Charge, svbatch.Freeze, svbatch.Verify, svbatch.Refund} {
		attrs = append(attrs, op.String()+"_rows", p.count[op], op.String()+"_fen", p.amount[op])
	}
	if !o.dryRun {
		attrs = append(attrs, "gateway", o.conn.gateway, "app_key", o.conn.appKey, "qps", o.qps, "concurrency", o.concurrency)
	}
	log.Info("plan", attrs...)
}

func printPlan(w io.Writer, p *runPlan, o *runOptions) {
	fmt.Fprintf(w, "%s: %d rows, all valid (%s)\n", p.input, p.rows, p.inEnc)
	for _, op := range []svbatch.OperateType{svbatch.Charge, svbatch.Freeze, svbatch.Verify, svbatch.Refund} {
		if p.count[op] > 0 {
			fmt.Fprintf(w, "  %-7s %7d rows  %16s yuan (%d fen)\n", op, p.count[op], svbatch.FormatYuan(p.amount[op]), p.amount[op])
		}
	}
	if o.dryRun {
		fmt.Fprintf(w, "Dry run: nothing is sent; writing %s\n", p.outPath)
		return
	}
	qps := "unlimited"
	if o.qps > 0 {
		qps = fmtFloat(o.qps) + "/s"
	}
	fmt.Fprintf(w, "Gateway %s, app key %s, rate %s, concurrency %d\n", o.conn.gateway, o.conn.appKey, qps, o.concurrency)
}

// writeResults streams the input once more, in line order, writing each row's result.
func writeResults(p *runPlan, opt batch.Options, o *runOptions, info reports.RunInfo, result func(batch.Row) (svbatch.Result, error)) (map[svbatch.Status]int, error) {
	w, err := reports.NewResults(p.outPath, p.header, p.extra, info, reports.ResultsOptions{SheetRowLimit: o.sheetRowLimit})
	if err != nil {
		return nil, err
	}
	counts := map[svbatch.Status]int{}
	r, err := batch.Open(p.input, opt)
	if err != nil {
		w.Close()
		return nil, err
	}
	defer r.Close()
	for {
		row, _, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			w.Close()
			return nil, err
		}
		res, err := result(row)
		if err != nil {
			w.Close()
			return nil, err
		}
		counts[res.Status]++
		if err := w.Write(&res); err != nil {
			w.Close()
			return nil, err
		}
	}
	return counts, w.Close()
}

func writeDryRun(p *runPlan, opt batch.Options, o *runOptions, cio *cmdIO) error {
	info := runInfo(p, o, time.Now(), "dry run: nothing sent")
	counts, err := writeResults(p, opt, o, info, func(row batch.Row) (svbatch.Result, error) {
		r := dispatch.ResultOf(row, journal.Entry{}, false, 0)
		r.Status, r.Note = svbatch.Planned, "dry run: not sent"
		return r, nil
	})
	if err != nil {
		return fmt.Errorf("writing %s: %w", p.outPath, err)
	}
	fmt.Fprintf(cio.stderr, "Planned %d rows; request_ids are in %s\n", counts[svbatch.Planned], p.outPath)
	return nil
}

func runInfo(p *runPlan, o *runOptions, started time.Time, outcome string) reports.RunInfo {
	qps := "unlimited"
	if o.qps > 0 {
		qps = fmtFloat(o.qps)
	}
	gw := o.conn.gateway
	if o.dryRun {
		gw = "(dry run: none)"
	}
	return reports.RunInfo{Params: [][2]string{
		{"input", p.input}, {"encoding", p.inEnc}, {"gateway", gw},
		{"app key", o.conn.appKey}, {"sign method", o.conn.signMethod}, {"qps", qps}, {"concurrency", strconv.Itoa(o.concurrency)},
		{"max attempts", strconv.Itoa(o.maxAttempts)}, {"on failure", o.onFailure}, {"id namespace", o.read.idNamespace},
		{"retry failed", strconv.FormatBool(o.retryFailed)}, {"started", started.Format(time.RFC3339)},
		{"finished", time.Now().Format(time.RFC3339)}, {"outcome", outcome}, {"svbatch version", version},
	}}
}

func printSummary(w io.Writer, counts map[svbatch.Status]int, out, jpath string) {
	fmt.Fprintf(w, "Results: %s\n", countsString(counts))
	fmt.Fprintf(w, "Wrote %s (journal %s)\n", out, jpath)
	retry := 0
	for _, st := range []svbatch.Status{svbatch.Failed, svbatch.Unknown, svbatch.Skipped, svbatch.Conflict, svbatch.Pending} {
		retry += counts[st]
	}
	if retry > 0 && strings.EqualFold(filepath.Ext(out), ".xlsx") {
		fmt.Fprintf(w, "%d row(s) to look at are on its %s sheet. Fix them there, then send them with the same journal:\n"+
			"  svbatch run %s --sheet %s --journal %s --retry-failed\n"+
			"(--retry-failed resends the rows that failed under a new request_id; unknown, skipped and pending rows are resent as they are)\n",
			retry, reports.RetrySheet, shellQuote(out), reports.RetrySheet, shellQuote(jpath))
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

// progress shows rows done: a bar on a terminal, else a log line every 10 s.
type progress struct {
	mu       sync.Mutex
	bar      *progressbar.ProgressBar
	log      *slog.Logger
	total    int
	done     int
	bad      int
	last     time.Time
	start    time.Time
	interval time.Duration
}

func newProgress(w io.Writer, total int, noBar bool, log *slog.Logger) *progress {
	p := &progress{log: log, total: total, start: time.Now(), last: time.Now(), interval: 10 * time.Second}
	if !noBar && isTerminal(w) {
		p.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription("sending"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("rows"),
			progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish())
	}
	return p
}

func (p *progress) row(line int, st svbatch.Status, amount int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if st != svbatch.Succeeded && st != svbatch.AlreadyDone {
		p.bad++
	}
	if p.bar != nil {
		p.bar.Describe(fmt.Sprintf("sending (%d not ok)", p.bad))
		p.bar.Add(1)
		return
	}
	if now := time.Now(); now.Sub(p.last) >= p.interval {
		p.last = now
		rate := float64(p.done) / now.Sub(p.start).Seconds()
		p.log.Info("progress", "done", p.done, "total", p.total, "not_ok", p.bad, "rows_per_s", strconv.FormatFloat(rate, 'f', 1, 64))
	}
}

func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Finish()
	}
}
