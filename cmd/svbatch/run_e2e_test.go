//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"svbatch"
	"svbatch/sandbox"
)

// e2eFaults are the sandbox faults of the end-to-end runs: 10% transient errors, 5% timeouts after
// applying (outcome unknown), and a QPS limit above the client's --qps.
var e2eFaults = sandbox.Faults{FailRate: 0.1, TimeoutRate: 0.05}

// e2eSandbox starts a real sandbox on 127.0.0.1:0 in this process.
func e2eSandbox(t testing.TB, qpsLimit float64, seed int64) (*sandbox.Server, string) {
	t.Helper()
	sb, err := sandbox.New(sandbox.Config{QPSLimit: qpsLimit, Faults: e2eFaults, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	url, err := sb.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb, url
}

// e2eOrderedOps generates a file where order matters, for accounts accounts (seeded): per account a
// charge then a verify from available, a freeze then a verify posting that hold, a charge then a
// partial refund of it, and for some accounts a freeze left open. Accounts are identified by
// customer_id, mobile or wechat outer_id, on two brands, and interleaved at random while each
// account's rows keep their order.
func e2eOrderedOps(accounts int, seed uint64) []rtOp {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b9))
	per := make([][]rtOp, accounts)
	for a := range per {
		base := rtOp{brand: []string{"1332", "2046"}[a%2]}
		switch a % 3 {
		case 0:
			base.customer = fmt.Sprintf("C%05d", a)
		case 1:
			base.mobile = fmt.Sprintf("138%08d", a)
		default:
			base.outerID, base.outerType = fmt.Sprintf("wx-%05d", a), "wechat"
		}
		op := func(kind, outer, newOuter string, fen int64) rtOp {
			o := base
			o.op, o.outer, o.newOuter, o.fen = kind, outer, newOuter, fen
			return o
		}
		amt := func(lo, hi int64) int64 { return lo + rng.Int64N(hi-lo+1) }
		x := amt(5000, 50000)
		v1 := amt(1, x/4)
		f := amt(1, (x-v1)/2)
		y := amt(1000, 20000)
		ops := []rtOp{
			op("charge", fmt.Sprintf("CH-%d-1", a), "", x),
			op("verify", fmt.Sprintf("VF-%d-1", a), "", v1),
			op("freeze", fmt.Sprintf("FZ-%d-1", a), "", f),
			op("verify", fmt.Sprintf("FZ-%d-1", a), "", amt(1, f)),
			op("charge", fmt.Sprintf("CH-%d-2", a), "", y),
			op("refund", fmt.Sprintf("CH-%d-2", a), fmt.Sprintf("RF-%d-2", a), amt(1, y/2)),
		}
		if a%4 == 0 {
			ops = append(ops, op("freeze", fmt.Sprintf("FZ-%d-2", a), "", amt(1, 500)))
		}
		per[a] = ops
	}
	var out []rtOp
	left := accounts
	for left > 0 {
		a := rng.IntN(accounts)
		if len(per[a]) == 0 {
			continue
		}
		out = append(out, per[a][0])
		per[a] = per[a][1:]
		if len(per[a]) == 0 {
			left--
		}
	}
	return out
}

// e2eAcct is an account as balances.csv keys it.
func e2eAcct(brand, customer, mobile, outerType, outerID string) string {
	return strings.Join([]string{brand, customer, mobile, outerType, outerID}, "|")
}

