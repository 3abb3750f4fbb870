package reconcile

import (
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"

	"svbatch/reports"
)

// SheetNames are the category sheets' names in the reconciliation workbook.
var SheetNames = map[Category]string{
	Matched: "Matched", Missing: "Missing", Unexpected: "Unexpected", AmountMismatch: "Amount mismatch",
	CustomerMismatch: "Customer mismatch", StatusMismatch: "Status mismatch", Duplicate: "Duplicate",
	BalanceMismatch: "Balance mismatch",
}

// WorkbookInfo is what the workbook says besides the report: the one timestamp, the inputs and the
// parameters (never a secret).
type WorkbookInfo struct {
	AsOf          time.Time
	Inputs        []reports.ReconciliationInput
	Params        [][2]string
	SheetRowLimit int // rows per category sheet, header included; 0 = Excel's limit
}

// Statement returns the net-difference statement in words.
func (r *Report) Statement() []string {
	var parts []string
	for c := Matched; c < BalanceMismatch; c++ {
		parts = append(parts, fmt.Sprintf("%s %+d", c, r.totals[c].Difference))
	}
	s := []string{
		fmt.Sprintf("actual total %d − expected total %d = net difference %+d fen", r.ActualTotal, r.ExpectedTotal, r.NetDifference()),
		fmt.Sprintf("sum of category differences: %s = %+d fen", strings.Join(parts, ", "), r.DifferenceSum()),
	}
	if r.Explained {
		s = append(s, "explained: every row read is in exactly one category and the category differences add up to the net difference")
	} else {
		s = append(s, "NOT explained: the category differences do not add up to the net difference, or a row was not categorised once")
	}
	return s
}

var rowColumns = []reports.ReconciliationColumn{
	{Name: "brand_id", Text: true, Width: 14}, {Name: "operate_type", Width: 13}, {Name: "outer_order_id", Text: true, Width: 22},
	{Name: "new_outer_order_id", Text: true, Width: 22}, {Name: "side", Width: 10}, {Name: "expected_row", Width: 13},
	{Name: "results_row", Width: 12}, {Name: "expected_change_value", Width: 22}, {Name: "actual_change_value", Width: 20},
	{Name: "difference", Width: 12}, {Name: "expected_status", Width: 16}, {Name: "status", Width: 13},
	{Name: "expected_customer", Text: true, Width: 30}, {Name: "actual_customer", Text: true, Width: 30}, {Name: "note", Width: 50},
}

var balanceColumns = []reports.ReconciliationColumn{
	{Name: "brand_id", Text: true, Width: 14}, {Name: "customer_id", Text: true, Width: 16}, {Name: "mobile", Text: true, Width: 14},
	{Name: "outer_type", Width: 11}, {Name: "outer_id", Text: true, Width: 20}, {Name: "expected_row", Width: 13}, {Name: "actual_row", Width: 11},
	{Name: "expected_available", Width: 19}, {Name: "actual_available", Width: 17}, {Name: "available_difference", Width: 21},
	{Name: "expected_frozen", Width: 16}, {Name: "actual_frozen", Width: 14}, {Name: "frozen_difference", Width: 18}, {Name: "note", Width: 50},
}

// entryCells is one Entry as a category sheet row.
func entryCells(e Entry, buf []any) []any {
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

func balanceCells(b BalanceEntry) []any {
	row := func(n int) any {
		if n == 0 {
			return nil
		}
		return int64(n)
	}
	return []any{b.BrandID, b.CustomerID, b.Mobile, b.OuterType, b.OuterID, row(b.ExpectedRow), row(b.ActualRow),
		b.ExpectedAvailable, b.ActualAvailable, b.AvailableDifference(), b.ExpectedFrozen, b.ActualFrozen, b.FrozenDifference(), b.Note}
}

// Workbook returns the report as the reports package's plain values: the Summary and one sheet per
// non-empty category, rows sorted by the identity (balances by account).
func (r *Report) Workbook(info WorkbookInfo) (reports.ReconciliationSummary, []reports.ReconciliationSheet) {
	sum := reports.ReconciliationSummary{
		AsOf: info.AsOf, Inputs: info.Inputs,
		ExpectedTotal: r.ExpectedTotal, ActualTotal: r.ActualTotal, NetDifference: r.NetDifference(),
		DifferenceSum: r.DifferenceSum(), Explained: r.Explained, Statement: r.Statement(),
		Params: append([][2]string{{"tolerance (fen)", strconv.FormatInt(r.Tolerance, 10)}}, info.Params...),
	}
	var sheets []reports.ReconciliationSheet
	for _, c := range Categories {
		t := r.totals[c]
		sum.Categories = append(sum.Categories, reports.ReconciliationLine{Name: c.String(), Count: t.Count, Amount: t.Amount,
			Expected: t.Expected, Actual: t.Actual, Difference: t.Difference})
		if t.Count == 0 {
			continue
		}
		if c == BalanceMismatch {
			sheets = append(sheets, reports.ReconciliationSheet{Name: SheetNames[c], Columns: balanceColumns,
				Rows: func(yield func([]any) bool) {
					for _, b := range r.balances {
						if !yield(balanceCells(b)) {
							return
						}
					}
				}})
			continue
		}
		sheets = append(sheets, reports.ReconciliationSheet{Name: SheetNames[c], Columns: rowColumns, Rows: r.rowCells(c)})
	}
	return sum, sheets
}

func (r *Report) rowCells(c Category) iter.Seq[[]any] {
	return func(yield func([]any) bool) {
		buf := make([]any, 0, len(rowColumns))
		for e := range r.Entries(c) {
			buf = entryCells(e, buf)
			if !yield(buf) {
				return
			}
		}
	}
}

// WriteWorkbook writes the reconciliation workbook to path (see reports.WriteReconciliationFile).
func (r *Report) WriteWorkbook(path string, info WorkbookInfo) error {
	sum, sheets := r.Workbook(info)
	return reports.WriteReconciliationFile(path, sum, sheets, reports.ReconciliationOptions{SheetRowLimit: info.SheetRowLimit})
}
