package platform

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"svbatch"
	"svbatch/client"
	"svbatch/sandbox"
)

// pfSandbox starts a sandbox on loopback whose clock is fixed, and applies n charges to 3 customers
// in 2 shops of brand B, one applied second apart from t0.
func pfSandbox(t *testing.T, n int) (*sandbox.Server, string, time.Time) {
	t.Helper()
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, svbatch.GMT8)
	clock := t0
	sb, err := sandbox.New(sandbox.Config{MaxPageSize: 100, Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		clock = t0.Add(time.Duration(i) * time.Second)
		if _, err := sb.Apply(context.Background(), client.RechargeRequest{BrandID: "B", ShopID: fmt.Sprintf("S%d", i%2), OperatorID: "op",
			OuterOrderID: fmt.Sprintf("CH-%03d", i), RequestID: fmt.Sprintf("rq-%03d", i), OperateType: svbatch.Charge,
			ChangeValue: int64(100 + i), CustomerID: fmt.Sprintf("C%d", i%3)}); err != nil {
			t.Fatal(err)
		}
	}
	clock = t0.Add(time.Hour) // the reads come later, with the timestamps the sandbox expects
	url, err := sb.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb, url, t0
}

func pfReader(t *testing.T, url string) *client.Reader {
	t.Helper()
	cl, err := client.New(client.WithGateway(url), client.WithAppKey(sandbox.DefaultAppKey), client.WithSecret(sandbox.DefaultSecret),
		client.WithNow(func() time.Time { return time.Date(2026, 11, 27, 11, 0, 0, 0, svbatch.GMT8) }))
	if err != nil {
		t.Fatal(err)
	}
	r := client.NewReader(cl)
	r.PageSize = 4
	return r
}

func pfScope(url string, t0 time.Time) Scope {
	return Scope{Gateway: url, Start: t0.Add(-time.Minute), End: t0.Add(30 * time.Minute),
		Shops:    []Shop{{"B", "S0"}, {"B", "S1"}},
		Accounts: []Account{{BrandID: "B", ShopID: "S0", CustomerID: "C0"}, {BrandID: "B", ShopID: "S1", CustomerID: "C1"}, {BrandID: "B", ShopID: "S0", CustomerID: "C2"}, {BrandID: "B", ShopID: "S0", CustomerID: "NOBODY"}}}
}

// TestFetch reads every flow of the shops (paged, window by window) and every balance, keeps them
// in the cache, and a second fetch spends no read call.
func TestFetch(t *testing.T) {
	t.Parallel()
	sb, url, t0 := pfSandbox(t, 17)
	cache := filepath.Join(t.TempDir(), "platform.json")
	r := pfReader(t, url)
	snap, st, err := Fetch(context.Background(), r, pfScope(url, t0), Options{Window: 10 * time.Minute, CachePath: cache})
	if err != nil {
		t.Fatal(err)
	}
	if got := snap.FlowCount(); got != len(sb.Flows()) || got != 17 {
		t.Errorf("%d flows read; want 17", got)
	}
	// 2 shops × 4 windows (31 min in 10-minute windows); the first window of S0 holds 9 flows (3
	// pages of 4), S1's 8 (2 pages: paging stops on total_size); the others one empty page each.
	// Then 4 balances.
	if st.Windows != 8 || st.Pages != 11 || st.Balances != 4 || st.Calls != 15 || r.Calls() != 15 {
		t.Errorf("stats %+v, reader calls %d; want 8 windows, 11 pages, 4 balances, 15 calls", st, r.Calls())
	}
	accts := snap.Accounts()
	var total int64
	for _, a := range accts {
		if a.CustomerID == "NOBODY" {
			if a.Found || a.Err != "" {
				t.Errorf("unknown customer: %+v; want not found, no error", a)
			}
			continue
		}
		if !a.Found || len(a.AccountIDs) == 0 {
			t.Errorf("account %+v: want found with ids", a)
		}
		total += a.Balance
	}
	if want := int64(17*100 + 16*17/2); total != want {
		t.Errorf("balances add up to %d; want %d", total, want)
	}
	if !snap.Complete() {
		t.Error("snapshot not complete")
	}

	r2 := pfReader(t, url)
	snap2, st2, err := Fetch(context.Background(), r2, pfScope(url, t0), Options{Window: 10 * time.Minute, CachePath: cache})
	if err != nil {
		t.Fatal(err)
	}
	if r2.Calls() != 0 || st2.Calls != 0 || !st2.Cached || snap2.FlowCount() != 17 || snap2.Calls != 15 {
		t.Errorf("rerun: %d calls (stats %+v), %d flows, snapshot calls %d; want 0 calls from the cache, 17 flows, 15", r2.Calls(), st2, snap2.FlowCount(), snap2.Calls)
	}
	// Another scope (a wider window) does not use the cache.
	sc := pfScope(url, t0)
	sc.End = sc.End.Add(time.Minute)
	if _, st3, err := Fetch(context.Background(), pfReader(t, url), sc, Options{Window: time.Hour, CachePath: cache}); err != nil || st3.Cached || st3.CacheNote == "" || st3.Calls == 0 {
		t.Errorf("other scope: %+v, %v; want read again, with a note", st3, err)
	}
}

// TestFetchResume: a fetch stopped after a few calls saves what it read; the next one resumes and
// the two together spend what one whole fetch does.
func TestFetchResume(t *testing.T) {
	t.Parallel()
	_, url, t0 := pfSandbox(t, 17)
	cache := filepath.Join(t.TempDir(), "platform.json")
	stop := errors.New("stopped")
	r := pfReader(t, url)
	n := 0
	r.Before = func(context.Context) error {
		if n++; n > 5 {
			return stop
		}
		return nil
	}
	if _, _, err := Fetch(context.Background(), r, pfScope(url, t0), Options{Window: 10 * time.Minute, CachePath: cache}); !errors.Is(err, stop) {
		t.Fatalf("err %v; want the stop", err)
	}
	r2 := pfReader(t, url)
	snap, st, err := Fetch(context.Background(), r2, pfScope(url, t0), Options{Window: 10 * time.Minute, CachePath: cache})
	if err != nil {
		t.Fatal(err)
	}
	if !st.Cached || snap.FlowCount() != 17 || !snap.Complete() {
		t.Errorf("resumed: %+v, %d flows; want the cache resumed to all 17", st, snap.FlowCount())
	}
	if got := r.Calls() + r2.Calls(); got > 15+3 || snap.Calls != got {
		t.Errorf("%d + %d calls, snapshot says %d; want at most 15 plus the window restarted", r.Calls(), r2.Calls(), snap.Calls)
	}
}
