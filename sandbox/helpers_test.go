package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"svbatch"
	"svbatch/client"
)

// clock is a settable clock for Config.Now and client.WithNow.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 26, 20, 30, 0, 0, gmt8)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// startSandbox starts a sandbox on 127.0.0.1:0 and closes it when the test ends.
func startSandbox(t testing.TB, cfg Config) (*Server, string) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	u, err := s.Start("127.0.0.1:0")
	if err != nil {
		s.Close()
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, u
}

// newClient returns a client for the sandbox at u with the demo credentials unless opts say otherwise.
func newClient(t testing.TB, u string, opts ...client.Option) *client.Client {
	t.Helper()
	all := append([]client.Option{client.WithGateway(u), client.WithAppKey(DefaultAppKey), client.WithSecret(DefaultSecret)}, opts...)
	c, err := client.New(all...)
	if err != nil {
		t.Fatalf("client.New: %v", err)
	}
	return c
}

var ridSeq atomic.Int64

// charge is a valid charge request for customer cust, with a fresh request_id and outer_order_id.
func chargeReq(cust string, v int64) client.RechargeRequest {
	n := ridSeq.Add(1)
	return client.RechargeRequest{
		BrandID: "B1", ShopID: "S1", OperatorID: "op1", CustomerID: cust,
		OuterOrderID: fmt.Sprintf("O%d", n), RequestID: fmt.Sprintf("rid-%d", n),
		OperateType: svbatch.Charge, ChangeValue: v,
	}
}

// do sends req and returns its result, failing the test on any error.
func do(t testing.TB, c *client.Client, req client.RechargeRequest) *client.Response {
	t.Helper()
	resp, err := c.Do(context.Background(), req)
	if err != nil {
		t.Fatalf("Do(%s): %v", req.RequestID, err)
	}
	return resp
}

// apiErr sends req and returns the *client.APIError it must fail with.
func apiErr(t testing.TB, c *client.Client, req client.RechargeRequest) *client.APIError {
	t.Helper()
	resp, err := c.Do(context.Background(), req)
	var ae *client.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("Do(%s) = %+v, %v; want an error_response", req.RequestID, resp, err)
	}
	return ae
}

// balanceOf returns (available, frozen) of the B1 account of customer cust, or (0, 0).
func balanceOf(s *Server, cust string) (int64, int64) {
	for _, b := range s.Balances() {
		if b.BrandID == "B1" && b.CustomerID == cust {
			return b.Available, b.Frozen
		}
	}
	return 0, 0
}

// signedParams are the system params and a business JSON, signed with secret (md5 unless set).
func signedParams(now time.Time, secret string, business string, edit func(map[string]string)) url.Values {
	p := map[string]string{
		"method": client.MethodRechargeOperate, "app_key": DefaultAppKey, "format": "json", "v": "2.0",
		"sign_method": client.SignHMACSHA256, "timestamp": now.In(gmt8).Format(timestampLayout),
		client.ParamRechargeOperate: business,
	}
	if edit != nil {
		edit(p)
	}
	if _, ok := p["sign"]; !ok {
		sm := p["sign_method"]
		if sm == "" {
			sm = client.SignMD5
		}
		sign, err := client.Sign(p, secret, sm)
		if err == nil {
			p["sign"] = sign
		}
	}
	v := url.Values{}
	for k, x := range p {
		v.Set(k, x)
	}
	return v
}

// postForm posts form to u and returns the body.
func postForm(t testing.TB, u string, form url.Values) string {
	t.Helper()
	resp, err := http.Post(u, "application/x-www-form-urlencoded;charset=utf-8", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(b)
}
