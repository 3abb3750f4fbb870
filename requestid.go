package svbatch

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
	return RequestIDFromSum(sha256.Sum256(AppendCanonicalV1(nil, namespace, brandID, operateType, outerOrderID, newOuterOrderID)))
}

// RequestIDCanonicalV1 is the string RequestIDv1 hashes.
func RequestIDCanonicalV1(namespace, brandID string, operateType int, outerOrderID, newOuterOrderID string) string {
	return string(AppendCanonicalV1(nil, namespace, brandID, operateType, outerOrderID, newOuterOrderID))
}

// AppendCanonicalV1 appends the canonical string of request_id v1 to b: for callers that derive many
// ids and reuse one buffer. canonical = "svbatch/request_id/v1;" + f(namespace) + f(brand_id) +
// f(operate_type in decimal) + f(outer_order_id) + f(new_outer_order_id), f(v) = len(v) ":" v ";".
func AppendCanonicalV1(b []byte, namespace, brandID string, operateType int, outerOrderID, newOuterOrderID string) []byte {
	b = append(b, "svbatch/request_id/v1;"...)
	field := func(v string) {
		b = strconv.AppendInt(b, int64(len(v)), 10)
		b = append(b, ':')
		b = append(b, v...)
		b = append(b, ';')
	}
	field(namespace)
	field(brandID)
	var num [20]byte
	field(string(strconv.AppendInt(num[:0], int64(operateType), 10)))
	field(outerOrderID)
	field(newOuterOrderID)
	return b
}

// RequestIDFromSum is the request_id v1 of a canonical string's SHA-256: "svb1" + 28 hex digits.
func RequestIDFromSum(sum [32]byte) string {
	var out [32]byte
	copy(out[:], "svb1")
	hex.Encode(out[4:], sum[:14])
	return string(out[:])
}
