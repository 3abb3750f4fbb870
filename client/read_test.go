package client_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"svbatch"
	"svbatch/client"
	"svbatch/sandbox"
)

// The read calls against the real sandbox on 127.0.0.1.

// testClock is a settable clock shared by a sandbox, a client and a retry policy's sleep.
type testClock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2026, 11, 26, 20, 30, 0, 0, svbatch.GMT8)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Sleep advances the clock instead of waiting (a RetryPolicy.Sleep and Gate sleep).
func (c *testClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.slept = append(c.slept, d)
	n := len(c.slept)
	c.mu.Unlock()
	if n > 1000 {
		return errors.New("too many sleeps")
	}
	return ctx.Err()
}

func (c *testClock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

// readFixture is a sandbox on a test clock with some history, and a Reader for it.
type readFixture struct {
	sb  *sandbox.Server
	clk *testClock
	c   *client.Client
	r   *client.Reader
	ops []client.RechargeRequest
}

// startRead starts a sandbox with cfg and applies n charges (plus a freeze and its verify, and a
// refund) one minute apart through the API, in shops S1 and S2.
func startRead(t *testing.T, cfg sandbox.Config, n int) *readFixture {
	t.Helper()
	clk := newTestClock()
	cfg.Now = clk.Now
	sb, err := sandbox.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	u, err := sb.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	c, err := client.New(client.WithGateway(u), client.WithAppKey(sandbox.DefaultAppKey), client.WithSecret(sandbox.DefaultSecret), client.WithNow(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	f := &readFixture{sb: sb, clk: clk, c: c}
	op := func(shop, cust, outer string, typ svbatch.OperateType, v int64, newOuter string) {
		req := client.RechargeRequest{BrandID: "B1", ShopID: shop, OperatorID: "op", CustomerID: cust, OuterOrderID: outer,
			NewOuterOrderID: newOuter, RequestID: fmt.Sprintf("rid-%d", len(f.ops)), OperateType: typ, ChangeValue: v}
		if _, err := sb.Apply(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		f.ops = append(f.ops, req)
		clk.Add(time.Minute)
	}
	for i := 0; i < n; i++ {
		shop := "S1"
		if i%3 == 2 {
			shop = "S2"
		}
		op(shop, fmt.Sprintf("C%d", i%4), fmt.Sprintf("CH%d", i), svbatch.Charge, int64(1000+i), "")
	}
	op("S1", "C0", "FZ", svbatch.Freeze, 500, "")
	op("S1", "C0", "FZ", svbatch.Verify, 400, "")
	op("S1", "C0", "CH0", svbatch.Refund, 300, "RF0")
	f.r = client.NewReader(c)
	f.r.Policy.Sleep = clk.Sleep
	f.r.Gate = client.NewGate(clk.Now, clk.Sleep)
	return f
}

// TestReaderFlowDetail: found by outer_order_id and flow_id, not found as a nil flow, a refund by its
// own id, the brand required.
func TestReaderFlowDetail(t *testing.T) {
	t.Parallel()
	f := startRead(t, sandbox.Config{}, 3)
	ctx := context.Background()
	cases := []struct {
		name     string
		req      client.FlowDetailRequest
		wantType string // "" = not found
		value    int64
	}{
		// a charge by its order id
		{"charge", client.FlowDetailRequest{BrandID: "B1", OuterOrderID: "CH1"}, client.FlowTypeRecharge, 1001},
		// the refund by its own id (new_outer_order_id)
		{"refund", client.FlowDetailRequest{BrandID: "B1", OuterOrderID: "RF0"}, client.FlowTypeRefund, -300},
		// by flow_id, the brand given as out_brand_id
		{"flow id", client.FlowDetailRequest{OutBrandID: "B1", FlowID: "2"}, client.FlowTypeRecharge, 1001},
		// another brand's order is not found
		{"other brand", client.FlowDetailRequest{BrandID: "B2", OuterOrderID: "CH1"}, "", 0},
		// no such order
		{"missing", client.FlowDetailRequest{BrandID: "B1", OuterOrderID: "nope"}, "", 0},
	}
	for _, tc := range cases {
		resp, err := f.r.FlowDetail(ctx, tc.req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		switch {
		case tc.wantType == "" && resp.Flow != nil:
			t.Errorf("%s: got %+v; want not found", tc.name, resp.Flow)
		case tc.wantType != "" && (resp.Flow == nil || resp.Flow.FlowType != tc.wantType || resp.Flow.OrderValue != tc.value):
			t.Errorf("%s: got %+v; want a %s flow of %d", tc.name, resp.Flow, tc.wantType, tc.value)
		}
		if resp.TraceID == "" {
			t.Errorf("%s: no trace id", tc.name)
		}
	}
	if _, err := f.r.FlowDetail(ctx, client.FlowDetailRequest{OuterOrderID: "CH1"}); err == nil {
		t.Error("no brand: got nil error")
	}
	// with the sandbox's codes not declared "not found", a not-found answer is a BizError: never
	// taken for absence on a platform whose codes are unknown
	strict := client.NewReader(f.c)
	strict.NotFoundCodes = []string{}
	var be *client.BizError
	if _, err := strict.FlowDetail(ctx, client.FlowDetailRequest{BrandID: "B1", OuterOrderID: "nope"}); !errors.As(err, &be) || be.ResultCode != client.CodeFlowNotFound {
		t.Errorf("strict reader: got %v; want a *BizError %s", err, client.CodeFlowNotFound)
	}
	if calls := f.r.Calls(); calls != int64(len(cases)) {
		t.Errorf("Calls %d; want %d (one per request, no retries)", calls, len(cases))
	}
}

// TestReaderFlowDetailsBatches: many flowdetail.get go BatchSize per round trip, in order, with
// not-found answers in place; every sub-request is counted.
func TestReaderFlowDetailsBatches(t *testing.T) {
	t.Parallel()
	f := startRead(t, sandbox.Config{}, 23)
	var reqs []client.FlowDetailRequest
	for i := 0; i < 25; i++ { // CH0..CH22 exist, CH23 and CH24 do not
		reqs = append(reqs, client.FlowDetailRequest{BrandID: "B1", OuterOrderID: fmt.Sprintf("CH%d", i)})
	}
	before := 0
	f.r.Before = func(ctx context.Context) error { before++; return nil }
	f.r.BatchSize = 10
	res, err := f.r.FlowDetails(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		switch {
		case r.Err != nil:
			t.Errorf("%d: %v", i, r.Err)
		case i < 23 && (r.Response.Flow == nil || r.Response.Flow.OuterOrderID != reqs[i].OuterOrderID || r.Response.Flow.OrderValue != int64(1000+i)):
			t.Errorf("%d: got %+v; want the charge %s of %d", i, r.Response.Flow, reqs[i].OuterOrderID, 1000+i)
		case i >= 23 && r.Response.Flow != nil:
			t.Errorf("%d: got %+v; want not found", i, r.Response.Flow)
		}
	}
	if f.r.RoundTrips() != 3 || f.r.Calls() != 25 || before != 25 {
		t.Errorf("round trips %d, calls %d, Before %d; want 3, 25, 25", f.r.RoundTrips(), f.r.Calls(), before)
	}
	// BatchSize 1: every request alone on /router/rest, same answers
	one := client.NewReader(f.c)
	one.BatchSize = 1
	res1, err := one.FlowDetails(context.Background(), reqs[20:])
	if err != nil || len(res1) != 5 || res1[0].Response.Flow.OrderValue != 1020 || res1[4].Response.Flow != nil || one.RoundTrips() != 5 {
		t.Errorf("batch size 1: %+v %v, %d round trips", res1, err, one.RoundTrips())
	}
}

// TestReaderFlowControl: a ban on some sub-requests of a batch pauses at the gate and retries only
// those; a ban longer than MaxBanWait stops with *BanTooLongError.
func TestReaderFlowControl(t *testing.T) {
	t.Parallel()
	f := startRead(t, sandbox.Config{QPSLimit: 2, Burst: 3, BanSeconds: 2}, 6)
	var reqs []client.FlowDetailRequest
	for i := 0; i < 6; i++ {
		reqs = append(reqs, client.FlowDetailRequest{BrandID: "B1", OuterOrderID: fmt.Sprintf("CH%d", i)})
	}
	f.r.BatchSize = 6
	res, err := f.r.FlowDetails(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil || r.Response.Flow == nil || r.Response.Flow.OuterOrderID != reqs[i].OuterOrderID {
			t.Errorf("%d: %+v; want the flow after the ban", i, r)
		}
	}
	if slept := f.clk.Slept(); len(slept) == 0 || slept[0] != 3*time.Second {
		t.Errorf("slept %v; want the ban's 2 s + 1 at the gate", slept)
	}
	if f.r.Calls() <= 6 {
		t.Errorf("calls %d; want the limited ones sent again", f.r.Calls())
	}

	g := startRead(t, sandbox.Config{QPSLimit: 1, Burst: 1, BanSeconds: 600}, 1)
	g.r.Policy.MaxBanWait = time.Minute
	_, err = g.r.FlowDetails(context.Background(), reqs[:3])
	var ban *client.BanTooLongError
	if !errors.As(err, &ban) {
		t.Errorf("got %v; want *BanTooLongError", err)
	}
}

// TestReaderRetriesTransientReads: injected isp.* errors on reads are retried with backoff until
// they pass; the answers are the same as without faults.
func TestReaderRetriesTransientReads(t *testing.T) {
	t.Parallel()
	f := startRead(t, sandbox.Config{Seed: 7, Faults: sandbox.Faults{ReadFailRate: 0.4}}, 10)
	var reqs []client.FlowDetailRequest
	for i := 0; i < 10; i++ {
		reqs = append(reqs, client.FlowDetailRequest{BrandID: "B1", OuterOrderID: fmt.Sprintf("CH%d", i)})
	}
	f.r.BatchSize = 5
	f.r.Policy.MaxAttempts = 20
	res, err := f.r.FlowDetails(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil || r.Response.Flow == nil || r.Response.Flow.OrderValue != int64(1000+i) {
			t.Errorf("%d: %+v", i, r)
		}
	}
	if f.r.Calls() <= 10 || len(f.clk.Slept()) == 0 {
		t.Errorf("calls %d, sleeps %v; want retries with backoff", f.r.Calls(), f.clk.Slept())
	}
	resp, err := f.r.Customer(context.Background(), client.CustomerRequest{BrandID: "B1", ShopID: "S1", CustomerID: "C1"})
	if err != nil || resp.Customer == nil {
		t.Errorf("customer through faults: %+v %v", resp, err)
	}
}

// TestReaderFlowsPagesEveryWindow: Flows splits the range into windows and pages each to the end:
// every flow of the shop once, in order, each passing Check, and the balance proof holds against
// open.customer.get.
func TestReaderFlowsPagesEveryWindow(t *testing.T) {
	t.Parallel()
	f := startRead(t, sandbox.Config{MaxPageSize: 4, MaxWindow: time.Hour}, 150)
	start := newTestClock().Now()
	f.r.PageSize, f.r.Window = 4, time.Hour
	for _, shop := range []string{"S1", "S2"} {
		var got []client.Flow
		st, err := f.r.Flows(context.Background(), client.FlowQuery{BrandID: "B1", ShopID: shop, Start: start, End: f.clk.Now()},
			func(fl client.Flow) error { got = append(got, fl); return nil })
		if err != nil {
			t.Fatal(err)
		}
		var want []client.Flow
		for _, fl := range f.sb.Flows() {
			if fl.ShopID == shop {
				want = append(want, fl)
			}
		}
		if len(got) != len(want) || st.Flows != len(want) {
			t.Fatalf("shop %s: %d flows (stats %+v); want %d", shop, len(got), st, len(want))
		}
		for i := range got {
			if got[i].FlowID != want[i].FlowID {
				t.Fatalf("shop %s flow %d: %s; want %s", shop, i, got[i].FlowID, want[i].FlowID)
			}
			if err := got[i].Check(); err != nil {
				t.Error(err)
			}
		}
		if st.Windows != 3 || st.Restarts != 0 {
			t.Errorf("shop %s: stats %+v; want 3 windows (153 minutes in windows of 1 h), no restarts", shop, st)
		}
	}
	// balance proof for C0: opening (the first flow's before) + Σ flows = open.customer.get's
	// balance, and each flow starts where the account's previous one ended
	cust, err := f.r.Customer(context.Background(), client.CustomerRequest{BrandID: "B1", ShopID: "S1", CustomerID: "C0"})
	if err != nil || cust.Customer == nil {
		t.Fatalf("customer C0: %+v %v", cust, err)
	}
	acct := cust.Customer.Cards[0].Accounts[0].AccountID
	var sum, prev int64
	n := 0
	for _, fl := range f.sb.Flows() {
		if fl.AccountID != acct {
			continue
		}
		before, _ := client.PropertyValue(fl.BeforePropertyList, client.PropertyTotal)
		if before != prev {
			t.Errorf("flow %s starts at %d; the account's previous flow ended at %d", fl.FlowID, before, prev)
		}
		prev = fl.CurrentValue
		sum += fl.OrderValue
		n++
	}
	balance, ok := cust.Customer.Balance()
	if !ok || n < 40 || sum != balance || prev != balance {
		t.Errorf("C0: 0 + Σ %d flows = %d, last current_value %d; want the balance %d", n, sum, prev, balance)
	}
}

// TestReaderFlowsEmptyAndErrors: an empty window costs one call and no flows; the platform's
// refusals come back as errors naming the query.
func TestReaderFlowsEmptyAndErrors(t *testing.T) {
	t.Parallel()
	f := startRead(t, sandbox.Config{MaxPageSize: 10, MaxWindow: 2 * time.Hour}, 3)
	f.r.PageSize = 10
	past := newTestClock().Now().Add(-72 * time.Hour)
	n := 0
	st, err := f.r.Flows(context.Background(), client.FlowQuery{BrandID: "B1", ShopID: "S1", Start: past, End: past.Add(time.Hour)},
		func(client.Flow) error { n++; return nil })
	if err != nil || n != 0 || st.Pages != 1 || f.r.Calls() != 1 {
		t.Errorf("empty window: %d flows, %+v, %d calls, %v; want none in 1 call", n, st, f.r.Calls(), err)
	}
	// the reader's page size above the platform's limit: a final isv error, not a silent gap
	f.r.PageSize = 50
	_, err = f.r.Flows(context.Background(), client.FlowQuery{BrandID: "B1", ShopID: "S1", Start: past, End: past.Add(time.Hour)}, func(client.Flow) error { return nil })
	var api *client.APIError
	if !errors.As(err, &api) || api.SubCode != "isv.invalid-parameter:page_size" || client.Classify(err) != client.Final {
		t.Errorf("page size 50 over a limit of 10: got %v; want a final isv.invalid-parameter:page_size", err)
	}
	// a window longer than the platform's: refused the same way
	f.r.PageSize, f.r.Window = 10, 3*time.Hour
	_, err = f.r.Flows(context.Background(), client.FlowQuery{BrandID: "B1", ShopID: "S1", Start: past, End: past.Add(5 * time.Hour)}, func(client.Flow) error { return nil })
	if !errors.As(err, &api) || api.SubCode != "isv.invalid-parameter:end_time" || !strings.Contains(err.Error(), "accountflows.get shop S1") {
		t.Errorf("window 3h over a limit of 2h: got %v", err)
	}
	// fn's error stops paging and comes back as is
	stop := errors.New("stop")
	f.r.Window = time.Hour
	_, err = f.r.Flows(context.Background(), client.FlowQuery{BrandID: "B1", ShopID: "S1", Start: newTestClock().Now(), End: f.clk.Now()}, func(client.Flow) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("got %v; want fn's error", err)
	}
}

// TestReaderFlowsWithLag: flows still inside the lag are not listed; once the clock passes it they
// are, and a window paged while flows become visible is paged again (or refused as unstable).
func TestReaderFlowsWithLag(t *testing.T) {
	t.Parallel()
	f := startRead(t, sandbox.Config{Faults: sandbox.Faults{FlowLag: 90 * time.Second}}, 4)
	q := client.FlowQuery{BrandID: "B1", ShopID: "S1", Start: newTestClock().Now(), End: f.clk.Now()}
	count := func() int {
		n := 0
		if _, err := f.r.Flows(context.Background(), q, func(client.Flow) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	all := 0
	for _, fl := range f.sb.Flows() {
		if fl.ShopID == "S1" {
			all++
		}
	}
	// ops one minute apart, the last one a minute ago: with a 90 s lag it is not visible yet
	if got := count(); got >= all {
		t.Errorf("inside the lag: %d flows; want fewer than %d", got, all)
	}
	f.clk.Add(2 * time.Minute)
	if got := count(); got != all {
		t.Errorf("after the lag: %d flows; want %d", got, all)
	}
}

// TestReadCallsAreNotWrites: only the read requests are ReadCalls; a RechargeRequest cannot be put
// in a batch.
func TestReadCallsAreNotWrites(t *testing.T) {
	var calls []any = []any{client.FlowDetailRequest{}, client.AccountFlowsRequest{}, client.CustomerRequest{}}
	for _, c := range calls {
		if _, ok := c.(client.ReadCall); !ok {
			t.Errorf("%T is not a ReadCall", c)
		}
	}
	if _, ok := any(client.RechargeRequest{}).(client.ReadCall); ok {
		t.Error("RechargeRequest is a ReadCall: a write could be batched")
	}
	if _, ok := any(&client.RechargeRequest{}).(client.ReadCall); ok {
		t.Error("*RechargeRequest is a ReadCall: a write could be batched")
	}
}
