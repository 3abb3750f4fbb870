package journal

import "fmt"

// Scanner reads a journal's entries in line order (then key order), a page at a time: the
// ordered scan that a reader of the input, also in line order, merges with instead of one lookup
// per row. It sees what was recorded before Scan; not safe for concurrent use.
type Scanner struct {
	j    *Journal
	page []Entry
	pos  int
	line int
	key  string
	done bool
	err  error
}

// Scan returns a Scanner over j's entries, after flushing what was recorded.
func (j *Journal) Scan() *Scanner {
	s := &Scanner{j: j, line: -1 << 62}
	if err := j.Flush(); err != nil {
		s.err, s.done = err, true
	}
	return s
}

// Next returns the next entry; ok is false at the end or on an error (Err).
func (s *Scanner) Next() (e Entry, ok bool) {
	for s.pos >= len(s.page) {
		if s.done {
			return Entry{}, false
		}
		page, err := s.j.page(s.line, s.key)
		if err != nil {
			s.err, s.done = fmt.Errorf("read journal %s: %w", s.j.path, err), true
			return Entry{}, false
		}
		s.page, s.pos = page, 0
		if len(page) < pageSize {
			s.done = true
		}
		if len(page) > 0 {
			s.line, s.key = page[len(page)-1].Line, page[len(page)-1].Key
		}
	}
	e = s.page[s.pos]
	s.pos++
	return e, true
}

// Err is the error that ended the scan, if any.
func (s *Scanner) Err() error { return s.err }
