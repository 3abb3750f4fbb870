// Package journal keeps a run's durable state in SQLite (pure Go modernc.org/sqlite, WAL): the runs,
// and for every input row its request_id, payload hash, state, attempts and last answer.
//
// The contract the dispatcher relies on (DESIGN.md §4): a row is marked `sending` durably (fsync'd)
// before its first byte goes out, so a crash can never make a sent row look unsent; its outcome is
// recorded after, by group commit. Losing a not-yet-committed outcome only leaves the row `sending`,
// which the next run resends with the same request_id, and the server deduplicates.
//
// One process at a time: Open takes an exclusive SQLite lock on a small lock database beside the
// journal (<path>-lock) and holds it until Close; a second process gets ErrLocked. The OS drops the
// lock when the process dies, even by SIGKILL. The lock file is left in place on Close on purpose:
// deleting a lock file another process may be opening would let two processes hold "the" lock.
//
// All writes go through one writer goroutine that commits whatever is queued in one transaction
// (synchronous=FULL) and then wakes the MarkSending callers of that batch. Reads use a separate pool
// of read-only connections, so they do not wait for commits; entries queued but not yet committed
// are served from memory, so a Get after Record returns the recorded state.
package journal

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	sqlite "modernc.org/sqlite"

	"svbatch"
)

// ErrLocked means another process has the journal open.
var ErrLocked = errors.New("journal is in use by another svbatch process")

// ErrClosed is returned by a Journal's methods after Close.
var ErrClosed = errors.New("journal is closed")

// SchemaVersion is the version of the journal's tables this package reads and writes. Older
// journals are migrated when opened: version 1 had no rows.sent column; version 2 kept rows in a
// table clustered by key (random request_ids), so every write touched a random page and a scan in
// file order read the table at random. Version 3 keeps rows in the order they were first written
// (a rowid table; the key is a unique index), which is file order.
const SchemaVersion = 3

// syncMode is the writer connection's PRAGMA synchronous: FULL, the durability contract. Only the
// package's benchmarks change it (to OFF), to measure what the contract's fsyncs cost.
var syncMode = "FULL"

// walCheckpointPages is how many pages the WAL may hold before they are copied into the journal
// (SQLite's default is 1,000, 4 MiB). Rows' keys are random, so every commit rewrites pages of
// the key index all over it, and each checkpoint copies every page changed since the last: at
// 10,000 pages (a WAL of at most about 40 MiB) a page changed by many commits is copied once
// where it was copied several times, and a run writes a quarter less to disk (13.7 → 10.5 KB per
// row at 300,000 rows, paired runs) at no cost to durability: every commit is still fsync'd.
const walCheckpointPages = 10_000

// application is stored in the meta table; a database without it is not a journal.
const application = "svbatch journal"

const (
	maxBatch = 4096         // most entries committed in one transaction
	maxQueue = 4 * maxBatch // Record and MarkSending wait while this many are queued (bounded memory)
	pageSize = 1000         // rows read per query by Each
)

// Entry is one input row's durable state, keyed by the row's identity.
type Entry struct {
	Key         string         // stable identity: the row's generation-0 request_id
	Line        int            // last seen sheet row number
	RequestID   string         // the id sent (changes only with a new generation)
	Generation  int            // 0, then +1 per --retry-failed resend
	PayloadHash string         // hash of the row's payload (what was sent, request_id excluded)
	State       svbatch.Status // pending, sending, succeeded, failed, unknown, skipped, conflict …
	Attempts    int            // total sends of this row across runs
	Note        string
	// Sent is what the payload hash stands for, as its sender recorded it (dispatch: the amount,
	// the account, the round that sent it); "" for entries written before svbatch kept it.
	Sent string

	// The last answer (empty when none); FinishedAt is stored in UTC and read back in UTC.
	svbatch.Answer

	// RunID is the run (BeginRun) current when the entry was last written, and UpdatedAt when
	// (committed). Both are set by the journal; any value the caller puts there is ignored.
	RunID     int64
	UpdatedAt time.Time
}

// Run is one svbatch run recorded in the journal.
type Run struct {
	ID        int64
	Input     string
	Params    map[string]string
	StartedAt time.Time
	EndedAt   time.Time // zero while running, or when the process died
	Outcome   string    // "complete", "interrupted", "stopped: …"; "" while running or after a crash
}

// op is one queued write: an entry, or a barrier (Flush) when barrier is set.
type op struct {
	e       Entry
	seq     uint64
	at      time.Time
	barrier bool
	done    chan error // nil for Record; buffered (1) otherwise
}

// pending is an entry queued or being committed, served by Get until it is on disk.
type pending struct {
	e   Entry
	seq uint64
}

