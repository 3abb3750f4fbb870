package sandbox

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"svbatch"
	"svbatch/client"
)

// TestRequestCounts: Requests counts every recharge.operate request that passed the checks, per
// request_id, whatever happened next (applied, replayed, refused, faulted, dropped after applying);
// requests refused by the protocol or parameter checks are not counted.
func TestRequestCounts(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s, u := startSandbox(t, Config{Now: clk.Now})
	c := newClient(t, u, client.WithNow(clk.Now))
	want := map[string]int{}
	check := func(step string) {
		t.Helper()
		total := 0
		for id, n := range want {
			if got := s.Requests(id); got != n {
				t.Errorf("%s: Requests(%s) = %d; want %d", step, id, got, n)
			}
			total += n
		}
		if got := s.TotalRequests(); got != total {
			t.Errorf("%s: TotalRequests() = %d; want %d", step, got, total)
		}
		if got := s.RequestCounts(); len(got) != len(want) {
			t.Errorf("%s: RequestCounts() has %d request_ids; want %d", step, len(got), len(want))
		}
	}
	check("fresh")
	if n := s.Requests("never-sent"); n != 0 {
		t.Errorf("Requests of an unknown id = %d; want 0", n)
	}

	// Refused before the ledger: a bad signature, a skewed timestamp, a business param missing a
	// required field. Not counted.
	postForm(t, u, signedParams(clk.Now(), DefaultSecret, validBody, func(p map[string]string) { p["sign"] = strings.Repeat("0", 32) }))
	postForm(t, u, signedParams(clk.Now().Add(-time.Hour), DefaultSecret, validBody, nil))
	postForm(t, u, signedParams(clk.Now(), DefaultSecret, strings.Replace(validBody, `"brand_id":"B1",`, "", 1), nil))
	check("refused by the checks")

	// Applied once, then replayed twice: three requests.
	req := chargeReq("C-count", 500)
	do(t, c, req)
	do(t, c, req)
	do(t, c, req)
	want[req.RequestID] = 3
	check("replays")

	// The same request_id with another payload is a conflict: refused by the ledger, but received.
	changed := req
	changed.ChangeValue = 501
	apiErr(t, c, changed)
	want[req.RequestID]++
	check("conflict")

	// A business rejection is received too.
	ver := chargeReq("C-count-poor", 50)
	ver.OperateType = svbatch.Verify
	do(t, c, ver)
	want[ver.RequestID] = 1
	check("rejection")

	// An injected transient fault (nothing applied) and a timeout after applying: both received.
	flaky := chargeReq("C-count", 10)
	s.SetFaults(Faults{FailRate: 1})
	apiErr(t, c, flaky)
	s.SetFaults(Faults{TimeoutRate: 1})
	if _, err := c.Do(context.Background(), flaky); err == nil {
		t.Fatal("timeout fault: got an answer")
	}
	s.SetFaults(Faults{})
	do(t, c, flaky)
	want[flaky.RequestID] = 3
	check("faults")
	if n := len(s.Operations()); n != 2 {
		t.Errorf("%d operations applied; want 2 (counting is not applying)", n)
	}
}

// TestRequestCountsConcurrent: counts from many goroutines add up (run with -race).
func TestRequestCountsConcurrent(t *testing.T) {
	t.Parallel()
	s, u := startSandbox(t, Config{})
	c := newClient(t, u)
	const workers, ids, sends = 8, 5, 4
	reqs := make([]client.RechargeRequest, ids)
	for i := range reqs {
		reqs[i] = chargeReq(fmt.Sprintf("C-conc-%d", i), 100)
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < sends; k++ {
				for _, r := range reqs {
					if _, err := c.Do(context.Background(), r); err != nil {
						t.Errorf("Do(%s): %v", r.RequestID, err)
					}
					_ = s.TotalRequests()
				}
			}
		}()
	}
	wg.Wait()
	for _, r := range reqs {
		if n := s.Requests(r.RequestID); n != workers*sends {
			t.Errorf("Requests(%s) = %d; want %d", r.RequestID, n, workers*sends)
		}
	}
	if n := s.TotalRequests(); n != workers*sends*ids {
		t.Errorf("TotalRequests() = %d; want %d", n, workers*sends*ids)
	}
	if n := len(s.Operations()); n != ids {
		t.Errorf("%d operations; want %d", n, ids)
	}
}
