package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

const recFixtures = "../../reconcile/testdata/"

// recRun runs the program and returns stdout, stderr and the exit code.
func recRun(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(""), &out, &errb, func(string) string { return "" })
	code := exitCode(err, &errb)
	return out.String(), errb.String(), code
}

func recBalancesServer(t *testing.T) string {
	body, err := os.ReadFile(recFixtures + "actual_balances.csv")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/sandbox/balances.csv" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/sandbox/balances.csv"
}

// The --json summary of the fixture (a break of every category, balances fetched over HTTP) is
// the golden file, byte for byte; breaks exit 1.
func TestReconcileJSONGolden(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "rec.xlsx")
	stdout, stderr, code := recRun(t, "reconcile", recFixtures+"results.csv", recFixtures+"expected.csv", "--json",
		"--out", out, "--as-of", "2025-01-31T18:00:00+08:00",
		"--balances", recFixtures+"balances.csv", "--actual-balances", recBalancesServer(t))
	if code != exitFailed {
		t.Fatalf("exit %d; want %d (breaks). stderr: %s", code, exitFailed, stderr)
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(stdout), &obj); err != nil || strings.Count(stdout, "\n") != 1 {
		t.Fatalf("stdout is not one JSON object on one line: %v\n%s", err, stdout)
	}
	golden := filepath.Join("testdata", "reconcile_summary.golden.json")
	if *updateGolden {
		if err := os.WriteFile(golden, []byte(stdout), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if stdout != string(want) {
		t.Errorf("--json:\n got %s\nwant %s", stdout, want)
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("workbook not written: %v", err)
	}
}

// Two runs on the same inputs with the same --as-of write byte-identical workbooks; by default the
// workbook lands beside RESULTS.
func TestReconcileWorkbookByteIdentical(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	res := filepath.Join(dir, "results.csv")
	data, err := os.ReadFile(recFixtures + "results.csv")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(res, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var files [][]byte
	for i := 0; i < 2; i++ {
		_, stderr, code := recRun(t, "reconcile", res, recFixtures+"expected.csv", "--as-of", "2025-01-31", "--sheet-rows", "3")
		if code != exitFailed {
			t.Fatalf("exit %d; want 1. stderr: %s", code, stderr)
		}
		b, err := os.ReadFile(filepath.Join(dir, "reconciliation.xlsx"))
		if err != nil {
			t.Fatalf("default --out: %v", err)
		}
		files = append(files, b)
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Fatalf("two writes differ")
	}
	f, err := excelize.OpenReader(bytes.NewReader(files[0]))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := []string{"Summary", "Matched", "Matched (2)", "Missing", "Unexpected", "Amount mismatch", "Customer mismatch",
		"Status mismatch", "Duplicate", "Duplicate (2)", "Duplicate (3)"}
	if got := f.GetSheetList(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("sheets %q; want %q", got, want)
	}
	// Sorted by the identity: M-001 charge (1) before the M-001 refund (4); 00123 is brand B2, last.
	rows, _ := f.GetRows("Matched")
	if len(rows) != 3 || rows[1][2] != "M-001" || rows[1][1] != "1" || rows[2][1] != "4" {
		t.Errorf("Matched rows %q; want M-001 charge then refund", rows)
	}
	rows, _ = f.GetRows("Missing")
	if len(rows) != 3 || rows[1][2] != "M-002" || rows[1][14] != "absent" || rows[2][14] != "failed" {
		t.Errorf("Missing rows %q; want M-002 absent, M-003 failed", rows)
	}
}

func TestReconcileExitCodes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	res := write("res.csv", "row,brand_id,operate_type,outer_order_id,new_outer_order_id,change_value,customer_id,status\n2,B1,1,O1,,100,C1,succeeded\n3,B1,4,O1,R1,40,C1,succeeded\n")
	exp := write("exp.csv", "brand_id,operate_type,outer_order_id,new_outer_order_id,change_value\nB1,charge,O1,,1.00\nB1,充值回退,O1,R1,0.40\n")
	badExp := write("bad.csv", "brand_id,operate_type,outer_order_id,change_value\nB1,1,O1,\"1,000\"\n")
	noCol := write("nocol.csv", "brand_id,operate_type,change_value\nB1,1,100\n")
	// Two succeeded rows of 5e18 fen: the actual total would wrap around int64.
	bigRes := write("big.csv", "row,brand_id,operate_type,outer_order_id,new_outer_order_id,change_value,customer_id,status\n2,B1,1,O1,,5000000000000000000,C1,succeeded\n3,B1,1,O2,,5000000000000000000,C1,succeeded\n")
	bigExp := write("bigexp.csv", "brand_id,operate_type,outer_order_id,change_value\nB1,1,O1,5000000000000000000\nB1,1,O2,5000000000000000000\n")
	out := filepath.Join(dir, "out.xlsx")
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // a substring of stdout
		stderr string // a substring of stderr
	}{
		// Everything matched (a yuan ledger with operate_type words): exit 0.
		{"all matched", []string{res, exp, "--amount-unit", "yuan", "--out", out}, exitOK, "all matched", ""},
		// The same ledger read as fen: 1.00 is not whole fen: unusable input.
		{"bad amount", []string{res, exp, "--out", out}, exitUsage, "", "expected row 2 column change_value"},
		// Thousands separators are never guessed at.
		{"bad ledger", []string{res, badExp, "--out", out}, exitUsage, "", "cannot reconcile"},
		// A ledger without outer_order_id.
		{"missing column", []string{res, noCol, "--out", out}, exitUsage, "", "outer_order_id: required column missing"},
		// Read as fen with a tolerance of 100 fen, 1.00 yuan is still not fen: unusable.
		{"tolerance does not round", []string{res, exp, "--tolerance", "100", "--out", out, "--json"}, exitUsage, "", "change_value"},
		// The JSON summary when everything matched.
		{"json all matched", []string{res, exp, "--amount-unit", "yuan", "--out", out, "--json"}, exitOK, `"explained":true}`, ""},
		// A ledger that lacks a row done: unexpected, exit 1.
		{"breaks", []string{res, write("part.csv", "brand_id,operate_type,outer_order_id,change_value\nB1,1,O1,100\n"), "--out", out}, exitFailed, "NOT all matched", ""},
		// Amounts never wrap: over the per-row limit in the ledger, past int64 in the results' total.
		{"ledger over the per-row limit", []string{res, bigExp, "--out", out}, exitUsage, "", "per-row limit of 1000000000000 fen"},
		{"totals overflow", []string{bigRes, exp, "--amount-unit", "yuan", "--out", out}, exitUsage, "", "results row 3 column change_value value \"5000000000000000000\": the actual total passes the int64 limit"},
		{"balances over the limit", []string{res, exp, "--amount-unit", "yuan", "--out", out,
			"--balances", write("bal.csv", "brand_id,customer_id,available,frozen\nB1,C1,10000000000000.01,0\n"),
			"--actual-balances", write("act.csv", "brand_id,customer_id,available,frozen\nB1,C1,60,0\n")}, exitUsage, "", "beyond the limit of ±1000000000000000 fen"},
		{"one argument", []string{res}, exitUsage, "", "needs RESULTS and EXPECTED"},
		{"no such file", []string{filepath.Join(dir, "nope.csv"), exp, "--out", out}, exitUsage, "", "nope.csv"},
		{"bad unit", []string{res, exp, "--amount-unit", "jiao"}, exitUsage, "", "--amount-unit"},
		{"bad as-of", []string{res, exp, "--as-of", "yesterday"}, exitUsage, "", "--as-of"},
		{"balances alone", []string{res, exp, "--balances", exp}, exitUsage, "", "go together"},
		{"negative tolerance", []string{res, exp, "--tolerance", "-1"}, exitUsage, "", "--tolerance"},
		{"out over an input", []string{res, exp, "--out", res}, exitUsage, "", "overwrite an input"},
		{"unknown flag", []string{res, exp, "--frobnicate"}, exitUsage, "", "unknown flag"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := recRun(t, append([]string{"reconcile"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d; want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout, stderr)
			}
			if !strings.Contains(stdout, tc.stdout) {
				t.Errorf("stdout %q; want it to contain %q", stdout, tc.stdout)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr %q; want it to contain %q", stderr, tc.stderr)
			}
		})
	}
}

