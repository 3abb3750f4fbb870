package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"svbatch"
)

// The read APIs of the recharge family (DESIGN.md §2). Each takes one business parameter, the JSON of
// its wrapper object, and answers in its own response wrapper (absent with simplify=true).
const (
	MethodFlowDetail      = "alibaba.alsc.crm.recharge.account.flowdetail.get"
	ParamFlowDetail       = "param_query_recharge_account_flow_open_req"
	FlowDetailResponseKey = "alibaba_alsc_crm_recharge_account_flowdetail_get_response"

	MethodAccountFlows      = "alibaba.alsc.crm.recharge.accountflows.get"
	ParamAccountFlows       = "param_page_query_account_flows_open_req"
	AccountFlowsResponseKey = "alibaba_alsc_crm_recharge_accountflows_get_response"

	MethodCustomerGet      = "alibaba.alsc.crm.open.customer.get"
	ParamCustomerGet       = "param_customer_get_open_req"
	CustomerGetResponseKey = "alibaba_alsc_crm_open_customer_get_response"
)

// Flow types. TOP does not publish the values of flow_type; these are the ones the sandbox records
// and svbatch assumes (one per operate_type, plus UNFREEZE: see FlowTypeOf).
const (
	FlowTypeRecharge = "RECHARGE" // operate_type 1, order_value +v
	FlowTypeFreeze   = "FREEZE"   // operate_type 2, order_value −v
	FlowTypeUnfreeze = "UNFREEZE" // the hold a verify posts returns to the balance, +held (a companion flow)
	FlowTypeVerify   = "VERIFY"   // operate_type 3, order_value −v
	FlowTypeRefund   = "REFUND"   // operate_type 4, order_value −v
)

// FlowTypeOf is the flow_type of the flow an operation of type op records, and the sign of its
// order_value (+1 credit, −1 debit); ("", 0) for an unknown op. The balance the flows track is the
// available (spendable) balance: a freeze takes v out of it; a verify of an open hold first returns
// the whole hold (an UNFREEZE flow, +held, same outer_order_id) and then takes v (the VERIFY flow),
// so every operation's own flow carries exactly its change_value and each flow's before + affected =
// after. A refund's flow carries the refund's own id (new_outer_order_id) as outer_order_id and the
// charge it reverses as outer_pay_id.
func FlowTypeOf(op svbatch.OperateType) (flowType string, sign int64) {
	switch op {
	case svbatch.Charge:
		return FlowTypeRecharge, 1
	case svbatch.Freeze:
		return FlowTypeFreeze, -1
	case svbatch.Verify:
		return FlowTypeVerify, -1
	case svbatch.Refund:
		return FlowTypeRefund, -1
	}
	return "", 0
}

// Property types of the before/affected/after lists.
const (
	PropertyReal  = "REAL"
	PropertyGift  = "GIFT"
	PropertyTotal = "TOTAL"
)

// FlowTimeLayout is the layout of order_time, start_time and end_time (GMT+8).
const FlowTimeLayout = TimestampLayout

// Property is one {type, value} of a flow's before/affected/after lists; Value in fen.
type Property struct {
	Type  string `json:"type"`
	Value int64  `json:"value"`
}

