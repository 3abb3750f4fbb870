package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemo runs `svbatch demo` end to end: every sample row succeeds against the faulty sandbox,
// the reconciliation finds exactly the three planted breaks, and the balances match; the three-way
// reconciliation also finds the operation planted on the platform outside the run and proves every
// account's balance.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("demo takes a few seconds")
	}
	dir := filepath.Join(t.TempDir(), "demo")
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"demo", "--out", dir, "--no-progress", "--qps", "400", "--as-of", "2026-11-27"},
		strings.NewReader(""), &out, &errb, func(string) string { return "" })
	if code := exitCode(err, &errb); code != 0 {
		t.Fatalf("demo exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	all := out.String() + errb.String()
	for _, want := range []string{"Results: succeeded 369", "missing            1", "unexpected         1", "amount_mismatch    1",
		"balance_mismatch   0", "matched            367", "explained",
		// the three-way reconcile: the operation planted on the platform outside the run, every balance proved
		"platform_matched          369", "platform_only             1      1000", "results_only              0",
		"platform_amount_mismatch  0", "platform net difference +1000 fen", "balance proof: 120 of 120 accounts proved",
		"1.10 per reconciled account"} {
		if !strings.Contains(all, want) {
			t.Errorf("demo output lacks %q:\n%s", want, all)
		}
	}
	for _, f := range []string{"operations.csv", "results.xlsx", "journal.db", "expected.csv", "reconciliation.xlsx",
		"expected_balances.csv", "sandbox_balances.csv", "sandbox_operations.csv", "reconciliation_platform.xlsx", "platform_cache.json"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("demo did not write %s: %v", f, err)
		}
	}
	// The sandbox applied each of the 369 rows exactly once, despite timeouts after applying.
	f, err := os.Open(filepath.Join(dir, "sandbox_operations.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range recs[1:] {
		if seen[r[1]] {
			t.Errorf("request_id %s applied twice", r[1])
		}
		seen[r[1]] = true
	}
	// (written before the operation planted outside the run, which only the three-way reconcile sees)
	if len(seen) != 369 {
		t.Errorf("sandbox applied %d operations; want 369", len(seen))
	}
}