// e2eExpectBalances applies the ledger rules of DESIGN.md §5 to ops in file order and returns each
// account's available and frozen balance. Every op must be valid under those rules.
func e2eExpectBalances(t testing.TB, ops []rtOp) map[string][2]int64 {
	t.Helper()
	type charge struct{ amount, refunded int64 }
	bal := map[string][2]int64{}
	holds := map[string]int64{} // account|outer → open hold
	charges := map[string]charge{}
	for i, o := range ops {
		k := e2eAcct(o.brand, o.customer, o.mobile, o.outerType, o.outerID)
		b := bal[k]
		v := o.fen
		ref := k + "|" + o.outer
		switch o.op {
		case "charge":
			b[0] += v
			charges[ref] = charge{amount: v}
		case "freeze":
			if b[0] < v {
				t.Fatalf("op %d %+v: freeze past available", i, o)
			}
			b[0], b[1] = b[0]-v, b[1]+v
			holds[ref] = v
		case "verify":
			if h, ok := holds[ref]; ok {
				if v > h {
					t.Fatalf("op %d %+v: verify past the hold", i, o)
				}
				b[1] -= h
				b[0] += h - v
				delete(holds, ref)
			} else {
				if b[0] < v {
					t.Fatalf("op %d %+v: verify past available", i, o)
				}
				b[0] -= v
			}
		case "refund":
			c, ok := charges[ref]
			if !ok || v > c.amount-c.refunded || v > b[0] {
				t.Fatalf("op %d %+v: refund not allowed", i, o)
			}
			c.refunded += v
			charges[ref] = c
			b[0] -= v
		default:
			t.Fatalf("op %d: %q", i, o.op)
		}
		bal[k] = b
	}
	return bal
}

// e2eGetCSV fetches one of the sandbox's CSV exports.
func e2eGetCSV(t testing.TB, gatewayURL, name string) []map[string]string {
	t.Helper()
	base := strings.TrimSuffix(gatewayURL, sandbox.Path)
	resp, err := http.Get(base + "/sandbox/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("%s: %v", name, err)
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// e2eCheckLedger checks the sandbox against ops: balances.csv equals what the rows imply, and
// operations.csv holds each row exactly once (by request_id and by identity), nothing else.
func e2eCheckLedger(t testing.TB, url string, ops []rtOp) {
	t.Helper()
	want := e2eExpectBalances(t, ops)
	got := map[string][2]int64{}
	for _, b := range e2eGetCSV(t, url, "balances.csv") {
		av, _ := strconv.ParseInt(b["available"], 10, 64)
		fr, _ := strconv.ParseInt(b["frozen"], 10, 64)
		got[e2eAcct(b["brand_id"], b["customer_id"], b["mobile"], b["outer_type"], b["outer_id"])] = [2]int64{av, fr}
	}
	if len(got) != len(want) {
		t.Errorf("balances.csv has %d accounts; want %d", len(got), len(want))
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("account %s: available/frozen %v; want %v", k, got[k], w)
		}
	}
	ids := map[string]int{}
	idents := map[string]int{}
	for _, o := range e2eGetCSV(t, url, "operations.csv") {
		ids[o["request_id"]]++
		idents[o["brand_id"]+"|"+o["operate_type"]+"|"+o["outer_order_id"]+"|"+o["new_outer_order_id"]]++
	}
	for _, o := range ops {
		op, _ := svbatch.ParseOperateType(o.op)
		id := svbatch.RequestIDv1("", o.brand, int(op), o.outer, o.newOuter)
		if ids[id] != 1 {
			t.Errorf("%s %s (%s): applied %d times; want once", o.op, o.outer, id, ids[id])
		}
		if n := idents[o.brand+"|"+strconv.Itoa(int(op))+"|"+o.outer+"|"+o.newOuter]; n != 1 {
			t.Errorf("%s %s: identity applied %d times; want once", o.op, o.outer, n)
		}
	}
	if n := len(ids); n != len(ops) {
		t.Errorf("operations.csv has %d request_ids; want %d", n, len(ops))
	}
}

// e2eCmd is the binary running `svbatch run in args…` against url.
func e2eCmd(t testing.TB, url string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	bin := e2eBinary(t)
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"SVBATCH_GATEWAY=" + url, "SVBATCH_APP_KEY=" + sandbox.DefaultAppKey,
		"SVBATCH_APP_SECRET=" + sandbox.DefaultSecret, "PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir()}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	return cmd, &out
}

// e2eRun runs the binary to its end and returns its exit code and output.
func e2eRun(t testing.TB, url string, args ...string) (int, string) {
	t.Helper()
	cmd, out := e2eCmd(t, url, args...)
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("svbatch %v: %v", args, err)
	}
	return cmd.ProcessState.ExitCode(), out.String()
}

