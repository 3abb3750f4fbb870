package main

import (
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"svbatch/sandbox"
)

// TestRunPrintedRetryCommandKeepsTheUnit: after a yuan run with a failed row, the command run
// prints for the Retry sheet, run exactly as printed on the sheet as the user edited it, sends the
// edited amount in yuan (a "3" there is 3.00 yuan, not 3 fen) to the same account, once.
func TestRunPrintedRetryCommandKeepsTheUnit(t *testing.T) {
	t.Parallel()
	g := rtStart(t, sandbox.Config{})
	dir := t.TempDir()
	in := rtWriteCSV(t, dir, "ops.csv", []rtOp{
		{brand: "1332", outer: "OK-1", op: "charge", fen: 3, customer: "A"},   // 3 yuan
		{brand: "1332", outer: "V-1", op: "verify", fen: 5, customer: "POOR"}, // 5 yuan: balance too low
	})
	_, stderr, code := runCLI(t, g.env(), "run", in, "--yes", "--qps", "0", "--amount-unit", "yuan")
	if code != 1 {
		t.Fatalf("first run: exit %d; want 1\n%s", code, stderr)
	}
	var printed []string
	for _, line := range strings.Split(stderr, "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[0] == "svbatch" && f[1] == "run" {
			printed = f[1:]
		}
	}
	if printed == nil || !strings.Contains(strings.Join(printed, " "), "--amount-unit yuan") {
		t.Fatalf("no printed retry command with --amount-unit yuan:\n%s", stderr)
	}

	// The user fixes the cause (charges 8.00 yuan by hand) and lowers the amount to 3 on the sheet.
	if _, stderr, code := runCLI(t, g.env(), "call", "--brand-id", "1332", "--shop-id", "S1", "--operator-id", "op",
		"--outer-order-id", "FIX-1", "--operate-type", "charge", "--change-value", "800", "--customer-id", "POOR"); code != 0 {
		t.Fatalf("call: exit %d\n%s", code, stderr)
	}
	f, err := excelize.OpenFile(in + ".results.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("Retry")
	if err != nil || len(rows) != 2 {
		t.Fatalf("Retry sheet %v, %v; want the header and V-1", rows, err)
	}
	col := -1
	for i, h := range rows[0] {
		if h == "change_value" {
			col = i
		}
	}
	cell, _ := excelize.CoordinatesToCellName(col+1, 2)
	if err := f.SetCellStr("Retry", cell, "3"); err != nil {
		t.Fatal(err)
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	if _, stderr, code := runCLI(t, g.env(), append(printed, "--yes", "--qps", "0")...); code != 0 {
		t.Fatalf("printed command %v: exit %d; want 0\n%s", printed, code, stderr)
	}
	for _, b := range g.sb.Balances() {
		if b.CustomerID == "POOR" && b.Available != 500 {
			t.Errorf("POOR available %d fen; want 800 − 300 = 500 (3 yuan verified, not 3 fen)", b.Available)
		}
	}
}
