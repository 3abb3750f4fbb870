package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/time/rate"

	"svbatch"
	"svbatch/client"
	"svbatch/job"
	"svbatch/journal"
	"svbatch/platform"
	"svbatch/reconcile"
	"svbatch/reports"
	"svbatch/sandbox"
)

// DefaultPlatformPad widens the run's time window on both sides: TOP accepts timestamps ±10 min
// off, so the platform's order_time and our finished_at may disagree by that much.
const DefaultPlatformPad = 10 * time.Minute

// platformFlags are the flags of `svbatch reconcile --platform` (the three-way reconciliation).
type platformFlags struct {
	on       bool
	conn     connFlags
	journal  string
	flowLag  time.Duration
	window   time.Duration
	pad      time.Duration
	pageSize int
	qps      float64
	cache    string
	refresh  bool
	now      func() time.Time // tests; nil → time.Now
}

func (p *platformFlags) addFlags(f *pflag.FlagSet) {
	f.BoolVar(&p.on, "platform", false, "reconcile three ways: also ask the platform (accountflows.get, open.customer.get) what happened to the run's accounts, and prove each account's balance")
	p.conn.addFlags(f)
	f.StringVar(&p.journal, "journal", "", "--platform: the run's journal, for its time window (default: the one beside RESULTS, if any)")
	f.DurationVar(&p.flowLag, "flow-lag", client.DefaultFlowLag, "--platform: how long a flow may take to show in the read APIs; reads end at least this long before now (TOP does not publish it; 2m is assumed)")
	f.DurationVar(&p.window, "window", client.DefaultFlowWindow, "--platform: the longest start..end of one accountflows.get query; the run's window is cut into pieces this long")
	f.DurationVar(&p.pad, "platform-pad", DefaultPlatformPad, "--platform: widen the run's time window by this much on both sides (the gateway accepts clocks ±10 min off)")
	f.IntVar(&p.pageSize, "page-size", client.DefaultFlowPageSize, "--platform: accountflows.get page_size (the platform's maximum is not published)")
	f.Float64Var(&p.qps, "qps", 20, "--platform: read calls per second at most, retries included (0 = no limit)")
	f.StringVar(&p.cache, "platform-cache", "", "--platform: the file that keeps what the platform answered, so a rerun spends no quota (default <out>.platform.json beside the workbook)")
	f.BoolVar(&p.refresh, "platform-refresh", false, "--platform: ignore the cache and read the platform again")
}

func (p *platformFlags) check() error {
	switch {
	case p.flowLag < 0 || p.pad < 0:
		return usageErr("--flow-lag and --platform-pad must not be negative")
	case p.window < time.Second:
		return usageErr("--window %s: want at least 1s", p.window)
	case p.pageSize < 1:
		return usageErr("--page-size %d: want at least 1", p.pageSize)
	case p.qps < 0:
		return usageErr("--qps must not be negative")
	}
	return nil
}

// platformCachePath is the cache beside the workbook: reconciliation.xlsx → reconciliation.platform.json.
func platformCachePath(out string) string {
	return strings.TrimSuffix(out, filepath.Ext(out)) + ".platform.json"
}

// runWindow is the run's time span, to the second: its rows' finished_at and, when the journal is
// at hand, its runs' start and end. (Both ends are inclusive to the second, as accountflows.get's.)
func runWindow(rows []reconcile.PlatformRow, journalPath string) (start, end time.Time, source string, err error) {
	widen := func(t time.Time) {
		if t.IsZero() {
			return
		}
		if start.IsZero() || t.Before(start) {
			start = t
		}
		if end.IsZero() || t.After(end) {
			end = t
		}
	}
	for _, r := range rows {
		widen(r.FinishedAt)
	}
	source = "the results' finished_at"
	if journalPath != "" {
		j, err := journal.Open(journalPath)
		if err != nil {
			if errors.Is(err, journal.ErrLocked) {
				return start, end, "", usageErr("journal %s: %v: is a run on it still going?", journalPath, err)
			}
			return start, end, "", withCode(exitSystem, fmt.Errorf("journal %s: %w", journalPath, err))
		}
		runs, err := j.Runs()
		cerr := j.Close()
		if err != nil || cerr != nil {
			return start, end, "", withCode(exitSystem, fmt.Errorf("journal %s: %w", journalPath, errors.Join(err, cerr)))
		}
		for _, r := range runs {
			widen(r.StartedAt)
			widen(r.EndedAt)
		}
		source += " and the journal's runs"
	}
	if start.IsZero() {
		return start, end, "", usageErr("--platform: no time window: the results have no finished_at and there is no journal (give --journal)")
	}
	return start.Truncate(time.Second), end.Truncate(time.Second), source, nil
}

