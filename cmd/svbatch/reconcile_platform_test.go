package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"svbatch"
	"svbatch/client"
	"svbatch/reconcile"
	"svbatch/sandbox"
)

// rpOps are a run's rows: charges, a freeze and its verify (an UNFREEZE companion on the
// platform), a refund, on three accounts (two by customer_id, one by mobile).
var rpOps = []rtOp{
	{brand: "1332", outer: "CH-1", op: "charge", fen: 10000, customer: "C1"},
	{brand: "1332", outer: "CH-2", op: "charge", fen: 5000, customer: "C2"},
	{brand: "1332", outer: "CH-3", op: "charge", fen: 2500, mobile: "13800000001"},
	{brand: "1332", outer: "FR-1", op: "freeze", fen: 3000, customer: "C1"},
	{brand: "1332", outer: "FR-1", op: "verify", fen: 2000, customer: "C1"},
	{brand: "1332", outer: "CH-2", newOuter: "RF-2", op: "refund", fen: 1500, customer: "C2"},
}

// rpExpected writes the expected ledger of ops: exactly what the run does.
func rpExpected(t *testing.T, dir string, ops []rtOp) string {
	t.Helper()
	p := filepath.Join(dir, "expected.csv")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.Write([]string{"brand_id", "operate_type", "outer_order_id", "new_outer_order_id", "change_value", "customer_id", "mobile"})
	for _, o := range ops {
		op, err := svbatch.ParseOperateType(o.op)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]string{o.brand, strconv.Itoa(int(op)), o.outer, o.newOuter, strconv.FormatInt(o.fen, 10), o.customer, o.mobile})
	}
	w.Flush()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

type rpSummary struct {
	Categories map[string]struct {
		Count  int64 `json:"count"`
		Amount int64 `json:"amount"`
	} `json:"categories"`
	Explained bool `json:"explained"`
	Platform  struct {
		Categories map[string]struct {
			Count  int64 `json:"count"`
			Amount int64 `json:"amount"`
		} `json:"categories"`
		NetDifference  int64  `json:"net_difference"`
		Explained      bool   `json:"explained"`
		Accounts       int    `json:"accounts"`
		AccountsProved int    `json:"accounts_proved"`
		Companions     int64  `json:"companion_flows"`
		ReadCalls      int64  `json:"read_calls"`
		SnapshotCalls  int64  `json:"snapshot_read_calls"`
		PerAccount     string `json:"read_calls_per_account"`
		FromCache      bool   `json:"from_cache"`
	} `json:"platform"`
}

