package client

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"svbatch"
)

const testSecret = "t0p-s3cret-never-print"

// independentSign recomputes a TOP signature from the rule in signing.json, without the package's code.
func independentSign(form url.Values, secret, method string) string {
	var keys []string
	for k := range form {
		if k != "sign" && form.Get(k) != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var s strings.Builder
	for _, k := range keys {
		s.WriteString(k + form.Get(k))
	}
	var sum []byte
	switch method {
	case "md5":
		h := md5.Sum([]byte(secret + s.String() + secret))
		sum = h[:]
	case "hmac":
		m := hmac.New(md5.New, []byte(secret))
		m.Write([]byte(s.String()))
		sum = m.Sum(nil)
	default:
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(s.String()))
		sum = m.Sum(nil)
	}
	return strings.ToUpper(hex.EncodeToString(sum))
}

func testRequest() RechargeRequest {
	return RechargeRequest{BrandID: "1332", ShopID: "243545", OperatorID: "op1", OuterOrderID: "A-1", OperateType: svbatch.Charge, ChangeValue: 1000, CustomerID: "c1", RequestID: "svb1test"}
}

const okBody = `{"alibaba_alsc_crm_open_recharge_operate_response":{"result":{"biz_success":true,"result":true,"result_code":"0","result_desc":"成功","result_view":"成功"},"request_id":"trace-1"}}`

func newTestClient(t *testing.T, url string, opts ...Option) *Client {
	t.Helper()
	base := []Option{WithGateway(url), WithAppKey("12345678"), WithSecret(testSecret), WithTimeout(2 * time.Second)}
	c, err := New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestDoSendsTheProtocol checks, on the server side, everything the client puts on the wire.
func TestDoSendsTheProtocol(t *testing.T) {
	for _, method := range []string{SignMD5, SignHMAC, SignHMACSHA256} {
		t.Run(method, func(t *testing.T) {
			var got url.Values
			var ctype string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ctype = r.Header.Get("Content-Type")
				if err := r.ParseForm(); err != nil {
					t.Error(err)
				}
				got = r.PostForm
				fmt.Fprint(w, okBody)
			}))
			defer srv.Close()
			// 12:30 UTC is 20:30 in GMT+8, whatever this machine's zone.
			now := time.Date(2026, 11, 26, 12, 30, 0, 0, time.UTC)
			c := newTestClient(t, srv.URL, WithSignMethod(method), WithNow(func() time.Time { return now }))
			resp, err := c.Do(context.Background(), testRequest())
			if err != nil {
				t.Fatal(err)
			}
			if !resp.Result.OK() || resp.TraceID != "trace-1" || resp.Result.ResultDesc != "成功" {
				t.Errorf("got %+v; want success with trace-1", resp)
			}
			if !strings.HasPrefix(ctype, "application/x-www-form-urlencoded") || !strings.Contains(ctype, "charset=utf-8") {
				t.Errorf("content type %q", ctype)
			}
			want := map[string]string{"method": MethodRechargeOperate, "app_key": "12345678", "timestamp": "2026-11-26 20:30:00",
				"format": "json", "v": "2.0", "sign_method": method,
				ParamRechargeOperate: `{"brand_id":"1332","change_value":1000,"customer_id":"c1","operate_type":1,"operator_id":"op1","outer_order_id":"A-1","request_id":"svb1test","shop_id":"243545"}`}
			for k, v := range want {
				if got.Get(k) != v {
					t.Errorf("%s = %q; want %q", k, got.Get(k), v)
				}
			}
			for _, k := range []string{"session", "simplify", "partner_id"} {
				if _, ok := got[k]; ok {
					t.Errorf("empty param %s was sent", k)
				}
			}
			if s := got.Get("sign"); s != independentSign(got, testSecret, method) {
				t.Errorf("sign %s does not verify", s)
			}
			for k, vs := range got {
				if strings.Contains(k+strings.Join(vs, ""), testSecret) {
					t.Errorf("the secret was sent in %s", k)
				}
			}
		})
	}
}

