package sandbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"svbatch"
	"svbatch/client"
)

// step is one request of a ledger scenario and what it must answer.
type step struct {
	op         svbatch.OperateType
	v          int64
	outer      string
	newOuter   string
	cust       string // customer_id; "" uses mobile/outer below
	mobile     string
	outerType  string
	outerID    string
	wantCode   string
	wantAvail  int64 // of the step's account, after the step
	wantFrozen int64
}

// TestLedgerRules runs scenarios of DESIGN.md §5 over HTTP and checks every answer and balance.
func TestLedgerRules(t *testing.T) {
	t.Parallel()
	_, u := startSandbox(t, Config{})
	c := newClient(t, u)
	scenarios := []struct {
		name  string
		steps []step
	}{
		{"charge adds to available", []step{
			{op: svbatch.Charge, v: 1000, outer: "c1", wantCode: "0", wantAvail: 1000},
			{op: svbatch.Charge, v: 1, outer: "c2", wantCode: "0", wantAvail: 1001},
		}},
		{"freeze moves to frozen, needs available", []step{
			{op: svbatch.Charge, v: 500, outer: "c1", wantCode: "0", wantAvail: 500},
			{op: svbatch.Freeze, v: 501, outer: "f1", wantCode: CodeBalanceNotEnough, wantAvail: 500},
			{op: svbatch.Freeze, v: 200, outer: "f2", wantCode: "0", wantAvail: 300, wantFrozen: 200},
		}},
		{"verify posts a hold, remainder returns, hold resolves once", []step{
			{op: svbatch.Charge, v: 500, outer: "c1", wantCode: "0", wantAvail: 500},
			{op: svbatch.Freeze, v: 200, outer: "h1", wantCode: "0", wantAvail: 300, wantFrozen: 200},
			{op: svbatch.Verify, v: 201, outer: "h1", wantCode: CodeHoldExceeded, wantAvail: 300, wantFrozen: 200},
			{op: svbatch.Verify, v: 150, outer: "h1", wantCode: "0", wantAvail: 350, wantFrozen: 0},
			{op: svbatch.Verify, v: 10, outer: "h1", wantCode: CodeOrderExists, wantAvail: 350},
		}},
		{"verify without a hold consumes available", []step{
			{op: svbatch.Charge, v: 100, outer: "c1", wantCode: "0", wantAvail: 100},
			{op: svbatch.Verify, v: 101, outer: "v1", wantCode: CodeBalanceNotEnough, wantAvail: 100},
			{op: svbatch.Verify, v: 100, outer: "v2", wantCode: "0", wantAvail: 0},
		}},
		{"verify of a hold that is larger than available", []step{
			{op: svbatch.Charge, v: 100, outer: "c1", wantCode: "0", wantAvail: 100},
			{op: svbatch.Freeze, v: 100, outer: "h1", wantCode: "0", wantAvail: 0, wantFrozen: 100},
			{op: svbatch.Verify, v: 100, outer: "h1", wantCode: "0", wantAvail: 0, wantFrozen: 0},
		}},
		{"refund reverses a charge, never more than charged minus refunded", []step{
			{op: svbatch.Charge, v: 1000, outer: "c1", wantCode: "0", wantAvail: 1000},
			{op: svbatch.Refund, v: 400, outer: "c1", newOuter: "r1", wantCode: "0", wantAvail: 600},
			{op: svbatch.Refund, v: 601, outer: "c1", newOuter: "r2", wantCode: CodeRefundExceedsCharge, wantAvail: 600},
			{op: svbatch.Refund, v: 600, outer: "c1", newOuter: "r3", wantCode: "0", wantAvail: 0},
			{op: svbatch.Refund, v: 1, outer: "c1", newOuter: "r4", wantCode: CodeRefundExceedsCharge, wantAvail: 0},
		}},
		{"refund never more than available", []step{
			{op: svbatch.Charge, v: 1000, outer: "c1", wantCode: "0", wantAvail: 1000},
			{op: svbatch.Verify, v: 900, outer: "v1", wantCode: "0", wantAvail: 100},
			{op: svbatch.Refund, v: 200, outer: "c1", newOuter: "r1", wantCode: CodeBalanceNotEnough, wantAvail: 100},
			{op: svbatch.Refund, v: 100, outer: "c1", newOuter: "r2", wantCode: "0", wantAvail: 0},
		}},
		{"refund of an unknown charge", []step{
			{op: svbatch.Charge, v: 1000, outer: "c1", wantCode: "0", wantAvail: 1000},
			{op: svbatch.Refund, v: 1, outer: "nope", newOuter: "r1", wantCode: CodeChargeNotFound, wantAvail: 1000},
			// a freeze's order is not a charge
			{op: svbatch.Freeze, v: 10, outer: "f1", wantCode: "0", wantAvail: 990, wantFrozen: 10},
			{op: svbatch.Refund, v: 1, outer: "f1", newOuter: "r2", wantCode: CodeChargeNotFound, wantAvail: 990, wantFrozen: 10},
		}},
		{"an order applied under another request_id", []step{
			{op: svbatch.Charge, v: 10, outer: "c1", wantCode: "0", wantAvail: 10},
			{op: svbatch.Charge, v: 10, outer: "c1", wantCode: CodeOrderExists, wantAvail: 10},
			// the same outer_order_id with another operate_type is another operation
			{op: svbatch.Verify, v: 10, outer: "c1", wantCode: "0", wantAvail: 0},
		}},
		{"a rejected order can be sent again under a new request_id", []step{
			{op: svbatch.Verify, v: 10, outer: "v1", wantCode: CodeBalanceNotEnough},
			{op: svbatch.Charge, v: 10, outer: "c1", wantCode: "0", wantAvail: 10},
			{op: svbatch.Verify, v: 10, outer: "v1", wantCode: "0", wantAvail: 0},
		}},
		{"balance limit", []step{
			{op: svbatch.Charge, v: svbatch.MaxBalance, outer: "c1", wantCode: "0", wantAvail: svbatch.MaxBalance},
			{op: svbatch.Freeze, v: 5, outer: "f1", wantCode: "0", wantAvail: svbatch.MaxBalance - 5, wantFrozen: 5},
			{op: svbatch.Charge, v: 1, outer: "c2", wantCode: CodeBalanceLimitExceeded, wantAvail: svbatch.MaxBalance - 5, wantFrozen: 5},
			{op: svbatch.Charge, v: 1<<63 - 1, outer: "c3", wantCode: CodeBalanceLimitExceeded, wantAvail: svbatch.MaxBalance - 5, wantFrozen: 5},
		}},
		{"identity: mobile and outer ids are accounts of their own", []step{
			{op: svbatch.Charge, v: 10, outer: "c1", mobile: "13800000000", wantCode: "0", wantAvail: 10},
			{op: svbatch.Charge, v: 20, outer: "c2", outerType: "wechat", outerID: "wx1", wantCode: "0", wantAvail: 20},
			{op: svbatch.Charge, v: 30, outer: "c3", outerType: "alipay", outerID: "wx1", wantCode: "0", wantAvail: 30},
			{op: svbatch.Verify, v: 11, outer: "v1", mobile: "13800000000", wantCode: CodeBalanceNotEnough, wantAvail: 10},
		}},
	}
	for i, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			brand := fmt.Sprintf("BR%d", i) // every scenario on its own brand
			for j, st := range sc.steps {
				req := client.RechargeRequest{
					BrandID: brand, ShopID: "S1", OperatorID: "op", OperateType: st.op, ChangeValue: st.v,
					OuterOrderID: st.outer, NewOuterOrderID: st.newOuter, CustomerID: st.cust,
					Mobile: st.mobile, OuterType: st.outerType, OuterID: st.outerID,
					RequestID: fmt.Sprintf("%s-step%d", brand, j),
				}
				if req.CustomerID == "" && req.Mobile == "" && req.OuterID == "" {
					req.CustomerID = "C1"
				}
				resp := do(t, c, req)
				r := resp.Result
				if r.ResultCode != st.wantCode || r.OK() != (st.wantCode == "0") {
					t.Fatalf("step %d: got %+v; want result_code %s", j, r, st.wantCode)
				}
				if r.ResultDesc == "" || r.ResultDesc != r.ResultView {
					t.Errorf("step %d: got desc %q view %q; want a Chinese description in both", j, r.ResultDesc, r.ResultView)
				}
				av, fr := accountBalance(t, u, brand, req)
				if av != st.wantAvail || fr != st.wantFrozen {
					t.Fatalf("step %d: got available %d frozen %d; want %d %d", j, av, fr, st.wantAvail, st.wantFrozen)
				}
			}
		})
	}
}

