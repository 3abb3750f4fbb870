package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"svbatch"
	"svbatch/client"
	"svbatch/dispatch"
	"svbatch/reports"
	"svbatch/sandbox"
)

// rtGateway is a real in-process sandbox behind a loopback server that counts the requests to
// /router/rest and can answer them with a flow-control ban instead.
type rtGateway struct {
	sb      *sandbox.Server
	base    string // http://127.0.0.1:port
	url     string // base + /router/rest
	n       atomic.Int32
	banFrom atomic.Int32 // when > 0: requests from this one on get a ban of banSecs
	banSecs int
	// downFrom, when > 0: requests from this one on get a proxy's 502 page (the API is down)
	downFrom atomic.Int32
}

func rtStart(t testing.TB, cfg sandbox.Config) *rtGateway {
	t.Helper()
	sb, err := sandbox.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	g := &rtGateway{sb: sb}
	h := sb.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == sandbox.Path {
			i := g.n.Add(1)
			if from := g.downFrom.Load(); from > 0 && i >= from {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusBadGateway)
				fmt.Fprint(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
				return
			}
			if from := g.banFrom.Load(); from > 0 && i >= from {
				fmt.Fprintf(w, `{"error_response":{"code":7,"msg":"App Call Limited","sub_code":"accesscontrol.limited-by-app-access-count","sub_msg":"This ban will last for %d more seconds","request_id":"gw-ban"}}`, g.banSecs)
				return
			}
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { srv.Close(); sb.Close() })
	g.base, g.url = srv.URL, srv.URL+sandbox.Path
	return g
}

// env is the environment of a run against g with the demo credentials.
func (g *rtGateway) env() map[string]string {
	return map[string]string{"SVBATCH_GATEWAY": g.url, "SVBATCH_APP_KEY": sandbox.DefaultAppKey, "SVBATCH_APP_SECRET": sandbox.DefaultSecret}
}

// opsByRequest counts the sandbox's applied operations per request_id.
func (g *rtGateway) opsByRequest() map[string]int {
	m := map[string]int{}
	for _, o := range g.sb.Operations() {
		m[o.RequestID]++
	}
	return m
}

// rtHeader is the canonical header the run tests write.
var rtHeader = []string{"brand_id", "shop_id", "operator_id", "outer_order_id", "new_outer_order_id", "operate_type",
	"change_value", "customer_id", "mobile", "outer_id", "outer_type", "reason"}

// rtOp is one input row in rtHeader's columns.
type rtOp struct {
	brand, outer, newOuter, op string
	fen                        int64
	customer, mobile           string
	outerID, outerType         string
}

func (o rtOp) cells() []string {
	return []string{o.brand, "S1", "op-1", o.outer, o.newOuter, o.op, fmt.Sprint(o.fen), o.customer, o.mobile, o.outerID, o.outerType, "test"}
}

// rtWriteCSV writes ops as a UTF-8 CSV in dir and returns its path.
func rtWriteCSV(t testing.TB, dir, name string, ops []rtOp) string {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(rtHeader)
	for _, o := range ops {
		w.Write(o.cells())
	}
	w.Flush()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// rtReadResults reads a results file (.xlsx: every Results sheet; .csv) as one map per row.
func rtReadResults(t testing.TB, path string) []map[string]string {
	t.Helper()
	var table [][]string
	if strings.HasSuffix(path, ".csv") {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
			t.Errorf("%s: no UTF-8 BOM", path)
		}
		table, err = csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
	} else {
		f, err := excelize.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, sh := range f.GetSheetList() {
			if sh != reports.ResultsSheet && !strings.HasPrefix(sh, reports.ResultsSheet+" (") &&
				sh != reports.ResultsSheetZH && !strings.HasPrefix(sh, reports.ResultsSheetZH+" (") {
				continue
			}
			rows, err := f.GetRows(sh, excelize.Options{RawCellValue: true}) // numbers as stored, not as shown
			if err != nil {
				t.Fatal(err)
			}
			if table == nil {
				table = rows
			} else {
				table = append(table, rows[1:]...)
			}
		}
	}
	if len(table) == 0 {
		t.Fatalf("%s: no results", path)
	}
	hdr := table[0]
	for i, h := range hdr {
		if n, ok := svbatch.ResultColumnName(h); ok {
			hdr[i] = n // the canonical name, whatever the workbook's language
		}
	}
	var out []map[string]string
	for _, r := range table[1:] {
		m := map[string]string{}
		for i, h := range hdr {
			if i < len(r) {
				m[h] = r[i]
			}
		}
		if st, ok := svbatch.ParseStatus(m["status"]); ok {
			m["status"] = string(st)
		}
		out = append(out, m)
	}
	return out
}

