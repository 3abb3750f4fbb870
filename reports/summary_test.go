package reports

import (
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"svbatch"
)

func TestResultsSummary(t *testing.T) {
	t.Parallel()
	rs := resGen(300)
	path := resWriteFile(t, t.TempDir(), "sum.xlsx", rs, resInfo(), ResultsOptions{})
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Raw values: the numbers as stored (the shown ones have thousands separators).
	rows, err := f.GetRows(SummarySheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	// Expected counts and amounts by status × operation, computed here independently.
	type key struct {
		st svbatch.Status
		op int
	}
	count, fen := map[key]int64{}, map[key]int64{}
	var total, totalFen int64
	for _, r := range rs {
		op := r.OperateType
		if op < 1 || op > 4 {
			op = 5
		}
		count[key{r.Status, op}]++
		fen[key{r.Status, op}] += r.ChangeValue
		total++
		totalFen += r.ChangeValue
	}
	// find locates the row of a table whose first cell is label, after the title row.
	find := func(title, label string) []string {
		in := false
		for _, row := range rows {
			if len(row) == 0 {
				continue
			}
			if row[0] == title {
				in = true
				continue
			}
			if in && row[0] == label {
				return row
			}
		}
		t.Fatalf("Summary has no %q row under %q", label, title)
		return nil
	}
	header := find("Rows by status × operation", "status")
	if got, want := strings.Join(header, ","), "status,charge,freeze,verify,refund,other,total"; got != want {
		t.Errorf("Summary header = %s; want %s", got, want)
	}
	for _, st := range resAllStatuses {
		cr := find("Rows by status × operation", string(st))
		fr := find("Amounts in fen by status × operation", string(st))
		yr := find("Amounts in yuan by status × operation", string(st))
		var lineN, lineF int64
		for op := 1; op <= 5; op++ {
			n, f := count[key{st, op}], fen[key{st, op}]
			lineN += n
			lineF += f
			if cr[op] != strconv.FormatInt(n, 10) || fr[op] != strconv.FormatInt(f, 10) || yr[op] != svbatch.FormatYuan(f) {
				t.Errorf("%s op %d: count %s fen %s yuan %s; want %d, %d, %s", st, op, cr[op], fr[op], yr[op], n, f, svbatch.FormatYuan(f))
			}
		}
		if cr[6] != strconv.FormatInt(lineN, 10) || fr[6] != strconv.FormatInt(lineF, 10) {
			t.Errorf("%s total: count %s fen %s; want %d, %d", st, cr[6], fr[6], lineN, lineF)
		}
	}
	if got := find("Rows by status × operation", "total")[6]; got != strconv.FormatInt(total, 10) {
		t.Errorf("grand total rows = %s; want %d", got, total)
	}
	if got := find("Amounts in fen by status × operation", "total")[6]; got != strconv.FormatInt(totalFen, 10) {
		t.Errorf("grand total fen = %s; want %d", got, totalFen)
	}
	if got := find("Amounts in yuan by status × operation", "total")[6]; got != svbatch.FormatYuan(totalFen) {
		t.Errorf("grand total yuan = %s; want %s", got, svbatch.FormatYuan(totalFen))
	}
	// Counts, fen and yuan are numeric cells: #,##0 for counts and fen, #,##0.00 for yuan; the yuan
	// cell holds fen/100 exactly as decimal text.
	for _, tc := range []struct {
		title  string
		numFmt int
	}{
		{"Rows by status × operation", 3},
		{"Amounts in fen by status × operation", 3},
		{"Amounts in yuan by status × operation", 4},
	} {
		r := 0
		for i, row := range rows {
			if len(row) > 0 && row[0] == tc.title {
				r = i + 3 // the title, the header, then the first status
			}
		}
		cell, _ := excelize.CoordinatesToCellName(7, r) // total column
		if typ, _ := f.GetCellType(SummarySheet, cell); typ != excelize.CellTypeUnset {
			t.Errorf("Summary %s (%s) type %v; want a number", cell, tc.title, typ)
		}
		if got := testNumFmt(t, f, SummarySheet, cell); got != tc.numFmt {
			t.Errorf("Summary %s (%s) number format %d; want %d", cell, tc.title, got, tc.numFmt)
		}
	}
	if !testQuotePrefixed(t, f, SummarySheet, testFindCell(t, f, SummarySheet, "=finished with failures")) {
		t.Errorf("Summary outcome %q is not quote-prefixed", "=finished with failures")
	}
	// Run parameters: shown in order, the secret redacted, formula text neutralised.
	params := map[string]string{}
	for _, row := range rows {
		if len(row) >= 2 {
			params[row[0]] = row[1]
		}
	}
	for name, want := range map[string]string{
		"gateway":    "http://127.0.0.1:8080/router/rest",
		"app secret": "(redacted)",
		"outcome":    "=finished with failures", // the text as given, quote-prefixed (never a formula)
		"qps":        "20",
		"rows":       "300",
	} {
		if params[name] != want {
			t.Errorf("Summary %q = %q; want %q", name, params[name], want)
		}
	}
}

func TestResultsSetInfoAndEmpty(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := dir + "/empty.xlsx"
	w, err := NewResults(path, resTestHeader, nil, RunInfo{Params: [][2]string{{"outcome", "running"}}}, ResultsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.SetInfo(RunInfo{Params: [][2]string{{"outcome", "interrupted"}}})
	if err := w.Close(); err != nil {
		t.Fatalf("Close of an empty run: %v", err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows(SummarySheet)
	found := false
	for _, row := range rows {
		if len(row) >= 2 && row[0] == "outcome" {
			found = row[1] == "interrupted"
		}
	}
	if !found {
		t.Errorf("Summary outcome is not the one given to SetInfo: %q", rows)
	}
	res, _ := f.GetRows(ResultsSheet)
	if len(res) != 1 || res[0][0] != "row" {
		t.Errorf("empty Results sheet = %q; want only the header", res)
	}
}