// accountBalance reads the account of req from the HTTP balances export.
func accountBalance(t *testing.T, u, brand string, req client.RechargeRequest) (int64, int64) {
	t.Helper()
	rows := getCSV(t, strings.TrimSuffix(u, Path)+"/sandbox/balances.csv")
	for _, r := range rows[1:] {
		if r[0] != brand {
			continue
		}
		var match bool
		switch {
		case req.CustomerID != "":
			match = r[1] == req.CustomerID
		case req.Mobile != "":
			match = r[2] == req.Mobile && r[1] == ""
		default:
			match = r[3] == req.OuterType && r[4] == req.OuterID && r[1] == "" && r[2] == ""
		}
		if match {
			var av, fr int64
			fmt.Sscan(r[5], &av)
			fmt.Sscan(r[6], &fr)
			return av, fr
		}
	}
	return 0, 0
}

// TestReplayAndConflict: a replay answers the first answer and changes nothing; the same request_id
// with another payload is an isv.* error naming the conflict.
func TestReplayAndConflict(t *testing.T) {
	t.Parallel()
	s, u := startSandbox(t, Config{})
	c := newClient(t, u)
	req := chargeReq("C-replay", 700)
	first := do(t, c, req)
	for i := 0; i < 3; i++ {
		again := do(t, c, req)
		if again.Result != first.Result || again.TraceID != first.TraceID {
			t.Errorf("replay %d: got %+v %s; want %+v %s", i, again.Result, again.TraceID, first.Result, first.TraceID)
		}
	}
	if av, _ := balanceOf(s, "C-replay"); av != 700 {
		t.Errorf("got available %d; want 700 (applied once)", av)
	}
	if n := len(s.Operations()); n != 1 {
		t.Errorf("got %d operations; want 1", n)
	}

	changed := req
	changed.ChangeValue = 800
	ae := apiErr(t, c, changed)
	if ae.Code != 41 || ae.SubCode != "isv.request-id-conflict" || !strings.Contains(ae.SubMsg, "change_value") || !strings.Contains(ae.SubMsg, req.RequestID) {
		t.Errorf("got %+v; want code 41 isv.request-id-conflict naming change_value and the request_id", ae)
	}
	// the answer proves the id was used: a conflict for the client, never a failure to resend
	if got := client.Classify(ae); got != client.IDUsed {
		t.Errorf("got class %v; want id-used", got)
	}
	// even a reason-only change is a conflict (the payload is compared whole)
	changed = req
	changed.Reason = "typo fixed"
	if ae := apiErr(t, c, changed); ae.SubCode != "isv.request-id-conflict" || !strings.Contains(ae.SubMsg, "reason") {
		t.Errorf("reason change: got %+v; want a conflict naming reason", ae)
	}

	// a rejection is stored too: its replay is the same rejection even once funds arrived
	ver := chargeReq("C-replay2", 50)
	ver.OperateType = svbatch.Verify
	if r := do(t, c, ver).Result; r.ResultCode != CodeBalanceNotEnough {
		t.Fatalf("got %+v; want BALANCE_NOT_ENOUGH", r)
	}
	do(t, c, chargeReq("C-replay2", 100))
	if r := do(t, c, ver).Result; r.ResultCode != CodeBalanceNotEnough {
		t.Errorf("replayed rejection: got %+v; want the stored BALANCE_NOT_ENOUGH", r)
	}
	if av, _ := balanceOf(s, "C-replay2"); av != 100 {
		t.Errorf("got available %d; want 100", av)
	}
}

