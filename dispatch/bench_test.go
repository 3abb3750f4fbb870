package dispatch_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
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

// dbSandboxClient starts a sandbox on loopback and returns a client for it.
func dbSandboxClient(b testing.TB, cfg sandbox.Config) (*sandbox.Server, *client.Client) {
	b.Helper()
	sb, err := sandbox.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	url, err := sb.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sb.Close() })
	cl, err := client.New(client.WithGateway(url), client.WithAppKey(sandbox.DefaultAppKey), client.WithSecret(sandbox.DefaultSecret))
	if err != nil {
		b.Fatal(err)
	}
	return sb, cl
}

// dbRows are n charges spread over accounts accounts, file order interleaving them.
func dbRows(n, accounts int, prefix string) []batch.Row {
	rows := make([]batch.Row, n)
	for i := range rows {
		rows[i] = dtRow(i+2, "1332", fmt.Sprintf("%s-C%06d", prefix, i%accounts), svbatch.Charge, fmt.Sprintf("%s-%08d", prefix, i), "", 100)
	}
	return rows
}

// flowCounter counts flow-control answers (code 7 …) seen by the dispatcher.
type flowCounter struct {
	dispatch.Sender
	n atomic.Int64
}

func (f *flowCounter) Do(ctx context.Context, req client.RechargeRequest) (*client.Response, error) {
	resp, err := f.Sender.Do(ctx, req)
	if client.Classify(err) == client.FlowControl {
		f.n.Add(1)
	}
	return resp, err
}

// BenchmarkDispatchPacing is target (a) of issue 5: at QPS 200 for 2,000 rows against a sandbox whose
// QPS limit is 210, the achieved rate must be ≥ 99% of 200 with zero code-7 answers.
func BenchmarkDispatchPacing(b *testing.B) {
	const rows, qps = 2000, 200
	for i := 0; i < b.N; i++ {
		_, cl := dbSandboxClient(b, sandbox.Config{QPSLimit: 210})
		fc := &flowCounter{Sender: cl}
		var succeeded atomic.Int64
		d := dispatch.New(dispatch.Config{QPS: qps, Concurrency: 8, OnRow: func(rd dispatch.RowDone) {
			st := rd.Status
			if st == svbatch.Succeeded {
				succeeded.Add(1)
			}
		}}, fc, dtJournal(b))
		start := time.Now()
		if err := d.Run(context.Background(), &dtSource{rows: dbRows(rows, 500, "P")}); err != nil {
			b.Fatal(err)
		}
		el := time.Since(start)
		if succeeded.Load() != rows {
			b.Fatalf("%d rows succeeded; want %d", succeeded.Load(), rows)
		}
		rate := float64(rows) / el.Seconds()
		b.ReportMetric(rate, "rows/s")
		b.ReportMetric(100*rate/qps, "%of-qps")
		b.ReportMetric(float64(fc.n.Load()), "code7")
		if rate < 0.99*qps || fc.n.Load() > 0 {
			b.Logf("target missed: %.1f rows/s (%.1f%% of %d), %d code-7 answers", rate, 100*rate/qps, qps, fc.n.Load())
		}
	}
}

