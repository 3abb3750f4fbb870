//go:build unix

package reconcile

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// genBench writes n expected rows and about n results rows with ~1% planted breaks: every 500th
// row missing from the results, every 500th (offset) unexpected, amount and customer mismatches,
// failures, and duplicates on both sides.
func genBench(b *testing.B, dir string, n int) (expPath, resPath string) {
	b.Helper()
	expPath, resPath = filepath.Join(dir, "expected.csv"), filepath.Join(dir, "results.csv")
	ef, err := os.Create(expPath)
	if err != nil {
		b.Fatal(err)
	}
	rf, err := os.Create(resPath)
	if err != nil {
		b.Fatal(err)
	}
	ew, rw := bufio.NewWriterSize(ef, 1<<20), bufio.NewWriterSize(rf, 1<<20)
	fmt.Fprintln(ew, "brand_id,operate_type,outer_order_id,new_outer_order_id,change_value,customer_id,expected_status")
	fmt.Fprintln(rw, "row,brand_id,shop_id,operator_id,outer_order_id,new_outer_order_id,operate_type,change_value,customer_id,mobile,outer_id,outer_type,reason,request_id,status,note,attempts,biz_success,result,result_code,result_desc,error_code,error_msg,error_sub_code,error_sub_msg,trace_id,latency_ms,finished_at")
	res := func(row int, outer string, op int, newOuter string, amt int64, cust, status string) {
		ok := "true"
		if status != "succeeded" {
			ok = "false"
		}
		fmt.Fprintf(rw, "%d,B%d,S1,OP1,%s,%s,%d,%d,%s,,,,batch,svb1%028d,%s,,1,%s,%s,0,成功,,,,,tr%d,12,2025-01-31T10:00:00Z\n",
			row, row%7, outer, newOuter, op, amt, cust, row, status, ok, ok, row)
	}
	for i := 0; i < n; i++ {
		outer := fmt.Sprintf("ORD%09d", i)
		op, newOuter := 1, ""
		if i%10 == 9 {
			op, newOuter = 4, fmt.Sprintf("REF%09d", i)
		}
		amt := int64(100 + i%5000)
		cust := fmt.Sprintf("C%07d", i%200000)
		row := i + 2
		fmt.Fprintf(ew, "B%d,%d,%s,%s,%d,%s,\n", row%7, op, outer, newOuter, amt, cust)
		switch i % 500 {
		case 1: // missing
		case 2: // amount mismatch
			res(row, outer, op, newOuter, amt+1, cust, "succeeded")
		case 3: // customer mismatch
			res(row, outer, op, newOuter, amt, "X"+cust, "succeeded")
		case 4: // failed
			res(row, outer, op, newOuter, amt, cust, "failed")
		case 5: // duplicate in the results
			res(row, outer, op, newOuter, amt, cust, "succeeded")
			res(row, outer, op, newOuter, amt, cust, "succeeded")
		case 6: // unexpected (and this one is done too)
			res(row, outer, op, newOuter, amt, cust, "succeeded")
			res(row, "X"+outer, op, newOuter, amt, cust, "succeeded")
		default:
			res(row, outer, op, newOuter, amt, cust, "succeeded")
		}
	}
	for _, f := range []struct {
		w *bufio.Writer
		f *os.File
	}{{ew, ef}, {rw, rf}} {
		if err := f.w.Flush(); err != nil {
			b.Fatal(err)
		}
		if err := f.f.Close(); err != nil {
			b.Fatal(err)
		}
	}
	return expPath, resPath
}

// readCSVOnly is the baseline: read both files with encoding/csv and do nothing.
func readCSVOnly(paths ...string) (int, error) {
	rows := 0
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return 0, err
		}
		r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
		r.FieldsPerRecord = -1
		for {
			_, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				f.Close()
				return 0, err
			}
			rows++
		}
		f.Close()
	}
	return rows, nil
}

// cpuTime is the process's user+system CPU time: less disturbed than wall time by other load.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakHeap samples the live heap until stop is closed.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}

// BenchmarkReconcile1M reconciles 1,000,000 results rows against 1,000,000 expected rows (CSV, ~1%
// breaks) and reports the time ratio against just reading both files with encoding/csv in the same
// run (target ≤ 3), and the peak heap in use (target ≤ 600 MiB).
func BenchmarkReconcile1M(b *testing.B) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	expPath, resPath := genBench(b, b.TempDir(), n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runtime.GC()
		t0, c0 := time.Now(), cpuTime()
		if _, err := readCSVOnly(expPath, resPath); err != nil {
			b.Fatal(err)
		}
		base, baseCPU := time.Since(t0), cpuTime()-c0

		runtime.GC()
		stop := peakHeap()
		t1, c1 := time.Now(), cpuTime()
		rs, err := OpenResults(resPath)
		if err != nil {
			b.Fatal(err)
		}
		es, err := OpenExpected(expPath, FileOptions{})
		if err != nil {
			b.Fatal(err)
		}
		r, err := Reconcile(es, rs, Options{})
		if err != nil {
			b.Fatal(err)
		}
		took, tookCPU := time.Since(t1), cpuTime()-c1
		peak := stop()
		rs.Close()
		es.Close()
		if !r.Explained || r.ExpectedRows != int64(n) {
			b.Fatalf("not explained or rows lost: %+v", r.Summary())
		}
		breaks := r.ResultsRows + r.ExpectedRows - 2*r.Totals(Matched).Count
		b.ReportMetric(base.Seconds(), "csv-read-s")
		b.ReportMetric(took.Seconds(), "reconcile-s")
		b.ReportMetric(took.Seconds()/base.Seconds(), "x-csv-read")
		b.ReportMetric(tookCPU.Seconds()/baseCPU.Seconds(), "x-csv-read-cpu")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(breaks)/float64(2*n)*100, "break-%")
		runtime.KeepAlive(r)
	}
}
