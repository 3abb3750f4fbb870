package job

import (
	"errors"
	"fmt"
	"os"
	"slices"

	"svbatch"
	"svbatch/dispatch"
	"svbatch/journal"
)

// JournalStatus is what a journal holds: its runs with their settings and outcomes, rows per
// state, and the rows that need attention (svbatch.Status.NeedsAttention), in file order.
type JournalStatus struct {
	Path   string
	Runs   []journal.Run
	Counts map[svbatch.Status]int
	// Amounts are the fen of the rows per state, as they were last sent (rows never sent, and rows
	// of journals written before svbatch kept what it sent, are not in them: Unrecorded counts them).
	Amounts    map[svbatch.Status]int64
	Unrecorded int
	Attention  []journal.Entry
}

// AttentionLimit caps the rows Status lists (their number is always in Counts).
const AttentionLimit = 1000

// Status reads the journal at path (it must exist). A journal a run holds is locked: the error
// wraps journal.ErrLocked.
func Status(path string) (*JournalStatus, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, &InputError{Err: fmt.Errorf("journal %s: %w", path, errors.Unwrap(err))}
	}
	j, err := journal.Open(path)
	if err != nil {
		if errors.Is(err, journal.ErrLocked) {
			return nil, &InputError{Err: fmt.Errorf("%w: a run is using this journal now; look again when it has finished", err)}
		}
		return nil, &SystemError{Err: err}
	}
	defer j.Close()
	st := &JournalStatus{Path: j.Path(), Amounts: map[svbatch.Status]int64{}}
	if st.Runs, err = j.Runs(); err != nil {
		return nil, &SystemError{Err: err}
	}
	if st.Counts, err = j.Counts(); err != nil {
		return nil, &SystemError{Err: err}
	}
	err = j.Each(func(e journal.Entry) error {
		if s, ok := dispatch.SentOf(e); ok {
			sum, ok := svbatch.AddFen(st.Amounts[e.State], s.ChangeValue)
			if !ok {
				return fmt.Errorf("journal %s: the %s amounts pass the largest sum svbatch can add up", path, e.State)
			}
			st.Amounts[e.State] = sum
		} else {
			st.Unrecorded++
		}
		if e.State.NeedsAttention() && len(st.Attention) < AttentionLimit {
			st.Attention = append(st.Attention, e)
		}
		return nil
	})
	if err != nil {
		return nil, &SystemError{Err: err}
	}
	slices.SortStableFunc(st.Attention, func(a, b journal.Entry) int { return a.Line - b.Line })
	return st, nil
}

// NeedsAttention is the number of rows that need attention.
func (s *JournalStatus) NeedsAttention() int {
	n := 0
	for st, c := range s.Counts {
		if st.NeedsAttention() {
			n += c
		}
	}
	return n
}
