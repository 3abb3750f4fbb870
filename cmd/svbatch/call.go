package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"svbatch"
	"svbatch/client"
)

type callOptions struct {
	conn            connFlags
	brandID         string
	shopID          string
	operatorID      string
	outerOrderID    string
	operateType     string
	changeValue     int64
	customerID      string
	mobile          string
	outerID         string
	outerType       string
	reason          string
	newOuterOrderID string
	requestID       string
	idNamespace     string
	maxAttempts     int
}

func newCallCmd(io *cmdIO) *cobra.Command {
	var o callOptions
	cmd := &cobra.Command{
		Use:   "call",
		Short: "Send one operation from flags (to fix a single row by hand)",
		Long: `call sends one recharge.operate request built from flags, retries it per the retry policy (always with
the same request_id), and prints one JSON object:
  {"status":"succeeded|failed|unknown","request_id":…,"attempts":N,"trace_id":…,"result":{…},"error":{…}}
The request_id is derived from the identity (brand, operation, outer order ids, --id-namespace) exactly as
'svbatch run' derives it, so calling again never moves money twice. The secret comes from
SVBATCH_APP_SECRET or --app-secret-file, never from a flag value.
Exit codes: 0 succeeded, 1 failed or unknown, 2 bad usage (nothing sent).`,
		Example: `  SVBATCH_APP_SECRET=sandbox-secret svbatch call --gateway http://127.0.0.1:8795/router/rest --app-key sandbox \
    --brand-id 1332 --shop-id S1 --operator-id op1 --outer-order-id A-1 --operate-type charge \
    --change-value 1000 --customer-id C1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runCall(cmd.Context(), io, &o) },
	}
	f := cmd.Flags()
	o.conn.addFlags(f)
	f.StringVar(&o.brandID, "brand-id", "", "brand_id (required)")
	f.StringVar(&o.shopID, "shop-id", "", "shop_id (required)")
	f.StringVar(&o.operatorID, "operator-id", "", "operator_id (required)")
	f.StringVar(&o.outerOrderID, "outer-order-id", "", "outer_order_id (required; for refunds: the charge being refunded)")
	f.StringVar(&o.operateType, "operate-type", "", "charge|freeze|verify|refund or 1-4 (required)")
	f.Int64Var(&o.changeValue, "change-value", 0, "amount in fen (minor units), > 0 (required)")
	f.StringVar(&o.customerID, "customer-id", "", "customer_id (one customer identity is required)")
	f.StringVar(&o.mobile, "mobile", "", "mobile")
	f.StringVar(&o.outerID, "outer-id", "", "outer_id, with --outer-type")
	f.StringVar(&o.outerType, "outer-type", "", "wechat|alipay, with --outer-id")
	f.StringVar(&o.reason, "reason", "", "reason (free text)")
	f.StringVar(&o.newOuterOrderID, "new-outer-order-id", "", "new_outer_order_id (required for refund: the refund's own id)")
	f.StringVar(&o.requestID, "request-id", "", "request_id to use instead of the derived one")
	f.StringVar(&o.idNamespace, "id-namespace", "", "namespace mixed into the derived request_id")
	f.IntVar(&o.maxAttempts, "max-attempts", client.DefaultMaxAttempts, "sends before giving up on transient errors")
	return cmd
}

// build checks the flags and returns the request (usage errors name the flag).
func (o *callOptions) build() (client.RechargeRequest, error) {
	var req client.RechargeRequest
	for _, f := range []struct{ name, v string }{
		{"--brand-id", o.brandID}, {"--shop-id", o.shopID}, {"--operator-id", o.operatorID},
		{"--outer-order-id", o.outerOrderID}, {"--operate-type", o.operateType},
	} {
		if strings.TrimSpace(f.v) == "" {
			return req, usageErr("%s is required", f.name)
		}
	}
	op, err := svbatch.ParseOperateType(o.operateType)
	if err != nil {
		return req, usageErr("--operate-type: %v", err)
	}
	if o.changeValue <= 0 || o.changeValue > svbatch.MaxChangeValue {
		return req, usageErr("--change-value must be a whole number of fen from 1 to %d, got %d", svbatch.MaxChangeValue, o.changeValue)
	}
	switch {
	case o.outerID != "" && o.outerType == "":
		return req, usageErr("--outer-id needs --outer-type wechat|alipay")
	case o.outerType != "" && o.outerType != "wechat" && o.outerType != "alipay":
		return req, usageErr("--outer-type %q: want wechat or alipay", o.outerType)
	case o.outerType != "" && o.outerID == "":
		return req, usageErr("--outer-type needs --outer-id")
	case o.customerID == "" && o.mobile == "" && o.outerID == "":
		return req, usageErr("a customer is required: --customer-id, --mobile, or --outer-id with --outer-type")
	case op == svbatch.Refund && o.newOuterOrderID == "":
		return req, usageErr("--new-outer-order-id is required for a refund (the refund's own order id)")
	case o.maxAttempts < 1:
		return req, usageErr("--max-attempts must be at least 1")
	}
	req = client.RechargeRequest{
		BrandID: strings.TrimSpace(o.brandID), ShopID: strings.TrimSpace(o.shopID), OperatorID: strings.TrimSpace(o.operatorID),
		OuterOrderID: strings.TrimSpace(o.outerOrderID), OperateType: op, ChangeValue: o.changeValue,
		CustomerID: o.customerID, Mobile: o.mobile, OuterID: o.outerID, OuterType: o.outerType, Reason: o.reason,
		NewOuterOrderID: strings.TrimSpace(o.newOuterOrderID), RequestID: o.requestID,
	}
	if req.RequestID == "" {
		req.RequestID = svbatch.RequestIDv1(o.idNamespace, req.BrandID, int(op), req.OuterOrderID, req.NewOuterOrderID)
	}
	return req, nil
}

// callOutput is the JSON object call prints.
type callOutput struct {
	Status    svbatch.Status `json:"status"`
	RequestID string         `json:"request_id"`
	Attempts  int            `json:"attempts"`
	TraceID   string         `json:"trace_id,omitempty"`
	Result    *client.Result `json:"result,omitempty"`
	Error     *callError     `json:"error,omitempty"`
}

type callError struct {
	Code    int    `json:"code,omitempty"`
	Msg     string `json:"msg,omitempty"`
	SubCode string `json:"sub_code,omitempty"`
	SubMsg  string `json:"sub_msg,omitempty"`
}

func runCall(ctx context.Context, io *cmdIO, o *callOptions) error {
	req, err := o.build()
	if err != nil {
		return err
	}
	secret, err := o.conn.resolve(io.getenv)
	if err != nil {
		return err
	}
	cl, err := o.conn.newClient(secret)
	if err != nil {
		return err
	}
	policy := client.DefaultRetryPolicy()
	policy.MaxAttempts = o.maxAttempts
	r := &client.Retrier{Policy: policy, Gate: &client.Gate{}}
	out := r.Run(ctx, func(ctx context.Context) (*client.Response, error) { return cl.Do(ctx, req) })

	res := callOutput{Status: out.Status, RequestID: req.RequestID, Attempts: out.Attempts}
	if res.Status == svbatch.Pending { // certainly not applied: refused before the ledger, or never sent
		res.Status = svbatch.Failed
	}
	if out.Response != nil {
		res.TraceID = out.Response.TraceID
		r := out.Response.Result
		res.Result = &r
	}
	if out.Err != nil {
		res.Error = errorJSON(out.Err)
		var api *client.APIError
		if errors.As(out.Err, &api) && res.TraceID == "" {
			res.TraceID = api.TraceID
		}
	}
	enc := json.NewEncoder(io.stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(res); err != nil {
		return err
	}
	if out.Stop != nil && out.Err == nil {
		// interrupted or a ban too long: say so on stderr, the JSON says unknown/pending
		return withCode(exitFailed, out.Stop)
	}
	if out.Stop != nil {
		return withCode(exitFailed, errors.New(describeStop(out.Err)))
	}
	if res.Status != svbatch.Succeeded {
		return withCode(exitFailed, nil)
	}
	return nil
}

// errorJSON describes an error for the JSON output: a TOP error's fields, or a message.
func errorJSON(err error) *callError {
	var api *client.APIError
	if errors.As(err, &api) {
		return &callError{Code: api.Code, Msg: api.Msg, SubCode: api.SubCode, SubMsg: api.SubMsg}
	}
	return &callError{Msg: err.Error()}
}
