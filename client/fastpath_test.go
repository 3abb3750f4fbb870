package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"svbatch"
)

// jsonEncoded is what Encode used to be: encoding/json without HTML escaping, newline trimmed.
func jsonEncoded(t *testing.T, r RechargeRequest) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// randomText mixes what escaping must get right: quotes, backslashes, control characters, HTML
// characters (not escaped), U+2028/U+2029, CJK, invalid UTF-8, and plain ASCII.
func randomText(rng *rand.Rand) string {
	pieces := []string{"", "a", "Z9", `"`, `\`, "\n", "\r", "\t", "\b", "\f", "\x00", "\x1f", "\x7f", "<", ">", "&",
		"\u2028", "\u2029", "充值", "𝄞", "\xff", "\xe2\x80", "\xc3", " ", "=", "+", "%", "é", "~-_."}
	var b strings.Builder
	for n := rng.IntN(6); n > 0; n-- {
		b.WriteString(pieces[rng.IntN(len(pieces))])
	}
	return b.String()
}

// TestEncodeMatchesEncodingJSON: the hand-written encoder writes byte for byte what encoding/json
// wrote, for every field empty or not and any text, so the sandbox's idempotency records and the
// legacy payload hashes keep their meaning.
func TestEncodeMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	reqs := []RechargeRequest{{}, testRequest(), {ChangeValue: -5, OperateType: svbatch.OperateType(-1)}, {ChangeValue: 1 << 62}}
	for range 5000 {
		txt := func() string { return randomText(rng) }
		reqs = append(reqs, RechargeRequest{BrandID: txt(), ChangeValue: rng.Int64N(3) * rng.Int64(), CustomerID: txt(),
			Mobile: txt(), NewOuterOrderID: txt(), OperateType: svbatch.OperateType(rng.IntN(6)), OperatorID: txt(),
			OuterID: txt(), OuterOrderID: txt(), OuterType: txt(), Reason: txt(), RequestID: txt(), ShopID: txt()})
	}
	for _, r := range reqs {
		got, err := r.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if want := jsonEncoded(t, r); got != want {
			t.Fatalf("Encode(%+v) = %s; want %s", r, got, want)
		}
	}
}

// TestAppendQueryEscapeMatchesURL: the form encoder escapes every byte as url.QueryEscape does.
func TestAppendQueryEscapeMatchesURL(t *testing.T) {
	var all []byte
	for c := 0; c < 256; c++ {
		all = append(all, byte(c))
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, s := range []string{"", string(all), "a b+c", `{"brand_id":"1"}`} {
		if got, want := string(appendQueryEscape(nil, s)), url.QueryEscape(s); got != want {
			t.Errorf("appendQueryEscape(%q) = %q; want %q", s, got, want)
		}
	}
	for range 2000 {
		s := randomText(rng)
		if got, want := string(appendQueryEscape(nil, s)), url.QueryEscape(s); got != want {
			t.Errorf("appendQueryEscape(%q) = %q; want %q", s, got, want)
		}
	}
}

// TestDoSendsWhatParamsSigns: Do's form is byte for byte the url.Values encoding of Params (the
// map-based path Call uses), for every sign method and the optional system parameters, and the
// gateway checks its sign the usual way.
func TestDoSendsWhatParamsSigns(t *testing.T) {
	var mu sync.Mutex
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = string(b)
		mu.Unlock()
		fmt.Fprint(w, `{"alibaba_alsc_crm_open_recharge_operate_response":{"result":{"biz_success":true,"result":true},"request_id":"tr"}}`)
	}))
	defer srv.Close()
	now := func() time.Time { return time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC) }
	req := testRequest()
	req.Reason = "a reason & <more> = 100% \"quoted\"\n充值"
	for _, m := range []string{SignMD5, SignHMAC, SignHMACSHA256} {
		for _, extra := range [][]Option{nil, {WithSession("sess ion"), WithPartnerID("p-1"), WithSimplify(true)}} {
			opts := append([]Option{WithGateway(srv.URL), WithAppKey("12345678"), WithSecret(testSecret), WithSignMethod(m), WithNow(now)}, extra...)
			c, err := New(opts...)
			if err != nil {
				t.Fatal(err)
			}
			for range 3 { // pooled hashes and buffers are reused correctly
				if _, err := c.Do(context.Background(), req); err != nil && len(extra) == 0 {
					t.Fatal(err)
				}
				param, _ := req.Encode()
				p, err := c.Params(MethodRechargeOperate, map[string]string{ParamRechargeOperate: param})
				if err != nil {
					t.Fatal(err)
				}
				form := url.Values{}
				for k, v := range p {
					form.Set(k, v)
				}
				mu.Lock()
				g := got
				mu.Unlock()
				if want := form.Encode(); g != want {
					t.Fatalf("%s %d: Do sent\n%s\nwant\n%s", m, len(extra), g, want)
				}
				sent, _ := url.ParseQuery(g)
				flat := map[string]string{}
				for k, v := range sent {
					flat[k] = v[0]
				}
				if sig, _ := Sign(flat, testSecret, m); sig != flat["sign"] {
					t.Fatalf("%s: sign %s; Sign gives %s", m, flat["sign"], sig)
				}
			}
		}
	}
}

// TestDecodeNormalAgreesWithExact: the one-pass reading of a normal answer gives what the key by
// key reading gives, and leaves every other shape to it.
func TestDecodeNormalAgreesWithExact(t *testing.T) {
	w := `{"alibaba_alsc_crm_open_recharge_operate_response":`
	bodies := []string{
		w + `{"result":{"biz_success":true,"result":true,"result_code":"0","result_desc":"成功"},"request_id":"tr1"}}`,
		w + `{"result":{"biz_success":false,"result":false,"result_code":"BALANCE_NOT_ENOUGH"},"request_id":"tr2"}}` + "\n",
		w + `{"request_id":"tr3"}}`,
		w + `null}`,
		w + `{"result":null}}`,
		w + `{"result":{"biz_success":"yes"}}}`,
		w + `{"result":{"biz_success":true,"result":true}},"error_response":{"code":7,"msg":"ban"}}`,
		w + `{"result":{"biz_success":true,"result":true}},"Error_Response":{"code":7}}`,
		w + `{"result":{"biz_success":true,"result":true}}`,
		w + `{"result":{"biz_success":true,"result":true}}} trailing`,
		`{"error_response":{"code":7,"msg":"ban","sub_code":"isv.x","request_id":"tr"}}`,
		`{"result":{"biz_success":true,"result":true},"request_id":"tr4"}`,
		`<html>`, ``, `{}`, `[]`,
	}
	for _, status := range []int{200, 404, 500, 503} {
		for _, b := range bodies {
			gr, gerr := decodeRecharge(status, []byte(b))
			wr, werr := decodeExact(status, []byte(b))
			if !reflect.DeepEqual(gr, wr) || fmt.Sprint(gerr) != fmt.Sprint(werr) || reflect.TypeOf(gerr) != reflect.TypeOf(werr) {
				t.Errorf("%d %s: got %+v, %v; exact reading gives %+v, %v", status, b, gr, gerr, wr, werr)
			}
		}
	}
}

// TestConnectionsReused: with the client's own transport, 32 requests in flight at a time reuse
// their keep-alive connections. net/http may dial a few spares while the first requests start
// (a dial in progress is kept when another connection frees up first), but never one per request,
// as a transport keeping 2 idle connections per host (its default) would.
func TestConnectionsReused(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.Header.Get("Accept-Encoding") != "" {
			t.Errorf("Accept-Encoding %q: compression should not be negotiated", r.Header.Get("Accept-Encoding"))
		}
		fmt.Fprint(w, `{"alibaba_alsc_crm_open_recharge_operate_response":{"result":{"biz_success":true,"result":true},"request_id":"tr"}}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c, err := New(WithGateway(srv.URL), WithAppKey("12345678"), WithSecret(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	const inFlight, each = 32, 40
	var wg sync.WaitGroup
	for range inFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if _, err := c.Do(context.Background(), testRequest()); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := conns.Load(); n > 2*inFlight {
		t.Errorf("%d connections for %d requests, %d in flight; want at most %d", n, inFlight*each, inFlight, 2*inFlight)
	}
}

// BenchmarkDo is one whole recharge.operate exchange on loopback, signing and decoding included.
func BenchmarkDo(b *testing.B) {
	body := []byte(`{"alibaba_alsc_crm_open_recharge_operate_response":{"result":{"biz_success":true,"result":true,"result_code":"0"},"request_id":"0b51a2e817"}}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.Write(body)
	}))
	defer srv.Close()
	c, err := New(WithGateway(srv.URL), WithAppKey("12345678"), WithSecret(testSecret))
	if err != nil {
		b.Fatal(err)
	}
	req := testRequest()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Do(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}