func TestDoOptionalParamsAndSimplify(t *testing.T) {
	var got url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		got = r.PostForm
		fmt.Fprint(w, `{"result":{"biz_success":false,"result":false,"result_code":"BALANCE_NOT_ENOUGH","result_desc":"余额不足"},"request_id":"t2"}`)
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, WithSimplify(true), WithSession("sess"), WithPartnerID("svbatch"))
	resp, err := c.Do(context.Background(), testRequest())
	if err != nil {
		t.Fatal(err)
	}
	if resp.Result.OK() || resp.Result.ResultCode != "BALANCE_NOT_ENOUGH" || resp.TraceID != "t2" {
		t.Errorf("got %+v; want a business rejection BALANCE_NOT_ENOUGH, trace t2", resp)
	}
	if got.Get("simplify") != "true" || got.Get("session") != "sess" || got.Get("partner_id") != "svbatch" {
		t.Errorf("optional params: %v", got)
	}
	if got.Get("sign") != independentSign(got, testSecret, SignHMACSHA256) {
		t.Error("sign does not verify with optional params")
	}
}

// TestDoErrors answers every kind of bad outcome and checks the class and the error type.
func TestDoErrors(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		class  Class
		check  func(t *testing.T, err error)
	}{
		{"flow control with ban", 200, `{"error_response":{"code":7,"msg":"App Call Limited","sub_code":"accesscontrol.limited-by-app-access-count","sub_msg":"This ban will last for 3 more seconds","request_id":"x"}}`, FlowControl,
			func(t *testing.T, err error) {
				if d := BanWait(err); d != 4*time.Second {
					t.Errorf("BanWait = %s; want 4s", d)
				}
			}},
		{"isp transient", 200, `{"error_response":{"code":15,"msg":"Remote service error","sub_code":"isp.remote-service-error","sub_msg":"busy"}}`, Transient, nil},
		{"unlisted code", 200, `{"error_response":{"code":15,"msg":"Remote service error"}}`, OutcomeUnknown, nil},
		{"isv on any code is final", 200, `{"error_response":{"code":15,"msg":"x","sub_code":"isv.something"}}`, Final, nil},
		{"code 10", 200, `{"error_response":{"code":10,"msg":"Service currently unavailable"}}`, Transient, nil},
		{"isp timeout", 200, `{"error_response":{"code":15,"msg":"Remote service error","sub_code":"isp.remote-service-timeout"}}`, OutcomeUnknown, nil},
		{"isv final", 200, `{"error_response":{"code":41,"msg":"Invalid arguments","sub_code":"isv.invalid-parameter","sub_msg":"change_value"}}`, Final,
			func(t *testing.T, err error) {
				var api *APIError
				if !errors.As(err, &api) || api.Code != 41 || api.SubMsg != "change_value" {
					t.Errorf("got %#v; want APIError 41", err)
				}
			}},
		{"bad signature stops the run", 200, `{"error_response":{"code":25,"msg":"Invalid signature"}}`, RunStopping, nil},
		{"bad timestamp stops the run", 200, `{"error_response":{"code":31,"msg":"Invalid timestamp"}}`, RunStopping, nil},
		{"bad app key stops the run", 200, `{"error_response":{"code":29,"msg":"Invalid app Key"}}`, RunStopping, nil},
		{"html proxy page", 502, `<html><body>502 Bad Gateway</body></html>`, OutcomeUnknown, nil},
		{"empty body", 200, ``, OutcomeUnknown, nil},
		{"cut off json", 200, okBody[:60], OutcomeUnknown, nil},
		{"not json", 200, `OK`, OutcomeUnknown, nil},
		{"unknown json", 200, `{"hello":"world"}`, OutcomeUnknown, nil},
		{"wrapper without result", 200, `{"alibaba_alsc_crm_open_recharge_operate_response":{"request_id":"x"}}`, OutcomeUnknown, nil},
		{"500 with result", 500, okBody, OutcomeUnknown, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(c.status)
				fmt.Fprint(w, c.body)
			}))
			defer srv.Close()
			resp, err := newTestClient(t, srv.URL).Do(context.Background(), testRequest())
			if err == nil {
				t.Fatalf("got %+v, nil error; want class %s", resp, c.class)
			}
			if got := Classify(err); got != c.class {
				t.Errorf("class %s; want %s (err %v)", got, c.class, err)
			}
			if strings.Contains(err.Error(), testSecret) {
				t.Error("the secret is in the error message")
			}
			if c.check != nil {
				c.check(t, err)
			}
		})
	}
}

func TestDoHungServerTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := newTestClient(t, srv.URL, WithTimeout(200*time.Millisecond))
	start := time.Now()
	_, err := c.Do(context.Background(), testRequest())
	var te *TransportError
	if !errors.As(err, &te) || !te.Sent || !te.Timeout {
		t.Fatalf("got %v; want a sent TransportError with Timeout", err)
	}
	if Classify(err) != OutcomeUnknown {
		t.Errorf("class %s; want outcome-unknown", Classify(err))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s; the timeout did not hold", d)
	}
}

