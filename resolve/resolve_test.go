package resolve

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"svbatch"
	"svbatch/client"
	"svbatch/dispatch"
	"svbatch/journal"
	"svbatch/sandbox"
)

// TestDecisions: against a real sandbox, each way the platform can answer decides as it should: a
// matching flow (also a freeze whose verify shares its order id, found by paging the order's
// flows) is succeeded; another amount is conflict; no flow is pending once the lag has passed, and
// stays unknown within it; a refund is looked up by its own id. Only reads are sent.
func TestDecisions(t *testing.T) {
	t.Parallel()
	sb, cl := sandboxClient(t)
	ctx := context.Background()
	req := func(op svbatch.OperateType, outer, newOuter string, fen int64) client.RechargeRequest {
		return client.RechargeRequest{BrandID: "1332", ShopID: "S1", OperatorID: "op", OperateType: op, OuterOrderID: outer,
			NewOuterOrderID: newOuter, ChangeValue: fen, CustomerID: "C1",
			RequestID: svbatch.RequestIDv1("", "1332", int(op), outer, newOuter)}
	}
	applied := []client.RechargeRequest{
		req(svbatch.Charge, "CH-OK", "", 1000),
		req(svbatch.Charge, "CH-OTHER", "", 700),
		req(svbatch.Freeze, "FZ-1", "", 200),
		req(svbatch.Verify, "FZ-1", "", 150), // settles the hold: same order id
		req(svbatch.Refund, "CH-OK", "RF-1", 100),
	}
	for _, r := range applied {
		if _, err := sb.Apply(ctx, r); err != nil {
			t.Fatalf("apply %+v: %v", r, err)
		}
	}
	j, err := journal.Open(filepath.Join(t.TempDir(), "j.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	now := time.Now()
	old := now.Add(-time.Hour)
	rows := []struct {
		req     client.RechargeRequest
		state   svbatch.Status
		sentAt  time.Time
		want    svbatch.Status
		because string
	}{
		{req(svbatch.Charge, "CH-OK", "", 1000), svbatch.Unknown, old, svbatch.Succeeded, "applied: the platform holds flow"},
		{req(svbatch.Charge, "CH-OTHER", "", 900), svbatch.Unknown, old, svbatch.Conflict, "not the 9.00 yuan this row sent"},
		{req(svbatch.Freeze, "FZ-1", "", 200), svbatch.Sending, old, svbatch.Succeeded, "FREEZE -2.00 yuan"},
		{req(svbatch.Refund, "CH-OK", "RF-1", 100), svbatch.Unknown, old, svbatch.Succeeded, "refund new_outer_order_id RF-1"},
		{req(svbatch.Charge, "CH-LOST", "", 500), svbatch.Unknown, old, svbatch.Pending, "not applied: the platform holds no flow"},
		{req(svbatch.Charge, "CH-RECENT", "", 500), svbatch.Unknown, now, svbatch.Unknown, "less than 10m0s ago"},
	}
	for i, r := range rows {
		e := journal.Entry{Key: r.req.RequestID, RequestID: r.req.RequestID, Line: i + 2, State: r.state,
			PayloadHash: dispatch.PayloadHash(r.req), Sent: sentJSON(r.req)}
		e.FinishedAt = r.sentAt
		if err := j.Record(e); err != nil {
			t.Fatal(err)
		}
	}
	writes := sb.TotalRequests()
	r := client.NewReader(cl)
	clock := func() time.Time { return now.Add(time.Second) }
	rep, err := Journal(ctx, j, r, Config{Lag: 10 * time.Minute, Since: old.Add(-time.Hour), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if sb.TotalRequests() != writes {
		t.Errorf("resolve sent %d writes", sb.TotalRequests()-writes)
	}
	if len(rep.Rows) != len(rows) {
		t.Fatalf("%d rows resolved; want %d", len(rep.Rows), len(rows))
	}
	for i, got := range rep.Rows {
		w := rows[i]
		if got.After != w.want || !strings.Contains(got.Evidence, w.because) {
			t.Errorf("row %d (%s %s): %s, %q; want %s, %q", got.Line, w.req.OperateType, w.req.OuterOrderID, got.After, got.Evidence, w.want, w.because)
		}
		e, _, _ := j.Get(w.req.RequestID)
		wantState := w.want
		if w.state == svbatch.Sending && w.want == svbatch.Unknown {
			wantState = svbatch.Unknown
		}
		if e.State != wantState || (w.want != svbatch.Unknown && !strings.HasPrefix(e.Note, NotePrefix)) {
			t.Errorf("journal row %d: %s %q; want %s with the evidence", got.Line, e.State, e.Note, wantState)
		}
	}
	if rep.Calls < 6 || rep.Calls > 8 {
		t.Errorf("%d read calls; want 6 lookups and one or two pages for the freeze", rep.Calls)
	}
}

func sentJSON(req client.RechargeRequest) string { return dispatch.SentRecord(req, "", "") }

// sandboxClient starts a sandbox on loopback and returns it with a client for it.
func sandboxClient(t *testing.T) (*sandbox.Server, *client.Client) {
	t.Helper()
	sb, err := sandbox.New(sandbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	url, err := sb.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl, err := client.New(client.WithGateway(url), client.WithAppKey(sandbox.DefaultAppKey), client.WithSecret(sandbox.DefaultSecret))
	if err != nil {
		t.Fatal(err)
	}
	return sb, cl
}