// rtStatuses is "row:status" for every result, in row order.
func rtStatuses(res []map[string]string) map[string]string {
	m := map[string]string{}
	for _, r := range res {
		m[r["outer_order_id"]+"/"+r["operate_type"]] = r["status"]
	}
	return m
}

func rtCount(res []map[string]string, status string) int {
	n := 0
	for _, r := range res {
		if r["status"] == status {
			n++
		}
	}
	return n
}

// rtSimpleOps are charges and verifies on a few accounts that all succeed in file order.
func rtSimpleOps(n int) []rtOp {
	var ops []rtOp
	for i := 0; i < n; i++ {
		c := fmt.Sprintf("C%02d", i%5)
		ops = append(ops, rtOp{brand: "1332", outer: fmt.Sprintf("CH-%03d", i), op: "charge", fen: 1000, customer: c})
		ops = append(ops, rtOp{brand: "1332", outer: fmt.Sprintf("VF-%03d", i), op: "verify", fen: 600, customer: c})
	}
	return ops
}

func TestRunExitCodes(t *testing.T) {
	t.Parallel()
	ok := rtSimpleOps(3)
	rejected := []rtOp{
		{brand: "1332", outer: "V-1", op: "verify", fen: 500, customer: "POOR"}, // insufficient balance: failed
		{brand: "1332", outer: "C-1", op: "charge", fen: 500, customer: "POOR"}, // same account after it: skipped
		{brand: "1332", outer: "C-2", op: "charge", fen: 500, customer: "RICH"}, // other account: succeeded
	}
	invalid := []rtOp{{brand: "1332", outer: "X-1", op: "charge", fen: 100, customer: "A"}, {brand: "1332", outer: "X-2", op: "charge", fen: -5, customer: "A"}}
	cases := []struct {
		name     string
		ops      []rtOp
		args     []string
		env      func(g *rtGateway) map[string]string
		code     int
		requests func(n int) bool // what the gateway may have seen
		stderr   string
		statuses map[string]int
	}{
		// every row succeeded: 0
		{name: "all succeeded", ops: ok, code: 0, requests: func(n int) bool { return n == len(ok) },
			statuses: map[string]int{"succeeded": len(ok)}},
		// a business rejection: 1, and the account's later row skipped
		{name: "rejected row", ops: rejected, code: 1, requests: func(n int) bool { return n == 2 },
			statuses: map[string]int{"failed": 1, "skipped": 1, "succeeded": 1}},
		// invalid input: 2, nothing sent
		{name: "invalid row", ops: invalid, code: 2, requests: func(n int) bool { return n == 0 }, stderr: "change_value"},
		// bad usage: 2, nothing sent
		{name: "bad flag", ops: ok, args: []string{"--on-failure", "maybe"}, code: 2, requests: func(n int) bool { return n == 0 }, stderr: "--on-failure"},
		{name: "no secret", ops: ok, env: func(g *rtGateway) map[string]string {
			return map[string]string{"SVBATCH_GATEWAY": g.url, "SVBATCH_APP_KEY": sandbox.DefaultAppKey}
		}, code: 2, requests: func(n int) bool { return n == 0 }, stderr: "SVBATCH_APP_SECRET"},
		// run-stopping gateway errors: 2 with what to fix, nothing more sent
		{name: "wrong app key", ops: ok, args: []string{"--concurrency", "1"}, env: func(g *rtGateway) map[string]string {
			e := g.env()
			e["SVBATCH_APP_KEY"] = "nobody"
			return e
		}, code: 2, requests: func(n int) bool { return n == 1 }, stderr: "app key"},
		{name: "wrong secret", ops: ok, args: []string{"--concurrency", "1"}, env: func(g *rtGateway) map[string]string {
			e := g.env()
			e["SVBATCH_APP_SECRET"] = "not-the-secret"
			return e
		}, code: 2, requests: func(n int) bool { return n == 1 }, stderr: "signature"},
		// svbatch itself failed (a journal that cannot be opened): 4 with the cause, nothing sent
		{name: "journal cannot be opened", ops: ok, args: []string{"--journal", "/proc/nonexistent/j.svbatch.db"}, code: 4,
			requests: func(n int) bool { return n == 0 }, stderr: "journal"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g := rtStart(t, sandbox.Config{})
			dir := t.TempDir()
			in := rtWriteCSV(t, dir, "ops.csv", c.ops)
			env := g.env()
			if c.env != nil {
				env = c.env(g)
			}
			args := append([]string{"run", in, "--yes", "--qps", "0"}, c.args...)
			_, stderr, code := runCLI(t, env, args...)
			if code != c.code {
				t.Fatalf("exit %d; want %d\n%s", code, c.code, stderr)
			}
			if n := int(g.n.Load()); !c.requests(n) {
				t.Errorf("gateway saw %d requests", n)
			}
			if c.stderr != "" && !strings.Contains(stderr, c.stderr) {
				t.Errorf("stderr does not mention %q:\n%s", c.stderr, stderr)
			}
			if strings.Contains(stderr, "not-the-secret") || strings.Contains(stderr, sandbox.DefaultSecret) {
				t.Errorf("stderr shows the secret:\n%s", stderr)
			}
			if c.statuses != nil {
				res := rtReadResults(t, in+".results.xlsx")
				for st, n := range c.statuses {
					if got := rtCount(res, st); got != n {
						t.Errorf("%d rows %s; want %d", got, st, n)
					}
				}
			}
		})
	}
}

