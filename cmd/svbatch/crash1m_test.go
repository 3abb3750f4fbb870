//go:build linux

package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"svbatch"
	"svbatch/sandbox"
)

// crash1MRows is the size of issue 15's crash test; SVBATCH_CRASH_ROWS makes it smaller for a
// quick try (e.g. 50000).
func crash1MRows(b *testing.B) int {
	if s := os.Getenv("SVBATCH_CRASH_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1000 {
			b.Fatalf("SVBATCH_CRASH_ROWS=%q: want a number ≥ 1000", s)
		}
		return n
	}
	return 1_000_000
}

// BenchmarkCrashResume1M is issue 15's crash test at a million rows, through the binary against an
// in-memory sandbox (in this process, no faults, no rate limit): `svbatch run` is SIGKILLed once the
// sandbox has received 54% of the rows, then run again to the end. It fails unless every row was
// applied exactly once (by request_id and by order id) and the results list every row succeeded or
// already_done. Reported: how long the resume took to its first new request at the sandbox
// (first-send-s; target ≤ 3 s), each run's rows/s, the resume's whole time and its time after the
// last send (results-s: the results file of every row, from the journal), the resume's peak
// resident set, and the bytes both processes wrote to disk (journal and results; rusage's block
// output, 512-byte units on Linux).
func BenchmarkCrashResume1M(b *testing.B) {
	rows := crash1MRows(b)
	dir := b.TempDir()
	in := filepath.Join(dir, "million.csv")
	writeCrashInput(b, in, rows)
	e2eBinary(b) // built once, before the clock starts
	for i := 0; i < b.N; i++ {
		sb, err := sandbox.New(sandbox.Config{})
		if err != nil {
			b.Fatal(err)
		}
		url, err := sb.Start("127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		journal := filepath.Join(dir, fmt.Sprintf("run%d.journal", i))
		out := filepath.Join(dir, fmt.Sprintf("results%d.csv", i))
		args := []string{"run", in, "--yes", "--no-progress", "--qps", "0", "--concurrency", "32",
			"--journal", journal, "--out", out}

		// The first run, killed at 54%.
		cmd, log1 := e2eCmd(b, url, args...)
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		killAt := rows * 54 / 100
		for sb.TotalRequests() < killAt {
			if cmd.ProcessState != nil || time.Since(start) > 30*time.Minute {
				b.Fatalf("the first run ended or stalled before 54%%\n%s", log1)
			}
			time.Sleep(2 * time.Millisecond)
		}
		if err := cmd.Process.Kill(); err != nil { // SIGKILL
			b.Fatal(err)
		}
		_ = cmd.Wait()
		firstRate := float64(sb.TotalRequests()) / time.Since(start).Seconds()
		if cmd.ProcessState.Success() {
			b.Fatalf("the first run finished before it was killed\n%s", log1)
		}
		disk := cmd.ProcessState.SysUsage().(*syscall.Rusage).Oublock * 512
		killed := sb.TotalRequests()

		// The resume: time to its first request, then to its end.
		cmd, log2 := e2eCmd(b, url, args...)
		start = time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		peakRSS := watchPeakRSS(cmd.Process.Pid)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var firstSend, lastSend time.Duration
		seen := killed
	wait:
		for {
			select {
			case err := <-done:
				if err != nil {
					b.Fatalf("resume: %v\n%s", err, log2)
				}
				break wait
			default:
			}
			if n := sb.TotalRequests(); n > seen {
				if firstSend == 0 {
					firstSend = time.Since(start)
				}
				seen, lastSend = n, time.Since(start)
			}
			time.Sleep(time.Millisecond)
		}
		resume := time.Since(start)
		rss := peakRSS()
		disk += cmd.ProcessState.SysUsage().(*syscall.Rusage).Oublock * 512
		resent := sb.TotalRequests() - killed

		crashCheckApplied(b, sb, in, rows)
		crashCheckResults(b, out, rows)
		st, _ := os.Stat(journal)
		b.ReportMetric(firstSend.Seconds(), "first-send-s")
		b.ReportMetric(resume.Seconds(), "resume-s")
		b.ReportMetric((resume - lastSend).Seconds(), "results-s") // after the last send: the results of 1M rows from the journal
		b.ReportMetric(firstRate, "run-rows/s")
		b.ReportMetric(float64(resent)/resume.Seconds(), "resume-rows/s")
		b.ReportMetric(float64(disk)/float64(rows), "disk-B/row")
		b.ReportMetric(float64(st.Size())/float64(rows), "journal-B/row")
		b.ReportMetric(rss, "resume-peak-RSS-MiB")
		b.Logf("killed at %d requests; the resume sent %d, first after %v, done in %v; %.1f MB written to disk",
			killed, resent, firstSend.Round(time.Millisecond), resume.Round(time.Millisecond), float64(disk)/1e6)
		if firstSend > 3*time.Second {
			b.Logf("target missed: the resume's first new send came after %v (target 3 s)", firstSend.Round(time.Millisecond))
		}
		sb.Close()
		os.Remove(journal)
		os.Remove(out)
	}
}

// writeCrashInput writes rows charges over 100,000 accounts (every tenth account by mobile).
func writeCrashInput(b *testing.B, path string, rows int) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, strings.Join(rtHeader, ","))
	for i := 0; i < rows; i++ {
		if a := i % 100000; a%10 == 0 {
			fmt.Fprintf(w, "1332,S%02d,op-1,ORD-%08d,,1,%d,,139%08d,,,crash\n", i%50, i, 100+i%9000, a)
		} else {
			fmt.Fprintf(w, "1332,S%02d,op-1,ORD-%08d,,1,%d,C%07d,,,,crash\n", i%50, i, 100+i%9000, a)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

// crashCheckApplied: the sandbox applied each row of the file exactly once, by request_id and by
// order id, with the file's amount, and nothing else.
func crashCheckApplied(b *testing.B, sb *sandbox.Server, in string, rows int) {
	b.Helper()
	ops := sb.Operations()
	byID := make(map[string]int64, len(ops))
	byOrder := make(map[string]int, len(ops))
	for _, o := range ops {
		if _, dup := byID[o.RequestID]; dup {
			b.Errorf("request_id %s applied twice", o.RequestID)
		}
		byID[o.RequestID] = o.ChangeValue
		byOrder[o.OuterOrderID]++
	}
	if len(ops) != rows {
		b.Errorf("the sandbox applied %d operations; want %d", len(ops), rows)
	}
	f, err := os.Open(in)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil {
		b.Fatal(err)
	}
	missing := 0
	for {
		rec, err := r.Read()
		if err != nil {
			break
		}
		id := svbatch.RequestIDv1("", rec[0], int(svbatch.Charge), rec[3], "")
		fen, _ := strconv.ParseInt(rec[6], 10, 64)
		if v, ok := byID[id]; !ok || v != fen || byOrder[rec[3]] != 1 {
			if missing++; missing <= 5 {
				b.Errorf("row %s: applied %v (%d fen, want %d), order id applied %d times; want once", rec[3], ok, v, fen, byOrder[rec[3]])
			}
		}
	}
	if missing > 0 {
		b.Errorf("%d rows not applied exactly once", missing)
	}
}

// crashCheckResults: the resume's results list every row, each succeeded or already_done.
func crashCheckResults(b *testing.B, out string, rows int) {
	b.Helper()
	data, err := os.ReadFile(out)
	if err != nil {
		b.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		b.Fatal(err)
	}
	col := -1
	for i, h := range head {
		if h == "status" {
			col = i
		}
	}
	if col < 0 {
		b.Fatalf("%s: no status column in %v", out, head)
	}
	n, bad := 0, map[string]int{}
	for {
		rec, err := r.Read()
		if err != nil {
			break
		}
		n++
		if s := rec[col]; s != string(svbatch.Succeeded) && s != string(svbatch.AlreadyDone) {
			bad[s]++
		}
	}
	if n != rows || len(bad) > 0 {
		b.Errorf("results: %d rows (want %d), not done: %v", n, rows, bad)
	}
}
