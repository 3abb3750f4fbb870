package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"svbatch"
	"svbatch/dispatch"
)

// TestProgressCountsThisRunOnly: on a resume, rows the journal already settles pass at once; the
// progress record's rate and ETA count only the rows this run sends, as numbers.
func TestProgressCountsThisRunOnly(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	p := newProgress(&buf, 40, true, slog.New(slog.NewJSONHandler(&buf, nil)), nil)
	defer p.finish()
	start := time.Now()
	p.mu.Lock()
	p.start, p.last, p.now = start, start, func() time.Time { return start }
	p.mu.Unlock()
	for i := 0; i < 1000; i++ {
		p.row(dispatch.RowDone{Line: i + 2, Status: svbatch.AlreadyDone})
	}
	for i := 0; i < 20; i++ {
		p.row(dispatch.RowDone{Line: 2000 + i, Status: svbatch.Succeeded, Taken: true})
	}
	p.mu.Lock()
	p.logLine(start.Add(10 * time.Second))
	p.mu.Unlock()
	var rec map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &rec); err != nil {
		t.Fatalf("progress record %q: %v", buf.String(), err)
	}
	want := map[string]float64{"done": 20, "total": 40, "settled_earlier": 1000, "rows_per_s": 2, "eta_s": 10, "not_ok": 0}
	for k, v := range want {
		if got, ok := rec[k].(float64); !ok || got != v {
			t.Errorf("%s = %v (%T); want the number %v\n%s", k, rec[k], rec[k], v, buf.String())
		}
	}
}