// Journal is an open journal. Its methods are safe for concurrent use.
type Journal struct {
	path string

	lockDB *sql.DB
	lock   *sql.Conn // holds the exclusive lock on <path>-lock
	wdb    *sql.DB
	wconn  *sql.Conn // the single writer connection, used by the writer goroutine and BeginRun/EndRun
	wmu    sync.Mutex
	// upsert and outcome are prepared once on wconn's driver connection and used only inside
	// wconn.Raw (commit): the hot path bypasses database/sql's per-call conversions and locking,
	// and no statement is prepared again per transaction.
	upsert, outcome driver.Stmt
	// marked holds, for rows whose last committed write came with MarkSending, what that write put
	// in the columns an outcome does not change (identityOf): an outcome with the same identity
	// updates only the outcome columns of its row (outcomeSQL), no index touched. Only the writer
	// goroutine (commit) uses it; it is bounded by maxMarked, beyond which rows take the upsert.
	marked map[string]identity
	args   []driver.NamedValue // commit's argument buffer
	rdb    *sql.DB             // read-only pool
	getSt  *sql.Stmt           // Get's query, prepared on rdb
	rmu    sync.RWMutex        // held shared by each read, exclusively by Close

	mu       sync.Mutex
	work     *sync.Cond // signalled when the queue gets an op or the journal is closing
	space    *sync.Cond // signalled when the writer takes ops off the queue
	queue    []op
	queued   int // ops queued or being committed
	overlay  map[string]pending
	seq      uint64
	runID    int64
	closing  bool
	err      error // sticky: the first write failure; every later write returns it
	commits  int64 // transactions committed (for benchmarks)
	written  int64 // entries written (for benchmarks)
	finished chan struct{}
	closed   bool

	closeOnce sync.Once
	closeErr  error
}

// Open creates or opens the journal at path, in WAL mode, and locks it for this process.
// If another process has it open, the error wraps ErrLocked and names the file. A file that is not
// an svbatch journal, or one written by a newer svbatch (schema version), is refused.
func Open(path string) (*Journal, error) {
	if path == "" {
		return nil, errors.New("open journal: empty path")
	}
	abs, err := realPath(path)
	if err != nil {
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	j := &Journal{path: abs, overlay: make(map[string]pending), finished: make(chan struct{})}
	j.work = sync.NewCond(&j.mu)
	j.space = sync.NewCond(&j.mu)
	ok := false
	defer func() {
		if !ok {
			j.closeDBs()
		}
	}()
	// The journal holds ids and amounts of a finance team's operations: readable by its owner only.
	// SQLite gives the -wal and -shm files the database file's mode.
	for _, p := range []string{abs + "-lock", abs} {
		if f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600); err == nil {
			f.Close()
		} else if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("open journal %s: %w", p, err)
		}
	}
	if err := j.takeLock(); err != nil {
		return nil, err
	}
	if err := j.openWriter(); err != nil {
		return nil, fmt.Errorf("open journal %s: %w", abs, err)
	}
	rdb, err := sql.Open("sqlite", dsn(abs, "_pragma=query_only(1)&_pragma=busy_timeout(10000)"))
	if err != nil {
		return nil, fmt.Errorf("open journal %s: %w", abs, err)
	}
	rdb.SetMaxOpenConns(4)
	rdb.SetMaxIdleConns(4)
	j.rdb = rdb
	if j.getSt, err = rdb.Prepare(`SELECT ` + entryColumns + ` FROM rows WHERE key = ?`); err != nil {
		return nil, fmt.Errorf("open journal %s: %w", abs, err)
	}
	ok = true
	go j.writer()
	return j, nil
}

// realPath is path made absolute with every symbolic link resolved (of the file, when it exists,
// and of its folder), so that the lock beside it is the same file whatever path reaches the journal.
func realPath(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if p, err := filepath.EvalSymlinks(abs); err == nil {
		return p, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return abs, nil // a folder that does not exist: opening the journal will say so
	}
	return filepath.Join(dir, filepath.Base(abs)), nil
}

// Path returns the journal's absolute file name, symbolic links resolved.
func (j *Journal) Path() string { return j.path }

// dsn turns a file name into a SQLite URI (so '?', '#' and '%' in names are safe) with the
// driver's query parameters.
func dsn(path, query string) string {
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows: file:///C:/dir/x.db
	}
	u := url.URL{Scheme: "file", Path: p, RawQuery: query}
	return u.String()
}