func TestDoConnectionClosedAfterRequest(t *testing.T) {
	var reads atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		reads.Add(1)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		conn.Close()
	}))
	defer srv.Close()
	_, err := newTestClient(t, srv.URL).Do(context.Background(), testRequest())
	if Classify(err) != OutcomeUnknown {
		t.Fatalf("got %v (class %s); want outcome-unknown", err, Classify(err))
	}
	if reads.Load() == 0 {
		t.Error("server never read the request")
	}
}

func TestDoConnectionRefusedIsTransient(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = newTestClient(t, "http://"+addr+"/router/rest").Do(context.Background(), testRequest())
	var te *TransportError
	if !errors.As(err, &te) || te.Sent {
		t.Fatalf("got %v; want an unsent TransportError", err)
	}
	if Classify(err) != Transient {
		t.Errorf("class %s; want transient", Classify(err))
	}
}

func TestNewValidates(t *testing.T) {
	cases := []struct {
		name string
		opts []Option
		want string
	}{
		{"no gateway", []Option{WithAppKey("k"), WithSecret("s")}, "gateway"},
		{"bad gateway", []Option{WithGateway("ftp://x"), WithAppKey("k"), WithSecret("s")}, "gateway"},
		{"no app key", []Option{WithGateway("http://127.0.0.1:1"), WithSecret("s")}, "app key"},
		{"no secret", []Option{WithGateway("http://127.0.0.1:1"), WithAppKey("k")}, "secret"},
		{"bad sign method", []Option{WithGateway("http://127.0.0.1:1"), WithAppKey("k"), WithSecret("s"), WithSignMethod("sha1")}, "sign method"},
	}
	for _, c := range cases {
		_, err := New(c.opts...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v; want an error about %s", c.name, err, c.want)
		}
	}
}

// scripted serves the bodies in order, then repeats the last one.
func scripted(t *testing.T, bodies ...string) (*httptest.Server, *atomic.Int32, *[]string) {
	var n atomic.Int32
	var ids []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		ids = append(ids, r.PostForm.Get(ParamRechargeOperate))
		i := int(n.Add(1)) - 1
		if i >= len(bodies) {
			i = len(bodies) - 1
		}
		fmt.Fprint(w, bodies[i])
	}))
	t.Cleanup(srv.Close)
	return srv, &n, &ids
}

const (
	banBody = `{"error_response":{"code":7,"msg":"App Call Limited","sub_code":"accesscontrol.limited-by-app-access-count","sub_msg":"This ban will last for 2 more seconds"}}`
	ispBody = `{"error_response":{"code":15,"msg":"Remote service error","sub_code":"isp.remote-service-error"}}`
	isvBody = `{"error_response":{"code":41,"msg":"Invalid arguments","sub_code":"isv.invalid-parameter"}}`
)

// fakeSleep records sleeps instead of waiting, advancing a fake clock.
type fakeSleep struct {
	slept []time.Duration
	t     time.Time
}

func (f *fakeSleep) sleep(ctx context.Context, d time.Duration) error {
	f.slept = append(f.slept, d)
	f.t = f.t.Add(d)
	if len(f.slept) > 100 {
		return errors.New("too many sleeps")
	}
	return ctx.Err()
}

func (f *fakeSleep) now() time.Time { return f.t }

