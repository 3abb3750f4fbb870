package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"svbatch/client"
)

// TestFailRate: the transient fault answers code 10 isp.* and applies nothing.
func TestFailRate(t *testing.T) {
	t.Parallel()
	s, u := startSandbox(t, Config{Faults: Faults{FailRate: 1}})
	c := newClient(t, u)
	req := chargeReq("C-fail", 10)
	ae := apiErr(t, c, req)
	if ae.Code != 10 || !strings.HasPrefix(ae.SubCode, "isp.") || client.Classify(ae) != client.Transient {
		t.Errorf("got %+v (%v); want a transient code 10 isp.*", ae, client.Classify(ae))
	}
	if av, _ := balanceOf(s, "C-fail"); av != 0 || len(s.Operations()) != 0 {
		t.Errorf("got available %d, %d operations; want nothing applied", av, len(s.Operations()))
	}
	s.SetFaults(Faults{})
	if r := do(t, c, req).Result; !r.OK() { // the retry with the same request_id goes through
		t.Errorf("retry: got %+v; want success", r)
	}
}

// TestTimeoutAfterApply: the timeout fault applies and then drops the connection (outcome unknown);
// the replay answers the stored answer and the balance moved once.
func TestTimeoutAfterApply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		stall  time.Duration
		client []client.Option
	}{
		// connection dropped right after applying
		{"drop", 0, nil},
		// stalls past the client's timeout
		{"stall", 20 * time.Second, []client.Option{client.WithTimeout(150 * time.Millisecond)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, u := startSandbox(t, Config{Faults: Faults{TimeoutRate: 1, TimeoutStall: tc.stall}})
			c := newClient(t, u, tc.client...)
			req := chargeReq("C-to", 42)
			start := time.Now()
			_, err := c.Do(context.Background(), req)
			var te *client.TransportError
			if !errors.As(err, &te) || !te.Sent || client.Classify(err) != client.OutcomeUnknown {
				t.Fatalf("got %v; want a transport error after sending (outcome unknown)", err)
			}
			// Far below the stall, so that only the client's own timeout explains it, however busy
			// the machine is (a race-detector run on two loaded cores can take a second).
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v; want the client to give up quickly", d)
			}
			if av, _ := balanceOf(s, "C-to"); av != 42 {
				t.Fatalf("got available %d; want 42 (applied before the fault)", av)
			}
			s.SetFaults(Faults{})
			resp := do(t, c, req)
			if !resp.Result.OK() {
				t.Errorf("replay: got %+v; want the stored success", resp.Result)
			}
			ops := s.Operations()
			if av, _ := balanceOf(s, "C-to"); av != 42 || len(ops) != 1 {
				t.Errorf("after replay: available %d, %d operations; want 42 and 1", av, len(ops))
			}
		})
	}
}

// TestFaultsReproducible: the same seed and request order give the same faults; another seed differs.
func TestFaultsReproducible(t *testing.T) {
	t.Parallel()
	pattern := func(seed int64) string {
		s, u := startSandbox(t, Config{Seed: seed, Faults: Faults{FailRate: 0.5}})
		_ = s
		c := newClient(t, u)
		var b bytes.Buffer
		for i := 0; i < 40; i++ {
			req := chargeReq("C-seed", 1)
			req.RequestID = fmt.Sprintf("seed-%d", i)
			if _, err := c.Do(context.Background(), req); err != nil {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b, other := pattern(7), pattern(7), pattern(8)
	if a != b {
		t.Errorf("same seed: %s vs %s; want equal", a, b)
	}
	if a == other {
		t.Errorf("seeds 7 and 8 gave the same 40 draws %s; want different", a)
	}
	if !strings.Contains(a, "x") || !strings.Contains(a, ".") {
		t.Errorf("got %s; want a mix at rate 0.5", a)
	}
}

// TestLatency: the latency fault delays answers by at least its minimum.
func TestLatency(t *testing.T) {
	t.Parallel()
	_, u := startSandbox(t, Config{Faults: Faults{LatencyMin: 30 * time.Millisecond, LatencyMax: 40 * time.Millisecond}})
	c := newClient(t, u)
	start := time.Now()
	do(t, c, chargeReq("C-lat", 1))
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("took %v; want ≥ 30ms", d)
	}
}

// TestFlowControl: over the token bucket every call gets code 7 with the ban's length until it ends.
func TestFlowControl(t *testing.T) {
	t.Parallel()
	clk := newClock()
	_, u := startSandbox(t, Config{Now: clk.Now, QPSLimit: 2, BanSeconds: 3})
	c := newClient(t, u, client.WithNow(clk.Now))
	do(t, c, chargeReq("C-qps", 1))
	do(t, c, chargeReq("C-qps", 1)) // burst 2
	ae := apiErr(t, c, chargeReq("C-qps", 1))
	if ae.Code != 7 || ae.SubCode != "accesscontrol.limited-by-app-access-count" || ae.SubMsg != "This ban will last for 3 more seconds" {
		t.Fatalf("got %+v; want code 7 with a 3 s ban", ae)
	}
	if client.Classify(ae) != client.FlowControl || client.BanWait(ae) != 4*time.Second {
		t.Errorf("got class %v wait %v; want flow-control 4s", client.Classify(ae), client.BanWait(ae))
	}
	clk.Add(1500 * time.Millisecond) // still banned, though tokens refilled
	if ae := apiErr(t, c, chargeReq("C-qps", 1)); ae.Code != 7 || ae.SubMsg != "This ban will last for 2 more seconds" {
		t.Errorf("during the ban: got %+v; want code 7, 2 more seconds", ae)
	}
	clk.Add(2 * time.Second)
	if r := do(t, c, chargeReq("C-qps", 1)).Result; !r.OK() {
		t.Errorf("after the ban: got %+v; want success", r)
	}
}

// TestShutdownCutsStall: Close does not wait for a stalled timeout.
func TestShutdownCutsStall(t *testing.T) {
	t.Parallel()
	s, err := New(Config{Faults: Faults{TimeoutRate: 1, TimeoutStall: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, u)
	done := make(chan error, 1)
	go func() { _, err := c.Do(context.Background(), chargeReq("C-sd", 1)); done <- err }()
	// Close once the request is stalled at the server: closed earlier, the call would find no
	// server (connection refused) rather than a stall cut short.
	for deadline := time.Now().Add(30 * time.Second); s.TotalRequests() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the request never reached the sandbox")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if d := time.Since(start); d > 20*time.Second { // the stall is a minute
		t.Errorf("Close took %v; want the stall cut short", d)
	}
	if err := <-done; client.Classify(err) != client.OutcomeUnknown {
		t.Errorf("got %v; want outcome unknown", err)
	}
}
