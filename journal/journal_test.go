package journal

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"svbatch"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// TestMain lets the test binary act as a second process (see helper_test.go).
func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode))
	}
	os.Exit(m.Run())
}

func openTemp(t testing.TB) (*Journal, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "in.svbatch.db")
	j, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = j.Close() })
	return j, path
}

// full is an entry with every field set.
func full(key string, line int) Entry {
	return Entry{
		Key: key, Line: line, RequestID: "svb1" + key, Generation: 2, PayloadHash: "h-" + key,
		State: svbatch.Failed, Attempts: 3, Note: "注意 = note",
		Answer: svbatch.Answer{Answered: true, BizSuccess: true, ResultOK: false, ResultCode: "E01", ResultDesc: "余额不足", ErrCode: 15, ErrMsg: "Remote service error", ErrSubCode: "isv.balance", ErrSubMsg: "not enough", TraceID: "trace-" + key, LatencyMS: 123, FinishedAt: time.Date(2025, 3, 4, 5, 6, 7, 891011121, time.FixedZone("CST", 8*3600))},
	}
}

// want is what the journal gives back for e: times in UTC, the run that wrote it.
func want(e Entry, run int64) Entry {
	if !e.FinishedAt.IsZero() {
		e.FinishedAt = e.FinishedAt.UTC()
	}
	e.RunID = run
	return e
}