// platformRun is what runReconcilePlatform read and decided, for printing.
type platformRun struct {
	rep        *reconcile.PlatformReport
	snap       *platform.Snapshot
	stats      platform.Stats
	cache      string
	gateway    string
	shops      int
	start, end time.Time
}

// perAccount is calls per account with two decimals, in integers (no float).
func perAccount(calls int64, accounts int) string {
	if accounts == 0 {
		return "-"
	}
	c := calls * 100 / int64(accounts)
	return strconv.FormatInt(c/100, 10) + "." + fmt.Sprintf("%02d", c%100)
}

// runReconcilePlatform is the three-way part of reconcile: it reads the results again for the
// rows' shops, accounts and times, fetches (or takes from the cache) the platform's flows and
// balances, reconciles them, writes the workbook with the two-way and the three-way sheets, prints
// both, and returns the exit code's error.
func runReconcilePlatform(ctx context.Context, cio *cmdIO, p *platformFlags, rep *reconcile.Report, info reports.ReconciliationInfo,
	resultsPath, out string, jsonOut bool) error {
	if err := p.check(); err != nil {
		return err
	}
	secret, err := p.conn.resolve(cio.getenv)
	if err != nil {
		return err
	}
	cl, err := p.conn.newClient(secret)
	if err != nil {
		return err
	}
	results, err := reconcile.OpenResults(resultsPath)
	if err != nil {
		return usageErr("%v", err)
	}
	rows, err := reconcile.ReadPlatformRows(results, info.TZ)
	if cerr := results.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return usageErr("cannot reconcile with the platform: %v", err)
	}
	jpath := p.journal
	if jpath == "" {
		if j := job.JournalOfResults(resultsPath); fileExists(j) {
			jpath = j
		}
	} else if !fileExists(jpath) {
		return usageErr("--journal %s: no such file", jpath)
	}
	first, last, source, err := runWindow(rows, jpath)
	if err != nil {
		return err
	}
	now := time.Now
	if p.now != nil {
		now = p.now
	}
	readEnd := now().Add(-p.flowLag).Truncate(time.Second)
	// (a workbook shows finished_at rounded to the nearest second: up to half a second late)
	if readEnd.Before(last.Add(-time.Second)) {
		return usageErr("--platform: the run ended at %s; with --flow-lag %s its flows may not all be visible before %s: reconcile after then (or, if the platform shows flows sooner, lower --flow-lag)",
			client.FormatFlowTime(last), p.flowLag, client.FormatFlowTime(last.Add(p.flowLag)))
	}
	shops, accounts := platform.ScopeOf(rows)
	gateway := reconcile.DisplayURL(p.conn.gateway)
	sc := platform.Scope{Gateway: gateway, Shops: shops, Accounts: accounts, Start: first.Add(-p.pad), End: last.Add(p.pad)}

	r := client.NewReader(cl)
	r.Gate = client.NewGate(nil, nil)
	r.PageSize, r.Window = p.pageSize, p.window
	if p.qps > 0 {
		r.Before = rate.NewLimiter(rate.Limit(p.qps), 1).Wait
	}
	cache := p.cache
	if cache == "" {
		cache = platformCachePath(out)
	}
	snap, st, err := platform.Fetch(ctx, r, sc, platform.Options{Window: p.window, ReadEnd: readEnd, CachePath: cache, Refresh: p.refresh, Now: now})
	if err != nil {
		var ban *client.BanTooLongError
		switch {
		case errors.As(err, &ban) || client.Classify(err) == client.Canceled:
			return withCode(exitInterrupted, fmt.Errorf("platform reads stopped: %w; what was read is kept in %s: run the same command again to resume", err, cache))
		case client.Classify(err) == client.RunStopping:
			return usageErr("platform reads: %v", err)
		}
		return withCode(exitFailed, fmt.Errorf("platform reads: %w; what was read is kept in %s: run the same command again to resume", err, cache))
	}
	prep, err := reconcile.ReconcilePlatform(rep, reconcile.PlatformInput{Rows: rows, Flows: snap.Flows(), Accounts: snap.Accounts()})
	if err != nil {
		return usageErr("cannot reconcile with the platform: %v", err)
	}

	sum, err := platform.FileSHA256(cache)
	if err != nil {
		return withCode(exitSystem, err)
	}
	info.Inputs = append(info.Inputs, reports.ReconciliationInput{Role: "platform", Name: filepath.Base(cache) + " (" + gateway + ")", SHA256: sum, Rows: int64(snap.FlowCount())})
	info.Params = append(info.Params,
		[2]string{"platform window", client.FormatFlowTime(snap.Start) + " .. " + client.FormatFlowTime(snap.End) + " GMT+8 (" + source + ", ±" + p.pad.String() + ")"},
		[2]string{"platform reads end", client.FormatFlowTime(snap.ReadEnd) + " GMT+8 (flow lag " + p.flowLag.String() + ")"},
		[2]string{"platform window length, page size", p.window.String() + ", " + strconv.Itoa(p.pageSize)},
		[2]string{"platform read calls (to fill the cache)", strconv.FormatInt(snap.Calls, 10)},
		[2]string{"platform read calls per reconciled account", perAccount(snap.Calls, len(snap.Balances))},
	)
	if err := reports.WritePlatformReconciliationReport(out, rep, prep, info); err != nil {
		return withCode(exitFailed, err)
	}
	pr := platformRun{rep: prep, snap: snap, stats: st, cache: cache, gateway: gateway, shops: len(shops), start: snap.Start, end: snap.ReadEnd}
	if jsonOut {
		if err := printPlatformJSON(cio.stdout, rep, pr); err != nil {
			return withCode(exitFailed, err)
		}
	} else {
		printReconcileText(cio.stdout, rep, out)
		printPlatformText(cio.stdout, pr)
	}
	if st.CacheNote != "" {
		fmt.Fprintf(cio.stderr, "platform cache %s: %s\n", cache, st.CacheNote)
	}
	if !rep.AllMatched() || !prep.AllMatched() {
		return withCode(exitFailed, nil)
	}
	return nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// printPlatformText prints the three-way part for a person.