// takeLock opens <path>-lock in exclusive locking mode and writes to it, which takes an exclusive
// lock that SQLite keeps until the connection closes.
func (j *Journal) takeLock() error {
	lockPath := j.path + "-lock"
	db, err := sql.Open("sqlite", dsn(lockPath, ""))
	if err != nil {
		return fmt.Errorf("open journal lock %s: %w", lockPath, err)
	}
	db.SetMaxOpenConns(1)
	j.lockDB = db
	ctx := context.Background()
	c, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("open journal lock %s: %w", lockPath, err)
	}
	j.lock = c
	for _, q := range []string{
		"PRAGMA busy_timeout=0",
		"PRAGMA locking_mode=EXCLUSIVE",
		"BEGIN IMMEDIATE",
		"CREATE TABLE IF NOT EXISTS holder(id INTEGER PRIMARY KEY, pid INTEGER NOT NULL, since TEXT NOT NULL)",
	} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			if isBusy(err) {
				return fmt.Errorf("open journal %s: %w (lock %s)", j.path, ErrLocked, lockPath)
			}
			return fmt.Errorf("open journal lock %s: %w", lockPath, err)
		}
	}
	if _, err := c.ExecContext(ctx, "INSERT OR REPLACE INTO holder(id, pid, since) VALUES(1, ?, ?)",
		os.Getpid(), time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
		_, _ = c.ExecContext(ctx, "ROLLBACK")
		return fmt.Errorf("open journal lock %s: %w", lockPath, err)
	}
	if _, err := c.ExecContext(ctx, "COMMIT"); err != nil {
		_, _ = c.ExecContext(ctx, "ROLLBACK")
		if isBusy(err) {
			return fmt.Errorf("open journal %s: %w (lock %s)", j.path, ErrLocked, lockPath)
		}
		return fmt.Errorf("open journal lock %s: %w", lockPath, err)
	}
	return nil
}

// isBusy reports whether err is SQLITE_BUSY or SQLITE_LOCKED (any extended code).
func isBusy(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
			return true
		}
	}
	return false
}

const schema = `
CREATE TABLE IF NOT EXISTS meta(
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runs(
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	input      TEXT NOT NULL,
	params     TEXT NOT NULL,
	started_at TEXT NOT NULL,
	ended_at   TEXT NOT NULL DEFAULT '',
	outcome    TEXT NOT NULL DEFAULT ''
);
` + schemaRows + `;
CREATE INDEX IF NOT EXISTS rows_line ON rows(line, key);
`

// schemaRows creates the rows table (version 3): in the order rows were first written.
const schemaRows = `CREATE TABLE IF NOT EXISTS rows(
	id           INTEGER PRIMARY KEY,
	key          TEXT NOT NULL UNIQUE,
	line         INTEGER NOT NULL,
	request_id   TEXT NOT NULL,
	generation   INTEGER NOT NULL,
	payload_hash TEXT NOT NULL,
	state        TEXT NOT NULL,
	attempts     INTEGER NOT NULL,
	note         TEXT NOT NULL,
	answered     INTEGER NOT NULL,
	biz_success  INTEGER NOT NULL,
	result_ok    INTEGER NOT NULL,
	result_code  TEXT NOT NULL,
	result_desc  TEXT NOT NULL,
	err_code     INTEGER NOT NULL,
	err_msg      TEXT NOT NULL,
	err_sub_code TEXT NOT NULL,
	err_sub_msg  TEXT NOT NULL,
	trace_id     TEXT NOT NULL,
	latency_ms   INTEGER NOT NULL,
	finished_at  TEXT NOT NULL,
	run_id       INTEGER NOT NULL,
	updated_at   TEXT NOT NULL,
	sent         TEXT NOT NULL DEFAULT ''
)`

const rowColumns = `key, line, request_id, generation, payload_hash, state, attempts, note,
	answered, biz_success, result_ok, result_code, result_desc,
	err_code, err_msg, err_sub_code, err_sub_msg, trace_id, latency_ms, finished_at, run_id, sent`

const upsertSQL = `INSERT INTO rows(` + rowColumns + `, updated_at)
VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
ON CONFLICT(key) DO UPDATE SET
	line=excluded.line, request_id=excluded.request_id, generation=excluded.generation,
	payload_hash=excluded.payload_hash, state=excluded.state, attempts=excluded.attempts,
	note=excluded.note, answered=excluded.answered, biz_success=excluded.biz_success,
	result_ok=excluded.result_ok, result_code=excluded.result_code, result_desc=excluded.result_desc,
	err_code=excluded.err_code, err_msg=excluded.err_msg, err_sub_code=excluded.err_sub_code,
	err_sub_msg=excluded.err_sub_msg, trace_id=excluded.trace_id, latency_ms=excluded.latency_ms,
	finished_at=excluded.finished_at, run_id=excluded.run_id, sent=excluded.sent, updated_at=excluded.updated_at`

