package sandbox

import (
	"bytes"
	"encoding/csv"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"svbatch"
	"svbatch/client"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// getCSV fetches and parses a CSV export.
func getCSV(t *testing.T, u string) [][]string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("GET %s: %s %s", u, resp.Status, resp.Header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return rows
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

// ledgerScript is a fixed set of operations for export tests, in order.
var ledgerScript = []client.RechargeRequest{
	{BrandID: "B2", ShopID: "S1", OperatorID: "op", CustomerID: "C9", OuterOrderID: "o1", RequestID: "x1", OperateType: svbatch.Charge, ChangeValue: 5000},
	{BrandID: "B1", ShopID: "S1", OperatorID: "op", Mobile: "13800000000", OuterOrderID: "o2", RequestID: "x2", OperateType: svbatch.Charge, ChangeValue: 300},
	{BrandID: "B1", ShopID: "S2", OperatorID: "op", OuterType: "wechat", OuterID: "wx-1", OuterOrderID: "o3", RequestID: "x3", OperateType: svbatch.Charge, ChangeValue: 100, Reason: "=cmd|' /C calc'!A0"},
	{BrandID: "B1", ShopID: "S1", OperatorID: "op", CustomerID: "C1", Mobile: "13900000000", OuterOrderID: "o4", RequestID: "x4", OperateType: svbatch.Charge, ChangeValue: 1000},
	{BrandID: "B1", ShopID: "S1", OperatorID: "op", CustomerID: "C1", OuterOrderID: "h1", RequestID: "x5", OperateType: svbatch.Freeze, ChangeValue: 400},
	{BrandID: "B1", ShopID: "S1", OperatorID: "op", CustomerID: "C1", OuterOrderID: "v1", RequestID: "x6", OperateType: svbatch.Verify, ChangeValue: 9999}, // rejected: not in the log
	{BrandID: "B1", ShopID: "S1", OperatorID: "op", CustomerID: "C1", OuterOrderID: "o4", NewOuterOrderID: "r1", RequestID: "x7", OperateType: svbatch.Refund, ChangeValue: 250},
	{BrandID: "B2", ShopID: "S1", OperatorID: "op", CustomerID: "C9", OuterOrderID: "o1", RequestID: "x1", OperateType: svbatch.Charge, ChangeValue: 5000}, // replay
}

// TestExports checks both CSV exports over HTTP and as functions against golden files.
func TestExports(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s, u := startSandbox(t, Config{Now: clk.Now})
	c := newClient(t, u, client.WithNow(clk.Now))
	for _, req := range ledgerScript {
		do(t, c, req)
		clk.Add(1e9)
	}
	base := strings.TrimSuffix(u, Path)
	for _, name := range []string{"balances.csv", "operations.csv"} {
		resp, err := http.Get(base + "/sandbox/" + name)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		resp.Body.Close()
		golden(t, name, buf.Bytes())
	}
	var b bytes.Buffer
	if err := s.WriteBalancesCSV(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "balances.csv", b.Bytes())
	b.Reset()
	if err := s.WriteOperationsCSV(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "operations.csv", b.Bytes())

	resp, err := http.Get(base + "/sandbox/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("healthz: got %v, %v; want 200", resp, err)
	}
	if resp != nil {
		resp.Body.Close()
	}
}
