package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"svbatch/sandbox"
)

// rtPrintedRetry returns the `svbatch run …` command a run printed for its Retry sheet, without
// the leading "svbatch".
func rtPrintedRetry(t *testing.T, stderr string) []string {
	t.Helper()
	var printed []string
	for _, line := range strings.Split(stderr, "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[0] == "svbatch" && f[1] == "run" {
			printed = f[1:]
		}
	}
	if printed == nil {
		t.Fatalf("no printed retry command:\n%s", stderr)
	}
	return printed
}

// without returns args without flag and its value.
func without(args []string, flag string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		if args[i] == flag {
			i++
			continue
		}
		out = append(out, args[i])
	}
	return out
}

// rtEditRetry sets the Retry sheet's cell in column header of data row n (1 = the first row
// below the header) of the workbook at path.
func rtEditRetry(t *testing.T, path, header string, n int, value string) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Retry")
	if err != nil || len(rows) < n+1 {
		t.Fatalf("Retry sheet %v, %v; want at least %d rows", rows, err, n)
	}
	col := -1
	for i, h := range rows[0] {
		if h == header {
			col = i
		}
	}
	if col < 0 {
		t.Fatalf("Retry sheet has no column %q: %q", header, rows[0])
	}
	cell, _ := excelize.CoordinatesToCellName(col+1, n+1)
	if err := f.SetCellStr("Retry", cell, value); err != nil {
		t.Fatal(err)
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
}

// TestRunRefusesAnotherReading: a journal records how its runs read their files. The Retry sheet
// of a yuan run, run without --amount-unit yuan, is refused with both units named and nothing
// sent; a resume of the CSV with another --encoding is refused too; the printed
// command then moves exactly the edited yuan.
func TestRunRefusesAnotherReading(t *testing.T) {
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
	printed := rtPrintedRetry(t, stderr)

	// A resume of the same CSV read another way is refused, naming both settings.
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--amount-unit", "fen"}, `amounts read in: "yuan" before, "fen" now`},
		{[]string{"--amount-unit", "yuan", "--encoding", "gbk"}, `encoding: "utf-8" before, "gbk" now (--encoding)`},
	} {
		_, stderr, code := runCLI(t, g.env(), append([]string{"run", in, "--yes", "--qps", "0"}, tc.flags...)...)
		if code != 2 || !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "nothing was sent") {
			t.Errorf("resume with %v: exit %d; want 2 and %q\n%s", tc.flags, code, tc.want, stderr)
		}
	}

	if _, stderr, code := runCLI(t, g.env(), "call", "--brand-id", "1332", "--shop-id", "S1", "--operator-id", "op",
		"--outer-order-id", "FIX-1", "--operate-type", "charge", "--change-value", "800", "--customer-id", "POOR"); code != 0 {
		t.Fatalf("call: exit %d\n%s", code, stderr)
	}
	rtEditRetry(t, in+".results.xlsx", "change_value", 1, "3")

	// The printed command without its --amount-unit would read "3" as 3 fen: refused.
	bare := without(printed, "--amount-unit")
	_, stderr, code = runCLI(t, g.env(), append(bare, "--yes", "--qps", "0")...)
	if code != 2 || !strings.Contains(stderr, `amounts read in: "yuan" before, "fen" now`) {
		t.Fatalf("%v: exit %d; want 2 naming both units\n%s", bare, code, stderr)
	}
	for _, b := range g.sb.Balances() {
		if b.CustomerID == "POOR" && b.Available != 800 {
			t.Fatalf("POOR available %d fen after a refused run; want 800 (nothing sent)", b.Available)
		}
	}
	if _, stderr, code := runCLI(t, g.env(), append(printed, "--yes", "--qps", "0")...); code != 0 {
		t.Fatalf("printed command %v: exit %d; want 0\n%s", printed, code, stderr)
	}
	for _, b := range g.sb.Balances() {
		if b.CustomerID == "POOR" && b.Available != 500 {
			t.Errorf("POOR available %d fen; want 800 − 300 = 500", b.Available)
		}
	}
}

