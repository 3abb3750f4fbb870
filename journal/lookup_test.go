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