// TestRunMaxBanWaitResumes: a ban longer than --max-ban-wait stops the run with exit 3 and a resume
// message; the same command run again finishes, each operation applied once.
func TestRunMaxBanWaitResumes(t *testing.T) {
	t.Parallel()
	g := rtStart(t, sandbox.Config{})
	g.banSecs = 600
	g.banFrom.Store(4)
	ops := rtSimpleOps(5)
	in := rtWriteCSV(t, t.TempDir(), "ops.csv", ops)
	args := []string{"run", in, "--yes", "--qps", "0", "--concurrency", "1", "--max-ban-wait", "5s"}
	_, stderr, code := runCLI(t, g.env(), args...)
	if code != 3 {
		t.Fatalf("exit %d; want 3 (interrupted)\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "run the same command again") || !strings.Contains(stderr, "max-ban-wait") {
		t.Errorf("stderr does not say how to resume and why:\n%s", stderr)
	}
	if n := g.n.Load(); n != 4 {
		t.Errorf("gateway saw %d requests; want 4 (nothing after the long ban)", n)
	}
	res := rtReadResults(t, in+".results.xlsx")
	// The banned row itself may show as unknown (it was marked sending); the others were not reached.
	if s, p, u := rtCount(res, "succeeded"), rtCount(res, "pending"), rtCount(res, "unknown"); s != 3 || u > 1 || s+p+u != len(ops) {
		t.Errorf("after the ban: %d succeeded, %d pending, %d unknown; want 3 and the rest pending (≤ 1 unknown)", s, p, u)
		for _, r := range res {
			t.Log(r["row"], r["status"], r["attempts"], r["note"], r["error_msg"])
		}
	}

	g.banFrom.Store(0) // the quota is back
	_, stderr, code = runCLI(t, g.env(), args...)
	if code != 0 {
		t.Fatalf("rerun: exit %d; want 0\n%s", code, stderr)
	}
	res = rtReadResults(t, in+".results.xlsx")
	if a, s := rtCount(res, "already_done"), rtCount(res, "succeeded"); a != 3 || a+s != len(ops) {
		t.Errorf("rerun: %d already_done, %d succeeded; want 3 and the rest succeeded", a, s)
	}
	byID := g.opsByRequest()
	if len(byID) != len(ops) {
		t.Errorf("%d operations applied; want %d", len(byID), len(ops))
	}
	for id, n := range byID {
		if n != 1 {
			t.Errorf("%s applied %d times", id, n)
		}
	}
}

// TestRunConflictAfterEditedAmount: an amount edited after the row was sent is a conflict on the
// rerun (exit 1); nothing is resent.
func TestRunConflictAfterEditedAmount(t *testing.T) {
	t.Parallel()
	g := rtStart(t, sandbox.Config{})
	dir := t.TempDir()
	ops := rtSimpleOps(2)
	in := rtWriteCSV(t, dir, "ops.csv", ops)
	if _, stderr, code := runCLI(t, g.env(), "run", in, "--yes", "--qps", "0"); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, stderr)
	}
	sent := g.n.Load()
	ops[2].fen = 1500 // CH-001: 1000 → 1500
	rtWriteCSV(t, dir, "ops.csv", ops)
	_, stderr, code := runCLI(t, g.env(), "run", in, "--yes", "--qps", "0")
	if code != 1 {
		t.Fatalf("rerun: exit %d; want 1\n%s", code, stderr)
	}
	if n := g.n.Load(); n != sent {
		t.Errorf("rerun sent %d requests; want none", n-sent)
	}
	res := rtReadResults(t, in+".results.xlsx")
	for _, r := range res {
		want := "already_done"
		if r["outer_order_id"] == "CH-001" {
			want = "conflict"
			if r["change_value"] != "1500" || r["note"] == "" {
				t.Errorf("conflict row: change_value %s note %q; want the edited 1500 and a note", r["change_value"], r["note"])
			}
		}
		if r["status"] != want {
			t.Errorf("row %s %s: %s; want %s", r["row"], r["outer_order_id"], r["status"], want)
		}
	}
	for _, b := range g.sb.Balances() {
		if b.CustomerID == "C01" && b.Available != 400 {
			t.Errorf("C01 available %d; want 400 (the first amount, applied once)", b.Available)
		}
	}
	// Putting the row back as it was resumes it as it was: already done, nothing resent.
	ops[2].fen = 1000
	rtWriteCSV(t, dir, "ops.csv", ops)
	if _, stderr, code := runCLI(t, g.env(), "run", in, "--yes", "--qps", "0"); code != 0 {
		t.Fatalf("run after restoring the row: exit %d; want 0\n%s", code, stderr)
	}
	if n := g.n.Load(); n != sent {
		t.Errorf("run after restoring the row sent %d requests; want none", n-sent)
	}
	if got := rtCount(rtReadResults(t, in+".results.xlsx"), "already_done"); got != len(ops) {
		t.Errorf("%d rows already_done after restoring; want %d", got, len(ops))
	}
}

