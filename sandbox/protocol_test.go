package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"svbatch/client"
)

const validBody = `{"brand_id":"B1","change_value":100,"customer_id":"C1","operate_type":1,"operator_id":"op","outer_order_id":"P1","request_id":"proto-1","shop_id":"S1"}`

// TestProtocolErrors checks every system-parameter error code over real HTTP.
func TestProtocolErrors(t *testing.T) {
	t.Parallel()
	clk := newClock()
	_, u := startSandbox(t, Config{Now: clk.Now})
	tests := []struct {
		name    string
		edit    func(map[string]string)
		code    int
		subCode string
	}{
		// method missing → 21
		{"missing method", func(p map[string]string) { delete(p, "method") }, 21, "isv.missing-parameter:method"},
		// an unknown method → 22
		{"unknown method", func(p map[string]string) { p["method"] = "taobao.item.get" }, 22, "isv.invalid-method"},
		// format other than json → 23
		{"xml format", func(p map[string]string) { p["format"] = "xml" }, 23, "isv.invalid-parameter:format"},
		// no sign → 24
		{"missing sign", func(p map[string]string) { p["sign"] = "" }, 24, "isv.missing-parameter:sign"},
		// a sign that does not match → 25
		{"bad sign", func(p map[string]string) { p["sign"] = "0123456789ABCDEF0123456789ABCDEF" }, 25, "isv.invalid-signature"},
		// unknown sign method → 25
		{"bad sign method", func(p map[string]string) { p["sign_method"] = "sha1"; p["sign"] = "ABCD" }, 25, "isv.invalid-signature"},
		// app_key missing → 28
		{"missing app key", func(p map[string]string) { delete(p, "app_key") }, 28, "isv.missing-parameter:app_key"},
		// an unknown app key → 29
		{"bad app key", func(p map[string]string) { p["app_key"] = "nope" }, 29, "isv.appkey-not-exists"},
		// timestamp missing → 30
		{"missing timestamp", func(p map[string]string) { delete(p, "timestamp") }, 30, "isv.missing-parameter:timestamp"},
		// timestamp in another layout → 31
		{"timestamp layout", func(p map[string]string) { p["timestamp"] = "2026-11-26T20:30:00+08:00" }, 31, "isv.invalid-timestamp"},
		// timestamp 11 minutes late → 31
		{"timestamp skew", func(p map[string]string) {
			p["timestamp"] = clk.Now().Add(-11 * time.Minute).In(gmt8).Format(timestampLayout)
		}, 31, "isv.invalid-timestamp"},
		// v missing → 32
		{"missing version", func(p map[string]string) { delete(p, "v") }, 32, "isv.missing-parameter:v"},
		// v other than 2.0 → 34
		{"bad version", func(p map[string]string) { p["v"] = "1.0" }, 34, "isv.invalid-parameter:v"},
		// the business param missing → 40
		{"missing business param", func(p map[string]string) { delete(p, client.ParamRechargeOperate) }, 40, "isv.missing-parameter:" + client.ParamRechargeOperate},
		// the business param not JSON → 41
		{"business param not json", func(p map[string]string) { p[client.ParamRechargeOperate] = "{brand" }, 41, "isv.invalid-parameter:" + client.ParamRechargeOperate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := postForm(t, u, signedParams(clk.Now(), DefaultSecret, validBody, tc.edit))
			var env client.ErrorEnvelope
			if err := json.Unmarshal([]byte(body), &env); err != nil || env.ErrorResponse == nil {
				t.Fatalf("body %s: want an error_response (%v)", body, err)
			}
			e := env.ErrorResponse
			if e.Code != tc.code || e.SubCode != tc.subCode {
				t.Errorf("got code %d sub_code %q; want %d %q (%s)", e.Code, e.SubCode, tc.code, tc.subCode, body)
			}
			if e.Msg == "" || e.SubMsg == "" || e.RequestID == "" {
				t.Errorf("got %s; want msg, sub_msg and request_id", body)
			}
		})
	}
}

