package batch

import (
	"fmt"

	"svbatch"
	"svbatch/journal"
)

// ResultOf is row's line on the Results sheet, from its journal entry (ok = the journal has one) and
// the current run's id. A row the journal does not know was not reached: pending. A row that
// succeeded in an earlier run is already_done; one that failed in an earlier run stays failed.
func ResultOf(row Row, e journal.Entry, ok bool, runID int64) svbatch.Result {
	q := row.Req
	r := svbatch.Result{
		Line: row.Line, BrandID: q.BrandID, ShopID: q.ShopID, OperatorID: q.OperatorID, OuterOrderID: q.OuterOrderID,
		NewOuterOrderID: q.NewOuterOrderID, OperateType: int(q.OperateType), ChangeValue: q.ChangeValue,
		CustomerID: q.CustomerID, Mobile: q.Mobile, OuterID: q.OuterID, OuterType: q.OuterType, Reason: q.Reason,
		RequestID: q.RequestID, Status: svbatch.Pending, Raw: row.Raw, Extra: row.Extra,
	}
	if !ok {
		r.Note = "not sent in this run; a rerun sends it"
		return r
	}
	r.RequestID = e.RequestID
	r.Status, r.Note, r.Attempts = e.State, e.Note, e.Attempts
	earlier := e.RunID != runID
	switch {
	case earlier && (r.Status == svbatch.Succeeded || r.Status == svbatch.AlreadyDone):
		r.Status = svbatch.AlreadyDone
		r.Note = "succeeded in an earlier run; not resent"
	case earlier && r.Status == svbatch.Failed:
		r.Note = "failed in an earlier run; not resent (fix the cause, then rerun with --retry-failed)"
	case r.Status == svbatch.Sending:
		r.Status = svbatch.Unknown
		r.Note = "the run stopped while this row was in flight; a rerun resends it with the same request_id (safe)"
	}
	// The row as the file has it now against what the gateway was sent.
	if e.PayloadHash != "" && e.PayloadHash != PayloadHash(row.Req) {
		switch r.Status {
		case svbatch.Succeeded, svbatch.AlreadyDone, svbatch.Unknown:
			r.Note = fmt.Sprintf("conflict: sent earlier with other values (that send is %s; the gateway keeps the first): put the row back as it was, or correct the account by hand", r.Status)
			r.Status = svbatch.Conflict
		case svbatch.Failed:
			r.Note = "failed earlier; the row has changed since: rerun with --retry-failed to send the corrected row"
		}
	}
	r.Answered, r.BizSuccess, r.ResultOK, r.ResultCode, r.ResultDesc = e.Answered, e.BizSuccess, e.ResultOK, e.ResultCode, e.ResultDesc
	r.ErrCode, r.ErrMsg, r.ErrSubCode, r.ErrSubMsg = e.ErrCode, e.ErrMsg, e.ErrSubCode, e.ErrSubMsg
	r.TraceID, r.LatencyMS, r.FinishedAt = e.TraceID, e.LatencyMS, e.FinishedAt
	return r
}