// outcomeSQL writes an outcome over the row MarkSending wrote: every column but the row's identity
// (key, line, request_id, generation, payload_hash, sent), which the outcome leaves as it was, so
// that neither index (key, line) is touched and fewer values are bound.
const outcomeSQL = `UPDATE rows SET state=?, attempts=?, note=?, answered=?, biz_success=?, result_ok=?,
	result_code=?, result_desc=?, err_code=?, err_msg=?, err_sub_code=?, err_sub_msg=?, trace_id=?,
	latency_ms=?, finished_at=?, run_id=?, updated_at=? WHERE key=?`

// maxMarked bounds Journal.marked: about the rows that can be in flight at once.
const maxMarked = 2 * maxQueue

// identity is what an entry puts in the columns outcomeSQL leaves as they are.
type identity struct {
	line                         int
	requestID, payloadHash, sent string
	generation                   int
}

func identityOf(e Entry) identity {
	return identity{line: e.Line, requestID: e.RequestID, payloadHash: e.PayloadHash, sent: e.Sent, generation: e.Generation}
}

// openWriter opens the writer connection, sets WAL and synchronous=FULL, and creates or checks
// the schema.
func (j *Journal) openWriter() error {
	db, err := sql.Open("sqlite", dsn(j.path, ""))
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	j.wdb = db
	ctx := context.Background()
	c, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	j.wconn = c
	// A reader of another tool (sqlite3 on a copy's original) may hold a lock briefly: wait for it.
	if _, err := c.ExecContext(ctx, "PRAGMA busy_timeout=10000"); err != nil {
		return err
	}
	var mode string
	if err := c.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode); err != nil {
		return fmt.Errorf("set WAL mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("set WAL mode: SQLite kept journal_mode %q", mode)
	}
	if _, err := c.ExecContext(ctx, "PRAGMA synchronous="+syncMode); err != nil {
		return err
	}
	if _, err := c.ExecContext(ctx, "PRAGMA wal_autocheckpoint="+strconv.Itoa(walCheckpointPages)); err != nil {
		return err
	}
	if err := j.initSchema(ctx); err != nil {
		return err
	}
	return c.Raw(func(dc any) error {
		cp, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return fmt.Errorf("sqlite driver connection %T cannot prepare statements", dc)
		}
		var err error
		if j.upsert, err = cp.PrepareContext(ctx, upsertSQL); err != nil {
			return err
		}
		j.outcome, err = cp.PrepareContext(ctx, outcomeSQL)
		return err
	})
}

func (j *Journal) initSchema(ctx context.Context) (err error) {
	tx, err := j.wconn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var tables, metas int
	if err := tx.QueryRowContext(ctx,
		`SELECT count(*), coalesce(sum(name = 'meta'), 0) FROM sqlite_master WHERE type = 'table'`).Scan(&tables, &metas); err != nil {
		return err
	}
	if tables > 0 && metas == 0 {
		return errors.New("not an svbatch journal (an SQLite database with other tables)")
	}
	if metas == 1 {
		var app, ver string
		_ = tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'application'`).Scan(&app)
		_ = tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'schema_version'`).Scan(&ver)
		if app != application {
			return errors.New("not an svbatch journal (no svbatch meta)")
		}
		switch ver {
		case fmt.Sprint(SchemaVersion):
		case "1", "2":
			if err := migrate(ctx, tx, ver); err != nil {
				return fmt.Errorf("migrate journal from schema version %s: %w", ver, err)
			}
		default:
			return fmt.Errorf("journal schema version %q; this svbatch reads versions 1 to %d (a newer svbatch wrote it?)", ver, SchemaVersion)
		}
	}
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO meta(key, value) VALUES('application', ?), ('schema_version', ?), ('created_at', ?)`,
		application, fmt.Sprint(SchemaVersion), time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
		return err
	}
	return tx.Commit()
}

// BeginRun records the start of a run and makes it the run later writes are attributed to.
// params are the run's parameters for the record; they must not hold secrets (keys naming a
// secret, password, token or session are stored redacted anyway).
func (j *Journal) BeginRun(input string, params map[string]string) (int64, error) {
	safe := make(map[string]string, len(params))
	for k, v := range params {
		lk := strings.ToLower(k)
		if strings.Contains(lk, "secret") || strings.Contains(lk, "password") ||
			strings.Contains(lk, "token") || strings.Contains(lk, "session") {
			v = "[redacted]"
		}
		safe[k] = v
	}
	pj, err := json.Marshal(safe)
	if err != nil {
		return 0, fmt.Errorf("begin run: %w", err)
	}
	j.wmu.Lock()
	defer j.wmu.Unlock()
	if err := j.usable(); err != nil {
		return 0, fmt.Errorf("begin run: %w", err)
	}
	res, err := j.wconn.ExecContext(context.Background(),
		`INSERT INTO runs(input, params, started_at) VALUES(?, ?, ?)`, input, string(pj), fmtTime(time.Now()))
	if err != nil {
		return 0, fmt.Errorf("begin run in journal %s: %w", j.path, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("begin run in journal %s: %w", j.path, err)
	}
	j.mu.Lock()
	j.runID = id
	j.mu.Unlock()
	return id, nil
}

// EndRun records how run runID ended: "complete", "interrupted", "stopped: …".
// It flushes everything recorded before it first.
func (j *Journal) EndRun(runID int64, outcome string) error {
	if err := j.Flush(); err != nil {
		return fmt.Errorf("end run %d: %w", runID, err)
	}
	j.wmu.Lock()
	defer j.wmu.Unlock()
	res, err := j.wconn.ExecContext(context.Background(),
		`UPDATE runs SET ended_at = ?, outcome = ? WHERE id = ?`, fmtTime(time.Now()), outcome, runID)
	if err != nil {
		return fmt.Errorf("end run %d in journal %s: %w", runID, j.path, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("end run %d in journal %s: no such run", runID, j.path)
	}
	return nil
}

// Runs lists the runs recorded in the journal, oldest first.
func (j *Journal) Runs() ([]Run, error) {
	if err := j.rlock(); err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer j.rmu.RUnlock()
	rows, err := j.rdb.Query(`SELECT id, input, params, started_at, ended_at, outcome FROM runs ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list runs in journal %s: %w", j.path, err)
	}
	defer rows.Close()
	var runs []Run
	for rows.Next() {
		var r Run
		var params, started, ended string
		if err := rows.Scan(&r.ID, &r.Input, &params, &started, &ended, &r.Outcome); err != nil {
			return nil, fmt.Errorf("list runs in journal %s: %w", j.path, err)
		}
		if err := json.Unmarshal([]byte(params), &r.Params); err != nil {
			return nil, fmt.Errorf("list runs in journal %s: run %d params: %w", j.path, r.ID, err)
		}
		if r.StartedAt, err = parseTime(started); err != nil {
			return nil, fmt.Errorf("list runs in journal %s: run %d: %w", j.path, r.ID, err)
		}
		if r.EndedAt, err = parseTime(ended); err != nil {
			return nil, fmt.Errorf("list runs in journal %s: run %d: %w", j.path, r.ID, err)
		}
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list runs in journal %s: %w", j.path, err)
	}
	return runs, nil
}

