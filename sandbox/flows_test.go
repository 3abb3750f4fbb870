package sandbox

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"testing"

	"svbatch"
	"svbatch/client"
)

// TestFlowsOfEveryOperation: every applied operation records its flow with the signed amount, the
// available balance after it and before + affected = after; a verify of an open hold records the
// hold's return (UNFREEZE) before the VERIFY; the flows add up to the balance.
func TestFlowsOfEveryOperation(t *testing.T) {
	t.Parallel()
	s, _, _ := readSandbox(t, Config{})
	type want struct {
		typ          string
		value, after int64
		outer, pay   string
	}
	wants := []want{
		{client.FlowTypeRecharge, 10000, 10000, "CH1", ""},
		{client.FlowTypeFreeze, -3000, 7000, "FR1", ""},
		{client.FlowTypeUnfreeze, 3000, 10000, "FR1", ""},
		{client.FlowTypeVerify, -2500, 7500, "FR1", ""},
		{client.FlowTypeVerify, -1000, 6500, "V2", ""},
		{client.FlowTypeRefund, -2000, 4500, "RF1", "CH1"},
		{client.FlowTypeRecharge, 700, 700, "CH2", ""},
	}
	flows := s.Flows()
	if len(flows) != len(wants) {
		t.Fatalf("got %d flows; want %d", len(flows), len(wants))
	}
	sum := map[string]int64{}
	for i, f := range flows {
		w := wants[i]
		if f.FlowType != w.typ || f.OrderValue != w.value || f.CurrentValue != w.after || f.OuterOrderID != w.outer || f.OuterPayID != w.pay {
			t.Errorf("flow %d: got %s %d → %d outer %s pay %s; want %+v", i+1, f.FlowType, f.OrderValue, f.CurrentValue, f.OuterOrderID, f.OuterPayID, w)
		}
		if err := f.Check(); err != nil {
			t.Errorf("flow %d: %v", i+1, err)
		}
		sum[f.AccountID] += f.OrderValue
	}
	for _, b := range s.Balances() {
		k := acctKey{b.BrandID, 'c', b.CustomerID}
		if b.CustomerID == "" {
			k = acctKey{b.BrandID, 'm', b.Mobile}
		}
		if got := sum[idsOf(k).account]; got != b.Available {
			t.Errorf("account %+v: flows add up to %d; want the available %d", b, got, b.Available)
		}
	}
}

// TestFlowsSurviveRestart: flows are stored with the ledger and read back after a restart; new flows
// continue the numbering.
func TestFlowsSurviveRestart(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "ledger.db")
	clk := newClock()
	s1, err := New(Config{DBPath: db, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range readScript() {
		if _, err := s1.Apply(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	before := s1.Flows()
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	s2, _ := startSandbox(t, Config{DBPath: db, Now: clk.Now})
	if got := s2.Flows(); !reflect.DeepEqual(got, before) {
		t.Fatalf("flows after restart:\n%+v\nwant\n%+v", got, before)
	}
	r, err := s2.Apply(context.Background(), client.RechargeRequest{BrandID: "B1", ShopID: "S1", OperatorID: "op", CustomerID: "RC1",
		OuterOrderID: "CH9", RequestID: "r9", OperateType: svbatch.Charge, ChangeValue: 5})
	if err != nil || !r.OK() {
		t.Fatalf("Apply: %+v %v", r, err)
	}
	after := s2.Flows()
	if len(after) != len(before)+1 || after[len(after)-1].FlowID != "8" || after[len(after)-1].CurrentValue != 4505 {
		t.Errorf("new flow %+v; want flow 8 with the balance 4505", after[len(after)-1])
	}
}

// TestFlowsRebuiltFromVersion1File: a ledger file from before flows were stored gets its flows
// rebuilt from the operation log on open (without operator and remark, which the log lacks).
func TestFlowsRebuiltFromVersion1File(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "ledger.db")
	clk := newClock()
	s1, err := New(Config{DBPath: db, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range readScript() {
		if _, err := s1.Apply(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	want := s1.Flows()
	s1.Close()
	// make it a version 1 file
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`DROP TABLE flows; PRAGMA user_version = 1`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	for i := range want {
		want[i].Operator, want[i].OperatorName, want[i].Remark = "", "", ""
	}
	for round := 0; round < 2; round++ { // rebuilt once, then read back as stored
		s2, err := New(Config{DBPath: db, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		if got := s2.Flows(); !reflect.DeepEqual(got, want) {
			t.Errorf("round %d: rebuilt flows:\n%+v\nwant\n%+v", round, got, want)
		}
		s2.Close()
	}
}

// TestFlowPick: flowdetail.get by an outer_order_id several flows share returns the latest, or the
// earliest with FlowPickEarliest; an unknown pick is refused.
func TestFlowPick(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pick, want string
	}{{"", client.FlowTypeVerify}, {FlowPickLatest, client.FlowTypeVerify}, {FlowPickEarliest, client.FlowTypeFreeze}} {
		_, u, clk := readSandbox(t, Config{FlowPick: tc.pick})
		c := newClient(t, u, client.WithNow(clk.Now))
		resp, err := c.FlowDetail(context.Background(), client.FlowDetailRequest{BrandID: "B1", OuterOrderID: "FR1"})
		if err != nil || resp.Flow == nil || resp.Flow.FlowType != tc.want {
			t.Errorf("pick %q: got %+v, %v; want the %s flow", tc.pick, resp, err, tc.want)
		}
	}
	if _, err := New(Config{FlowPick: "random"}); err == nil {
		t.Error("New with flow pick random: got nil error")
	}
}

// TestApplyIsTheLedger: Apply moves money as /router/rest would, idempotent by request_id, and
// refuses what the gateway refuses.
func TestApplyIsTheLedger(t *testing.T) {
	t.Parallel()
	s, _ := startSandbox(t, Config{})
	req := chargeReq("AP1", 300)
	for i := 0; i < 2; i++ {
		if r, err := s.Apply(context.Background(), req); err != nil || !r.OK() {
			t.Fatalf("Apply %d: %+v %v", i, r, err)
		}
	}
	if av, _ := balanceOf(s, "AP1"); av != 300 || len(s.Flows()) != 1 {
		t.Errorf("available %d, %d flows; want 300 and 1 (the replay changed nothing)", av, len(s.Flows()))
	}
	bad := req
	bad.ShopID = ""
	if _, err := s.Apply(context.Background(), bad); err == nil {
		t.Error("Apply without shop_id: got nil error")
	}
}
