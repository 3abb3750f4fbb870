package reports

import (
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"svbatch"
	"svbatch/reconcile"
)

// ReconciliationSheetNames are the category sheets' names in the reconciliation workbook.
var ReconciliationSheetNames = map[reconcile.Category]string{
	reconcile.Matched: "Matched", reconcile.Missing: "Missing", reconcile.Unexpected: "Unexpected", reconcile.AmountMismatch: "Amount mismatch",
	reconcile.CustomerMismatch: "Customer mismatch", reconcile.StatusMismatch: "Status mismatch", reconcile.Duplicate: "Duplicate",
	reconcile.WithinTolerance: "Within tolerance",
	reconcile.BalanceMismatch: "Balance mismatch",
}

// ReconciliationSheetNamesZH are the category sheets' names in Chinese (--lang zh).
var ReconciliationSheetNamesZH = map[reconcile.Category]string{
	reconcile.Matched: "一致", reconcile.Missing: "缺失", reconcile.Unexpected: "多出", reconcile.AmountMismatch: "金额不符",
	reconcile.CustomerMismatch: "顾客不符", reconcile.StatusMismatch: "状态不符", reconcile.Duplicate: "重复",
	reconcile.WithinTolerance: "容差内", reconcile.BalanceMismatch: "余额不符",
}

// recCategoryZH names the categories in Chinese on the Summary sheet.
var recCategoryZH = map[string]string{
	"matched": "一致", "missing": "缺失（预期有，未成功）", "unexpected": "多出（成功了，但预期没有）", "amount_mismatch": "金额不符",
	"customer_mismatch": "顾客不符", "status_mismatch": "状态不符", "duplicate": "重复", "within_tolerance": "容差内",
	"balance_mismatch": "余额不符",
}

// recColumnZH are the category sheets' headers in Chinese.
var recColumnZH = map[string]string{
	"brand_id": "品牌ID", "operate_type": "操作类型", "outer_order_id": "外部订单号", "new_outer_order_id": "回退单号",
	"side": "来源", "expected_row": "预期台账行号", "results_row": "结果行号", "expected_change_value": "预期金额(分)",
	"expected_change_value_yuan": "预期金额(元)", "actual_change_value": "实际金额(分)", "actual_change_value_yuan": "实际金额(元)",
	"difference": "差额(分)", "difference_yuan": "差额(元)", "expected_status": "预期状态", "status": "状态",
	"expected_customer": "预期顾客", "actual_customer": "实际顾客", "note": "说明",
	"customer_id": "顾客ID", "mobile": "手机号", "outer_type": "外部ID类型", "outer_id": "外部ID", "actual_row": "实际余额行号",
	"expected_available": "预期可用余额(分)", "expected_available_yuan": "预期可用余额(元)", "actual_available": "实际可用余额(分)",
	"actual_available_yuan": "实际可用余额(元)", "available_difference": "可用余额差额(分)", "available_difference_yuan": "可用余额差额(元)",
	"expected_frozen": "预期冻结(分)", "expected_frozen_yuan": "预期冻结(元)", "actual_frozen": "实际冻结(分)", "actual_frozen_yuan": "实际冻结(元)",
	"frozen_difference": "冻结差额(分)", "frozen_difference_yuan": "冻结差额(元)",
}

// recLocalColumns returns cols with headers in language l.
func recLocalColumns(cols []ReconciliationColumn, l svbatch.Lang) []ReconciliationColumn {
	out := append([]ReconciliationColumn(nil), cols...)
	for i := range out {
		out[i].Yuan = out[i].Name + "_yuan"
		if l == svbatch.LangZH {
			if zh, ok := recColumnZH[out[i].Name]; ok {
				out[i].Name = zh
			}
			if zh, ok := recColumnZH[out[i].Yuan]; ok {
				out[i].Yuan = zh
			}
		}
	}
	return out
}

// ReconciliationInfo is what the workbook says besides the report: the one timestamp, the inputs and the
// parameters (never a secret).
type ReconciliationInfo struct {
	AsOf          time.Time
	Inputs        []ReconciliationInput
	Params        [][2]string
	SheetRowLimit int // rows per category sheet, header included; 0 = Excel's limit
	// Lang is the workbook's language ("" = English); TZ the zone of the as-of time (nil = GMT+8).
	Lang svbatch.Lang
	TZ   *time.Location
	// MatchedCSV, when set, is where the Matched rows go instead of the workbook (a CSV beside
	// it): the workbook's Matched sheet then says where they are. Nothing else changes. A million
	// matched rows take most of a workbook's writing time and size, and nobody reads them in Excel.
	MatchedCSV string
}

// DefaultMatchedCSVAbove is how many matched rows the reconciliation workbook holds before they
// go to a CSV beside it instead (reconcile --matched-csv-above).
const DefaultMatchedCSVAbove = 100_000

