package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"svbatch"
	"svbatch/batch"
	"svbatch/reports"
	"svbatch/sandbox"
	"svbatch/table"
)

// rtRequestIDs reads a file (or one of its sheets) through the batch reader, as svbatch run does,
// and returns each row's request_id by outer_order_id, and the pass-through header.
func rtRequestIDs(t *testing.T, path, sheet string) (map[string]string, []string) {
	t.Helper()
	r, err := batch.Open(path, batch.Options{Table: table.Options{Sheet: sheet}})
	if err != nil {
		t.Fatalf("open %s %s: %v", path, sheet, err)
	}
	defer r.Close()
	ids := map[string]string{}
	for {
		row, probs, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(probs) > 0 {
			t.Fatalf("%s row %d: %v", path, row.Line, probs)
		}
		ids[row.Req.OuterOrderID] = row.Req.RequestID
	}
	return ids, r.ExtraHeader()
}

// formulaOps are rows whose ids and reasons start like formulas: verifies on an account with no
// balance, so they fail and go to the Retry sheet.
func formulaOps() []rtOp {
	return []rtOp{
		{brand: "1332", outer: "OK-1", op: "charge", fen: 300, customer: "RICH"},
		{brand: "1332", outer: "=EV-CHG-1", op: "verify", fen: 500, customer: "POOR1"},
		{brand: "1332", outer: "+EV-CHG-2", op: "verify", fen: 500, customer: "POOR2"},
		{brand: "1332", outer: "-EV-CHG-3", op: "verify", fen: 500, customer: "POOR3"},
		{brand: "1332", outer: "@EV-CHG-4", op: "verify", fen: 500, customer: "POOR4"},
	}
}

// A row whose values start with = + - @ goes CSV → run → results workbook Retry sheet → read back
// through the batch reader with the same request_id as from the CSV: the workbook keeps the exact
// text (quote-prefixed, no apostrophe), and svbatch's own Retry columns (source row, status,
// reason) are dropped on reading, neither data nor pass-through.
func TestRunRetrySheetKeepsFormulaLikeIDs(t *testing.T) {
	t.Parallel()
	g := rtStart(t, sandbox.Config{})
	dir := t.TempDir()
	in := rtWriteCSV(t, dir, "ops.csv", formulaOps())
	fromCSV, _ := rtRequestIDs(t, in, "")
	if _, stderr, code := runCLI(t, g.env(), "run", in, "--yes", "--qps", "0"); code != 1 {
		t.Fatalf("run: exit %d; want 1\n%s", code, stderr)
	}
	results := in + ".results.xlsx"
	f, err := excelize.OpenFile(results)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows(reports.RetrySheet)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(rows[0][:3], ","), strings.Join(svbatch.RetryColumns, ","); got != want {
		t.Fatalf("Retry header starts %q; want svbatch's columns %s", rows[0][:3], want)
	}
	if len(rows) != 5 {
		t.Fatalf("Retry rows %d; want the header and 4 failed rows", len(rows))
	}
	for i, r := range rows[1:] {
		wantLine := []string{"3", "4", "5", "6"}[i]
		if r[0] != wantLine || r[1] != "failed" || !strings.HasPrefix(r[2], "balance too low") {
			t.Errorf("Retry row %d: source row %q status %q reason %q; want %s, failed, balance too low…", i+2, r[0], r[1], r[2], wantLine)
		}
	}
	fromRetry, extra := rtRequestIDs(t, results, reports.RetrySheet)
	if len(extra) != 0 {
		t.Errorf("the Retry sheet read back has pass-through columns %q; want none (svbatch's columns are dropped)", extra)
	}
	if len(fromRetry) != 4 {
		t.Fatalf("Retry sheet read back: %d rows %v; want the 4 failed ones", len(fromRetry), fromRetry)
	}
	for outer, id := range fromRetry {
		if fromCSV[outer] != id {
			t.Errorf("%q: request_id from the Retry sheet %s; from the CSV %s", outer, id, fromCSV[outer])
		}
	}

	// Sent again after the accounts are funded: the same rows, once each, under their own ids.
	for _, c := range []string{"POOR1", "POOR2", "POOR3", "POOR4"} {
		if _, stderr, code := runCLI(t, g.env(), "call", "--brand-id", "1332", "--shop-id", "S1", "--operator-id", "op",
			"--outer-order-id", "FUND-"+c, "--operate-type", "charge", "--change-value", "800", "--customer-id", c); code != 0 {
			t.Fatalf("call: exit %d\n%s", code, stderr)
		}
	}
	if _, stderr, code := runCLI(t, g.env(), "run", results, "--sheet", reports.RetrySheet, "--yes", "--qps", "0", "--retry-failed"); code != 0 {
		t.Fatalf("Retry sheet with --retry-failed: exit %d; want 0\n%s", code, stderr)
	}
	round := rtReadResults(t, in+".retry.results.xlsx")
	if len(round) != 4 {
		t.Fatalf("round results %d rows; want 4", len(round))
	}
	for _, r := range round {
		if r["status"] != "succeeded" || fromCSV[r["outer_order_id"]] == "" {
			t.Errorf("round row %v; want one of the CSV's ids, succeeded", r)
		}
	}
}

