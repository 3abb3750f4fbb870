package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
)

// Batch protocol (DESIGN.md §2, TOP's SDKs).
const (
	// BatchSeparator joins the parts of a /router/batch body and of its answer.
	BatchSeparator = "\r\n-S-\r\n"
	// BatchPublicPrefix opens the optional first part of shared params.
	BatchPublicPrefix = "#PUBLIC#"
	// BatchEmptyPart stands for an empty sub-request.
	BatchEmptyPart = "N"
	// BatchSeparatorHeader names another separator, in the request and its answer.
	BatchSeparatorHeader = "top-api-separator"
	// BatchPath is the batch endpoint, beside /router/rest.
	BatchPath = "/router/batch"
)

// MaxBatchCalls bounds one Batch call on the client side. The platform's own limit is not published:
// Reader.BatchSize (DefaultBatchSize) is what svbatch sends.
const MaxBatchCalls = 50

// StringToSignWithBody is StringToSign(params) with body appended: what a /router/batch request signs.
func StringToSignWithBody(params map[string]string, body string) string {
	return StringToSign(params) + body
}

// SignBody signs a /router/batch request: TOP's sign over the URL params with the whole body
// appended before hashing. With an empty body it equals Sign.
func SignBody(params map[string]string, body, secret, method string) (string, error) {
	return digest(StringToSignWithBody(params, body), secret, method)
}

// BatchURL is the /router/batch URL beside the client's gateway (…/router/rest → …/router/batch).
func (c *Client) BatchURL() (string, error) {
	u, err := url.Parse(c.gateway)
	if err != nil {
		return "", fmt.Errorf("gateway %q: %w", c.gateway, err)
	}
	p := strings.TrimSuffix(u.Path, "/")
	if !strings.HasSuffix(p, "/rest") {
		return "", fmt.Errorf("gateway %s: its path does not end in /router/rest, so the batch endpoint is unknown", c.gateway)
	}
	u.Path = strings.TrimSuffix(p, "/rest") + "/batch"
	u.RawQuery = ""
	return u.String(), nil
}

// BatchPart is the answer to one sub-request of a batch: Body is its JSON document when it is a
// normal answer, Err its error otherwise (an *APIError for its error_response), for Classify.
type BatchPart struct {
	Body []byte
	Err  error
}

// BatchParams returns the signed URL params and the body of a /router/batch request for calls, as
// Batch sends them. When every call has the same method it goes once, in the #PUBLIC# part.
func (c *Client) BatchParams(calls []ReadCall) (map[string]string, string, error) {
	if len(calls) == 0 {
		return nil, "", fmt.Errorf("batch: no calls")
	}
	if len(calls) > MaxBatchCalls {
		return nil, "", fmt.Errorf("batch: %d calls, at most %d in one batch", len(calls), MaxBatchCalls)
	}
	methods := make([]string, len(calls))
	parts := make([]map[string]string, len(calls))
	shared := true
	for i, call := range calls {
		m, p, err := readParams(call)
		if err != nil {
			return nil, "", fmt.Errorf("batch call %d: %w", i+1, err)
		}
		methods[i], parts[i] = m, p
		shared = shared && m == methods[0]
	}
	var body strings.Builder
	if shared {
		body.WriteString(BatchPublicPrefix + url.Values{"method": {methods[0]}}.Encode() + BatchSeparator)
	}
	for i, p := range parts {
		if i > 0 {
			body.WriteString(BatchSeparator)
		}
		v := url.Values{}
		for k, x := range p {
			v.Set(k, x)
		}
		if !shared {
			v.Set("method", methods[i])
		}
		body.WriteString(v.Encode())
	}
	p := map[string]string{
		"app_key":     c.appKey,
		"timestamp":   c.now().In(TimestampZone).Format(TimestampLayout),
		"format":      "json",
		"v":           "2.0",
		"sign_method": c.signMethod,
	}
	if c.session != "" {
		p["session"] = c.session
	}
	if c.partnerID != "" {
		p["partner_id"] = c.partnerID
	}
	if c.simplify {
		p["simplify"] = "true"
	}
	sign, err := SignBody(p, body.String(), c.secret, c.signMethod)
	if err != nil {
		return nil, "", err
	}
	p["sign"] = sign
	return p, body.String(), nil
}