// UnmarshalJSON accepts value as a JSON integer or a string of one; a fraction is an error (amounts
// are never rounded).
func (p *Property) UnmarshalJSON(b []byte) error {
	var w struct {
		Type  flexText `json:"type"`
		Value flexFen  `json:"value"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	p.Type, p.Value = string(w.Type), int64(w.Value)
	return nil
}

// PropertyValue is the value of type typ in list, and whether the list has it.
func PropertyValue(list []Property, typ string) (int64, bool) {
	for _, p := range list {
		if p.Type == typ {
			return p.Value, true
		}
	}
	return 0, false
}

// Flow is one stored-value flow (an applied operation) as the read APIs answer it. Amounts are in
// fen: OrderValue is signed (credit +, debit −), CurrentValue the total after it. Ids decode from JSON
// strings or numbers.
type Flow struct {
	FlowID               string     `json:"flow_id"`
	FlowType             string     `json:"flow_type"`
	AccountID            string     `json:"account_id,omitempty"`
	CardID               string     `json:"card_id,omitempty"`
	BrandID              string     `json:"brand_id,omitempty"`
	ShopID               string     `json:"shop_id,omitempty"`
	ShopName             string     `json:"shop_name,omitempty"`
	OrderValue           int64      `json:"order_value"`
	CurrentValue         int64      `json:"current_value"`
	OrderTime            string     `json:"order_time"` // yyyy-MM-dd HH:mm:ss, GMT+8
	OuterOrderID         string     `json:"outer_order_id,omitempty"`
	OuterPayID           string     `json:"outer_pay_id,omitempty"`
	OrderSrc             string     `json:"order_src,omitempty"`
	Operator             string     `json:"operator,omitempty"`
	OperatorName         string     `json:"operator_name,omitempty"`
	Remark               string     `json:"remark,omitempty"`
	ExtInfo              string     `json:"ext_info,omitempty"`
	BeforePropertyList   []Property `json:"before_property_list,omitempty"`
	AffectedPropertyList []Property `json:"affected_property_list,omitempty"`
	AfterPropertyList    []Property `json:"after_property_list,omitempty"`
}

// UnmarshalJSON decodes a flow leniently on id types (string or number) and strictly on amounts
// (integers only).
func (f *Flow) UnmarshalJSON(b []byte) error {
	var w struct {
		FlowID       flexText   `json:"flow_id"`
		FlowType     flexText   `json:"flow_type"`
		AccountID    flexText   `json:"account_id"`
		CardID       flexText   `json:"card_id"`
		BrandID      flexText   `json:"brand_id"`
		ShopID       flexText   `json:"shop_id"`
		ShopName     flexText   `json:"shop_name"`
		OrderValue   flexFen    `json:"order_value"`
		CurrentValue flexFen    `json:"current_value"`
		OrderTime    flexText   `json:"order_time"`
		OuterOrderID flexText   `json:"outer_order_id"`
		OuterPayID   flexText   `json:"outer_pay_id"`
		OrderSrc     flexText   `json:"order_src"`
		Operator     flexText   `json:"operator"`
		OperatorName flexText   `json:"operator_name"`
		Remark       flexText   `json:"remark"`
		ExtInfo      flexText   `json:"ext_info"`
		Before       []Property `json:"before_property_list"`
		Affected     []Property `json:"affected_property_list"`
		After        []Property `json:"after_property_list"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("flow: %w", err)
	}
	*f = Flow{
		FlowID: string(w.FlowID), FlowType: string(w.FlowType), AccountID: string(w.AccountID), CardID: string(w.CardID),
		BrandID: string(w.BrandID), ShopID: string(w.ShopID), ShopName: string(w.ShopName),
		OrderValue: int64(w.OrderValue), CurrentValue: int64(w.CurrentValue), OrderTime: string(w.OrderTime),
		OuterOrderID: string(w.OuterOrderID), OuterPayID: string(w.OuterPayID), OrderSrc: string(w.OrderSrc),
		Operator: string(w.Operator), OperatorName: string(w.OperatorName), Remark: string(w.Remark), ExtInfo: string(w.ExtInfo),
		BeforePropertyList: w.Before, AffectedPropertyList: w.Affected, AfterPropertyList: w.After,
	}
	return nil
}

// Time parses OrderTime (GMT+8).
func (f Flow) Time() (time.Time, error) {
	t, err := time.ParseInLocation(FlowTimeLayout, f.OrderTime, TimestampZone)
	if err != nil {
		return time.Time{}, fmt.Errorf("flow %s: order_time %q: want yyyy-MM-dd HH:mm:ss", f.FlowID, f.OrderTime)
	}
	return t, nil
}

