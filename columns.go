package svbatch

// ColumnKind is how a results column's cells are written: text (ids, statuses, user text), an
// integer number, a boolean, or a time.
type ColumnKind int

// Kinds of results columns.
const (
	KindText ColumnKind = iota
	KindNumber
	KindBool
	KindTime
	// KindYuan is an amount in fen (the cell's value is an int64 of fen) shown in yuan: a number
	// with two decimals, written exactly (fen/100 as decimal text, never through a float).
	KindYuan
)

// Names of the Results sheet's fixed columns: what readers of results files look up.
const (
	ColRow             = "row"
	ColBrandID         = "brand_id"
	ColShopID          = "shop_id"
	ColOperatorID      = "operator_id"
	ColOuterOrderID    = "outer_order_id"
	ColNewOuterOrderID = "new_outer_order_id"
	ColOperateType     = "operate_type"
	ColChangeValue     = "change_value"
	ColChangeValueYuan = "change_value_yuan" // change_value in yuan, beside it
	ColCustomerID      = "customer_id"
	ColMobile          = "mobile"
	ColOuterID         = "outer_id"
	ColOuterType       = "outer_type"
	ColReason          = "reason"
	ColRequestID       = "request_id"
	ColStatus          = "status"
	ColNote            = "note"
	ColAttempts        = "attempts"
	ColBizSuccess      = "biz_success"
	ColResult          = "result"
	ColResultCode      = "result_code"
	ColResultDesc      = "result_desc"
	ColErrorCode       = "error_code"
	ColErrorMsg        = "error_msg"
	ColErrorSubCode    = "error_sub_code"
	ColErrorSubMsg     = "error_sub_msg"
	ColTraceID         = "trace_id"
	ColLatencyMS       = "latency_ms"
	ColFinishedAt      = "finished_at"
)

// ResultColumn is one fixed column of the Results sheet (and the results CSV): its name, its kind,
// and its cell for a Result. Cell returns a string (KindText), int64 (KindNumber), bool (KindBool)
// or time.Time (KindTime), and ok=false for an empty cell.
type ResultColumn struct {
	Name string
	Kind ColumnKind
	Cell func(r *Result) (v any, ok bool)
}

func textCell(s string) (any, bool) { return s, s != "" }

// ResultColumns is the fixed header of the Results sheet, in order; the input's pass-through
// columns follow it. The results writer iterates it and every reader of results looks its columns
// up by name: it is the one definition of the results file's layout.
var ResultColumns = []ResultColumn{
	{ColRow, KindNumber, func(r *Result) (any, bool) { return int64(r.Line), true }},
	{ColBrandID, KindText, func(r *Result) (any, bool) { return textCell(r.BrandID) }},
	{ColShopID, KindText, func(r *Result) (any, bool) { return textCell(r.ShopID) }},
	{ColOperatorID, KindText, func(r *Result) (any, bool) { return textCell(r.OperatorID) }},
	{ColOuterOrderID, KindText, func(r *Result) (any, bool) { return textCell(r.OuterOrderID) }},
	{ColNewOuterOrderID, KindText, func(r *Result) (any, bool) { return textCell(r.NewOuterOrderID) }},
	{ColOperateType, KindNumber, func(r *Result) (any, bool) { return int64(r.OperateType), r.OperateType != 0 }},
	{ColChangeValue, KindNumber, func(r *Result) (any, bool) {
		return r.ChangeValue, r.ChangeValue != 0 || OperateType(r.OperateType).Valid()
	}},
	{ColChangeValueYuan, KindYuan, func(r *Result) (any, bool) {
		return r.ChangeValue, r.ChangeValue != 0 || OperateType(r.OperateType).Valid()
	}},
	{ColCustomerID, KindText, func(r *Result) (any, bool) { return textCell(r.CustomerID) }},
	{ColMobile, KindText, func(r *Result) (any, bool) { return textCell(r.Mobile) }},
	{ColOuterID, KindText, func(r *Result) (any, bool) { return textCell(r.OuterID) }},
	{ColOuterType, KindText, func(r *Result) (any, bool) { return textCell(r.OuterType) }},
	{ColReason, KindText, func(r *Result) (any, bool) { return textCell(r.Reason) }},
	{ColRequestID, KindText, func(r *Result) (any, bool) { return textCell(r.RequestID) }},
	{ColStatus, KindText, func(r *Result) (any, bool) { return textCell(string(r.Status)) }},
	{ColNote, KindText, func(r *Result) (any, bool) { return textCell(r.Note) }},
	{ColAttempts, KindNumber, func(r *Result) (any, bool) { return int64(r.Attempts), true }},
	{ColBizSuccess, KindBool, func(r *Result) (any, bool) { return r.BizSuccess, r.Answered }},
	{ColResult, KindBool, func(r *Result) (any, bool) { return r.ResultOK, r.Answered }},
	{ColResultCode, KindText, func(r *Result) (any, bool) { return textCell(r.ResultCode) }},
	{ColResultDesc, KindText, func(r *Result) (any, bool) { return textCell(r.ResultDesc) }},
	{ColErrorCode, KindNumber, func(r *Result) (any, bool) { return int64(r.ErrCode), r.ErrCode != 0 }},
	{ColErrorMsg, KindText, func(r *Result) (any, bool) { return textCell(r.ErrMsg) }},
	{ColErrorSubCode, KindText, func(r *Result) (any, bool) { return textCell(r.ErrSubCode) }},
	{ColErrorSubMsg, KindText, func(r *Result) (any, bool) { return textCell(r.ErrSubMsg) }},
	{ColTraceID, KindText, func(r *Result) (any, bool) { return textCell(r.TraceID) }},
	{ColLatencyMS, KindNumber, func(r *Result) (any, bool) { return r.LatencyMS, r.LatencyMS != 0 || r.Attempts > 0 }},
	{ColFinishedAt, KindTime, func(r *Result) (any, bool) { return r.FinishedAt, !r.FinishedAt.IsZero() }},
}

// ResultColumnNames are the names of ResultColumns, in order.
func ResultColumnNames() []string {
	names := make([]string, len(ResultColumns))
	for i, c := range ResultColumns {
		names[i] = c.Name
	}
	return names
}

// The Retry sheet's own columns, beside the user's: the row in the original file, its status and
// why it needs attention, in words. The batch reader drops exactly these columns (in either
// language, see Lang.Label) when a Retry sheet is read back: they are neither data nor pass-through.
const (
	ColSourceRow   = "source_row"
	ColRetryStatus = "retry_status"
	ColRetryReason = "retry_reason"
)

// RetryColumns are the Retry sheet's own columns, in order.
var RetryColumns = []string{ColSourceRow, ColRetryStatus, ColRetryReason}

// IsRetryColumn reports whether a header cell is one of RetryColumns, in either language.
func IsRetryColumn(h string) bool {
	n, ok := ResultColumnName(h)
	return ok && (n == ColSourceRow || n == ColRetryStatus || n == ColRetryReason)
}

// BalanceColumns is the header of a balances file: the sandbox's /sandbox/balances.csv export,
// an expected closing-balances file, and what reconcile reads. Amounts (available, frozen) in fen.
var BalanceColumns = []string{ColBrandID, ColCustomerID, ColMobile, ColOuterType, ColOuterID, "available", "frozen"}
