package sandbox

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"svbatch"
	"svbatch/client"
)

// These tests drive the read APIs and /router/batch with testdata/topcall.py, a TOP client written
// in Python from TOP's published rules (stdlib only), so the sandbox is checked against a client
// that shares no code with svbatch's.

// pythonPath is python3 on PATH (or /usr/bin/python3); the test is skipped only when there is none.
func pythonPath(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("python3"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	t.Skip("python3 not found: the independent-client tests need it")
	return ""
}

// signingVectorsPath locates the shared signing vectors.
func signingVectorsPath(t *testing.T) string {
	t.Helper()
	for _, d := range []string{os.Getenv("SVBATCH_TESTVECTORS"), "../../shared/testvectors", "../shared/testvectors", "../client/testdata/vectors"} {
		if d == "" {
			continue
		}
		p, err := filepath.Abs(filepath.Join(d, "signing.json"))
		if err == nil {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	t.Fatal("signing.json not found")
	return ""
}

// pyJob is one run of topcall.py against a sandbox.
type pyJob struct {
	Rest       string           `json:"rest"`
	Batch      string           `json:"batch"`
	AppKey     string           `json:"app_key"`
	Secret     string           `json:"secret"`
	Timestamp  string           `json:"timestamp"`
	SignMethod string           `json:"sign_method"`
	Steps      []map[string]any `json:"steps"`
}

// runPy runs the job and returns each step's report.
func runPy(t *testing.T, gateway string, now time.Time, signMethod string, steps ...map[string]any) []map[string]any {
	t.Helper()
	job := pyJob{Rest: gateway, Batch: strings.TrimSuffix(gateway, Path) + BatchPath, AppKey: DefaultAppKey, Secret: DefaultSecret,
		Timestamp: now.In(gmt8).Format(timestampLayout), SignMethod: signMethod, Steps: steps}
	in, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(pythonPath(t), "testdata/topcall.py")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("topcall.py: %v\n%s", err, stderr.String())
	}
	var rep struct {
		Steps []map[string]any `json:"steps"`
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("topcall.py report %q: %v", out, err)
	}
	if len(rep.Steps) != len(steps) {
		t.Fatalf("topcall.py: %d reports for %d steps", len(rep.Steps), len(steps))
	}
	return rep.Steps
}

// dig walks a decoded JSON value by keys and indexes ("0", "1", … for arrays).
func dig(t *testing.T, v any, path ...string) any {
	t.Helper()
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[p]; !ok {
				t.Fatalf("no key %q in %v", p, x)
			}
		case []any:
			i := 0
			for _, c := range p {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				t.Fatalf("index %d past %d items", i, len(x))
			}
			v = x[i]
		default:
			t.Fatalf("cannot take %q of %T %v", p, v, v)
		}
	}
	return v
}

func num(t *testing.T, v any) int64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%v (%T) is not a JSON number", v, v)
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatalf("%v is not an integer: %v", v, err)
	}
	return i
}

// readScript is a small ledger history over two shops of brand B1: a charge, a freeze posted by a
// verify (an UNFREEZE and a VERIFY flow), a direct verify and a refund, and a charge in shop S2.
func readScript() []client.RechargeRequest {
	base := client.RechargeRequest{BrandID: "B1", ShopID: "S1", OperatorID: "op1", CustomerID: "RC1"}
	mk := func(rid, outer string, op svbatch.OperateType, v int64, edit func(*client.RechargeRequest)) client.RechargeRequest {
		r := base
		r.RequestID, r.OuterOrderID, r.OperateType, r.ChangeValue = rid, outer, op, v
		if edit != nil {
			edit(&r)
		}
		return r
	}
	return []client.RechargeRequest{
		mk("r1", "CH1", svbatch.Charge, 10000, func(r *client.RechargeRequest) { r.Reason = "开卡充值" }),
		mk("r2", "FR1", svbatch.Freeze, 3000, nil),
		mk("r3", "FR1", svbatch.Verify, 2500, nil),
		mk("r4", "V2", svbatch.Verify, 1000, nil),
		mk("r5", "CH1", svbatch.Refund, 2000, func(r *client.RechargeRequest) { r.NewOuterOrderID = "RF1" }),
		mk("r6", "CH2", svbatch.Charge, 700, func(r *client.RechargeRequest) { r.ShopID, r.CustomerID = "S2", ""; r.Mobile = "13800000000" }),
	}
}

