package journal

import (
	"fmt"
)

// Scanner reads a journal's entries in line order (then key order), a page at a time: the
// ordered scan that a reader of the input, also in line order, merges with instead of one lookup
// per row. While its caller works through a page, the next one is read on another goroutine (and
// another of the journal's read connections), so reading the journal and using what it holds take
// two cores. It sees what was recorded before Scan, and perhaps later; not safe for concurrent use.
type Scanner struct {
	j     *Journal
	light bool // only the columns a resume decides on (lightPage)
	page  []Entry
	pos   int
	next  chan pageRead // the page after page, being read; nil before the first and after the last
	done  bool
	err   error
}

// pageRead is a page read ahead.
type pageRead struct {
	page []Entry
	err  error
}

// Scan returns a Scanner over j's entries, after flushing what was recorded.
func (j *Journal) Scan() *Scanner {
	s := &Scanner{j: j}
	if err := j.Flush(); err != nil {
		s.err, s.done = err, true
	}
	return s
}

// read reads the page after (line, key).
func (s *Scanner) read(line int, key string) pageRead {
	var p pageRead
	if s.light {
		p.page, p.err = s.j.lightPage(line, key)
	} else {
		p.page, p.err = s.j.page(line, key)
	}
	return p
}

// Next returns the next entry; ok is false at the end or on an error (Err).
func (s *Scanner) Next() (e Entry, ok bool) {
	for s.pos >= len(s.page) {
		if s.done {
			return Entry{}, false
		}
		var p pageRead
		if s.next == nil {
			p = s.read(-1<<62, "")
		} else {
			p = <-s.next
		}
		s.next = nil
		if p.err != nil {
			s.err, s.done = fmt.Errorf("read journal %s: %w", s.j.path, p.err), true
			return Entry{}, false
		}
		s.page, s.pos = p.page, 0
		if len(p.page) < pageSize {
			s.done = true
		} else {
			// Read the next page while this one is used. A scanner left before its end leaves
			// this one read at most, into a buffer nobody waits on.
			last := p.page[len(p.page)-1]
			ch := make(chan pageRead, 1)
			go func() { ch <- s.read(last.Line, last.Key) }()
			s.next = ch
		}
	}
	e = s.page[s.pos]
	s.pos++
	return e, true
}

// Err is the error that ended the scan, if any.
func (s *Scanner) Err() error { return s.err }

// lightPage is page with lightColumns only.
func (j *Journal) lightPage(line int, key string) ([]Entry, error) {
	return j.pageOf(lightColumns, scanLight, line, key)
}

// Empty reports whether the journal holds no row yet (a first run), after flushing what was
// recorded: one step of the index, where Counts reads every row.
func (j *Journal) Empty() (bool, error) {
	if err := j.Flush(); err != nil {
		return false, err
	}
	if err := j.rlock(); err != nil {
		return false, fmt.Errorf("journal %s: %w", j.path, err)
	}
	defer j.rmu.RUnlock()
	var any bool
	if err := j.rdb.QueryRow(`SELECT EXISTS(SELECT 1 FROM rows)`).Scan(&any); err != nil {
		return false, fmt.Errorf("journal %s: %w", j.path, err)
	}
	return !any, nil
}
