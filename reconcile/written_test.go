package reconcile_test

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"svbatch"
	"svbatch/reconcile"
	"svbatch/reports"
	"svbatch/table"
)

// TestFilesWrittenByReports reconciles the fixture from a results workbook written by
// reports.Results itself, 4 rows per sheet (Results, Results (2), Results (3)), against the
// Chinese-headed XLSX ledger: the summary is the fixture's.
func TestFilesWrittenByReports(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	exp := reconcile.ReadCSVFile(t, "testdata/expected.csv")
	res := reconcile.ReadCSVFile(t, "testdata/results.csv")
	zh := []string{"品牌ID", "操作类型", "外部订单号", "回退单号", "储值金额", "顾客ID", "手机号", "预期状态"}
	expZh := append([][]string{zh}, exp[1:]...)
	expXLSX := filepath.Join(dir, "expected.xlsx")
	reconcile.WriteXLSX(t, expXLSX, []string{"Ledger"}, [][][]string{expZh}, map[string]bool{"储值金额": true, "操作类型": true})
	written := filepath.Join(dir, "written.results.xlsx")
	writeResultsWorkbook(t, written, res)

	r := reconcile.ReconcileFiles(t, written, expXLSX)
	if got := r.Summary(); got != reconcile.WantFixture {
		t.Errorf("summary:\n got %+v\nwant %+v", got, reconcile.WantFixture)
	}
	if r.ExpectedRows != 10 || r.ResultsRows != 11 {
		t.Errorf("rows read: expected %d, results %d; want 10, 11", r.ExpectedRows, r.ResultsRows)
	}
	var leading bool
	for e := range r.Entries(reconcile.Matched) {
		leading = leading || e.OuterOrderID == "00123"
	}
	if !leading {
		t.Errorf("00123 not matched: leading zeros lost")
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
			Status: svbatch.Status(get("status")), Attempts: int(atoi("attempts")), Answer: svbatch.Answer{Answered: get("biz_success") != "", BizSuccess: get("biz_success") == "true", ResultOK: get("result") == "true", ResultCode: get("result_code"), TraceID: get("trace_id"), FinishedAt: fin},

			Extra: []string{get("memo")}, Raw: rec[1:],
		}
		if err := w.Write(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	names, err := table.SheetNames(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := reconcile.ResultsSheets(names); len(got) != 4 {
		t.Fatalf("results sheets %q of %q; want 4 (the test needs the continuation)", got, names)
	}
}
