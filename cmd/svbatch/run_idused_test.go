package main

import (
	"path/filepath"
	"strings"
	"testing"

	"svbatch/sandbox"
)

// TestRunGatewaySaysIDUsed: a row whose request_id the gateway already holds with other values
// (here: sent before with another amount, and the journal of that run lost) is a conflict with the
// gateway's words, never failed; --retry-failed does not resend it under a new id, so the money
// moves once.
func TestRunGatewaySaysIDUsed(t *testing.T) {
	t.Parallel()
	g := rtStart(t, sandbox.Config{})
	dir := t.TempDir()
	ops := rtSimpleOps(2)
	in := rtWriteCSV(t, dir, "ops.csv", ops)
	if _, stderr, code := runCLI(t, g.env(), "run", in, "--yes", "--qps", "0"); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, stderr)
	}
	applied := len(g.sb.Operations())
	ops[2].fen = 1500 // CH-001: 1000 → 1500, sent with a journal that knows nothing
	rtWriteCSV(t, dir, "ops.csv", ops)
	fresh := filepath.Join(dir, "fresh.svbatch.db")
	for _, extra := range [][]string{nil, {"--retry-failed"}} {
		args := append([]string{"run", in, "--yes", "--qps", "0", "--journal", fresh}, extra...)
		_, stderr, code := runCLI(t, g.env(), args...)
		if code != 1 {
			t.Fatalf("%v: exit %d; want 1\n%s", extra, code, stderr)
		}
		for _, r := range rtReadResults(t, in+".results.xlsx") {
			if r["outer_order_id"] != "CH-001" {
				continue
			}
			if r["status"] != "conflict" || !strings.Contains(r["note"], "request_id") || r["error_sub_code"] != "isv.request-id-conflict" {
				t.Errorf("%v: CH-001 %s (%s, %s); want conflict with the gateway's answer", extra, r["status"], r["note"], r["error_sub_code"])
			}
		}
	}
	if n := len(g.sb.Operations()); n != applied {
		t.Errorf("the sandbox applied %d more operations; want none (CH-001 is applied once, at 1000)", n-applied)
	}
	for _, b := range g.sb.Balances() {
		if b.CustomerID == "C01" && b.Available != 400 {
			t.Errorf("C01 available %d; want 400 (the first amount, applied once)", b.Available)
		}
	}
}
