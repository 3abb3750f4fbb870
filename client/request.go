package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

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
	if r.OperateType == svbatch.Refund && r.NewOuterOrderID == "" {
		m = append(m, "new_outer_order_id")
	}
	return m
}
