package reports

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"svbatch"
)

// The -update flag rewrites golden files. Other test files of this package may define it too, so it
// is registered only if nobody has yet (package-level flag vars run before init).
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files under testdata/")
	}
}

func resUpdate() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// resTestHeader is the input header of the generated rows: canonical columns in Chinese and English
// and two pass-through columns.
var resTestHeader = []string{
	"品牌ID", "shop_id", "operator_id", "外部订单号", "new_outer_order_id", "操作类型", "金额",
	"customer_id", "mobile", "outer_id", "outer_type", "备注", "部门", "=cmd|' /C calc'!A0",
}

var resTestExtraHeader = []string{"部门", "=cmd|' /C calc'!A0"}

var resAllStatuses = []svbatch.Status{
	svbatch.Succeeded, svbatch.Failed, svbatch.Unknown, svbatch.Skipped, svbatch.Conflict,
	svbatch.AlreadyDone, svbatch.Invalid, svbatch.Planned, svbatch.Pending, svbatch.Sending,
}

// resGen makes n deterministic results covering every status and operation, ids with leading zeros
// and 18 digits, text that looks like formulas, Chinese text and answers of every shape.
func resGen(n int) []*svbatch.Result {
	base := time.Date(2025, 3, 1, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))
	reasons := []string{"", "补录", "=HYPERLINK(\"http://x\",\"y\")", "+SUM(1,2)", "-5", "@A1", "-2+3", "line\r\nbreak", "\tTAB"}
	out := make([]*svbatch.Result, n)
	for i := range out {
		st := resAllStatuses[i%len(resAllStatuses)]
		op := i%4 + 1
		r := &svbatch.Result{
			Line:         i + 2,
			BrandID:      "0012",
			ShopID:       fmt.Sprintf("%03d", i%7),
			OperatorID:   "op-" + strconv.Itoa(i%3),
			OuterOrderID: fmt.Sprintf("%018d", 100000000000000000+int64(i)),
			OperateType:  op,
			ChangeValue:  int64(i*37%100000 + 1),
			Reason:       reasons[i%len(reasons)],
			RequestID:    fmt.Sprintf("svb1%028x", i),
			Status:       st,
			Attempts:     i % 4,
		}
		switch i % 3 {
		case 0:
			r.CustomerID = fmt.Sprintf("%018d", 900000000000000000+int64(i))
		case 1:
			r.Mobile = fmt.Sprintf("1%010d", 3800000000+int64(i))
		default:
			r.OuterID, r.OuterType = "oX"+strconv.Itoa(i), "wechat"
		}
		if op == 4 {
			r.NewOuterOrderID = "R" + r.OuterOrderID
		}
		switch st {
		case svbatch.Succeeded, svbatch.AlreadyDone:
			r.Answered, r.BizSuccess, r.ResultOK, r.ResultCode, r.ResultDesc = true, true, true, "0", "成功"
			if st == svbatch.AlreadyDone && i%20 == 5 { // done earlier, but as a failure
				r.BizSuccess, r.ResultCode, r.ResultDesc = false, "BALANCE_NOT_ENOUGH", "余额不足"
			}
		case svbatch.Failed:
			if i%2 == 0 {
				r.Answered, r.ResultCode, r.ResultDesc = true, "BALANCE_NOT_ENOUGH", "余额不足"
			} else {
				r.ErrCode, r.ErrMsg, r.ErrSubCode, r.ErrSubMsg = 40, "Missing required arguments", "isv.missing-parameter", "=缺少参数"
			}
		case svbatch.Unknown:
			r.ErrCode, r.ErrMsg, r.ErrSubCode, r.ErrSubMsg = 10, "Service currently unavailable", "isp.remote-service-timeout", "timeout"
			r.Note = "outcome unknown after 4 attempts; a rerun resends it with the same request_id"
		case svbatch.Skipped:
			r.Note = fmt.Sprintf("account had row %d failed", i)
		case svbatch.Conflict:
			r.Note = "-sent earlier with other values"
		case svbatch.Invalid:
			r.OperateType, r.ChangeValue = 0, 0
			r.Note = "change_value: not an integer"
		}
		if r.Attempts > 0 {
			r.TraceID = "trace" + strconv.Itoa(i)
			r.LatencyMS = int64(i%250 + 1)
			r.FinishedAt = base.Add(time.Duration(i) * time.Second)
		}
		dept := []string{"财务部", "", "@ops", "0099"}[i%4]
		evil := []string{"x", "=1+1", "", "+86 138"}[i%4]
		r.Extra = []string{dept, evil}
		amount := strconv.FormatInt(r.ChangeValue, 10)
		if st == svbatch.Invalid {
			amount = "1.5"
		}
		r.Raw = []string{
			r.BrandID, r.ShopID, r.OperatorID, r.OuterOrderID, r.NewOuterOrderID, strconv.Itoa(op), amount,
			r.CustomerID, r.Mobile, r.OuterID, r.OuterType, r.Reason, dept, evil,
		}
		out[i] = r
	}
	return out
}

