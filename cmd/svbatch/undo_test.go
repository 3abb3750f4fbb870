package main

import (
	"strings"
	"testing"

	"svbatch/sandbox"
)

// TestUndo: undo of a run writes refunds of its succeeded charges (less what the run refunded
// already), lists the freeze it cannot reverse, and sending the undo file returns every charged
// account to its opening balance, the sandbox's balances say; sending it again refunds nothing more.
// The account whose charge was partly frozen cannot be refunded in full (the platform refunds at
// most what is available): that refund fails, visibly, and nothing of it moves.
func TestUndo(t *testing.T) {
	t.Parallel()
	g := rtStart(t, sandbox.Config{})
	dir := t.TempDir()
	in := rtWriteCSV(t, dir, "ops.csv", []rtOp{
		{brand: "1332", outer: "CH-1", op: "charge", fen: 1000, customer: "A"},
		{brand: "1332", outer: "CH-2", op: "charge", fen: 500, customer: "B"},
		{brand: "1332", outer: "CH-1", newOuter: "RF-1", op: "refund", fen: 300, customer: "A"},
		{brand: "1332", outer: "CH-3", op: "charge", fen: 800, mobile: "13800000000"},
		{brand: "1332", outer: "CH-4", op: "charge", fen: 900, customer: "F"},
		{brand: "1332", outer: "FZ-1", op: "freeze", fen: 200, customer: "F"},
	})
	if _, stderr, code := runCLI(t, g.env(), "run", in, "--yes", "--qps", "0"); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	results := in + ".results.xlsx"
	_, stderr, code := runCLI(t, nil, "undo", results)
	if code != 0 {
		t.Fatalf("undo: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"4 refund(s) of charges, 29.00 yuan (2900 fen)", "freeze FZ-1", "refund CH-1", "svbatch run " + results + ".undo.csv"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("undo does not say %q:\n%s", want, stderr)
		}
	}
	undoFile := results + ".undo.csv"
	for i := 0; i < 2; i++ { // twice: exactly once
		if _, stderr, code := runCLI(t, g.env(), "run", undoFile, "--yes", "--qps", "0"); code != 1 {
			t.Fatalf("run the undo file (%d): exit %d; want 1 (CH-4's refund exceeds what is available)\n%s", i+1, code, stderr)
		}
	}
	res := rtReadResults(t, undoFile+".results.xlsx")
	if rtCount(res, "failed") != 1 {
		t.Errorf("undo results: %d failed; want 1 (CH-4)", rtCount(res, "failed"))
	}
	for _, b := range g.sb.Balances() {
		want := int64(0)
		if b.CustomerID == "F" {
			want = 700 // 900 charged, 200 frozen: the 900 refund is refused, nothing moves
			if b.Frozen != 200 {
				t.Errorf("F frozen %d; want 200 (a freeze is not reversed)", b.Frozen)
			}
		}
		if b.Available != want {
			t.Errorf("account %s/%s available %d; want %d after the undo", b.CustomerID, b.Mobile, b.Available, want)
		}
	}
	refunds := 0
	for _, o := range g.sb.Operations() {
		if strings.HasPrefix(o.NewOuterOrderID, "UNDO-") {
			refunds++
		}
	}
	if refunds != 3 {
		t.Errorf("%d undo refunds applied; want 3 (once each)", refunds)
	}

	// The reconciliation of the run with its undo: net 0 on every account but F, whose refund
	// failed, named with the reason; the freeze is counted apart.
	stdout, stderr, code := runCLI(t, nil, "undo", results, "--check", undoFile+".results.xlsx")
	if code != 1 {
		t.Fatalf("undo --check: exit %d; want 1 (F is not undone)\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"4 account(s) charged", "NOT undone: 1 account(s) net 9.00 yuan (900 fen)",
		"1332 F: net 9.00 yuan: the refund UNDO-CH-4 of charge CH-4 did not succeed", "1 freeze/verify row(s), 2.00 yuan"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("undo --check does not say %q:\n%s", want, stdout)
		}
	}
	for _, line := range strings.Split(stdout, "\n") {
		if f := strings.Fields(line); len(f) == 6 && f[0] == "1332" && f[1] != "F" && f[5] != "0.00" {
			t.Errorf("account %s nets %s; want 0.00: %s", f[1], f[5], line)
		}
	}

	// An undo with nothing in its way nets 0 on every account, and the sandbox's balances are back
	// at their opening 0.
	g2 := rtStart(t, sandbox.Config{})
	in2 := rtWriteCSV(t, t.TempDir(), "clean.csv", []rtOp{
		{brand: "1332", outer: "CH-1", op: "charge", fen: 1000, customer: "A"},
		{brand: "1332", outer: "CH-1", newOuter: "RF-1", op: "refund", fen: 300, customer: "A"},
		{brand: "1332", outer: "CH-2", op: "charge", fen: 500, mobile: "13800000000"},
	})
	if _, stderr, code := runCLI(t, g2.env(), "run", in2, "--yes", "--qps", "0"); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	if _, stderr, code := runCLI(t, nil, "undo", in2+".results.xlsx"); code != 0 {
		t.Fatalf("undo: exit %d\n%s", code, stderr)
	}
	if _, stderr, code := runCLI(t, g2.env(), "run", in2+".results.xlsx.undo.csv", "--yes", "--qps", "0"); code != 0 {
		t.Fatalf("run the undo: exit %d\n%s", code, stderr)
	}
	stdout, stderr, code = runCLI(t, nil, "undo", in2+".results.xlsx", "--check", in2+".results.xlsx.undo.csv.results.xlsx")
	if code != 0 || !strings.Contains(stdout, "Net effect 0 on every account") {
		t.Errorf("undo --check of a clean undo: exit %d; want 0 and net 0 everywhere\n%s%s", code, stdout, stderr)
	}
	for _, b := range g2.sb.Balances() {
		if b.Available != 0 || b.Frozen != 0 {
			t.Errorf("account %s/%s: %d available, %d frozen; want 0 (its opening balance)", b.CustomerID, b.Mobile, b.Available, b.Frozen)
		}
	}
}
