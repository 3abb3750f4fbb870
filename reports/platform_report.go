package reports

import (
	"fmt"
	"iter"
	"maps"

	"svbatch"
	"svbatch/reconcile"
)

// The three-way reconciliation's sheets, after the two-way ones: one per non-empty platform
// category and the balance proof (every account).
var (
	PlatformSheetNames = map[reconcile.PlatformCategory]string{
		reconcile.PlatformMatched: "Platform matched", reconcile.PlatformOnly: "Platform only",
		reconcile.ResultsOnly: "Results only", reconcile.PlatformAmountMismatch: "Platform mismatch",
	}
	PlatformSheetNamesZH = map[reconcile.PlatformCategory]string{
		reconcile.PlatformMatched: "平台一致", reconcile.PlatformOnly: "仅平台有", reconcile.ResultsOnly: "仅结果有",
		reconcile.PlatformAmountMismatch: "平台不符",
	}
)

// Balance-proof sheet names.
const (
	BalanceProofSheet   = "Balance proof"
	BalanceProofSheetZH = "余额证明"
)

// ProofFailedCategory is the Summary line counting the accounts whose balance proof failed.
const ProofFailedCategory = "balance_proof_failed"

var platformCategoryZH = map[string]string{
	"platform_only": "仅平台有（平台已入账，结果中没有）", "results_only": "仅结果有（结果成功，平台没有）",
	"platform_amount_mismatch": "平台不符（金额、类型或账户）", ProofFailedCategory: "余额证明未通过的账户",
}

var platformColumnZH = map[string]string{
	"shop_id": "门店ID", "customer": "顾客", "flow_id": "流水ID", "flow_type": "流水类型", "account_id": "账户ID",
	"order_time": "流水时间", "order_value": "流水金额(分)", "order_value_yuan": "流水金额(元)",
	"results_change_value": "结果金额(分)", "results_change_value_yuan": "结果金额(元)",
	"platform_change_value": "平台金额(分)", "platform_change_value_yuan": "平台金额(元)",
	"account_ids": "平台账户", "flows": "流水数", "opening": "期初余额(分)", "opening_yuan": "期初余额(元)",
	"flow_sum": "流水合计(分)", "flow_sum_yuan": "流水合计(元)", "computed_closing": "推算期末(分)", "computed_closing_yuan": "推算期末(元)",
	"closing": "平台期末(分)", "closing_yuan": "平台期末(元)", "proved": "已证明",
}

var platformEntryColumns = []ReconciliationColumn{
	{Name: "brand_id", Text: true, Width: 14}, {Name: "operate_type", Width: 13}, {Name: "outer_order_id", Text: true, Width: 22},
	{Name: "new_outer_order_id", Text: true, Width: 22}, {Name: "shop_id", Text: true, Width: 12}, {Name: "results_row", Width: 12},
	{Name: "status", Width: 13}, {Name: "customer", Text: true, Width: 30}, {Name: "flow_id", Text: true, Width: 14},
	{Name: "flow_type", Width: 11}, {Name: "account_id", Text: true, Width: 20}, {Name: "order_time", Width: 20},
	{Name: "order_value", Width: 14, Amount: true}, {Name: "results_change_value", Width: 21, Amount: true},
	{Name: "platform_change_value", Width: 22, Amount: true}, {Name: "difference", Width: 12, Amount: true}, {Name: "note", Width: 60},
}

var platformProofColumns = []ReconciliationColumn{
	{Name: "brand_id", Text: true, Width: 14}, {Name: "customer_id", Text: true, Width: 16}, {Name: "mobile", Text: true, Width: 14},
	{Name: "outer_type", Width: 11}, {Name: "outer_id", Text: true, Width: 20}, {Name: "shop_id", Text: true, Width: 12},
	{Name: "account_ids", Text: true, Width: 30}, {Name: "flows", Width: 8}, {Name: "opening", Width: 14, Amount: true},
	{Name: "flow_sum", Width: 14, Amount: true}, {Name: "computed_closing", Width: 17, Amount: true}, {Name: "closing", Width: 14, Amount: true},
	{Name: "difference", Width: 12, Amount: true}, {Name: "proved", Width: 9}, {Name: "note", Width: 60},
}

// platformColumns localises cols as the two-way sheets' columns are, with the platform's own names.
func platformColumns(cols []ReconciliationColumn, l svbatch.Lang) []ReconciliationColumn {
	out := recLocalColumns(cols, l)
	if l != svbatch.LangZH {
		return out
	}
	for i := range out {
		if zh, ok := platformColumnZH[cols[i].Name]; ok {
			out[i].Name = zh
		}
		if zh, ok := platformColumnZH[cols[i].Name+"_yuan"]; ok {
			out[i].Yuan = zh
		}
	}
	return out
}