// checkEntry rejects entries that cannot be stored meaningfully.
func checkEntry(e Entry) error {
	if e.Key == "" {
		return errors.New("entry without key")
	}
	if e.State == "" {
		return fmt.Errorf("entry %s without state", e.Key)
	}
	return nil
}

// enqueue queues e (or a barrier) for the writer, waiting while the queue is full.
// done is nil for Record.
func (j *Journal) enqueue(e Entry, barrier bool, done chan error) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for !j.closing && j.err == nil && j.queued >= maxQueue {
		j.space.Wait()
	}
	if j.closing {
		return ErrClosed
	}
	if j.err != nil {
		return j.err
	}
	j.seq++
	o := op{seq: j.seq, at: time.Now(), barrier: barrier, done: done}
	if !barrier {
		e.RunID, e.UpdatedAt = j.runID, o.at.UTC()
		if !e.FinishedAt.IsZero() {
			e.FinishedAt = e.FinishedAt.UTC() // as it reads back from disk
		}
		o.e = e
		j.overlay[e.Key] = pending{e: e, seq: j.seq}
	}
	j.queue = append(j.queue, o)
	j.queued++
	j.work.Signal()
	return nil
}

// MarkSending durably records e (normally with State sending) before the request's first byte
// goes out: it returns nil only once the record is on disk (fsync'd). If ctx ends first it
// returns ctx's error, and the caller must not send (the record may or may not be on disk).
// Concurrent callers share one commit.
func (j *Journal) MarkSending(ctx context.Context, e Entry) error {
	if err := checkEntry(e); err != nil {
		return fmt.Errorf("mark sending: %w", err)
	}
	done := make(chan error, 1)
	if err := j.enqueue(e, false, done); err != nil {
		return fmt.Errorf("mark %s sending: %w", e.Key, err)
	}
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("mark %s sending: %w", e.Key, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("mark %s sending: %w", e.Key, ctx.Err())
	}
}

// Record stores e (an outcome or any other state). It returns once e is queued, before it is
// durable; Get sees it at once, and Flush or Close make it durable. An error means the journal
// is closed or a previous write failed (the journal can no longer guarantee anything).
func (j *Journal) Record(e Entry) error {
	if err := checkEntry(e); err != nil {
		return fmt.Errorf("record: %w", err)
	}
	if err := j.enqueue(e, false, nil); err != nil {
		return fmt.Errorf("record %s: %w", e.Key, err)
	}
	return nil
}

