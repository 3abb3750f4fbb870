package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"svbatch/client"
)

// The read APIs (DESIGN.md §2) over the ledger's flows and balances: flowdetail.get,
// accountflows.get and open.customer.get.

// Result codes of read answers with biz_success=false.
const (
	CodeFlowNotFound     = client.CodeFlowNotFound     // flowdetail.get: no visible flow
	CodeCustomerNotFound = client.CodeCustomerNotFound // open.customer.get: no such account
)

var readDesc = map[string]string{
	CodeOK:               "成功",
	CodeFlowNotFound:     "储值流水不存在",
	CodeCustomerNotFound: "顾客不存在",
}

func readStatus(code string) client.ReadStatus {
	return client.ReadStatus{BizSuccess: code == CodeOK, ResultCode: code, ResultDesc: readDesc[code], ResultView: readDesc[code]}
}

// readParam is a read method's business parameter name and response wrapper key.
var readMethods = map[string]struct{ param, key string }{
	client.MethodFlowDetail:   {client.ParamFlowDetail, client.FlowDetailResponseKey},
	client.MethodAccountFlows: {client.ParamAccountFlows, client.AccountFlowsResponseKey},
	client.MethodCustomerGet:  {client.ParamCustomerGet, client.CustomerGetResponseKey},
}

type flowDetailResult struct {
	client.ReadStatus
	Result *client.Flow `json:"result,omitempty"`
}

type flowPageResult struct {
	client.ReadStatus
	CurrentPage int           `json:"current_page"`
	PageSize    int           `json:"page_size"`
	TotalSize   int           `json:"total_size"`
	ResultList  []client.Flow `json:"result_list"`
}

type customerResult struct {
	client.ReadStatus
	Result *client.Customer `json:"result,omitempty"`
}

// readBody is the content of a read answer's wrapper.
type readBody struct {
	Result    any    `json:"result"`
	RequestID string `json:"request_id"`
}

// readFault draws whether one read call gets the injected transient error.
func (s *Server) readFault() bool {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	if s.faults.ReadFailRate == 0 {
		return false
	}
	return s.readRng.Float64() < s.faults.ReadFailRate
}

// readLatency draws the latency of one read request.
func (s *Server) readLatency() time.Duration {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	f := s.faults
	d := f.LatencyMin
	if span := f.LatencyMax - f.LatencyMin; span > 0 {
		d += time.Duration(s.readRng.Int64N(int64(span) + 1))
	}
	return d
}

func (s *Server) flowLag() time.Duration {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return s.faults.FlowLag
}

// readAnswer answers one read call whose system params passed the checks: the JSON value to send,
// a normal answer or an error_response.
func (s *Server) readAnswer(method string, p map[string]string, trace string, simplify bool) any {
	m := readMethods[method]
	raw, ok := p[m.param]
	if !ok || strings.TrimSpace(raw) == "" {
		return errorEnvelope(trace, errMissing(m.param, m.param+" is required"))
	}
	fields, terr := decodeObject(m.param, raw)
	if terr != nil {
		return errorEnvelope(trace, terr)
	}
	if s.readFault() {
		return errorEnvelope(trace, &topError{10, "Service currently unavailable", "isp.service-unavailable", "sandbox: injected transient fault on a read"})
	}
	var result any
	switch method {
	case client.MethodFlowDetail:
		result, terr = s.flowDetail(fields)
	case client.MethodAccountFlows:
		result, terr = s.accountFlows(fields)
	default:
		result, terr = s.customerGet(fields)
	}
	if terr != nil {
		return errorEnvelope(trace, terr)
	}
	body := readBody{Result: result, RequestID: trace}
	if simplify {
		return body
	}
	return map[string]readBody{m.key: body}
}

func errorEnvelope(trace string, e *topError) client.ErrorEnvelope {
	return client.ErrorEnvelope{ErrorResponse: &client.ErrorBody{Code: e.code, Msg: e.msg, SubCode: e.subCode, SubMsg: e.subMsg, RequestID: trace}}
}

// object is a decoded business parameter: its keys with their raw values.
type object struct {
	param string
	m     map[string]json.RawMessage
}

func decodeObject(param, raw string) (object, *topError) {
	o := object{param: param}
	b := bytes.TrimSpace([]byte(raw))
	if len(b) == 0 || b[0] != '{' || json.Unmarshal(b, &o.m) != nil {
		return o, errInvalid(param, "not a JSON object")
	}
	return o, nil
}

// text is field name as text (a JSON string or number), trimmed.
func (o object) text(name string) (string, *topError) {
	v, ok := o.m[name]
	if !ok {
		return "", nil
	}
	s, err := jsonText(v)
	if err != nil {
		return "", errInvalid(name, name+" must be a string")
	}
	return strings.TrimSpace(s), nil
}