// e2eAllDone checks that the results file lists every row of ops, each succeeded or already_done.
func e2eAllDone(t testing.TB, results string, ops []rtOp) {
	t.Helper()
	res := rtReadResults(t, results)
	if len(res) != len(ops) {
		t.Fatalf("%d results; want %d", len(res), len(ops))
	}
	for i, r := range res {
		if r["status"] != "succeeded" && r["status"] != "already_done" {
			t.Errorf("row %s (%s %s): %s %s; want succeeded", r["row"], r["operate_type"], r["outer_order_id"], r["status"], r["note"])
		}
		if r["outer_order_id"] != ops[i].outer || r["row"] != strconv.Itoa(i+2) {
			t.Errorf("result %d is row %s %s; want row %d %s (file order)", i, r["row"], r["outer_order_id"], i+2, ops[i].outer)
		}
	}
}

// e2eAgainSendsNothing runs args once more after a complete run: exit 0, every row already_done,
// and the sandbox received no recharge request at all (the ledger deduplicates by request_id, so only
// its request counts show a resend).
func e2eAgainSendsNothing(t testing.TB, sb *sandbox.Server, url, results string, ops []rtOp, args []string) {
	t.Helper()
	before := sb.RequestCounts()
	start := time.Now()
	code, out := e2eRun(t, url, args...)
	if code != 0 {
		t.Fatalf("run once more: exit %d; want 0\n%s", code, out)
	}
	t.Logf("run once more: %v", time.Since(start).Round(time.Millisecond))
	if n := sb.TotalRequests() - e2eSum(before); n != 0 {
		t.Errorf("run once more: the sandbox received %d recharge requests; want 0 (nothing to resend)", n)
		for id, m := range sb.RequestCounts() {
			if m != before[id] {
				t.Errorf("  request_id %s: sent %d more times", id, m-before[id])
			}
		}
	}
	res := rtReadResults(t, results)
	if len(res) != len(ops) {
		t.Fatalf("run once more: %d results; want %d", len(res), len(ops))
	}
	for _, r := range res {
		if r["status"] != "already_done" {
			t.Errorf("run once more: row %s (%s %s): %s %s; want already_done", r["row"], r["operate_type"], r["outer_order_id"], r["status"], r["note"])
		}
	}
}