// TestConcurrentOneAccount hammers one account from many goroutines, with replays, on both ledgers:
// no update is lost and nothing applies twice.
func TestConcurrentOneAccount(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"memory", "db"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			cfg := Config{}
			if mode == "db" {
				cfg.DBPath = t.TempDir() + "/ledger.db"
			}
			s, u := startSandbox(t, cfg)
			c := newClient(t, u)
			const workers, each = 16, 25
			do(t, c, client.RechargeRequest{BrandID: "B1", ShopID: "S", OperatorID: "o", CustomerID: "HOT",
				OuterOrderID: "seed", RequestID: "hot-seed", OperateType: svbatch.Charge, ChangeValue: 1000})
			var wg sync.WaitGroup
			errs := make(chan error, workers*each*2)
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for i := 0; i < each; i++ {
						op, v := svbatch.Charge, int64(3)
						if i%2 == 1 {
							op, v = svbatch.Verify, 2
						}
						req := client.RechargeRequest{BrandID: "B1", ShopID: "S", OperatorID: "o", CustomerID: "HOT",
							OuterOrderID: fmt.Sprintf("w%d-%d", w, i), RequestID: fmt.Sprintf("hot-%d-%d", w, i),
							OperateType: op, ChangeValue: v}
						for k := 0; k < 2; k++ { // each request twice: the second is a replay
							resp, err := c.Do(context.Background(), req)
							if err == nil && !resp.Result.OK() {
								err = fmt.Errorf("%s: %+v", req.RequestID, resp.Result)
							}
							if err != nil {
								errs <- err
							}
						}
					}
				}(w)
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			charges, verifies := (each+1)/2, each/2
			want := int64(1000 + workers*(charges*3-verifies*2))
			if av, fr := balanceOf(s, "HOT"); av != want || fr != 0 {
				t.Errorf("got available %d frozen %d; want %d 0", av, fr, want)
			}
			if n := len(s.Operations()); n != 1+workers*each {
				t.Errorf("got %d operations; want %d", n, 1+workers*each)
			}
		})
	}
}

