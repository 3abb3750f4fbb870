// Package resolve asks the platform what became of the rows a journal holds as unknown (no
// definitive answer) or sending (in flight when a run died), instead of resending them blind. TOP
// has no look-up by request_id, but flowdetail.get finds the flow an operation left by its
// outer_order_id (a refund's by its new_outer_order_id). A row is then:
//   - succeeded: the platform holds a flow of the row's type and amount (the evidence: its flow_id);
//   - conflict: it holds a flow of the row's type with another amount;
//   - pending: it holds none, and the row was last sent longer ago than the visibility lag: not
//     applied, safe to resend with the same request_id;
//   - still unknown: too recent to tell, the platform could not be asked, or it holds flows of
//     other types only for that order.
//
// Every decision is journaled with its evidence. resolve only reads: it never sends an operation.
package resolve

import (
	"context"
	"errors"
	"fmt"
	"time"

	"svbatch"
	"svbatch/client"
	"svbatch/dispatch"
	"svbatch/journal"
)

// InFlightMargin is how long after a row was marked sending its request may still have gone out
// when the run died without an answer: the wait for a send slot and the rate limiter, a
// flow-control ban (--max-ban-wait, 2m), an outage (--outage-wait, 2m), and six attempts with
// their timeouts and backoff. A sending row is "not found" only once the visibility lag has passed
// after that too.
const InFlightMargin = 10 * time.Minute

// lastSend is the last moment a row marked sending may have reached the platform.
func lastSend(e journal.Entry) time.Time {
	t := e.UpdatedAt.Add(InFlightMargin)
	if e.FinishedAt.After(t) {
		t = e.FinishedAt
	}
	return t
}

// NotePrefix starts the note of every row resolve decided: the results and status show it.
const NotePrefix = dispatch.ResolvedNote

// Identity is what a row asks for: what resolve looks up and compares. ChangeValue in fen.
type Identity struct {
	BrandID, ShopID               string
	OperateType                   svbatch.OperateType
	OuterOrderID, NewOuterOrderID string
	ChangeValue                   int64
}

// orderID is the id the row's flow carries: a refund's own id, else the order's.
func (id Identity) orderID() string {
	if id.OperateType == svbatch.Refund {
		return id.NewOuterOrderID
	}
	return id.OuterOrderID
}

// Config says how to decide.
type Config struct {
	// Lag is the read-after-write gap: a row sent less than Lag ago that the platform does not
	// show is not decided (client.DefaultFlowLag is the assumed default; 0 trusts reads at once,
	// for a sandbox without --flow-lag).
	Lag time.Duration
	// Since is the earliest time to look for a row's flows when its order has flows of other types
	// (the journal's first run; zero = 7 days before now).
	Since time.Time
	// IDs gives the identity of rows whose journal entry does not record it (journals of an older
	// svbatch), by request_id; nil = none.
	IDs map[string]Identity
	Now func() time.Time // nil = time.Now
}

// Row is one resolved (or undecided) row.
type Row struct {
	Line      int
	RequestID string
	Before    svbatch.Status // unknown or sending
	After     svbatch.Status // succeeded, conflict, pending, or unknown (undecided)
	FlowID    string         // the matching flow, when succeeded or conflict
	Evidence  string
}

// Report is what a resolution found.
type Report struct {
	Rows   []Row
	Counts map[svbatch.Status]int // rows per After
	Calls  int64                  // read calls spent (the app's quota)
}

