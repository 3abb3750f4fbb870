package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"svbatch"
	"svbatch/batch"
	"svbatch/client"
)

type callOptions struct {
	conn            connFlags
	brandID         string
	shopID          string
	operatorID      string
	outerOrderID    string
	operateType     string
	changeValue     string
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
	f.StringVar(&o.changeValue, "change-value", "", "amount in fen (minor units), a whole number > 0 (required)")
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

// build checks the flags by the row rules validate applies to a file (batch.CheckRow) and returns
// the request; a usage error names each flag that is wrong.
func (o *callOptions) build() (client.RechargeRequest, error) {
	if o.maxAttempts < 1 {
		return client.RechargeRequest{}, usageErr("--max-attempts must be at least 1")
	}
	values := map[string]string{
		batch.ColBrandID: o.brandID, batch.ColShopID: o.shopID, batch.ColOperatorID: o.operatorID,
		batch.ColOuterOrderID: o.outerOrderID, batch.ColNewOuterOrderID: o.newOuterOrderID,
		batch.ColOperateType: o.operateType, batch.ColChangeValue: o.changeValue,
		batch.ColCustomerID: o.customerID, batch.ColMobile: o.mobile, batch.ColOuterID: o.outerID,
		batch.ColOuterType: o.outerType, batch.ColReason: o.reason, batch.ColRequestID: o.requestID,
	}
	row, problems, err := batch.CheckRow(values, batch.Options{IDNamespace: o.idNamespace})
	if err != nil {
		return client.RechargeRequest{}, usageErr("%v", err)
	}
	if len(problems) > 0 {
		msgs := make([]string, len(problems))
		for i, p := range problems {
			msgs[i] = p.Message
			if p.Column != "" {
				flag := "--" + strings.ReplaceAll(p.Column, "_", "-")
				if p.Value != "" {
					msgs[i] = fmt.Sprintf("%s %s: %s", flag, p.Value, p.Message)
				} else {
					msgs[i] = flag + ": " + p.Message
				}
			}
		}
		return client.RechargeRequest{}, usageErr("%s", strings.Join(msgs, "; "))
	}
	return row.Req, nil
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
		return withCode(exitFailed, errors.New(client.Describe(out.Err)))
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