// TestRunRunStoppingErrorThenFixed: a wrong secret stops the run at its first answer, which the
// gateway refused before its ledger; after the fix, the rerun sends every row, that one included.
func TestRunRunStoppingErrorThenFixed(t *testing.T) {
	t.Parallel()
	g := rtStart(t, sandbox.Config{})
	dir := t.TempDir()
	ops := rtSimpleOps(3)
	in := rtWriteCSV(t, dir, "ops.csv", ops)
	env := g.env()
	env["SVBATCH_APP_SECRET"] = "not-the-secret"
	_, stderr, code := runCLI(t, env, "run", in, "--yes", "--qps", "0", "--concurrency", "1")
	if code != exitUsage || !strings.Contains(stderr, "secret") {
		t.Fatalf("wrong secret: exit %d; want 2 naming the secret\n%s", code, stderr)
	}
	if st := rtStatuses(rtReadResults(t, in+".results.xlsx")); len(st) == 0 {
		t.Fatal("no results after a stopped run")
	}
	for _, r := range rtReadResults(t, in+".results.xlsx") {
		if r["status"] != "pending" {
			t.Errorf("after the stop, row %s is %s; want pending (nothing was applied)", r["row"], r["status"])
		}
	}
	if _, stderr, code := runCLI(t, g.env(), "run", in, "--yes", "--qps", "0"); code != 0 {
		t.Fatalf("fixed rerun: exit %d; want 0\n%s", code, stderr)
	}
	if got := rtCount(rtReadResults(t, in+".results.xlsx"), "succeeded"); got != len(ops) {
		t.Errorf("%d rows succeeded after the fix; want all %d", got, len(ops))
	}
}