// PlatformReconciliationWorkbook is ReconciliationWorkbook with the three-way part: the Summary
// gets a line per platform break category (platform_only, results_only, platform_amount_mismatch,
// and the accounts whose balance proof failed; Expected is the results' side, Actual the
// platform's), the platform statement, and the verdict covers both; the sheets get one per
// non-empty platform category and the balance proof of every account.
func PlatformReconciliationWorkbook(r *reconcile.Report, p *reconcile.PlatformReport, info ReconciliationInfo) (ReconciliationSummary, []ReconciliationSheet) {
	sum, sheets := ReconciliationWorkbook(r, info)
	sum.AllMatched = sum.AllMatched && p.AllMatched()
	if sum.Labels != nil {
		labels := maps.Clone(sum.Labels)
		maps.Copy(labels, platformCategoryZH)
		sum.Labels = labels
	}
	for _, c := range reconcile.PlatformCategories {
		if c == reconcile.PlatformMatched {
			continue // not a break: the statement counts it
		}
		t := p.Totals(c)
		sum.Categories = append(sum.Categories, ReconciliationLine{Name: c.String(), Count: t.Count, Amount: t.Amount,
			Expected: t.Expected, Actual: t.Actual, Difference: t.Difference})
	}
	failed := ReconciliationLine{Name: ProofFailedCategory}
	for _, e := range p.Failed() {
		failed.Count++
		if d, ok := absDiff(e.Difference); ok {
			if s, ok := svbatch.AddFen(failed.Amount, d); ok {
				failed.Amount = s
			}
		}
	}
	sum.Categories = append(sum.Categories, failed)
	sum.Statement = append(sum.Statement, fmt.Sprintf("platform_matched: %d rows agree with a flow on the platform (%d fen)",
		p.Totals(reconcile.PlatformMatched).Count, p.Totals(reconcile.PlatformMatched).Amount))
	sum.Statement = append(sum.Statement, p.Statement()...)

	names, proofName := PlatformSheetNames, BalanceProofSheet
	if info.Lang == svbatch.LangZH {
		names, proofName = PlatformSheetNamesZH, BalanceProofSheetZH
	}
	entryCols, proofCols := platformColumns(platformEntryColumns, info.Lang), platformColumns(platformProofColumns, info.Lang)
	for _, c := range reconcile.PlatformCategories {
		if p.Totals(c).Count == 0 {
			continue
		}
		sheets = append(sheets, ReconciliationSheet{Name: names[c], Columns: entryCols, Rows: platformEntryRows(p.Entries(c), info.Lang)})
	}
	sheets = append(sheets, ReconciliationSheet{Name: proofName, Columns: proofCols, Rows: platformProofRows(p.Proofs(), info.Lang)})
	return sum, sheets
}

func absDiff(v int64) (int64, bool) {
	if v < 0 {
		return svbatch.SubFen(0, v)
	}
	return v, true
}

func platformEntryRows(es []reconcile.PlatformEntry, l svbatch.Lang) iter.Seq[[]any] {
	return func(yield func([]any) bool) {
		buf := make([]any, 0, len(platformEntryColumns))
		for _, e := range es {
			var op, row, ov, ra, pa any
			if e.OperateType != 0 {
				op = int64(e.OperateType)
			}
			if e.ResultsRow != 0 {
				row = int64(e.ResultsRow)
			}
			if e.HasFlow {
				ov, pa = e.OrderValue, e.PlatformAmount
			}
			if e.HasResult {
				ra = e.ResultsAmount
			}
			buf = append(buf[:0], e.BrandID, op, e.OuterOrderID, e.NewOuterOrderID, e.ShopID, row, recStatus(l, e.Status),
				e.Customer.String(), e.FlowID, e.FlowType, e.AccountID, e.OrderTime, ov, ra, pa, e.Difference, e.Note)
			if !yield(buf) {
				return
			}
		}
	}
}

func platformProofRows(ps []reconcile.ProofEntry, l svbatch.Lang) iter.Seq[[]any] {
	return func(yield func([]any) bool) {
		for _, e := range ps {
			var closing, diff any
			if e.HasClosing {
				closing, diff = e.Closing, e.Difference
			}
			proved := pick(l, "yes", "是")
			if !e.Proved {
				proved = pick(l, "NO", "否")
			}
			if !yield([]any{e.BrandID, e.CustomerID, e.Mobile, e.OuterType, e.OuterID, e.ShopID, e.AccountIDs, int64(e.Flows),
				e.Opening, e.FlowSum, e.Computed, closing, diff, proved, e.Note}) {
				return
			}
		}
	}
}

// WritePlatformReconciliationReport writes the three-way reconciliation workbook to path (see
// PlatformReconciliationWorkbook and WriteReconciliationFile).
func WritePlatformReconciliationReport(path string, r *reconcile.Report, p *reconcile.PlatformReport, info ReconciliationInfo) error {
	sum, sheets := PlatformReconciliationWorkbook(r, p, info)
	return WriteReconciliationFile(path, sum, sheets, ReconciliationOptions{SheetRowLimit: info.SheetRowLimit, Check: r.Err})
}