// BenchmarkDispatchOverhead is target (b) of issue 5 and the run overhead of issue 15: with no rate
// limit and concurrency 32, rows/s end to end (journal on disk included) next to the sandbox's own
// req/s from a plain concurrent client loop (the same signing client, nothing else) in the same
// iteration, each phase against a fresh sandbox. Sub-benchmarks:
//
//   - inproc: the sandbox in this process, as before (issue 5's ≥ 50%). Process CPU then covers
//     both sides: run-µs/row − plain-µs/row is svbatch's overhead over a bare client.
//   - memory, db: the sandbox in a child process (this test binary re-executed; db with a SQLite
//     ledger file, sandbox.Config.DBPath). This process's CPU is then the client side alone:
//     plain-µs/row is the bare signing client's, run-µs/row svbatch's own (dispatcher, journal,
//     client), overhead-µs/row their difference; sandbox-µs/row is the child's CPU per request in
//     the plain phase. Issue 15's targets: run-µs/row ≤ 100, %of-sandbox ≥ 60 (memory), ≥ 90 (db).
//   - memory-nowait: as memory, but MarkSending does not wait for its commit (it only queues the
//     entry, as Record does): the durability contract's wait removed, every write still committed
//     and fsync'd. With memory-tmpfs (the journal on /dev/shm, where fsync costs nothing) it says
//     what the contract costs per row. db-tmpfs is db with the journal on /dev/shm: whether the
//     run's fsyncs, on the disk the sandbox's ledger also syncs to, are what holds it below db.
//
// commits/row is the journal's transactions per row (each one fsync with synchronous=FULL).
func BenchmarkDispatchOverhead(b *testing.B) {
	cases := []struct {
		name      string
		child, db bool
		tmpfs     bool
		nowait    bool
	}{
		{name: "inproc"},
		{name: "memory", child: true},
		{name: "db", child: true, db: true},
		{name: "memory-nowait", child: true, nowait: true},
		{name: "memory-tmpfs", child: true, tmpfs: true},
		{name: "db-tmpfs", child: true, db: true, tmpfs: true},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			if tc.tmpfs {
				if st, err := os.Stat("/dev/shm"); err != nil || !st.IsDir() {
					b.Skip("no /dev/shm")
				}
			}
			for i := 0; i < b.N; i++ {
				benchOverhead(b, tc.child, tc.db, tc.tmpfs, tc.nowait)
			}
		})
	}
}

const (
	ovRows, ovAccounts, ovConc = 20000, 5000, 32
)

// benchOverhead is one iteration of BenchmarkDispatchOverhead.
func benchOverhead(b *testing.B, child, db, tmpfs, nowait bool) {
	start := func() (*client.Client, func() time.Duration) {
		if child {
			return childSandbox(b, db)
		}
		cfg := sandbox.Config{}
		if db {
			cfg.DBPath = filepath.Join(b.TempDir(), "ledger.db")
		}
		sb, cl := dbSandboxClient(b, cfg)
		return cl, func() time.Duration { sb.Close(); return 0 }
	}

	// The sandbox alone: 32 goroutines sending distinct charges with the same client.
	cl, stop := start()
	plain := dbRows(ovRows, ovAccounts, "S")
	var next atomic.Int64
	var wg sync.WaitGroup
	runtime.GC()
	cpu0, t0 := cpuTime(), time.Now()
	for w := 0; w < ovConc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := next.Add(1) - 1
				if k >= ovRows {
					return
				}
				if _, err := cl.Do(context.Background(), plain[k].Req); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	plainWall, plainCPU := time.Since(t0), cpuTime()-cpu0
	sandboxCPU := stop()
	sandboxRate := float64(ovRows) / plainWall.Seconds()

	// The dispatcher, journal on disk, against a fresh sandbox.
	cl2, stop2 := start()
	var j *journal.Journal
	if tmpfs {
		dir, err := os.MkdirTemp("/dev/shm", "svbatch-bench-")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(dir) })
		if j, err = journal.Open(filepath.Join(dir, "run.svbatch.db")); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { j.Close() })
		if _, err := j.BeginRun("test.csv", nil); err != nil {
			b.Fatal(err)
		}
	} else {
		j = dtJournal(b)
	}
	var dj dispatch.Journal = j
	if nowait {
		dj = noWait{j}
	}
	var succeeded atomic.Int64
	d := dispatch.New(dispatch.Config{Concurrency: ovConc, OnRow: func(rd dispatch.RowDone) {
		if rd.Status == svbatch.Succeeded {
			succeeded.Add(1)
		}
	}}, cl2, dj)
	rows := dbRows(ovRows, ovAccounts, "D")
	c0, _ := j.Stats()
	runtime.GC()
	cpu0, t0 = cpuTime(), time.Now()
	if err := d.Run(context.Background(), &dtSource{rows: rows}); err != nil {
		b.Fatal(err)
	}
	if err := j.Flush(); err != nil {
		b.Fatal(err)
	}
	runWall, runCPU := time.Since(t0), cpuTime()-cpu0
	c1, _ := j.Stats()
	stop2()
	runRate := float64(ovRows) / runWall.Seconds()
	if succeeded.Load() != ovRows {
		b.Fatalf("%d rows succeeded; want %d", succeeded.Load(), ovRows)
	}
	perRow := func(d time.Duration) float64 { return float64(d.Microseconds()) / ovRows }
	b.ReportMetric(runRate, "rows/s")
	b.ReportMetric(sandboxRate, "sandbox-req/s")
	b.ReportMetric(100*runRate/sandboxRate, "%of-sandbox")
	if cpu0 != 0 {
		b.ReportMetric(perRow(plainCPU), "plain-µs/row")
		b.ReportMetric(perRow(runCPU), "run-µs/row")
		b.ReportMetric(perRow(runCPU)-perRow(plainCPU), "overhead-µs/row")
	}
	if sandboxCPU > 0 {
		b.ReportMetric(perRow(sandboxCPU), "sandbox-µs/row")
	}
	b.ReportMetric(float64(c1-c0)/ovRows, "commits/row")
	want := 0.5
	if child {
		want = 0.6
		if db {
			want = 0.9
		}
	}
	if runRate < want*sandboxRate {
		b.Logf("target missed: %.0f rows/s is %.0f%% of the sandbox's %.0f req/s (want %.0f%%)", runRate, 100*runRate/sandboxRate, sandboxRate, 100*want)
	}
}