// Batch sends read calls in one /router/batch round trip, once (no retries; Reader retries). It
// returns one part per call, in order. An error (rather than parts) means the batch as a whole got
// no answer or was refused as a whole: an *APIError (signature, app key, timestamp, too many
// calls…), a *TransportError or a *ResponseError, including an answer whose part count differs
// from the call count. Writes cannot be batched: only read requests are ReadCalls.
func (c *Client) Batch(ctx context.Context, calls []ReadCall) ([]BatchPart, error) {
	target, err := c.BatchURL()
	if err != nil {
		return nil, err
	}
	p, body, err := c.BatchParams(calls)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	for k, v := range p {
		q.Set(k, v)
	}
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				wrote.Store(true)
			}
		},
	})
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, target+"?"+q.Encode(), strings.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build batch request: %w", err)
	}
	hreq.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	hreq.Header.Set("Accept", "application/json")
	hres, err := c.hc.Do(hreq)
	if err != nil {
		return nil, transportError(wrote.Load(), err)
	}
	defer hres.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(hres.Body, maxBody+1))
	if err != nil {
		return nil, transportError(true, fmt.Errorf("reading batch response: %w", err))
	}
	if len(raw) > maxBody {
		return nil, &ResponseError{HTTPStatus: hres.StatusCode, Reason: "response larger than 1 MiB"}
	}
	sep := hres.Header.Get(BatchSeparatorHeader)
	if sep == "" {
		sep = BatchSeparator
	}
	return splitBatch(hres.StatusCode, raw, sep, len(calls))
}

// splitBatch cuts a batch answer into n parts. One error_response instead of n parts is the
// refusal of the whole batch; any other count is a *ResponseError.
func splitBatch(status int, raw []byte, sep string, n int) ([]BatchPart, error) {
	trimmed := bytes.TrimSpace(raw)
	chunks := strings.Split(string(trimmed), sep)
	if len(chunks) != n {
		if len(chunks) == 1 {
			if err := checkReadBody(status, trimmed); err != nil {
				return nil, err // the whole batch refused, or not a TOP answer at all
			}
		}
		return nil, &ResponseError{HTTPStatus: status, Reason: fmt.Sprintf("batch answered %d parts for %d calls", len(chunks), n), Snippet: snippet(trimmed)}
	}
	parts := make([]BatchPart, n)
	for i, ch := range chunks {
		b := []byte(strings.TrimSpace(ch))
		if err := checkReadBody(status, b); err != nil {
			parts[i].Err = err
			continue
		}
		parts[i].Body = b
	}
	return parts, nil
}

// FlowDetailResult is one flowdetail.get answer of a batch: Response, or Err for Classify.
type FlowDetailResult struct {
	Response *FlowDetailResponse
	Err      error
}

// FlowDetailBatch sends several flowdetail.get in one /router/batch round trip, once (Reader
// retries). Results are in the order of reqs; the error is the batch's own (see Batch).
func (c *Client) FlowDetailBatch(ctx context.Context, reqs []FlowDetailRequest) ([]FlowDetailResult, error) {
	calls := make([]ReadCall, len(reqs))
	for i, r := range reqs {
		calls[i] = r
	}
	parts, err := c.Batch(ctx, calls)
	if err != nil {
		return nil, err
	}
	out := make([]FlowDetailResult, len(parts))
	for i, p := range parts {
		if p.Err != nil {
			out[i].Err = p.Err
			continue
		}
		out[i].Response, out[i].Err = decodeFlowDetail(200, p.Body)
	}
	return out, nil
}

// DecodeFlowPage decodes a part of a batch of accountflows.get calls.
func DecodeFlowPage(body []byte) (*FlowPage, error) { return decodeFlowPage(200, body) }

// DecodeCustomer decodes a part of a batch of open.customer.get calls.
func DecodeCustomer(body []byte) (*CustomerResponse, error) { return decodeCustomer(200, body) }

// DecodeFlowDetail decodes a part of a batch of flowdetail.get calls.
func DecodeFlowDetail(body []byte) (*FlowDetailResponse, error) { return decodeFlowDetail(200, body) }