// e2eSum is the total of request counts.
func e2eSum(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// e2eNotResent checks that no row whose status in res is one of done was sent again between the
// request counts before and after: a row the journal knows succeeded is never resent.
func e2eNotResent(t testing.TB, res []map[string]string, before, after map[string]int, done ...string) {
	t.Helper()
	checked := 0
	for _, r := range res {
		if !slices.Contains(done, r["status"]) {
			continue
		}
		checked++
		id := r["request_id"]
		if id == "" {
			t.Errorf("row %s: no request_id in the results", r["row"])
			continue
		}
		if before[id] == 0 {
			t.Errorf("row %s (%s): %s, but the sandbox never received its request_id %s", r["row"], r["outer_order_id"], r["status"], id)
		}
		if n := after[id] - before[id]; n != 0 {
			t.Errorf("row %s (%s, request_id %s): %s earlier, yet sent %d more times", r["row"], r["outer_order_id"], id, r["status"], n)
		}
	}
	t.Logf("%d rows %v earlier: none resent", checked, done)
}

// TestRunE2EOrderUnderFaults: the binary against the sandbox with transient errors, timeouts after
// applying and a QPS limit: every row succeeds, the balances are what the rows imply, and every
// operation is applied exactly once.
func TestRunE2EOrderUnderFaults(t *testing.T) {
	t.Parallel()
	sb, url := e2eSandbox(t, 200, 11)
	ops := e2eOrderedOps(40, 1)
	in := rtWriteCSV(t, t.TempDir(), "ordered.csv", ops)
	code, out := e2eRun(t, url, "run", in, "--yes", "--qps", "150", "--concurrency", "16", "--no-progress")
	if code != 0 {
		t.Fatalf("exit %d; want 0\n%s", code, out)
	}
	e2eAllDone(t, in+".results.xlsx", ops)
	res := rtReadResults(t, in+".results.xlsx")
	retried := 0
	for _, r := range res {
		if r["attempts"] != "1" {
			retried++
		}
	}
	if retried == 0 {
		t.Error("no row needed a retry: the faults did not happen")
	}
	e2eCheckLedger(t, url, ops)
	// Every row's request_id reached the sandbox (some more than once: retries of faults), and a
	// rerun sends none of them again.
	sent := sb.RequestCounts()
	for _, r := range res {
		if sent[r["request_id"]] == 0 {
			t.Errorf("row %s: request_id %q never received by the sandbox", r["row"], r["request_id"])
		}
	}
	if len(sent) != len(ops) || sb.TotalRequests() <= len(ops) {
		t.Errorf("the sandbox received %d requests for %d request_ids; want more than %d for %d (retries)", sb.TotalRequests(), len(sent), len(ops), len(ops))
	}
	args := []string{"run", in, "--yes", "--qps", "150", "--concurrency", "16", "--no-progress"}
	e2eAgainSendsNothing(t, sb, url, in+".results.xlsx", ops, args)
	e2eNotResent(t, res, sent, sb.RequestCounts(), "succeeded")
}

// TestRunE2ECrashResume: runs killed with SIGKILL at random (seeded) moments, then one run to the
// end: the same balances, nothing applied twice, no row lost.
func TestRunE2ECrashResume(t *testing.T) {
	t.Parallel()
	sb, url := e2eSandbox(t, 300, 12)
	ops := e2eOrderedOps(60, 2)
	in := rtWriteCSV(t, t.TempDir(), "crash.csv", ops)
	args := []string{"run", in, "--yes", "--qps", "120", "--concurrency", "8", "--no-progress"}
	rng := rand.New(rand.NewPCG(42, 43))
	midRun := 0
	for k := 0; k < 4; k++ {
		cmd, out := e2eCmd(t, url, args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		before := len(sb.Operations())
		// Once sending has started (so that a slow machine does not kill every run during its
		// start-up), wait a random moment, then SIGKILL.
		for deadline := time.Now().Add(20 * time.Second); len(sb.Operations()) == before && before < len(ops) && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(600)) * time.Millisecond)
		cmd.Process.Kill() // SIGKILL
		err := cmd.Wait()
		if cmd.ProcessState.Success() {
			t.Logf("kill %d: the run had already finished\n%s", k, out)
		} else if err == nil {
			t.Fatalf("kill %d: %v", k, err)
		}
		after := len(sb.Operations())
		if after > before && after < len(ops) {
			midRun++
		}
		t.Logf("kill %d: %d → %d operations applied", k, before, after)
	}
	if midRun < 2 {
		t.Errorf("only %d of 4 kills landed mid-run", midRun)
	}
	before := sb.RequestCounts()
	code, out := e2eRun(t, url, args...)
	if code != 0 {
		t.Fatalf("final run: exit %d; want 0\n%s", code, out)
	}
	e2eAllDone(t, in+".results.xlsx", ops)
	e2eCheckLedger(t, url, ops)
	// What the killed runs' journal recorded as succeeded (already_done now) was not resent.
	e2eNotResent(t, rtReadResults(t, in+".results.xlsx"), before, sb.RequestCounts(), "already_done")
	e2eAgainSendsNothing(t, sb, url, in+".results.xlsx", ops, args)
}