// Check verifies a flow's own arithmetic: for every property type in the lists, before + affected =
// after; the TOTAL affected equals order_value and the TOTAL after equals current_value (when the
// lists carry TOTAL). Overflow counts as a break. It is the per-flow half of a balance proof.
func (f Flow) Check() error {
	for _, a := range f.AfterPropertyList {
		b, _ := PropertyValue(f.BeforePropertyList, a.Type)
		d, _ := PropertyValue(f.AffectedPropertyList, a.Type)
		sum, ok := svbatch.AddFen(b, d)
		if !ok || sum != a.Value {
			return fmt.Errorf("flow %s: %s before %d + affected %d ≠ after %d", f.FlowID, a.Type, b, d, a.Value)
		}
	}
	if d, ok := PropertyValue(f.AffectedPropertyList, PropertyTotal); ok && d != f.OrderValue {
		return fmt.Errorf("flow %s: TOTAL affected %d ≠ order_value %d", f.FlowID, d, f.OrderValue)
	}
	if a, ok := PropertyValue(f.AfterPropertyList, PropertyTotal); ok && a != f.CurrentValue {
		return fmt.Errorf("flow %s: TOTAL after %d ≠ current_value %d", f.FlowID, a, f.CurrentValue)
	}
	return nil
}

// ReadStatus is the business status of a read answer.
type ReadStatus struct {
	BizSuccess bool   `json:"biz_success"`
	ResultCode string `json:"result_code,omitempty"`
	ResultDesc string `json:"result_desc,omitempty"`
	ResultView string `json:"result_view,omitempty"`
}

// BizError is a read the platform answered with biz_success=false for a reason other than "not
// found" (see Reader.NotFoundCodes). It is Final: retrying will not change it.
type BizError struct {
	Method     string
	ResultCode string
	ResultDesc string
	TraceID    string
}

func (e *BizError) Error() string {
	return fmt.Sprintf("%s: biz_success=false, result_code %s: %s", e.Method, e.ResultCode, e.ResultDesc)
}

// FlowDetailRequest is QueryRechargeAccountFlowOpenReq, the parameter of flowdetail.get: a brand
// (brand_id or out_brand_id) and flow_id or outer_order_id.
type FlowDetailRequest struct {
	BrandID      string `json:"brand_id,omitempty"`
	FlowID       string `json:"flow_id,omitempty"`
	OutBrandID   string `json:"out_brand_id,omitempty"`
	OuterOrderID string `json:"outer_order_id,omitempty"`
}

// Validate reports a request the platform would refuse, before sending it.
func (r FlowDetailRequest) Validate() error {
	if strings.TrimSpace(r.BrandID) == "" && strings.TrimSpace(r.OutBrandID) == "" {
		return errors.New(ParamFlowDetail + ": brand_id or out_brand_id is required")
	}
	if strings.TrimSpace(r.FlowID) == "" && strings.TrimSpace(r.OuterOrderID) == "" {
		return errors.New(ParamFlowDetail + ": flow_id or outer_order_id is required")
	}
	return nil
}

// FlowDetailResponse is a normal flowdetail.get answer. Flow is nil when the answer holds no flow:
// Status says whether that is "not found" or another business failure (Reader decides).
type FlowDetailResponse struct {
	Flow    *Flow
	Status  ReadStatus
	TraceID string
}

