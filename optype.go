package svbatch

import (
	"fmt"
	"strconv"
	"strings"
)

// OperateType is operate_type of RechargeOperateOpenReq (DESIGN.md §2).
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
