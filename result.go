package svbatch

import "time"

// Status is a row's state in a run (DESIGN.md §4).
type Status string

// Row states. pending → sending → succeeded | failed | unknown; also invalid, skipped, conflict,
// already_done (succeeded or failed in an earlier run; not resent), succeeded_after_fix (sent as
// corrected from a Retry sheet) and planned (--dry-run).
const (
	Pending     Status = "pending"
	Sending     Status = "sending"
	Succeeded   Status = "succeeded"
	Failed      Status = "failed"
	Unknown     Status = "unknown"
	Invalid     Status = "invalid"
	Skipped     Status = "skipped"
	Conflict    Status = "conflict"
	AlreadyDone Status = "already_done"
	Planned     Status = "planned"
	// SucceededAfterFix is a row of a file whose corrected version, fixed on a Retry sheet and sent
	// from there, succeeded: what moved is what the Retry round sent (the results show it).
	SucceededAfterFix Status = "succeeded_after_fix"
)

// NeedsAttention reports whether a row in status s did not take effect and needs a person or a
// rerun: failed, unknown, skipped, conflict, pending, sending (in flight when a run died) or
// invalid. Succeeded, already_done, succeeded_after_fix and planned rows need nothing.
func (s Status) NeedsAttention() bool {
	switch s {
	case Succeeded, AlreadyDone, SucceededAfterFix, Planned:
		return false
	}
	return true
}

// Answer is the gateway's last answer to a row: what the journal keeps and the Results sheet shows.
// Fields are empty when there was none.
type Answer struct {
	// The business answer, when one came.
	Answered   bool
	BizSuccess bool
	ResultOK   bool
	ResultCode string
	ResultDesc string

	// The last error, when the row did not succeed.
	ErrCode    int
	ErrMsg     string
	ErrSubCode string
	ErrSubMsg  string

	TraceID    string // the gateway's request_id (trace id)
	LatencyMS  int64
	FinishedAt time.Time
}

// Result is one input row's outcome, as the Results sheet shows it.
// ChangeValue is in fen. Fields of the answer are empty when there was none.
type Result struct {
	Line int // the row number as the user sees it in the sheet (header = 1)

	// The validated request (canonical values).
	BrandID, ShopID, OperatorID, OuterOrderID, NewOuterOrderID string
	OperateType                                                int
	ChangeValue                                                int64 // fen
	CustomerID, Mobile, OuterID, OuterType, Reason             string
	RequestID                                                  string

	Status   Status
	Note     string // why skipped/conflict/unknown etc., for a person
	Attempts int

	Answer // the gateway's last answer (empty when none)

	// Raw are the row's cells as read, in the input header's order (the Retry sheet uses them);
	// Extra are the cells of unknown columns that pass through, in the input header's order.
	Raw   []string
	Extra []string
}

// NeedsAttention reports whether the row belongs on the Retry sheet: its status needs attention
// (Status.NeedsAttention), or it is already_done with a recorded failure (rerun with --retry-failed).
func (r *Result) NeedsAttention() bool {
	if r.Status == AlreadyDone {
		if r.Answered {
			return !(r.BizSuccess && r.ResultOK)
		}
		return r.ErrCode != 0 || r.ErrSubCode != ""
	}
	return r.Status.NeedsAttention()
}