// readSandbox starts a sandbox on a test clock and applies readScript one second apart.
func readSandbox(t *testing.T, cfg Config) (*Server, string, *clock) {
	t.Helper()
	clk := newClock()
	cfg.Now = clk.Now
	s, u := startSandbox(t, cfg)
	c := newClient(t, u, client.WithNow(clk.Now))
	for _, req := range readScript() {
		if r := do(t, c, req).Result; !r.OK() {
			t.Fatalf("%s: %+v", req.RequestID, r)
		}
		clk.Add(time.Second)
	}
	return s, u, clk
}

func flowDetailStep(req map[string]any) map[string]any {
	return map[string]any{"op": "rest", "method": client.MethodFlowDetail, "param": client.ParamFlowDetail, "req": req}
}

// TestIndependentSigningVectors: the Python signer reproduces ../shared/testvectors byte for byte,
// so a sandbox that accepts it follows TOP's rules, not just svbatch's reading of them.
func TestIndependentSigningVectors(t *testing.T) {
	t.Parallel()
	rep := runPy(t, "http://127.0.0.1:1/router/rest", time.Now(), client.SignMD5, map[string]any{"op": "vectors", "file": signingVectorsPath(t)})
	if n := num(t, rep[0]["checked"]); n < 4 {
		t.Errorf("checked %d vectors; want every case (4)", n)
	}
	if bad := rep[0]["bad"].([]any); len(bad) != 0 {
		t.Errorf("the Python signer disagrees with the vectors: %v", bad)
	}
}

