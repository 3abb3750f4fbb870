package sandbox

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"svbatch/client"
)

// TestRestartWithDB: balances, idempotency records and the operation log survive a restart.
func TestRestartWithDB(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "ledger.db")
	clk := newClock()
	s1, err := New(Config{DBPath: db, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	u, err := s1.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, u, client.WithNow(clk.Now))
	first := make(map[string]string) // request_id → trace id
	for _, req := range ledgerScript {
		resp := do(t, c, req)
		first[req.RequestID] = resp.TraceID
	}
	var before bytes.Buffer
	s1.WriteBalancesCSV(&before)
	opsBefore := s1.Operations()
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}

	s2, u2 := startSandbox(t, Config{DBPath: db, Now: clk.Now})
	var after bytes.Buffer
	s2.WriteBalancesCSV(&after)
	if before.String() != after.String() {
		t.Errorf("balances after restart:\n%s\nwant:\n%s", after.String(), before.String())
	}
	c2 := newClient(t, u2, client.WithNow(clk.Now))
	for _, req := range ledgerScript { // every replay answers its stored answer, nothing moves
		resp := do(t, c2, req)
		if resp.TraceID != first[req.RequestID] {
			t.Errorf("%s: got trace %s; want the stored %s", req.RequestID, resp.TraceID, first[req.RequestID])
		}
	}
	// an applied order under a new request_id is ORDER_EXISTS after the restart too
	dup := ledgerScript[0]
	dup.RequestID = "x1-new"
	if r := do(t, c2, dup).Result; r.ResultCode != CodeOrderExists {
		t.Errorf("got %+v; want ORDER_EXISTS", r)
	}
	// a conflict is still detected
	conf := ledgerScript[1]
	conf.ChangeValue++
	if ae := apiErr(t, c2, conf); ae.SubCode != "isv.request-id-conflict" {
		t.Errorf("got %+v; want a request_id conflict", ae)
	}
	// the open hold survives: verify posts it
	ver := ledgerScript[4]
	ver.OperateType, ver.RequestID, ver.ChangeValue = 3, "x8", 100
	if r := do(t, c2, ver).Result; !r.OK() {
		t.Errorf("verify of the stored hold: got %+v", r)
	}
	if av, fr := balanceOf(s2, "C1"); av != 650 || fr != 0 {
		t.Errorf("got available %d frozen %d; want 650 0", av, fr)
	}
	if ops := s2.Operations(); len(ops) != len(opsBefore)+1 || ops[len(ops)-1].Seq != opsBefore[len(opsBefore)-1].Seq+1 {
		t.Errorf("got %d operations; want %d continuing the seq", len(ops), len(opsBefore)+1)
	}
}

// TestExportDB exports a ledger file without serving, and refuses a missing one.
func TestExportDB(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "ledger.db")
	clk := newClock()
	s, u := startSandbox(t, Config{DBPath: db, Now: clk.Now})
	c := newClient(t, u, client.WithNow(clk.Now))
	for _, req := range ledgerScript {
		do(t, c, req)
	}
	var fromServer, fromFile bytes.Buffer
	s.WriteOperationsCSV(&fromServer)
	if err := ExportDB(db, ExportOperations, &fromFile); err != nil {
		t.Fatal(err)
	}
	if fromServer.String() != fromFile.String() {
		t.Errorf("ExportDB operations:\n%s\nwant:\n%s", fromFile.String(), fromServer.String())
	}
	fromFile.Reset()
	if err := ExportDB(db, ExportBalances, &fromFile); err != nil || !strings.HasPrefix(fromFile.String(), "brand_id,customer_id,") {
		t.Errorf("ExportDB balances: %v %q", err, fromFile.String())
	}
	missing := filepath.Join(t.TempDir(), "none.db")
	if err := ExportDB(missing, ExportBalances, &fromFile); err == nil {
		t.Error("ExportDB of a missing file: got nil error")
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("ExportDB created the missing file")
	}
	if err := ExportDB(db, "accounts", &fromFile); err == nil {
		t.Error("ExportDB accounts: got nil error")
	}
}
