package journal

import (
	"path/filepath"
	"strconv"
	"testing"

	"svbatch"
)

// TestLookup: the merged scan finds every entry a lookup by key finds, whether it was last
// written from the row's own line, from another line (a Retry round), shares its line with others,
// or is not there; more pages than one are read.
func TestLookup(t *testing.T) {
	t.Parallel()
	j, err := Open(filepath.Join(t.TempDir(), "j.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	rec := func(key string, line int) {
		if err := j.Record(Entry{Key: key, RequestID: key, Line: line, State: svbatch.Succeeded, Note: key}); err != nil {
			t.Fatal(err)
		}
	}
	const n = 2500 // more than two pages
	for i := 2; i < n; i++ {
		if i%7 != 0 {
			rec(keyOf(i), i)
		}
	}
	rec("moved", 9000) // asked for at line 5: written last from a Retry sheet's line
	rec("twin-a", 10)  // line 10 holds keyOf(10) too
	rec("twin-b", 10)  //
	m := j.Lookup()
	check := func(line int, key string, want bool) {
		t.Helper()
		e, ok, err := m.Get(line, key)
		if err != nil || ok != want || (ok && e.Key != key) {
			t.Errorf("get(%d, %s) = %q, %v, %v; want found %v", line, key, e.Key, ok, err, want)
		}
	}
	for i := 2; i < n; i++ {
		switch i {
		case 5:
			check(5, "moved", true)
		case 10:
			check(10, "twin-b", true)
		default:
			check(i, keyOf(i), i%7 != 0)
		}
	}
	check(n+5, "nowhere", false)
	check(3, keyOf(3), true) // back in the file: a lookup
}

func keyOf(i int) string { return "k" + strconv.Itoa(i) }

// TestResumeLookup: a resume's lookup gives a succeeded entry's decision fields (and not the rest),
// any other entry whole, as Get does; rows without an entry (most of a resume) are found absent,
// whether or not their key's hash is in the set (the moved row).
func TestResumeLookup(t *testing.T) {
	t.Parallel()
	j, err := Open(filepath.Join(t.TempDir(), "j.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	states := []svbatch.Status{svbatch.Succeeded, svbatch.Failed, svbatch.Unknown, svbatch.Sending, svbatch.Skipped, svbatch.Pending}
	const n = 2300
	for i := 2; i < n; i++ {
		if i%5 == 0 {
			continue // never written: a row the killed run did not reach
		}
		e := Entry{Key: keyOf(i), RequestID: "rid-" + keyOf(i), Line: i, Generation: i % 3, PayloadHash: "p1:h" + keyOf(i),
			State: states[i%len(states)], Attempts: 1 + i%4, Note: "note " + keyOf(i), Sent: `{"fen":` + strconv.Itoa(i) + `}`}
		e.ResultCode, e.TraceID = "CODE"+keyOf(i), "trace-"+keyOf(i)
		if err := j.Record(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Record(Entry{Key: "moved", RequestID: "moved", Line: 9999, State: svbatch.Succeeded, PayloadHash: "p1:m"}); err != nil {
		t.Fatal(err)
	}
	m := j.ResumeLookup()
	for i := 2; i < n; i++ {
		key := keyOf(i)
		if i == 15 {
			key = "moved" // asked at another line than its entry's
		}
		got, ok, err := m.Get(i, key)
		if err != nil {
			t.Fatal(err)
		}
		want, wantOK, err := j.Get(key)
		if err != nil {
			t.Fatal(err)
		}
		if ok != wantOK {
			t.Fatalf("row %d (%s): found %v; Get finds %v", i, key, ok, wantOK)
		}
		if !ok {
			continue
		}
		if want.State == svbatch.Succeeded && key != "moved" {
			light := Entry{Key: want.Key, Line: want.Line, RequestID: want.RequestID, Generation: want.Generation,
				PayloadHash: want.PayloadHash, State: want.State, Sent: want.Sent}
			if got != light {
				t.Errorf("row %d: %+v; want the decision fields %+v", i, got, light)
			}
			continue
		}
		if got != want {
			t.Errorf("row %d (%s): %+v; want the whole entry %+v", i, want.State, got, want)
		}
	}
}

// TestEmpty: a new journal is empty; one recorded row (committed or still queued) makes it not.
func TestEmpty(t *testing.T) {
	t.Parallel()
	j, err := Open(filepath.Join(t.TempDir(), "j.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if empty, err := j.Empty(); err != nil || !empty {
		t.Fatalf("new journal: Empty() = %v, %v; want true", empty, err)
	}
	if err := j.Record(Entry{Key: "k", RequestID: "k", Line: 2, State: svbatch.Pending}); err != nil {
		t.Fatal(err)
	}
	if empty, err := j.Empty(); err != nil || empty {
		t.Fatalf("after a Record: Empty() = %v, %v; want false", empty, err)
	}
}
