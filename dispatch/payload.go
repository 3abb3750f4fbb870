package dispatch

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"svbatch/client"
)

// payloadV1 prefixes a payload hash of version 1; a hash without a prefix is the legacy one.
const payloadV1 = "p1:"

// PayloadHash identifies what a row asks for, request_id excluded: a changed amount, shop or
// customer changes it; a new request_id generation does not. It is a versioned canonical encoding
// of the fields (version 1: "svbatch/payload/v1;" then each field as len ":" value ";", in a fixed
// order, change_value and operate_type in decimal), hashed with SHA-256, so that it never depends on
// how the client happens to encode the request on the wire. Its meaning never changes once released:
// a new encoding gets a new version prefix, and SamePayload keeps reading the old ones.
func PayloadHash(req client.RechargeRequest) string {
	sum := sha256.Sum256(appendPayload(make([]byte, 0, 256), req))
	return payloadV1 + hex.EncodeToString(sum[:16])
}

// appendPayload appends the canonical encoding of version 1 of req's payload to b (PayloadHash).
func appendPayload(b []byte, req client.RechargeRequest) []byte {
	b = append(b, "svbatch/payload/v1;"...)
	field := func(v string) {
		b = strconv.AppendInt(b, int64(len(v)), 10)
		b = append(b, ':')
		b = append(b, v...)
		b = append(b, ';')
	}
	field(req.BrandID)
	field(req.ShopID)
	field(req.OperatorID)
	field(strconv.Itoa(int(req.OperateType)))
	field(req.OuterOrderID)
	field(req.NewOuterOrderID)
	field(strconv.FormatInt(req.ChangeValue, 10))
	field(req.CustomerID)
	field(req.Mobile)
	field(req.OuterID)
	field(req.OuterType)
	field(req.Reason)
	return b
}

// legacyPayloadHash is the hash journals written before version 1 hold: SHA-256 of the client's
// wire JSON with request_id removed.
func legacyPayloadHash(req client.RechargeRequest) string {
	req.RequestID = ""
	js, _ := req.Encode() // a struct of strings and integers always encodes
	sum := sha256.Sum256([]byte(js))
	return hex.EncodeToString(sum[:16])
}

// SamePayload reports whether recorded, a payload hash from the journal (any version), is the hash
// of req's payload.
func SamePayload(recorded string, req client.RechargeRequest) bool {
	if strings.HasPrefix(recorded, payloadV1) {
		return recorded == PayloadHash(req)
	}
	return recorded == legacyPayloadHash(req)
}
