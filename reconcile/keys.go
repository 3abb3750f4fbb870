package reconcile

import (
	"slices"
	"strconv"
	"strings"

	"svbatch"
)

const sep = "\x1f"

// packKey packs the identity; sorting packed keys sorts by (brand_id, operate_type, outer_order_id,
// new_outer_order_id).
func packKey(brand string, op svbatch.OperateType, outer, newOuter string) string {
	return brand + sep + strconv.Itoa(int(op)) + sep + outer + sep + newOuter
}

// appendKey appends the packed key (as packKey) to b.
func appendKey(b []byte, brand string, op svbatch.OperateType, outer, newOuter string) []byte {
	b = append(b, brand...)
	b = append(b, sep...)
	b = strconv.AppendInt(b, int64(op), 10)
	b = append(b, sep...)
	b = append(b, outer...)
	b = append(b, sep...)
	return append(b, newOuter...)
}

// packedEquals reports whether packed == packCust(c), without building the packed string.
func packedEquals(packed string, c Customer) bool {
	if c == (Customer{}) {
		return packed == ""
	}
	for i, f := range [4]string{c.CustomerID, c.Mobile, c.OuterType, c.OuterID} {
		if !strings.HasPrefix(packed, f) {
			return false
		}
		packed = packed[len(f):]
		if i < 3 {
			if !strings.HasPrefix(packed, sep) {
				return false
			}
			packed = packed[len(sep):]
		}
	}
	return packed == ""
}

// Identity is the key rows are matched on.
type Identity struct {
	BrandID         string
	OperateType     int
	OuterOrderID    string
	NewOuterOrderID string
}

// unpackKey splits a packed key (as strings.SplitN(k, sep, 4), missing fields ""); the fields
// share k's bytes: nothing is allocated.
func unpackKey(k string) Identity {
	var p [4]string
	split4(k, &p)
	op, _ := strconv.Atoi(p[1])
	return Identity{BrandID: p[0], OperateType: op, OuterOrderID: p[2], NewOuterOrderID: p[3]}
}

// split4 is strings.SplitN(s, sep, 4) into p, the fields past the last one found left "".
func split4(s string, p *[4]string) {
	for i := 0; i < 3; i++ {
		j := strings.IndexByte(s, sep[0]) // sep is one byte
		if j < 0 {
			p[i] = s
			return
		}
		p[i], s = s[:j], s[j+len(sep):]
	}
	p[3] = s
}

// Customer is a row's customer identity fields.
type Customer struct{ CustomerID, Mobile, OuterType, OuterID string }

func packCust(c Customer) string {
	if c == (Customer{}) {
		return ""
	}
	return c.CustomerID + sep + c.Mobile + sep + c.OuterType + sep + c.OuterID
}

func unpackCust(s string) Customer {
	if s == "" {
		return Customer{}
	}
	var p [4]string
	split4(s, &p)
	return Customer{CustomerID: p[0], Mobile: p[1], OuterType: p[2], OuterID: p[3]}
}

// String shows the fields that are set: "customer_id=C1 mobile=138…".
func (c Customer) String() string {
	if c == (Customer{}) {
		return ""
	}
	return string(c.Append(nil))
}

// Append appends String's text to b (without building the string).
func (c Customer) Append(b []byte) []byte {
	n := len(b)
	for _, f := range [4]struct{ k, v string }{{"customer_id=", c.CustomerID}, {"mobile=", c.Mobile}, {"outer_type=", c.OuterType}, {"outer_id=", c.OuterID}} {
		if f.v != "" {
			if len(b) > n {
				b = append(b, ' ')
			}
			b = append(b, f.k...)
			b = append(b, f.v...)
		}
	}
	return b
}

// custDiffers reports whether a field the expected row gives differs from the result's.
func custDiffers(exp, got Customer) bool {
	return (exp.CustomerID != "" && exp.CustomerID != got.CustomerID) ||
		(exp.Mobile != "" && exp.Mobile != got.Mobile) ||
		(exp.OuterType != "" && !strings.EqualFold(exp.OuterType, got.OuterType)) ||
		(exp.OuterID != "" && exp.OuterID != got.OuterID)
}

// chunked is an append-only slice in fixed chunks: growing it never copies past the first chunk
// (no 2× peak). The first chunk grows as a slice does, so that a small one (a partitioned mode's
// bucket) stays small; a pointer from at is valid until the next add.
type chunked[T any] struct{ chunks [][]T }

const chunkSize = 1 << 15

func (c *chunked[T]) add(v T) int32 {
	n := len(c.chunks)
	switch {
	case n == 0:
		c.chunks = append(c.chunks, make([]T, 0, 64))
		n++
	case n == 1 && len(c.chunks[0]) < chunkSize && len(c.chunks[0]) == cap(c.chunks[0]):
		c.chunks[0] = slices.Grow(c.chunks[0], min(chunkSize, 2*len(c.chunks[0]))-len(c.chunks[0]))
	case len(c.chunks[n-1]) == chunkSize:
		c.chunks = append(c.chunks, make([]T, 0, chunkSize))
		n++
	}
	c.chunks[n-1] = append(c.chunks[n-1], v)
	return int32((n-1)*chunkSize + len(c.chunks[n-1]) - 1)
}

func (c *chunked[T]) at(i int32) *T { return &c.chunks[int(i)/chunkSize][int(i)%chunkSize] }

func (c *chunked[T]) len() int {
	if len(c.chunks) == 0 {
		return 0
	}
	return (len(c.chunks)-1)*chunkSize + len(c.chunks[len(c.chunks)-1])
}

// ref points at an expected row (≥ 0) or an unexpected results row (< 0: -(i+1)).
type ref int32

func expRef(i int32) ref { return ref(i) }

func unexRef(i int32) ref { return ref(-(i + 1)) }
