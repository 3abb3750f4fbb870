package journal

import (
	"fmt"
	"hash/maphash"
	"slices"

	"svbatch"
)

// Lookup finds the entries of an input's rows read in file order. It merges one ordered scan of
// the journal (Scan, by line) with the rows, so a row whose entry was last written from this same
// line costs nothing. A row with no entry at its line is looked for in a set of the hashes of every
// key the journal holds (read once, at the first such row): a key not in it has no entry, which is
// what most rows of a resume are (never sent); only a key in it (one that moved, one written by a
// Retry round, or a hash collision) costs a Get, as does a row asked out of file order. A
// million-row resume then reads the journal once instead of doing a million lookups.
//
// The key set is what the journal held at the first row with no entry at its line; a key recorded
// later is not found unless its row is asked after it was recorded through the merge or out of
// order. The callers read a row before its entry can be written (only the row's own handling
// writes it), so this does not arise for them. Not safe for concurrent use.
type Lookup struct {
	j     *Journal
	sc    *Scanner
	cur   Entry
	ok    bool
	line  int              // the line of at
	at    map[string]Entry // entries of line, by key
	fresh bool             // sc has not been read yet
	keys  []uint64         // sorted hashes of every key, once read (hasKeys)
	seed  maphash.Seed
	// hasKeys: keys was read.
	hasKeys bool
	light   bool // ResumeLookup
}

// Lookup returns a Lookup over j's entries as they are now (it flushes first).
func (j *Journal) Lookup() *Lookup {
	return &Lookup{j: j, sc: j.Scan(), fresh: true, line: -1}
}

// ResumeLookup is a Lookup for deciding what a resume sends: a succeeded entry comes with the
// fields a decision reads only (key, line, request_id, generation, payload hash, state, the record
// of what was sent), since a succeeded row is never sent again, so its entry is never written back;
// an entry in any other state comes whole (a lookup by key), as a row sent again builds on it.
// Most rows of a big resume are succeeded ones: the scan reads a third of the columns.
func (j *Journal) ResumeLookup() *Lookup {
	sc := j.Scan()
	sc.light = true
	return &Lookup{j: j, sc: sc, fresh: true, line: -1, light: true}
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
		if m.light && e.State != svbatch.Succeeded {
			return m.j.Get(key)
		}
		return e, true, nil
	}
	if !m.hasKeys {
		if err := m.readKeys(); err != nil {
			return Entry{}, false, err
		}
	}
	if _, found := slices.BinarySearch(m.keys, maphash.String(m.seed, key)); !found {
		return Entry{}, false, nil
	}
	return m.j.Get(key)
}

// readKeys reads the hash of every key in the journal (the key index alone: no row is read).
func (m *Lookup) readKeys() error {
	if err := m.j.Flush(); err != nil {
		return err
	}
	if err := m.j.rlock(); err != nil {
		return fmt.Errorf("read keys of journal %s: %w", m.j.path, err)
	}
	defer m.j.rmu.RUnlock()
	m.seed = maphash.MakeSeed()
	rows, err := m.j.rdb.Query(`SELECT key FROM rows`)
	if err != nil {
		return fmt.Errorf("read keys of journal %s: %w", m.j.path, err)
	}
	defer rows.Close()
	var key []byte // RawBytes would be cheaper, but a key is short: the copy is noise
	for rows.Next() {
		if err := rows.Scan(&key); err != nil {
			return fmt.Errorf("read keys of journal %s: %w", m.j.path, err)
		}
		m.keys = append(m.keys, maphash.Bytes(m.seed, key))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read keys of journal %s: %w", m.j.path, err)
	}
	slices.Sort(m.keys)
	m.hasKeys = true
	return nil
}
