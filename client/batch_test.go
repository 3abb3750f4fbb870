package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestSignBodyVectors: with an empty body SignBody is Sign for every shared vector; with a body, the
// body is appended to the string to sign (recomputed independently).
func TestSignBodyVectors(t *testing.T) {
	var v signingVectors
	if err := json.Unmarshal(sharedVectors(t, "signing.json"), &v); err != nil {
		t.Fatal(err)
	}
	const body = "#PUBLIC#method=x\r\n-S-\r\nparam=%7B%7D"
	for i, c := range v.Cases {
		got, err := SignBody(c.Params, "", c.Secret, c.SignMethod)
		if err != nil || got != c.Sign {
			t.Errorf("case %d: SignBody with no body = %s, %v; want %s", i, got, err, c.Sign)
		}
		withBody, _ := SignBody(c.Params, body, c.Secret, c.SignMethod)
		want := signOf(c.StringToSign+body, c.Secret, c.SignMethod)
		if withBody != want {
			t.Errorf("case %d: SignBody = %s; want %s", i, withBody, want)
		}
	}
}

// signOf hashes an already built string to sign, written from the rule, not from digest.
func signOf(s, secret, method string) string {
	form := url.Values{"": {s}} // independentSign concatenates key+value: "" + s
	return independentSign(form, secret, method)
}

// TestBatchURL: /router/batch sits beside /router/rest; a gateway path that is not …/rest is refused.
func TestBatchURL(t *testing.T) {
	for _, tc := range []struct{ gw, want string }{
		{"https://eco.taobao.com/router/rest", "https://eco.taobao.com/router/batch"},
		{"http://127.0.0.1:8795/router/rest/", "http://127.0.0.1:8795/router/batch"},
		{"http://127.0.0.1:8795/top", ""},
	} {
		c, err := New(WithGateway(tc.gw), WithAppKey("k"), WithSecret("s"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.BatchURL()
		if (tc.want == "") != (err != nil) || got != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.gw, got, err, tc.want)
		}
	}
}

// batchServer answers /router/batch with answer(body parts) and records what it received.
func batchServer(t *testing.T, answer func(query url.Values, parts []string) string) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != BatchPath {
			http.NotFound(w, r)
			return
		}
		b, _ := io.ReadAll(r.Body)
		fmt.Fprint(w, answer(r.URL.Query(), strings.Split(string(b), BatchSeparator)))
	}))
	t.Cleanup(srv.Close)
	return newTestClient(t, srv.URL+"/router/rest")
}

const fdOK = `{"alibaba_alsc_crm_recharge_account_flowdetail_get_response":{"result":{"biz_success":true,"result_code":"0","result":{"flow_id":123,"flow_type":"RECHARGE","order_value":100,"current_value":100,"order_time":"2026-11-26 20:30:00","outer_order_id":"O1"}},"request_id":"t1"}}`

// TestBatchWire: the request carries the system params and sign in the URL, the shared method in
// #PUBLIC#, and the sign covers the body; the answers split back in order.
func TestBatchWire(t *testing.T) {
	var got url.Values
	var parts []string
	c := batchServer(t, func(q url.Values, p []string) string {
		got, parts = q, p
		return strings.Join([]string{fdOK, `{"error_response":{"code":15,"sub_code":"isp.remote-service-error"}}`}, BatchSeparator)
	})
	res, err := c.FlowDetailBatch(context.Background(), []FlowDetailRequest{{BrandID: "B", OuterOrderID: "O1"}, {BrandID: "B", FlowID: "9"}})
	if err != nil {
		t.Fatal(err)
	}
	wantPart := url.Values{ParamFlowDetail: {`{"brand_id":"B","outer_order_id":"O1"}`}}.Encode()
	if len(parts) != 3 || parts[0] != BatchPublicPrefix+"method="+url.QueryEscape(MethodFlowDetail) || parts[1] != wantPart {
		t.Errorf("body parts %q", parts)
	}
	if got.Get("method") != "" || got.Get("app_key") != "12345678" || got.Get("sign") == "" {
		t.Errorf("URL params %v; want the system params without method", got)
	}
	p := map[string]string{}
	for k := range got {
		p[k] = got.Get(k)
	}
	if want := signOf(StringToSign(p)+strings.Join(parts, BatchSeparator), testSecret, got.Get("sign_method")); got.Get("sign") != want {
		t.Errorf("sign %s; want %s (URL params with the body appended)", got.Get("sign"), want)
	}
	if res[0].Err != nil || res[0].Response.Flow == nil || res[0].Response.Flow.FlowID != "123" || res[0].Response.Flow.OrderValue != 100 {
		t.Errorf("part 1: %+v; want the flow (numeric flow_id read as text)", res[0])
	}
	if Classify(res[1].Err) != Transient {
		t.Errorf("part 2: %v; want its transient error", res[1].Err)
	}
}