// TestClientClasses drives the errors through the client package and checks how it classifies them.
func TestClientClasses(t *testing.T) {
	t.Parallel()
	clk := newClock()
	_, u := startSandbox(t, Config{Now: clk.Now})
	tests := []struct {
		name  string
		opts  []client.Option
		code  int
		class client.Class
	}{
		// wrong secret → 25, stops the run
		{"bad secret", []client.Option{client.WithSecret("wrong")}, 25, client.RunStopping},
		// wrong key → 29, stops the run
		{"bad key", []client.Option{client.WithAppKey("other")}, 29, client.RunStopping},
		// clock 11 minutes ahead → 31, stops the run
		{"clock skew", []client.Option{client.WithNow(func() time.Time { return clk.Now().Add(11 * time.Minute) })}, 31, client.RunStopping},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, u, append([]client.Option{client.WithNow(clk.Now)}, tc.opts...)...)
			_, err := c.Do(context.Background(), chargeReq("C1", 1))
			var ae *client.APIError
			if !errors.As(err, &ae) || ae.Code != tc.code {
				t.Fatalf("got %v; want code %d", err, tc.code)
			}
			if got := client.Classify(err); got != tc.class {
				t.Errorf("got class %v; want %v", got, tc.class)
			}
		})
	}
	t.Run("unknown method via Call", func(t *testing.T) {
		c := newClient(t, u, client.WithNow(clk.Now))
		body, err := c.Call(context.Background(), "alibaba.alsc.crm.open.customer.delete", map[string]string{"x": "1"})
		if err != nil || !strings.Contains(string(body), `"code":22`) {
			t.Errorf("got %s, %v; want code 22", body, err)
		}
	})
}

// TestSignMethods checks that all three sign methods are accepted, wrapped and simplified.
func TestSignMethods(t *testing.T) {
	t.Parallel()
	s, u := startSandbox(t, Config{})
	for _, sm := range []string{client.SignMD5, client.SignHMAC, client.SignHMACSHA256} {
		for _, simplify := range []bool{false, true} {
			c := newClient(t, u, client.WithSignMethod(sm), client.WithSimplify(simplify))
			resp := do(t, c, chargeReq("C-sign", 10))
			if !resp.Result.OK() || resp.Result.ResultCode != "0" || resp.Result.ResultDesc != "成功" || resp.TraceID == "" {
				t.Errorf("%s simplify=%v: got %+v; want success with a trace id", sm, simplify, resp)
			}
		}
	}
	if av, _ := balanceOf(s, "C-sign"); av != 60 {
		t.Errorf("got available %d; want 60", av)
	}
}

