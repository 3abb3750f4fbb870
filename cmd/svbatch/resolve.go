package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/time/rate"

	"svbatch"
	"svbatch/client"
	"svbatch/job"
	"svbatch/journal"
	"svbatch/resolve"
)

type resolveOptions struct {
	conn    connFlags
	journal string
	lag     time.Duration
	qps     float64
	json    bool
}

func newResolveCmd(cio *cmdIO) *cobra.Command {
	var o resolveOptions
	cmd := &cobra.Command{
		Use:   "resolve JOURNAL|RESULTS",
		Short: "Ask the platform what became of unknown rows, before resending them",
		Long: `resolve asks the platform about every row a journal holds as unknown (no definitive answer) or
sending (in flight when a run died): it looks up the flow the operation left by its outer_order_id
(a refund's by its new_outer_order_id, alibaba.alsc.crm.recharge.account.flowdetail.get, several per
round trip through /router/batch) and compares the flow's type and amount with the row:

  succeeded  the platform holds a flow of the row's type and amount (its flow_id is the evidence)
  conflict   it holds a flow of the row's type with another amount: compare and correct by hand
  pending    it holds none, and the row was last sent more than --lag ago: not applied; the next
             run sends it with the same request_id (safe either way)
  unknown    still undecided: sent too recently, the platform could not be asked, or the order has
             flows of other types only

Every decision is journaled with its evidence (svbatch status and the results show it). resolve
only reads: it sends no operation. Reads count against --qps like a run's sends. Give the journal,
or the results workbook of a run (its journal is found beside it, as run names it).

Exit codes: 0 every row decided (succeeded or pending); 1 some rows in conflict or still unknown;
2 bad usage, no such journal, or a gateway error every read would hit.`,
		Example: `  svbatch resolve tonight.xlsx.svbatch.db
  svbatch resolve tonight.xlsx.results.xlsx --json
  # or on a resume: resolve first, then send only what did not apply
  svbatch run tonight.xlsx --resolve`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErr("svbatch resolve needs one JOURNAL (.svbatch.db) or RESULTS file, got %d argument(s)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runResolve(cmd.Context(), cio, o, args[0]) },
	}
	f := cmd.Flags()
	o.conn.addFlags(f)
	f.StringVar(&o.journal, "journal", "", "the journal, when RESULTS is given and the journal is not beside it")
	f.DurationVar(&o.lag, "lag", client.DefaultFlowLag, "the platform's read-after-write lag: a row sent less than this long ago that the platform does not show yet stays unknown (TOP does not publish it; 2m is assumed)")
	f.Float64Var(&o.qps, "qps", 20, "read calls per second at most, retries and batch parts included (0 = no limit)")
	f.BoolVar(&o.json, "json", false, `print {"counts":{state:n},"read_calls":n,"rows":[…]} as JSON`)
	return cmd
}

func runResolve(ctx context.Context, cio *cmdIO, o resolveOptions, arg string) error {
	if o.lag < 0 || o.qps < 0 {
		return usageErr("--lag and --qps must not be negative")
	}
	path := o.journal
	if path == "" {
		path = arg
		if !strings.HasSuffix(strings.ToLower(arg), ".db") {
			path = job.JournalOfResults(arg)
		}
	}
	if _, err := os.Stat(path); err != nil {
		return usageErr("journal %s: %v (give the journal with --journal)", path, errors.Unwrap(err))
	}
	rep, err := resolveJournal(ctx, cio, &o.conn, path, o.qps, o.lag)
	if err != nil {
		return err
	}
	if o.json {
		type row struct {
			Row       int            `json:"row"`
			RequestID string         `json:"request_id"`
			Before    svbatch.Status `json:"before"`
			After     svbatch.Status `json:"after"`
			FlowID    string         `json:"flow_id,omitempty"`
			Evidence  string         `json:"evidence"`
		}
		out := struct {
			Journal string                 `json:"journal"`
			Counts  map[svbatch.Status]int `json:"counts"`
			Calls   int64                  `json:"read_calls"`
			Rows    []row                  `json:"rows"`
		}{Journal: path, Counts: rep.Counts, Calls: rep.Calls, Rows: []row{}}
		for _, r := range rep.Rows {
			out.Rows = append(out.Rows, row{r.Line, r.RequestID, r.Before, r.After, r.FlowID, r.Evidence})
		}
		enc := json.NewEncoder(cio.stdout)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		printResolve(cio.stdout, path, rep)
	}
	if rep.Counts[svbatch.Unknown]+rep.Counts[svbatch.Conflict] > 0 {
		return withCode(exitFailed, nil)
	}
	return nil
}

// resolveJournal opens the journal at path (taking its lock: no run may be using it) and resolves
// its unknown and sending rows through conn's gateway, with reads paced at qps.
func resolveJournal(ctx context.Context, cio *cmdIO, conn *connFlags, path string, qps float64, lag time.Duration) (*resolve.Report, error) {
	secret, err := conn.resolve(cio.getenv)
	if err != nil {
		return nil, err
	}
	cl, err := conn.newClient(secret)
	if err != nil {
		return nil, err
	}
	j, err := journal.Open(path)
	if err != nil {
		if errors.Is(err, journal.ErrLocked) {
			return nil, usageErr("%v: is a run on this journal still going?", err)
		}
		return nil, withCode(exitSystem, fmt.Errorf("journal %s: %w", path, err))
	}
	defer j.Close()
	runs, err := j.Runs()
	if err != nil {
		return nil, withCode(exitSystem, fmt.Errorf("journal %s: %w", path, err))
	}
	var since time.Time
	if len(runs) > 0 {
		since = runs[0].StartedAt.Add(-time.Minute)
	}
	r := client.NewReader(cl)
	r.Gate = client.NewGate(nil, nil)
	if qps > 0 {
		lim := rate.NewLimiter(rate.Limit(qps), 1)
		r.Before = lim.Wait
	}
	rep, err := resolve.Journal(ctx, j, r, resolve.Config{Lag: lag, Since: since})
	if err != nil {
		if client.Classify(errors.Unwrap(err)) == client.RunStopping || client.Classify(err) == client.RunStopping {
			return nil, usageErr("%v", err)
		}
		return nil, withCode(exitFailed, err)
	}
	return rep, nil
}

func printResolve(w io.Writer, path string, rep *resolve.Report) {
	if len(rep.Rows) == 0 {
		fmt.Fprintf(w, "%s: no unknown or in-flight rows: nothing to resolve\n", path)
		return
	}
	fmt.Fprintf(w, "%s: %d row(s) asked about, %d read call(s)\n", path, len(rep.Rows), rep.Calls)
	for _, r := range rep.Rows {
		fmt.Fprintf(w, "  row %-6d %s → %-9s %s\n", r.Line, r.Before, r.After, r.Evidence)
	}
	var parts []string
	for _, st := range []svbatch.Status{svbatch.Succeeded, svbatch.Pending, svbatch.Conflict, svbatch.Unknown} {
		if n := rep.Counts[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", st, n))
		}
	}
	fmt.Fprintf(w, "Resolved: %s\n", strings.Join(parts, ", "))
	if rep.Counts[svbatch.Pending] > 0 {
		fmt.Fprintln(w, "Pending rows were not applied: run the same file again to send them (same request_ids).")
	}
}

// runResolveFirst is run --resolve: when the run's journal exists, its unknown and in-flight rows
// are resolved first, so the run resends only what did not apply.
func runResolveFirst(ctx context.Context, cio *cmdIO, o *runOptions, input string, log *slog.Logger) error {
	out := o.out
	if out == "" {
		out = job.DefaultOut(input, false)
	}
	path := o.journalPath
	if path == "" {
		path = job.DefaultJournal(input, out)
	}
	if _, err := os.Stat(path); err != nil {
		return nil // a first run: nothing to ask about
	}
	rep, err := resolveJournal(ctx, cio, &o.conn, path, o.qps, o.resolveLag)
	if err != nil {
		return err
	}
	if len(rep.Rows) == 0 {
		return nil
	}
	if o.logFormat == "json" {
		counts := map[string]int{}
		for st, n := range rep.Counts {
			counts[string(st)] = n
		}
		log.Info("resolved", "journal", path, "rows", len(rep.Rows), "counts", counts, "read_calls", rep.Calls)
	} else {
		printResolve(cio.stderr, path, rep)
	}
	return nil
}