func TestRetrier(t *testing.T) {
	cases := []struct {
		name       string
		bodies     []string
		maxBanWait time.Duration
		status     svbatch.Status
		attempts   int
		stop       bool
		sleeps     int
	}{
		{"ok at once", []string{okBody}, time.Minute, svbatch.Succeeded, 1, false, 0},
		{"ban then ok", []string{banBody, okBody}, time.Minute, svbatch.Succeeded, 2, false, 1},
		{"ban too long stops", []string{banBody}, time.Second, svbatch.Pending, 1, true, 0},
		{"isp then ok", []string{ispBody, ispBody, okBody}, time.Minute, svbatch.Succeeded, 3, false, 2},
		{"isp until attempts run out is unknown", []string{ispBody}, time.Minute, svbatch.Unknown, 4, false, 3},
		{"isv is failed at once", []string{isvBody}, time.Minute, svbatch.Failed, 1, false, 0},
		{"business rejection is failed", []string{`{"result":{"biz_success":false,"result":false,"result_code":"X"}}`}, time.Minute, svbatch.Failed, 1, false, 0},
		{"bad signature stops, not applied", []string{`{"error_response":{"code":25,"msg":"Invalid signature"}}`}, time.Minute, svbatch.Pending, 1, true, 0},
		{"unlisted code is retried, then unknown", []string{`{"error_response":{"code":1,"msg":"Unknown error"}}`}, time.Minute, svbatch.Unknown, 4, false, 3},
		{"garbage then ok", []string{"<html>", okBody}, time.Minute, svbatch.Succeeded, 2, false, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, _, ids := scripted(t, c.bodies...)
			cl := newTestClient(t, srv.URL)
			fs := &fakeSleep{}
			gate := NewGate(fs.now, fs.sleep)
			p := DefaultRetryPolicy()
			p.MaxAttempts, p.MaxBanWait, p.Sleep = 4, c.maxBanWait, fs.sleep
			r := &Retrier{Policy: p, Gate: gate}
			req := testRequest()
			out := r.Run(context.Background(), func(ctx context.Context) (*Response, error) { return cl.Do(ctx, req) })
			if out.Status != c.status || out.Attempts != c.attempts || (out.Stop != nil) != c.stop {
				t.Errorf("got status %s attempts %d stop %v; want %s %d stop=%v", out.Status, out.Attempts, out.Stop, c.status, c.attempts, c.stop)
			}
			if len(fs.slept) != c.sleeps {
				t.Errorf("slept %d times; want %d sleeps", len(fs.slept), c.sleeps)
			}
			for i, id := range *ids {
				if id != (*ids)[0] {
					t.Errorf("attempt %d sent a different payload: %s", i+1, id)
				}
			}
		})
	}
}

func TestRetrierBanPausesTheGate(t *testing.T) {
	srv, _, _ := scripted(t, banBody, okBody)
	cl := newTestClient(t, srv.URL)
	fs := &fakeSleep{}
	gate := NewGate(fs.now, fs.sleep)
	p := DefaultRetryPolicy()
	p.Sleep = fs.sleep
	r := &Retrier{Policy: p, Gate: gate}
	out := r.Run(context.Background(), func(ctx context.Context) (*Response, error) { return cl.Do(ctx, testRequest()) })
	if out.Status != svbatch.Succeeded {
		t.Fatalf("status %s", out.Status)
	}
	// The ban (2 s + 1) went to the shared gate: the wait happened in Gate.Wait, about 3 s.
	if len(fs.slept) != 1 || fs.slept[0] < 2*time.Second || fs.slept[0] > 3*time.Second {
		t.Errorf("slept %d times (%v…); want one gate wait of ~3s", len(fs.slept), fs.slept[:min(3, len(fs.slept))])
	}
}

func TestRetrierStopsOnCancel(t *testing.T) {
	srv, n, _ := scripted(t, ispBody)
	cl := newTestClient(t, srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	p := DefaultRetryPolicy()
	p.Sleep = func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }
	out := (&Retrier{Policy: p}).Run(ctx, func(ctx context.Context) (*Response, error) { return cl.Do(ctx, testRequest()) })
	if out.Stop == nil || n.Load() != 1 {
		t.Errorf("got stop %v after %d sends; want a stop after 1", out.Stop, n.Load())
	}
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	p := DefaultRetryPolicy()
	p.Jitter = func(d time.Duration) time.Duration { return d }
	want := []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond}
	for i, w := range want {
		if got := p.Backoff(i + 1); got != w {
			t.Errorf("Backoff(%d) = %s; want %s", i+1, got, w)
		}
	}
	if got := p.Backoff(50); got != p.MaxDelay {
		t.Errorf("Backoff(50) = %s; want cap %s", got, p.MaxDelay)
	}
	p.Jitter = nil
	for i := 0; i < 100; i++ {
		if d := p.Backoff(2); d < 200*time.Millisecond || d > 400*time.Millisecond {
			t.Fatalf("jittered Backoff(2) = %s; want within [200ms, 400ms]", d)
		}
	}
}

func BenchmarkSignAndEncode(b *testing.B) {
	c, err := New(WithGateway("http://127.0.0.1:1"), WithAppKey("12345678"), WithSecret(testSecret))
	if err != nil {
		b.Fatal(err)
	}
	req := testRequest()
	b.ReportAllocs()
	for b.Loop() {
		param, err := req.Encode()
		if err != nil {
			b.Fatal(err)
		}
		p, err := c.Params(MethodRechargeOperate, map[string]string{ParamRechargeOperate: param})
		if err != nil {
			b.Fatal(err)
		}
		form := url.Values{}
		for k, v := range p {
			form.Set(k, v)
		}
		_ = form.Encode()
	}
}