// TestIndependentReadAPIs: flowdetail.get, accountflows.get and open.customer.get answer an
// independent client in TOP's wrappers with the field names and values of DESIGN.md §2, for every
// sign method.
func TestIndependentReadAPIs(t *testing.T) {
	t.Parallel()
	s, u, clk := readSandbox(t, Config{})
	for _, sm := range []string{client.SignMD5, client.SignHMAC, client.SignHMACSHA256} {
		t.Run(sm, func(t *testing.T) {
			rep := runPy(t, u, clk.Now(), sm,
				// 0: the refund, by its own id
				flowDetailStep(map[string]any{"brand_id": "B1", "outer_order_id": "RF1"}),
				// 1: by flow_id (the charge is flow 1), brand as out_brand_id
				flowDetailStep(map[string]any{"out_brand_id": "B1", "flow_id": "1"}),
				// 2: no such order
				flowDetailStep(map[string]any{"brand_id": "B1", "outer_order_id": "nope"}),
				// 3: no brand
				flowDetailStep(map[string]any{"outer_order_id": "RF1"}),
				// 4: the customer's balance
				map[string]any{"op": "rest", "method": client.MethodCustomerGet, "param": client.ParamCustomerGet,
					"req": map[string]any{"brand_id": "B1", "shop_id": "S1", "customer_id": "RC1"}},
				// 5: a customer by mobile, with a numeric id in the JSON
				map[string]any{"op": "rest", "method": client.MethodCustomerGet, "param": client.ParamCustomerGet,
					"req": map[string]any{"brand_id": "B1", "shop_id": 1, "mobile": 13800000000}},
				// 6: unknown customer
				map[string]any{"op": "rest", "method": client.MethodCustomerGet, "param": client.ParamCustomerGet,
					"req": map[string]any{"brand_id": "B1", "shop_id": "S1", "customer_id": "nobody"}},
			)
			refund := dig(t, rep[0], "body", client.FlowDetailResponseKey, "result")
			if dig(t, refund, "biz_success") != true {
				t.Fatalf("refund lookup: %v", refund)
			}
			f := dig(t, refund, "result").(map[string]any)
			for k, want := range map[string]string{"flow_type": client.FlowTypeRefund, "outer_order_id": "RF1", "outer_pay_id": "CH1",
				"brand_id": "B1", "shop_id": "S1", "order_time": "2026-11-26 20:30:04"} {
				if got := f[k]; got != want {
					t.Errorf("refund flow %s: got %v; want %s", k, got, want)
				}
			}
			// 10000 − 3000 + 3000 − 2500 − 1000 − 2000 = 4500 after the refund of 2000
			if ov, cv := num(t, f["order_value"]), num(t, f["current_value"]); ov != -2000 || cv != 4500 {
				t.Errorf("refund flow: order_value %d current_value %d; want -2000 4500", ov, cv)
			}
			for _, k := range []string{"flow_id", "account_id", "card_id", "before_property_list", "affected_property_list", "after_property_list"} {
				if _, ok := f[k]; !ok {
					t.Errorf("refund flow has no %s", k)
				}
			}
			charge := dig(t, rep[1], "body", client.FlowDetailResponseKey, "result", "result")
			if dig(t, charge, "flow_type") != client.FlowTypeRecharge || dig(t, charge, "remark") != "开卡充值" || num(t, dig(t, charge, "order_value")) != 10000 {
				t.Errorf("flow 1: %v; want the charge of 10000 with its reason as remark", charge)
			}
			nf := dig(t, rep[2], "body", client.FlowDetailResponseKey, "result")
			if dig(t, nf, "biz_success") != false || dig(t, nf, "result_code") != CodeFlowNotFound {
				t.Errorf("unknown order: %v; want biz_success false %s", nf, CodeFlowNotFound)
			}
			if e := dig(t, rep[3], "body", "error_response"); num(t, dig(t, e, "code")) != 40 || dig(t, e, "sub_code") != "isv.missing-parameter:brand_id" {
				t.Errorf("no brand: %v; want code 40 isv.missing-parameter:brand_id", e)
			}
			cust := dig(t, rep[4], "body", client.CustomerGetResponseKey, "result", "result")
			acct := dig(t, cust, "card_open_info_list", "0", "accounts", "0")
			av, _ := balanceOf(s, "RC1")
			if num(t, dig(t, acct, "balance")) != av || av != 4500 {
				t.Errorf("customer balance: %v; want %d (the ledger's available)", acct, av)
			}
			if dig(t, cust, "customer_open_info", "customer_id") != "RC1" || dig(t, acct, "account_id") != f["account_id"] ||
				dig(t, cust, "card_open_info_list", "0", "card_id") != f["card_id"] {
				t.Errorf("customer %v: want customer_id RC1 and the flows' account_id/card_id", cust)
			}
			if m := dig(t, rep[5], "body", client.CustomerGetResponseKey, "result", "result", "card_open_info_list", "0", "accounts", "0"); num(t, dig(t, m, "balance")) != 700 {
				t.Errorf("customer by mobile: %v; want balance 700", m)
			}
			if nc := dig(t, rep[6], "body", client.CustomerGetResponseKey, "result"); dig(t, nc, "result_code") != CodeCustomerNotFound {
				t.Errorf("unknown customer: %v; want %s", nc, CodeCustomerNotFound)
			}
		})
	}
}

