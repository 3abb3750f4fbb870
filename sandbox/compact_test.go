package sandbox

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"svbatch"
	"svbatch/client"
)

// TestIndexCollisions: refs whose keys all hash alike are all found, through growth; the index
// only ever yields candidates for the caller to compare.
func TestIndexCollisions(t *testing.T) {
	t.Parallel()
	x := index{hashOf: func(ref uint32) uint64 { return 42 }}
	const n = 1000
	for i := range uint32(n) {
		x.insert(42, i)
	}
	var got []uint32
	for ref := range x.candidates(42) {
		got = append(got, ref)
	}
	slices.Sort(got)
	if len(got) != n || got[0] != 0 || got[n-1] != n-1 {
		t.Errorf("got %d candidates (%v…); want all %d refs", len(got), got[:min(3, len(got))], n)
	}
	for range x.candidates(42 | 1<<60) { // same slot, another tag: nothing
		t.Fatal("a candidate for another hash's tag")
	}
}

// TestPackStrings: packed fields read back as given, empty and long ones included.
func TestPackStrings(t *testing.T) {
	t.Parallel()
	want := []string{"", "svb1abc", string(make([]byte, 300)), "备注", ""}
	_, s := packStrings(nil, want...)
	got := make([]string, len(want))
	fields(s, got)
	for i := range want {
		if got[i] != want[i] || field(s, i) != want[i] {
			t.Errorf("field %d: got %q, %q; want %q", i, got[i], field(s, i), want[i])
		}
	}
}

// TestReplayAfterRestartRandom: a random script of every operation type, identity kind, replays and
// conflicting reuses of request_ids over a ledger file; after a restart the balances, log and flows
// read back the same, and every request sent again gets exactly its first answer (or the same
// conflict).
func TestReplayAfterRestartRandom(t *testing.T) {
	t.Parallel()
	clk := newClock()
	db := filepath.Join(t.TempDir(), "ledger.db")
	s1, err := New(Config{DBPath: db, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var sent []client.RechargeRequest
	var first []string
	for i := range 3000 {
		var req client.RechargeRequest
		if len(sent) > 0 && rng.IntN(10) == 0 { // a resend, sometimes with another amount
			req = sent[rng.IntN(len(sent))]
			if rng.IntN(3) == 0 {
				req.ChangeValue++
			}
		} else {
			req = client.RechargeRequest{BrandID: fmt.Sprintf("B%d", rng.IntN(2)), ShopID: fmt.Sprintf("S%d", rng.IntN(3)),
				OperatorID: fmt.Sprintf("op%d", rng.IntN(2)), OuterOrderID: fmt.Sprintf("o%d", rng.IntN(200)),
				RequestID: fmt.Sprintf("r%d", i), OperateType: svbatch.OperateType(1 + rng.IntN(4)), ChangeValue: int64(1 + rng.IntN(500))}
			if rng.IntN(4) == 0 {
				req.Reason = "why"
			}
			switch rng.IntN(4) {
			case 0:
				req.CustomerID = fmt.Sprintf("C%d", rng.IntN(10))
			case 1:
				req.Mobile = fmt.Sprintf("138%d", rng.IntN(10))
			case 2:
				req.OuterType, req.OuterID = "wechat", fmt.Sprintf("w%d", rng.IntN(10))
			default: // customer_id and mobile: keyed by the customer_id, both in the log
				req.CustomerID, req.Mobile = fmt.Sprintf("C%d", rng.IntN(10)), "139"
			}
			if req.OperateType == svbatch.Refund || rng.IntN(8) == 0 {
				req.NewOuterOrderID = fmt.Sprintf("n%d", rng.IntN(200))
			}
		}
		sent = append(sent, req)
		r, err := s1.Apply(context.Background(), req)
		first = append(first, fmt.Sprintf("%+v %v", r, err))
		if rng.IntN(50) == 0 {
			clk.Add(time.Duration(rng.IntN(3000)) * time.Millisecond)
		}
	}
	bal, ops, flows := s1.Balances(), s1.Operations(), s1.Flows()
	if len(ops) < 500 || len(flows) <= len(ops) {
		t.Fatalf("%d operations, %d flows: the script should apply hundreds and post some holds", len(ops), len(flows))
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := New(Config{DBPath: db, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	ops2 := s2.Operations()
	for i := range ops2 {
		if !ops2[i].AppliedAt.Equal(ops[i].AppliedAt) {
			t.Fatalf("operation %d applied at %v after the restart; want %v", i+1, ops2[i].AppliedAt, ops[i].AppliedAt)
		}
		ops2[i].AppliedAt = ops[i].AppliedAt
	}
	if !reflect.DeepEqual(s2.Balances(), bal) || !reflect.DeepEqual(ops2, ops) || !reflect.DeepEqual(s2.Flows(), flows) {
		t.Error("the balances, operations or flows read back differ")
	}
	for i, req := range sent {
		r, err := s2.Apply(context.Background(), req)
		if got := fmt.Sprintf("%+v %v", r, err); got != first[i] {
			t.Errorf("request %d (%s) sent again: %s; want %s", i, req.RequestID, got, first[i])
		}
	}
	if n := len(s2.Operations()); n != len(ops) {
		t.Errorf("%d operations after sending everything again; want %d", n, len(ops))
	}
}