// Journal resolves every unknown and sending row of j through r, journaling each decision.
func Journal(ctx context.Context, j *journal.Journal, r *client.Reader, cfg Config) (*Report, error) {
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	lag := cfg.Lag
	since := cfg.Since
	if since.IsZero() {
		since = now().Add(-7 * 24 * time.Hour)
	}
	type cand struct {
		e  journal.Entry
		id Identity
	}
	var cands []cand
	rep := &Report{Counts: map[svbatch.Status]int{}}
	calls0 := r.Calls()
	err := j.Each(func(e journal.Entry) error {
		if e.State != svbatch.Unknown && e.State != svbatch.Sending {
			return nil
		}
		id, ok := identityOf(e, cfg.IDs)
		if !ok {
			rep.add(Row{Line: e.Line, RequestID: e.RequestID, Before: e.State, After: svbatch.Unknown,
				Evidence: "the journal does not record what this row sent (an older svbatch wrote it): resolve its results workbook instead"})
			return nil
		}
		cands = append(cands, cand{e, id})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	reqs := make([]client.FlowDetailRequest, len(cands))
	for i, c := range cands {
		reqs[i] = client.FlowDetailRequest{BrandID: c.id.BrandID, OuterOrderID: c.id.orderID()}
	}
	var results []client.FlowDetailResult
	if len(reqs) > 0 {
		if results, err = r.FlowDetails(ctx, reqs); err != nil {
			return nil, fmt.Errorf("ask the platform: %w", err)
		}
	}
	for i, c := range cands {
		row := decide(ctx, r, c.e, c.id, results[i], now(), lag, since)
		if row.After != svbatch.Unknown || c.e.State == svbatch.Sending {
			e := c.e
			e.State, e.Note = row.After, NotePrefix+row.Evidence
			if row.After == svbatch.Unknown {
				e.Note = NotePrefix + "still unknown: " + row.Evidence
				if c.e.State == svbatch.Sending {
					// keep the last moment it may have gone out: the next resolve waits the lag
					// from there, not from an older attempt's answer
					e.FinishedAt = lastSend(c.e)
				}
			}
			if err := j.Record(e); err != nil {
				return nil, fmt.Errorf("journal: %w", err)
			}
		}
		rep.add(row)
	}
	if err := j.Flush(); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	rep.Calls = r.Calls() - calls0
	return rep, nil
}

func (rep *Report) add(r Row) {
	rep.Rows = append(rep.Rows, r)
	rep.Counts[r.After]++
}

func identityOf(e journal.Entry, ids map[string]Identity) (Identity, bool) {
	if s, ok := dispatch.SentOf(e); ok && s.BrandID != "" && s.OperateType != 0 {
		return Identity{BrandID: s.BrandID, ShopID: s.ShopID, OperateType: svbatch.OperateType(s.OperateType),
			OuterOrderID: s.OuterOrderID, NewOuterOrderID: s.NewOuterOrderID, ChangeValue: s.ChangeValue}, true
	}
	id, ok := ids[e.RequestID]
	return id, ok
}

// decide turns the platform's answer about one row into its state.
func decide(ctx context.Context, r *client.Reader, e journal.Entry, id Identity, res client.FlowDetailResult, now time.Time, lag time.Duration, since time.Time) Row {
	row := Row{Line: e.Line, RequestID: e.RequestID, Before: e.State, After: svbatch.Unknown}
	want, sign := client.FlowTypeOf(id.OperateType)
	asked := fmt.Sprintf("%s %s", orderIDName(id), id.orderID())
	if res.Err != nil {
		row.Evidence = fmt.Sprintf("the platform could not be asked about %s: %v", asked, client.Describe(res.Err))
		return row
	}
	var flows []client.Flow
	if res.Response != nil && res.Response.Flow != nil {
		flows = append(flows, *res.Response.Flow)
	}
	if len(flows) == 1 && !ours(flows[0], id, want) {
		// flowdetail.get answers one flow per order id; a verify and the freeze it settles share
		// an order id, and two refunds of different charges may share a refund id: look at all
		// of that order id's flows.
		all, err := orderFlows(ctx, r, id, since, now)
		if err != nil {
			row.Evidence = fmt.Sprintf("the platform holds a %s flow for %s; asking for the order's other flows failed: %v", flows[0].FlowType, asked, client.Describe(err))
			return row
		}
		flows = all
	}
	var other []string
	for _, f := range flows {
		if !ours(f, id, want) {
			other = append(other, f.FlowType+" "+f.FlowID)
			continue
		}
		row.FlowID = f.FlowID
		if f.OrderValue == sign*id.ChangeValue {
			row.After = svbatch.Succeeded
			row.Evidence = fmt.Sprintf("applied: the platform holds flow %s (%s %s yuan at %s) for %s", f.FlowID, f.FlowType,
				svbatch.FormatYuan(f.OrderValue), f.OrderTime, asked)
			return row
		}
		row.After = svbatch.Conflict
		row.Evidence = fmt.Sprintf("the platform holds flow %s (%s %s yuan at %s) for %s, not the %s yuan this row sent: compare and correct by hand",
			f.FlowID, f.FlowType, svbatch.FormatYuan(f.OrderValue), f.OrderTime, asked, svbatch.FormatYuan(sign*id.ChangeValue))
	}
	if row.After == svbatch.Conflict {
		return row
	}
	if len(other) > 0 {
		row.Evidence = fmt.Sprintf("the platform holds only other operations' flows (%v) for %s, none of type %s for this row's shop and charge: left unknown, check by hand", other, asked, want)
		return row
	}
	// The last moment the row may have reached the platform: its last answer, or, for a row in
	// flight when a run died, when it was marked sending plus the time its retries could take.
	sent := e.FinishedAt // the end of the last attempt: every unknown row has one
	if sent.IsZero() {
		sent = e.UpdatedAt
	}
	if e.State == svbatch.Sending {
		sent = lastSend(e)
	}
	if sent.IsZero() || now.Sub(sent) < lag {
		row.Evidence = fmt.Sprintf("the platform shows no flow for %s yet, but the row was sent less than %s ago (the platform's visibility lag): resolve again later", asked, lag)
		return row
	}
	row.After = svbatch.Pending
	row.Evidence = fmt.Sprintf("not applied: the platform holds no flow for %s (asked %s, last sent %s, visibility lag %s); the next run sends it with the same request_id (safe)",
		asked, now.In(svbatch.GMT8).Format("2006-01-02 15:04:05"), sent.In(svbatch.GMT8).Format("2006-01-02 15:04:05"), lag)
	return row
}

// ours reports whether flow f can be the one the row left: its type, and where the flow says
// them, the row's shop and (a refund) the charge it refunds. The account cannot be compared: a
// flow names its account and card, not the customer.
func ours(f client.Flow, id Identity, want string) bool {
	if f.FlowType != want {
		return false
	}
	if f.ShopID != "" && id.ShopID != "" && f.ShopID != id.ShopID {
		return false
	}
	if id.OperateType == svbatch.Refund && f.OuterPayID != "" && f.OuterPayID != id.OuterOrderID {
		return false
	}
	return true
}

func orderIDName(id Identity) string {
	if id.OperateType == svbatch.Refund {
		return "refund new_outer_order_id"
	}
	return "outer_order_id"
}

// orderFlows lists every flow of id's order in [since, now] (accountflows.get, filtered by order).
func orderFlows(ctx context.Context, r *client.Reader, id Identity, since, now time.Time) ([]client.Flow, error) {
	if id.ShopID == "" {
		return nil, errors.New("the row's shop_id is not known")
	}
	var out []client.Flow
	_, err := r.Flows(ctx, client.FlowQuery{BrandID: id.BrandID, ShopID: id.ShopID, OutOrderID: id.orderID(), Start: since, End: now},
		func(f client.Flow) error {
			if f.OuterOrderID == "" || f.OuterOrderID == id.orderID() {
				out = append(out, f)
			}
			return nil
		})
	return out, err
}