// TestIndependentPaging: accountflows.get pages to the end by total_size, every flow passes the
// independent arithmetic check, an empty window answers total 0 with an empty list, and the limits
// are refused as TOP refuses parameters.
func TestIndependentPaging(t *testing.T) {
	t.Parallel()
	s, u, clk := readSandbox(t, Config{MaxPageSize: 3, MaxWindow: 24 * time.Hour})
	start := newClock().Now()
	win := func(req map[string]any) map[string]any {
		req["brand_id"], req["start_time"], req["end_time"] = "B1", start.Format(timestampLayout), clk.Now().In(gmt8).Format(timestampLayout)
		return req
	}
	rep := runPy(t, u, clk.Now(), client.SignHMACSHA256,
		// 0: shop S1, pages of 2: 6 flows (charge, freeze, unfreeze, verify, verify, refund) → 3 pages
		map[string]any{"op": "pages", "param": client.ParamAccountFlows, "page_size": 2, "req": win(map[string]any{"shop_id": "S1"})},
		// 1: pages of 3: 2 pages
		map[string]any{"op": "pages", "param": client.ParamAccountFlows, "page_size": 3, "req": win(map[string]any{"out_shop_id": "S1"})},
		// 2: filtered by out_order_id: the freeze, its unfreeze and the verify that posted it
		map[string]any{"op": "pages", "param": client.ParamAccountFlows, "page_size": 3, "req": win(map[string]any{"shop_id": "S1", "out_order_id": "FR1"})},
		// 3: an empty window, a day before anything happened
		map[string]any{"op": "pages", "param": client.ParamAccountFlows, "page_size": 3, "req": map[string]any{"brand_id": "B1", "shop_id": "S1",
			"start_time": start.Add(-48 * time.Hour).Format(timestampLayout), "end_time": start.Add(-47 * time.Hour).Format(timestampLayout)}},
		// 4: page_size over the limit
		map[string]any{"op": "pages", "param": client.ParamAccountFlows, "page_size": 4, "req": win(map[string]any{"shop_id": "S1"})},
		// 5: a window over the limit
		map[string]any{"op": "pages", "param": client.ParamAccountFlows, "page_size": 3, "req": map[string]any{"brand_id": "B1", "shop_id": "S1",
			"start_time": start.Add(-25 * time.Hour).Format(timestampLayout), "end_time": start.Format(timestampLayout)}},
		// 6: no shop
		map[string]any{"op": "pages", "param": client.ParamAccountFlows, "page_size": 3, "req": win(map[string]any{})},
	)
	want := 0
	for _, f := range s.Flows() {
		if f.ShopID == "S1" {
			want++
		}
	}
	for i, calls := range []int64{3, 2} {
		r := rep[i]
		if _, ok := r["error"]; ok {
			t.Fatalf("paging %d: %v", i, r["error"])
		}
		flows := r["flows"].([]any)
		if num(t, r["total"]) != int64(want) || len(flows) != want || want != 6 || num(t, r["calls"]) != calls {
			t.Errorf("paging %d: total %v, %d flows in %v calls; want %d flows in %d calls", i, r["total"], len(flows), r["calls"], want, calls)
		}
		if p := r["problems"].(map[string]any); len(p) != 0 {
			t.Errorf("paging %d: flows fail the independent check: %v", i, p)
		}
		seen := map[any]bool{}
		for _, f := range flows {
			id := dig(t, f, "flow_id")
			if seen[id] {
				t.Errorf("paging %d: flow %v twice", i, id)
			}
			seen[id] = true
		}
	}
	var types []string
	for _, f := range rep[2]["flows"].([]any) {
		types = append(types, dig(t, f, "flow_type").(string))
	}
	if strings.Join(types, ",") != "FREEZE,UNFREEZE,VERIFY" {
		t.Errorf("out_order_id FR1: flow types %v; want FREEZE,UNFREEZE,VERIFY", types)
	}
	if r := rep[3]; num(t, r["total"]) != 0 || len(r["flows"].([]any)) != 0 || num(t, r["calls"]) != 1 {
		t.Errorf("empty window: %v; want total 0, no flows, 1 call", r)
	}
	for i, want := range map[int]string{4: "isv.invalid-parameter:page_size", 5: "isv.invalid-parameter:end_time", 6: "isv.missing-parameter:shop_id"} {
		if got := dig(t, rep[i], "error", "sub_code"); got != want {
			t.Errorf("step %d: got %v; want %s", i, rep[i], want)
		}
	}
}