// Flush makes everything recorded so far durable.
func (j *Journal) Flush() error {
	done := make(chan error, 1)
	if err := j.enqueue(Entry{}, true, done); err != nil {
		return fmt.Errorf("flush journal %s: %w", j.path, err)
	}
	if err := <-done; err != nil {
		return fmt.Errorf("flush journal %s: %w", j.path, err)
	}
	return nil
}

// writer is the single goroutine that commits queued ops, in order, a batch per transaction.
func (j *Journal) writer() {
	defer close(j.finished)
	for {
		j.mu.Lock()
		for len(j.queue) == 0 && !j.closing {
			j.work.Wait()
		}
		if len(j.queue) == 0 {
			j.mu.Unlock()
			return
		}
		var batch []op
		if len(j.queue) <= maxBatch {
			batch, j.queue = j.queue, nil
		} else {
			batch = j.queue[:maxBatch:maxBatch]
			j.queue = append([]op(nil), j.queue[maxBatch:]...)
		}
		failed := j.err
		j.mu.Unlock()

		err := failed
		n := 0
		if err == nil {
			n, err = j.commit(batch)
			if err != nil {
				err = fmt.Errorf("write journal %s: %w", j.path, err)
			}
		}

		j.mu.Lock()
		if err == nil {
			for _, o := range batch {
				if o.barrier {
					continue
				}
				if p, ok := j.overlay[o.e.Key]; ok && p.seq == o.seq {
					delete(j.overlay, o.e.Key)
				}
			}
			if n > 0 {
				j.commits++
				j.written += int64(n)
			}
		} else if j.err == nil {
			j.err = err
		}
		j.queued -= len(batch)
		j.space.Broadcast()
		j.mu.Unlock()
		for _, o := range batch {
			if o.done != nil {
				o.done <- err
			}
		}
	}
}

// migrate brings a version 1 or 2 journal to SchemaVersion inside tx: version 1 gets rows.sent
// (empty: what was sent is not known); then the rows move, in line order, to the rowid table of
// version 3 (schema creates it and its index once the old table is gone).
func migrate(ctx context.Context, tx *sql.Tx, from string) error {
	steps := []string{}
	if from == "1" {
		steps = append(steps, `ALTER TABLE rows ADD COLUMN sent TEXT NOT NULL DEFAULT ''`)
	}
	cols := rowColumns + `, updated_at`
	steps = append(steps,
		`ALTER TABLE rows RENAME TO rows_old`,
		`DROP INDEX IF EXISTS rows_line`,
		schemaRows,
		`INSERT INTO rows(`+cols+`) SELECT `+cols+` FROM rows_old ORDER BY line, key`,
		`DROP TABLE rows_old`,
	)
	for _, q := range steps {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `UPDATE meta SET value = ? WHERE key = 'schema_version'`, fmt.Sprint(SchemaVersion))
	return err
}