func printPlatformText(w io.Writer, pr platformRun) {
	p := pr.rep
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "platform category\tcount\tamount (fen)\tdifference (fen)\t")
	for _, c := range reconcile.PlatformCategories {
		t := p.Totals(c)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%+d\t\n", c, t.Count, t.Amount, t.Difference)
	}
	_ = tw.Flush()
	for _, s := range p.Statement() {
		fmt.Fprintln(w, s)
	}
	failed := p.Failed()
	for i, e := range failed {
		if i == 20 {
			fmt.Fprintf(w, "  … and %d more: see the Balance proof sheet\n", len(failed)-20)
			break
		}
		fmt.Fprintf(w, "  NOT proved: brand %s %s: opening %d + flows %+d = %d, closing %s: %s\n", e.BrandID, e.Customer, e.Opening, e.FlowSum, e.Computed,
			closingText(e), e.Note)
	}
	fmt.Fprintf(w, "platform flows: %d in scope, %d UNFREEZE companions, %d of other accounts; window %s .. %s GMT+8, %d shops\n",
		p.Flows, p.Companions, p.OtherFlows, client.FormatFlowTime(pr.start), client.FormatFlowTime(pr.end), pr.shops)
	if pr.stats.Cached && pr.stats.Calls == 0 {
		fmt.Fprintf(w, "platform reads: 0 read calls (from the cache %s; filling it took %d: %s per reconciled account)\n",
			pr.cache, pr.snap.Calls, perAccount(pr.snap.Calls, p.Accounts))
	} else {
		fmt.Fprintf(w, "platform reads: %d read calls (%d accountflows.get pages, %d customer.get) for %d accounts: %s per reconciled account; cache %s\n",
			pr.snap.Calls, pr.snap.Pages, len(pr.snap.Balances), p.Accounts, perAccount(pr.snap.Calls, p.Accounts), pr.cache)
	}
	if p.AllMatched() {
		fmt.Fprintln(w, "platform: all matched and every balance proved")
	} else {
		fmt.Fprintln(w, "platform: NOT all matched: see the platform sheets and the Balance proof sheet")
	}
}