// TestStoreFailure: when the ledger file cannot be written, the answer is a transient isp.* error
// and memory does not change.
func TestStoreFailure(t *testing.T) {
	t.Parallel()
	s, u := startSandbox(t, Config{DBPath: t.TempDir() + "/ledger.db"})
	c := newClient(t, u)
	do(t, c, chargeReq("C-st", 5))
	s.mu.Lock()
	s.st.db.Close() // every later write fails
	s.mu.Unlock()
	_, err := c.Do(context.Background(), chargeReq("C-st", 7))
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Code != 15 || client.Classify(err) != client.Transient {
		t.Fatalf("got %v; want a transient code 15", err)
	}
	if av, _ := balanceOf(s, "C-st"); av != 5 {
		t.Errorf("got available %d; want 5", av)
	}
}

// TestConcurrentSameRequestID: the same request sent at once from many goroutines applies once and
// every answer is the first answer.
func TestConcurrentSameRequestID(t *testing.T) {
	t.Parallel()
	s, u := startSandbox(t, Config{})
	c := newClient(t, u)
	req := chargeReq("C-same", 77)
	var wg sync.WaitGroup
	traces := make(chan string, 32)
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := c.Do(context.Background(), req)
			if err != nil || !resp.Result.OK() {
				t.Errorf("Do: %+v, %v", resp, err)
				return
			}
			traces <- resp.TraceID
		}()
	}
	wg.Wait()
	close(traces)
	first := ""
	for tr := range traces {
		if first == "" {
			first = tr
		}
		if tr != first {
			t.Errorf("got trace %s; want every answer to be the first (%s)", tr, first)
		}
	}
	if av, _ := balanceOf(s, "C-same"); av != 77 || len(s.Operations()) != 1 {
		t.Errorf("got available %d, %d operations; want 77 and 1", av, len(s.Operations()))
	}
}
