package journal

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"svbatch"
)

// schemaV1 is the journal schema of version 1, as svbatch wrote it before rows.sent.
const schemaV1 = `
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE runs(id INTEGER PRIMARY KEY AUTOINCREMENT, input TEXT NOT NULL, params TEXT NOT NULL,
	started_at TEXT NOT NULL, ended_at TEXT NOT NULL DEFAULT '', outcome TEXT NOT NULL DEFAULT '');
CREATE TABLE rows(key TEXT PRIMARY KEY, line INTEGER NOT NULL, request_id TEXT NOT NULL,
	generation INTEGER NOT NULL, payload_hash TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL,
	note TEXT NOT NULL, answered INTEGER NOT NULL, biz_success INTEGER NOT NULL, result_ok INTEGER NOT NULL,
	result_code TEXT NOT NULL, result_desc TEXT NOT NULL, err_code INTEGER NOT NULL, err_msg TEXT NOT NULL,
	err_sub_code TEXT NOT NULL, err_sub_msg TEXT NOT NULL, trace_id TEXT NOT NULL, latency_ms INTEGER NOT NULL,
	finished_at TEXT NOT NULL, run_id INTEGER NOT NULL, updated_at TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX rows_line ON rows(line, key);
INSERT INTO meta VALUES('application', 'svbatch journal'), ('schema_version', '1'), ('created_at', '2026-11-01T00:00:00Z');
INSERT INTO rows VALUES('k1', 2, 'k1', 0, 'p1:abc', 'succeeded', 1, '', 1, 1, 1, '', '', 0, '', '', '', 't', 5,
	'2026-11-01T00:00:01Z', 1, '2026-11-01T00:00:01Z');
`

// TestMigrateV1: a version 1 journal opens, keeps its entries (with no record of what was sent),
// records what is sent from then on, and is the current version afterwards.
func TestMigrateV1(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "v1.db")
	if err := execSQL(path, schemaV1); err != nil {
		t.Fatal(err)
	}
	j, err := Open(path)
	if err != nil {
		t.Fatalf("open a version 1 journal: %v", err)
	}
	e, ok, err := j.Get("k1")
	if err != nil || !ok || e.State != svbatch.Succeeded || e.PayloadHash != "p1:abc" || e.Sent != "" {
		t.Fatalf("entry after migration %+v, %v, %v", e, ok, err)
	}
	e.Sent = `{"fen":100}`
	if err := j.Record(e); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if e, _, _ := j.Get("k1"); e.Sent != `{"fen":100}` {
		t.Errorf("sent after reopening %q", e.Sent)
	}
	var ver string
	if err := j.rdb.QueryRow(`SELECT value FROM meta WHERE key = 'schema_version'`).Scan(&ver); err != nil || ver != fmt.Sprint(SchemaVersion) {
		t.Errorf("schema_version %q, %v; want %d", ver, err, SchemaVersion)
	}
}

// TestMigrateV2: a version 2 journal (rows clustered by key) moves to the rowid table of version
// 3 in line order, keeping every field; Get, Each and the upsert work on the result.
func TestMigrateV2(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "v2.db")
	v2 := schemaV1 + `ALTER TABLE rows ADD COLUMN sent TEXT NOT NULL DEFAULT '';
UPDATE meta SET value = '2' WHERE key = 'schema_version';
INSERT INTO rows VALUES('k0', 1, 'k0', 0, 'p1:def', 'unknown', 2, 'n', 0, 0, 0, '', '', 10, 'x', '', '', 't0', 7,
	'2026-11-01T00:00:02Z', 1, '2026-11-01T00:00:02Z', '{"fen":5}');`
	if err := execSQL(path, v2); err != nil {
		t.Fatal(err)
	}
	j, err := Open(path)
	if err != nil {
		t.Fatalf("open a version 2 journal: %v", err)
	}
	defer j.Close()
	var keys []string
	if err := j.Each(func(e Entry) error { keys = append(keys, e.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(keys, ",") != "k0,k1" {
		t.Errorf("entries in line order %v; want k0,k1", keys)
	}
	e, ok, err := j.Get("k0")
	if err != nil || !ok || e.State != svbatch.Unknown || e.Sent != `{"fen":5}` || e.ErrCode != 10 || e.LatencyMS != 7 {
		t.Fatalf("k0 after migration %+v, %v, %v", e, ok, err)
	}
	e.State = svbatch.Succeeded
	if err := j.Record(e); err != nil {
		t.Fatal(err)
	}
	if err := j.Flush(); err != nil {
		t.Fatal(err)
	}
	if e, _, _ := j.Get("k0"); e.State != svbatch.Succeeded {
		t.Errorf("k0 after an update: %s", e.State)
	}
	var id int64
	if err := j.rdb.QueryRow(`SELECT id FROM rows WHERE key = 'k0'`).Scan(&id); err != nil || id != 1 {
		t.Errorf("k0's rowid %d, %v; want 1 (the first line)", id, err)
	}
}