// TestIndependentBatch: /router/batch with a #PUBLIC# part, the signature over the URL params with
// the body appended, answers in request order (an empty "N" part included), another separator, and
// the refusals: one error for the whole batch, or per sub-request.
func TestIndependentBatch(t *testing.T) {
	t.Parallel()
	_, u, clk := readSandbox(t, Config{MaxBatch: 4})
	fd := func(outer string) map[string]any {
		return map[string]any{client.ParamFlowDetail: map[string]any{"brand_id": "B1", "outer_order_id": outer}}
	}
	pub := map[string]any{"method": client.MethodFlowDetail}
	withMethod := func(m map[string]any) map[string]any { m["method"] = client.MethodFlowDetail; return m }
	cust := map[string]any{"method": client.MethodCustomerGet, client.ParamCustomerGet: map[string]any{"brand_id": "B1", "shop_id": "S1", "customer_id": "RC1"}}
	write := map[string]any{"method": client.MethodRechargeOperate, client.ParamRechargeOperate: map[string]any{"brand_id": "B1"}}
	five := []any{fd("CH1"), fd("V2"), fd("RF1"), fd("CH2"), fd("FR1")}
	rep := runPy(t, u, clk.Now(), client.SignHMACSHA256,
		// 0: public method; the customer.get part names its own method; "N" is an empty request
		map[string]any{"op": "batch", "public": pub, "parts": []any{fd("CH1"), nil, fd("RF1"), cust}},
		// 1: a signature over the URL params alone (body not appended): the whole batch is refused
		map[string]any{"op": "batch", "public": pub, "parts": []any{fd("CH1")}, "sign_body": false},
		// 2: more sub-requests than the batch may hold
		map[string]any{"op": "batch", "public": pub, "parts": five},
		// 3: another separator, named in the header
		map[string]any{"op": "batch", "public": pub, "parts": []any{fd("V2"), fd("FR1")}, "separator": "~~SEP~~"},
		// 4: a write inside a batch is refused for that part only
		map[string]any{"op": "batch", "parts": []any{write, withMethod(fd("CH2"))}},
		// 5: a forged signature
		map[string]any{"op": "batch", "public": pub, "parts": []any{fd("CH1")}, "bad_sign": true},
	)
	parts := rep[0]["parts"].([]any)
	if num(t, rep[0]["count"]) != 4 {
		t.Fatalf("batch answered %v parts; want 4", rep[0]["count"])
	}
	if dig(t, parts[0], client.FlowDetailResponseKey, "result", "result", "outer_order_id") != "CH1" ||
		dig(t, parts[2], client.FlowDetailResponseKey, "result", "result", "flow_type") != client.FlowTypeRefund {
		t.Errorf("parts 0 and 2: %v / %v; want the charge CH1 and the refund RF1, in request order", parts[0], parts[2])
	}
	if num(t, dig(t, parts[1], "error_response", "code")) != 40 {
		t.Errorf("empty part: %v; want code 40 (the shared method, no parameter)", parts[1])
	}
	if num(t, dig(t, parts[3], client.CustomerGetResponseKey, "result", "result", "card_open_info_list", "0", "accounts", "0", "balance")) != 4500 {
		t.Errorf("customer part: %v; want balance 4500", parts[3])
	}
	if tr0, tr2 := dig(t, parts[0], client.FlowDetailResponseKey, "request_id"), dig(t, parts[2], client.FlowDetailResponseKey, "request_id"); tr0 == tr2 {
		t.Errorf("sub-requests share trace id %v; want one each", tr0)
	}
	for _, tc := range []struct {
		step int
		code int64
		sub  string
	}{{1, 25, "isv.invalid-signature"}, {2, 41, "isv.invalid-parameter:body"}, {5, 25, "isv.invalid-signature"}} {
		r := rep[tc.step]
		if num(t, r["count"]) != 1 {
			t.Errorf("step %d: %v parts; want one error for the whole batch", tc.step, r["count"])
			continue
		}
		e := dig(t, r, "parts", "0", "error_response")
		if num(t, dig(t, e, "code")) != tc.code || dig(t, e, "sub_code") != tc.sub {
			t.Errorf("step %d: %v; want code %d %s", tc.step, e, tc.code, tc.sub)
		}
	}
	if p := rep[3]["parts"].([]any); len(p) != 2 || dig(t, p[1], client.FlowDetailResponseKey, "result", "result", "flow_type") != client.FlowTypeVerify {
		t.Errorf("custom separator: %v; want 2 parts, the second the VERIFY of FR1 (latest of its flows)", rep[3])
	}
	p := rep[4]["parts"].([]any)
	if dig(t, p[0], "error_response", "sub_code") != batchWriteSubCode || dig(t, p[1], client.FlowDetailResponseKey, "result", "biz_success") != true {
		t.Errorf("write in a batch: %v; want the write refused and the read answered", p)
	}
}

