package client

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"svbatch"
)

// MethodRechargeOperate is the TOP method svbatch calls.
const MethodRechargeOperate = "alibaba.alsc.crm.open.recharge.operate"

// ParamRechargeOperate is the name of the business parameter carrying the JSON request.
const ParamRechargeOperate = "param_recharge_operate_open_req"

// RechargeRequest is RechargeOperateOpenReq, the business parameter of recharge.operate.
// Fields are declared in key order so the JSON is canonical (sorted keys); empty fields are omitted.
// ChangeValue is in fen (minor units).
type RechargeRequest struct {
	BrandID         string              `json:"brand_id,omitempty"`
	ChangeValue     int64               `json:"change_value,omitempty"`
	CustomerID      string              `json:"customer_id,omitempty"`
	Mobile          string              `json:"mobile,omitempty"`
	NewOuterOrderID string              `json:"new_outer_order_id,omitempty"`
	OperateType     svbatch.OperateType `json:"operate_type,omitempty"`
	OperatorID      string              `json:"operator_id,omitempty"`
	OuterID         string              `json:"outer_id,omitempty"`
	OuterOrderID    string              `json:"outer_order_id,omitempty"`
	OuterType       string              `json:"outer_type,omitempty"`
	Reason          string              `json:"reason,omitempty"`
	RequestID       string              `json:"request_id,omitempty"`
	ShopID          string              `json:"shop_id,omitempty"`
}

// Encode returns the compact JSON of r as TOP expects it: sorted snake_case keys, empty fields
// omitted, numbers as JSON integers, and no HTML escaping ("&" stays "&"). It is byte for byte what
// encoding/json's Encoder with SetEscapeHTML(false) writes for r (without the newline), written
// without reflection: the sandbox's idempotency records and legacy payload hashes depend on it.
// The error is always nil; it stays for callers written when encoding could fail.
func (r RechargeRequest) Encode() (string, error) {
	return string(r.appendJSON(make([]byte, 0, 192+len(r.Reason)))), nil
}

// appendJSON appends Encode's JSON of r to b.
func (r RechargeRequest) appendJSON(b []byte) []byte {
	b = append(b, '{')
	first := true
	key := func(k string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, '"', ':')
	}
	str := func(k, v string) {
		if v != "" {
			key(k)
			b = appendJSONString(b, v)
		}
	}
	num := func(k string, v int64) {
		if v != 0 {
			key(k)
			b = strconv.AppendInt(b, v, 10)
		}
	}
	str("brand_id", r.BrandID)
	num("change_value", r.ChangeValue)
	str("customer_id", r.CustomerID)
	str("mobile", r.Mobile)
	str("new_outer_order_id", r.NewOuterOrderID)
	num("operate_type", int64(r.OperateType))
	str("operator_id", r.OperatorID)
	str("outer_id", r.OuterID)
	str("outer_order_id", r.OuterOrderID)
	str("outer_type", r.OuterType)
	str("reason", r.Reason)
	str("request_id", r.RequestID)
	str("shop_id", r.ShopID)
	return append(b, '}')
}

// appendJSONString appends s as a JSON string exactly as encoding/json does without HTML
// escaping: '"', '\\' and control characters escaped (\b \f \n \r \t by name, others as \u00XX),
// invalid UTF-8 as \ufffd, U+2028 and U+2029 as \u2028 and \u2029; everything else as is.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Missing lists the required fields of r that are empty, in API field names.
// new_outer_order_id is required for refunds.
func (r RechargeRequest) Missing() []string {
	var m []string
	for _, f := range []struct {
		name string
		v    string
	}{{"brand_id", r.BrandID}, {"operator_id", r.OperatorID}, {"outer_order_id", r.OuterOrderID}, {"request_id", r.RequestID}, {"shop_id", r.ShopID}} {
		if strings.TrimSpace(f.v) == "" {
			m = append(m, f.name)
		}
	}
	if r.OperateType == svbatch.Refund && r.NewOuterOrderID == "" {
		m = append(m, "new_outer_order_id")
	}
	return m
}