// The same through validate's errors workbook: the bad cell fixed in the workbook, the workbook
// read as an input gives every row the request_id the (fixed) CSV gives.
func TestValidateErrorsWorkbookKeepsFormulaLikeIDs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ops := formulaOps()
	good := rtWriteCSV(t, dir, "good.csv", ops)
	fromCSV, _ := rtRequestIDs(t, good, "")
	ops[2].fen = 0 // +EV-CHG-2: an amount of 0 is invalid
	bad := rtWriteCSV(t, dir, "bad.csv", ops)
	out := filepath.Join(dir, "bad.errors.xlsx")
	if _, stderr, code := runCLI(t, nil, "validate", bad, "--out", out); code != exitUsage {
		t.Fatalf("validate: exit %d; want %d\n%s", code, exitUsage, stderr)
	}
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.GetCellValue(reports.SheetInput, "D3"); v != "=EV-CHG-1" {
		t.Errorf("errors workbook D3 = %q; want the text as it was, =EV-CHG-1", v)
	}
	if err := f.SetCellStr(reports.SheetInput, "G4", "500"); err != nil { // the fix, in the workbook
		t.Fatal(err)
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	fromBook, _ := rtRequestIDs(t, out, reports.SheetInput)
	if len(fromBook) != len(fromCSV) {
		t.Fatalf("errors workbook rows %v; want %v", fromBook, fromCSV)
	}
	for outer, id := range fromCSV {
		if fromBook[outer] != id {
			t.Errorf("%q: request_id from the errors workbook %q; from the CSV %s", outer, fromBook[outer], id)
		}
	}
}