// TestResponseShapes checks the exact JSON of a success, wrapped and simplified, and of GET.
func TestResponseShapes(t *testing.T) {
	t.Parallel()
	clk := newClock()
	_, u := startSandbox(t, Config{Now: clk.Now})
	body := postForm(t, u, signedParams(clk.Now(), DefaultSecret, validBody, nil))
	const wantPrefix = `{"alibaba_alsc_crm_open_recharge_operate_response":{"result":{"biz_success":true,"result":true,"result_code":"0","result_desc":"成功","result_view":"成功"},"request_id":"`
	if !strings.HasPrefix(body, wantPrefix) {
		t.Errorf("got %s; want prefix %s", body, wantPrefix)
	}
	// simplify=true: the same answer (a replay) without the wrapper
	body = postForm(t, u, signedParams(clk.Now(), DefaultSecret, validBody, func(p map[string]string) { p["simplify"] = "true" }))
	if !strings.HasPrefix(body, `{"result":{"biz_success":true,"result":true,"result_code":"0"`) {
		t.Errorf("simplify: got %s", body)
	}
	// GET with query params, as the real gateway allows
	q := signedParams(clk.Now(), DefaultSecret, validBody, nil)
	resp, err := http.Get(u + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(string(b), wantPrefix) {
		t.Errorf("GET: got %s", b)
	}
	// other HTTP methods → code 9
	req, _ := http.NewRequest(http.MethodPut, u, nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"code":9`) {
		t.Errorf("PUT: got %s; want code 9", b)
	}
}

// TestBusinessParams checks the required fields inside the JSON: 40 missing, 41 invalid, naming the field.
func TestBusinessParams(t *testing.T) {
	t.Parallel()
	clk := newClock()
	_, u := startSandbox(t, Config{Now: clk.Now})
	full := map[string]any{"brand_id": "B1", "change_value": 100, "customer_id": "C1", "operate_type": 1,
		"operator_id": "op", "outer_order_id": "P9", "request_id": "bp-1", "shop_id": "S1"}
	tests := []struct {
		name  string
		edit  func(map[string]any)
		code  int
		field string
	}{
		{"no brand_id", func(m map[string]any) { delete(m, "brand_id") }, 40, "brand_id"},
		{"blank shop_id", func(m map[string]any) { m["shop_id"] = "  " }, 40, "shop_id"},
		{"no operator_id", func(m map[string]any) { delete(m, "operator_id") }, 40, "operator_id"},
		{"no outer_order_id", func(m map[string]any) { delete(m, "outer_order_id") }, 40, "outer_order_id"},
		{"no request_id", func(m map[string]any) { delete(m, "request_id") }, 40, "request_id"},
		{"no operate_type", func(m map[string]any) { delete(m, "operate_type") }, 40, "operate_type"},
		{"operate_type 5", func(m map[string]any) { m["operate_type"] = 5 }, 41, "operate_type"},
		{"operate_type word", func(m map[string]any) { m["operate_type"] = "charge" }, 41, "operate_type"},
		{"no change_value", func(m map[string]any) { delete(m, "change_value") }, 40, "change_value"},
		{"change_value 0", func(m map[string]any) { m["change_value"] = 0 }, 41, "change_value"},
		{"change_value negative", func(m map[string]any) { m["change_value"] = -5 }, 41, "change_value"},
		{"change_value fraction", func(m map[string]any) { m["change_value"] = 1.5 }, 41, "change_value"},
		{"change_value exponent", func(m map[string]any) { m["change_value"] = json.Number("1E+3") }, 41, "change_value"},
		{"change_value past int64", func(m map[string]any) { m["change_value"] = json.Number("99999999999999999999") }, 41, "change_value"},
		{"refund without new_outer_order_id", func(m map[string]any) { m["operate_type"] = 4 }, 40, "new_outer_order_id"},
		{"no customer", func(m map[string]any) { delete(m, "customer_id") }, 40, "customer_id"},
		{"outer_id without outer_type", func(m map[string]any) { delete(m, "customer_id"); m["outer_id"] = "o1" }, 40, "outer_type"},
		{"bad outer_type", func(m map[string]any) { m["outer_type"] = "qq"; m["outer_id"] = "o1" }, 41, "outer_type"},
		{"brand_id an object", func(m map[string]any) { m["brand_id"] = map[string]int{"a": 1} }, 41, "brand_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := map[string]any{}
			for k, v := range full {
				m[k] = v
			}
			tc.edit(m)
			js, _ := json.Marshal(m)
			body := postForm(t, u, signedParams(clk.Now(), DefaultSecret, string(js), nil))
			var env client.ErrorEnvelope
			if err := json.Unmarshal([]byte(body), &env); err != nil || env.ErrorResponse == nil {
				t.Fatalf("body %s: want an error_response", body)
			}
			e := env.ErrorResponse
			if e.Code != tc.code || !strings.HasSuffix(e.SubCode, ":"+tc.field) || !strings.Contains(e.SubMsg, tc.field) {
				t.Errorf("got %d %q %q; want code %d naming %s", e.Code, e.SubCode, e.SubMsg, tc.code, tc.field)
			}
		})
	}
	// numbers for ids and a string amount are accepted, as a Java gateway would
	body := postForm(t, u, signedParams(clk.Now(), DefaultSecret,
		`{"brand_id":1332,"change_value":"250","mobile":"13800000000","operate_type":"1","operator_id":7,"outer_order_id":"N1","request_id":"bp-num","shop_id":9}`, nil))
	if !strings.Contains(body, `"result_code":"0"`) {
		t.Errorf("numeric ids: got %s; want success", body)
	}
}

func TestIsLoopbackAndListen(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"127.0.0.1:8795": true, "localhost:1": true, "[::1]:80": true, "127.1.2.3:0": true,
		":8795": false, "0.0.0.0:80": false, "10.0.0.1:80": false, "example.com:80": false,
	} {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v; want %v", addr, got, want)
		}
	}
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if l, err := s.Listen("0.0.0.0:0"); err == nil {
		l.Close()
		t.Errorf("Listen on 0.0.0.0 with the demo credentials: got nil error; want a refusal")
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	bad := []Config{
		{AppKey: "k"},    // key without secret
		{Secret: "s"},    // secret without key
		{QPSLimit: -1},   // negative rate
		{BanSeconds: -1}, // negative ban
		{Faults: Faults{FailRate: 1.5}},
		{Faults: Faults{TimeoutRate: -0.1}},
		{Faults: Faults{LatencyMin: 5 * time.Millisecond, LatencyMax: time.Millisecond}},
	}
	for i, c := range bad {
		if s, err := New(c); err == nil {
			s.Close()
			t.Errorf("case %d: New(%+v) = nil error; want one", i, c)
		}
	}
	lat := []struct {
		in       string
		min, max time.Duration
		ok       bool
	}{
		{"", 0, 0, true},
		{"5ms", 5 * time.Millisecond, 5 * time.Millisecond, true},
		{"2ms-20ms", 2 * time.Millisecond, 20 * time.Millisecond, true},
		{"20ms-2ms", 0, 0, false},
		{"fast", 0, 0, false},
	}
	for _, tc := range lat {
		min, max, err := ParseLatency(tc.in)
		if (err == nil) != tc.ok || min != tc.min || max != tc.max {
			t.Errorf("ParseLatency(%q) = %v, %v, %v; want %v, %v, ok=%v", tc.in, min, max, err, tc.min, tc.max, tc.ok)
		}
	}
}