// TestReconcilePlatform: a run applies six rows; then an operation is applied on the sandbox
// directly, outside the run. `reconcile --platform` matches every row to its flow, finds the outside
// operation as platform_only (exit 1), proves every account's balance, and writes the platform
// sheets; a rerun takes everything from the cache and sends no read call.
func TestReconcilePlatform(t *testing.T) {
	t.Parallel()
	g := rtStart(t, sandbox.Config{})
	dir := t.TempDir()
	in := rtWriteCSV(t, dir, "ops.csv", rpOps)
	if _, stderr, code := runCLI(t, g.env(), "run", in, "--yes", "--qps", "0", "--no-progress"); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	exp := rpExpected(t, dir, rpOps)
	if _, err := g.sb.Apply(context.Background(), client.RechargeRequest{BrandID: "1332", ShopID: "S1", OperatorID: "counter",
		OuterOrderID: "POS-1", RequestID: "direct-1", OperateType: svbatch.Charge, ChangeValue: 777, CustomerID: "C2"}); err != nil {
		t.Fatal(err)
	}
	results := in + ".results.xlsx"
	args := []string{"reconcile", results, exp, "--platform", "--flow-lag", "0s", "--qps", "0", "--as-of", "2026-11-27"}

	before := g.n.Load()
	out, stderr, code := runCLI(t, g.env(), args...)
	if code != 1 {
		t.Fatalf("reconcile --platform: exit %d; want 1 (the platform-side operation)\n%s%s", code, out, stderr)
	}
	calls := g.n.Load() - before
	for _, want := range []string{"matched            6", "balance proof: 3 of 3 accounts proved", "platform net difference +777 fen",
		"explained: every flow in scope", "platform: NOT all matched"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out+stderr, sandbox.DefaultSecret) {
		t.Error("the secret is in the output")
	}
	// One accountflows.get page (8 flows: six rows and the UNFREEZE, and the outside charge) and a
	// customer.get per account.
	if calls != 4 {
		t.Errorf("%d requests to the gateway; want 4 (1 page + 3 accounts)", calls)
	}

	f, err := excelize.OpenFile(filepath.Join(dir, "reconciliation.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	sheets := f.GetSheetList()
	for _, s := range []string{"Platform matched", "Platform only", "Balance proof"} {
		if !slices.Contains(sheets, s) {
			t.Errorf("workbook sheets %q lack %q", sheets, s)
		}
	}
	if v, _ := f.GetCellValue("Platform only", "C2"); v != "POS-1" {
		t.Errorf("Platform only!C2 = %q; want POS-1", v)
	}
	f.Close()
	book, err := os.ReadFile(filepath.Join(dir, "reconciliation.xlsx"))
	if err != nil {
		t.Fatal(err)
	}

	// The rerun: from the cache, no read call, the same answer, the same workbook byte for byte.
	before = g.n.Load()
	out, stderr, code = runCLI(t, g.env(), append(args, "--json")...)
	if code != 1 {
		t.Fatalf("rerun: exit %d\n%s%s", code, out, stderr)
	}
	if n := g.n.Load() - before; n != 0 {
		t.Errorf("the rerun sent %d requests; want 0 (the cache)", n)
	}
	if again, err := os.ReadFile(filepath.Join(dir, "reconciliation.xlsx")); err != nil || !bytes.Equal(again, book) {
		t.Errorf("the rerun's workbook differs from the first (%v)", err)
	}
	var s rpSummary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	p := s.Platform
	if s.Categories["matched"].Count != 6 || !s.Explained {
		t.Errorf("two-way: %+v; want 6 matched, explained", s)
	}
	if p.Categories["platform_only"].Count != 1 || p.Categories["platform_only"].Amount != 777 || p.Categories["platform_matched"].Count != 6 ||
		p.Categories["results_only"].Count != 0 || p.Categories["platform_amount_mismatch"].Count != 0 || p.NetDifference != 777 || !p.Explained {
		t.Errorf("platform: %+v; want 6 matched, 1 platform_only of 777, explained", p)
	}
	if p.Accounts != 3 || p.AccountsProved != 3 || p.Companions != 1 {
		t.Errorf("proof: %d of %d accounts, %d companions; want 3 of 3, 1", p.AccountsProved, p.Accounts, p.Companions)
	}
	if p.ReadCalls != 0 || !p.FromCache || p.SnapshotCalls != 4 || p.PerAccount != "1.33" {
		t.Errorf("rerun reads: %d (from cache %v), snapshot %d, %s per account; want 0 from the cache, 4, 1.33", p.ReadCalls, p.FromCache, p.SnapshotCalls, p.PerAccount)
	}
}

// TestReconcilePlatformTooSoon: right after a run, with the default flow lag, the run's flows may
// not all be visible yet: reconcile --platform refuses (exit 2) and says when to come back, having
// sent nothing.
func TestReconcilePlatformTooSoon(t *testing.T) {
	t.Parallel()
	g := rtStart(t, sandbox.Config{})
	dir := t.TempDir()
	in := rtWriteCSV(t, dir, "ops.csv", rpOps[:2])
	if _, stderr, code := runCLI(t, g.env(), "run", in, "--yes", "--qps", "0", "--no-progress"); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	before := g.n.Load()
	_, stderr, code := runCLI(t, g.env(), "reconcile", in+".results.xlsx", rpExpected(t, dir, rpOps[:2]), "--platform")
	if code != 2 || !strings.Contains(stderr, "reconcile after then") {
		t.Errorf("exit %d; want 2 with when to reconcile\n%s", code, stderr)
	}
	if n := g.n.Load() - before; n != 0 {
		t.Errorf("%d requests sent; want 0", n)
	}
}

// TestPlatformWindow: the run's window is its rows' finished_at, to the second; without any time it
// is a usage error.
func TestPlatformWindow(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 500, time.UTC)
	rows := []reconcile.PlatformRow{{FinishedAt: t0.Add(5 * time.Second)}, {}, {FinishedAt: t0}}
	start, end, _, err := runWindow(rows, "")
	if err != nil || !start.Equal(t0.Truncate(time.Second)) || !end.Equal(t0.Truncate(time.Second).Add(5*time.Second)) {
		t.Errorf("window %v..%v, %v; want %v..+5s", start, end, err, t0.Truncate(time.Second))
	}
	if _, _, _, err := runWindow([]reconcile.PlatformRow{{}}, ""); exitCode(err, io.Discard) != exitUsage {
		t.Errorf("no times: %v; want a usage error", err)
	}
}