// TestReconcileMatchedCSV: past --matched-csv-above, the matched rows go to <out>.matched.csv
// (read back by Python's csv module when there is one, else Go's), the workbook's Matched sheet says
// where, every other sheet and the exit code are as before; -1 keeps them in the workbook.
func TestReconcileMatchedCSV(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "rec.xlsx")
	stdout, stderr, code := recRun(t, "reconcile", recFixtures+"results.csv", recFixtures+"expected.csv", "--out", out, "--as-of", "2025-01-31", "--matched-csv-above", "1")
	if code != exitFailed || !strings.Contains(stdout, "matched rows: "+filepath.Join(dir, "rec.matched.csv")) {
		t.Fatalf("exit %d; want 1 naming the CSV\n%s%s", code, stdout, stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "rec.matched.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var recs [][]string
	if py, err := exec.LookPath("python3"); err == nil {
		cmd := exec.Command(py, "-c", `import csv,json,sys; print(json.dumps(list(csv.reader(open(sys.argv[1], encoding="utf-8-sig")))))`, filepath.Join(dir, "rec.matched.csv"))
		js, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(js, &recs); err != nil {
			t.Fatal(err)
		}
	} else if recs, err = csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll(); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || recs[0][0] != "brand_id" || recs[1][2] != "M-001" || recs[1][1] != "1" || recs[2][1] != "4" {
		t.Errorf("matched CSV %q; want the header, then M-001 charge and refund and 00123", recs)
	}
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("Matched")
	missing, _ := f.GetRows("Missing")
	f.Close()
	if len(rows) != 2 || !strings.Contains(rows[1][0], "rec.matched.csv") || len(missing) != 3 {
		t.Errorf("Matched sheet %q, Missing %d rows; want a pointer to the CSV, Missing unchanged", rows, len(missing))
	}
	if _, _, code := recRun(t, "reconcile", recFixtures+"results.csv", recFixtures+"expected.csv", "--out", filepath.Join(dir, "all.xlsx"), "--matched-csv-above", "-1"); code != exitFailed {
		t.Fatalf("exit %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "all.matched.csv")); err == nil {
		t.Error("--matched-csv-above -1 wrote a CSV")
	}
}
