package job

import "svbatch/journal"

// entries finds the journal entries of an input's rows read in file order. It merges one ordered
// scan of the journal (by line) with the rows, so a row whose entry was last written from this
// same line costs nothing; any other row (a row that moved, one written by a Retry round) falls
// back to a lookup by key. A million-row resume then reads the journal once instead of doing a
// million lookups.
type entries struct {
	j     *journal.Journal
	sc    *journal.Scanner
	cur   journal.Entry
	ok    bool
	line  int                      // the line of at
	at    map[string]journal.Entry // entries of line, by key
	fresh bool                     // sc has not been read yet
}

func newEntries(j *journal.Journal) *entries {
	return &entries{j: j, sc: j.Scan(), fresh: true, line: -1}
}

// get returns the entry of the row at line with key (ok: the journal has one).
func (m *entries) get(line int, key string) (journal.Entry, bool, error) {
	if m.fresh {
		m.cur, m.ok = m.sc.Next()
		m.fresh = false
	}
	if line < m.line {
		return m.j.Get(key) // not in file order: no merge
	}
	if line != m.line {
		clear(m.at)
		m.line = line
		for m.ok && m.cur.Line < line {
			m.cur, m.ok = m.sc.Next()
		}
		for m.ok && m.cur.Line == line {
			if m.at == nil {
				m.at = map[string]journal.Entry{}
			}
			m.at[m.cur.Key] = m.cur
			m.cur, m.ok = m.sc.Next()
		}
		if err := m.sc.Err(); err != nil {
			return journal.Entry{}, false, err
		}
	}
	if e, ok := m.at[key]; ok {
		return e, true, nil
	}
	return m.j.Get(key)
}
