package journal

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"svbatch"
)

// An entry is read as two columns: SQLite's json_array of all but one of its columns, decoded
// here, and sent. Through database/sql and the pure-Go SQLite driver, every column fetched costs
// three calls that each take the connection's mutex, and an entry has 23: read this way, a page
// of entries costs about half (BenchmarkScanEntries), which is most of what a million-row resume
// and its results wait for. Sent, JSON itself, comes as its own column, as it is: in the array it
// would be escaped and unescaped again.

// entryColumns and lightColumns are what an Entry is read from (scanEntry) and what a resume
// decides on (scanLight: identity, payload and state, and the record of what was sent).
const (
	entryColumns = `json_array(key, line, request_id, generation, payload_hash, state, attempts, note,
	answered, biz_success, result_ok, result_code, result_desc, err_code, err_msg, err_sub_code, err_sub_msg,
	trace_id, latency_ms, finished_at, run_id, updated_at), sent`
	lightColumns = `json_array(key, line, request_id, generation, payload_hash, state), sent`
)

// scanEntry reads an Entry from entryColumns.
func scanEntry(s scanner) (Entry, error) {
	var e Entry
	a, err := scanArray(s, &e.Sent)
	if err != nil {
		return Entry{}, err
	}
	var state, finished, updated string
	e.Key, e.Line, e.RequestID, e.Generation, e.PayloadHash = a.str(), a.int(), a.str(), a.int(), a.str()
	state, e.Attempts, e.Note = a.str(), a.int(), a.str()
	e.Answered, e.BizSuccess, e.ResultOK, e.ResultCode, e.ResultDesc = a.bool(), a.bool(), a.bool(), a.str(), a.str()
	e.ErrCode, e.ErrMsg, e.ErrSubCode, e.ErrSubMsg, e.TraceID = a.int(), a.str(), a.str(), a.str(), a.str()
	e.LatencyMS, finished, e.RunID, updated = int64(a.int()), a.str(), int64(a.int()), a.str()
	if err := a.end(); err != nil {
		return Entry{}, err
	}
	e.State = svbatch.Status(state)
	if e.FinishedAt, err = parseTime(finished); err != nil {
		return Entry{}, fmt.Errorf("row %s: finished_at: %w", e.Key, err)
	}
	if e.UpdatedAt, err = parseTime(updated); err != nil {
		return Entry{}, fmt.Errorf("row %s: updated_at: %w", e.Key, err)
	}
	return e, nil
}

// scanLight reads an entry's lightColumns.
func scanLight(s scanner) (Entry, error) {
	var e Entry
	a, err := scanArray(s, &e.Sent)
	if err != nil {
		return Entry{}, err
	}
	var state string
	e.Key, e.Line, e.RequestID, e.Generation, e.PayloadHash, state = a.str(), a.int(), a.str(), a.int(), a.str(), a.str()
	if err := a.end(); err != nil {
		return Entry{}, err
	}
	e.State = svbatch.Status(state)
	return e, nil
}

// scanArray reads the array column and sent.
func scanArray(s scanner, sent *string) (*arrayReader, error) {
	// One string for the whole array: the values without escapes are substrings of it.
	var raw string
	if err := s.Scan(&raw, sent); err != nil {
		return nil, err
	}
	a := &arrayReader{s: raw}
	a.open()
	return a, nil
}

// errArray is an entry whose array is not what json_array writes of the journal's columns.
var errArray = errors.New("journal: malformed entry")

// arrayReader decodes the values of a JSON array of strings and integers (what json_array writes
// of the journal's TEXT and INTEGER columns) in order. The first malformed value sets err and
// every later value is zero; end reports it.
type arrayReader struct {
	s   string
	i   int
	n   int // values read
	err error
}

func (a *arrayReader) fail(what string) {
	if a.err == nil {
		a.err = fmt.Errorf("%w: value %d: %s at byte %d of %q", errArray, a.n, what, a.i, a.s[:min(len(a.s), 80)])
	}
}

func (a *arrayReader) open() {
	if len(a.s) == 0 || a.s[0] != '[' {
		a.fail("not an array")
		return
	}
	a.i = 1
}

// next moves past the separator before a value (none before the first).
func (a *arrayReader) next() bool {
	if a.err != nil {
		return false
	}
	if a.n > 0 {
		if a.i >= len(a.s) || a.s[a.i] != ',' {
			a.fail("want ,")
			return false
		}
		a.i++
	}
	a.n++
	return true
}

func (a *arrayReader) str() string {
	if !a.next() {
		return ""
	}
	if a.i >= len(a.s) || a.s[a.i] != '"' {
		a.fail("want a string")
		return ""
	}
	start := a.i + 1
	q := strings.IndexByte(a.s[start:], '"')
	if q < 0 {
		a.fail("unterminated string")
		return ""
	}
	if e := strings.IndexByte(a.s[start:start+q], '\\'); e >= 0 {
		return a.escaped(start, start+e)
	}
	a.i = start + q + 1
	return a.s[start : start+q]
}

// escaped decodes a string from start whose first escape is at j.
func (a *arrayReader) escaped(start, j int) string {
	b := make([]byte, 0, len(a.s)-start)
	b = append(b, a.s[start:j]...)
	for j < len(a.s) {
		if c := a.s[j]; c == '"' {
			a.i = j + 1
			return string(b)
		} else if c != '\\' {
			// up to the next escape or the closing quote at once
			k := strings.IndexAny(a.s[j:], "\"\\")
			if k < 0 {
				break
			}
			b = append(b, a.s[j:j+k]...)
			j += k
			continue
		}
		if j+1 >= len(a.s) {
			break
		}
		switch e := a.s[j+1]; e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := a.hex4(j + 2)
			if !ok {
				a.fail("bad \\u escape")
				return ""
			}
			j += 6
			if utf16.IsSurrogate(r) {
				if r2, ok := a.hex4(j + 2); ok && j+1 < len(a.s) && a.s[j] == '\\' && a.s[j+1] == 'u' {
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						b = utf8.AppendRune(b, d)
						j += 6
						continue
					}
				}
			}
			b = utf8.AppendRune(b, r)
			continue
		default:
			a.fail("bad escape")
			return ""
		}
		j += 2
	}
	a.fail("unterminated string")
	return ""
}

func (a *arrayReader) hex4(at int) (rune, bool) {
	if at+4 > len(a.s) {
		return 0, false
	}
	v, err := strconv.ParseUint(a.s[at:at+4], 16, 16)
	return rune(v), err == nil
}

func (a *arrayReader) int() int {
	if !a.next() {
		return 0
	}
	j := a.i
	if j < len(a.s) && a.s[j] == '-' {
		j++
	}
	for j < len(a.s) && a.s[j] >= '0' && a.s[j] <= '9' {
		j++
	}
	v, err := strconv.Atoi(a.s[a.i:j])
	if err != nil {
		a.fail("want an integer")
		return 0
	}
	a.i = j
	return v
}

// bool is an INTEGER column that database/sql would read into a bool: 0 or 1.
func (a *arrayReader) bool() bool {
	switch a.int() {
	case 0:
		return false
	case 1:
		return true
	}
	a.fail("want 0 or 1")
	return false
}

// end checks the array ends after the values read.
func (a *arrayReader) end() error {
	if a.err == nil && (a.i != len(a.s)-1 || a.s[a.i] != ']') {
		a.fail("want the end of the array")
	}
	return a.err
}
