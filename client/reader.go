package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// Read defaults that flags reuse. TOP does not publish these limits; each default is a guess on the
// safe side, and a platform that refuses it says so with an isv.* error (a Final error, never a
// silent gap).
const (
	// DefaultFlowPageSize is the page_size asked of accountflows.get. Paging never trusts a short
	// page alone: it stops on total_size (see Reader.Flows), so a platform that silently caps
	// page_size lower costs pages, not flows.
	DefaultFlowPageSize = 50
	// DefaultFlowWindow is the longest start_time..end_time of one accountflows.get query; longer
	// ranges are split into consecutive windows.
	DefaultFlowWindow = 24 * time.Hour
	// DefaultBatchSize is how many flowdetail.get go in one /router/batch round trip.
	DefaultBatchSize = 20
	// DefaultFlowLag is how long after recharge.operate answers its flow may take to show in the read
	// APIs (read-after-write). A flow not found sooner than this after its send proves nothing.
	DefaultFlowLag = 2 * time.Minute
	// maxWindowRestarts bounds how often one window is paged again because its total_size changed.
	maxWindowRestarts = 3
)

// Result codes the sandbox answers for "no such flow" and "no such customer".
const (
	CodeFlowNotFound     = "FLOW_NOT_FOUND"
	CodeCustomerNotFound = "CUSTOMER_NOT_FOUND"
)

// DefaultNotFoundCodes are the result_codes of a biz_success=false read answer that mean "not
// found". TOP does not publish its codes: these are the sandbox's. On another platform a "not found"
// with another code is a *BizError (the row stays undecided), never taken for absence; add the real
// codes with Reader.NotFoundCodes once known. A biz_success=true answer without a result is always
// "not found".
var DefaultNotFoundCodes = []string{CodeFlowNotFound, CodeCustomerNotFound}

// Reader reads flows and balances with the retry policy of writes: transient and unknown outcomes
// are retried (reads change nothing) with backoff, flow control pauses at Gate, run-stopping and
// final errors return at once. Before (the run's rate limiter) is called once per API call sent,
// retries included, and once per sub-request of a batch: every sub-request counts against the quota.
//
// Set the exported fields before use; zero values take the defaults. A Reader is safe for
// concurrent use once configured.
type Reader struct {
	Client *Client
	Policy RetryPolicy // zero MaxAttempts → DefaultRetryPolicy()
	Gate   *Gate       // nil: a ban sleeps this call only
	Before func(ctx context.Context) error

	PageSize      int           // accountflows page_size; 0 → DefaultFlowPageSize
	Window        time.Duration // longest accountflows window; 0 → DefaultFlowWindow
	BatchSize     int           // flowdetail.get per batch; 0 → DefaultBatchSize; 1 → no batching
	NotFoundCodes []string      // nil → DefaultNotFoundCodes

	calls, trips atomic.Int64
}

// NewReader returns a Reader over c with the default policy and limits.
func NewReader(c *Client) *Reader { return &Reader{Client: c, Policy: DefaultRetryPolicy()} }

// Calls is how many API calls the Reader has sent, retries and each batch sub-request included:
// what counts against the app's quota.
func (r *Reader) Calls() int64 { return r.calls.Load() }

// RoundTrips is how many HTTP requests the Reader has sent (a batch is one).
func (r *Reader) RoundTrips() int64 { return r.trips.Load() }

func (r *Reader) policy() RetryPolicy {
	if r.Policy.MaxAttempts <= 0 {
		p := DefaultRetryPolicy()
		p.Sleep, p.Jitter = r.Policy.Sleep, r.Policy.Jitter
		return p
	}
	return r.Policy
}

func (r *Reader) pageSize() int {
	if r.PageSize > 0 {
		return r.PageSize
	}
	return DefaultFlowPageSize
}

func (r *Reader) window() time.Duration {
	if r.Window >= time.Second {
		return r.Window
	}
	return DefaultFlowWindow
}

func (r *Reader) batchSize() int {
	switch {
	case r.BatchSize <= 0:
		return DefaultBatchSize
	case r.BatchSize > MaxBatchCalls:
		return MaxBatchCalls
	}
	return r.BatchSize
}

func (r *Reader) notFound(code string) bool {
	codes := r.NotFoundCodes
	if codes == nil {
		codes = DefaultNotFoundCodes
	}
	return slices.Contains(codes, code)
}

// stopping reports whether err ends the caller's work, not just one read: a run-stopping error, a
// too-long ban, or the context's end.
func stopping(err error) bool {
	var ban *BanTooLongError
	if errors.As(err, &ban) {
		return true
	}
	c := Classify(err)
	return c == RunStopping || c == Canceled
}