// first returns the first non-empty of the fields.
func (o object) first(names ...string) (string, *topError) {
	for _, n := range names {
		v, err := o.text(n)
		if err != nil || v != "" {
			return v, err
		}
	}
	return "", nil
}

// int is field name as an integer; set says whether it was given.
func (o object) int(name string) (n int64, set bool, terr *topError) {
	v, ok := o.m[name]
	if !ok || isNull(v) {
		return 0, false, nil
	}
	n, err := jsonInt(v)
	if err != nil {
		return 0, true, errInvalid(name, name+" must be an integer")
	}
	return n, true, nil
}

func (o object) time(name string) (t time.Time, set bool, terr *topError) {
	v, terr := o.text(name)
	if terr != nil || v == "" {
		return time.Time{}, false, terr
	}
	t, err := time.ParseInLocation(timestampLayout, v, gmt8)
	if err != nil {
		return time.Time{}, true, errInvalid(name, name+" must be yyyy-MM-dd HH:mm:ss (GMT+8)")
	}
	return t, true, nil
}

func (s *Server) flowDetail(o object) (any, *topError) {
	brand, terr := o.first("brand_id", "out_brand_id")
	if terr != nil {
		return nil, terr
	}
	if brand == "" {
		return nil, errMissing("brand_id", "brand_id or out_brand_id is required")
	}
	flowID, terr := o.text("flow_id")
	if terr != nil {
		return nil, terr
	}
	outer, terr := o.text("outer_order_id")
	if terr != nil {
		return nil, terr
	}
	if flowID == "" && outer == "" {
		return nil, errMissing("flow_id", "flow_id or outer_order_id is required")
	}
	now, lag := s.cfg.Now(), s.flowLag()
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.led.detail(brand, flowID, outer, now, lag, s.cfg.FlowPick)
	if !ok {
		return flowDetailResult{ReadStatus: readStatus(CodeFlowNotFound)}, nil
	}
	w := s.led.wire(f)
	return flowDetailResult{ReadStatus: readStatus(CodeOK), Result: &w}, nil
}

func (s *Server) accountFlows(o object) (any, *topError) {
	q := flowQuery{now: s.cfg.Now(), lag: s.flowLag()}
	var terr *topError
	if q.brand, terr = o.first("brand_id", "out_brand_id"); terr != nil {
		return nil, terr
	}
	if q.brand == "" {
		return nil, errMissing("brand_id", "brand_id or out_brand_id is required")
	}
	if q.shop, terr = o.first("shop_id", "out_shop_id"); terr != nil {
		return nil, terr
	}
	if q.shop == "" {
		return nil, errMissing("shop_id", "shop_id or out_shop_id is required")
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"card_id", &q.card}, {"customer_id", &q.customer}, {"out_order_id", &q.outOrder}} {
		if *f.dst, terr = o.text(f.name); terr != nil {
			return nil, terr
		}
	}
	types, terr := o.text("flow_types")
	if terr != nil {
		return nil, terr
	}
	for _, t := range strings.Split(types, ",") {
		if t = strings.TrimSpace(t); t != "" {
			if q.types == nil {
				q.types = map[string]bool{}
			}
			q.types[t] = true
		}
	}
	pageNo, set, terr := o.int("page_no")
	switch {
	case terr != nil:
		return nil, terr
	case !set:
		return nil, errMissing("page_no", "page_no is required (pages count from 1)")
	case pageNo < 1 || pageNo > 1_000_000:
		return nil, errInvalid("page_no", "page_no must be 1 or more")
	}
	pageSize, set, terr := o.int("page_size")
	switch {
	case terr != nil:
		return nil, terr
	case !set:
		pageSize = DefaultPageSize
	case pageSize < 1 || pageSize > int64(s.cfg.MaxPageSize):
		return nil, errInvalid("page_size", fmt.Sprintf("page_size must be 1..%d", s.cfg.MaxPageSize))
	}
	q.pageNo, q.pageSize = int(pageNo), int(pageSize)
	var start, end time.Time
	if start, q.hasStart, terr = o.time("start_time"); terr != nil {
		return nil, terr
	}
	if end, q.hasEnd, terr = o.time("end_time"); terr != nil {
		return nil, terr
	}
	switch {
	case q.hasStart && q.hasEnd && end.Before(start):
		return nil, errInvalid("end_time", "end_time is before start_time")
	case s.cfg.MaxWindow > 0 && (!q.hasStart || !q.hasEnd):
		return nil, errMissing("start_time", fmt.Sprintf("start_time and end_time are required (a window of at most %s)", s.cfg.MaxWindow))
	case s.cfg.MaxWindow > 0 && end.Sub(start) > s.cfg.MaxWindow:
		return nil, errInvalid("end_time", fmt.Sprintf("the window from start_time to end_time is longer than %s", s.cfg.MaxWindow))
	}
	// both ends are inclusive to the second: [start, end+1s) on the applied time
	q.start, q.end = start, end.Add(time.Second)

	s.mu.Lock()
	defer s.mu.Unlock()
	led := s.led
	if q.card != "" {
		q.cardAcct, q.cardKnown = led.byCard(q.brand, q.card)
	}
	if q.customer != "" {
		q.custAcct, q.custKnown = led.byCustomer(q.brand, q.customer)
	}
	total, page := led.page(&q)
	res := flowPageResult{ReadStatus: readStatus(CodeOK), CurrentPage: q.pageNo, PageSize: q.pageSize, TotalSize: total,
		ResultList: make([]client.Flow, 0, len(page))}
	for _, f := range page {
		res.ResultList = append(res.ResultList, led.wire(f))
	}
	return res, nil
}

