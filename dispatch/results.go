package dispatch

import (
	"fmt"
	"path/filepath"
	"strings"

	"svbatch"
	"svbatch/batch"
	"svbatch/journal"
)

// ResolvedNote starts the journal note of a row svbatch resolve decided by asking the platform
// (its evidence follows): the results keep showing it after the row's own note.
const ResolvedNote = "resolved by asking the platform: "

// ResultOf is row's line on the Results sheet, from its journal entry (ok = the journal has one),
// the current run's id and its round (Config.FixRound). A row the journal does not know was not
// reached: pending. A row that succeeded in an earlier run is already_done; one that failed in an
// earlier run stays failed; one fixed on a Retry sheet and sent from there is succeeded_after_fix,
// with the values that were sent.
func ResultOf(row batch.Row, e journal.Entry, ok bool, runID int64, round string) svbatch.Result {
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
	if r.Status == svbatch.Sending {
		r.Status = svbatch.Unknown
		r.Note = "the run stopped while this row was in flight; a rerun resends it with the same request_id (safe)"
	}
	// The row as the file has it now against what the journal holds, by the rules the send path
	// applied (or a rerun would). A row this run handled shows what this run did, unless the file
	// now differs from what was sent.
	p := PriorOf(e, true, row.Req, round, false)
	v := Decide(p)
	earlier := e.RunID != runID
	switch {
	case v.Send:
	case v.Status == svbatch.SucceededAfterFix:
		r.Status = v.Status
		if s, ok := SentOf(e); ok {
			r.Note = fmt.Sprintf("fixed on the Retry sheet of %s and sent from there, where it succeeded: %s moved, not the %s this file has; not resent",
				filepath.Base(s.Round), svbatch.FormatYuan(s.ChangeValue)+" yuan", svbatch.FormatYuan(q.ChangeValue)+" yuan")
			r.ChangeValue, r.ShopID, r.OperatorID, r.Reason = s.ChangeValue, s.ShopID, s.OperatorID, s.Reason
			r.CustomerID, r.Mobile, r.OuterID, r.OuterType = s.CustomerID, s.Mobile, s.OuterID, s.OuterType
		}
	case v.Status == svbatch.Conflict, earlier:
		r.Status, r.Note = v.Status, v.Note
	case v.Status == svbatch.Failed && p.Changed:
		r.Note = v.Note // failed in this run, and the row has changed since
	}
	if strings.HasPrefix(e.Note, ResolvedNote) && r.Note != e.Note {
		r.Note += "; " + e.Note // the evidence stays visible
	}
	r.Answer = e.Answer
	return r
}