// TestRunE2ESecondProcessLocked: a second `svbatch run` on the journal of a running one is refused
// with exit 2 and a clear message; the first finishes normally.
func TestRunE2ESecondProcessLocked(t *testing.T) {
	t.Parallel()
	sb, url := e2eSandbox(t, 0, 13)
	sb.SetFaults(sandbox.Faults{})
	ops := rtSimpleOps(30)
	in := rtWriteCSV(t, t.TempDir(), "locked.csv", ops)
	args := []string{"run", in, "--yes", "--qps", "30", "--no-progress"}
	first, out1 := e2eCmd(t, url, args...)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(sb.Operations()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	code, out2 := e2eRun(t, url, args...)
	if code != 2 {
		t.Errorf("second process: exit %d; want 2\n%s", code, out2)
	}
	if !strings.Contains(out2, "another") || !strings.Contains(out2, ".svbatch.db") {
		t.Errorf("second process: message does not say another run holds the journal:\n%s", out2)
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("first process: %v\n%s", err, out1)
	}
	e2eAllDone(t, in+".results.xlsx", ops)
	if n := len(sb.Operations()); n != len(ops) {
		t.Errorf("%d operations applied; want %d", n, len(ops))
	}
}

// TestRunE2ESIGTERM: SIGTERM stops the run with exit 3 and says how to resume; the rerun finishes.
func TestRunE2ESIGTERM(t *testing.T) {
	t.Parallel()
	sb, url := e2eSandbox(t, 0, 14)
	ops := e2eOrderedOps(20, 3)
	in := rtWriteCSV(t, t.TempDir(), "term.csv", ops)
	args := []string{"run", in, "--yes", "--qps", "40", "--no-progress"}
	cmd, out := e2eCmd(t, url, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); len(sb.Operations()) == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 3 {
		t.Fatalf("exit %d after SIGTERM; want 3\n%s", code, out)
	}
	if !strings.Contains(out.String(), "run the same command again") {
		t.Errorf("no resume message:\n%s", out)
	}
	res := rtReadResults(t, in+".results.xlsx")
	if n := rtCount(res, "succeeded"); n == 0 || n == len(ops) {
		t.Errorf("%d of %d rows succeeded before SIGTERM; want some, not all", n, len(ops))
	}
	before := sb.RequestCounts()
	code, o := e2eRun(t, url, args...)
	if code != 0 {
		t.Fatalf("rerun: exit %d\n%s", code, o)
	}
	e2eAllDone(t, in+".results.xlsx", ops)
	e2eCheckLedger(t, url, ops)
	// The rows that succeeded before SIGTERM were not sent again by the rerun.
	e2eNotResent(t, res, before, sb.RequestCounts(), "succeeded")
	e2eAgainSendsNothing(t, sb, url, in+".results.xlsx", ops, args)
}

// BenchmarkRunDryRunPeakMemory is target (c) of issue 5: the peak RSS of `svbatch run --dry-run` on a
// 1,000,000-row file (≤ 150 MiB), for the default workbook and for the CSV form.
func BenchmarkRunDryRunPeakMemory(b *testing.B) {
	const rows = 1_000_000
	dir := b.TempDir()
	in := filepath.Join(dir, "million.csv")
	f, err := os.Create(in)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, strings.Join(rtHeader, ","))
	for i := 0; i < rows; i++ {
		fmt.Fprintf(w, "1332,S%02d,op-1,ORD-%08d,,%d,%d,C%07d,,,,bench\n", i%50, i, 1+i%3, 100+i%9000, i%200000)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	bin := e2eBinary(b)
	for _, out := range []string{"results.xlsx", "results.csv"} {
		b.Run(strings.TrimPrefix(out, "results."), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
				cmd := exec.CommandContext(ctx, bin, "run", in, "--dry-run", "--out", filepath.Join(dir, out))
				cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
				start := time.Now()
				peak, err := runPeakRSS(cmd)
				cancel()
				if err != nil {
					b.Fatalf("dry run: %v", err)
				}
				b.ReportMetric(peak, "peakRSS-MiB")
				b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "rows/s")
				if peak > 150 {
					b.Logf("peak RSS %.0f MiB: over the 150 MiB target", peak)
				}
			}
		})
	}
}