// MatchedCSVPath is the CSV the Matched rows of the workbook at path go to: <stem>.matched.csv.
func MatchedCSVPath(path string) string {
	return strings.TrimSuffix(path, filepath.Ext(path)) + ".matched.csv"
}

var recRowColumns = []ReconciliationColumn{
	{Name: "brand_id", Text: true, Width: 14}, {Name: "operate_type", Width: 13}, {Name: "outer_order_id", Text: true, Width: 22},
	{Name: "new_outer_order_id", Text: true, Width: 22}, {Name: "side", Width: 10}, {Name: "expected_row", Width: 13},
	{Name: "results_row", Width: 12}, {Name: "expected_change_value", Width: 22, Amount: true}, {Name: "actual_change_value", Width: 20, Amount: true},
	{Name: "difference", Width: 12, Amount: true}, {Name: "expected_status", Width: 16}, {Name: "status", Width: 13},
	{Name: "expected_customer", Text: true, Width: 30}, {Name: "actual_customer", Text: true, Width: 30}, {Name: "note", Width: 50},
}

var recBalanceColumns = []ReconciliationColumn{
	{Name: "brand_id", Text: true, Width: 14}, {Name: "customer_id", Text: true, Width: 16}, {Name: "mobile", Text: true, Width: 14},
	{Name: "outer_type", Width: 11}, {Name: "outer_id", Text: true, Width: 20}, {Name: "expected_row", Width: 13}, {Name: "actual_row", Width: 11},
	{Name: "expected_available", Width: 19, Amount: true}, {Name: "actual_available", Width: 17, Amount: true}, {Name: "available_difference", Width: 21, Amount: true},
	{Name: "expected_frozen", Width: 16, Amount: true}, {Name: "actual_frozen", Width: 14, Amount: true}, {Name: "frozen_difference", Width: 18, Amount: true}, {Name: "note", Width: 50},
}

// entryCells is one Entry as a category sheet row.
func entryCells(e reconcile.Entry, buf []any, l svbatch.Lang) []any {
	num := func(n int64, ok bool) any {
		if !ok {
			return nil
		}
		return n
	}
	row := func(n int) any {
		if n == 0 {
			return nil
		}
		return int64(n)
	}
	buf = append(buf[:0], e.BrandID, int64(e.OperateType), e.OuterOrderID, e.NewOuterOrderID, e.Side,
		row(e.ExpectedRow), row(e.ResultsRow), num(e.ExpectedAmount, e.HasExpected), num(e.ActualAmount, e.HasResult),
		e.Difference, recStatus(l, e.ExpectedStatus), recStatus(l, e.Status), e.ExpectedCustomer.String(), e.ActualCustomer.String(), e.Note)
	if l == svbatch.LangZH {
		buf[4] = map[string]any{"expected": "预期台账", "results": "运行结果", "": ""}[e.Side]
	}
	return buf
}

func balanceCells(b reconcile.BalanceEntry) []any {
	row := func(n int) any {
		if n == 0 {
			return nil
		}
		return int64(n)
	}
	return []any{b.BrandID, b.CustomerID, b.Mobile, b.OuterType, b.OuterID, row(b.ExpectedRow), row(b.ActualRow),
		b.ExpectedAvailable, b.ActualAvailable, b.AvailableDifference(), b.ExpectedFrozen, b.ActualFrozen, b.FrozenDifference(), b.Note}
}

// recStatus is a status as the workbook shows it in language l (other words as they are).
func recStatus(l svbatch.Lang, s string) string {
	if st, ok := svbatch.ParseStatus(s); ok {
		return l.StatusLabel(st)
	}
	if s == "absent" && l == svbatch.LangZH {
		return "无此行"
	}
	return s
}