func mustGet(t *testing.T, j *Journal, key string) Entry {
	t.Helper()
	e, ok, err := j.Get(key)
	if err != nil || !ok {
		t.Fatalf("Get(%q) = ok %v, err %v; want the entry", key, ok, err)
	}
	if e.UpdatedAt.IsZero() || time.Since(e.UpdatedAt) > time.Minute {
		t.Errorf("Get(%q): UpdatedAt %v; want when it was recorded", key, e.UpdatedAt)
	}
	e.UpdatedAt = time.Time{} // the cases compare what the caller wrote
	return e
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	j, path := openTemp(t)
	run, err := j.BeginRun("in.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		e    Entry
	}{
		{"every field set", full("a", 2)},
		{"only the required fields", Entry{Key: "b", State: svbatch.Pending}},
		{"sending, no answer yet", Entry{Key: "c", Line: 7, RequestID: "svb1c", State: svbatch.Sending, Attempts: 1}},
	}
	for _, c := range cases {
		if err := j.Record(c.e); err != nil {
			t.Fatalf("%s: Record: %v", c.name, err)
		}
		// Seen at once, before any commit is known to have happened.
		if got := mustGet(t, j, c.e.Key); !reflect.DeepEqual(got, want(c.e, run)) {
			t.Errorf("%s: Get after Record = %+v; want %+v", c.name, got, want(c.e, run))
		}
	}
	if err := j.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if got := mustGet(t, j, c.e.Key); !reflect.DeepEqual(got, want(c.e, run)) {
			t.Errorf("%s: Get after Flush = %+v; want %+v", c.name, got, want(c.e, run))
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	for _, c := range cases {
		if got := mustGet(t, j2, c.e.Key); !reflect.DeepEqual(got, want(c.e, run)) {
			t.Errorf("%s: Get after reopen = %+v; want %+v", c.name, got, want(c.e, run))
		}
	}
	if _, ok, err := j2.Get("nope"); ok || err != nil {
		t.Errorf("Get(missing) = ok %v, err %v; want false, nil", ok, err)
	}
}

// TestLastWriteWins: whatever the mix of MarkSending and Record, Get and the database end with
// the last state written.
func TestLastWriteWins(t *testing.T) {
	t.Parallel()
	j, _ := openTemp(t)
	ctx := context.Background()
	e := Entry{Key: "k", Line: 2, RequestID: "svb1k", State: svbatch.Pending}
	steps := []struct {
		state svbatch.Status
		mark  bool // MarkSending rather than Record
	}{
		{svbatch.Pending, false}, {svbatch.Sending, true}, {svbatch.Unknown, false},
		{svbatch.Sending, true}, {svbatch.Succeeded, false},
	}
	for i, s := range steps {
		e.State, e.Attempts = s.state, i
		var err error
		if s.mark {
			err = j.MarkSending(ctx, e)
		} else {
			err = j.Record(e)
		}
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got := mustGet(t, j, "k"); got.State != s.state || got.Attempts != i {
			t.Errorf("step %d: Get = %s/%d; want %s/%d", i, got.State, got.Attempts, s.state, i)
		}
	}
	if err := j.Flush(); err != nil {
		t.Fatal(err)
	}
	var state string
	if err := j.rdb.QueryRow(`SELECT state FROM rows WHERE key = 'k'`).Scan(&state); err != nil {
		t.Fatal(err)
	}
	if state != string(svbatch.Succeeded) {
		t.Errorf("stored state = %s; want succeeded", state)
	}
}

func TestEachLineOrderAndCounts(t *testing.T) {
	t.Parallel()
	j, _ := openTemp(t)
	// More than two pages, lines shuffled, and lines shared by several keys (a row seen on another
	// line in a later run keeps its key; ties are ordered by key).
	const n = 2*pageSize + 137
	states := []svbatch.Status{svbatch.Succeeded, svbatch.Failed, svbatch.Unknown, svbatch.Sending, svbatch.Skipped}
	wantCounts := map[svbatch.Status]int{}
	for i := 0; i < n; i++ {
		line := (i*7919)%n/2 + 2
		st := states[i%len(states)]
		wantCounts[st]++
		if err := j.Record(Entry{Key: fmt.Sprintf("k%05d", i), Line: line, State: st}); err != nil {
			t.Fatal(err)
		}
	}
	var got []Entry
	if err := j.Each(func(e Entry) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("Each gave %d entries; want %d", len(got), n)
	}
	for i := 1; i < len(got); i++ {
		a, b := got[i-1], got[i]
		if a.Line > b.Line || (a.Line == b.Line && a.Key >= b.Key) {
			t.Fatalf("Each order: %s@%d before %s@%d", a.Key, a.Line, b.Key, b.Line)
		}
	}
	counts, err := j.Counts()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(counts, wantCounts) {
		t.Errorf("Counts = %v; want %v", counts, wantCounts)
	}

	// fn's error stops the iteration and comes back as is; fn may use the journal meanwhile.
	stop := errors.New("stop")
	calls := 0
	err = j.Each(func(e Entry) error {
		calls++
		if _, _, err := j.Get(e.Key); err != nil {
			return err
		}
		if calls == pageSize+5 {
			return stop
		}
		return j.Record(Entry{Key: e.Key, Line: e.Line, State: svbatch.AlreadyDone})
	})
	if err != stop || calls != pageSize+5 {
		t.Errorf("Each with failing fn = %v after %d calls; want stop after %d", err, calls, pageSize+5)
	}
}

func TestRuns(t *testing.T) {
	t.Parallel()
	j, _ := openTemp(t)
	r1, err := j.BeginRun("a.csv", map[string]string{"qps": "20", "app_secret": "s3cr3t", "session": "tok", "gateway": "http://127.0.0.1:1/router/rest"})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Record(Entry{Key: "x", State: svbatch.Succeeded}); err != nil {
		t.Fatal(err)
	}
	if err := j.EndRun(r1, "interrupted"); err != nil {
		t.Fatal(err)
	}
	r2, err := j.BeginRun("a.csv", map[string]string{"qps": "10"})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Record(Entry{Key: "y", State: svbatch.Succeeded}); err != nil {
		t.Fatal(err)
	}
	if r2 <= r1 {
		t.Errorf("run ids %d then %d; want increasing", r1, r2)
	}
	if err := j.EndRun(999, "complete"); err == nil {
		t.Error("EndRun(unknown run) = nil; want an error")
	}
	runs, err := j.Runs()
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 {
		t.Fatalf("Runs = %d runs; want 2", len(runs))
	}
	got := runs[0]
	wantParams := map[string]string{"qps": "20", "app_secret": "[redacted]", "session": "[redacted]", "gateway": "http://127.0.0.1:1/router/rest"}
	if got.ID != r1 || got.Input != "a.csv" || got.Outcome != "interrupted" || !reflect.DeepEqual(got.Params, wantParams) ||
		got.StartedAt.IsZero() || got.EndedAt.Before(got.StartedAt) {
		t.Errorf("run 1 = %+v; want id %d, a.csv, interrupted, params %v, times set", got, r1, wantParams)
	}
	if runs[1].Outcome != "" || !runs[1].EndedAt.IsZero() {
		t.Errorf("running run 2 = %+v; want no outcome, no end", runs[1])
	}
	if x, y := mustGet(t, j, "x"), mustGet(t, j, "y"); x.RunID != r1 || y.RunID != r2 {
		t.Errorf("RunID of x, y = %d, %d; want %d, %d", x.RunID, y.RunID, r1, r2)
	}
	raw, err := os.ReadFile(j.Path())
	if err != nil {
		t.Fatal(err)
	}
	wal, _ := os.ReadFile(j.Path() + "-wal")
	if strings.Contains(string(raw)+string(wal), "s3cr3t") {
		t.Error("the secret is in the journal file")
	}
}

func TestBadEntriesAndClosed(t *testing.T) {
	t.Parallel()
	j, _ := openTemp(t)
	ctx := context.Background()
	for _, e := range []Entry{{State: svbatch.Sending}, {Key: "k"}} {
		if err := j.Record(e); err == nil {
			t.Errorf("Record(%+v) = nil; want an error", e)
		}
		if err := j.MarkSending(ctx, e); err == nil {
			t.Errorf("MarkSending(%+v) = nil; want an error", e)
		}
	}
	// A canceled context: MarkSending says so (and the caller must not send).
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := j.MarkSending(cctx, Entry{Key: "c", State: svbatch.Sending}); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("MarkSending(canceled) = %v; want nil or context.Canceled", err)
	}

	if err := j.Record(Entry{Key: "last", State: svbatch.Succeeded}); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := j.Close(); err != nil {
		t.Errorf("second Close = %v; want nil", err)
	}
	checks := map[string]error{
		"Record":      j.Record(Entry{Key: "k", State: svbatch.Sending}),
		"MarkSending": j.MarkSending(ctx, Entry{Key: "k", State: svbatch.Sending}),
		"Flush":       j.Flush(),
	}
	_, _, checks["Get"] = j.Get("last")
	_, checks["Counts"] = j.Counts()
	_, checks["BeginRun"] = j.BeginRun("x", nil)
	checks["Each"] = j.Each(func(Entry) error { return nil })
	_, checks["Runs"] = j.Runs()
	for name, err := range checks {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close = %v; want ErrClosed", name, err)
		}
	}
}

func TestOpenRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cases := []struct {
		name    string
		prepare func(path string) error
		want    string
	}{
		{"not a database", func(p string) error {
			return os.WriteFile(p, []byte("brand_id,shop_id\n1,2\n"+strings.Repeat("x", 5000)), 0o644)
		}, "not a database"},
		{"another application's database", func(p string) error {
			return execSQL(p, `CREATE TABLE ledger(id INTEGER)`)
		}, "not an svbatch journal"},
		{"a newer schema", func(p string) error {
			j, err := Open(p)
			if err != nil {
				return err
			}
			if err := j.Close(); err != nil {
				return err
			}
			return execSQL(p, `UPDATE meta SET value = '99' WHERE key = 'schema_version'`)
		}, `schema version "99"`},
		{"a missing directory", func(string) error { return nil }, "missing"},
	}
	for _, c := range cases {
		path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".db")
		if c.name == "a missing directory" {
			path = filepath.Join(dir, "missing", "x.db")
		}
		if err := c.prepare(path); err != nil {
			t.Fatalf("%s: prepare: %v", c.name, err)
		}
		j, err := Open(path)
		if err == nil {
			j.Close()
			t.Errorf("%s: Open = nil error; want one containing %q", c.name, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || errors.Is(err, ErrLocked) {
			t.Errorf("%s: Open = %v; want an error containing %q, not ErrLocked", c.name, err, c.want)
		}
	}
}

func execSQL(path, q string) error {
	db, err := sql.Open("sqlite", dsn(path, ""))
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(q)
	return err
}

// TestOddPaths: file names that mean something in a URI are plain names to Open.
func TestOddPaths(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"a?mode=ro.db", "b#frag.db", "c%41.db", "d e.db", "储值 批次.db"} {
		dir := filepath.Join(t.TempDir(), "dir?x=1")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		j, err := Open(path)
		if err != nil {
			t.Errorf("Open(%q): %v", name, err)
			continue
		}
		if err := j.Record(Entry{Key: "k", State: svbatch.Sending}); err != nil {
			t.Error(err)
		}
		if err := j.Close(); err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("Open(%q) did not create that file: %v", name, err)
		}
	}
}

// TestLockInProcess: a second Open of the same file, even in the same process, is refused.
func TestLockInProcess(t *testing.T) {
	t.Parallel()
	j, path := openTemp(t)
	_, err := Open(path)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v; want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("ErrLocked message %q does not name %s", err, path)
	}
	// The refused Open changed nothing: the first handle still works.
	if err := j.MarkSending(context.Background(), Entry{Key: "k", State: svbatch.Sending}); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j2, err := Open(path)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	defer j2.Close()
	if e := mustGet(t, j2, "k"); e.State != svbatch.Sending {
		t.Errorf("after reopen k is %s; want sending", e.State)
	}
}

