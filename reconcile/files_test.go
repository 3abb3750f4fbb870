package reconcile

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"svbatch"
	"svbatch/batch"
	"svbatch/reports"
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
// numeric amounts, Chinese headers), from a results workbook split over two sheets, and from a
// results workbook written by reports.Results itself: the summary is the same every time.
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

	// Results through the real writer, 4 rows per sheet: Results, Results (2), Results (3).
	written := filepath.Join(dir, "written.results.xlsx")
	writeResultsWorkbook(t, written, res)

	tests := []struct {
		name, results, expected string
	}{
		{"csv", "testdata/results.csv", "testdata/expected.csv"},
		{"xlsx ledger", "testdata/results.csv", expXLSX},
		{"split results workbook", split, "testdata/expected.csv"},
		{"results written by reports", written, expXLSX},
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

// writeResultsWorkbook writes the fixture's results rows with reports.Results (3 data rows a sheet).
func writeResultsWorkbook(t *testing.T, path string, res [][]string) {
	t.Helper()
	idx := map[string]int{}
	for i, h := range res[0] {
		idx[h] = i
	}
	w, err := reports.NewResults(path, res[0][1:], []string{"memo"}, reports.RunInfo{}, reports.ResultsOptions{SheetRowLimit: 4})
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range res[1:] {
		get := func(c string) string { return rec[idx[c]] }
		atoi := func(c string) int64 { n, _ := strconv.ParseInt(get(c), 10, 64); return n }
		fin, _ := time.Parse(time.RFC3339, get("finished_at"))
		r := svbatch.Result{
			Line: int(atoi("row")), BrandID: get("brand_id"), ShopID: get("shop_id"), OperatorID: get("operator_id"),
			OuterOrderID: get("outer_order_id"), NewOuterOrderID: get("new_outer_order_id"), OperateType: int(atoi("operate_type")),
			ChangeValue: atoi("change_value"), CustomerID: get("customer_id"), Mobile: get("mobile"), RequestID: get("request_id"),
			Status: svbatch.Status(get("status")), Attempts: int(atoi("attempts")), Answered: get("biz_success") != "",
			BizSuccess: get("biz_success") == "true", ResultOK: get("result") == "true", ResultCode: get("result_code"),
			TraceID: get("trace_id"), FinishedAt: fin, Extra: []string{get("memo")}, Raw: rec[1:],
		}
		if err := w.Write(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	names, err := batch.SheetNames(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := ResultsSheets(names); len(got) != 4 {
		t.Fatalf("results sheets %q of %q; want 4 (the test needs the continuation)", got, names)
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
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/sandbox/balances.csv" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		_, _ = w.Write(body)
	}))
	defer srv.Close()

	exp, _, err := ReadBalancesFile("testdata/balances.csv", "balances", svbatch.Fen, nil, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fromFile, _, err := ReadBalancesFile("testdata/actual_balances.csv", "actual balances", svbatch.Fen, nil, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fromURL, sum, err := FetchBalances(context.Background(), srv.Client(), srv.URL+"/sandbox/balances.csv?token=x")
	if err != nil {
		t.Fatal(err)
	}
	fileSum, _ := FileSHA256("testdata/actual_balances.csv")
	if sum != fileSum {
		t.Errorf("URL body checksum %s; want the file's %s", sum, fileSum)
	}
	for name, act := range map[string][]Balance{"file": fromFile, "url": fromURL} {
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

	// A failing endpoint is an error naming the status, without the query (it may hold a token).
	_, _, err = FetchBalances(context.Background(), srv.Client(), srv.URL+"/nope?token=secret")
	if err == nil || !strings.Contains(err.Error(), "404") || strings.Contains(err.Error(), "secret") {
		t.Errorf("got %v; want a 404 error without the query", err)
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