// wait pays for n calls: the gate, then Before n times.
func (r *Reader) wait(ctx context.Context, n int) error {
	if r.Gate != nil {
		if _, err := r.Gate.Wait(ctx); err != nil {
			return err
		}
	}
	for i := 0; i < n && r.Before != nil; i++ {
		if err := r.Before(ctx); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// pause handles a flow-control answer: it accumulates the ban and waits it out (at the gate, or by
// sleeping), or returns *BanTooLongError.
func (r *Reader) pause(ctx context.Context, p RetryPolicy, err error, banned *time.Duration) error {
	wait := BanWait(err)
	*banned += wait
	if wait > p.MaxBanWait || *banned > p.MaxBanWait {
		return &BanTooLongError{Wait: max(wait, *banned), Max: p.MaxBanWait, Err: err}
	}
	if r.Gate != nil {
		r.Gate.Close(wait)
		return nil
	}
	return p.sleep(ctx, wait)
}

// do sends one request (n calls: a batch of n, or 1) until it gets an answer the caller can use, a
// final or run-stopping error, or attempts run out.
func (r *Reader) do(ctx context.Context, n int, send func(ctx context.Context) error) error {
	p := r.policy()
	tries := 0
	var banned time.Duration
	for {
		if err := r.wait(ctx, n); err != nil {
			return err
		}
		r.trips.Add(1)
		r.calls.Add(int64(n))
		err := send(ctx)
		switch Classify(err) {
		case OK:
			return nil
		case FlowControl:
			if perr := r.pause(ctx, p, err, &banned); perr != nil {
				return perr
			}
		case Transient, OutcomeUnknown:
			tries++
			if tries >= p.MaxAttempts {
				return fmt.Errorf("%d attempts: %w", tries, err)
			}
			if serr := p.sleep(ctx, p.Backoff(tries)); serr != nil {
				return serr
			}
		default: // Final, RunStopping, Canceled, IDUsed
			return err
		}
	}
}

func describeFlowReq(q FlowDetailRequest) string {
	brand := q.BrandID
	if brand == "" {
		brand = "out:" + q.OutBrandID
	}
	if q.FlowID != "" {
		return fmt.Sprintf("brand %s flow_id %s", brand, q.FlowID)
	}
	return fmt.Sprintf("brand %s outer_order_id %s", brand, q.OuterOrderID)
}

// interpretFlow turns a normal flowdetail.get answer into found (Flow set), not found (Flow nil,
// nil error) or a *BizError.
func (r *Reader) interpretFlow(resp *FlowDetailResponse) (*FlowDetailResponse, error) {
	switch {
	case resp.Status.BizSuccess:
		return resp, nil // with or without a flow
	case r.notFound(resp.Status.ResultCode):
		resp.Flow = nil
		return resp, nil
	}
	return nil, &BizError{Method: MethodFlowDetail, ResultCode: resp.Status.ResultCode, ResultDesc: resp.Status.ResultDesc, TraceID: resp.TraceID}
}

// FlowDetail asks flowdetail.get for one flow, retrying. Not found is a response with a nil Flow and
// a nil error. When several flows share an outer_order_id the platform returns one of them (which
// one is not published; the sandbox's --flow-pick): match the flow's type and sign to what you look
// for, and page accountflows.get with OutOrderID when they differ.
func (r *Reader) FlowDetail(ctx context.Context, req FlowDetailRequest) (*FlowDetailResponse, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	var resp *FlowDetailResponse
	err := r.do(ctx, 1, func(ctx context.Context) error {
		var e error
		resp, e = r.Client.FlowDetail(ctx, req)
		return e
	})
	if err != nil {
		return nil, fmt.Errorf("flowdetail.get %s: %w", describeFlowReq(req), err)
	}
	resp, err = r.interpretFlow(resp)
	if err != nil {
		return nil, fmt.Errorf("flowdetail.get %s: %w", describeFlowReq(req), err)
	}
	return resp, nil
}

// FlowDetails asks flowdetail.get for every request, BatchSize of them per /router/batch round trip,
// retrying. Results are in the order of reqs: Response (Flow nil = not found) or Err, a final error
// for that request alone (a *BizError, an isv.* *APIError, or attempts run out). The error is
// returned instead when the work must stop (run-stopping, a too-long ban, ctx) or a batch as a whole
// was refused; results before it are filled, the rest zero. With BatchSize 1 every request goes
// alone to /router/rest.
func (r *Reader) FlowDetails(ctx context.Context, reqs []FlowDetailRequest) ([]FlowDetailResult, error) {
	out := make([]FlowDetailResult, len(reqs))
	for i, q := range reqs {
		if err := q.Validate(); err != nil {
			return nil, fmt.Errorf("request %d: %w", i+1, err)
		}
	}
	size := r.batchSize()
	for start := 0; start < len(reqs); start += size {
		idx := make([]int, 0, size)
		for i := start; i < min(start+size, len(reqs)); i++ {
			idx = append(idx, i)
		}
		var err error
		if size == 1 {
			out[start].Response, err = r.FlowDetail(ctx, reqs[start])
			if err != nil && !stopping(err) {
				out[start].Err, err = err, nil
			}
		} else {
			err = r.flowDetailBatch(ctx, reqs, idx, out)
		}
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// flowDetailBatch reads reqs[idx…] in batches until each has an answer or a final error.
func (r *Reader) flowDetailBatch(ctx context.Context, reqs []FlowDetailRequest, pending []int, out []FlowDetailResult) error {
	p := r.policy()
	tries := 0
	var banned time.Duration
	for len(pending) > 0 {
		sub := make([]FlowDetailRequest, len(pending))
		for k, i := range pending {
			sub[k] = reqs[i]
		}
		var res []FlowDetailResult
		err := r.do(ctx, len(sub), func(ctx context.Context) error {
			var e error
			res, e = r.Client.FlowDetailBatch(ctx, sub)
			return e
		})
		if err != nil {
			return fmt.Errorf("batch of %d flowdetail.get: %w", len(sub), err)
		}
		var next []int
		var ban, last error
		for k, i := range pending {
			it := res[k]
			if it.Err == nil {
				out[i].Response, out[i].Err = r.interpretFlow(it.Response)
				if out[i].Err != nil {
					out[i].Err = fmt.Errorf("flowdetail.get %s: %w", describeFlowReq(reqs[i]), out[i].Err)
				}
				continue
			}
			switch Classify(it.Err) {
			case FlowControl:
				next = append(next, i)
				if ban == nil || BanWait(it.Err) > BanWait(ban) {
					ban = it.Err
				}
			case Transient, OutcomeUnknown:
				next, last = append(next, i), it.Err
			case RunStopping:
				return fmt.Errorf("flowdetail.get %s: %w", describeFlowReq(reqs[i]), it.Err)
			default:
				out[i].Err = fmt.Errorf("flowdetail.get %s: %w", describeFlowReq(reqs[i]), it.Err)
			}
		}
		pending = next
		switch {
		case len(pending) == 0:
		case ban != nil:
			if err := r.pause(ctx, p, ban, &banned); err != nil {
				return err
			}
		default:
			tries++
			if tries >= p.MaxAttempts {
				for _, i := range pending {
					out[i].Err = fmt.Errorf("flowdetail.get %s: %d attempts: %w", describeFlowReq(reqs[i]), tries, last)
				}
				return nil
			}
			if err := p.sleep(ctx, p.Backoff(tries)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Customer asks open.customer.get for a customer's cards and balances, retrying. Not found is a
// response with a nil Customer and a nil error.
func (r *Reader) Customer(ctx context.Context, req CustomerRequest) (*CustomerResponse, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	var resp *CustomerResponse
	err := r.do(ctx, 1, func(ctx context.Context) error {
		var e error
		resp, e = r.Client.CustomerGet(ctx, req)
		return e
	})
	if err != nil {
		return nil, fmt.Errorf("open.customer.get brand %s: %w", req.BrandID, err)
	}
	switch {
	case resp.Status.BizSuccess:
	case r.notFound(resp.Status.ResultCode):
		resp.Customer = nil
	default:
		return nil, fmt.Errorf("open.customer.get brand %s: %w", req.BrandID,
			&BizError{Method: MethodCustomerGet, ResultCode: resp.Status.ResultCode, ResultDesc: resp.Status.ResultDesc, TraceID: resp.TraceID})
	}
	return resp, nil
}

// FlowPage asks accountflows.get for one page, retrying. A biz_success=false answer is a *BizError.
func (r *Reader) FlowPage(ctx context.Context, req AccountFlowsRequest) (*FlowPage, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	var page *FlowPage
	err := r.do(ctx, 1, func(ctx context.Context) error {
		var e error
		page, e = r.Client.AccountFlows(ctx, req)
		return e
	})
	if err == nil && !page.Status.BizSuccess {
		err = &BizError{Method: MethodAccountFlows, ResultCode: page.Status.ResultCode, ResultDesc: page.Status.ResultDesc, TraceID: page.TraceID}
	}
	if err != nil {
		return nil, fmt.Errorf("accountflows.get shop %s%s %s..%s page %d: %w", req.ShopID, req.OutShopID, req.StartTime, req.EndTime, req.PageNo, err)
	}
	return page, nil
}

// FlowQuery selects flows for Reader.Flows: a brand and a shop (required by the API), optional
// filters, and a time range [Start, End], both inclusive to the second (GMT+8 on the wire).
type FlowQuery struct {
	BrandID, OutBrandID string
	ShopID, OutShopID   string
	CardID, CustomerID  string
	OutOrderID          string   // the outer_order_id filter (spelled out_order_id)
	FlowTypes           []string // nil: all
	Start, End          time.Time
}

// Window is a time range [Start, End], inclusive to the second.
type Window struct{ Start, End time.Time }

// SplitWindows cuts [start, end] (to the second) into consecutive windows of at most max each
// (max ≥ 1 s), so that no second is in two windows.
func SplitWindows(start, end time.Time, max time.Duration) ([]Window, error) {
	start, end = start.Truncate(time.Second), end.Truncate(time.Second)
	if end.Before(start) {
		return nil, fmt.Errorf("flow window: end %s is before start %s", FormatFlowTime(end), FormatFlowTime(start))
	}
	if max < time.Second {
		return nil, fmt.Errorf("flow window length %s: want at least 1s", max)
	}
	var out []Window
	for s := start; !s.After(end); {
		e := s.Add(max - time.Second)
		if e.After(end) {
			e = end
		}
		out = append(out, Window{s, e})
		s = e.Add(time.Second)
	}
	return out, nil
}

// FlowsStats counts the work of one Reader.Flows call.
type FlowsStats struct {
	Windows  int // windows queried
	Pages    int // pages received (restarts included)
	Restarts int // windows paged again because total_size changed underneath
	Flows    int // distinct flows passed to fn
}

// ErrWindowUnstable is returned (wrapped) when a window's total_size kept changing while it was paged:
// flows were still arriving or becoming visible in it. Query windows that end at least the
// visibility lag (DefaultFlowLag) before now.
var ErrWindowUnstable = errors.New("total_size changed while paging the window")

// Flows pages accountflows.get through q's time range, window by window (Window long at most) and
// page by page (PageSize), and calls fn once for every distinct flow, in the platform's order.
//
// Paging stops, per window, when the pages have delivered total_size flows, or on an empty page;
// only when the answer carries no total_size does a short page end it (a page shorter than the
// page_size answered, or asked). A window whose total_size changes between pages is paged again
// from page 1 (flows already passed to fn are not passed again), at most 3 times, then
// ErrWindowUnstable. A page that repeats the previous one (a platform ignoring page_no) is an error.
// An error from fn stops paging and is returned as is.
func (r *Reader) Flows(ctx context.Context, q FlowQuery, fn func(Flow) error) (FlowsStats, error) {
	var st FlowsStats
	ws, err := SplitWindows(q.Start, q.End, r.window())
	if err != nil {
		return st, err
	}
	for _, w := range ws {
		st.Windows++
		if err := r.windowFlows(ctx, q, w, fn, &st); err != nil {
			return st, err
		}
	}
	return st, nil
}

func (r *Reader) windowFlows(ctx context.Context, q FlowQuery, w Window, fn func(Flow) error, st *FlowsStats) error {
	req := AccountFlowsRequest{
		BrandID: q.BrandID, OutBrandID: q.OutBrandID, ShopID: q.ShopID, OutShopID: q.OutShopID,
		CardID: q.CardID, CustomerID: q.CustomerID, OutOrderID: q.OutOrderID, FlowTypes: strings.Join(q.FlowTypes, ","),
		StartTime: FormatFlowTime(w.Start), EndTime: FormatFlowTime(w.End), PageSize: r.pageSize(),
	}
	seen := map[string]struct{}{}
	for pass := 0; ; pass++ {
		total, served := -1, 0
		prevFirst := ""
		stable := true
		for page := 1; ; page++ {
			req.PageNo = page
			fp, err := r.FlowPage(ctx, req)
			if err != nil {
				return err
			}
			st.Pages++
			if total < 0 {
				total = fp.TotalSize
			} else if fp.TotalSize != total {
				stable = false
				break
			}
			if len(fp.Flows) == 0 {
				break
			}
			if page > 1 && fp.Flows[0].FlowID == prevFirst {
				return fmt.Errorf("accountflows.get %s..%s: page %d repeats page %d (the platform ignored page_no)", req.StartTime, req.EndTime, page, page-1)
			}
			prevFirst = fp.Flows[0].FlowID
			for _, f := range fp.Flows {
				if _, dup := seen[f.FlowID]; dup {
					continue
				}
				seen[f.FlowID] = struct{}{}
				st.Flows++
				if err := fn(f); err != nil {
					return err
				}
			}
			served += len(fp.Flows)
			if total > 0 {
				if served >= total {
					break
				}
				continue
			}
			size := fp.PageSize
			if size <= 0 {
				size = req.PageSize
			}
			if len(fp.Flows) < size {
				break
			}
		}
		if stable {
			return nil
		}
		if pass >= maxWindowRestarts {
			return fmt.Errorf("accountflows.get shop %s%s %s..%s: %w (%d passes)", req.ShopID, req.OutShopID, req.StartTime, req.EndTime, ErrWindowUnstable, pass+1)
		}
		st.Restarts++
	}
}
