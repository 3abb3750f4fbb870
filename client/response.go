package client

// ResponseKey is the wrapper key of recharge.operate's normal response (absent with simplify=true).
const ResponseKey = "alibaba_alsc_crm_open_recharge_operate_response"

// Result is the business result of recharge.operate. A row succeeded only when BizSuccess and
// Result are both true; otherwise it is a business rejection, ResultCode/ResultDesc saying why.
type Result struct {
	BizSuccess bool   `json:"biz_success"`
	Result     bool   `json:"result"`
	ResultCode string `json:"result_code,omitempty"`
	ResultDesc string `json:"result_desc,omitempty"`
	ResultView string `json:"result_view,omitempty"`
}

// OK reports whether the operation took effect.
func (r Result) OK() bool { return r.BizSuccess && r.Result }

// Body is the body of a normal response (the wrapper's content, or the whole body with simplify).
// RequestID is the gateway's trace id, not svbatch's idempotency request_id.
type Body struct {
	Result    Result `json:"result"`
	RequestID string `json:"request_id,omitempty"`
}

// ErrorBody is the content of an error_response.
type ErrorBody struct {
	Code      int    `json:"code"`
	Msg       string `json:"msg,omitempty"`
	SubCode   string `json:"sub_code,omitempty"`
	SubMsg    string `json:"sub_msg,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// ErrorEnvelope is TOP's error shape: {"error_response":{…}}, with or without simplify.
type ErrorEnvelope struct {
	ErrorResponse *ErrorBody `json:"error_response,omitempty"`
}
