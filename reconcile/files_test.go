package reconcile

import (
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"svbatch"
	"svbatch/batch"
	"svbatch/table"
)

// wantFixture is the summary of testdata/expected.csv against testdata/results.csv, which plant a
// break of every category (see the rows' comments in TestFilesFixture).
var wantFixture = Summary{
	Categories: SummaryCategories{
		Matched:          CountAmount{3, 12100}, // M-001 charge and refund, 00123 (already_done, mobile)
		Missing:          CountAmount{2, 50000}, // M-002 absent, M-003 failed
		Unexpected:       CountAmount{1, 4000},  // M-008
		AmountMismatch:   CountAmount{1, 5500},  // M-004: 5000 expected, 5500 done
		CustomerMismatch: CountAmount{1, 7000},  // M-005: C004 expected, C005 charged
		StatusMismatch:   CountAmount{1, 3000},  // M-006: a failure expected, it succeeded
		Duplicate:        CountAmount{5, 4200},  // M-007 twice expected (+1 result), M-009 twice in the results
	},
	ExpectedTotal: 76100,
	ActualTotal:   33800,
	NetDifference: -42300,
	Explained:     true,
}

func readCSVFile(t testing.TB, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	recs[0][0] = strings.TrimPrefix(recs[0][0], "\ufeff")
	return recs
}

