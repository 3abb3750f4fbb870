package resolve

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"svbatch"
	"svbatch/client"
	"svbatch/journal"
)

// TestRefundSharedRefundID: two refunds of different charges share one refund id (a daily
// RF-DAY); one was applied, the other lost. The lost one is not claimed succeeded from the other's
// flow (the flow's outer_pay_id names another charge): it stays unknown, for a person to check.
func TestRefundSharedRefundID(t *testing.T) {
	t.Parallel()
	sb, cl := sandboxClient(t)
	ctx := context.Background()
	req := func(op svbatch.OperateType, outer, newOuter string, fen int64, cust string) client.RechargeRequest {
		return client.RechargeRequest{BrandID: "1332", ShopID: "S1", OperatorID: "op", OperateType: op, OuterOrderID: outer,
			NewOuterOrderID: newOuter, ChangeValue: fen, CustomerID: cust,
			RequestID: svbatch.RequestIDv1("", "1332", int(op), outer, newOuter)}
	}
	for _, r := range []client.RechargeRequest{
		req(svbatch.Charge, "CH-A", "", 1000, "C1"),
		req(svbatch.Charge, "CH-B", "", 1000, "C2"),
		req(svbatch.Refund, "CH-A", "RF-DAY", 100, "C1"), // applied
	} {
		if _, err := sb.Apply(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	j, err := journal.Open(filepath.Join(t.TempDir(), "j.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	lost := req(svbatch.Refund, "CH-B", "RF-DAY", 100, "C2") // never applied
	e := journal.Entry{Key: lost.RequestID, RequestID: lost.RequestID, Line: 2, State: svbatch.Unknown,
		PayloadHash: "x", Sent: sentJSON(lost)}
	e.FinishedAt = time.Now().Add(-time.Hour)
	j.Record(e)
	rep, err := Journal(ctx, j, client.NewReader(cl), Config{Lag: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("refund of CH-B (never applied): %s — %s", rep.Rows[0].After, rep.Rows[0].Evidence)
	if rep.Rows[0].After != svbatch.Unknown {
		t.Errorf("a refund never applied: %s; want unknown (not claimed from another refund's flow)", rep.Rows[0].After)
	}
}

// TestSendingStaysUndecidedWithinItsMargin: a row in flight when a run died, with an older
// attempt's answer, resolved too early is left unknown with the last moment it may have gone out;
// a second resolve right after still does not call it pending (not applied).
func TestSendingStaysUndecidedWithinItsMargin(t *testing.T) {
	t.Parallel()
	_, cl := sandboxClient(t)
	ctx := context.Background()
	r := client.RechargeRequest{BrandID: "1332", ShopID: "S1", OperatorID: "op", OperateType: svbatch.Charge, OuterOrderID: "CH-X",
		ChangeValue: 500, CustomerID: "C1", RequestID: svbatch.RequestIDv1("", "1332", 1, "CH-X", "")}
	j, err := journal.Open(filepath.Join(t.TempDir(), "j.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	// an earlier run left it unknown an hour ago; this run marked it sending just now and died
	e := journal.Entry{Key: r.RequestID, RequestID: r.RequestID, Line: 2, State: svbatch.Sending, PayloadHash: "x", Sent: sentJSON(r)}
	e.FinishedAt = time.Now().Add(-time.Hour)
	j.Record(e)
	cfg := Config{Lag: 5 * time.Minute}
	rep, err := Journal(ctx, j, client.NewReader(cl), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first resolve: %s — %s", rep.Rows[0].After, rep.Rows[0].Evidence)
	rep, err = Journal(ctx, j, client.NewReader(cl), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("second resolve (seconds later): %s — %s", rep.Rows[0].After, rep.Rows[0].Evidence)
	if rep.Rows[0].After != svbatch.Unknown {
		t.Errorf("a row in flight seconds ago: %s on the second resolve; want unknown", rep.Rows[0].After)
	}
}