// noWait is a journal whose MarkSending only queues the entry (as Record does) instead of waiting
// for its fsync'd commit: the durability contract's wait removed, for measuring what it costs.
type noWait struct{ *journal.Journal }

func (n noWait) MarkSending(_ context.Context, e journal.Entry) error { return n.Record(e) }

// The test binary re-executed with childEnv set serves a sandbox (childDBEnv: its ledger file) on
// loopback: it prints the gateway URL, serves until stdin closes, then exits.
const (
	childEnv   = "SVBATCH_BENCH_SANDBOX"
	childDBEnv = "SVBATCH_BENCH_SANDBOX_DB"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(serveChild())
	}
	os.Exit(m.Run())
}

func serveChild() int {
	sb, err := sandbox.New(sandbox.Config{DBPath: os.Getenv(childDBEnv)})
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	url, err := sb.Start("127.0.0.1:0")
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println(url)
	_, _ = io.Copy(io.Discard, os.Stdin)
	if err := sb.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "close:", err)
		return 1
	}
	return 0
}

// childSandbox starts a sandbox in a child process and returns a client for it, and stop, which
// ends the child and returns the CPU time (user and system) it used.
func childSandbox(b testing.TB, db bool) (*client.Client, func() time.Duration) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	if db {
		cmd.Env = append(cmd.Env, childDBEnv+"="+filepath.Join(b.TempDir(), "ledger.db"))
	}
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "http") {
		in.Close()
		_ = cmd.Wait()
		b.Fatalf("sandbox child: %q, %v", line, err)
	}
	var once sync.Once
	var used time.Duration
	stop := func() time.Duration {
		once.Do(func() {
			in.Close()
			if err := cmd.Wait(); err != nil {
				b.Errorf("sandbox child: %v", err)
			}
			used = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		})
		return used
	}
	b.Cleanup(func() { stop() })
	cl, err := client.New(client.WithGateway(strings.TrimSpace(line)), client.WithAppKey(sandbox.DefaultAppKey), client.WithSecret(sandbox.DefaultSecret))
	if err != nil {
		b.Fatal(err)
	}
	return cl, stop
}