// commit writes the last version of each key in batch in one transaction and returns how many
// rows it wrote. An outcome of a row MarkSending wrote (same identity) updates only the outcome's
// columns; every other write is the full upsert.
func (j *Journal) commit(batch []op) (int, error) {
	last := make(map[string]int, len(batch))
	for i, o := range batch {
		if !o.barrier {
			last[o.e.Key] = i
		}
	}
	if len(last) == 0 {
		return 0, nil // barriers only: everything before them is already committed
	}
	j.wmu.Lock()
	defer j.wmu.Unlock()
	if j.marked == nil {
		j.marked = make(map[string]identity)
	}
	ctx := context.Background()
	n := 0
	err := j.wconn.Raw(func(dc any) (err error) {
		bt, ok := dc.(driver.ConnBeginTx)
		if !ok {
			return fmt.Errorf("sqlite driver connection %T cannot begin transactions", dc)
		}
		tx, err := bt.BeginTx(ctx, driver.TxOptions{})
		if err != nil {
			return err
		}
		for i, o := range batch {
			if o.barrier || last[o.e.Key] != i {
				continue
			}
			if err := j.write(ctx, o); err != nil {
				_ = tx.Rollback()
				return fmt.Errorf("row %s: %w", o.e.Key, err)
			}
			n++
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		return nil
	})
	if err != nil {
		clear(j.marked) // what the rows hold is known again once written in full
		return 0, err
	}
	for i, o := range batch {
		if o.barrier || last[o.e.Key] != i {
			continue
		}
		if o.done != nil && o.e.State == svbatch.Sending && len(j.marked) < maxMarked {
			j.marked[o.e.Key] = identityOf(o.e)
		} else {
			delete(j.marked, o.e.Key)
		}
	}
	return n, nil
}

// write stores one op's entry inside commit's transaction, on the driver connection.
func (j *Journal) write(ctx context.Context, o op) error {
	e := o.e
	a := j.args[:0]
	arg := func(v driver.Value) { a = append(a, driver.NamedValue{Ordinal: len(a) + 1, Value: v}) }
	// outcome: the values both statements share, in their column order (state … run_id).
	outcome := func() {
		arg(string(e.State))
		arg(int64(e.Attempts))
		arg(e.Note)
		arg(e.Answered)
		arg(e.BizSuccess)
		arg(e.ResultOK)
		arg(e.ResultCode)
		arg(e.ResultDesc)
		arg(int64(e.ErrCode))
		arg(e.ErrMsg)
		arg(e.ErrSubCode)
		arg(e.ErrSubMsg)
		arg(e.TraceID)
		arg(e.LatencyMS)
		arg(fmtTime(e.FinishedAt))
		arg(e.RunID)
	}
	defer func() { clear(a); j.args = a[:0] }() // keep no values alive between commits
	if id, ok := j.marked[e.Key]; ok && id == identityOf(e) {
		outcome()
		arg(fmtTime(o.at))
		arg(e.Key)
		res, err := j.outcome.(driver.StmtExecContext).ExecContext(ctx, a)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 1 {
			return nil
		}
		a = a[:0] // the row is not there after all: write it in full
	}
	arg(e.Key)
	arg(int64(e.Line))
	arg(e.RequestID)
	arg(int64(e.Generation))
	arg(e.PayloadHash)
	outcome()
	arg(e.Sent)
	arg(fmtTime(o.at))
	_, err := j.upsert.(driver.StmtExecContext).ExecContext(ctx, a)
	return err
}

// Get returns the entry recorded under key, including one recorded but not yet committed.
// ok is false when there is none.
func (j *Journal) Get(key string) (Entry, bool, error) {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return Entry{}, false, fmt.Errorf("get %s: %w", key, ErrClosed)
	}
	if p, ok := j.overlay[key]; ok {
		j.mu.Unlock()
		return p.e, true, nil
	}
	j.mu.Unlock()
	if err := j.rlock(); err != nil {
		return Entry{}, false, fmt.Errorf("get %s: %w", key, err)
	}
	e, err := scanEntry(j.getSt.QueryRow(key))
	j.rmu.RUnlock()
	if errors.Is(err, sql.ErrNoRows) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, fmt.Errorf("get %s from journal %s: %w", key, j.path, err)
	}
	return e, true, nil
}

type scanner interface{ Scan(dest ...any) error }

// Each calls fn for every entry in line order (then key order), after flushing what was
// recorded: a Scan, so fn may call the journal's other methods; entries fn records may or may not
// be seen later in the same iteration. An error from fn stops the iteration and is returned as is.
func (j *Journal) Each(fn func(Entry) error) error {
	sc := j.Scan()
	for e, ok := sc.Next(); ok; e, ok = sc.Next() {
		if err := fn(e); err != nil {
			return err
		}
	}
	return sc.Err()
}

// page reads up to pageSize entries after (line, key) in line order.
func (j *Journal) page(line int, key string) ([]Entry, error) {
	return j.pageOf(entryColumns, scanEntry, line, key)
}

// pageOf reads up to pageSize entries after (line, key) in line order, as columns, each read by
// scan: the one paging query behind page and lightPage.
func (j *Journal) pageOf(columns string, scan func(scanner) (Entry, error), line int, key string) ([]Entry, error) {
	if err := j.rlock(); err != nil {
		return nil, err
	}
	defer j.rmu.RUnlock()
	rows, err := j.rdb.Query(`SELECT `+columns+` FROM rows WHERE (line, key) > (?, ?) ORDER BY line, key LIMIT ?`,
		line, key, pageSize)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	page := make([]Entry, 0, pageSize)
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return nil, err
		}
		page = append(page, e)
	}
	return page, rows.Err()
}

