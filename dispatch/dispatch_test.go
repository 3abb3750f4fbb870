package dispatch_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"svbatch"
	"svbatch/batch"
	"svbatch/client"
	"svbatch/dispatch"
	"svbatch/journal"
	"svbatch/sandbox"
)

// dtRow builds a valid row of account (brand, customer) with a derived request_id.
func dtRow(line int, brand, customer string, op svbatch.OperateType, outer, newOuter string, fen int64) batch.Row {
	req := client.RechargeRequest{BrandID: brand, ShopID: "S1", OperatorID: "op", OuterOrderID: outer,
		NewOuterOrderID: newOuter, OperateType: op, ChangeValue: fen, CustomerID: customer}
	req.RequestID = svbatch.RequestIDv1("", brand, int(op), outer, newOuter)
	return batch.Row{Line: line, Req: req, AccountKey: brand + "|c:" + customer}
}

// dtSource yields rows from a slice, as a Reader would.
type dtSource struct {
	rows []batch.Row
	i    int
}

func (s *dtSource) Next() (batch.Row, []batch.Problem, error) {
	if s.i == len(s.rows) {
		return batch.Row{}, nil, io.EOF
	}
	s.i++
	return s.rows[s.i-1], nil, nil
}

// dtJournal opens a real journal in a temporary directory with a run begun.
func dtJournal(t testing.TB) *journal.Journal {
	t.Helper()
	j, err := journal.Open(filepath.Join(t.TempDir(), "run.svbatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	if _, err := j.BeginRun("test.csv", nil); err != nil {
		t.Fatal(err)
	}
	return j
}

// dtFastPolicy retries without real sleeps.
func dtFastPolicy() client.RetryPolicy {
	p := client.DefaultRetryPolicy()
	p.Sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	return p
}

// recordingSender answers every request with success (or with a business rejection for the outer
// order ids in reject) and records the order in which each account's rows arrive.
type recordingSender struct {
	mu       sync.Mutex
	byAcct   map[string][]string // customer → outer_order_ids in arrival order
	sent     map[string]int      // request_id → sends
	reject   map[string]bool     // outer_order_id → business rejection
	inFlight atomic.Int32
	maxIn    atomic.Int32
	rng      *rand.Rand
}

func newRecordingSender(reject ...string) *recordingSender {
	s := &recordingSender{byAcct: map[string][]string{}, sent: map[string]int{}, reject: map[string]bool{},
		rng: rand.New(rand.NewPCG(7, 11))}
	for _, o := range reject {
		s.reject[o] = true
	}
	return s
}

func (s *recordingSender) Do(ctx context.Context, req client.RechargeRequest) (*client.Response, error) {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		m := s.maxIn.Load()
		if n <= m || s.maxIn.CompareAndSwap(m, n) {
			break
		}
	}
	s.mu.Lock()
	s.byAcct[req.CustomerID] = append(s.byAcct[req.CustomerID], req.OuterOrderID)
	s.sent[req.RequestID]++
	d := time.Duration(s.rng.IntN(300)) * time.Microsecond
	rej := s.reject[req.OuterOrderID]
	s.mu.Unlock()
	time.Sleep(d) // shuffle completion order across workers
	if rej {
		return &client.Response{Result: client.Result{ResultCode: "BALANCE_NOT_ENOUGH"}}, nil
	}
	return &client.Response{Result: client.Result{BizSuccess: true, Result: true, ResultCode: "0"}, TraceID: "gw-" + req.RequestID}, nil
}