// TestRunRetryFailed: a rejected row stays failed on reruns until --retry-failed resends it under a
// new request_id generation, after its cause was fixed (the account charged with svbatch call).
func TestRunRetryFailed(t *testing.T) {
	t.Parallel()
	g := rtStart(t, sandbox.Config{})
	dir := t.TempDir()
	ops := []rtOp{
		{brand: "1332", outer: "OK-1", op: "charge", fen: 300, customer: "A"},
		{brand: "1332", outer: "V-1", op: "verify", fen: 500, customer: "POOR"},
	}
	in := rtWriteCSV(t, dir, "ops.csv", ops)
	run := func(extra ...string) (map[string]map[string]string, int, string) {
		_, stderr, code := runCLI(t, g.env(), append([]string{"run", in, "--yes", "--qps", "0"}, extra...)...)
		m := map[string]map[string]string{}
		for _, r := range rtReadResults(t, in+".results.xlsx") {
			m[r["outer_order_id"]] = r
		}
		return m, code, stderr
	}
	res, code, stderr := run()
	if code != 1 || res["V-1"]["status"] != "failed" || res["V-1"]["result_code"] != sandbox.CodeBalanceNotEnough {
		t.Fatalf("first run: exit %d, V-1 %v; want 1, failed with %s\n%s", code, res["V-1"], sandbox.CodeBalanceNotEnough, stderr)
	}
	gen0 := res["V-1"]["request_id"]

	// Fix the cause: charge the account by hand.
	env := g.env()
	if _, stderr, code := runCLI(t, env, "call", "--brand-id", "1332", "--shop-id", "S1", "--operator-id", "op",
		"--outer-order-id", "FIX-1", "--operate-type", "charge", "--change-value", "800", "--customer-id", "POOR"); code != 0 {
		t.Fatalf("call: exit %d\n%s", code, stderr)
	}
	before := g.n.Load()
	res, code, _ = run()
	if code != 1 || res["V-1"]["status"] != "failed" || g.n.Load() != before {
		t.Fatalf("rerun without --retry-failed: exit %d, V-1 %s, %d sent; want 1, failed, nothing sent", code, res["V-1"]["status"], g.n.Load()-before)
	}
	res, code, stderr = run("--retry-failed")
	if code != 0 {
		t.Fatalf("--retry-failed: exit %d; want 0\n%s", code, stderr)
	}
	req := client.RechargeRequest{BrandID: "1332", OperateType: svbatch.Verify, OuterOrderID: "V-1"}
	want := dispatch.GenerationID("", req, gen0, 1)
	if r := res["V-1"]; r["status"] != "succeeded" || r["request_id"] != want || want == gen0 {
		t.Errorf("--retry-failed: V-1 %s as %s; want succeeded as the new generation %s (not %s)", r["status"], r["request_id"], want, gen0)
	}
	if res["OK-1"]["status"] != "already_done" {
		t.Errorf("OK-1: %s; want already_done", res["OK-1"]["status"])
	}
	if n := g.opsByRequest()[want]; n != 1 {
		t.Errorf("the new generation applied %d times; want 1", n)
	}
	for _, b := range g.sb.Balances() {
		if b.CustomerID == "POOR" && b.Available != 300 {
			t.Errorf("POOR available %d; want 800-500", b.Available)
		}
	}
}

