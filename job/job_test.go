package job_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"svbatch"
	"svbatch/batch"
	"svbatch/client"
	"svbatch/dispatch"
	"svbatch/job"
	"svbatch/journal"
	"svbatch/sandbox"

	"github.com/xuri/excelize/v2"
)

func sandboxClient(t *testing.T) (*sandbox.Server, *client.Client) {
	t.Helper()
	sb, err := sandbox.New(sandbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	url, err := sb.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	cl, err := client.New(client.WithGateway(url), client.WithAppKey(sandbox.DefaultAppKey), client.WithSecret(sandbox.DefaultSecret))
	if err != nil {
		t.Fatal(err)
	}
	return sb, cl
}

func copyFile(t *testing.T, src, dir string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, filepath.Base(src))
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestPrepareAndRun runs the sample file through the procedure against the sandbox: every row
// succeeds and each request_id reaches the gateway once; a rerun on the same journal sends nothing
// and reports every row already_done; another id namespace on that journal is refused.
func TestPrepareAndRun(t *testing.T) {
	t.Parallel()
	sb, cl := sandboxClient(t)
	input := copyFile(t, "../samples/operations.csv", t.TempDir())
	cfg := job.Config{Input: input}

	prep, err := job.Prepare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if prep.Plan.Rows == 0 || prep.Plan.Count[svbatch.Charge] == 0 || prep.Plan.Amount[svbatch.Charge] <= 0 {
		t.Fatalf("plan %+v: want rows and charge totals", prep.Plan)
	}
	var seen atomic.Int64 // onRow is called from any goroutine
	sum, err := prep.Run(context.Background(), cl, func(dispatch.RowDone) { seen.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	if sum.Stop != nil || sum.Counts[svbatch.Succeeded] != prep.Plan.Rows || sum.NeedsAttention() != 0 || seen.Load() != int64(prep.Plan.Rows) {
		t.Fatalf("summary %+v (rows reported %d); want all %d succeeded", sum, seen.Load(), prep.Plan.Rows)
	}
	if got := sb.TotalRequests(); got != prep.Plan.Rows {
		t.Errorf("the sandbox received %d requests; want %d (one per row)", got, prep.Plan.Rows)
	}
	// One time zone in the workbook, GMT+8 as TOP's, whatever the machine's: finished_at and the
	// Summary's started/finished.
	f, err := excelize.OpenFile(sum.Out)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("Results")
	summary, _ := f.GetRows("Summary")
	f.Close()
	// The cells are date-times shown as the wall clock in GMT+8: within minutes of now there,
	// whatever the machine's zone (CI runs in UTC, 8 hours off).
	inGMT8 := func(v string) bool {
		t, err := time.ParseInLocation("2006-01-02 15:04:05", v, svbatch.GMT8)
		return err == nil && time.Since(t).Abs() < 10*time.Minute
	}
	col := slices.Index(rows[0], "finished_at")
	for _, r := range rows[1:] {
		if col < 0 || col >= len(r) || !inGMT8(r[col]) {
			t.Fatalf("finished_at of %v; want a GMT+8 date-time", r)
		}
	}
	var zoned int
	for _, r := range summary {
		if len(r) > 1 && (r[0] == "started" || r[0] == "finished") && inGMT8(r[1]) {
			zoned++
		}
	}
	if zoned != 2 {
		t.Errorf("Summary started/finished in GMT+8: %d of 2\n%v", zoned, summary)
	}

	again, err := job.Prepare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sum, err = again.Run(context.Background(), cl, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Counts[svbatch.AlreadyDone] != prep.Plan.Rows || sb.TotalRequests() != prep.Plan.Rows {
		t.Errorf("rerun %+v, %d requests in all; want every row already_done and nothing sent", sum.Counts, sb.TotalRequests())
	}

	cfg.Read.IDNamespace = "other"
	other, err := job.Prepare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = other.Run(context.Background(), cl, nil)
	var in *job.InputError
	var ne *journal.NamespaceError
	if !errors.As(err, &in) || !errors.As(err, &ne) {
		t.Errorf("another namespace: got %v; want an *InputError with a *journal.NamespaceError", err)
	}
}

// TestPrepareRefusesInvalid: a file with an invalid row is an *InvalidError with every problem,
// and nothing is written.
func TestPrepareRefusesInvalid(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(input, []byte("brand_id,shop_id,operator_id,outer_order_id,operate_type,change_value,customer_id\nB,S,o,O1,1,10.5,C1\nB,S,o,O2,topup,100,C1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := job.Prepare(job.Config{Input: input, Read: batch.Options{}})
	var inv *job.InvalidError
	if !errors.As(err, &inv) || len(inv.Report.Errors) != 2 {
		t.Fatalf("got %v; want an *InvalidError with 2 problems", err)
	}
	if _, err := os.Stat(input + ".results.xlsx"); !os.IsNotExist(err) {
		t.Errorf("results written for an invalid file (%v)", err)
	}
	_, err = job.Prepare(job.Config{Input: input, Out: filepath.Join(dir, "r.txt")})
	var in *job.InputError
	if !errors.As(err, &in) {
		t.Errorf("--out r.txt: got %v; want an *InputError", err)
	}
}

// TestKeepJournalOpen: with Config.KeepJournalOpen, Prepare holds the journal it read (locked: no
// other run can change what its plan says) until Run, which sends only what the plan left; Close
// releases a journal no run came for. Rows an earlier run finished are reported already_done.
func TestKeepJournalOpen(t *testing.T) {
	t.Parallel()
	sb, cl := sandboxClient(t)
	dir := t.TempDir()
	jpath := filepath.Join(dir, "batch.journal")
	write := func(name string, rows int) string {
		b := []byte("brand_id,shop_id,operator_id,outer_order_id,operate_type,change_value,customer_id\n")
		for i := range rows {
			b = fmt.Appendf(b, "B1,S1,op,KEEP-%03d,1,%d,C%d\n", i, 100+i, i%7)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := job.Config{Input: write("first.csv", 30), Journal: jpath, Out: filepath.Join(dir, "first.results.csv")}
	prep, err := job.Prepare(first)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := prep.Run(context.Background(), cl, nil); err != nil {
		t.Fatal(err)
	}

	// The same 30 rows and 30 more, on the same journal.
	all := job.Config{Input: write("all.csv", 60), Journal: jpath, Out: filepath.Join(dir, "all.results.csv"), KeepJournalOpen: true}
	prep, err = job.Prepare(all)
	if err != nil {
		t.Fatal(err)
	}
	defer prep.Close()
	if h := prep.Plan.Journal; h == nil || h.Done != 30 || h.LeftRows != 30 {
		t.Fatalf("holdings %+v; want 30 done, 30 left", h)
	}
	if j, err := journal.Open(jpath); !errors.Is(err, journal.ErrLocked) {
		if err == nil {
			j.Close()
		}
		t.Fatalf("opening the journal between Prepare and Run: %v; want it locked", err)
	}
	var reported, taken atomic.Int64
	sum, err := prep.Run(context.Background(), cl, func(rd dispatch.RowDone) {
		reported.Add(1)
		if rd.Taken {
			taken.Add(1)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Counts[svbatch.AlreadyDone] != 30 || sum.Counts[svbatch.Succeeded] != 30 || sb.TotalRequests() != 60 {
		t.Errorf("resume %+v, %d requests in all; want 30 already_done, 30 succeeded, 60 requests", sum.Counts, sb.TotalRequests())
	}
	if reported.Load() != 60 || taken.Load() != 30 {
		t.Errorf("rows reported %d (taken %d); want 60 (30)", reported.Load(), taken.Load())
	}
	if err := prep.Close(); err != nil {
		t.Errorf("Close after Run: %v", err)
	}

	// A plan no run comes for: Close lets the next one in.
	prep, err = job.Prepare(all)
	if err != nil {
		t.Fatal(err)
	}
	if h := prep.Plan.Journal; h == nil || h.Done != 60 || h.LeftRows != 0 {
		t.Fatalf("holdings after the resume %+v; want 60 done", h)
	}
	if err := prep.Close(); err != nil {
		t.Fatal(err)
	}
	j, err := journal.Open(jpath)
	if err != nil {
		t.Fatalf("the journal after Close: %v", err)
	}
	j.Close()
}