// TestBatchWholeRefusal: one error_response for the whole batch is the batch's error; another part
// count is a *ResponseError.
func TestBatchWholeRefusal(t *testing.T) {
	reqs := []FlowDetailRequest{{BrandID: "B", OuterOrderID: "1"}, {BrandID: "B", OuterOrderID: "2"}}
	for _, tc := range []struct {
		name, answer string
		check        func(error) bool
	}{
		{"refused", `{"error_response":{"code":25,"msg":"Invalid signature","sub_code":"isv.invalid-signature"}}`,
			func(err error) bool { return Classify(err) == RunStopping }},
		{"three parts for two", strings.Join([]string{fdOK, fdOK, fdOK}, BatchSeparator),
			func(err error) bool {
				var re *ResponseError
				return errors.As(err, &re) && strings.Contains(re.Reason, "3 parts for 2")
			}},
		{"html", `<html>bad gateway</html>`,
			func(err error) bool { var re *ResponseError; return errors.As(err, &re) }},
	} {
		c := batchServer(t, func(url.Values, []string) string { return tc.answer })
		_, err := c.FlowDetailBatch(context.Background(), reqs)
		if !tc.check(err) {
			t.Errorf("%s: got %v", tc.name, err)
		}
	}
	c := batchServer(t, func(url.Values, []string) string { return "" })
	many := make([]ReadCall, MaxBatchCalls+1)
	for i := range many {
		many[i] = reqs[0]
	}
	if _, err := c.Batch(context.Background(), many); err == nil {
		t.Errorf("%d calls: got nil error", len(many))
	}
}

// pagesServer answers accountflows.get from page(n) and counts the calls.
func pagesServer(t *testing.T, page func(n int) string) (*Reader, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		var q AccountFlowsRequest
		json.Unmarshal([]byte(r.PostForm.Get(ParamAccountFlows)), &q)
		calls.Add(1)
		fmt.Fprint(w, page(q.PageNo))
	}))
	t.Cleanup(srv.Close)
	r := NewReader(newTestClient(t, srv.URL+"/router/rest"))
	r.Policy.Sleep = func(ctx context.Context, d time.Duration) error { return nil }
	return r, &calls
}

// flowsPage is an accountflows answer with total and the flows of ids.
func flowsPage(total, size int, ids ...int) string {
	var fs []string
	for _, id := range ids {
		fs = append(fs, fmt.Sprintf(`{"flow_id":"%d","flow_type":"RECHARGE","order_value":1,"current_value":%d,"order_time":"2026-11-26 20:30:00"}`, id, id))
	}
	tot := ""
	if total >= 0 {
		tot = fmt.Sprintf(`,"total_size":%d`, total)
	}
	return fmt.Sprintf(`{"alibaba_alsc_crm_recharge_accountflows_get_response":{"result":{"biz_success":true,"page_size":%d%s,"result_list":[%s]},"request_id":"t"}}`,
		size, tot, strings.Join(fs, ","))
}

