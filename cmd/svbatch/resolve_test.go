package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"svbatch/client"
	"svbatch/sandbox"
)

// resolveSetup runs 40 charges against a sandbox that times out after applying 20% of them,
// behind a proxy that drops every fifth operate request before the sandbox sees it (while drop is
// set), with --max-attempts 1: some unknown rows were applied and some were not.
func resolveSetup(t *testing.T) (sb *sandbox.Server, env map[string]string, in string, ops []rtOp, drop *atomic.Bool, applied map[string]bool, unknown int) {
	t.Helper()
	sb, err := sandbox.New(sandbox.Config{Faults: sandbox.Faults{TimeoutRate: 0.2}, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	h := sb.Handler()
	var operates atomic.Int32
	drop = &atomic.Bool{}
	drop.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == sandbox.Path {
			r.ParseForm()
			if r.Form.Get("method") == client.MethodRechargeOperate {
				if n := operates.Add(1); drop.Load() && n%5 == 0 {
					// read, then lost before the sandbox: the client cannot tell it from an applied one
					if hj, ok := w.(http.Hijacker); ok {
						if c, _, err := hj.Hijack(); err == nil {
							c.Close()
							return
						}
					}
				}
			}
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	env = map[string]string{"SVBATCH_GATEWAY": srv.URL + sandbox.Path, "SVBATCH_APP_KEY": sandbox.DefaultAppKey, "SVBATCH_APP_SECRET": sandbox.DefaultSecret}

	for i := 0; i < 40; i++ {
		ops = append(ops, rtOp{brand: "1332", outer: "CH-" + itoa3(i), op: "charge", fen: int64(100 + i), customer: "C" + itoa3(i%7)})
	}
	in = rtWriteCSV(t, t.TempDir(), "ops.csv", ops)
	args := []string{"run", in, "--yes", "--qps", "0", "--max-attempts", "1", "--on-failure", "continue"}
	if _, stderr, code := runCLI(t, env, args...); code != 1 {
		t.Fatalf("first run: exit %d; want 1 (unknown rows)\n%s", code, stderr)
	}
	unknown = rtCount(rtReadResults(t, in+".results.xlsx"), "unknown")
	applied = map[string]bool{}
	for _, o := range sb.Operations() {
		applied[o.OuterOrderID] = true
	}
	if unknown < 4 || len(applied) == 40 || len(applied)+unknown < 40 {
		t.Fatalf("%d unknown rows, %d applied; want some of both kinds (the seed)", unknown, len(applied))
	}

	return sb, env, in, ops, drop, applied, unknown
}

// TestResolve: a run against a sandbox that times out after applying 20% of its operations, behind
// a proxy that drops every fifth operate request before the sandbox sees it, with --max-attempts 1,
// leaves unknown rows of both kinds. resolve turns every one of them into succeeded (the sandbox
// applied it) or pending (it did not), by the sandbox's own operation log, sending zero write
// requests; the resumed run sends only the pending ones, and the ledger is exact: every operation
// once. A second resolve finds nothing to ask.
func TestResolve(t *testing.T) {
	t.Parallel()
	sb, env, in, ops, drop, applied, unknown := resolveSetup(t)
	writes := sb.TotalRequests()
	out, stderr, code := runCLI(t, env, "resolve", in+".results.xlsx", "--lag", "0s", "--json")
	if code != 0 {
		t.Fatalf("resolve: exit %d; want 0 (every row decided)\n%s%s", code, out, stderr)
	}
	if n := sb.TotalRequests(); n != writes {
		t.Errorf("resolve sent %d write requests; want 0", n-writes)
	}
	var rep struct {
		Counts map[string]int `json:"counts"`
		Calls  int64          `json:"read_calls"`
		Rows   []struct {
			Row      int    `json:"row"`
			After    string `json:"after"`
			FlowID   string `json:"flow_id"`
			Evidence string `json:"evidence"`
		} `json:"rows"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != unknown || rep.Counts["succeeded"] == 0 || rep.Counts["pending"] == 0 {
		t.Errorf("resolved %d rows (%v); want all %d unknown, some succeeded and some pending", len(rep.Rows), rep.Counts, unknown)
	}
	for _, r := range rep.Rows {
		outer := ops[r.Row-2].outer
		want := "pending"
		if applied[outer] {
			want = "succeeded"
		}
		if r.After != want || (want == "succeeded" && r.FlowID == "") {
			t.Errorf("row %d (%s): %s (%s); want %s by the sandbox's log", r.Row, outer, r.After, r.Evidence, want)
		}
	}
	if rep.Calls > int64(unknown) {
		t.Errorf("%d read calls for %d rows; want at most one each", rep.Calls, unknown)
	}

	// The resume sends only the pending rows; every operation is applied once.
	drop.Store(false)
	sb.SetFaults(sandbox.Faults{}) // (timeouts would make the resume resend, same id, and blur the count)
	before := sb.TotalRequests()
	if _, stderr, code := runCLI(t, env, "run", in, "--yes", "--qps", "0"); code != 0 {
		t.Fatalf("resumed run: exit %d\n%s", code, stderr)
	}
	if sent := sb.TotalRequests() - before; sent != rep.Counts["pending"] {
		t.Errorf("the resume sent %d requests; want %d (the pending rows only)", sent, rep.Counts["pending"])
	}
	seen := map[string]int{}
	for _, o := range sb.Operations() {
		seen[o.OuterOrderID]++
	}
	for _, o := range ops {
		if seen[o.outer] != 1 {
			t.Errorf("%s applied %d times; want once", o.outer, seen[o.outer])
		}
	}
	// The results of the resume keep the evidence of each resolved row.
	for _, r := range rtReadResults(t, in+".results.xlsx") {
		if applied[r["outer_order_id"]] && strings.Contains(r["note"], "resolved by asking the platform") && !strings.Contains(r["note"], "flow") {
			t.Errorf("row %s: note %q; want the flow as evidence", r["row"], r["note"])
		}
	}
	resolved := 0
	for _, r := range rtReadResults(t, in+".results.xlsx") {
		if strings.Contains(r["note"], "resolved by asking the platform: applied") {
			resolved++
		}
	}
	if resolved != rep.Counts["succeeded"] {
		t.Errorf("%d results rows show the platform's evidence; want %d", resolved, rep.Counts["succeeded"])
	}
	if out, _, code := runCLI(t, env, "resolve", in+".svbatch.db", "--lag", "0s"); code != 0 || !strings.Contains(out, "nothing to resolve") {
		t.Errorf("second resolve: exit %d\n%s", code, out)
	}
}

func itoa3(i int) string {
	return string([]byte{byte('0' + i/100%10), byte('0' + i/10%10), byte('0' + i%10)})
}

// TestRunResolve: run --resolve asks the platform about the journal's unknown rows first, then
// sends only what did not apply: every operation applied once, with no resend of an applied row.
func TestRunResolve(t *testing.T) {
	t.Parallel()
	sb, env, in, ops, drop, applied, _ := resolveSetup(t)
	drop.Store(false)
	sb.SetFaults(sandbox.Faults{})
	before := sb.TotalRequests()
	_, stderr, code := runCLI(t, env, "run", in, "--yes", "--qps", "0", "--resolve", "--resolve-lag", "0s")
	if code != 0 || !strings.Contains(stderr, "Resolved: succeeded") {
		t.Fatalf("run --resolve: exit %d; want 0 after resolving\n%s", code, stderr)
	}
	if sent, want := sb.TotalRequests()-before, len(ops)-len(applied); sent != want {
		t.Errorf("run --resolve sent %d requests; want %d (the rows that never applied)", sent, want)
	}
	seen := map[string]int{}
	for _, o := range sb.Operations() {
		seen[o.OuterOrderID]++
	}
	for _, o := range ops {
		if seen[o.outer] != 1 {
			t.Errorf("%s applied %d times; want once", o.outer, seen[o.outer])
		}
	}
}