// AccountFlowsRequest is PageQueryAccountFlowsOpenReq, the parameter of accountflows.get. A brand
// and a shop are required, and page_no (from 1). StartTime/EndTime are yyyy-MM-dd HH:mm:ss in GMT+8
// (FormatFlowTime). The order-id filter is spelled out_order_id.
type AccountFlowsRequest struct {
	BrandID    string `json:"brand_id,omitempty"`
	CardID     string `json:"card_id,omitempty"`
	CustomerID string `json:"customer_id,omitempty"`
	EndTime    string `json:"end_time,omitempty"`
	FlowTypes  string `json:"flow_types,omitempty"` // comma-separated flow types
	OutBrandID string `json:"out_brand_id,omitempty"`
	OutOrderID string `json:"out_order_id,omitempty"`
	OutShopID  string `json:"out_shop_id,omitempty"`
	PageNo     int    `json:"page_no,omitempty"`
	PageSize   int    `json:"page_size,omitempty"`
	ShopID     string `json:"shop_id,omitempty"`
	StartTime  string `json:"start_time,omitempty"`
}

// Validate reports a request the platform would refuse, before sending it.
func (r AccountFlowsRequest) Validate() error {
	switch {
	case strings.TrimSpace(r.BrandID) == "" && strings.TrimSpace(r.OutBrandID) == "":
		return errors.New(ParamAccountFlows + ": brand_id or out_brand_id is required")
	case strings.TrimSpace(r.ShopID) == "" && strings.TrimSpace(r.OutShopID) == "":
		return errors.New(ParamAccountFlows + ": shop_id or out_shop_id is required")
	case r.PageNo < 1:
		return fmt.Errorf("%s: page_no %d: pages count from 1", ParamAccountFlows, r.PageNo)
	case r.PageSize < 0:
		return fmt.Errorf("%s: page_size %d: want > 0", ParamAccountFlows, r.PageSize)
	}
	return nil
}

// FormatFlowTime formats t as start_time/end_time: yyyy-MM-dd HH:mm:ss in GMT+8.
func FormatFlowTime(t time.Time) string { return t.In(TimestampZone).Format(FlowTimeLayout) }

// FlowPage is one page of accountflows.get. TotalSize counts the flows of the whole query; there is
// no has-next flag (see Reader.Flows for when paging stops).
type FlowPage struct {
	Status      ReadStatus
	CurrentPage int
	PageSize    int
	TotalSize   int
	Flows       []Flow
	TraceID     string
}

// CustomerRequest is the parameter of open.customer.get: brand_id and shop_id (both required) and
// one of customer_id, mobile, outer_id with outer_type, physical_card_id.
type CustomerRequest struct {
	BrandID        string `json:"brand_id,omitempty"`
	CustomerID     string `json:"customer_id,omitempty"`
	Mobile         string `json:"mobile,omitempty"`
	OuterID        string `json:"outer_id,omitempty"`
	OuterType      string `json:"outer_type,omitempty"`
	PhysicalCardID string `json:"physical_card_id,omitempty"`
	ShopID         string `json:"shop_id,omitempty"`
}

// Validate reports a request the platform would refuse, before sending it.
func (r CustomerRequest) Validate() error {
	switch {
	case strings.TrimSpace(r.BrandID) == "":
		return errors.New(ParamCustomerGet + ": brand_id is required")
	case strings.TrimSpace(r.ShopID) == "":
		return errors.New(ParamCustomerGet + ": shop_id is required")
	case r.CustomerID == "" && r.Mobile == "" && r.PhysicalCardID == "" && (r.OuterID == "" || r.OuterType == ""):
		return errors.New(ParamCustomerGet + ": a customer is required: customer_id, mobile, outer_id with outer_type, or physical_card_id")
	}
	return nil
}

// CardAccount is one stored-value account of a card; amounts in fen. Balance is what the flows'
// current_value tracks.
type CardAccount struct {
	AccountID string `json:"account_id,omitempty"`
	Balance   int64  `json:"balance"`
	Real      int64  `json:"real"`
	Gift      int64  `json:"gift"`
	Pre       int64  `json:"pre"`
	TotalReal int64  `json:"total_real"`
	TotalGift int64  `json:"total_gift"`
	TotalPre  int64  `json:"total_pre"`
}

