package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"svbatch"
	"svbatch/client"
)

// topError is an error_response the sandbox answers.
type topError struct {
	code    int
	msg     string
	subCode string
	subMsg  string
}

func (e *topError) Error() string {
	return fmt.Sprintf("code %d %s (%s: %s)", e.code, e.msg, e.subCode, e.subMsg)
}

// TOP's error codes and messages the sandbox answers.
func errMissing(field, why string) *topError {
	return &topError{40, "Missing required arguments:" + field, "isv.missing-parameter:" + field, why}
}

func errInvalid(field, why string) *topError {
	return &topError{41, "Invalid arguments:" + field, "isv.invalid-parameter:" + field, why}
}

// flexText is an id field: a JSON string, a number (its literal text) or null. A value of another
// type sets bad instead of failing the whole decode, so the error can name the field.
type flexText struct {
	s   string
	bad bool
}

func (f *flexText) UnmarshalJSON(b []byte) error {
	s, err := jsonText(b)
	f.s, f.bad = s, err != nil
	return nil
}

// flexInt is change_value or operate_type: a JSON integer, a string of digits or null.
type flexInt struct {
	n        int64
	set, bad bool
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	n, err := jsonInt(b)
	f.n, f.bad, f.set = n, err != nil, !isNull(b)
	return nil
}

// wireRequest is RechargeOperateOpenReq as it may arrive.
type wireRequest struct {
	BrandID         flexText `json:"brand_id"`
	ChangeValue     flexInt  `json:"change_value"`
	CustomerID      flexText `json:"customer_id"`
	Mobile          flexText `json:"mobile"`
	NewOuterOrderID flexText `json:"new_outer_order_id"`
	OperateType     flexInt  `json:"operate_type"`
	OperatorID      flexText `json:"operator_id"`
	OuterID         flexText `json:"outer_id"`
	OuterOrderID    flexText `json:"outer_order_id"`
	OuterType       flexText `json:"outer_type"`
	Reason          flexText `json:"reason"`
	RequestID       flexText `json:"request_id"`
	ShopID          flexText `json:"shop_id"`
}

// decodeBusiness parses param_recharge_operate_open_req. Ids may come as JSON strings or numbers;
// change_value and operate_type as JSON integers or strings of digits. Unknown keys are ignored.
// It checks types, not the business rules (validateBusiness does).
func decodeBusiness(raw string) (client.RechargeRequest, error) {
	var r client.RechargeRequest
	var w wireRequest
	b := []byte(raw)
	if t := bytes.TrimSpace(b); len(t) == 0 || t[0] != '{' {
		return r, errInvalid(client.ParamRechargeOperate, "not a JSON object")
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return r, errInvalid(client.ParamRechargeOperate, "not a JSON object")
	}
	for _, f := range []struct {
		name string
		src  flexText
		dst  *string
	}{
		{"brand_id", w.BrandID, &r.BrandID}, {"customer_id", w.CustomerID, &r.CustomerID}, {"mobile", w.Mobile, &r.Mobile},
		{"new_outer_order_id", w.NewOuterOrderID, &r.NewOuterOrderID}, {"operator_id", w.OperatorID, &r.OperatorID},
		{"outer_id", w.OuterID, &r.OuterID}, {"outer_order_id", w.OuterOrderID, &r.OuterOrderID},
		{"outer_type", w.OuterType, &r.OuterType}, {"reason", w.Reason, &r.Reason},
		{"request_id", w.RequestID, &r.RequestID}, {"shop_id", w.ShopID, &r.ShopID},
	} {
		if f.src.bad {
			return r, errInvalid(f.name, f.name+" must be a string")
		}
		*f.dst = f.src.s
	}
	if cv := w.ChangeValue; cv.bad || (cv.set && cv.n <= 0) {
		return r, errInvalid("change_value", "change_value must be an integer amount in fen (分) > 0")
	}
	r.ChangeValue = w.ChangeValue.n
	if ot := w.OperateType; ot.bad || (ot.set && !svbatch.OperateType(ot.n).Valid()) {
		return r, errInvalid("operate_type", "operate_type must be 1 (充值), 2 (冻结), 3 (核销) or 4 (充值回退)")
	}
	r.OperateType = svbatch.OperateType(w.OperateType.n)
	return r, nil
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// jsonText reads a JSON string, number (its literal text) or null ("").
func jsonText(v json.RawMessage) (string, error) {
	v = bytes.TrimSpace(v)
	switch {
	case len(v) == 0:
		return "", fmt.Errorf("empty")
	case v[0] == '"':
		var s string
		err := json.Unmarshal(v, &s)
		return s, err
	case v[0] == '-' || (v[0] >= '0' && v[0] <= '9'):
		return string(v), nil
	case string(v) == "null":
		return "", nil
	}
	return "", fmt.Errorf("not a string")
}

// jsonInt reads a JSON integer, a string of an integer, or null (0). Fractions, exponents and
// anything past int64 are errors: amounts are never rounded.
func jsonInt(v json.RawMessage) (int64, error) {
	s, err := jsonText(v)
	if err != nil {
		return 0, err
	}
	if s == "" {
		if isNull(v) {
			return 0, nil
		}
		return 0, fmt.Errorf("empty")
	}
	return strconv.ParseInt(s, 10, 64)
}

// validateBusiness checks the required fields and the customer identity, naming the first bad field.
func validateBusiness(r *client.RechargeRequest) *topError {
	for _, f := range []struct{ name, v string }{
		{"brand_id", r.BrandID}, {"shop_id", r.ShopID}, {"operator_id", r.OperatorID},
		{"outer_order_id", r.OuterOrderID}, {"request_id", r.RequestID},
	} {
		if strings.TrimSpace(f.v) == "" {
			return errMissing(f.name, f.name+" is required")
		}
	}
	if r.OperateType == 0 {
		return errMissing("operate_type", "operate_type is required: 1 (充值), 2 (冻结), 3 (核销) or 4 (充值回退)")
	}
	if r.ChangeValue == 0 {
		return errMissing("change_value", "change_value is required: an integer amount in fen (分) > 0")
	}
	if r.OperateType == svbatch.Refund && strings.TrimSpace(r.NewOuterOrderID) == "" {
		return errMissing("new_outer_order_id", "new_outer_order_id (the refund's own order id) is required for operate_type 4")
	}
	if r.OuterType != "" && r.OuterType != "wechat" && r.OuterType != "alipay" {
		return errInvalid("outer_type", "outer_type must be wechat or alipay")
	}
	if strings.TrimSpace(r.CustomerID) == "" && strings.TrimSpace(r.Mobile) == "" {
		switch {
		case strings.TrimSpace(r.OuterID) != "" && r.OuterType == "":
			return errMissing("outer_type", "outer_type (wechat or alipay) is required with outer_id")
		case strings.TrimSpace(r.OuterID) == "":
			return errMissing("customer_id", "a customer is required: customer_id, mobile, or outer_id with outer_type")
		}
	}
	return nil
}
