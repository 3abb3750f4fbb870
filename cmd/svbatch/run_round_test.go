package main

import (
	"os"
	"testing"

	"svbatch/sandbox"
)

// TestRunRetrySheetRound: the results workbook's Retry sheet sent again, without --out or
// --journal, writes the next round as X.retry.results.xlsx (not X.results.xlsx.results.xlsx) and
// uses the original run's journal: the failed row stays failed, nothing is sent, and after the
// cause is fixed --retry-failed sends it once.
func TestRunRetrySheetRound(t *testing.T) {
	t.Parallel()
	g := rtStart(t, sandbox.Config{})
	dir := t.TempDir()
	in := rtWriteCSV(t, dir, "ops.csv", []rtOp{
		{brand: "1332", outer: "OK-1", op: "charge", fen: 300, customer: "A"},
		{brand: "1332", outer: "V-1", op: "verify", fen: 500, customer: "POOR"},
	})
	if _, stderr, code := runCLI(t, g.env(), "run", in, "--yes", "--qps", "0"); code != 1 {
		t.Fatalf("first run: exit %d; want 1\n%s", code, stderr)
	}
	results := in + ".results.xlsx"
	round := in + ".retry.results.xlsx"
	before := g.n.Load()
	if _, stderr, code := runCLI(t, g.env(), "run", results, "--sheet", "Retry", "--yes", "--qps", "0"); code != 1 {
		t.Fatalf("Retry sheet without --retry-failed: exit %d; want 1\n%s", code, stderr)
	}
	if g.n.Load() != before {
		t.Errorf("the Retry round sent %d requests; want none (the original journal knows the row failed)", g.n.Load()-before)
	}
	if _, err := os.Stat(results + ".results.xlsx"); !os.IsNotExist(err) {
		t.Errorf("a round named %s.results.xlsx exists (%v)", results, err)
	}
	res := rtReadResults(t, round)
	if len(res) != 1 || res[0]["outer_order_id"] != "V-1" || res[0]["status"] != "failed" {
		t.Fatalf("round results %v; want V-1 failed", res)
	}
	if _, stderr, code := runCLI(t, g.env(), "call", "--brand-id", "1332", "--shop-id", "S1", "--operator-id", "op",
		"--outer-order-id", "FIX-1", "--operate-type", "charge", "--change-value", "800", "--customer-id", "POOR"); code != 0 {
		t.Fatalf("call: exit %d\n%s", code, stderr)
	}
	if _, stderr, code := runCLI(t, g.env(), "run", results, "--sheet", "Retry", "--yes", "--qps", "0", "--retry-failed"); code != 0 {
		t.Fatalf("Retry sheet with --retry-failed: exit %d; want 0\n%s", code, stderr)
	}
	if res := rtReadResults(t, round); len(res) != 1 || res[0]["status"] != "succeeded" {
		t.Errorf("round results %v; want V-1 succeeded", res)
	}
	for _, b := range g.sb.Balances() {
		if b.CustomerID == "POOR" && b.Available != 300 {
			t.Errorf("POOR available %d; want 800-500 (the verify applied once)", b.Available)
		}
	}
}
