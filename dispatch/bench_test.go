package dispatch_test

import (
	"context"
	"fmt"
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

// BenchmarkDispatchOverhead is target (b) of issue 5: with no rate limit and concurrency 32 against
// the in-memory sandbox, rows/s end to end (journal included) next to the sandbox's own req/s from
// a plain concurrent client loop in the same benchmark; the ratio should be ≥ 50%.
func BenchmarkDispatchOverhead(b *testing.B) {
	const rows, accounts, conc = 20000, 5000, 32
	for i := 0; i < b.N; i++ {
		// The sandbox alone: 32 goroutines sending distinct charges with the same client.
		_, cl := dbSandboxClient(b, sandbox.Config{})
		plain := dbRows(rows, accounts, "S")
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for w := 0; w < conc; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					k := next.Add(1) - 1
					if k >= rows {
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
		sandboxRate := float64(rows) / time.Since(start).Seconds()

		// The dispatcher, journal on disk, against a fresh sandbox.
		_, cl2 := dbSandboxClient(b, sandbox.Config{})
		var succeeded atomic.Int64
		d := dispatch.New(dispatch.Config{Concurrency: conc, OnRow: func(rd dispatch.RowDone) {
			st := rd.Status
			if st == svbatch.Succeeded {
				succeeded.Add(1)
			}
		}}, cl2, dtJournal(b))
		start = time.Now()
		if err := d.Run(context.Background(), &dtSource{rows: dbRows(rows, accounts, "D")}); err != nil {
			b.Fatal(err)
		}
		runRate := float64(rows) / time.Since(start).Seconds()
		if succeeded.Load() != rows {
			b.Fatalf("%d rows succeeded; want %d", succeeded.Load(), rows)
		}
		b.ReportMetric(runRate, "rows/s")
		b.ReportMetric(sandboxRate, "sandbox-req/s")
		b.ReportMetric(100*runRate/sandboxRate, "%of-sandbox")
		if runRate < 0.5*sandboxRate {
			b.Logf("target missed: %.0f rows/s is %.0f%% of the sandbox's %.0f req/s", runRate, 100*runRate/sandboxRate, sandboxRate)
		}
	}
}

// getOnly hides the journal's Lookup: the dispatcher then looks each row up by key.
type getOnly struct{ dispatch.Journal }

// BenchmarkResumeDone is issue 15's resume: a journal that already holds every row as succeeded,
// run again. With the ordered lookup the reader finds each entry by one merged scan; without it
// (getOnly) each row costs a lookup by key. Reported: rows/s of the whole no-send resume.
func BenchmarkResumeDone(b *testing.B) {
	const n = 100000
	rows := dbRows(n, 20000, "R")
	j := dtJournal(b)
	for _, r := range rows {
		e := journal.Entry{Key: r.Req.RequestID, RequestID: r.Req.RequestID, Line: r.Line, State: svbatch.Succeeded,
			PayloadHash: dispatch.PayloadHash(r.Req)}
		if err := j.Record(e); err != nil {
			b.Fatal(err)
		}
	}
	if err := j.Flush(); err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		j    dispatch.Journal
	}{{"merged", j}, {"by-key", getOnly{j}}} {
		b.Run(tc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				var done atomic.Int64
				d := dispatch.New(dispatch.Config{Concurrency: 8, OnRow: func(rd dispatch.RowDone) {
					if rd.Status == svbatch.AlreadyDone {
						done.Add(1)
					}
				}}, nil, tc.j)
				start := time.Now()
				if err := d.Run(context.Background(), &dtSource{rows: rows}); err != nil {
					b.Fatal(err)
				}
				if done.Load() != n {
					b.Fatalf("%d already done; want %d", done.Load(), n)
				}
				b.ReportMetric(float64(n)/time.Since(start).Seconds(), "rows/s")
			}
		})
	}
}
