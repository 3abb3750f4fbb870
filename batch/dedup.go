package batch

// seenTable remembers the identities (and explicit request_ids) met so far, to name duplicates
// without holding rows: 12 bytes a slot, open addressing, load kept at or under 1/2, so a
// 1,000,000-row file costs about 25 MiB at most. Keys are 64-bit hashes; two different identities
// colliding (about 1 in 10^7 for a million rows) would be reported as a duplicate, never missed.
type seenTable struct {
	keys  []uint64
	lines []uint32 // line number; the top bit is set while the first row is still counted valid
	n     int
}

const validBit = 1 << 31

func newSeenTable() *seenTable {
	return &seenTable{keys: make([]uint64, 1024), lines: make([]uint32, 1024)}
}

// seen looks key up; when absent it is added with line (and valid). When present it returns the
// first row's line and whether that row was still counted valid, and clears that flag so the
// first row is uncounted only once.
func (t *seenTable) seen(key uint64, line int, valid bool) (first int, firstValid, dup bool) {
	if key == 0 {
		key = 1 // 0 marks an empty slot
	}
	if (t.n+1)*2 > len(t.keys) {
		t.grow()
	}
	mask := uint64(len(t.keys) - 1)
	for i := mix(key) & mask; ; i = (i + 1) & mask {
		switch t.keys[i] {
		case 0:
			t.keys[i] = key
			l := uint32(line) &^ validBit
			if valid {
				l |= validBit
			}
			t.lines[i] = l
			t.n++
			return 0, false, false
		case key:
			l := t.lines[i]
			t.lines[i] = l &^ validBit
			return int(l &^ validBit), l&validBit != 0, true
		}
	}
}

func (t *seenTable) grow() {
	keys, lines := t.keys, t.lines
	t.keys = make([]uint64, len(keys)*2)
	t.lines = make([]uint32, len(keys)*2)
	mask := uint64(len(t.keys) - 1)
	for j, k := range keys {
		if k == 0 {
			continue
		}
		i := mix(k) & mask
		for t.keys[i] != 0 {
			i = (i + 1) & mask
		}
		t.keys[i], t.lines[i] = k, lines[j]
	}
}

// mix spreads a key's bits (keys from SHA-256 are already uniform; explicit ids go through maphash).
func mix(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	return k
}