func TestDispatchKeepsFileOrderPerAccount(t *testing.T) {
	t.Parallel()
	const accounts, perAccount = 96, 12
	// Rows of all accounts interleaved at random (seeded); each account's k-th row has outer "c<acct>-<k>".
	rng := rand.New(rand.NewPCG(1, 2))
	next := make([]int, accounts)
	var rows []batch.Row
	for len(rows) < accounts*perAccount {
		a := rng.IntN(accounts)
		if next[a] == perAccount {
			continue
		}
		rows = append(rows, dtRow(len(rows)+2, "B1", fmt.Sprintf("C%03d", a), svbatch.Charge, fmt.Sprintf("c%03d-%02d", a, next[a]), "", 100))
		next[a]++
	}
	s := newRecordingSender()
	j := dtJournal(t)
	var onRow atomic.Int32
	d := dispatch.New(dispatch.Config{Concurrency: 32, Policy: dtFastPolicy(),
		OnRow: func(dispatch.RowDone) { onRow.Add(1) }}, s, j)
	if err := d.Run(context.Background(), &dtSource{rows: rows}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	for a := 0; a < accounts; a++ {
		got := s.byAcct[fmt.Sprintf("C%03d", a)]
		if len(got) != perAccount {
			t.Fatalf("account %d: %d rows sent; want %d", a, len(got), perAccount)
		}
		for k, o := range got {
			if want := fmt.Sprintf("c%03d-%02d", a, k); o != want {
				t.Fatalf("account %d: send #%d was %s; want %s (file order): %v", a, k, o, want, got)
			}
		}
	}
	for id, n := range s.sent {
		if n != 1 {
			t.Errorf("request %s sent %d times; want 1", id, n)
		}
	}
	if m := s.maxIn.Load(); m < 2 || m > 32 {
		t.Errorf("at most %d requests in flight; want 2..32 (accounts in parallel, bounded)", m)
	}
	if n := int(onRow.Load()); n != len(rows) {
		t.Errorf("OnRow called %d times; want %d", n, len(rows))
	}
	for _, r := range rows {
		e, ok, err := j.Get(r.Req.RequestID)
		if err != nil || !ok || e.State != svbatch.Succeeded || e.Attempts != 1 || e.Line != r.Line {
			t.Fatalf("journal for row %d: %+v ok=%v err=%v; want succeeded after 1 attempt", r.Line, e, ok, err)
		}
	}
}

func TestDispatchOnFailure(t *testing.T) {
	t.Parallel()
	// Account A: A-1 ok, A-2 rejected, A-3 and A-4 after it. Account B unaffected.
	rows := []batch.Row{
		dtRow(2, "B1", "A", svbatch.Charge, "A-1", "", 100),
		dtRow(3, "B1", "B", svbatch.Charge, "B-1", "", 100),
		dtRow(4, "B1", "A", svbatch.Verify, "A-2", "", 100),
		dtRow(5, "B1", "A", svbatch.Charge, "A-3", "", 100),
		dtRow(6, "B1", "B", svbatch.Charge, "B-2", "", 100),
		dtRow(7, "B1", "A", svbatch.Charge, "A-4", "", 100),
	}
	cases := []struct {
		policy string
		want   map[int]svbatch.Status
		sent   []string // account A's sends
	}{
		// skip-account: the rows after the failed one are skipped, naming it.
		{dispatch.OnFailureSkipAccount, map[int]svbatch.Status{2: svbatch.Succeeded, 3: svbatch.Succeeded, 4: svbatch.Failed,
			5: svbatch.Skipped, 6: svbatch.Succeeded, 7: svbatch.Skipped}, []string{"A-1", "A-2"}},
		// continue: every row is sent.
		{dispatch.OnFailureContinue, map[int]svbatch.Status{2: svbatch.Succeeded, 3: svbatch.Succeeded, 4: svbatch.Failed,
			5: svbatch.Succeeded, 6: svbatch.Succeeded, 7: svbatch.Succeeded}, []string{"A-1", "A-2", "A-3", "A-4"}},
	}
	for _, c := range cases {
		t.Run(c.policy, func(t *testing.T) {
			s := newRecordingSender("A-2")
			j := dtJournal(t)
			d := dispatch.New(dispatch.Config{Concurrency: 4, OnFailure: c.policy, Policy: dtFastPolicy()}, s, j)
			if err := d.Run(context.Background(), &dtSource{rows: rows}); err != nil {
				t.Fatalf("Run: %v", err)
			}
			for _, r := range rows {
				e, _, _ := j.Get(r.Req.RequestID)
				if e.State != c.want[r.Line] {
					t.Errorf("row %d: %s; want %s", r.Line, e.State, c.want[r.Line])
				}
				if e.State == svbatch.Skipped && !strings.Contains(e.Note, "row 4") {
					t.Errorf("row %d skipped with note %q; want it to name row 4", r.Line, e.Note)
				}
			}
			if got := strings.Join(s.byAcct["A"], ","); got != strings.Join(c.sent, ",") {
				t.Errorf("account A sent %s; want %s", got, strings.Join(c.sent, ","))
			}
		})
	}
}

// countingJournal counts the lookups by key of a real journal.
type countingJournal struct {
	*journal.Journal
	mu   sync.Mutex
	gets map[string]int
}

func (c *countingJournal) Get(key string) (journal.Entry, bool, error) {
	c.mu.Lock()
	c.gets[key]++
	c.mu.Unlock()
	return c.Journal.Get(key)
}

// TestDispatchResumeFromJournal: each state an earlier run can leave, resumed by the rules, both
// when the run looks rows up itself and when the plan says what the journal holds (Config.Known),
// where only the rows held and not done are looked up.
func TestDispatchResumeFromJournal(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"lookup", "known"} {
		t.Run(mode, func(t *testing.T) { testDispatchResume(t, mode) })
	}
}