// TestRunMappedRetry: a run through a --mapping (ERP headers, yuan amounts, constants for brand and
// operator) whose failed row is fixed on the Retry sheet and sent with the printed command moves the
// edited yuan to the account the sheet shows; without --mapping the printed command is refused
// before anything is sent, as is a changed mapping.
func TestRunMappedRetry(t *testing.T) {
	t.Parallel()
	g := rtStart(t, sandbox.Config{})
	dir := t.TempDir()
	mapping := filepath.Join(dir, "erp.yaml")
	const mapText = "Order No: outer_order_id\nType: operate_type\nAmount (CNY): change_value\nMember No: customer_id\nStore: shop_id\nconstants:\n  brand_id: \"1332\"\n  operator_id: erp\n"
	if err := os.WriteFile(mapping, []byte(mapText), 0o644); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "erp.csv")
	csv := "Order No,Type,Amount (CNY),Member No,Store\n" +
		"E-1,charge,12.50,M1,S1\n" +
		"E-2,verify,7.25,POOR,S1\n" // balance too low
	if err := os.WriteFile(in, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runCLI(t, g.env(), "run", in, "--mapping", mapping, "--amount-unit", "yuan", "--yes", "--qps", "0")
	if code != 1 {
		t.Fatalf("first run: exit %d; want 1\n%s", code, stderr)
	}
	printed := rtPrintedRetry(t, stderr)
	if !strings.Contains(strings.Join(printed, " "), "--mapping "+mapping) {
		t.Fatalf("printed command %v lacks --mapping", printed)
	}

	// Without the mapping, the sheet's headers mean nothing to svbatch: refused, nothing sent.
	if _, stderr, code := runCLI(t, g.env(), append(without(printed, "--mapping"), "--yes", "--qps", "0")...); code != 2 {
		t.Errorf("printed command without --mapping: exit %d; want 2\n%s", code, stderr)
	}
	// A changed mapping (the amount column now read as the customer) is refused with what changed.
	other := filepath.Join(dir, "other.yaml")
	if err := os.WriteFile(other, []byte(strings.Replace(mapText, "operator_id: erp", "operator_id: someone-else", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = runCLI(t, g.env(), append(append(without(printed, "--mapping"), "--mapping", other), "--yes", "--qps", "0")...)
	if code != 2 || !strings.Contains(stderr, "column mapping:") || !strings.Contains(stderr, `operator_id = "someone-else"`) {
		t.Errorf("changed mapping: exit %d; want 2 naming the changed constant\n%s", code, stderr)
	}

	// The user tops POOR up by 5 yuan and lowers the verify to 4.10 on the sheet.
	if _, stderr, code := runCLI(t, g.env(), "call", "--brand-id", "1332", "--shop-id", "S1", "--operator-id", "op",
		"--outer-order-id", "FIX-1", "--operate-type", "charge", "--change-value", "500", "--customer-id", "POOR"); code != 0 {
		t.Fatalf("call: exit %d\n%s", code, stderr)
	}
	rtEditRetry(t, in+".results.xlsx", "Amount (CNY)", 1, "4.10")
	if _, stderr, code := runCLI(t, g.env(), append(printed, "--yes", "--qps", "0")...); code != 0 {
		t.Fatalf("printed command %v: exit %d; want 0\n%s", printed, code, stderr)
	}
	got := map[string]int64{}
	for _, b := range g.sb.Balances() {
		got[b.CustomerID] = b.Available
	}
	if got["POOR"] != 500-410 || got["M1"] != 1250 {
		t.Errorf("balances %v; want POOR 90 (500 − 410 fen), M1 1250", got)
	}
}

// TestRunOriginalAfterFix: a row fixed on the Retry sheet and sent from there supersedes its
// original. Rerunning the original file sends nothing, exits 0, and its results show the row as
// succeeded_after_fix with the amount that was actually sent, so one final result says what moved.
func TestRunOriginalAfterFix(t *testing.T) {
	t.Parallel()
	g := rtStart(t, sandbox.Config{})
	dir := t.TempDir()
	in := rtWriteCSV(t, dir, "ops.csv", []rtOp{
		{brand: "1332", outer: "OK-1", op: "charge", fen: 300, customer: "A"},
		{brand: "1332", outer: "V-1", op: "verify", fen: 500, customer: "POOR"}, // balance too low
	})
	first := []string{"run", in, "--yes", "--qps", "0"}
	_, stderr, code := runCLI(t, g.env(), first...)
	if code != 1 {
		t.Fatalf("first run: exit %d; want 1\n%s", code, stderr)
	}
	printed := rtPrintedRetry(t, stderr)
	if _, stderr, code := runCLI(t, g.env(), "call", "--brand-id", "1332", "--shop-id", "S1", "--operator-id", "op",
		"--outer-order-id", "FIX-1", "--operate-type", "charge", "--change-value", "450", "--customer-id", "POOR"); code != 0 {
		t.Fatalf("call: exit %d\n%s", code, stderr)
	}
	rtEditRetry(t, in+".results.xlsx", "change_value", 1, "400")
	if _, stderr, code := runCLI(t, g.env(), append(printed, "--yes", "--qps", "0")...); code != 0 {
		t.Fatalf("retry round: exit %d\n%s", code, stderr)
	}
	requests := g.sb.TotalRequests()

	_, stderr, code = runCLI(t, g.env(), first...)
	if code != 0 {
		t.Fatalf("original rerun: exit %d; want 0 (the row was fixed and succeeded)\n%s", code, stderr)
	}
	if n := g.sb.TotalRequests(); n != requests {
		t.Errorf("the original rerun sent %d requests; want none", n-requests)
	}
	rows := rtReadResults(t, in+".results.xlsx")
	var v1 map[string]string
	for _, r := range rows {
		if r["outer_order_id"] == "V-1" {
			v1 = r
		}
	}
	if v1["status"] != "succeeded_after_fix" || v1["change_value"] != "400" || !strings.Contains(v1["note"], "ops.csv.results.xlsx") {
		t.Errorf("V-1 in the original's results: %v; want succeeded_after_fix, change_value 400 (what was sent), naming the Retry sheet's file", v1)
	}
	for _, b := range g.sb.Balances() {
		if b.CustomerID == "POOR" && b.Available != 50 {
			t.Errorf("POOR available %d; want 450 − 400 = 50", b.Available)
		}
	}
	// The Retry round's own results say the same row succeeded there.
	for _, r := range rtReadResults(t, filepath.Join(dir, "ops.csv.retry.results.xlsx")) {
		if r["outer_order_id"] == "V-1" && (r["status"] != "succeeded" || r["change_value"] != "400") {
			t.Errorf("V-1 in the Retry round's results: %v; want succeeded, 400", r)
		}
	}
}

// TestRunRefusesAnIDTheJournalHoldsForAnother: a file whose explicit request_id the journal
// already holds for another operation (another outer_order_id) is refused before anything is sent,
// naming both rows; without the check the two would share one journal entry.
func TestRunRefusesAnIDTheJournalHoldsForAnother(t *testing.T) {
	t.Parallel()
	g := rtStart(t, sandbox.Config{})
	dir := t.TempDir()
	write := func(name, outer string) string {
		p := filepath.Join(dir, name)
		csv := "brand_id,shop_id,operator_id,outer_order_id,operate_type,change_value,customer_id,request_id\n1332,S1,op," + outer + ",charge,100,A,MY-ID-1\n"
		if err := os.WriteFile(p, []byte(csv), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	journalPath := filepath.Join(dir, "shared.svbatch.db")
	if _, stderr, code := runCLI(t, g.env(), "run", write("a.csv", "O-1"), "--journal", journalPath, "--yes", "--qps", "0"); code != 0 {
		t.Fatalf("first file: exit %d\n%s", code, stderr)
	}
	before := g.sb.TotalRequests()
	_, stderr, code := runCLI(t, g.env(), "run", write("b.csv", "O-2"), "--journal", journalPath, "--yes", "--qps", "0")
	if code != 2 || !strings.Contains(stderr, "request_id MY-ID-1 was sent for brand 1332, charge, outer_order_id O-1") ||
		!strings.Contains(stderr, "this row is charge, outer_order_id O-2") {
		t.Errorf("second file: exit %d; want 2 naming both operations\n%s", code, stderr)
	}
	if g.sb.TotalRequests() != before {
		t.Errorf("the refused run sent %d requests", g.sb.TotalRequests()-before)
	}
}