func (s *Server) customerGet(o object) (any, *topError) {
	get := func(name string) (string, *topError) { return o.text(name) }
	brand, terr := get("brand_id")
	if terr != nil {
		return nil, terr
	}
	if brand == "" {
		return nil, errMissing("brand_id", "brand_id is required")
	}
	shop, terr := get("shop_id")
	if terr != nil {
		return nil, terr
	}
	if shop == "" {
		return nil, errMissing("shop_id", "shop_id is required")
	}
	var id [5]string
	for i, n := range []string{"customer_id", "mobile", "outer_id", "outer_type", "physical_card_id"} {
		if id[i], terr = get(n); terr != nil {
			return nil, terr
		}
	}
	cust, mobile, outerID, outerType, card := id[0], id[1], id[2], id[3], id[4]
	if outerType != "" && outerType != "wechat" && outerType != "alipay" {
		return nil, errInvalid("outer_type", "outer_type must be wechat or alipay")
	}
	if cust == "" && mobile == "" && card == "" && (outerID == "" || outerType == "") {
		return nil, errMissing("customer_id", "a customer is required: customer_id, mobile, outer_id with outer_type, or physical_card_id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	led := s.led
	var n uint32
	found := false
	switch {
	case cust != "":
		n, found = led.byCustomer(brand, cust)
	case mobile != "":
		n, found = led.findAccount(acctKey{brand, 'm', mobile})
	case card != "":
		n, found = led.byCard(brand, card)
	default:
		n, found = led.findAccount(acctKey{brand, 'o', outerType + ":" + outerID})
	}
	if !found {
		return customerResult{ReadStatus: readStatus(CodeCustomerNotFound)}, nil
	}
	a, ids := led.accountView(n), led.idsOf(n)
	info := client.CustomerInfo{CustomerID: ids.customer, Mobile: a.mobile}
	if a.key.kind == 'o' {
		info.OuterID, info.OuterType = a.outerID, a.outerType
	}
	c := &client.Customer{
		Cards: []client.Card{{CardID: ids.card, CardTemplateID: "SANDBOX", CardType: "MEMBER", Status: "NORMAL",
			Accounts: []client.CardAccount{{AccountID: ids.account, Balance: a.available, Real: a.available,
				TotalReal: led.acct(n).charged}}}},
		Info: info,
	}
	return customerResult{ReadStatus: readStatus(CodeOK), Result: c}, nil
}

// Flows returns every flow of the ledger by flow_id, as the read APIs answer them, whatever the
// flow lag (tests and the reconciliation's "actual" side use it).
func (s *Server) Flows() []client.Flow {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]client.Flow, 0, s.led.flows.len())
	for p := range s.led.flows.len() {
		out = append(out, s.led.wire(s.led.flowAt(p)))
	}
	return out
}

// Apply runs one recharge.operate on the ledger directly, outside any run and without HTTP, flow
// control or faults: an operator's own change on the platform (a test plants a platform-side
// difference with it). It checks the request as /router/rest does and is idempotent by request_id
// in the same way; the error is the error_response the gateway would have answered.
func (s *Server) Apply(ctx context.Context, req client.RechargeRequest) (client.Result, error) {
	if te := validateBusiness(&req); te != nil {
		return client.Result{}, te
	}
	payload, err := req.Encode()
	if err != nil {
		return client.Result{}, err
	}
	ans, err := s.apply(ctx, &req, payload, s.newTrace())
	if err != nil {
		return client.Result{}, err
	}
	return ans.result, nil
}
