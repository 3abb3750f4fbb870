package batch

import (
	"crypto/sha256"
	"encoding/binary"

	"svbatch"
)

// idHasher derives request_id v1 with client's definition, reusing one buffer (the reader derives
// one per row).
type idHasher struct {
	buf []byte
}

// id returns the request_id and the first 64 bits of the hash (the duplicate-check key).
func (h *idHasher) id(namespace, brandID string, operateType int, outerOrderID, newOuterOrderID string) (string, uint64) {
	h.buf = svbatch.AppendCanonicalV1(h.buf[:0], namespace, brandID, operateType, outerOrderID, newOuterOrderID)
	sum := sha256.Sum256(h.buf)
	return svbatch.RequestIDFromSum(sum), binary.BigEndian.Uint64(sum[:8])
}
