package sandbox

import (
	"encoding/binary"
	"hash/maphash"
	"iter"
	"strings"
)

// The compact building blocks of the ledger (ledger.go): a million remembered request_ids must
// cost at most ~200 bytes each (BenchmarkSandboxMemory1M), so the ledger keeps records in
// fixed-size structs in chunked slices, their strings packed into one string per record, and
// looks them up through open-addressing tables of 4-byte refs instead of maps of string keys.

// index is an open-addressing hash table (linear probing) of uint32 refs, keyed by a 64-bit hash
// the caller computes. It stores no keys: every ref it yields for a hash is only a candidate, and
// the caller compares the candidate's record with the key it looks for, so a hash collision costs a
// comparison, never a wrong answer. It is a multimap: several refs may share a key. 5 bytes a slot,
// at most 3/4 full. Not safe for concurrent use.
type index struct {
	slots  []uint32 // ref+1; 0 is empty
	tags   []uint8  // the top byte of the slot's hash: most non-matching slots fail on it
	n      int
	hashOf func(ref uint32) uint64 // the hash of a stored ref's key, to rehash on growth
}

func (x *index) insert(h uint64, ref uint32) {
	if (x.n+1)*4 > len(x.slots)*3 {
		x.grow()
	}
	x.put(h, ref)
	x.n++
}

func (x *index) put(h uint64, ref uint32) {
	mask := uint64(len(x.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		if x.slots[i] == 0 {
			x.slots[i], x.tags[i] = ref+1, uint8(h>>56)
			return
		}
	}
}

func (x *index) grow() {
	old := x.slots
	size := max(64, 2*len(old))
	x.slots, x.tags = make([]uint32, size), make([]uint8, size)
	for _, s := range old {
		if s != 0 {
			x.put(x.hashOf(s-1), s-1)
		}
	}
}

// candidates yields every stored ref whose hash may be h, in no particular order.
func (x *index) candidates(h uint64) iter.Seq[uint32] {
	return func(yield func(uint32) bool) {
		if len(x.slots) == 0 {
			return
		}
		mask := uint64(len(x.slots) - 1)
		tag := uint8(h >> 56)
		for i := h & mask; x.slots[i] != 0; i = (i + 1) & mask {
			if x.tags[i] == tag && !yield(x.slots[i]-1) {
				return
			}
		}
	}
}

// mix is the finalizer of SplitMix64: it spreads a combined hash over all 64 bits.
func mix(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	return h ^ h>>31
}

// hashIn is the hash of s within a small-integer namespace (an interned brand, a kind).
func hashIn(seed maphash.Seed, ns uint64, s string) uint64 {
	return mix(maphash.String(seed, s) ^ (ns+1)*0x9e3779b97f4a7c15)
}

// chunked is an append-only list in chunks of 4,096: no copy and no spare capacity beyond the last
// chunk when it grows, and pointers into it stay valid.
type chunked[T any] struct {
	chunks [][]T
	n      int
}

const chunkBits = 12

func (c *chunked[T]) add(v T) {
	if c.n&(1<<chunkBits-1) == 0 {
		c.chunks = append(c.chunks, make([]T, 0, 1<<chunkBits))
	}
	last := &c.chunks[len(c.chunks)-1]
	*last = append(*last, v)
	c.n++
}

func (c *chunked[T]) at(i int) *T { return &c.chunks[i>>chunkBits][i&(1<<chunkBits-1)] }

func (c *chunked[T]) len() int { return c.n }

// interner gives each distinct string (a brand, a shop) a small number.
type interner struct {
	ids  map[string]uint32
	strs []string
}

func newInterner() interner { return interner{ids: map[string]uint32{}} }

func (t *interner) id(s string) uint32 {
	if i, ok := t.ids[s]; ok {
		return i
	}
	s = strings.Clone(s)
	i := uint32(len(t.strs))
	t.strs = append(t.strs, s)
	t.ids[s] = i
	return i
}

func (t *interner) lookup(s string) (uint32, bool) {
	i, ok := t.ids[s]
	return i, ok
}

// packStrings packs fields into one string, each preceded by its length as a uvarint: one
// allocation (and one string header) for all the strings of a record. field reads them back.
func packStrings(buf []byte, fields ...string) ([]byte, string) {
	buf = buf[:0]
	for _, f := range fields {
		buf = binary.AppendUvarint(buf, uint64(len(f)))
		buf = append(buf, f...)
	}
	return buf, string(buf)
}

// field is the i-th field of a packStrings string, sharing its memory.
func field(packed string, i int) string {
	for {
		n, w := uvarint(packed)
		packed = packed[w:]
		if i == 0 {
			return packed[:n]
		}
		packed = packed[n:]
		i--
	}
}

// fields returns the first len(dst) fields of a packStrings string.
func fields(packed string, dst []string) {
	for i := range dst {
		n, w := uvarint(packed)
		dst[i], packed = packed[w:w+n], packed[w+n:]
	}
}

func uvarint(s string) (n, width int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s); i++ {
		b := s[i]
		x |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return int(x), i + 1
		}
		shift += 7
	}
	panic("sandbox: corrupt packed record")
}
