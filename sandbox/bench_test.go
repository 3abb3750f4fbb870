package sandbox

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"svbatch"
	"svbatch/client"
)

// BenchmarkSandboxServe measures requests/s the sandbox serves on loopback without faults: signed
// charges from the client package over keep-alive connections, 32 in flight, spread over 1,000
// accounts. Targets: ≥ 5,000 req/s in memory and ≥ 1,000 req/s with a SQLite file on 2 cores.
func BenchmarkSandboxServe(b *testing.B) {
	for _, mode := range []string{"memory", "db"} {
		b.Run(mode, func(b *testing.B) {
			cfg := Config{}
			if mode == "db" {
				cfg.DBPath = filepath.Join(b.TempDir(), "ledger.db")
			}
			_, u := startSandbox(b, cfg)
			c := newClient(b, u)
			var n atomic.Int64
			b.SetParallelism(16) // × GOMAXPROCS goroutines in flight
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					req := client.RechargeRequest{BrandID: "B1", ShopID: "S1", OperatorID: "op",
						CustomerID: fmt.Sprintf("C%d", i%1000), OuterOrderID: fmt.Sprintf("bench-%s-%d", mode, i),
						RequestID: fmt.Sprintf("bench-%s-%d", mode, i), OperateType: svbatch.Charge, ChangeValue: 100}
					resp, err := c.Do(context.Background(), req)
					if err != nil || !resp.Result.OK() {
						b.Errorf("Do: %v %+v", err, resp)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "reqs/sec")
		})
	}
}

// BenchmarkSandboxMemory1M measures the heap the ledger keeps per remembered request_id: it applies
// SVBATCH_BENCH_IDS (default 1,000,000) distinct charges over 100,000 accounts and 10 shops
// directly through the path /router/rest takes after parsing (Encode, countRequest, apply; no
// HTTP), then collects garbage and reports the live heap growth per request_id, in memory and with
// --db. Request ids are v1 ids (32 characters) as svbatch derives them. Run it once:
//
//	go test -run '^$' -bench SandboxMemory1M -benchtime 1x ./sandbox
func BenchmarkSandboxMemory1M(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("SVBATCH_BENCH_IDS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("SVBATCH_BENCH_IDS=%q: want a count > 0", v)
		}
	}
	for _, mode := range []string{"memory", "db"} {
		b.Run(mode, func(b *testing.B) {
			for b.Loop() {
				alloc, inuse, restart := sandboxMemory(b, mode, n)
				b.ReportMetric(float64(alloc)/float64(n), "heapalloc-B/id")
				b.ReportMetric(float64(inuse)/float64(n), "heapinuse-B/id")
				if mode == "db" {
					b.ReportMetric(restart.Seconds(), "restart-s")
				}
			}
		})
	}
}

// sandboxMemory applies n charges to a fresh sandbox and returns the growth of HeapAlloc and
// HeapInuse, after a GC, from before the sandbox was made; with --db (mode db) also how long the
// sandbox then takes to start again on its ledger file (it replays the log and checks the tables),
// and that it remembers every request_id after it.
func sandboxMemory(b *testing.B, mode string, n int) (alloc, inuse int64, restart time.Duration) {
	b.Helper()
	cfg := Config{}
	if mode == "db" {
		cfg.DBPath = filepath.Join(b.TempDir(), "ledger.db")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for i := range n {
		outer := fmt.Sprintf("ORD-2026-%08d", i)
		req := client.RechargeRequest{BrandID: "1332", ShopID: fmt.Sprintf("S%03d", i%10), OperatorID: "finance-bot",
			CustomerID: fmt.Sprintf("C%07d", i%100_000), OuterOrderID: outer,
			RequestID: svbatch.RequestIDv1("", "1332", int(svbatch.Charge), outer, ""), OperateType: svbatch.Charge, ChangeValue: int64(100 + i%1000)}
		payload, err := req.Encode()
		if err != nil {
			b.Fatal(err)
		}
		s.countRequest(req.RequestID)
		ans, err := s.apply(ctx, &req, payload, s.newTrace())
		if err != nil || !ans.result.OK() {
			b.Fatalf("apply %d: %v %+v", i, err, ans.result)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(s)
	alloc, inuse = int64(after.HeapAlloc)-int64(before.HeapAlloc), int64(after.HeapInuse)-int64(before.HeapInuse)
	if mode != "db" {
		return alloc, inuse, 0
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	s2, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	restart = time.Since(start)
	defer s2.Close()
	if got := len(s2.Operations()); got != n {
		b.Fatalf("after a restart the sandbox holds %d operations; want %d", got, n)
	}
	return alloc, inuse, restart
}
