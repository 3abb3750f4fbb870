package journal

// Lookup finds the entries of an input's rows read in file order. It merges one ordered scan of
// the journal (Scan, by line) with the rows, so a row whose entry was last written from this same
// line costs nothing; any other row (one that moved, one written by a Retry round, or asked out of
// file order) falls back to Get. A million-row resume then reads the journal once instead of
// doing a million lookups. Not safe for concurrent use.
type Lookup struct {
	j     *Journal
	sc    *Scanner
	cur   Entry
	ok    bool
	line  int              // the line of at
	at    map[string]Entry // entries of line, by key
	fresh bool             // sc has not been read yet
}

// Lookup returns a Lookup over j's entries as they are now (it flushes first).
func (j *Journal) Lookup() *Lookup {
	return &Lookup{j: j, sc: j.Scan(), fresh: true, line: -1}
}

// Get returns the entry of the row at line with key (ok: the journal has one). Lines must come in
// increasing order for the merge to help; any order gives the right answer.
func (m *Lookup) Get(line int, key string) (Entry, bool, error) {
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
				m.at = map[string]Entry{}
			}
			m.at[m.cur.Key] = m.cur
			m.cur, m.ok = m.sc.Next()
		}
		if err := m.sc.Err(); err != nil {
			return Entry{}, false, err
		}
	}
	if e, ok := m.at[key]; ok {
		return e, true, nil
	}
	return m.j.Get(key)
}
