package batch

import "math/bits"

// seenTable remembers the identities (and explicit request_ids) met so far, to name duplicates
// without holding rows: 12 bytes a slot (one cache line touched per lookup), open addressing with
// linear probing, load kept at or under 3/4. Sized up front from the file's expected row count
// (so a 1,000,000-row CSV costs about 16 MiB and never grows); it doubles when the guess was low.
// Keys are 64-bit hashes; two different identities colliding (about 1 in 10^7 for a million rows)
// would be reported as a duplicate, never missed.
type seenTable struct {
	slots []uint32 // 3 per slot: key low, key high, line (top bit: first row still counted valid)
	n     int
	sink  uint32 // keeps load's results alive
}

const validBit = 1 << 31

// newSeenTable sizes the table for about hint keys.
func newSeenTable(hint int) *seenTable {
	n := max(1024, hint/3*4+16)
	return &seenTable{slots: make([]uint32, 3*n)}
}

// home is key's first slot: mix(key) scaled onto [0, size) (no power-of-two size needed).
func (t *seenTable) home(key uint64) int {
	hi, _ := bits.Mul64(mix(key), uint64(t.size()))
	return int(hi)
}

func (t *seenTable) size() int { return len(t.slots) / 3 }

// load reads key's home slot (and so brings it into the cache) without changing anything.
func (t *seenTable) load(key uint64) uint32 {
	if key == 0 {
		key = 1
	}
	return t.slots[3*t.home(key)]
}

// seen looks key up; when absent it is added with line (and valid). When present it returns the
// first row's line and whether that row was still counted valid, and clears that flag so the
// first row is uncounted only once.
func (t *seenTable) seen(key uint64, line int, valid bool) (first int, firstValid, dup bool) {
	if key == 0 {
		key = 1 // 0 marks an empty slot
	}
	if (t.n+1)*4 > t.size()*3 {
		t.grow()
	}
	lo, hi := uint32(key), uint32(key>>32)
	size := t.size()
	for i := t.home(key); ; i = next(i, size) {
		s := t.slots[3*i : 3*i+3 : 3*i+3]
		switch {
		case s[0] == 0 && s[1] == 0:
			s[0], s[1] = lo, hi
			l := uint32(line) &^ validBit
			if valid {
				l |= validBit
			}
			s[2] = l
			t.n++
			return 0, false, false
		case s[0] == lo && s[1] == hi:
			l := s[2]
			s[2] = l &^ validBit
			return int(l &^ validBit), l&validBit != 0, true
		}
	}
}

// unmark clears the valid flag of key's first row (it turned out invalid after it was added).
func (t *seenTable) unmark(key uint64) {
	if key == 0 {
		key = 1
	}
	lo, hi := uint32(key), uint32(key>>32)
	size := t.size()
	for i := t.home(key); ; i = next(i, size) {
		s := t.slots[3*i : 3*i+3 : 3*i+3]
		switch {
		case s[0] == 0 && s[1] == 0:
			return
		case s[0] == lo && s[1] == hi:
			s[2] &^= validBit
			return
		}
	}
}

func (t *seenTable) grow() {
	old := t.slots
	t.slots = make([]uint32, 2*len(old))
	size := t.size()
	for j := 0; j < len(old); j += 3 {
		if old[j] == 0 && old[j+1] == 0 {
			continue
		}
		k := uint64(old[j]) | uint64(old[j+1])<<32
		i := t.home(k)
		for t.slots[3*i] != 0 || t.slots[3*i+1] != 0 {
			i = next(i, size)
		}
		copy(t.slots[3*i:3*i+3], old[j:j+3])
	}
}

func next(i, size int) int {
	if i++; i == size {
		return 0
	}
	return i
}

// mix spreads a key's bits (keys from SHA-256 are already uniform; explicit ids go through maphash).
func mix(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	return k
}
