package batch

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
)

// idHasher computes request_id v1 exactly as client.RequestIDv1 does, reusing its buffer (the
// reader derives one per row). Tests hold the two equal on the shared vectors and under fuzzing;
// client.RequestIDv1 stays the definition.
type idHasher struct {
	buf []byte
}

// id returns the request_id and the first 64 bits of the hash (the duplicate-check key).
func (h *idHasher) id(namespace, brandID string, operateType int, outerOrderID, newOuterOrderID string) (string, uint64) {
	b := append(h.buf[:0], "svbatch/request_id/v1;"...)
	for i, v := range [5]string{namespace, brandID, "", outerOrderID, newOuterOrderID} {
		if i == 2 {
			var num [20]byte
			v = string(strconv.AppendInt(num[:0], int64(operateType), 10))
		}
		b = strconv.AppendInt(b, int64(len(v)), 10)
		b = append(b, ':')
		b = append(b, v...)
		b = append(b, ';')
	}
	h.buf = b
	sum := sha256.Sum256(b)
	var out [32]byte
	copy(out[:], "svb1")
	hex.Encode(out[4:], sum[:14])
	return string(out[:]), binary.BigEndian.Uint64(sum[:8])
}