// TestConcurrentUse: many goroutines marking, recording and reading at once (run with -race).
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	j, path := openTemp(t)
	ctx := context.Background()
	const workers, per = 32, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				e := Entry{Key: fmt.Sprintf("w%02d-%03d", w, i), Line: w*per + i + 2, RequestID: "r", State: svbatch.Sending, Attempts: 1}
				if err := j.MarkSending(ctx, e); err != nil {
					errs <- err
					return
				}
				e.State, e.Answered, e.BizSuccess, e.ResultOK = svbatch.Succeeded, true, true, true
				if err := j.Record(e); err != nil {
					errs <- err
					return
				}
				if got, ok, err := j.Get(e.Key); err != nil || !ok || got.State != svbatch.Succeeded {
					errs <- fmt.Errorf("Get(%s) after Record = %s, %v, %v; want succeeded", e.Key, got.State, ok, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	commits, written := j.stats()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	// Group commit: far fewer transactions than writes (2 writes per row).
	if commits >= workers*per*2 {
		t.Errorf("%d commits for %d writes; want group commits", commits, workers*per*2)
	}
	t.Logf("%d entries written in %d commits", written, commits)
	j2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	counts, err := j2.Counts()
	if err != nil {
		t.Fatal(err)
	}
	if want := map[svbatch.Status]int{svbatch.Succeeded: workers * per}; !reflect.DeepEqual(counts, want) {
		t.Errorf("Counts after reopen = %v; want %v", counts, want)
	}
}

// TestSchemaGolden pins the on-disk schema: a change to it needs a new SchemaVersion (and a
// migration), then `go test ./journal -run SchemaGolden -update`.
func TestSchemaGolden(t *testing.T) {
	t.Parallel()
	j, _ := openTemp(t)
	rows, err := j.rdb.Query(`SELECT type, name, coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "-- schema_version %d\n", SchemaVersion)
	for rows.Next() {
		var typ, name, q string
		if err := rows.Scan(&typ, &name, &q); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "-- %s %s\n%s;\n", typ, name, q)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "schema.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wantB, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if b.String() != string(wantB) {
		t.Errorf("schema changed; got:\n%s\nwant:\n%s\nBump SchemaVersion and add a migration, then -update.", b.String(), wantB)
	}
}

// TestWriteFailureIsSticky: once a commit fails, MarkSending, Record, Flush and Close all report
// it, so the dispatcher stops sending instead of sending rows it cannot account for.
func TestWriteFailureIsSticky(t *testing.T) {
	t.Parallel()
	j, _ := openTemp(t)
	ctx := context.Background()
	if err := j.MarkSending(ctx, Entry{Key: "ok", State: svbatch.Sending}); err != nil {
		t.Fatal(err)
	}
	_ = j.wconn.Close() // the disk goes away, as far as the writer can tell
	if err := j.MarkSending(ctx, Entry{Key: "lost", State: svbatch.Sending}); err == nil {
		t.Fatal("MarkSending after a failed commit = nil; want the write error")
	}
	checks := map[string]error{
		"Record":      j.Record(Entry{Key: "k", State: svbatch.Succeeded}),
		"MarkSending": j.MarkSending(ctx, Entry{Key: "k", State: svbatch.Sending}),
		"Flush":       j.Flush(),
		"Close":       j.Close(),
	}
	for name, err := range checks {
		if err == nil || !strings.Contains(err.Error(), "write journal") {
			t.Errorf("%s after a failed commit = %v; want the write error", name, err)
		}
	}
}

// TestCloseLeavesJournalAndLock: after Close the WAL is checkpointed into the journal; only the
// journal and its lock file remain.
func TestCloseLeavesJournalAndLock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	j, err := Open(filepath.Join(dir, "in.svbatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Record(Entry{Key: "k", State: svbatch.Succeeded}); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if want := []string{"in.svbatch.db", "in.svbatch.db-lock"}; !reflect.DeepEqual(names, want) {
		t.Errorf("files after Close = %v; want %v", names, want)
	}
}

// TestLockThroughSymlinks: a second Open through a symbolic link to the journal, or to its
// folder, is refused as locked too: the lock follows the file, not the path.
func TestLockThroughSymlinks(t *testing.T) {
	t.Parallel()
	j, path := openTemp(t)
	defer j.Close()
	other := t.TempDir()
	fileLink := filepath.Join(other, "link.svbatch.db")
	dirLink := filepath.Join(other, "dir")
	if err := os.Symlink(path, fileLink); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	if err := os.Symlink(filepath.Dir(path), dirLink); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fileLink, filepath.Join(dirLink, filepath.Base(path))} {
		if j2, err := Open(p); !errors.Is(err, ErrLocked) {
			if j2 != nil {
				j2.Close()
			}
			t.Errorf("Open(%s) = %v; want ErrLocked (it is %s)", p, err, path)
		}
	}
}

// TestJournalFileModes: a new journal and its lock, WAL and shared-memory files are readable by
// their owner only (0600).
func TestJournalFileModes(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	j, path := openTemp(t)
	if err := j.Record(Entry{Key: "k", State: svbatch.Pending}); err != nil {
		t.Fatal(err)
	}
	if err := j.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-lock", path + "-wal", path + "-shm"} {
		st, err := os.Stat(p)
		if err != nil {
			if os.IsNotExist(err) && p != path {
				continue
			}
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v; want 0600", filepath.Base(p), st.Mode().Perm())
		}
	}
	j.Close()
}
