package client

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// RequestIDv1 derives the deterministic request_id, version 1 (../shared/testvectors/request_id.json):
// "svb1" + the first 28 hex digits of SHA-256 over the identity (namespace, brand_id, operate_type,
// outer_order_id, new_outer_order_id). Amount, shop and customer are deliberately not part of it, so a
// corrected row keeps its id and the server deduplicates instead of moving money twice.
// Its meaning must never change once released.
func RequestIDv1(namespace, brandID string, operateType int, outerOrderID, newOuterOrderID string) string {
	sum := sha256.Sum256([]byte(RequestIDCanonicalV1(namespace, brandID, operateType, outerOrderID, newOuterOrderID)))
	return "svb1" + hex.EncodeToString(sum[:])[:28]
}

// RequestIDCanonicalV1 is the string RequestIDv1 hashes.
func RequestIDCanonicalV1(namespace, brandID string, operateType int, outerOrderID, newOuterOrderID string) string {
	b := make([]byte, 0, 64+len(namespace)+len(brandID)+len(outerOrderID)+len(newOuterOrderID))
	b = append(b, "svbatch/request_id/v1;"...)
	for _, v := range []string{namespace, brandID, strconv.Itoa(operateType), outerOrderID, newOuterOrderID} {
		b = strconv.AppendInt(b, int64(len(v)), 10)
		b = append(b, ':')
		b = append(b, v...)
		b = append(b, ';')
	}
	return string(b)
}