func closingText(e reconcile.ProofEntry) string {
	if !e.HasClosing {
		return "not read"
	}
	return fmt.Sprintf("%d (%+d)", e.Closing, e.Difference)
}

// printPlatformJSON prints the two-way summary with the three-way one under "platform".
func printPlatformJSON(w io.Writer, rep *reconcile.Report, pr platformRun) error {
	type platformJSON struct {
		reconcile.PlatformSummary
		ReadCalls         int64  `json:"read_calls"`          // this command
		SnapshotCalls     int64  `json:"snapshot_read_calls"` // to fill the cache, every session
		PerAccount        string `json:"read_calls_per_account"`
		Pages             int    `json:"pages"`
		FromCache         bool   `json:"from_cache"`
		Cache             string `json:"cache"`
		WindowStart       string `json:"window_start"`
		ReadEnd           string `json:"read_end"`
		FailedProofsCount int    `json:"failed_proofs"`
	}
	v := struct {
		reconcile.Summary
		Platform platformJSON `json:"platform"`
	}{Summary: rep.Summary(), Platform: platformJSON{PlatformSummary: pr.rep.Summary(), ReadCalls: pr.stats.Calls, SnapshotCalls: pr.snap.Calls,
		PerAccount: perAccount(pr.snap.Calls, pr.rep.Accounts), Pages: pr.snap.Pages, FromCache: pr.stats.Cached && pr.stats.Calls == 0,
		Cache: pr.cache, WindowStart: client.FormatFlowTime(pr.start), ReadEnd: client.FormatFlowTime(pr.end), FailedProofsCount: len(pr.rep.Failed())}}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("summary: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// The demo's platform-side difference: a charge at the counter for an account of the run, applied
// on the sandbox directly (outside any run).
var demoDirect = client.RechargeRequest{BrandID: "10003", ShopID: "S0303", OperatorID: "counter-01", OuterOrderID: "SV-POS-DIRECT-1",
	RequestID: "demo-direct-1", OperateType: svbatch.Charge, ChangeValue: 1000, CustomerID: "C45861122",
	Reason: "charged at the counter, outside the run"}

// demoPlatform plants the platform-side difference and runs the three-way reconcile of the demo's
// run (exit 1 is expected: the planted breaks).
func demoPlatform(ctx context.Context, cio *cmdIO, sb *sandbox.Server, gateway string, out func(string) string, o *demoOptions, getenv env) error {
	if _, err := sb.Apply(ctx, demoDirect); err != nil {
		return fmt.Errorf("sandbox: planting the platform-side operation: %w", err)
	}
	fmt.Fprintf(cio.stdout, "\nOn the platform, outside the run: %s yuan charged at the counter for customer %s of brand %s (%s).\nThe three-way reconcile asks the platform:\n\n",
		svbatch.FormatYuan(demoDirect.ChangeValue), demoDirect.CustomerID, demoDirect.BrandID, demoDirect.OuterOrderID)
	args := []string{"reconcile", out("results.xlsx"), out("expected.csv"), "--out", out("reconciliation_platform.xlsx"),
		"--platform", "--gateway", gateway, "--app-key", sandbox.DefaultAppKey, "--flow-lag", "0s", "--qps", fmtFloat(o.qps),
		"--platform-cache", out("platform_cache.json"), "--journal", out("journal.db")}
	if o.asOf != "" {
		args = append(args, "--as-of", o.asOf)
	}
	start := time.Now()
	err := run(ctx, args, strings.NewReader(""), cio.stdout, cio.stderr, getenv)
	if code := exitCode(err, cio.stderr); code != exitOK && code != exitFailed {
		return withCode(code, fmt.Errorf("demo three-way reconcile ended with exit code %d", code))
	}
	fmt.Fprintf(cio.stderr, "Three-way reconcile took %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}
