package journal

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"svbatch"
)

// texts are what a gateway's answer or a spreadsheet can put in a text column: JSON's own
// specials, every control character, line and paragraph separators, astral runes, invalid UTF-8.
var texts = []string{
	"", `"`, `\`, `\"`, `"\"`, `\u0041`, "/", "a\"b\\c/d", "tab\there", "nl\nand\rcr", "\b\f",
	"\x00nul", "\x01\x02\x1f\x7f", "\u2028\u2029", "余额不足 😀 𝄞", "\xff\xfe broken", "\xed\xa0\x80 surrogate",
	`{"brand_id":"1332","fixed_from":"x"}`, "]", "[", ",", strings.Repeat(`\"`, 500),
}

// TestEntryArrayRoundTrip: an entry whose every text column holds one of texts, and numbers at
// their limits, reads back exactly, by Get, by a full scan and by a light scan (its columns).
func TestEntryArrayRoundTrip(t *testing.T) {
	t.Parallel()
	j, _ := openTemp(t)
	run, err := j.BeginRun("in.csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	var in []Entry
	for i, s := range texts {
		e := full(s+"#"+string(rune('a'+i)), 2+i)
		e.RequestID, e.PayloadHash, e.Note, e.Sent = s, s, s, s
		e.ResultCode, e.ResultDesc, e.ErrMsg, e.ErrSubCode, e.ErrSubMsg, e.TraceID = s, s, s, s, s, s
		e.State = svbatch.Status("st" + s)
		e.ErrCode, e.LatencyMS, e.Attempts, e.Generation = -i, math.MaxInt64-int64(i), math.MaxInt32, i
		e.Answered, e.BizSuccess, e.ResultOK = i%2 == 0, i%3 == 0, i%5 == 0
		if i%4 == 0 {
			e.FinishedAt = time.Time{}
		} else {
			e.FinishedAt = time.Date(2025, 12, 31, 23, 59, 59, i*1000, time.UTC) // fractions of every length
		}
		if err := j.Record(e); err != nil {
			t.Fatal(err)
		}
		in = append(in, want(e, run))
	}
	if err := j.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, w := range in {
		if got := mustGet(t, j, w.Key); !reflect.DeepEqual(got, w) {
			t.Errorf("Get(%q) =\n%+v\nwant\n%+v", w.Key, got, w)
		}
	}
	for _, light := range []bool{false, true} {
		sc := j.Scan()
		sc.light = light
		n := 0
		for e, ok := sc.Next(); ok; e, ok = sc.Next() {
			w := in[n]
			if light {
				w = Entry{Key: w.Key, Line: w.Line, RequestID: w.RequestID, Generation: w.Generation, PayloadHash: w.PayloadHash, State: w.State, Sent: w.Sent}
			} else {
				e.UpdatedAt = time.Time{}
			}
			if !reflect.DeepEqual(e, w) {
				t.Errorf("scan (light %v) entry %d =\n%+v\nwant\n%+v", light, n, e, w)
			}
			n++
		}
		if sc.Err() != nil || n != len(in) {
			t.Errorf("scan (light %v): %d entries, %v; want %d", light, n, sc.Err(), len(in))
		}
	}
}

// TestParseUTC: what fmtTime writes reads back the same by the fast path; anything else is left
// to time.Parse.
func TestParseUTC(t *testing.T) {
	t.Parallel()
	for _, tm := range []time.Time{
		time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC), time.Date(2025, 3, 4, 5, 6, 7, 891011121, time.UTC),
		time.Date(2024, 2, 29, 23, 59, 59, 100000000, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
	} {
		s := fmtTime(tm)
		got, ok := parseUTC(s)
		if !ok || !got.Equal(tm) || got.Location() != time.UTC {
			t.Errorf("parseUTC(%q) = %v, %v; want %v", s, got, ok, tm)
		}
	}
	for _, s := range []string{"2025-03-04T05:06:07+08:00", "2025-02-30T00:00:00Z", "2025-03-04 05:06:07Z",
		"2025-03-04T05:06:07.Z", "2025-03-04T05:06:07.1234567890Z", "2025-13-04T05:06:07Z", "2025-03-04T24:06:07Z", "x"} {
		if _, ok := parseUTC(s); ok {
			t.Errorf("parseUTC(%q): the fast path took it", s)
		}
		got, err := parseTime(s)
		want, werr := time.Parse(time.RFC3339Nano, s)
		if (err == nil) != (werr == nil) || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v; time.Parse gives %v, %v", s, got, err, want, werr)
		}
	}
}

// FuzzArrayReader: a string that SQLite's json_array writes of any text reads back as that
// text; any other input gives an error, never a panic.
func FuzzArrayReader(f *testing.F) {
	for _, s := range texts {
		f.Add(s, int64(len(s)))
	}
	j, err := Open(f.TempDir() + "/fuzz.svbatch.db")
	if err != nil {
		f.Fatal(err)
	}
	defer j.Close()
	f.Fuzz(func(t *testing.T, s string, n int64) {
		var raw string
		if err := j.rdb.QueryRow(`SELECT json_array(?, ?, ?)`, s, n, s).Scan(&raw); err != nil {
			t.Skip() // not a text SQLite takes
		}
		a := &arrayReader{s: raw}
		a.open()
		got1, gotN, got2 := a.str(), a.int(), a.str()
		if err := a.end(); err != nil || got1 != s || got2 != s || int64(gotN) != n {
			t.Fatalf("json_array(%q, %d) = %s read as %q, %d, %q (%v)", s, n, raw, got1, gotN, got2, err)
		}
		b := &arrayReader{s: s} // anything at all: no panic
		b.open()
		_, _, _ = b.str(), b.int(), b.bool()
		_ = b.end()
	})
}