// TestRetrierStatusAfterMixedAnswers: once an attempt may have been applied, no error answer makes
// the row failed (only a normal answer, which the gateway's idempotency makes definitive, decides);
// rows that certainly were not applied are pending.
func TestRetrierStatusAfterMixedAnswers(t *testing.T) {
	sentTimeout := &TransportError{Sent: true, Timeout: true, Err: errors.New("timeout")}
	unsent := &TransportError{Sent: false, Err: errors.New("connection refused")}
	session := &APIError{Code: 27, Msg: "Invalid session"}
	isv := &APIError{Code: 41, Msg: "Invalid arguments", SubCode: "isv.invalid-parameter"}
	isp := &APIError{Code: 15, SubCode: "isp.remote-service-error"}
	ban := &APIError{Code: 7, SubCode: "accesscontrol.limited-by-app-access-count", SubMsg: "This ban will last for 1 more seconds"}
	reject := &Response{Result: Result{BizSuccess: false, Result: false, ResultCode: "BALANCE_NOT_ENOUGH"}}
	ok := &Response{Result: Result{BizSuccess: true, Result: true}}
	type answer struct {
		resp *Response
		err  error
	}
	cases := []struct {
		name    string
		answers []answer
		status  svbatch.Status
		stop    bool
	}{
		{"timeout then session error stays unknown", []answer{{nil, sentTimeout}, {nil, session}}, svbatch.Unknown, true},
		{"timeout then isv stays unknown", []answer{{nil, sentTimeout}, {nil, isv}}, svbatch.Unknown, false},
		{"timeout then rejection is failed (idempotent answer)", []answer{{nil, sentTimeout}, {reject, nil}}, svbatch.Failed, false},
		{"timeout then ok", []answer{{nil, sentTimeout}, {ok, nil}}, svbatch.Succeeded, false},
		{"isv at once is failed", []answer{{nil, isv}}, svbatch.Failed, false},
		{"ban then isv is failed", []answer{{nil, ban}, {nil, isv}}, svbatch.Failed, false},
		{"unsent until attempts run out is pending", []answer{{nil, unsent}}, svbatch.Pending, false},
		{"isp until attempts run out is unknown", []answer{{nil, isp}}, svbatch.Unknown, false},
		{"unsent then isp is unknown", []answer{{nil, unsent}, {nil, isp}}, svbatch.Unknown, false},
		{"session error at once is pending", []answer{{nil, session}}, svbatch.Pending, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := &fakeSleep{}
			p := DefaultRetryPolicy()
			p.MaxAttempts, p.Sleep = 3, fs.sleep
			r := &Retrier{Policy: p, Gate: NewGate(fs.now, fs.sleep)}
			i := 0
			out := r.Run(context.Background(), func(context.Context) (*Response, error) {
				a := c.answers[min(i, len(c.answers)-1)]
				i++
				return a.resp, a.err
			})
			if out.Status != c.status || (out.Stop != nil) != c.stop {
				t.Errorf("status %s stop %v; want %s stop=%v", out.Status, out.Stop, c.status, c.stop)
			}
		})
	}
}

// TestRetrierBoundsRepeatedBans: a gateway that keeps banning a request stops the run (resumable)
// once the request's own ban waits pass MaxBanWait, instead of spinning forever.
func TestRetrierBoundsRepeatedBans(t *testing.T) {
	ban := &APIError{Code: 7, SubCode: "accesscontrol.limited-by-app-access-count", SubMsg: "This ban will last for 1 more seconds"}
	fs := &fakeSleep{}
	p := DefaultRetryPolicy()
	p.MaxBanWait, p.Sleep = 10*time.Second, fs.sleep
	r := &Retrier{Policy: p, Gate: NewGate(fs.now, fs.sleep)}
	out := r.Run(context.Background(), func(context.Context) (*Response, error) { return nil, ban })
	var tooLong *BanTooLongError
	if !errors.As(out.Stop, &tooLong) || out.Status != svbatch.Pending {
		t.Fatalf("got status %s stop %v; want pending and a BanTooLongError", out.Status, out.Stop)
	}
	if out.Attempts < 5 || out.Attempts > 6 {
		t.Errorf("%d attempts; want 5 or 6 (2 s per ban, 10 s at most)", out.Attempts)
	}
}

func TestBanWaitHugeIsTooLongNotNegative(t *testing.T) {
	err := &APIError{Code: 7, SubMsg: "This ban will last for 10000000000 more seconds"}
	if d := BanWait(err); d <= DefaultMaxBanWait {
		t.Errorf("BanWait = %s; want longer than any --max-ban-wait", d)
	}
}
