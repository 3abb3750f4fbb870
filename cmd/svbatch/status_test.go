package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"svbatch/sandbox"
)

// TestStatus: status shows a journal's runs, rows per state and the rows that need attention
// (exit 1), as text and JSON; a journal with nothing to do exits 0; a missing one exits 2.
func TestStatus(t *testing.T) {
	t.Parallel()
	g := rtStart(t, sandbox.Config{})
	dir := t.TempDir()
	in := rtWriteCSV(t, dir, "ops.csv", []rtOp{
		{brand: "1332", outer: "OK-1", op: "charge", fen: 300, customer: "A"},
		{brand: "1332", outer: "V-1", op: "verify", fen: 500, customer: "POOR"},
	})
	if _, stderr, code := runCLI(t, g.env(), "run", in, "--yes", "--qps", "0"); code != 1 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	jpath := in + ".svbatch.db"
	out, stderr, code := runCLI(t, nil, "status", jpath)
	if code != 1 || !strings.Contains(out, "Runs: 1") || !strings.Contains(out, "failed 1") || !strings.Contains(out, "succeeded 1") ||
		!strings.Contains(out, "Needs attention: 1") || !strings.Contains(out, sandbox.CodeBalanceNotEnough) ||
		!strings.Contains(out, "Amounts as sent: failed 5.00 yuan (500 fen), succeeded 3.00 yuan (300 fen)") {
		t.Errorf("status: exit %d; want 1 with the run, the counts and the failed row\n%s%s", code, out, stderr)
	}
	out, _, code = runCLI(t, nil, "status", jpath, "--json")
	var st struct {
		Runs      []map[string]any `json:"runs"`
		Counts    map[string]int   `json:"counts"`
		Amounts   map[string]int64 `json:"amounts_fen"`
		Attention int              `json:"needs_attention"`
		Rows      []struct {
			Row        int    `json:"row"`
			State      string `json:"state"`
			ResultCode string `json:"result_code"`
		} `json:"attention"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if code != 1 || len(st.Runs) != 1 || st.Counts["failed"] != 1 || st.Counts["succeeded"] != 1 || st.Attention != 1 ||
		st.Amounts["failed"] != 500 || st.Amounts["succeeded"] != 300 ||
		len(st.Rows) != 1 || st.Rows[0].Row != 3 || st.Rows[0].State != "failed" || st.Rows[0].ResultCode != sandbox.CodeBalanceNotEnough {
		t.Errorf("--json: exit %d, %+v", code, st)
	}

	ok := rtWriteCSV(t, dir, "ok.csv", rtSimpleOps(1))
	if _, stderr, code := runCLI(t, g.env(), "run", ok, "--yes", "--qps", "0"); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	if out, _, code := runCLI(t, nil, "status", ok+".svbatch.db"); code != 0 || !strings.Contains(out, "Nothing needs attention") {
		t.Errorf("status of a finished journal: exit %d\n%s", code, out)
	}
	if _, stderr, code := runCLI(t, nil, "status", filepath.Join(dir, "nope.svbatch.db")); code != exitUsage || !strings.Contains(stderr, "nope.svbatch.db") {
		t.Errorf("missing journal: exit %d\n%s", code, stderr)
	}
}
