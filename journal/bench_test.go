package journal

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"svbatch"
)

// The benchmarks do a fixed amount of work per iteration, so `make bench` (-benchtime 1x) gives
// meaningful rows/s figures; each opens a fresh journal on disk in b.TempDir().

const benchRows = 20_000 // rows per iteration

func benchJournal(b *testing.B) *Journal {
	b.Helper()
	j, err := Open(filepath.Join(b.TempDir(), "bench.svbatch.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = j.Close() })
	return j
}

func benchEntry(i int, st svbatch.Status) Entry {
	k := fmt.Sprintf("svb1%028d", i)
	return Entry{Key: k, Line: i + 2, RequestID: k, PayloadHash: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		State: st, Attempts: 1}
}

func report(b *testing.B, j *Journal, rows int, d time.Duration, c0, w0 int64) {
	commits, written := j.stats()
	b.ReportMetric(float64(rows)/d.Seconds(), "rows/s")
	if cpu := cpuTime(); cpu > 0 && !b.Failed() {
		b.ReportMetric(float64((cpu-cpuStart).Microseconds())/float64(rows), "cpu-µs/row")
	}
	if c := commits - c0; c > 0 {
		b.ReportMetric(float64(written-w0)/float64(c), "rows/commit")
	}
	b.Logf("iteration: %d rows in %v, %d commits", rows, d, commits-c0)
}

// BenchmarkMarkSending32: 32 goroutines each MarkSending rows back to back (each waits for its
// fsync'd commit); rows/s is the durable "sending" rate group commit achieves.
func BenchmarkMarkSending32(b *testing.B) {
	j := benchJournal(b)
	ctx := context.Background()
	for n := 0; n < b.N; n++ {
		c0, w0 := j.stats()
		var next atomic.Int64
		base := n * benchRows
		startCPU()
		start := time.Now()
		var wg sync.WaitGroup
		for w := 0; w < 32; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= benchRows {
						return
					}
					if err := j.MarkSending(ctx, benchEntry(base+i, svbatch.Sending)); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		report(b, j, benchRows, time.Since(start), c0, w0)
	}
}

// BenchmarkRecord: one goroutine records outcomes as fast as it can, then Flush; rows/s is the
// durable outcome rate.
func BenchmarkRecord(b *testing.B) {
	j := benchJournal(b)
	for n := 0; n < b.N; n++ {
		c0, w0 := j.stats()
		startCPU()
		start := time.Now()
		for i := 0; i < benchRows; i++ {
			e := benchEntry(n*benchRows+i, svbatch.Succeeded)
			e.Answered, e.BizSuccess, e.ResultOK, e.ResultCode, e.ResultDesc = true, true, true, "0", "成功"
			e.TraceID, e.LatencyMS, e.FinishedAt = "0b51a2e817000000000000000", 12, time.Now()
			if err := j.Record(e); err != nil {
				b.Fatal(err)
			}
		}
		if err := j.Flush(); err != nil {
			b.Fatal(err)
		}
		report(b, j, benchRows, time.Since(start), c0, w0)
	}
}

// cpuStart is the process CPU time when the iteration being measured started (startCPU).
var cpuStart time.Duration

func startCPU() { cpuStart = cpuTime() }

// cpuTime is the CPU time (user and system) the process has used so far, from /proc/self/stat
// (Linux; clock ticks of 10 ms); 0 where it is not known.
func cpuTime() time.Duration {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')') // the command name may hold spaces
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state): utime is field 14, stime 15
	if len(f) < 13 {
		return 0
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(u+st) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// BenchmarkRowLifecycle32 is the dispatcher's pattern: a planner Gets every row (a fresh run:
// all misses) and hands it to 32 workers, each MarkSending it, "sending" it (no network) and
// Recording the outcome; Flush at the end. rows/s is the journal's ceiling for a whole run.
func BenchmarkRowLifecycle32(b *testing.B) { rowLifecycle32(b, benchJournal(b)) }

// BenchmarkRowLifecycle32NoSync is BenchmarkRowLifecycle32 with synchronous=OFF: no fsync at all,
// the durability contract broken. The difference in cpu-µs/row and rows/s is what the contract's
// fsyncs cost the journal (commits/row times the cost of one fsync'd commit).
func BenchmarkRowLifecycle32NoSync(b *testing.B) {
	syncMode = "OFF"
	j := benchJournal(b)
	syncMode = "FULL"
	rowLifecycle32(b, j)
}

func rowLifecycle32(b *testing.B, j *Journal) {
	ctx := context.Background()
	for n := 0; n < b.N; n++ {
		c0, w0 := j.stats()
		io0 := diskWrites()
		startCPU()
		start := time.Now()
		rows := make(chan Entry, 64)
		var wg sync.WaitGroup
		for w := 0; w < 32; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for e := range rows {
					e.State = svbatch.Sending
					if err := j.MarkSending(ctx, e); err != nil {
						b.Error(err)
						return
					}
					e.State, e.Answered, e.BizSuccess, e.ResultOK, e.FinishedAt = svbatch.Succeeded, true, true, true, time.Now()
					if err := j.Record(e); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		for i := 0; i < benchRows; i++ {
			e := benchEntry(n*benchRows+i, svbatch.Pending)
			if _, ok, err := j.Get(e.Key); err != nil || ok {
				b.Fatalf("Get(%s) = %v, %v; want a miss", e.Key, ok, err)
			}
			rows <- e
		}
		close(rows)
		wg.Wait()
		if err := j.Flush(); err != nil {
			b.Fatal(err)
		}
		report(b, j, benchRows, time.Since(start), c0, w0)
		if io1 := diskWrites(); io0 >= 0 && io1 >= io0 {
			// the journal's write amplification: bytes the process wrote to disk per row (Linux)
			b.ReportMetric(float64(io1-io0)/float64(benchRows), "disk-B/row")
		}
	}
}

// BenchmarkGet: lookups of committed rows (a resumed run's planner).
func BenchmarkGet(b *testing.B) {
	j := benchJournal(b)
	for i := 0; i < benchRows; i++ {
		if err := j.Record(benchEntry(i, svbatch.Succeeded)); err != nil {
			b.Fatal(err)
		}
	}
	if err := j.Flush(); err != nil {
		b.Fatal(err)
	}
	for n := 0; n < b.N; n++ {
		c0, w0 := j.stats()
		startCPU()
		start := time.Now()
		for i := 0; i < benchRows; i++ {
			if _, ok, err := j.Get(benchEntry(i, "").Key); err != nil || !ok {
				b.Fatalf("Get = %v, %v", ok, err)
			}
		}
		report(b, j, benchRows, time.Since(start), c0, w0)
	}
}

// diskWrites is the bytes this process has caused to be written to storage (Linux
// /proc/self/io write_bytes); -1 where it is not known.
func diskWrites() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "write_bytes: "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}

// BenchmarkScanEntries reads 100,000 entries shaped like a run's (a sent record, an answer, two
// times) in line order: whole (full, what the results read), as a resume decides on them (light),
// and, for comparison, the 23 columns fetched one by one as before (columns: what entryColumns
// replaced). µs/entry is what a million-row results file or resume waits for per row.
func BenchmarkScanEntries(b *testing.B) {
	j := benchJournal(b)
	const n = 100_000
	now := time.Now()
	for i := 0; i < n; i++ {
		e := benchEntry(i, svbatch.Succeeded)
		e.ResultCode, e.TraceID, e.FinishedAt, e.LatencyMS, e.Answered, e.BizSuccess, e.ResultOK = "0", "gw-trace-0123456789", now, 12, true, true, true
		e.Sent = fmt.Sprintf(`{"brand_id":"1332","operate_type":1,"outer_order_id":"ORD-%08d","fen":100,"shop_id":"S01","operator_id":"op-1","customer_id":"C%07d","reason":"crash"}`, i, i%100000)
		if err := j.Record(e); err != nil {
			b.Fatal(err)
		}
	}
	if err := j.Flush(); err != nil {
		b.Fatal(err)
	}
	scan := func(b *testing.B, light bool) {
		for range b.N {
			start := time.Now()
			sc := j.Scan()
			sc.light = light
			c := 0
			for _, ok := sc.Next(); ok; _, ok = sc.Next() {
				c++
			}
			if sc.Err() != nil || c != n {
				b.Fatalf("%d entries, %v", c, sc.Err())
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/n, "µs/entry")
		}
	}
	b.Run("full", func(b *testing.B) { scan(b, false) })
	b.Run("light", func(b *testing.B) { scan(b, true) })
	b.Run("columns", func(b *testing.B) {
		for range b.N {
			start := time.Now()
			c, line, key := 0, -1<<62, ""
			for {
				rows, err := j.rdb.Query(`SELECT key, line, request_id, generation, payload_hash, state, attempts, note,
	answered, biz_success, result_ok, result_code, result_desc, err_code, err_msg, err_sub_code, err_sub_msg,
	trace_id, latency_ms, finished_at, run_id, sent, updated_at FROM rows WHERE (line, key) > (?, ?) ORDER BY line, key LIMIT ?`, line, key, pageSize)
				if err != nil {
					b.Fatal(err)
				}
				got := 0
				for rows.Next() {
					var e Entry
					var state, finished, updated string
					if err := rows.Scan(&e.Key, &e.Line, &e.RequestID, &e.Generation, &e.PayloadHash, &state, &e.Attempts,
						&e.Note, &e.Answered, &e.BizSuccess, &e.ResultOK, &e.ResultCode, &e.ResultDesc, &e.ErrCode,
						&e.ErrMsg, &e.ErrSubCode, &e.ErrSubMsg, &e.TraceID, &e.LatencyMS, &finished, &e.RunID, &e.Sent, &updated); err != nil {
						b.Fatal(err)
					}
					e.FinishedAt, _ = time.Parse(time.RFC3339Nano, finished)
					e.UpdatedAt, _ = time.Parse(time.RFC3339Nano, updated)
					line, key = e.Line, e.Key
					got++
				}
				rows.Close()
				if c += got; got < pageSize {
					break
				}
			}
			if c != n {
				b.Fatal(c)
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/n, "µs/entry")
		}
	})
}
