package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"svbatch"
	"svbatch/client"
)

const callSecret = "call-secret-do-not-print"

// runCLI runs the program with args and env, returning stdout, stderr and the exit code.
func runCLI(t *testing.T, envm map[string]string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return envm[k] }
	err := run(context.Background(), args, strings.NewReader(""), &out, &errb, getenv)
	code := exitCode(err, &errb)
	return out.String(), errb.String(), code
}

// gateway answers with the bodies in turn (the last repeats) and counts requests.
func gateway(t *testing.T, bodies ...string) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.PostForm.Get("sign") == "" || r.PostForm.Get("app_key") != "k1" {
			t.Errorf("unsigned or wrong app key: %v", r.PostForm)
		}
		i := int(n.Add(1)) - 1
		fmt.Fprint(w, bodies[min(i, len(bodies)-1)])
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

var callArgs = []string{"call", "--app-key", "k1", "--brand-id", "1332", "--shop-id", "S1", "--operator-id", "op",
	"--outer-order-id", "A-1", "--operate-type", "charge", "--change-value", "1000", "--customer-id", "C1"}

func TestCall(t *testing.T) {
	okBody := `{"alibaba_alsc_crm_open_recharge_operate_response":{"result":{"biz_success":true,"result":true,"result_code":"0","result_desc":"成功"},"request_id":"gw-1"}}`
	isp := `{"error_response":{"code":15,"msg":"Remote service error","sub_code":"isp.remote-service-error","sub_msg":"x","request_id":"gw-e"}}`
	reject := `{"alibaba_alsc_crm_open_recharge_operate_response":{"result":{"biz_success":false,"result":false,"result_code":"BALANCE_NOT_ENOUGH","result_desc":"余额不足"},"request_id":"gw-2"}}`
	isv := `{"error_response":{"code":41,"msg":"Invalid arguments","sub_code":"isv.invalid-parameter","sub_msg":"shop_id","request_id":"gw-3"}}`
	cases := []struct {
		name     string
		bodies   []string
		code     int
		status   string
		attempts int
	}{
		{"success", []string{okBody}, 0, "succeeded", 1},
		{"isp then success", []string{isp, okBody}, 0, "succeeded", 2},
		{"business rejection", []string{reject}, 1, "failed", 1},
		{"isv error", []string{isv}, 1, "failed", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, n := gateway(t, c.bodies...)
			out, errOut, code := runCLI(t, map[string]string{"SVBATCH_APP_SECRET": callSecret, "SVBATCH_GATEWAY": srv.URL}, callArgs...)
			if code != c.code {
				t.Fatalf("exit %d; want %d (stderr %s)", code, c.code, errOut)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("stdout is not one JSON object: %q", out)
			}
			wantID := svbatch.RequestIDv1("", "1332", 1, "A-1", "")
			if got["status"] != c.status || got["request_id"] != wantID || int(got["attempts"].(float64)) != c.attempts {
				t.Errorf("got %v; want status %s request_id %s attempts %d", got, c.status, wantID, c.attempts)
			}
			if int(n.Load()) != c.attempts {
				t.Errorf("gateway saw %d requests; want %d", n.Load(), c.attempts)
			}
			if _, ok := got["trace_id"]; !ok {
				t.Errorf("no trace_id in %v", got)
			}
			if strings.Contains(out+errOut, callSecret) {
				t.Error("the secret was printed")
			}
		})
	}
}

func TestCallUsageErrorsSendNothing(t *testing.T) {
	srv, n := gateway(t, `{}`)
	env := map[string]string{"SVBATCH_APP_SECRET": callSecret, "SVBATCH_GATEWAY": srv.URL}
	without := func(flag string) []string {
		var a []string
		for i := 0; i < len(callArgs); i++ {
			if callArgs[i] == flag {
				i++
				continue
			}
			a = append(a, callArgs[i])
		}
		return a
	}
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"missing brand", without("--brand-id"), env, "--brand-id"},
		{"missing customer", without("--customer-id"), env, "customer"},
		{"bad operate type", append(without("--operate-type"), "--operate-type", "topup"), env, "--operate-type"},
		{"zero amount", append(without("--change-value"), "--change-value", "0"), env, "--change-value"},
		{"decimal amount", append(without("--change-value"), "--change-value", "10.5"), env, "change-value"},
		{"amount over the per-row limit", append(without("--change-value"), "--change-value", "1000000000001"), env, "--change-value"},
		{"refund without new id", append(without("--operate-type"), "--operate-type", "refund"), env, "--new-outer-order-id"},
		{"outer id without type", append(callArgs, "--outer-id", "x"), env, "--outer-type"},
		{"no secret", callArgs, map[string]string{"SVBATCH_GATEWAY": srv.URL}, "SVBATCH_APP_SECRET"},
		{"no gateway", callArgs, map[string]string{"SVBATCH_APP_SECRET": callSecret}, "--gateway"},
		{"secret as a flag is refused", append(callArgs, "--app-secret", callSecret), env, "unknown flag"},
		{"bad sign method", append(callArgs, "--sign-method", "sha1"), env, "--sign-method"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, c.env, c.args...)
			if code != exitUsage {
				t.Errorf("exit %d; want 2 (stdout %q stderr %q)", code, out, errOut)
			}
			if !strings.Contains(errOut, c.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
				t.Errorf("stderr %q; want one line naming %s", errOut, c.want)
			}
			if strings.Contains(out+errOut, callSecret) {
				t.Error("the secret was printed")
			}
		})
	}
	if n.Load() != 0 {
		t.Errorf("%d requests were sent on usage errors; want 0", n.Load())
	}
}

func TestCallSecretFromFile(t *testing.T) {
	var sign string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		p := map[string]string{}
		for k := range r.PostForm {
			p[k] = r.PostForm.Get(k)
		}
		sign, _ = client.Sign(p, "from-file", r.PostForm.Get("sign_method"))
		if sign != r.PostForm.Get("sign") {
			w.Write([]byte(`{"error_response":{"code":25,"msg":"Invalid signature"}}`))
			return
		}
		w.Write([]byte(`{"result":{"biz_success":true,"result":true}}`))
	}))
	defer srv.Close()
	f := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(f, []byte("from-file\n"), 0o600)
	out, errOut, code := runCLI(t, map[string]string{"SVBATCH_APP_SECRET": "wrong"}, append(callArgs, "--gateway", srv.URL, "--app-secret-file", f, "--simplify", "--sign-method", "md5")...)
	if code != 0 {
		t.Fatalf("exit %d; stdout %s stderr %s", code, out, errOut)
	}
	// A wrong secret is a run-stopping error: exit 1 with a message saying what to fix.
	out, errOut, code = runCLI(t, map[string]string{"SVBATCH_APP_SECRET": "wrong-secret"}, append(callArgs, "--gateway", srv.URL)...)
	if code != exitFailed || !strings.Contains(errOut, "app secret") || !strings.Contains(out, `"failed"`) {
		t.Errorf("wrong secret: exit %d stdout %s stderr %s", code, out, errOut)
	}
	if strings.Contains(out+errOut, "wrong-secret") {
		t.Error("the secret was printed")
	}
}
