package reconcile

import "hash/maphash"

// keyIndex maps the packed identities of the expected rows to their row numbers in Report.exp:
// an open-addressing table of uint64 slots (linear probing, at most half full). A slot holds the
// key's 32-bit hash above its row number + 1 (0: empty), so that
//
//   - it holds no pointer: a million keys cost the garbage collector nothing to scan (a
//     map[string]int32 of them is a million string headers it walks on every cycle);
//   - a key is hashed once for "find it, else add it" (a map takes a lookup and an assignment);
//   - a probe compares hashes in the slot and reads a row's key only when they are equal;
//   - growing rehashes from the slots alone.
//
// The hash's low bits place the slot, all 32 are compared. The hash is seeded per process:
// nothing depends on the order of the slots.
type keyIndex struct {
	slots []uint64
	n     int
	seed  maphash.Seed
	sink  uint64 // see touch
}

const minIndexSlots = 64

func newKeyIndex(hint int) keyIndex {
	n := minIndexSlots
	for n < hint+hint/2 && n < 1<<31 { // under half full if the hint is not 25% short
		n <<= 1
	}
	return keyIndex{slots: make([]uint64, n), seed: maphash.MakeSeed()}
}

func (x *keyIndex) hash(key string) uint32 {
	x.seeded()
	return uint32(maphash.String(x.seed, key) >> 32)
}

func (x *keyIndex) hashBytes(key []byte) uint32 {
	x.seeded()
	return uint32(maphash.Bytes(x.seed, key) >> 32)
}

// seeded gives the zero keyIndex (a partitioned mode's bucket) its seed.
func (x *keyIndex) seeded() {
	if x.seed == (maphash.Seed{}) {
		x.seed = maphash.MakeSeed()
	}
}

// find returns the row of the key with hash h: eq says whether row i holds the key.
func (x *keyIndex) find(h uint32, eq func(i int32) bool) (int32, bool) {
	if len(x.slots) == 0 {
		return 0, false
	}
	mask := uint32(len(x.slots) - 1)
	for p := h & mask; ; p = (p + 1) & mask {
		s := x.slots[p]
		if s == 0 {
			return 0, false
		}
		if uint32(s>>32) == h {
			if i := int32(uint32(s) - 1); eq(i) {
				return i, true
			}
		}
	}
}

// insert adds row i under hash h; the key must not be in the index.
func (x *keyIndex) insert(h uint32, i int32) {
	if len(x.slots) == 0 || 2*(x.n+1) > len(x.slots) {
		x.grow()
	}
	x.put(h, uint64(h)<<32|uint64(uint32(i)+1))
	x.n++
}

func (x *keyIndex) put(h uint32, slot uint64) {
	mask := uint32(len(x.slots) - 1)
	p := h & mask
	for x.slots[p] != 0 {
		p = (p + 1) & mask
	}
	x.slots[p] = slot
}

func (x *keyIndex) grow() {
	old := x.slots
	n := max(minIndexSlots, 2*len(old))
	x.slots = make([]uint64, n)
	for _, s := range old {
		if s != 0 {
			x.put(uint32(s>>32), s)
		}
	}
}

// touch reads the home slots of the hashes hs: the reads do not depend on each other, so the
// processor has them all in flight at once, and the inserts that follow find their slots in
// the cache (an index larger than the cache costs a memory round trip per key otherwise).
func (x *keyIndex) touch(hs []uint32) {
	if len(x.slots) == 0 {
		return
	}
	mask := uint32(len(x.slots) - 1)
	var acc uint64
	for _, h := range hs {
		acc += x.slots[h&mask]
	}
	x.sink += acc
}

// expBatch hands the expected rows to Report.addExpected in order, a batch at a time, having
// touched their index slots first (keyIndex.touch).
type expBatch struct {
	r    *Report
	rows [expBatchRows]expRow
	hs   [expBatchRows]uint32
	n    int
}

const expBatchRows = 64

func (b *expBatch) add(row *expRow) error {
	b.rows[b.n] = *row
	b.hs[b.n] = b.r.index.hash(row.key)
	b.n++
	if b.n == expBatchRows {
		return b.flush()
	}
	return nil
}

func (b *expBatch) flush() error {
	b.r.index.touch(b.hs[:b.n])
	for i := 0; i < b.n; i++ {
		if err := b.r.addExpectedHashed(&b.rows[i], b.hs[i]); err != nil {
			return err
		}
	}
	b.n = 0
	return nil
}