// UnmarshalJSON accepts ids as strings or numbers and amounts as integers (or strings of them).
func (a *CardAccount) UnmarshalJSON(b []byte) error {
	var w struct {
		AccountID flexText `json:"account_id"`
		Balance   flexFen  `json:"balance"`
		Real      flexFen  `json:"real"`
		Gift      flexFen  `json:"gift"`
		Pre       flexFen  `json:"pre"`
		TotalReal flexFen  `json:"total_real"`
		TotalGift flexFen  `json:"total_gift"`
		TotalPre  flexFen  `json:"total_pre"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("account: %w", err)
	}
	*a = CardAccount{AccountID: string(w.AccountID), Balance: int64(w.Balance), Real: int64(w.Real), Gift: int64(w.Gift),
		Pre: int64(w.Pre), TotalReal: int64(w.TotalReal), TotalGift: int64(w.TotalGift), TotalPre: int64(w.TotalPre)}
	return nil
}

// Card is one card of a customer (card_open_info_list).
type Card struct {
	CardID         string        `json:"card_id"`
	CardTemplateID string        `json:"card_template_id,omitempty"`
	CardType       string        `json:"card_type,omitempty"` // MEMBER | GIFT
	Status         string        `json:"status,omitempty"`
	Accounts       []CardAccount `json:"accounts"`
}

// UnmarshalJSON accepts ids as strings or numbers.
func (c *Card) UnmarshalJSON(b []byte) error {
	var w struct {
		CardID         flexText      `json:"card_id"`
		CardTemplateID flexText      `json:"card_template_id"`
		CardType       flexText      `json:"card_type"`
		Status         flexText      `json:"status"`
		Accounts       []CardAccount `json:"accounts"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("card: %w", err)
	}
	*c = Card{CardID: string(w.CardID), CardTemplateID: string(w.CardTemplateID), CardType: string(w.CardType),
		Status: string(w.Status), Accounts: w.Accounts}
	return nil
}

// CustomerInfo is customer_open_info.
type CustomerInfo struct {
	CustomerID string `json:"customer_id,omitempty"`
	Mobile     string `json:"mobile,omitempty"`
	OuterID    string `json:"outer_id,omitempty"`
	OuterType  string `json:"outer_type,omitempty"`
}