// TestRunDryRunRequestIDs: --dry-run sends nothing and plans each row under RequestIDv1 of its
// identity; rows built from the shared vectors get exactly the vectors' ids.
func TestRunDryRunRequestIDs(t *testing.T) {
	t.Parallel()
	type vector struct {
		Namespace       string `json:"namespace"`
		BrandID         string `json:"brand_id"`
		OperateType     int    `json:"operate_type"`
		OuterOrderID    string `json:"outer_order_id"`
		NewOuterOrderID string `json:"new_outer_order_id"`
		RequestID       string `json:"request_id"`
	}
	var vs struct{ Cases []vector }
	if err := json.Unmarshal(rtVectors(t, "request_id.json"), &vs); err != nil {
		t.Fatal(err)
	}
	byNS := map[string][]vector{}
	for _, v := range vs.Cases {
		// only cases a valid file can hold: operate_type 1–4, new_outer_order_id exactly for refunds
		if v.OperateType < 1 || v.OperateType > 4 || (v.NewOuterOrderID != "") != (v.OperateType == 4) {
			continue
		}
		byNS[v.Namespace] = append(byNS[v.Namespace], v)
	}
	if len(byNS) < 2 {
		t.Fatalf("only %d namespaces of usable vectors", len(byNS))
	}
	g := rtStart(t, sandbox.Config{})
	dir := t.TempDir()
	for ns, cases := range byNS {
		var ops []rtOp
		for _, v := range cases {
			ops = append(ops, rtOp{brand: v.BrandID, outer: v.OuterOrderID, newOuter: v.NewOuterOrderID, op: fmt.Sprint(v.OperateType), fen: 100, customer: "C1"})
		}
		in := rtWriteCSV(t, dir, fmt.Sprintf("vectors%d.csv", len(ns)), ops)
		out := in + ".csv"
		_, stderr, code := runCLI(t, g.env(), "run", in, "--dry-run", "--id-namespace", ns, "--out", out)
		if code != 0 {
			t.Fatalf("dry run: exit %d\n%s", code, stderr)
		}
		res := rtReadResults(t, out)
		if len(res) != len(cases) {
			t.Fatalf("%d results; want %d", len(res), len(cases))
		}
		for i, v := range cases {
			if res[i]["request_id"] != v.RequestID || res[i]["status"] != "planned" {
				t.Errorf("namespace %q %s/%d/%s: %s %s; want planned %s", ns, v.BrandID, v.OperateType, v.OuterOrderID, res[i]["status"], res[i]["request_id"], v.RequestID)
			}
		}
	}
	// A mixed file: every row's id is RequestIDv1 of its identity.
	ops := rtSimpleOps(4)
	ops = append(ops, rtOp{brand: "1332", outer: "CH-000", newOuter: "RF-000", op: "refund", fen: 100, customer: "C00"})
	in := rtWriteCSV(t, dir, "mixed.csv", ops)
	if _, stderr, code := runCLI(t, g.env(), "run", in, "--dry-run", "--id-namespace", "ns-1"); code != 0 {
		t.Fatalf("dry run: exit %d\n%s", code, stderr)
	}
	// A dry run has its own default name: it never overwrites the real results.
	if _, err := os.Stat(in + ".results.xlsx"); !os.IsNotExist(err) {
		t.Errorf("the dry run wrote %s.results.xlsx (%v); want its own file", in, err)
	}
	for i, r := range rtReadResults(t, in+".dry-run.results.xlsx") {
		op, _ := svbatch.ParseOperateType(ops[i].op)
		if want := svbatch.RequestIDv1("ns-1", ops[i].brand, int(op), ops[i].outer, ops[i].newOuter); r["request_id"] != want {
			t.Errorf("row %s: %s; want %s", r["row"], r["request_id"], want)
		}
	}
	if n := g.n.Load(); n != 0 {
		t.Errorf("dry runs sent %d requests; want 0", n)
	}
	if _, err := os.Stat(in + ".svbatch.db"); err == nil {
		t.Error("a dry run created a journal")
	}
}

// rtVectors reads a file of ../shared/testvectors (beside the repository), or the client's copy.
func rtVectors(t testing.TB, name string) []byte {
	t.Helper()
	for _, d := range []string{os.Getenv("SVBATCH_TESTVECTORS"), "../../../shared/testvectors", "../../client/testdata/vectors"} {
		if d == "" {
			continue
		}
		if b, err := os.ReadFile(filepath.Join(d, name)); err == nil {
			return b
		}
	}
	t.Fatalf("test vectors %s not found", name)
	return nil
}

