package main

import (
	"path/filepath"
	"strings"
	"testing"

	"svbatch/sandbox"
)

const corpusDir = "../../table/testdata/corpus/"

// TestInputFidelityThroughTheCLI: what the reader finds reaches the person through the CLI: a
// header that names its unit (金额(元)) decides the unit when --amount-unit is not given, and
// contradicting it is refused; warnings (hidden rows) are printed by validate and by run before it
// sends; a title above the header is found and the header row said; --header-row chooses it.
func TestInputFidelityThroughTheCLI(t *testing.T) {
	t.Parallel()
	yuan := corpusDir + "csv_header_amount_yuan.csv"
	if out, _, code := runCLI(t, nil, "validate", yuan); code != 0 || !strings.Contains(out, "all valid") {
		t.Errorf("validate %s: exit %d\n%s", yuan, code, out)
	}
	if out, _, code := runCLI(t, nil, "validate", yuan, "--amount-unit", "fen"); code != exitUsage || !strings.Contains(out, "yuan") {
		t.Errorf("--amount-unit fen on a yuan header: exit %d; want 2 naming the contradiction\n%s", code, out)
	}
	hidden := corpusDir + "xlsx_hidden_rows_columns.xlsx"
	if out, _, code := runCLI(t, nil, "validate", hidden); code != 0 || !strings.Contains(out, "Warning: rows 4, 9 are hidden") {
		t.Errorf("validate %s: exit %d; want 0 and the hidden-rows warning\n%s", hidden, code, out)
	}
	titled := corpusDir + "csv_title_rows_totals.csv"
	if out, _, _ := runCLI(t, nil, "validate", titled); !strings.Contains(out, "the header is in row 4") || !strings.Contains(out, "totals row") {
		t.Errorf("validate %s: want the header row said and the totals row refused\n%s", titled, out)
	}
	if _, stderr, code := runCLI(t, nil, "validate", titled, "--header-row", "-1"); code != exitUsage || !strings.Contains(stderr, "--header-row") {
		t.Errorf("--header-row -1: exit %d\n%s", code, stderr)
	}

	g := rtStart(t, sandbox.Config{})
	out := filepath.Join(t.TempDir(), "r.xlsx")
	_, stderr, code := runCLI(t, g.env(), "run", hidden, "--yes", "--qps", "0", "--dry-run", "--out", out)
	if code != 0 || !strings.Contains(stderr, "Warning: rows 4, 9 are hidden") {
		t.Errorf("run --dry-run %s: exit %d; want the warning before anything is sent\n%s", hidden, code, stderr)
	}
}