// ReconciliationWorkbook returns a reconciliation report as the workbook's plain values: the
// Summary and one sheet per non-empty category, rows sorted by the identity (balances by account).
func ReconciliationWorkbook(r *reconcile.Report, info ReconciliationInfo) (ReconciliationSummary, []ReconciliationSheet) {
	sum := ReconciliationSummary{
		AsOf: info.AsOf, Inputs: info.Inputs,
		ExpectedTotal: r.ExpectedTotal, ActualTotal: r.ActualTotal, NetDifference: r.NetDifference(),
		DifferenceSum: r.DifferenceSum(), Explained: r.Explained, AllMatched: r.AllMatched(), Statement: r.Statement(),
		Lang: info.Lang, TZ: info.TZ,
		Params: append([][2]string{{"tolerance (fen)", strconv.FormatInt(r.Tolerance, 10)}, {"net tolerance (fen)", strconv.FormatInt(r.NetTolerance, 10)}}, info.Params...),
	}
	if info.Lang == svbatch.LangZH {
		sum.Labels = recCategoryZH
	}
	names := ReconciliationSheetNames
	if info.Lang == svbatch.LangZH {
		names = ReconciliationSheetNamesZH
	}
	rowCols, balCols := recLocalColumns(recRowColumns, info.Lang), recLocalColumns(recBalanceColumns, info.Lang)
	var sheets []ReconciliationSheet
	for _, c := range reconcile.Categories {
		t := r.Totals(c)
		sum.Categories = append(sum.Categories, ReconciliationLine{Name: c.String(), Count: t.Count, Amount: t.Amount,
			Expected: t.Expected, Actual: t.Actual, Difference: t.Difference})
		if t.Count == 0 {
			continue
		}
		if c == reconcile.BalanceMismatch {
			sheets = append(sheets, ReconciliationSheet{Name: names[c], Columns: balCols,
				Rows: func(yield func([]any) bool) {
					for _, b := range r.Balances() {
						if !yield(balanceCells(b)) {
							return
						}
					}
				}})
			continue
		}
		if c == reconcile.Matched && info.MatchedCSV != "" {
			msg := fmt.Sprintf("The %d matched rows are in %s (a CSV beside this workbook: past the size a workbook holds comfortably).", t.Count, filepath.Base(info.MatchedCSV))
			if info.Lang == svbatch.LangZH {
				msg = fmt.Sprintf("%d 行一致记录在 %s（本工作簿旁的 CSV 文件：行数太多，不放进工作簿）。", t.Count, filepath.Base(info.MatchedCSV))
			}
			sheets = append(sheets, ReconciliationSheet{Name: names[c], Columns: []ReconciliationColumn{{Name: "note", Width: 100}},
				Rows: func(yield func([]any) bool) { yield([]any{msg}) }})
			continue
		}
		sheets = append(sheets, ReconciliationSheet{Name: names[c], Columns: rowCols, Rows: recRowCells(r, c, info.Lang)})
	}
	return sum, sheets
}

// WriteMatchedCSV writes the Matched rows of r to path, as UTF-8 CSV with a BOM under the
// category sheets' header, amounts in fen (and yuan), text that starts like a formula prefixed
// with ' (as svbatch's CSV outputs are): atomically, 0644. The bytes are encoding/csv's for those
// fields (see matchedCSV).
func WriteMatchedCSV(path string, r *reconcile.Report, l svbatch.Lang) error {
	f, err := resCreateTemp(path)
	if err != nil {
		return err
	}
	aw := newAsyncWriter(f, 1<<20)
	m := newMatchedCSV(l)
	line := []byte("\uFEFF")
	line = m.appendHeader(line)
	_, werr := aw.Write(line)
	for e := range r.Entries(reconcile.Matched) {
		if werr != nil {
			break
		}
		line = m.appendEntry(line[:0], &e)
		_, werr = aw.Write(line)
	}
	if cerr := aw.Close(); cerr != nil {
		werr = cerr // the write error itself, not errAsyncFailed
	}
	if werr == nil {
		werr = r.Err() // the partitioned mode's entries could not all be read back
	}
	if werr != nil {
		_ = f.Close()
		_ = os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", path, werr)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("save %s: %w", path, err)
	}
	return nil
}

func recRowCells(r *reconcile.Report, c reconcile.Category, l svbatch.Lang) iter.Seq[[]any] {
	return func(yield func([]any) bool) {
		buf := make([]any, 0, len(recRowColumns))
		for e := range r.Entries(c) {
			buf = entryCells(e, buf, l)
			if !yield(buf) {
				return
			}
		}
	}
}

// WriteReconciliationReport writes the reconciliation workbook of r to path (see
// WriteReconciliationFile), and the matched CSV when info.MatchedCSV is set. r may be partitioned
// (reconcile.Options.Partitions): the files are the same.
//
// The matched CSV and the workbook (whose Matched sheet then only says where the rows are) are
// written at the same time, on two cores; the workbook is saved only once the CSV is, so that a
// failed CSV still leaves no workbook, and its error is the one returned.
func WriteReconciliationReport(path string, r *reconcile.Report, info ReconciliationInfo) error {
	if info.MatchedCSV == "" {
		sum, sheets := ReconciliationWorkbook(r, info)
		return WriteReconciliationFile(path, sum, sheets, ReconciliationOptions{SheetRowLimit: info.SheetRowLimit, Check: r.Err})
	}
	done := make(chan error, 1)
	go func() { done <- WriteMatchedCSV(info.MatchedCSV, r, info.Lang) }()
	var csvErr error
	waited := false
	wait := func() error {
		if !waited {
			csvErr, waited = <-done, true
		}
		return csvErr
	}
	sum, sheets := ReconciliationWorkbook(r, info)
	err := WriteReconciliationFile(path, sum, sheets, ReconciliationOptions{SheetRowLimit: info.SheetRowLimit, Check: func() error {
		if err := wait(); err != nil {
			return err
		}
		return r.Err()
	}})
	if cerr := wait(); cerr != nil {
		return cerr
	}
	return err
}