// TestFlowsStopRules: paging stops on total_size, not on a short page; without total_size on a
// short page; a repeated page and a total that keeps changing are errors; a total that changes once
// pages the window again without passing a flow twice.
func TestFlowsStopRules(t *testing.T) {
	day := time.Date(2026, 11, 26, 0, 0, 0, 0, TimestampZone)
	q := FlowQuery{BrandID: "B", ShopID: "S", Start: day, End: day.Add(time.Hour)}
	cases := []struct {
		name  string
		page  func(n int) string
		flows int
		calls int32
		err   string
	}{
		// the platform caps page_size at 2 though 50 was asked: total_size says go on
		{"capped page size", func(n int) string {
			return map[int]string{1: flowsPage(5, 2, 1, 2), 2: flowsPage(5, 2, 3, 4), 3: flowsPage(5, 2, 5)}[n]
		}, 5, 3, ""},
		// no total_size: a page shorter than its page_size ends it
		{"no total", func(n int) string {
			return map[int]string{1: flowsPage(-1, 2, 1, 2), 2: flowsPage(-1, 2, 3)}[n]
		}, 3, 2, ""},
		// an empty page ends it whatever total_size says
		{"empty page", func(n int) string {
			return map[int]string{1: flowsPage(9, 2, 1, 2), 2: flowsPage(9, 2)}[n]
		}, 2, 2, ""},
		// page_no ignored: the same page again
		{"page_no ignored", func(n int) string { return flowsPage(9, 2, 1, 2) }, 2, 2, "repeats page 1"},
		// the total grows under the pager once: paged again from page 1, flows not passed twice
		{"total changes once", func() func(n int) string {
			seen := 0
			return func(n int) string {
				seen++
				if seen == 1 {
					return flowsPage(3, 2, 1, 2)
				}
				if seen == 2 {
					return flowsPage(4, 2, 3, 4)
				}
				return map[int]string{1: flowsPage(4, 2, 1, 2), 2: flowsPage(4, 2, 3, 4)}[n]
			}
		}(), 4, 4, ""},
		// the total never settles
		{"unstable", func() func(n int) string {
			seen := 0
			return func(n int) string { seen++; return flowsPage(seen+5, 1, seen) }
		}(), -1, -1, ErrWindowUnstable.Error()},
	}
	for _, tc := range cases {
		r, calls := pagesServer(t, tc.page)
		n := 0
		_, err := r.Flows(context.Background(), q, func(Flow) error { n++; return nil })
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: got %v; want an error about %q", tc.name, err, tc.err)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case n != tc.flows || calls.Load() != tc.calls:
			t.Errorf("%s: %d flows in %d calls; want %d in %d", tc.name, n, calls.Load(), tc.flows, tc.calls)
		}
	}
}

// TestSplitWindows: consecutive windows of at most max, no second in two, the last one short.
func TestSplitWindows(t *testing.T) {
	s := time.Date(2026, 11, 26, 0, 0, 0, 0, TimestampZone)
	ws, err := SplitWindows(s, s.Add(150*time.Minute), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"00:00:00-00:59:59", "01:00:00-01:59:59", "02:00:00-02:30:00"}
	if len(ws) != len(want) {
		t.Fatalf("got %d windows; want %d", len(ws), len(want))
	}
	for i, w := range ws {
		if got := w.Start.Format("15:04:05") + "-" + w.End.Format("15:04:05"); got != want[i] {
			t.Errorf("window %d: %s; want %s", i, got, want[i])
		}
	}
	if _, err := SplitWindows(s, s.Add(-time.Second), time.Hour); err == nil {
		t.Error("end before start: got nil error")
	}
	if ws, _ := SplitWindows(s, s, time.Hour); len(ws) != 1 {
		t.Errorf("a one-second range: %d windows; want 1", len(ws))
	}
}

// TestFlowDecodeStrict: ids may be numbers, amounts must be integers (a fraction is refused, never
// rounded), and Check finds broken arithmetic.
func TestFlowDecodeStrict(t *testing.T) {
	var f Flow
	if err := json.Unmarshal([]byte(`{"flow_id":1,"order_value":"-300","current_value":0,"before_property_list":[{"type":"TOTAL","value":300}],"affected_property_list":[{"type":"TOTAL","value":-300}],"after_property_list":[{"type":"TOTAL","value":0}]}`), &f); err != nil {
		t.Fatal(err)
	}
	if f.FlowID != "1" || f.OrderValue != -300 || f.Check() != nil {
		t.Errorf("got %+v (%v)", f, f.Check())
	}
	if err := json.Unmarshal([]byte(`{"flow_id":"1","order_value":1.5}`), &f); err == nil {
		t.Error("order_value 1.5: got nil error")
	}
	f.AfterPropertyList[0].Value = 1
	if f.Check() == nil {
		t.Error("before + affected ≠ after: Check passed")
	}
}
