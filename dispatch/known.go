package dispatch

import (
	"hash/maphash"
	"strconv"

	"svbatch/batch"
)

// Known is what a pass over the rows before the run (the plan's: job's holdings) found in the
// journal, by each row's place in the file (0: the first row read): whether the journal holds an
// entry for it, and whether that entry is one the run does not resend and reports as already_done
// (Decide). Given as Config.Known, the run reads the journal for the rows it holds that are not done
// only: a resume passes its settled rows and its new ones without a lookup each.
//
// It is true only of the journal as that pass read it: the caller keeps the journal open (and so
// locked) from that pass to the run. Of the file, each row's print (its request_id, line and
// payload) is kept: a row the run reads that is not the row the plan judged at its place (the
// file changed after its checksum was checked) is looked up in the journal as if it were not known.
// Not safe for concurrent use.
type Known struct {
	held, done []uint64
	prints     []uint64
	seed       maphash.Seed
	buf        []byte
}

// Add records the next row as the plan read it: held, the journal has an entry for it; done, the
// entry is one the run reports as already_done without sending.
func (k *Known) Add(row batch.Row, held, done bool) {
	if k.seed == (maphash.Seed{}) {
		k.seed = maphash.MakeSeed()
	}
	n := len(k.prints)
	w, bit := n/64, uint64(1)<<(n%64)
	if w == len(k.held) {
		k.held, k.done = append(k.held, 0), append(k.done, 0)
	}
	if held {
		k.held[w] |= bit
	}
	if held && done {
		k.done[w] |= bit
	}
	k.prints = append(k.prints, k.print(row))
}

// of says what was recorded of the row at place i, if row is the row recorded there; ok is false
// otherwise, and past the rows recorded.
func (k *Known) of(i int, row batch.Row) (held, done, ok bool) {
	if i < 0 || i >= len(k.prints) || k.prints[i] != k.print(row) {
		return false, false, false
	}
	w, bit := i/64, uint64(1)<<(i%64)
	return k.held[w]&bit != 0, k.done[w]&bit != 0, true
}

// print is a hash of what the plan's verdict on row rests on: its request_id (the journal's key),
// its line and its payload (PayloadHash's encoding).
func (k *Known) print(row batch.Row) uint64 {
	b := appendPayload(k.buf[:0], row.Req)
	b = strconv.AppendInt(b, int64(row.Line), 10)
	b = append(b, ';')
	b = append(b, row.Req.RequestID...)
	k.buf = b
	return maphash.Bytes(k.seed, b)
}