// TestRunSecretNeverWritten: the app secret appears in no output: stdout, stderr (JSON logs), any
// cell of any sheet of the workbook, the CSV form, or the journal's files.
func TestRunSecretNeverWritten(t *testing.T) {
	t.Parallel()
	const secret = "Zq7-run-secret-do-not-write"
	g := rtStart(t, sandbox.Config{AppKey: "app-7", Secret: secret, Faults: sandbox.Faults{FailRate: 0.2}, Seed: 5})
	dir := t.TempDir()
	ops := append(rtSimpleOps(3), rtOp{brand: "1332", outer: "V-POOR", op: "verify", fen: 500, customer: "POOR"})
	in := rtWriteCSV(t, dir, "ops.csv", ops)
	env := map[string]string{"SVBATCH_GATEWAY": g.url, "SVBATCH_APP_KEY": "app-7", "SVBATCH_APP_SECRET": secret}
	var outputs []string
	for _, args := range [][]string{
		{"run", in, "--yes", "--qps", "0", "--log-format", "json"},
		{"run", in, "--yes", "--qps", "0", "--log-format", "json", "--out", filepath.Join(dir, "r.csv")},
		{"run", in, "--yes", "--qps", "0", "--retry-failed", "--journal", filepath.Join(dir, "other.db")},
	} {
		stdout, stderr, code := runCLI(t, env, args...)
		if code != 1 {
			t.Fatalf("%v: exit %d; want 1 (one rejected row)\n%s", args, code, stderr)
		}
		outputs = append(outputs, stdout, stderr)
		if args[len(args)-1] == "json" {
			for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
				if !json.Valid([]byte(line)) {
					t.Errorf("--log-format json: not a JSON log line: %s", line)
				}
			}
			for _, msg := range []string{`"msg":"plan"`, `"msg":"run finished"`} {
				if !strings.Contains(stderr, msg) {
					t.Errorf("no JSON %s line:\n%s", msg, stderr)
				}
			}
		}
	}
	for i, o := range outputs {
		if strings.Contains(o, secret) {
			t.Errorf("output %d shows the secret:\n%s", i, o)
		}
	}
	f, err := excelize.OpenFile(in + ".results.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	for _, want := range []string{reports.ResultsSheet, reports.SummarySheet, reports.RetrySheet} {
		if !strings.Contains(strings.Join(sheets, "|"), want) {
			t.Errorf("sheets %v: no %s", sheets, want)
		}
	}
	cells := 0
	for _, sh := range sheets {
		rows, err := f.GetRows(sh)
		if err != nil {
			t.Fatal(err)
		}
		for r, row := range rows {
			for c, v := range row {
				cells++
				if strings.Contains(v, secret) {
					t.Errorf("sheet %s cell %d,%d holds the secret", sh, r+1, c+1)
				}
			}
		}
	}
	if cells < 50 {
		t.Errorf("only %d cells read", cells)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	checked := 0
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		checked++
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s holds the secret", filepath.Base(p))
		}
	}
	if checked < 4 {
		t.Errorf("only %d files checked: %v", checked, files)
	}
}

// TestRunCSVOut: --out x.csv writes the Results sheet as UTF-8 CSV with BOM, ResultsColumns first.
func TestRunCSVOut(t *testing.T) {
	t.Parallel()
	g := rtStart(t, sandbox.Config{})
	dir := t.TempDir()
	ops := rtSimpleOps(2)
	ops[0].customer = "=HYPERLINK(\"x\")" // user text: neutralised
	ops[1].customer = ops[0].customer
	in := rtWriteCSV(t, dir, "ops.csv", ops)
	out := filepath.Join(dir, "results.csv")
	if _, stderr, code := runCLI(t, g.env(), "run", in, "--yes", "--qps", "0", "--out", out); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	b, _ := os.ReadFile(out)
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))))
	hdr, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(hdr[:len(reports.ResultsColumns)], ","); got != strings.Join(reports.ResultsColumns, ",") {
		t.Errorf("header %s; want %s", got, strings.Join(reports.ResultsColumns, ","))
	}
	res := rtReadResults(t, out)
	if len(res) != len(ops) || rtCount(res, "succeeded") != len(ops) {
		t.Fatalf("%d rows, %d succeeded; want %d succeeded", len(res), rtCount(res, "succeeded"), len(ops))
	}
	var lines []string
	for _, r := range res {
		lines = append(lines, r["row"])
	}
	if !sort.SliceIsSorted(res, func(i, j int) bool { return atoiT(res[i]["row"]) < atoiT(res[j]["row"]) }) || res[0]["row"] != "2" {
		t.Errorf("rows %v; want 2, 3, … in order", lines)
	}
	if c := res[0]["customer_id"]; strings.HasPrefix(c, "=") {
		t.Errorf("customer_id %q written as a formula", c)
	}
	if _, err := os.Stat(in + ".results.xlsx"); err == nil {
		t.Error("an xlsx was written too")
	}
}

