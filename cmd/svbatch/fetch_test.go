package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"svbatch/reconcile"
)

// TestFetchBalances: a balances CSV over HTTP reads as the file does, with the body's checksum;
// a failing endpoint is an error naming the status, without the query (it may hold a token).
func TestFetchBalances(t *testing.T) {
	t.Parallel()
	const file = "../../reconcile/testdata/actual_balances.csv"
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/sandbox/balances.csv" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		_, _ = w.Write(body)
	}))
	defer srv.Close()

	fromURL, sum, err := fetchBalances(context.Background(), srv.Client(), srv.URL+"/sandbox/balances.csv?token=x")
	if err != nil {
		t.Fatal(err)
	}
	fromFile, fileSum, err := reconcile.ReadBalancesFile(file, "actual balances", 0, nil, reconcile.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum != fileSum {
		t.Errorf("URL body checksum %s; want the file's %s", sum, fileSum)
	}
	if len(fromURL) != len(fromFile) || len(fromURL) == 0 {
		t.Fatalf("balances from URL %d; from the file %d", len(fromURL), len(fromFile))
	}
	for i := range fromURL {
		if a, b := fromURL[i], fromFile[i]; a.BrandID != b.BrandID || a.Customer != b.Customer || a.Available != b.Available || a.Frozen != b.Frozen {
			t.Errorf("balance %d from URL %+v; from the file %+v", i, a, b)
		}
	}

	_, _, err = fetchBalances(context.Background(), srv.Client(), srv.URL+"/nope?token=secret")
	if err == nil || !strings.Contains(err.Error(), "404") || strings.Contains(err.Error(), "secret") {
		t.Errorf("got %v; want a 404 error without the query", err)
	}
}
