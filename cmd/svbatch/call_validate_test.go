package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestCallAgreesWithValidate runs one table of rows through `svbatch validate` (as a CSV file) and
// `svbatch call` (as flags): each command accepts exactly the rows the other accepts. call sends an
// accepted row (the gateway answers it) and refuses a bad one with exit 2, sending nothing.
func TestCallAgreesWithValidate(t *testing.T) {
	okBody := `{"alibaba_alsc_crm_open_recharge_operate_response":{"result":{"biz_success":true,"result":true,"result_code":"0","result_desc":"成功"},"request_id":"gw-1"}}`
	srv, n := gateway(t, okBody)
	env := map[string]string{"SVBATCH_APP_SECRET": callSecret, "SVBATCH_GATEWAY": srv.URL}
	cols := []string{"brand_id", "shop_id", "operator_id", "outer_order_id", "operate_type", "change_value", "customer_id", "mobile", "outer_id", "outer_type", "new_outer_order_id", "reason", "request_id"}
	base := map[string]string{"brand_id": "1332", "shop_id": "S1", "operator_id": "op", "outer_order_id": "A-1", "operate_type": "charge", "change_value": "1000", "customer_id": "C1"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name   string
		row    map[string]string
		accept bool
	}{
		{"a plain charge", with(), true},
		{"mobile that is not a phone number", with("customer_id", "", "mobile", "abc"), false},
		{"mobile", with("customer_id", "", "mobile", "13800000000"), true},
		{"outer_type in another case", with("customer_id", "", "outer_id", "o1", "outer_type", "WeChat"), true},
		{"outer_type in Chinese", with("customer_id", "", "outer_id", "o1", "outer_type", "支付宝"), true},
		{"unknown outer_type", with("customer_id", "", "outer_id", "o1", "outer_type", "qq"), false},
		{"outer_id without type", with("customer_id", "", "outer_id", "o1"), false},
		{"no customer", with("customer_id", ""), false},
		{"amount with decimals", with("change_value", "10.5"), false},
		{"amount zero", with("change_value", "0"), false},
		{"amount over the per-row limit", with("change_value", "1000000000001"), false},
		{"amount in scientific notation", with("change_value", "1E+3"), false},
		{"operate type in Chinese", with("operate_type", "充值"), true},
		{"unknown operate type", with("operate_type", "topup"), false},
		{"refund without its own id", with("operate_type", "refund"), false},
		{"refund", with("operate_type", "4", "new_outer_order_id", "R-1"), true},
		{"id with a control character", with("outer_order_id", "A\x01"), false},
		{"id too long", with("outer_order_id", strings.Repeat("x", 65)), false},
		{"reason as free text", with("reason", "会员充值 & more"), true},
		{"missing shop", with("shop_id", ""), false},
	}
	dir := t.TempDir()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var vals, args []string
			args = []string{"call", "--app-key", "k1"}
			for _, col := range cols {
				v := c.row[col]
				vals = append(vals, `"`+strings.ReplaceAll(v, `"`, `""`)+`"`)
				if v != "" {
					args = append(args, "--"+strings.ReplaceAll(col, "_", "-"), v)
				}
			}
			path := filepath.Join(dir, "row"+strconv.Itoa(i)+".csv")
			if err := os.WriteFile(path, []byte(strings.Join(cols, ",")+"\n"+strings.Join(vals, ",")+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			_, verr, vcode := runCLI(t, nil, "validate", path)
			before := n.Load()
			_, cerr, ccode := runCLI(t, env, args...)
			sent := n.Load() > before
			if (vcode == 0) != c.accept {
				t.Errorf("validate exit %d; want accepted=%v (%s)", vcode, c.accept, verr)
			}
			if (ccode != exitUsage) != c.accept || sent != c.accept {
				t.Errorf("call exit %d, sent %v; want accepted=%v like validate (%s)", ccode, sent, c.accept, cerr)
			}
		})
	}
}