// UnmarshalJSON accepts ids as strings or numbers.
func (c *CustomerInfo) UnmarshalJSON(b []byte) error {
	var w struct {
		CustomerID flexText `json:"customer_id"`
		Mobile     flexText `json:"mobile"`
		OuterID    flexText `json:"outer_id"`
		OuterType  flexText `json:"outer_type"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("customer_open_info: %w", err)
	}
	*c = CustomerInfo{CustomerID: string(w.CustomerID), Mobile: string(w.Mobile), OuterID: string(w.OuterID), OuterType: string(w.OuterType)}
	return nil
}

// Customer is the result of open.customer.get.
type Customer struct {
	Cards []Card       `json:"card_open_info_list"`
	Info  CustomerInfo `json:"customer_open_info"`
}

// Balance is the sum of Balance over every account of every card, in fen (false on overflow).
func (c *Customer) Balance() (int64, bool) {
	var sum int64
	for _, card := range c.Cards {
		for _, a := range card.Accounts {
			var ok bool
			if sum, ok = svbatch.AddFen(sum, a.Balance); !ok {
				return 0, false
			}
		}
	}
	return sum, true
}

// CustomerResponse is a normal open.customer.get answer; Customer is nil when the answer holds none.
type CustomerResponse struct {
	Customer *Customer
	Status   ReadStatus
	TraceID  string
}

// encodeParam is the compact JSON of a business parameter: struct key order, no HTML escaping.
func encodeParam(name string, v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("encode %s: %w", name, err)
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// ReadCall is one read request: the only types that implement it are FlowDetailRequest,
// AccountFlowsRequest and CustomerRequest, so a write (RechargeRequest) can never be put in a batch.
type ReadCall interface {
	// readCall returns the method and its one business parameter.
	readCall() (method, param string, value any)
	Validate() error
}

func (r FlowDetailRequest) readCall() (string, string, any) {
	return MethodFlowDetail, ParamFlowDetail, r
}
func (r AccountFlowsRequest) readCall() (string, string, any) {
	return MethodAccountFlows, ParamAccountFlows, r
}
func (r CustomerRequest) readCall() (string, string, any) {
	return MethodCustomerGet, ParamCustomerGet, r
}

// readParams validates call and returns its method and business params.
func readParams(call ReadCall) (string, map[string]string, error) {
	if err := call.Validate(); err != nil {
		return "", nil, err
	}
	method, name, v := call.readCall()
	param, err := encodeParam(name, v)
	if err != nil {
		return "", nil, err
	}
	return method, map[string]string{name: param}, nil
}

// FlowDetail sends one flowdetail.get once (no retries; Reader retries). A normal answer comes back
// as a response, found or not; every other outcome is an error for Classify.
func (c *Client) FlowDetail(ctx context.Context, req FlowDetailRequest) (*FlowDetailResponse, error) {
	body, err := c.read(ctx, req)
	if err != nil {
		return nil, err
	}
	return decodeFlowDetail(200, body)
}

// AccountFlows sends one accountflows.get page request once (no retries; Reader retries and pages).
func (c *Client) AccountFlows(ctx context.Context, req AccountFlowsRequest) (*FlowPage, error) {
	body, err := c.read(ctx, req)
	if err != nil {
		return nil, err
	}
	return decodeFlowPage(200, body)
}

// CustomerGet sends one open.customer.get once (no retries; Reader retries).
func (c *Client) CustomerGet(ctx context.Context, req CustomerRequest) (*CustomerResponse, error) {
	body, err := c.read(ctx, req)
	if err != nil {
		return nil, err
	}
	return decodeCustomer(200, body)
}

// read posts one read call and returns a body that is not an error_response; HTTP statuses ≥ 500
// are a *ResponseError, as for recharge.operate.
func (c *Client) read(ctx context.Context, call ReadCall) ([]byte, error) {
	method, params, err := readParams(call)
	if err != nil {
		return nil, err
	}
	status, body, err := c.post(ctx, method, params)
	if err != nil {
		return nil, err
	}
	if err := checkReadBody(status, body); err != nil {
		return nil, err
	}
	return body, nil
}

// checkReadBody turns a body that is not a normal answer into an error: error_response → *APIError,
// anything that is not a JSON object, or an HTTP 5xx → *ResponseError.
func checkReadBody(status int, body []byte) error {
	trimmed := bytes.TrimSpace(body)
	bad := func(reason string) error {
		return &ResponseError{HTTPStatus: status, Reason: reason, Snippet: snippet(trimmed)}
	}
	switch {
	case len(trimmed) == 0:
		return bad("empty body")
	case trimmed[0] == '<':
		return bad("an HTML or XML page, not TOP JSON (a proxy or load balancer answered?)")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &top); err != nil {
		return bad("not JSON or cut off: " + err.Error())
	}
	if raw, ok := top["error_response"]; ok {
		var eb ErrorBody
		if err := json.Unmarshal(raw, &eb); err != nil {
			return bad("malformed error_response: " + err.Error())
		}
		return &APIError{HTTPStatus: status, Code: eb.Code, Msg: eb.Msg, SubCode: eb.SubCode, SubMsg: eb.SubMsg, TraceID: eb.RequestID}
	}
	if status >= 500 {
		return bad("a result with HTTP error status")
	}
	return nil
}

// unwrap returns the content of a read answer's wrapper (or the whole body with simplify=true) and
// its "result" object.
func unwrap(status int, body []byte, key string) (result json.RawMessage, trace string, err error) {
	if err := checkReadBody(status, body); err != nil {
		return nil, "", err
	}
	trimmed := bytes.TrimSpace(body)
	bad := func(reason string) error {
		return &ResponseError{HTTPStatus: status, Reason: reason, Snippet: snippet(trimmed)}
	}
	var top map[string]json.RawMessage
	json.Unmarshal(trimmed, &top) //nolint:errcheck // checked by checkReadBody
	raw, ok := top[key]
	if !ok {
		raw = trimmed // simplify=true
	}
	var b struct {
		Result    json.RawMessage `json:"result"`
		RequestID flexText        `json:"request_id"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, "", bad("malformed answer: " + err.Error())
	}
	if len(b.Result) == 0 || string(b.Result) == "null" {
		return nil, "", bad("JSON without result or error_response")
	}
	return b.Result, string(b.RequestID), nil
}