// writeXLSX writes sheets of rows; numeric columns (by header name) become number cells, the rest
// text cells, as Excel would hold a formatted ledger.
func writeXLSX(t testing.TB, path string, sheets []string, rows [][][]string, numeric map[string]bool) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, name := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		header := rows[i][0]
		for r, rec := range rows[i] {
			for c, v := range rec {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				var err error
				if n, perr := strconv.ParseInt(v, 10, 64); r > 0 && numeric[header[c]] && perr == nil {
					err = f.SetCellInt(name, cell, n)
				} else if v != "" {
					err = f.SetCellStr(name, cell, v)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

func batchHeader(h string) (string, bool) { return batch.CanonicalHeader(h, nil) }

func reconcileFiles(t *testing.T, results, expected string) *Report {
	t.Helper()
	rs, err := OpenResults(results)
	if err != nil {
		t.Fatalf("OpenResults: %v", err)
	}
	defer rs.Close()
	es, err := OpenExpected(expected, FileOptions{})
	if err != nil {
		t.Fatalf("OpenExpected: %v", err)
	}
	defer es.Close()
	r, err := Reconcile(es, rs, Options{Header: batchHeader})
	if err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
	return r
}

// TestFilesFixture reconciles the fixture from CSV, from Excel-formatted workbooks (text ids,
// numeric amounts, Chinese headers) and from a results workbook split over two sheets: the summary
// is the same every time (TestFilesWrittenByReports adds a workbook written by reports.Results).
func TestFilesFixture(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	exp := readCSVFile(t, "testdata/expected.csv")
	res := readCSVFile(t, "testdata/results.csv")

	// The ledger as Excel holds it: Chinese headers, text ids (leading zeros kept), number amounts.
	zh := []string{"品牌ID", "操作类型", "外部订单号", "回退单号", "储值金额", "顾客ID", "手机号", "预期状态"}
	expZh := append([][]string{zh}, exp[1:]...)
	expXLSX := filepath.Join(dir, "expected.xlsx")
	writeXLSX(t, expXLSX, []string{"Ledger"}, [][][]string{expZh}, map[string]bool{"储值金额": true, "操作类型": true})

	// Results split over "Results" and "Results (2)", with the other sheets of a results workbook.
	split := filepath.Join(dir, "split.results.xlsx")
	numeric := map[string]bool{"row": true, "operate_type": true, "change_value": true, "attempts": true, "latency_ms": true}
	part1 := append([][]string{res[0]}, res[1:6]...)
	part2 := append([][]string{res[0]}, res[6:]...)
	writeXLSX(t, split, []string{"Results", "Summary", "Results (2)", "Retry"},
		[][][]string{part1, {{"status", "count"}}, part2, {{"brand_id"}, {"B1"}}}, numeric)

	tests := []struct {
		name, results, expected string
	}{
		{"csv", "testdata/results.csv", "testdata/expected.csv"},
		{"xlsx ledger", "testdata/results.csv", expXLSX},
		{"split results workbook", split, "testdata/expected.csv"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := reconcileFiles(t, tc.results, tc.expected)
			if got := r.Summary(); got != wantFixture {
				t.Errorf("summary:\n got %+v\nwant %+v", got, wantFixture)
			}
			if r.ExpectedRows != 10 || r.ResultsRows != 11 {
				t.Errorf("rows read: expected %d, results %d; want 10, 11", r.ExpectedRows, r.ResultsRows)
			}
			var leading bool
			for e := range r.Entries(Matched) {
				leading = leading || e.OuterOrderID == "00123"
			}
			if !leading {
				t.Errorf("00123 not matched: leading zeros lost")
			}
		})
	}
}

func TestResultsSheets(t *testing.T) {
	t.Parallel()
	got := ResultsSheets([]string{"Summary", "Results (10)", "Results (2)", "Results", "Retry", "Results (x)", "My Results"})
	want := []string{"Results", "Results (2)", "Results (10)"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("ResultsSheets = %q; want %q", got, want)
	}
}

// A continuation sheet with another header is not the same table.
func TestResultsSheetHeaderDiffers(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "bad.xlsx")
	writeXLSX(t, path, []string{"Results", "Results (2)"}, [][][]string{
		{{"row", "brand_id", "operate_type", "outer_order_id", "new_outer_order_id", "change_value", "status"}, {"2", "B1", "1", "O1", "", "1", "succeeded"}},
		{{"row", "brand_id"}, {"3", "B1"}},
	}, nil)
	rs, err := OpenResults(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	_, err = Reconcile(csvSource(t, expHeader+"B1,1,O1,,1,,\n"), rs, Options{})
	if err == nil || !strings.Contains(err.Error(), "header differs") {
		t.Errorf("got %v; want a header-differs error", err)
	}
}

func TestBalances(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile("testdata/actual_balances.csv")
	if err != nil {
		t.Fatal(err)
	}
	exp, _, err := ReadBalancesFile("testdata/balances.csv", "balances", svbatch.Fen, nil, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fromFile, _, err := ReadBalancesFile("testdata/actual_balances.csv", "actual balances", svbatch.Fen, nil, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fromBody, sum, err := ReadBalancesBody("body", body)
	if err != nil {
		t.Fatal(err)
	}
	fileSum, _ := table.FileSHA256("testdata/actual_balances.csv")
	if sum != fileSum {
		t.Errorf("body checksum %s; want the file's %s", sum, fileSum)
	}
	for name, act := range map[string][]Balance{"file": fromFile, "body": fromBody} {
		t.Run(name, func(t *testing.T) {
			r := &Report{}
			if n, err := r.CheckBalances(exp, act); err != nil || n != 4 {
				t.Errorf("accounts compared %d, %v; want 4", n, err)
			}
			got := r.Balances()
			var keys []string
			for _, b := range got {
				keys = append(keys, b.BrandID+"/"+b.Customer.String()+": "+b.Note)
			}
			want := []string{
				"B1/customer_id=C001: available -500 fen; frozen +3000 fen",
				"B1/customer_id=C005: account not in the expected balances; available +7000 fen",
			}
			if strings.Join(keys, "\n") != strings.Join(want, "\n") {
				t.Errorf("balance mismatches:\n%s\nwant\n%s", strings.Join(keys, "\n"), strings.Join(want, "\n"))
			}
			if tot := r.Totals(BalanceMismatch); tot.Count != 2 || tot.Amount != 10500 {
				t.Errorf("balance_mismatch %+v; want count 2 amount 10500", tot)
			}
		})
	}
}

func TestReadBalancesErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, csv, want string }{
		// Two rows for one account: not a closing-balance list.
		{"duplicate account", "brand_id,customer_id,available,frozen\nB1,C1,1,0\nB1,C1,2,0\n", "account given twice"},
		// An amount that is not a whole number of fen.
		{"bad amount", "brand_id,customer_id,available,frozen\nB1,C1,1.5,0\n", "column available"},
		// No customer.
		{"no customer", "brand_id,customer_id,available,frozen\nB1,,1,0\n", "a customer is needed"},
		// No frozen column.
		{"missing column", "brand_id,customer_id,available\nB1,C1,1\n", "column frozen: required column missing"},
		// A balance beyond ±svbatch.MaxBalance, either sign, is refused (never truncated).
		{"available over the limit", "brand_id,customer_id,available,frozen\nB1,C1,1000000000000000,0\nB1,C2,1000000000000001,0\n",
			"balances row 3 column available value \"1000000000000001\": beyond the limit of ±1000000000000000 fen (±10000000000000.00 yuan)"},
		{"negative over the limit", "brand_id,customer_id,available,frozen\nB1,C1,-1000000000000000,0\nB1,C2,0,-1000000000000001\n",
			"balances row 3 column frozen"},
		{"int64 maximum", "brand_id,customer_id,available,frozen\nB1,C1,9223372036854775807,0\n", "beyond the limit"},
	}
	for _, tc := range tests {
		_, err := ReadBalances(csvSource(t, tc.csv), "balances", svbatch.Fen, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v; want an error with %q", tc.name, err, tc.want)
		}
	}
	// At the limit, fen and yuan, both signs: read.
	for _, tc := range []struct {
		csv string
		u   svbatch.Unit
	}{
		{"brand_id,customer_id,available,frozen\nB1,C1,1000000000000000,-1000000000000000\n", svbatch.Fen},
		{"brand_id,customer_id,available,frozen\nB1,C1,10000000000000.00,-10000000000000\n", svbatch.Yuan},
	} {
		bs, err := ReadBalances(csvSource(t, tc.csv), "balances", tc.u, nil)
		if err != nil || len(bs) != 1 || bs[0].Available != svbatch.MaxBalance || bs[0].Frozen != -svbatch.MaxBalance {
			t.Errorf("%s at the limit: %+v, %v; want ±svbatch.MaxBalance", tc.u, bs, err)
		}
	}
	// One fen over, yuan.
	if _, err := ReadBalances(csvSource(t, "brand_id,customer_id,available,frozen\nB1,C1,10000000000000.01,0\n"), "balances", svbatch.Yuan, nil); err == nil || !strings.Contains(err.Error(), "beyond the limit") {
		t.Errorf("yuan one fen over: %v; want beyond the limit", err)
	}
}

// CheckBalances sums checked: accounts at ±svbatch.MaxBalance pass int64 after about 2,300 of them, which
// is an *InputError naming the account's row, not a wrapped total; values beyond ±svbatch.MaxBalance
// (not from ReadBalances) are caught in the per-account difference.
func TestCheckBalancesOverflow(t *testing.T) {
	t.Parallel()
	var exp, act []Balance
	for i := range 3000 {
		c := Customer{CustomerID: fmt.Sprintf("C%04d", i)}
		exp = append(exp, Balance{BrandID: "B1", Customer: c, Available: svbatch.MaxBalance, Frozen: svbatch.MaxBalance, Line: i + 2})
		act = append(act, Balance{BrandID: "B1", Customer: c, Available: -svbatch.MaxBalance, Frozen: -svbatch.MaxBalance, Line: i + 2})
	}
	r := &Report{}
	// 9223372036854775807 / 4e15 = 2305.8: the 2306th account (C2305, row 2307) passes int64.
	_, err := r.CheckBalances(exp, act)
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "actual balances row 2307: the balance_mismatch amount total passes the int64 limit") ||
		!strings.Contains(err.Error(), "customer_id=C2305") {
		t.Errorf("got %v; want an *InputError at actual balances row 2307", err)
	}
	if len(r.Balances()) != 0 || r.Totals(BalanceMismatch) != (Total{}) {
		t.Errorf("after the error: %d entries, totals %+v; want none", len(r.Balances()), r.Totals(BalanceMismatch))
	}
	// Fewer accounts sum fine.
	r = &Report{}
	if n, err := r.CheckBalances(exp[:2000], act[:2000]); err != nil || n != 2000 || r.Totals(BalanceMismatch).Amount != 2000*4*svbatch.MaxBalance {
		t.Errorf("2000 accounts: %d, %v, amount %d; want 2000, nil, %d", n, err, r.Totals(BalanceMismatch).Amount, 2000*4*svbatch.MaxBalance)
	}
	// An account only in the expected side is named by its expected row.
	r = &Report{}
	_, err = r.CheckBalances([]Balance{{BrandID: "B1", Customer: Customer{CustomerID: "C1"}, Available: math.MinInt64, Line: 7}}, nil)
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "balances row 7: the account's balance difference passes the int64 limit") {
		t.Errorf("got %v; want an *InputError at balances row 7", err)
	}
	r = &Report{}
	_, err = r.CheckBalances([]Balance{{BrandID: "B1", Customer: Customer{CustomerID: "C1"}, Available: math.MaxInt64, Line: 7}},
		[]Balance{{BrandID: "B1", Customer: Customer{CustomerID: "C1"}, Available: -1, Line: 9}})
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "actual balances row 9: the account's balance difference") {
		t.Errorf("got %v; want an *InputError at actual balances row 9", err)
	}
}