// BenchmarkRunPacing is target (a) of issue 5 through the binary: `svbatch run --qps 200` on 2,000
// rows against a sandbox whose QPS limit is 210. It reports the send rate the gateway saw (first to
// last request), the whole run's rows/s, and the code-7 answers (must be 0).
func BenchmarkRunPacing(b *testing.B) {
	const rows, qps = 2000, 200
	for i := 0; i < b.N; i++ {
		sb, err := sandbox.New(sandbox.Config{QPSLimit: 210})
		if err != nil {
			b.Fatal(err)
		}
		var (
			mu          sync.Mutex
			first, last time.Time
			sends       int
		)
		h := sb.Handler()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == sandbox.Path {
				now := time.Now()
				mu.Lock()
				if sends == 0 {
					first = now
				}
				last = now
				sends++
				mu.Unlock()
			}
			h.ServeHTTP(w, r)
		}))
		ops := make([]rtOp, rows)
		for k := range ops {
			ops[k] = rtOp{brand: "1332", outer: fmt.Sprintf("P-%05d", k), op: "charge", fen: 100, customer: fmt.Sprintf("C%04d", k%400)}
		}
		in := rtWriteCSV(b, b.TempDir(), "pacing.csv", ops)
		start := time.Now()
		code, out := e2eRun(b, srv.URL+sandbox.Path, "run", in, "--yes", "--qps", "200", "--no-progress")
		el := time.Since(start)
		srv.Close()
		sb.Close()
		if code != 0 {
			b.Fatalf("exit %d\n%s", code, out)
		}
		code7 := 0
		for _, r := range rtReadResults(b, in+".results.xlsx") {
			if r["status"] != "succeeded" {
				b.Fatalf("row %s: %s", r["row"], r["status"])
			}
			if n, _ := strconv.Atoi(r["attempts"]); n > 1 {
				code7 += n - 1 // no other faults: every extra attempt was a flow-control answer
			}
		}
		sendRate := float64(sends-1) / last.Sub(first).Seconds()
		b.ReportMetric(sendRate, "sends/s")
		b.ReportMetric(100*sendRate/qps, "%of-qps")
		b.ReportMetric(float64(rows)/el.Seconds(), "rows/s-whole-run")
		b.ReportMetric(float64(code7), "code7")
		if sendRate < 0.99*qps || code7 > 0 {
			b.Logf("target missed: %.1f sends/s (%.1f%% of %d), %d code-7 answers", sendRate, 100*sendRate/qps, qps, code7)
		}
	}
}

// TestRunE2ESecondSignal: a second SIGTERM while the run winds down (requests in flight) stops it at
// once with one line and exit 130; nothing is lost: the rerun finishes and the ledger is exact.
func TestRunE2ESecondSignal(t *testing.T) {
	t.Parallel()
	sb, err := sandbox.New(sandbox.Config{Faults: sandbox.Faults{LatencyMin: 2 * time.Second, LatencyMax: 2 * time.Second}, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	url, err := sb.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	ops := e2eOrderedOps(10, 5)
	in := rtWriteCSV(t, t.TempDir(), "twice.csv", ops)
	args := []string{"run", in, "--yes", "--qps", "0", "--no-progress"}
	cmd, out := e2eCmd(t, url, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); sb.TotalRequests() == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(300 * time.Millisecond) // the requests in flight take 2 s: the run is still winding down
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != exitKilled {
		t.Fatalf("exit %d after two SIGTERMs; want %d\n%s", code, exitKilled, out)
	}
	if n := strings.Count(out.String(), "second interrupt"); n != 1 || !strings.Contains(out.String(), "run the same command again") {
		t.Errorf("want one line about the second interrupt and how to resume:\n%s", out)
	}
	if err := sb.SetFaults(sandbox.Faults{}); err != nil {
		t.Fatal(err)
	}
	if code, o := e2eRun(t, url, args...); code != 0 {
		t.Fatalf("rerun: exit %d\n%s", code, o)
	}
	e2eAllDone(t, in+".results.xlsx", ops)
	e2eCheckLedger(t, url, ops)
}
