package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// MethodRechargeOperate is the TOP method svbatch calls.
const MethodRechargeOperate = "alibaba.alsc.crm.open.recharge.operate"

// ParamRechargeOperate is the name of the business parameter carrying the JSON request.
const ParamRechargeOperate = "param_recharge_operate_open_req"

// OperateType is operate_type of RechargeOperateOpenReq.
type OperateType int

// The four operations of recharge.operate.
const (
	Charge OperateType = 1 // 充值: available += v
	Freeze OperateType = 2 // 冻结: available -= v, frozen += v
	Verify OperateType = 3 // 核销: consume (posts a hold of the same outer_order_id, if any)
	Refund OperateType = 4 // 充值回退: reverse (part of) a charge
)

// String returns the English word for t ("charge", …), or the number for an unknown value.
func (t OperateType) String() string {
	switch t {
	case Charge:
		return "charge"
	case Freeze:
		return "freeze"
	case Verify:
		return "verify"
	case Refund:
		return "refund"
	}
	return strconv.Itoa(int(t))
}

// Chinese returns the Chinese name of t (充值, 冻结, 核销, 充值回退), or "" for an unknown value.
func (t OperateType) Chinese() string {
	switch t {
	case Charge:
		return "充值"
	case Freeze:
		return "冻结"
	case Verify:
		return "核销"
	case Refund:
		return "充值回退"
	}
	return ""
}

// Valid reports whether t is one of the four operations.
func (t OperateType) Valid() bool { return t >= Charge && t <= Refund }

// ParseOperateType accepts 1–4, charge|freeze|verify|refund (any case) and 充值|冻结|核销|充值回退.
func ParseOperateType(s string) (OperateType, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	switch v {
	case "1", "charge", "充值":
		return Charge, nil
	case "2", "freeze", "冻结":
		return Freeze, nil
	case "3", "verify", "核销":
		return Verify, nil
	case "4", "refund", "充值回退":
		return Refund, nil
	}
	return 0, fmt.Errorf("operate_type %q: want 1-4, charge|freeze|verify|refund or 充值|冻结|核销|充值回退", s)
}

// RechargeRequest is RechargeOperateOpenReq, the business parameter of recharge.operate.
// Fields are declared in key order so the JSON is canonical (sorted keys); empty fields are omitted.
// ChangeValue is in fen (minor units).
type RechargeRequest struct {
	BrandID         string      `json:"brand_id,omitempty"`
	ChangeValue     int64       `json:"change_value,omitempty"`
	CustomerID      string      `json:"customer_id,omitempty"`
	Mobile          string      `json:"mobile,omitempty"`
	NewOuterOrderID string      `json:"new_outer_order_id,omitempty"`
	OperateType     OperateType `json:"operate_type,omitempty"`
	OperatorID      string      `json:"operator_id,omitempty"`
	OuterID         string      `json:"outer_id,omitempty"`
	OuterOrderID    string      `json:"outer_order_id,omitempty"`
	OuterType       string      `json:"outer_type,omitempty"`
	Reason          string      `json:"reason,omitempty"`
	RequestID       string      `json:"request_id,omitempty"`
	ShopID          string      `json:"shop_id,omitempty"`
}

// Encode returns the compact JSON of r as TOP expects it: sorted snake_case keys, empty fields
// omitted, numbers as JSON integers, and no HTML escaping ("&" stays "&").
func (r RechargeRequest) Encode() (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return "", fmt.Errorf("encode %s: %w", ParamRechargeOperate, err)
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
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
	if r.OperateType == Refund && r.NewOuterOrderID == "" {
		m = append(m, "new_outer_order_id")
	}
	return m
}