func atoiT(s string) int {
	n := 0
	fmt.Sscan(s, &n)
	return n
}

// TestRunRefusesAnotherNamespaceOnAJournal: a rerun with another --id-namespace would derive new
// request_ids for rows already applied; it is refused before anything is sent.
func TestRunRefusesAnotherNamespaceOnAJournal(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "ops.csv")
	os.WriteFile(in, []byte("brand_id,shop_id,operator_id,outer_order_id,operate_type,change_value,customer_id\n1332,S1,op,NS-1,charge,100,C1\n"), 0o644)
	sb, err := sandbox.New(sandbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	url, err := sb.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	env := map[string]string{"SVBATCH_GATEWAY": url, "SVBATCH_APP_KEY": sandbox.DefaultAppKey, "SVBATCH_APP_SECRET": sandbox.DefaultSecret}
	if _, errOut, code := runCLI(t, env, "run", in, "--yes", "--id-namespace", "nightly-1"); code != 0 {
		t.Fatalf("first run: exit %d: %s", code, errOut)
	}
	_, errOut, code := runCLI(t, env, "run", in, "--yes", "--id-namespace", "nightly-2")
	if code != exitUsage || !strings.Contains(errOut, "--id-namespace") || !strings.Contains(errOut, "twice") {
		t.Errorf("rerun with another namespace: exit %d, stderr %q; want exit 2 explaining the risk", code, errOut)
	}
	if n := len(sb.Operations()); n != 1 {
		t.Errorf("sandbox applied %d operations; want 1", n)
	}
	if _, errOut, code := runCLI(t, env, "run", in, "--yes", "--id-namespace", "nightly-1"); code != 0 || !strings.Contains(errOut, "already_done 1") {
		t.Errorf("rerun with the same namespace: exit %d, stderr %q; want 0 and already_done", code, errOut)
	}
}

// TestRunFileEditedDuringTheRun: the results describe what was sent, not what the file says after
// an edit made while the run was going: the edited row is a conflict, and run says the file changed.
func TestRunFileEditedDuringTheRun(t *testing.T) {
	t.Parallel()
	g := rtStart(t, sandbox.Config{})
	dir := t.TempDir()
	ops := rtSimpleOps(2)
	in := rtWriteCSV(t, dir, "ops.csv", ops)
	type result struct {
		stderr string
		code   int
	}
	done := make(chan result, 1)
	go func() {
		_, stderr, code := runCLI(t, g.env(), "run", in, "--yes", "--qps", "4", "--concurrency", "1")
		done <- result{stderr, code}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for len(g.sb.Operations()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	first := g.sb.Operations()[0].OuterOrderID
	for i := range ops {
		if ops[i].outer == first {
			ops[i].fen += 1
		}
	}
	rtWriteCSV(t, dir, "ops.csv", ops)
	r := <-done
	if r.code != 1 || !strings.Contains(r.stderr, "changed during the run") {
		t.Fatalf("exit %d; want 1 and a warning that the file changed\n%s", r.code, r.stderr)
	}
	for _, row := range rtReadResults(t, in+".results.xlsx") {
		want := "succeeded"
		if row["outer_order_id"] == first {
			want = "conflict"
		}
		if row["status"] != want {
			t.Errorf("%s: %s; want %s", row["outer_order_id"], row["status"], want)
		}
	}
}