func testDispatchResume(t *testing.T, mode string) {
	t.Parallel()
	// What an earlier run left, per row, and what this run must do with it.
	rows := []batch.Row{
		dtRow(2, "B1", "A", svbatch.Charge, "done", "", 100),       // succeeded before → already_done, not sent
		dtRow(3, "B1", "B", svbatch.Charge, "inflight", "", 100),   // sending when killed → resent, same id
		dtRow(4, "B1", "C", svbatch.Charge, "unknown", "", 100),    // unknown → resent, same id
		dtRow(5, "B1", "D", svbatch.Charge, "edited", "", 999),     // succeeded with 100, now 999 → conflict
		dtRow(6, "B1", "E", svbatch.Charge, "failed", "", 100),     // failed → stays failed, not resent
		dtRow(7, "B1", "F", svbatch.Charge, "editedsend", "", 555), // sending with 100, now 555 → conflict
		dtRow(8, "B1", "G", svbatch.Charge, "new", "", 100),        // never seen → sent
	}
	j := dtJournal(t)
	prev := map[string]svbatch.Status{"done": svbatch.Succeeded, "inflight": svbatch.Sending, "unknown": svbatch.Unknown,
		"edited": svbatch.Succeeded, "failed": svbatch.Failed, "editedsend": svbatch.Sending}
	for _, r := range rows {
		st, ok := prev[r.Req.OuterOrderID]
		if !ok {
			continue
		}
		sent := r.Req
		sent.ChangeValue = 100
		e := journal.Entry{Key: r.Req.RequestID, RequestID: r.Req.RequestID, Line: r.Line, State: st,
			PayloadHash: dispatch.PayloadHash(sent), Attempts: 1}
		if err := j.Record(e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := j.BeginRun("test.csv", nil); err != nil {
		t.Fatal(err)
	}
	s := newRecordingSender()
	var mu sync.Mutex
	reported := map[int]svbatch.Status{}
	cfg := dispatch.Config{Concurrency: 4, Policy: dtFastPolicy(), OnRow: func(rd dispatch.RowDone) {
		line, st := rd.Line, rd.Status
		mu.Lock()
		reported[line] = st
		mu.Unlock()
	}}
	cj := &countingJournal{Journal: j, gets: map[string]int{}}
	if mode == "known" {
		// what the plan's pass finds, by the same rules (job's holdings)
		cfg.Known = &dispatch.Known{}
		for _, r := range rows {
			e, ok, err := j.Get(r.Req.RequestID)
			if err != nil {
				t.Fatal(err)
			}
			v := dispatch.Decide(dispatch.PriorOf(e, ok, r.Req, "", false))
			cfg.Known.Add(r, ok, !v.Send && v.Status == svbatch.AlreadyDone)
		}
	}
	d := dispatch.New(cfg, s, cj)
	if err := d.Run(context.Background(), &dtSource{rows: rows}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := map[int]svbatch.Status{2: svbatch.AlreadyDone, 3: svbatch.Succeeded, 4: svbatch.Succeeded, 5: svbatch.Conflict,
		6: svbatch.Failed, 7: svbatch.Conflict, 8: svbatch.Succeeded}
	for line, st := range want {
		if reported[line] != st {
			t.Errorf("row %d reported %s; want %s", line, reported[line], st)
		}
	}
	var got []string
	for id, n := range s.sent {
		if n != 1 {
			t.Errorf("%s sent %d times", id, n)
		}
	}
	for _, outers := range s.byAcct {
		got = append(got, outers...)
	}
	sort.Strings(got)
	if strings.Join(got, ",") != "inflight,new,unknown" {
		t.Errorf("sent %v; want inflight, new, unknown", got)
	}
	if mode == "known" {
		for _, r := range rows {
			want := 1 // held, not done: the whole entry is read
			if o := r.Req.OuterOrderID; o == "done" || o == "new" {
				want = 0 // done, or not held: the plan said so
			}
			if n := cj.gets[r.Req.RequestID]; n != want {
				t.Errorf("row %d (%s) looked up %d times; want %d", r.Line, r.Req.OuterOrderID, n, want)
			}
		}
	}
	for _, r := range rows[1:3] {
		e, _, _ := j.Get(r.Req.RequestID)
		if e.RequestID != r.Req.RequestID || e.Attempts != 2 {
			t.Errorf("row %d resent as %s after %d attempts; want the same id %s, 2 attempts in all", r.Line, e.RequestID, e.Attempts, r.Req.RequestID)
		}
	}
}

func TestDispatchRetryFailedUsesNewGeneration(t *testing.T) {
	t.Parallel()
	r := dtRow(2, "B1", "A", svbatch.Verify, "V-1", "", 100)
	j := dtJournal(t)
	s := newRecordingSender("V-1")
	if err := dispatch.New(dispatch.Config{Policy: dtFastPolicy()}, s, j).Run(context.Background(), &dtSource{rows: []batch.Row{r}}); err != nil {
		t.Fatal(err)
	}
	if e, _, _ := j.Get(r.Req.RequestID); e.State != svbatch.Failed {
		t.Fatalf("first run: %s; want failed", e.State)
	}
	delete(s.reject, "V-1")
	for _, c := range []struct {
		retry bool
		state svbatch.Status
		id    string
	}{
		{false, svbatch.Failed, r.Req.RequestID}, // not resent without --retry-failed
		{true, svbatch.Succeeded, dispatch.GenerationID("", r.Req, r.Req.RequestID, 1)},
		{true, svbatch.Succeeded, dispatch.GenerationID("", r.Req, r.Req.RequestID, 1)}, // done: not resent again
	} {
		if _, err := j.BeginRun("test.csv", nil); err != nil {
			t.Fatal(err)
		}
		if err := dispatch.New(dispatch.Config{Policy: dtFastPolicy(), RetryFailed: c.retry}, s, j).Run(context.Background(), &dtSource{rows: []batch.Row{r}}); err != nil {
			t.Fatal(err)
		}
		e, _, _ := j.Get(r.Req.RequestID)
		if e.State != c.state || e.RequestID != c.id {
			t.Errorf("retry=%v: %s as %s; want %s as %s", c.retry, e.State, e.RequestID, c.state, c.id)
		}
	}
	if id := dispatch.GenerationID("", r.Req, r.Req.RequestID, 1); id == r.Req.RequestID {
		t.Errorf("generation 1 has the generation-0 id")
	}
	if got := s.byAcct["A"]; len(got) != 2 {
		t.Errorf("sent %d times; want 2 (the failure, then one retry)", len(got))
	}
}

// timingSender wraps a Sender and records when each send starts and when the first flow-control
// answer came back (the moment the run learned of the ban).
type timingSender struct {
	dispatch.Sender
	mu      sync.Mutex
	starts  []time.Time
	learned time.Time
}

func (s *timingSender) Do(ctx context.Context, req client.RechargeRequest) (*client.Response, error) {
	s.mu.Lock()
	s.starts = append(s.starts, time.Now())
	s.mu.Unlock()
	resp, err := s.Sender.Do(ctx, req)
	if client.Classify(err) == client.FlowControl {
		s.mu.Lock()
		if s.learned.IsZero() {
			s.learned = time.Now()
		}
		s.mu.Unlock()
	}
	return resp, err
}

// TestDispatchBanPausesWholeRun: one code-7 answer ("ban will last for 1 more seconds") holds every
// worker for 2 s: no worker starts a send in that window (not even one that already waited for its
// rate-limit token), then every row succeeds.
func TestDispatchBanPausesWholeRun(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 20 {
			fmt.Fprint(w, `{"error_response":{"code":7,"msg":"App Call Limited","sub_code":"accesscontrol.limited-by-app-access-count","sub_msg":"This ban will last for 1 more seconds","request_id":"gw-ban"}}`)
			return
		}
		fmt.Fprint(w, `{"alibaba_alsc_crm_open_recharge_operate_response":{"result":{"biz_success":true,"result":true,"result_code":"0","result_desc":"成功"},"request_id":"gw-ok"}}`)
	}))
	t.Cleanup(srv.Close)
	cl, err := client.New(client.WithGateway(srv.URL), client.WithAppKey("k"), client.WithSecret("s"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []batch.Row
	for i := 0; i < 60; i++ {
		rows = append(rows, dtRow(i+2, "B1", fmt.Sprintf("C%02d", i%30), svbatch.Charge, fmt.Sprintf("O-%d", i), "", 100))
	}
	j := dtJournal(t)
	s := &timingSender{Sender: cl}
	// 16 workers at 50/s: when the ban comes, several workers already wait for their next token.
	d := dispatch.New(dispatch.Config{QPS: 50, Concurrency: 16, Policy: client.DefaultRetryPolicy()}, s, j)
	if err := d.Run(context.Background(), &dtSource{rows: rows}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := int(n.Load()); got != len(rows)+1 {
		t.Errorf("gateway saw %d requests; want %d (each row once, plus the banned one again)", got, len(rows)+1)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.learned.IsZero() {
		t.Fatal("no flow-control answer seen")
	}
	var during []time.Duration
	resumed := false
	for _, a := range s.starts {
		d := a.Sub(s.learned)
		// 200 ms of slack for a worker that passed the gate just before the answer closed it (on a
		// loaded machine under -race the gate can close well after the answer was stamped). Without
		// a run-wide pause, the workers waiting for tokens at 50/s and every later row would send
		// all through the 2 s, so the window still catches it.
		if d > 200*time.Millisecond && d < 1950*time.Millisecond {
			during = append(during, d)
		}
		resumed = resumed || d >= 1950*time.Millisecond
	}
	if len(during) > 0 {
		t.Errorf("%d sends started during the 2 s ban, at %v after it; want none (the pause is run-wide)", len(during), during)
	}
	if !resumed {
		t.Error("no send after the ban")
	}
	for _, r := range rows {
		if e, _, _ := j.Get(r.Req.RequestID); e.State != svbatch.Succeeded {
			t.Errorf("row %d: %s; want succeeded", r.Line, e.State)
		}
	}
}

// TestDispatchBanTooLongStops: a ban longer than MaxBanWait stops the run as interrupted (resumable),
// and nothing is sent after it.
func TestDispatchBanTooLongStops(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) >= 5 {
			fmt.Fprint(w, `{"error_response":{"code":7,"msg":"App Call Limited","sub_code":"accesscontrol.limited-by-app-access-count","sub_msg":"This ban will last for 3600 more seconds","request_id":"gw-ban"}}`)
			return
		}
		fmt.Fprint(w, `{"alibaba_alsc_crm_open_recharge_operate_response":{"result":{"biz_success":true,"result":true,"result_code":"0","result_desc":"成功"},"request_id":"gw-ok"}}`)
	}))
	t.Cleanup(srv.Close)
	cl, err := client.New(client.WithGateway(srv.URL), client.WithAppKey("k"), client.WithSecret("s"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []batch.Row
	for i := 0; i < 40; i++ {
		rows = append(rows, dtRow(i+2, "B1", fmt.Sprintf("C%02d", i), svbatch.Charge, fmt.Sprintf("O-%d", i), "", 100))
	}
	j := dtJournal(t)
	p := client.DefaultRetryPolicy()
	p.MaxBanWait = time.Minute
	d := dispatch.New(dispatch.Config{QPS: 200, Concurrency: 1, Policy: p}, cl, j)
	err = d.Run(context.Background(), &dtSource{rows: rows})
	var stop *dispatch.StopError
	var ban *client.BanTooLongError
	if !errors.As(err, &stop) || !stop.Interrupted() || !errors.As(err, &ban) {
		t.Fatalf("Run: %v; want an interrupted StopError from a BanTooLongError", err)
	}
	if got := n.Load(); got != 5 {
		t.Errorf("gateway saw %d requests; want 5 (nothing after the long ban)", got)
	}
	states := map[svbatch.Status]int{}
	for _, r := range rows {
		e, ok, _ := j.Get(r.Req.RequestID)
		if ok {
			states[e.State]++
		}
	}
	if states[svbatch.Succeeded] != 4 || states[svbatch.Failed] != 0 {
		t.Errorf("journal states %v; want 4 succeeded, none failed (the banned row stays resumable)", states)
	}
}

// TestDispatchInterruptIsResumable: cancelling the context stops taking rows; the run returns an
// interrupted StopError and a second run sends exactly the rest, each row once in all.
func TestDispatchInterruptIsResumable(t *testing.T) {
	t.Parallel()
	var rows []batch.Row
	for i := 0; i < 200; i++ {
		rows = append(rows, dtRow(i+2, "B1", fmt.Sprintf("C%02d", i%20), svbatch.Charge, fmt.Sprintf("O-%03d", i), "", 100))
	}
	s := newRecordingSender()
	j := dtJournal(t)
	ctx, cancel := context.WithCancel(context.Background())
	var done atomic.Int32
	cfg := dispatch.Config{Concurrency: 8, Policy: dtFastPolicy(), OnRow: func(dispatch.RowDone) {
		if done.Add(1) == 50 {
			cancel()
		}
	}}
	err := dispatch.New(cfg, s, j).Run(ctx, &dtSource{rows: rows})
	var stop *dispatch.StopError
	if !errors.As(err, &stop) || !stop.Interrupted() {
		t.Fatalf("Run: %v; want an interrupted StopError", err)
	}
	first := len(s.sent)
	if first >= len(rows) {
		t.Fatalf("interrupted run sent all %d rows", first)
	}
	if _, err := j.BeginRun("test.csv", nil); err != nil {
		t.Fatal(err)
	}
	cfg.OnRow = nil
	if err := dispatch.New(cfg, s, j).Run(context.Background(), &dtSource{rows: rows}); err != nil {
		t.Fatalf("resumed Run: %v", err)
	}
	if len(s.sent) != len(rows) {
		t.Errorf("%d distinct requests sent; want %d", len(s.sent), len(rows))
	}
	for id, n := range s.sent {
		if n != 1 {
			t.Errorf("%s sent %d times; want once", id, n)
		}
	}
	for _, outers := range s.byAcct {
		if !sort.StringsAreSorted(outers) {
			t.Errorf("account order broken across the resume: %v", outers)
		}
	}
}

// TestDispatchAgainstSandbox: the dispatcher with the real client and sandbox under faults ends
// with every row succeeded and each operation applied once.
func TestDispatchAgainstSandbox(t *testing.T) {
	t.Parallel()
	sb, cl := dbSandboxClient(t, sandbox.Config{Seed: 3, Faults: sandbox.Faults{FailRate: 0.1, TimeoutRate: 0.05}})
	var rows []batch.Row
	for i := 0; i < 100; i++ {
		c := fmt.Sprintf("C%02d", i%10)
		rows = append(rows, dtRow(2*i+2, "B1", c, svbatch.Charge, fmt.Sprintf("CH-%03d", i), "", 1000))
		rows = append(rows, dtRow(2*i+3, "B1", c, svbatch.Verify, fmt.Sprintf("VF-%03d", i), "", 1000))
	}
	p := client.DefaultRetryPolicy()
	p.BaseDelay, p.MaxDelay = time.Millisecond, 5*time.Millisecond
	j := dtJournal(t)
	if err := dispatch.New(dispatch.Config{Concurrency: 16, Policy: p}, cl, j).Run(context.Background(), &dtSource{rows: rows}); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if e, _, _ := j.Get(r.Req.RequestID); e.State != svbatch.Succeeded {
			t.Errorf("row %d: %s (%s %s); want succeeded", r.Line, e.State, e.ResultCode, e.ErrMsg)
		}
	}
	if ops := sb.Operations(); len(ops) != len(rows) {
		t.Errorf("%d operations applied; want %d", len(ops), len(rows))
	}
	for _, b := range sb.Balances() {
		if b.Available != 0 || b.Frozen != 0 {
			t.Errorf("balance %+v; want 0 (each charge verified in order)", b)
		}
	}
}

// TestDispatchBlockedAccountKeepsWhatTheJournalKnows: rows of an account blocked by a failure in
// this run are not sent; one that failed before stays failed under its generation (not skipped, so
// a later run without --retry-failed does not send it), one whose outcome was unknown stays unknown.
func TestDispatchBlockedAccountKeepsWhatTheJournalKnows(t *testing.T) {
	t.Parallel()
	j := dtJournal(t)
	first := dtRow(2, "B1", "C1", svbatch.Verify, "V-0", "", 100)    // rejected in this run: blocks C1
	failed := dtRow(3, "B1", "C1", svbatch.Verify, "V-1", "", 100)   // failed in an earlier run
	unknown := dtRow(4, "B1", "C1", svbatch.Charge, "CH-1", "", 100) // unknown after an earlier run
	fresh := dtRow(5, "B1", "C1", svbatch.Charge, "CH-2", "", 100)   // never sent
	hash := dispatch.PayloadHash(failed.Req)
	for _, e := range []journal.Entry{
		{Key: failed.Req.RequestID, RequestID: failed.Req.RequestID, Line: 3, State: svbatch.Failed, PayloadHash: hash, Attempts: 1},
		{Key: unknown.Req.RequestID, RequestID: unknown.Req.RequestID, Line: 4, State: svbatch.Unknown, PayloadHash: dispatch.PayloadHash(unknown.Req), Attempts: 6},
	} {
		if err := j.Record(e); err != nil {
			t.Fatal(err)
		}
	}
	s := newRecordingSender("V-0")
	d := dispatch.New(dispatch.Config{Concurrency: 4, Policy: dtFastPolicy(), RetryFailed: true}, s, j)
	if err := d.Run(context.Background(), &dtSource{rows: []batch.Row{first, failed, unknown, fresh}}); err != nil {
		t.Fatal(err)
	}
	if len(s.sent) != 1 || s.sent[first.Req.RequestID] != 1 {
		t.Errorf("sent %v; want only the first row", s.sent)
	}
	for _, c := range []struct {
		row   batch.Row
		state svbatch.Status
		gen   int
	}{{failed, svbatch.Failed, 0}, {unknown, svbatch.Unknown, 0}, {fresh, svbatch.Skipped, 0}} {
		e, ok, err := j.Get(c.row.Req.RequestID)
		if err != nil || !ok {
			t.Fatalf("row %d: not in the journal (%v)", c.row.Line, err)
		}
		if e.State != c.state || e.Generation != c.gen || (c.state != svbatch.Skipped && e.RequestID != c.row.Req.RequestID) {
			t.Errorf("row %d: state %s generation %d request_id %s; want %s, %d, its own id", c.row.Line, e.State, e.Generation, e.RequestID, c.state, c.gen)
		}
	}
}

// isvSender answers every request with a final isv error.
type isvSender struct{ sent map[string]int }

func (s *isvSender) Do(_ context.Context, req client.RechargeRequest) (*client.Response, error) {
	s.sent[req.RequestID]++
	return nil, &client.APIError{Code: 15, Msg: "Remote service error", SubCode: "isv.request-processing"}
}

// TestDispatchUnknownFromAnEarlierRunNeverBecomesFailed: a row whose earlier send may have applied
// stays unknown whatever error the resend gets, so --retry-failed never gives it a new request_id.
func TestDispatchUnknownFromAnEarlierRunNeverBecomesFailed(t *testing.T) {
	t.Parallel()
	j := dtJournal(t)
	row := dtRow(2, "B1", "C1", svbatch.Charge, "CH-U", "", 100)
	if err := j.Record(journal.Entry{Key: row.Req.RequestID, RequestID: row.Req.RequestID, Line: 2, State: svbatch.Unknown,
		PayloadHash: dispatch.PayloadHash(row.Req), Attempts: 6}); err != nil {
		t.Fatal(err)
	}
	s := &isvSender{sent: map[string]int{}}
	for run := 0; run < 2; run++ {
		d := dispatch.New(dispatch.Config{Concurrency: 1, Policy: dtFastPolicy(), RetryFailed: run == 1}, s, j)
		if err := d.Run(context.Background(), &dtSource{rows: []batch.Row{row}}); err != nil {
			t.Fatal(err)
		}
		e, _, err := j.Get(row.Req.RequestID)
		if err != nil {
			t.Fatal(err)
		}
		if e.State != svbatch.Unknown || e.Generation != 0 {
			t.Errorf("run %d: state %s generation %d; want unknown, generation 0", run+1, e.State, e.Generation)
		}
	}
	if len(s.sent) != 1 {
		t.Errorf("sent under %d request_ids; want 1 (never a new generation for a row that may have applied)", len(s.sent))
	}
}

// TestDispatchKnownOnlyOfItsRows: Config.Known vouches for a row only when the run reads the row
// the plan judged at that place. A file changed after the plan (an amount edited, a row put in
// front that moves the others) has its rows looked up in the journal and decided from it: the
// edited row is a conflict, not already_done, and the moved done row is still not resent.
func TestDispatchKnownOnlyOfItsRows(t *testing.T) {
	t.Parallel()
	done := dtRow(2, "B1", "A", svbatch.Charge, "k-done", "", 100)
	other := dtRow(3, "B1", "B", svbatch.Charge, "k-other", "", 100)
	j := dtJournal(t)
	for _, r := range []batch.Row{done, other} {
		if err := j.Record(journal.Entry{Key: r.Req.RequestID, RequestID: r.Req.RequestID, Line: r.Line,
			State: svbatch.Succeeded, PayloadHash: dispatch.PayloadHash(r.Req), Attempts: 1}); err != nil {
			t.Fatal(err)
		}
	}
	plan := []batch.Row{done, other}
	edited := done
	edited.Req.ChangeValue = 999
	front := dtRow(2, "B1", "C", svbatch.Charge, "k-front", "", 100)
	doneMoved := done
	doneMoved.Line = 3
	cases := []struct {
		name string
		run  []batch.Row
		want map[string]svbatch.Status // outer order id → status
		gets int                       // lookups in the journal
	}{
		{"as planned", plan, map[string]svbatch.Status{"k-done": svbatch.AlreadyDone, "k-other": svbatch.AlreadyDone}, 0},
		{"an amount edited", []batch.Row{edited, other}, map[string]svbatch.Status{"k-done": svbatch.Conflict, "k-other": svbatch.AlreadyDone}, 1},
		{"a row put in front", []batch.Row{front, doneMoved}, map[string]svbatch.Status{"k-front": svbatch.Succeeded, "k-done": svbatch.AlreadyDone}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			known := &dispatch.Known{}
			for _, r := range plan {
				known.Add(r, true, true)
			}
			var mu sync.Mutex
			got := map[string]svbatch.Status{}
			byLine := map[int]string{}
			for _, r := range tc.run {
				byLine[r.Line] = r.Req.OuterOrderID
			}
			cj := &countingJournal{Journal: j, gets: map[string]int{}}
			s := newRecordingSender()
			d := dispatch.New(dispatch.Config{Concurrency: 2, Policy: dtFastPolicy(), Known: known, OnRow: func(rd dispatch.RowDone) {
				mu.Lock()
				got[byLine[rd.Line]] = rd.Status
				mu.Unlock()
			}}, s, cj)
			if err := d.Run(context.Background(), &dtSource{rows: tc.run}); err != nil {
				t.Fatal(err)
			}
			for o, st := range tc.want {
				if got[o] != st {
					t.Errorf("%s: %s; want %s", o, got[o], st)
				}
			}
			n := 0
			for _, c := range cj.gets {
				n += c
			}
			if n != tc.gets {
				t.Errorf("%d lookups in the journal; want %d", n, tc.gets)
			}
			for id, c := range s.sent {
				if id != front.Req.RequestID || c != 1 {
					t.Errorf("sent %s %d times; only k-front is sent, once", id, c)
				}
			}
		})
	}
}