// resWriteFile writes results to dir/name and returns the path.
func resWriteFile(t testing.TB, dir, name string, rs []*svbatch.Result, info RunInfo, opt ResultsOptions) string {
	t.Helper()
	path := filepath.Join(dir, name)
	w, err := NewResults(path, resTestHeader, resTestExtraHeader, info, opt)
	if err != nil {
		t.Fatalf("NewResults: %v", err)
	}
	for _, r := range rs {
		if err := w.Write(r); err != nil {
			t.Fatalf("Write row %d: %v", r.Line, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return path
}

// resDump renders every sheet's cell values, one quoted cell per field, for golden comparison.
func resDump(t *testing.T, path string) string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	var b strings.Builder
	for _, sh := range f.GetSheetList() {
		rows, err := f.GetRows(sh)
		if err != nil {
			t.Fatalf("GetRows %s: %v", sh, err)
		}
		fmt.Fprintf(&b, "== %s (%d rows)\n", sh, len(rows))
		for _, row := range rows {
			for i, c := range row {
				if i > 0 {
					b.WriteByte('\t')
				}
				b.WriteString(strconv.Quote(c))
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func resInfo() RunInfo {
	return RunInfo{Params: [][2]string{
		{"input", "imports/march.xlsx"},
		{"gateway", "http://127.0.0.1:8080/router/rest"},
		{"app key", "12345678"},
		{"app secret", "s3cr3t-never-shown"},
		{"qps", "20"},
		{"started", "2025-03-01T09:30:00+08:00"},
		{"outcome", "=finished with failures"},
	}}
}

func TestResultsXLSXGolden(t *testing.T) {
	t.Parallel()
	path := resWriteFile(t, t.TempDir(), "run.results.xlsx", resGen(300), resInfo(), ResultsOptions{})
	got := resDump(t, path)
	golden := filepath.Join("testdata", "results_golden.txt")
	if resUpdate() {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("workbook differs from %s at line %d:\ngot  %s\nwant %s", golden, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("workbook differs from %s: got %d lines; want %d", golden, len(gl), len(wl))
	}
	if strings.Contains(got, "s3cr3t") {
		t.Errorf("the secret appears in the workbook")
	}
}

func TestResultsSheetsAndHeader(t *testing.T) {
	t.Parallel()
	path := resWriteFile(t, t.TempDir(), "r.xlsx", resGen(30), resInfo(), ResultsOptions{})
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, want := strings.Join(f.GetSheetList(), ","), "Results,Summary,Retry"; got != want {
		t.Errorf("sheets = %s; want %s", got, want)
	}
	if got := f.GetActiveSheetIndex(); got != 0 {
		t.Errorf("active sheet = %d; want 0 (Results)", got)
	}
	rows, _ := f.GetRows(ResultsSheet)
	want := append(append([]string(nil), ResultsColumns...), "部门", "=cmd|' /C calc'!A0")
	if got := strings.Join(rows[0], "|"); got != strings.Join(want, "|") {
		t.Errorf("header = %q; want %q", got, want)
	}
	evilHead, _ := excelize.CoordinatesToCellName(len(want), 1)
	if !testQuotePrefixed(t, f, ResultsSheet, evilHead) {
		t.Errorf("header %s %q is not quote-prefixed", evilHead, want[len(want)-1])
	}
	if len(rows) != 31 {
		t.Errorf("Results rows = %d; want 31 (header + 30)", len(rows))
	}
	panes, err := f.GetPanes(ResultsSheet)
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("Results panes = %+v, %v; want the header row frozen", panes, err)
	}
	// The chart is in the package.
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	charts := 0
	for _, zf := range zr.File {
		if strings.HasPrefix(zf.Name, "xl/charts/chart") {
			charts++
		}
	}
	if charts != 1 {
		t.Errorf("charts in the workbook = %d; want 1", charts)
	}
}

func TestResultsCellTypes(t *testing.T) {
	t.Parallel()
	rs := resGen(12)
	path := resWriteFile(t, t.TempDir(), "types.xlsx", rs, RunInfo{}, ResultsOptions{})
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	col := func(name string) int {
		for i, c := range ResultsColumns {
			if c == name {
				return i + 1
			}
		}
		t.Fatalf("no column %s", name)
		return 0
	}
	tests := []struct {
		name   string // what the case shows
		column string
		row    int // sheet row
		want   string
		typ    excelize.CellType
		quote  bool // quote-prefixed: shown as the text, never a formula
	}{
		{"row number is numeric", "row", 2, "2", excelize.CellTypeUnset, false},
		{"leading zeros kept as text", "brand_id", 2, "0012", excelize.CellTypeInlineString, false},
		{"shop id 000 kept as text", "shop_id", 2, "000", excelize.CellTypeInlineString, false},
		{"18-digit order id exact text", "outer_order_id", 2, "100000000000000000", excelize.CellTypeInlineString, false},
		{"18-digit customer id exact text", "customer_id", 2, "900000000000000000", excelize.CellTypeInlineString, false},
		{"mobile is text", "mobile", 3, "13800000001", excelize.CellTypeInlineString, false},
		{"operate_type numeric", "operate_type", 3, "2", excelize.CellTypeUnset, false},
		{"change_value numeric fen", "change_value", 3, "38", excelize.CellTypeUnset, false},
		{"change_value_yuan numeric, fen/100 exactly", "change_value_yuan", 3, "0.38", excelize.CellTypeUnset, false},
		{"attempts numeric", "attempts", 3, "1", excelize.CellTypeUnset, false},
		{"latency numeric", "latency_ms", 3, "2", excelize.CellTypeUnset, false},
		{"finished_at a date-time in GMT+8", "finished_at", 3, "2025-03-01 09:30:01", excelize.CellTypeUnset, false},
		{"biz_success boolean", "biz_success", 2, "TRUE", excelize.CellTypeBool, false},
		{"error_code numeric", "error_code", 3, "40", excelize.CellTypeUnset, false},
		{"result_code text", "result_code", 2, "0", excelize.CellTypeInlineString, false},
		{"status text", "status", 3, "failed", excelize.CellTypeInlineString, false},
		{"formula text kept, quote-prefixed", "reason", 4, "=HYPERLINK(\"http://x\",\"y\")", excelize.CellTypeInlineString, true},
		{"plus formula kept, quote-prefixed", "reason", 5, "+SUM(1,2)", excelize.CellTypeInlineString, true},
		{"plain negative number kept", "reason", 6, "-5", excelize.CellTypeInlineString, false},
		{"at sign kept, quote-prefixed", "reason", 7, "@A1", excelize.CellTypeInlineString, true},
		{"error sub_msg kept, quote-prefixed", "error_sub_msg", 3, "=缺少参数", excelize.CellTypeInlineString, true},
		{"invalid row has no operate_type", "operate_type", 8, "", excelize.CellTypeUnset, false},
		{"unanswered row has no biz_success", "biz_success", 5, "", excelize.CellTypeUnset, false},
	}
	for _, tc := range tests {
		cell, _ := excelize.CoordinatesToCellName(col(tc.column), tc.row)
		got, err := f.GetCellValue(ResultsSheet, cell)
		if err != nil {
			t.Fatal(err)
		}
		typ, _ := f.GetCellType(ResultsSheet, cell)
		if got != tc.want || typ != tc.typ {
			t.Errorf("%s: %s = %q (type %v); want %q (type %v)", tc.name, cell, got, typ, tc.want, tc.typ)
		}
		if q := testQuotePrefixed(t, f, ResultsSheet, cell); q != tc.quote {
			t.Errorf("%s: %s quote-prefixed = %v; want %v", tc.name, cell, q, tc.quote)
		}
	}
	// Amount formats: fen #,##0 (3), yuan #,##0.00 (4); times a custom date-time format.
	for _, tc := range []struct {
		column string
		numFmt int
	}{{"change_value", 3}, {"change_value_yuan", 4}, {"finished_at", -1}} {
		cell, _ := excelize.CoordinatesToCellName(col(tc.column), 3)
		if got := testNumFmt(t, f, ResultsSheet, cell); got != tc.numFmt {
			t.Errorf("%s number format = %d; want %d", tc.column, got, tc.numFmt)
		}
	}
	// yuan == fen/100 exactly on every row: the stored value is the decimal text, no float.
	raw, err := f.GetRows(ResultsSheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		row := raw[i+1]
		fenCell, yuanCell := row[col("change_value")-1], row[col("change_value_yuan")-1]
		if r.OperateType == 0 && r.ChangeValue == 0 {
			continue
		}
		if fenCell != strconv.FormatInt(r.ChangeValue, 10) || yuanCell != svbatch.FormatYuan(r.ChangeValue) {
			t.Errorf("row %d: fen %q yuan %q; want %d and %s", r.Line, fenCell, yuanCell, r.ChangeValue, svbatch.FormatYuan(r.ChangeValue))
		}
	}
	// No cell anywhere is a formula.
	for _, sh := range f.GetSheetList() {
		rows, _ := f.GetRows(sh)
		for r, row := range rows {
			for c := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if fm, _ := f.GetCellFormula(sh, cell); fm != "" {
					t.Errorf("%s!%s holds formula %q", sh, cell, fm)
				}
			}
		}
	}
	// Pass-through cells keep their text, quote-prefixed when it looks like a formula.
	evil, _ := excelize.CoordinatesToCellName(len(ResultsColumns)+2, 3)
	if got, _ := f.GetCellValue(ResultsSheet, evil); got != "=1+1" || !testQuotePrefixed(t, f, ResultsSheet, evil) {
		t.Errorf("pass-through %s = %q (quote-prefixed %v); want %q, quote-prefixed", evil, got, testQuotePrefixed(t, f, ResultsSheet, evil), "=1+1")
	}
}

func TestResultsSheetContinuation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string // what the case shows
		rows       int
		limit      int
		wantSheets []string
	}{
		{"exactly full first sheet", 4, 5, []string{"Results", "Summary", "Retry"}},
		{"one row over", 5, 5, []string{"Results", "Results (2)", "Summary", "Retry"}},
		{"three sheets, retry on two", 10, 5, []string{"Results", "Results (2)", "Results (3)", "Summary", "Retry", "Retry (2)"}},
		{"retry continues too", 30, 5, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rs := resGen(tc.rows)
			path := resWriteFile(t, t.TempDir(), "c.xlsx", rs, RunInfo{}, ResultsOptions{SheetRowLimit: tc.limit})
			f, err := excelize.OpenFile(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sheets := f.GetSheetList()
			if tc.wantSheets != nil && strings.Join(sheets, ",") != strings.Join(tc.wantSheets, ",") {
				t.Fatalf("sheets = %v; want %v", sheets, tc.wantSheets)
			}
			// Every Results/Retry sheet has the header and at most limit rows; together they hold
			// every row in order.
			var lines []string
			var retry int
			for _, sh := range sheets {
				isResults := strings.HasPrefix(sh, ResultsSheet)
				isRetry := strings.HasPrefix(sh, RetrySheet)
				if !isResults && !isRetry {
					continue
				}
				rows, _ := f.GetRows(sh)
				if len(rows) > tc.limit || len(rows) < 1 {
					t.Errorf("%s has %d rows; want 1..%d", sh, len(rows), tc.limit)
					continue
				}
				if isResults {
					if rows[0][0] != "row" {
						t.Errorf("%s header starts %q; want row", sh, rows[0][0])
					}
					for _, r := range rows[1:] {
						lines = append(lines, r[0])
					}
				} else {
					if rows[0][0] != svbatch.ColSourceRow || rows[0][len(svbatch.RetryColumns)] != resTestHeader[0] {
						t.Errorf("%s header starts %q; want %s, then the input's %q", sh, rows[0], svbatch.ColSourceRow, resTestHeader[0])
					}
					retry += len(rows) - 1
				}
			}
			if len(lines) != tc.rows {
				t.Fatalf("result rows = %d; want %d", len(lines), tc.rows)
			}
			for i, l := range lines {
				if l != strconv.Itoa(i+2) {
					t.Fatalf("result %d has row %s; want %d", i, l, i+2)
				}
			}
			wantRetry := 0
			for _, r := range rs {
				if r.NeedsAttention() {
					wantRetry++
				}
			}
			if retry != wantRetry {
				t.Errorf("retry rows = %d; want %d", retry, wantRetry)
			}
		})
	}
}

func TestResultsCSV(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rs := resGen(120)
	csvPath := resWriteFile(t, dir, "r.csv", rs, resInfo(), ResultsOptions{})
	xlsxPath := resWriteFile(t, dir, "r.xlsx", rs, resInfo(), ResultsOptions{})
	data, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) {
		t.Fatalf("CSV does not start with a UTF-8 BOM: % x", data[:min(3, len(data))])
	}
	recs, err := csv.NewReader(bytes.NewReader(data[3:])).ReadAll()
	if err != nil {
		t.Fatalf("CSV unreadable: %v", err)
	}
	// The CSV holds the same values as the Results sheet.
	f, err := excelize.OpenFile(xlsxPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet, _ := f.GetRows(ResultsSheet, excelize.Options{RawCellValue: true})
	if len(recs) != len(sheet) {
		t.Fatalf("CSV rows = %d; want %d", len(recs), len(sheet))
	}
	for i := range recs {
		// GetRows drops trailing empty cells; pad for comparison.
		want := append(sheet[i], make([]string, len(recs[i])-len(sheet[i]))...)
		for j, got := range recs[i] {
			w := want[j]
			kind := svbatch.KindText
			if j < len(svbatch.ResultColumns) && i > 0 {
				kind = svbatch.ResultColumns[j].Kind
			}
			switch kind {
			case svbatch.KindText:
				// The CSV form keeps the "'" before formula-like text; encoding/csv's reader turns
				// CR LF inside a quoted cell into LF.
				w = strings.ReplaceAll(SafeText(w), "\r\n", "\n")
			case svbatch.KindBool:
				w = map[string]string{"1": "true", "0": "false", "": ""}[w]
			case svbatch.KindTime:
				if w != "" {
					if tm, err := time.Parse(time.RFC3339, got); err != nil || !strings.HasSuffix(got, "+08:00") {
						t.Errorf("CSV row %d finished_at %q (%v): want RFC 3339 in GMT+8", i+1, got, tm)
					}
					continue
				}
			}
			if got != w {
				t.Fatalf("CSV row %d column %d = %q; want %q", i+1, j+1, got, w)
			}
		}
	}
	// Spot checks: exact ids, integer fen, CR LF kept inside a cell.
	if got := recs[1][4]; got != "100000000000000000" {
		t.Errorf("outer_order_id = %q; want 100000000000000000", got)
	}
	if got := recs[8][13]; got != "line\nbreak" && got != "line\r\nbreak" {
		t.Errorf("reason = %q; want the line break", got)
	}
	if strings.Contains(string(data), "s3cr3t") {
		t.Errorf("the secret appears in the CSV")
	}
}

func TestResultsRetrySheet(t *testing.T) {
	t.Parallel()
	rs := resGen(200)
	path := resWriteFile(t, t.TempDir(), "retry.xlsx", rs, RunInfo{}, ResultsOptions{})
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(RetrySheet)
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := append(append([]string(nil), svbatch.RetryColumns...), resTestHeader...)
	if got, want := strings.Join(rows[0], "|"), strings.Join(wantHeader, "|"); got != want {
		t.Fatalf("Retry header = %q; want svbatch's columns then the input's header %q", got, want)
	}
	var want [][]string
	var wantRes []*svbatch.Result
	for _, r := range rs {
		if r.NeedsAttention() {
			want = append(want, r.Raw)
			wantRes = append(wantRes, r)
		}
	}
	if len(rows)-1 != len(want) {
		t.Fatalf("Retry rows = %d; want %d", len(rows)-1, len(want))
	}
	nOwn := len(svbatch.RetryColumns)
	for i, w := range want {
		got := append(rows[i+1], make([]string, nOwn+len(w)-len(rows[i+1]))...)
		// The input's cells come back exactly (ids, amounts, even formula-like text): the sheet is
		// an input for svbatch run, and a changed identity would get another request_id.
		if strings.Join(got[nOwn:], "\x1f") != strings.Join(w, "\x1f") {
			t.Fatalf("Retry row %d = %q; want %q", i+2, got[nOwn:], w)
		}
		r := wantRes[i]
		if got[0] != strconv.Itoa(r.Line) || got[1] != string(r.Status) || got[2] != RetryReason(r, svbatch.LangEN) || got[2] == "" {
			t.Errorf("Retry row %d: source row %q, status %q, reason %q; want %d, %s, %q", i+2, got[0], got[1], got[2], r.Line, r.Status, RetryReason(r, svbatch.LangEN))
		}
	}
	// Every status that needs a person is there; succeeded and planned are not.
	seen := map[svbatch.Status]bool{}
	for _, r := range rs {
		if r.NeedsAttention() {
			seen[r.Status] = true
		}
	}
	for _, st := range []svbatch.Status{svbatch.Failed, svbatch.Unknown, svbatch.Skipped, svbatch.Conflict, svbatch.Invalid} {
		if !seen[st] {
			t.Errorf("status %s missing from Retry", st)
		}
	}
	for _, st := range []svbatch.Status{svbatch.Succeeded, svbatch.Planned} {
		if seen[st] {
			t.Errorf("status %s on Retry; want it absent", st)
		}
	}
	// All the input's Retry cells are text.
	for c := nOwn + 1; c <= nOwn+len(resTestHeader); c++ {
		cell, _ := excelize.CoordinatesToCellName(c, 2)
		if typ, _ := f.GetCellType(RetrySheet, cell); typ != excelize.CellTypeInlineString && typ != excelize.CellTypeUnset {
			t.Errorf("Retry %s type %v; want text", cell, typ)
		}
	}
	if typ, _ := f.GetCellType(RetrySheet, "J2"); typ != excelize.CellTypeInlineString {
		t.Errorf("Retry amount cell type %v; want text (as read)", typ)
	}
}

func TestResultsErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name string // what the case shows
		path string
		opt  ResultsOptions
		want string
	}{
		{"unknown extension", filepath.Join(dir, "r.txt"), ResultsOptions{}, "unsupported extension"},
		{"row limit of one", filepath.Join(dir, "r.xlsx"), ResultsOptions{SheetRowLimit: 1}, "sheet row limit"},
		{"row limit past Excel", filepath.Join(dir, "r.xlsx"), ResultsOptions{SheetRowLimit: MaxSheetRows + 1}, "sheet row limit"},
		{"missing directory", filepath.Join(dir, "nope", "r.csv"), ResultsOptions{}, "no such file"},
	}
	for _, tc := range tests {
		_, err := NewResults(tc.path, resTestHeader, nil, RunInfo{}, tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: NewResults error = %v; want it to mention %q", tc.name, err, tc.want)
		}
	}

	for _, ext := range []string{".xlsx", ".csv"} {
		path := filepath.Join(dir, "life"+ext)
		w, err := NewResults(path, resTestHeader, resTestExtraHeader, RunInfo{}, ResultsOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(nil); err == nil {
			t.Errorf("%s: Write(nil) = nil; want an error", ext)
		}
		if err := w.Write(resGen(1)[0]); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("%s: file exists before Close (%v); want it to appear only on Close", ext, err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := w.Write(resGen(1)[0]); err == nil {
			t.Errorf("%s: Write after Close = nil; want an error", ext)
		}
		if err := w.Close(); err != nil {
			t.Errorf("%s: second Close = %v; want nil", ext, err)
		}
	}
	// Only the finished files remain: no temporary files left behind.
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, ","); got != "life.csv,life.xlsx" {
		t.Errorf("directory holds %s; want life.csv,life.xlsx", got)
	}
}