func decodeFlowDetail(status int, body []byte) (*FlowDetailResponse, error) {
	raw, trace, err := unwrap(status, body, FlowDetailResponseKey)
	if err != nil {
		return nil, err
	}
	var r struct {
		ReadStatus
		Result *Flow `json:"result"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, &ResponseError{HTTPStatus: status, Reason: "malformed flowdetail result: " + err.Error(), Snippet: snippet(bytes.TrimSpace(body))}
	}
	if r.Result != nil && r.Result.FlowID == "" {
		r.Result = nil // an empty object: no flow
	}
	return &FlowDetailResponse{Flow: r.Result, Status: r.ReadStatus, TraceID: trace}, nil
}

func decodeFlowPage(status int, body []byte) (*FlowPage, error) {
	raw, trace, err := unwrap(status, body, AccountFlowsResponseKey)
	if err != nil {
		return nil, err
	}
	var r struct {
		ReadStatus
		CurrentPage flexFen `json:"current_page"`
		PageSize    flexFen `json:"page_size"`
		TotalSize   flexFen `json:"total_size"`
		ResultList  []Flow  `json:"result_list"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, &ResponseError{HTTPStatus: status, Reason: "malformed accountflows result: " + err.Error(), Snippet: snippet(bytes.TrimSpace(body))}
	}
	return &FlowPage{Status: r.ReadStatus, CurrentPage: int(r.CurrentPage), PageSize: int(r.PageSize), TotalSize: int(r.TotalSize),
		Flows: r.ResultList, TraceID: trace}, nil
}

func decodeCustomer(status int, body []byte) (*CustomerResponse, error) {
	raw, trace, err := unwrap(status, body, CustomerGetResponseKey)
	if err != nil {
		return nil, err
	}
	var r struct {
		ReadStatus
		Result *Customer `json:"result"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, &ResponseError{HTTPStatus: status, Reason: "malformed customer result: " + err.Error(), Snippet: snippet(bytes.TrimSpace(body))}
	}
	return &CustomerResponse{Customer: r.Result, Status: r.ReadStatus, TraceID: trace}, nil
}

// flexText is a JSON string, a number (its literal text) or null ("").
type flexText string

func (f *flexText) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return errors.New("empty value")
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexText(s)
	case string(b) == "null":
		*f = ""
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		*f = flexText(b)
	case string(b) == "true" || string(b) == "false":
		*f = flexText(b)
	default:
		return fmt.Errorf("want a string or number, got %.20s", b)
	}
	return nil
}

// flexFen is an amount in fen (or a count): a JSON integer, a string of one, or null (0). A fraction,
// an exponent or a value past int64 is an error: never rounded.
type flexFen int64

func (f *flexFen) UnmarshalJSON(b []byte) error {
	var t flexText
	if err := t.UnmarshalJSON(b); err != nil {
		return err
	}
	if t == "" {
		*f = 0
		return nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(t)), 10, 64)
	if err != nil {
		return fmt.Errorf("amount %q: want an integer number of fen", string(t))
	}
	*f = flexFen(n)
	return nil
}
