package reports

import (
	"iter"
	"strconv"
	"time"

	"svbatch/reconcile"
)

// ReconciliationSheetNames are the category sheets' names in the reconciliation workbook.
var ReconciliationSheetNames = map[reconcile.Category]string{
	reconcile.Matched: "Matched", reconcile.Missing: "Missing", reconcile.Unexpected: "Unexpected", reconcile.AmountMismatch: "Amount mismatch",
	reconcile.CustomerMismatch: "Customer mismatch", reconcile.StatusMismatch: "Status mismatch", reconcile.Duplicate: "Duplicate",
	reconcile.WithinTolerance: "Within tolerance",
	reconcile.BalanceMismatch: "Balance mismatch",
}

// ReconciliationInfo is what the workbook says besides the report: the one timestamp, the inputs and the
// parameters (never a secret).
type ReconciliationInfo struct {
	AsOf          time.Time
	Inputs        []ReconciliationInput
	Params        [][2]string
	SheetRowLimit int // rows per category sheet, header included; 0 = Excel's limit
}

var recRowColumns = []ReconciliationColumn{
	{Name: "brand_id", Text: true, Width: 14}, {Name: "operate_type", Width: 13}, {Name: "outer_order_id", Text: true, Width: 22},
	{Name: "new_outer_order_id", Text: true, Width: 22}, {Name: "side", Width: 10}, {Name: "expected_row", Width: 13},
	{Name: "results_row", Width: 12}, {Name: "expected_change_value", Width: 22}, {Name: "actual_change_value", Width: 20},
	{Name: "difference", Width: 12}, {Name: "expected_status", Width: 16}, {Name: "status", Width: 13},
	{Name: "expected_customer", Text: true, Width: 30}, {Name: "actual_customer", Text: true, Width: 30}, {Name: "note", Width: 50},
}

var recBalanceColumns = []ReconciliationColumn{
	{Name: "brand_id", Text: true, Width: 14}, {Name: "customer_id", Text: true, Width: 16}, {Name: "mobile", Text: true, Width: 14},
	{Name: "outer_type", Width: 11}, {Name: "outer_id", Text: true, Width: 20}, {Name: "expected_row", Width: 13}, {Name: "actual_row", Width: 11},
	{Name: "expected_available", Width: 19}, {Name: "actual_available", Width: 17}, {Name: "available_difference", Width: 21},
	{Name: "expected_frozen", Width: 16}, {Name: "actual_frozen", Width: 14}, {Name: "frozen_difference", Width: 18}, {Name: "note", Width: 50},
}

// entryCells is one Entry as a category sheet row.
func entryCells(e reconcile.Entry, buf []any) []any {
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
		e.Difference, e.ExpectedStatus, e.Status, e.ExpectedCustomer.String(), e.ActualCustomer.String(), e.Note)
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

// ReconciliationWorkbook returns a reconciliation report as the workbook's plain values: the
// Summary and one sheet per non-empty category, rows sorted by the identity (balances by account).
func ReconciliationWorkbook(r *reconcile.Report, info ReconciliationInfo) (ReconciliationSummary, []ReconciliationSheet) {
	sum := ReconciliationSummary{
		AsOf: info.AsOf, Inputs: info.Inputs,
		ExpectedTotal: r.ExpectedTotal, ActualTotal: r.ActualTotal, NetDifference: r.NetDifference(),
		DifferenceSum: r.DifferenceSum(), Explained: r.Explained, Statement: r.Statement(),
		Params: append([][2]string{{"tolerance (fen)", strconv.FormatInt(r.Tolerance, 10)}, {"net tolerance (fen)", strconv.FormatInt(r.NetTolerance, 10)}}, info.Params...),
	}
	var sheets []ReconciliationSheet
	for _, c := range reconcile.Categories {
		t := r.Totals(c)
		sum.Categories = append(sum.Categories, ReconciliationLine{Name: c.String(), Count: t.Count, Amount: t.Amount,
			Expected: t.Expected, Actual: t.Actual, Difference: t.Difference})
		if t.Count == 0 {
			continue
		}
		if c == reconcile.BalanceMismatch {
			sheets = append(sheets, ReconciliationSheet{Name: ReconciliationSheetNames[c], Columns: recBalanceColumns,
				Rows: func(yield func([]any) bool) {
					for _, b := range r.Balances() {
						if !yield(balanceCells(b)) {
							return
						}
					}
				}})
			continue
		}
		sheets = append(sheets, ReconciliationSheet{Name: ReconciliationSheetNames[c], Columns: recRowColumns, Rows: recRowCells(r, c)})
	}
	return sum, sheets
}

func recRowCells(r *reconcile.Report, c reconcile.Category) iter.Seq[[]any] {
	return func(yield func([]any) bool) {
		buf := make([]any, 0, len(recRowColumns))
		for e := range r.Entries(c) {
			buf = entryCells(e, buf)
			if !yield(buf) {
				return
			}
		}
	}
}

// WriteReconciliationReport writes the reconciliation workbook of r to path (see
// WriteReconciliationFile).
func WriteReconciliationReport(path string, r *reconcile.Report, info ReconciliationInfo) error {
	sum, sheets := ReconciliationWorkbook(r, info)
	return WriteReconciliationFile(path, sum, sheets, ReconciliationOptions{SheetRowLimit: info.SheetRowLimit})
}