// Counts returns the number of entries in each state, after flushing what was recorded.
func (j *Journal) Counts() (map[svbatch.Status]int, error) {
	if err := j.Flush(); err != nil {
		return nil, err
	}
	if err := j.rlock(); err != nil {
		return nil, fmt.Errorf("count journal %s: %w", j.path, err)
	}
	defer j.rmu.RUnlock()
	rows, err := j.rdb.Query(`SELECT state, count(*) FROM rows GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("count journal %s: %w", j.path, err)
	}
	defer rows.Close()
	m := make(map[svbatch.Status]int)
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("count journal %s: %w", j.path, err)
		}
		m[svbatch.Status(s)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count journal %s: %w", j.path, err)
	}
	return m, nil
}

// Close flushes everything recorded, closes the database and releases the lock. It returns the
// first write error the journal met, if any. Calling it again returns the same result.
func (j *Journal) Close() error {
	j.closeOnce.Do(func() {
		j.mu.Lock()
		j.closed = true
		j.closing = true
		j.work.Broadcast()
		j.space.Broadcast()
		j.mu.Unlock()
		<-j.finished // the writer drains the queue before it returns

		j.mu.Lock()
		err := j.err
		j.mu.Unlock()
		j.rmu.Lock() // wait for reads in progress
		defer j.rmu.Unlock()
		if cerr := j.closeDBs(); err == nil && cerr != nil {
			err = fmt.Errorf("close journal %s: %w", j.path, cerr)
		}
		j.closeErr = err
	})
	return j.closeErr
}

// closeDBs closes whatever Open opened, the lock last.
func (j *Journal) closeDBs() error {
	var errs []error
	if j.getSt != nil {
		errs = append(errs, j.getSt.Close())
	}
	if j.rdb != nil {
		errs = append(errs, j.rdb.Close())
	}
	if j.wconn != nil && (j.upsert != nil || j.outcome != nil) {
		errs = append(errs, j.wconn.Raw(func(any) error {
			var errs []error
			for _, st := range []driver.Stmt{j.upsert, j.outcome} {
				if st != nil {
					errs = append(errs, st.Close())
				}
			}
			return errors.Join(errs...)
		}))
	}
	if j.wconn != nil {
		errs = append(errs, j.wconn.Close())
	}
	if j.wdb != nil {
		errs = append(errs, j.wdb.Close())
	}
	if j.lock != nil {
		errs = append(errs, j.lock.Close())
	}
	if j.lockDB != nil {
		errs = append(errs, j.lockDB.Close())
	}
	return errors.Join(errs...)
}

// usable returns why writes cannot proceed, if so.
func (j *Journal) usable() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closing {
		return ErrClosed
	}
	return j.err
}

// rlock takes the read lock, unless the journal is closed; the caller releases it.
func (j *Journal) rlock() error {
	j.rmu.RLock()
	j.mu.Lock()
	closed := j.closed
	j.mu.Unlock()
	if closed {
		j.rmu.RUnlock()
		return ErrClosed
	}
	return nil
}

// fmtTime stores t in UTC with nanoseconds; the zero time is "".
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, ok := parseUTC(s); ok {
		return t, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// parseUTC reads what fmtTime writes, 2006-01-02T15:04:05[.fraction]Z, without time.Parse's
// generality (two per entry read); ok is false for anything else, which time.Parse then reads.
func parseUTC(s string) (time.Time, bool) {
	if len(s) < 20 || s[len(s)-1] != 'Z' || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	num := func(a, b int) (int, bool) {
		n := 0
		for i := a; i < b; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 7)
	d, ok3 := num(8, 10)
	h, ok4 := num(11, 13)
	mi, ok5 := num(14, 16)
	sec, ok6 := num(17, 19)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	ns := 0
	if rest := s[19 : len(s)-1]; rest != "" {
		if rest[0] != '.' || len(rest) < 2 || len(rest) > 10 {
			return time.Time{}, false
		}
		f, ok := num(20, len(s)-1)
		if !ok {
			return time.Time{}, false
		}
		for i := len(rest) - 1; i < 9; i++ {
			f *= 10
		}
		ns = f
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, ns, time.UTC)
	if t.Day() != d { // 31 April and the like: time.Parse refuses it
		return time.Time{}, false
	}
	return t, true
}

// Stats reports the transactions committed so far (each one fsync'd) and the entries they wrote,
// for benchmarks and diagnostics.
func (j *Journal) Stats() (commits, written int64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.commits, j.written
}

func (j *Journal) stats() (commits, written int64) { return j.Stats() }

// NamespaceError is a journal whose runs used another --id-namespace than this run's: every row
// would get a new request_id, and rows already applied could move money twice.
type NamespaceError struct {
	Path          string
	Recorded, Now string
}

func (e *NamespaceError) Error() string {
	return fmt.Sprintf("journal %s was used with --id-namespace %q, this run has %q: every row would get a new request_id and rows already applied could move money twice; use the same namespace, or another --journal if this really is a new batch", e.Path, e.Recorded, e.Now)
}

// CheckNamespace refuses (a *NamespaceError) a run whose id namespace ns differs from the one the
// journal's runs recorded under the parameter "id_namespace".
func (j *Journal) CheckNamespace(ns string) error {
	runs, err := j.Runs()
	if err != nil {
		return fmt.Errorf("journal %s: %w", j.Path(), err)
	}
	for _, r := range runs {
		if prev, ok := r.Params["id_namespace"]; ok && prev != ns {
			return &NamespaceError{Path: j.Path(), Recorded: prev, Now: ns}
		}
	}
	return nil
}
