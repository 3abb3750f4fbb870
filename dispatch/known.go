package dispatch

// Known is what a pass over the rows before the run (the plan's: job's holdings) found in the
// journal, by each row's place in the file (0: the first row read): whether the journal holds an
// entry for it, and whether that entry is one the run does not resend and reports as already_done
// (Decide). Given as Config.Known, the run reads the journal for the rows it holds that are not done
// only: a resume passes its settled rows and its new ones without a lookup each.
//
// It is true only of the journal as that pass read it and of the same file: the caller keeps the
// journal open (and so locked) from that pass to the run, and checks the file did not change.
type Known struct {
	held, done []uint64
	n          int
}

// Add records the next row: held, the journal has an entry for it; done, the entry is one the run
// reports as already_done without sending.
func (k *Known) Add(held, done bool) {
	w, bit := k.n/64, uint64(1)<<(k.n%64)
	if w == len(k.held) {
		k.held, k.done = append(k.held, 0), append(k.done, 0)
	}
	if held {
		k.held[w] |= bit
	}
	if held && done {
		k.done[w] |= bit
	}
	k.n++
}

// Len is the number of rows recorded.
func (k *Known) Len() int { return k.n }

// of says what was recorded of row i; ok is false past the rows recorded.
func (k *Known) of(i int) (held, done, ok bool) {
	if i < 0 || i >= k.n {
		return false, false, false
	}
	w, bit := i/64, uint64(1)<<(i%64)
	return k.held[w]&bit != 0, k.done[w]&bit != 0, true
}
