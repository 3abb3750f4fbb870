package client

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"sort"
	"strings"
)

// Sign methods TOP accepts.
const (
	SignMD5        = "md5"
	SignHMAC       = "hmac"
	SignHMACSHA256 = "hmac-sha256"
)

// DefaultSignMethod is the sign method used unless one is chosen.
const DefaultSignMethod = SignHMACSHA256

// ValidSignMethod reports whether m is one of md5, hmac, hmac-sha256.
func ValidSignMethod(m string) bool {
	return m == SignMD5 || m == SignHMAC || m == SignHMACSHA256
}

// StringToSign concatenates key+value over params sorted by key in byte order, leaving out "sign"
// and empty values (which are not sent either).
func StringToSign(params map[string]string) string {
	keys := make([]string, 0, len(params))
	n := 0
	for k, v := range params {
		if k == "sign" || v == "" {
			continue
		}
		keys = append(keys, k)
		n += len(k) + len(v)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.Grow(n)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteString(params[k])
	}
	return b.String()
}

// Sign computes TOP's sign of params with secret:
// md5: UPPERHEX(MD5(secret+s+secret)); hmac: UPPERHEX(HMAC_MD5(secret, s));
// hmac-sha256: UPPERHEX(HMAC_SHA256(secret, s)), where s = StringToSign(params).
func Sign(params map[string]string, secret, method string) (string, error) {
	return digest(StringToSign(params), secret, method)
}

// digest is the hash step of a sign over an already built string to sign (Sign, SignBody).
func digest(s, secret, method string) (string, error) {
	var h hash.Hash
	switch method {
	case SignMD5:
		h = md5.New()
		h.Write([]byte(secret))
		h.Write([]byte(s))
		h.Write([]byte(secret))
	case SignHMAC:
		h = hmac.New(md5.New, []byte(secret))
		h.Write([]byte(s))
	case SignHMACSHA256:
		h = hmac.New(sha256.New, []byte(secret))
		h.Write([]byte(s))
	default:
		return "", fmt.Errorf("sign_method %q: want md5, hmac or hmac-sha256", method)
	}
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil))), nil
}