// A file with Chinese headers gets Chinese outputs (sheet names, headers, statuses, the Retry
// sheet's reason); --sheet Retry still names its Retry sheet (重试), read back in Chinese; --lang en
// chooses English.
func TestRunChineseOutputs(t *testing.T) {
	t.Parallel()
	g := rtStart(t, sandbox.Config{})
	dir := t.TempDir()
	zhHeader := []string{"品牌ID", "门店ID", "操作人ID", "外部订单号", "回退单号", "操作类型", "金额(元)", "顾客ID", "手机号", "外部ID", "外部ID类型", "备注"}
	csvText := strings.Join(zhHeader, ",") + "\n" +
		"1332,S1,op,ZH-1,,充值,3.50,A,,,,会员充值\n" +
		"1332,S1,op,ZH-2,,核销,5,POOR,,,,核销\n"
	in := filepath.Join(dir, "中文.csv")
	if err := os.WriteFile(in, []byte(csvText), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := runCLI(t, g.env(), "run", in, "--yes", "--qps", "0"); code != 1 {
		t.Fatalf("run: exit %d; want 1\n%s", code, stderr)
	}
	results := in + ".results.xlsx"
	f, err := excelize.OpenFile(results)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(f.GetSheetList(), ","), "结果,汇总,重试"; got != want {
		t.Errorf("sheets %s; want %s", got, want)
	}
	res, _ := f.GetRows(reports.ResultsSheetZH, excelize.Options{RawCellValue: true})
	col := map[string]int{}
	for i, h := range res[0] {
		col[h] = i
	}
	for _, h := range []string{"行号", "品牌ID", "金额(分)", "金额(元)", "状态", "请求ID", "完成时间"} {
		if _, ok := col[h]; !ok {
			t.Errorf("Results header %q lacks %s", res[0], h)
		}
	}
	if len(res) == 3 {
		if got := res[1][col["金额(元)"]]; got != "3.50" {
			t.Errorf("ZH-1 金额(元) = %q; want 3.50, what the user typed", got)
		}
		if got := res[1][col["金额(分)"]]; got != "350" {
			t.Errorf("ZH-1 金额(分) = %q; want 350", got)
		}
		if a, b := res[1][col["状态"]], res[2][col["状态"]]; a != "成功" || b != "失败" {
			t.Errorf("statuses %q, %q; want 成功, 失败", a, b)
		}
	}
	retry, _ := f.GetRows(reports.RetrySheetZH)
	f.Close()
	if len(retry) != 2 || retry[0][0] != "原文件行号" || retry[1][1] != "失败" || !strings.HasPrefix(retry[1][2], "余额不足") {
		t.Errorf("重试 sheet %q; want 原文件行号…, the failed row with its reason 余额不足…", retry)
	}
	// Read back by svbatch: --sheet Retry names 重试, in yuan as the header says.
	if _, stderr, code := runCLI(t, g.env(), "run", results, "--sheet", "Retry", "--yes", "--qps", "0"); code != 1 {
		t.Fatalf("run on the 重试 sheet: exit %d; want 1 (the row stays failed)\n%s", code, stderr)
	}
	// Reconcile reads the Chinese results (headers and statuses).
	exp := filepath.Join(dir, "expected.csv")
	if err := os.WriteFile(exp, []byte("brand_id,operate_type,outer_order_id,change_value,expected_status\n1332,1,ZH-1,350,succeeded\n1332,3,ZH-2,500,failed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := runCLI(t, nil, "reconcile", results, exp, "--out", filepath.Join(dir, "rec.xlsx")); code != 0 {
		t.Errorf("reconcile of the Chinese results: exit %d; want 0 (ZH-1 succeeded, ZH-2 failed, as expected)\n%s", code, stderr)
	}
	rf, err := excelize.OpenFile(filepath.Join(dir, "rec.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := rf.GetCellValue(reports.SummarySheetZH, "A2"); !strings.HasPrefix(v, "一致") {
		t.Errorf("reconciliation verdict %q; want 一致… (Chinese, from the results' language)", v)
	}
	rf.Close()
	// --lang en: English, whatever the headers.
	en := filepath.Join(dir, "en.results.xlsx")
	if _, stderr, code := runCLI(t, g.env(), "run", in, "--yes", "--qps", "0", "--lang", "en", "--out", en, "--tz", "UTC"); code != 1 {
		t.Fatalf("run --lang en: exit %d; want 1\n%s", code, stderr)
	}
	ef, err := excelize.OpenFile(en)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	if got := strings.Join(ef.GetSheetList(), ","); got != "Results,Summary,Retry" {
		t.Errorf("--lang en sheets %s; want Results,Summary,Retry", got)
	}
	if cells, _ := ef.SearchSheet(reports.SummarySheet, "^UTC$", true); len(cells) == 0 {
		t.Errorf("--tz UTC: the Summary does not name the zone UTC")
	}
}