// TestIndependentFlowLag: with a flow lag a new flow is invisible to every read API until the clock
// passes its applied time + the lag; the balance shows at once.
func TestIndependentFlowLag(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s, u := startSandbox(t, Config{Now: clk.Now, Faults: Faults{FlowLag: 30 * time.Second}})
	c := newClient(t, u, client.WithNow(clk.Now))
	req := chargeReq("LAG1", 500)
	do(t, c, req)
	start := clk.Now().In(gmt8).Format(timestampLayout)
	steps := func() []map[string]any {
		return runPy(t, u, clk.Now(), client.SignHMACSHA256,
			flowDetailStep(map[string]any{"brand_id": "B1", "outer_order_id": req.OuterOrderID}),
			map[string]any{"op": "pages", "param": client.ParamAccountFlows, "page_size": 10,
				"req": map[string]any{"brand_id": "B1", "shop_id": "S1", "start_time": start, "end_time": clk.Now().Add(time.Hour).In(gmt8).Format(timestampLayout)}},
			map[string]any{"op": "batch", "public": map[string]any{"method": client.MethodFlowDetail},
				"parts": []any{map[string]any{client.ParamFlowDetail: map[string]any{"brand_id": "B1", "outer_order_id": req.OuterOrderID}}}},
		)
	}
	for _, tc := range []struct {
		advance time.Duration
		visible bool
	}{{0, false}, {29 * time.Second, false}, {time.Second, true}} {
		clk.Add(tc.advance)
		rep := steps()
		found := dig(t, rep[0], "body", client.FlowDetailResponseKey, "result", "biz_success") == true
		total := num(t, rep[1]["total"])
		inBatch := dig(t, rep[2], "parts", "0", client.FlowDetailResponseKey, "result", "biz_success") == true
		if found != tc.visible || (total == 1) != tc.visible || inBatch != tc.visible {
			t.Errorf("at +%s: flowdetail found %v, accountflows total %d, batch found %v; want visible=%v",
				clk.Now().Sub(newClock().Now()), found, total, inBatch, tc.visible)
		}
	}
	if av, _ := balanceOf(s, "LAG1"); av != 500 {
		t.Errorf("balance %d; want 500", av)
	}
}

// TestIndependentReadsCountAgainstQPS: reads take flow-control tokens like any call, and so does
// every sub-request of a batch.
func TestIndependentReadsCountAgainstQPS(t *testing.T) {
	t.Parallel()
	clk := newClock()
	_, u := startSandbox(t, Config{Now: clk.Now, QPSLimit: 1, Burst: 3, BanSeconds: 5})
	fd := map[string]any{"brand_id": "B1", "outer_order_id": "none"}
	rep := runPy(t, u, clk.Now(), client.SignHMACSHA256,
		map[string]any{"op": "batch", "public": map[string]any{"method": client.MethodFlowDetail},
			"parts": []any{map[string]any{client.ParamFlowDetail: fd}, map[string]any{client.ParamFlowDetail: fd},
				map[string]any{client.ParamFlowDetail: fd}, map[string]any{client.ParamFlowDetail: fd}}},
		flowDetailStep(fd),
	)
	parts := rep[0]["parts"].([]any)
	for i, p := range parts {
		_, limited := p.(map[string]any)["error_response"]
		if limited != (i == 3) {
			t.Errorf("batch part %d: %v; want the first 3 answered (the bucket holds 3) and the 4th code 7", i, p)
		}
	}
	e := dig(t, parts[3], "error_response")
	if num(t, dig(t, e, "code")) != 7 || !strings.Contains(dig(t, e, "sub_msg").(string), "5 more seconds") {
		t.Errorf("limited part: %v; want code 7 with the ban", e)
	}
	if num(t, dig(t, rep[1], "body", "error_response", "code")) != 7 {
		t.Errorf("read after the batch: %v; want code 7 (banned)", rep[1])
	}
}
