package sandbox

import (
	"context"
	"fmt"
	"path/filepath"
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
