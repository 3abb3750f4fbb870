package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

const valFixtures = "../../batch/testdata/"

// valRun runs the program and returns stdout, stderr and the exit code.
func valRun(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(""), &out, &errb, func(string) string { return "" })
	code := exitCode(err, &errb)
	return out.String(), errb.String(), code
}

func TestValidateExitCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string // parts of stdout
		stderr string   // part of stderr ("" = empty)
	}{
		// Every sample is valid.
		{"sample csv", []string{"validate", "../../samples/operations.csv"}, exitOK, []string{"all valid", "(utf-8)"}, ""},
		{"sample xlsx", []string{"validate", "../../samples/operations_zh.xlsx"}, exitOK, []string{"all valid", "(xlsx)"}, ""},
		{"sample gbk", []string{"validate", "../../samples/operations_gbk.csv"}, exitOK, []string{"all valid", "(gbk)"}, ""},
		{"sample erp", []string{"validate", "../../samples/operations_erp.csv", "--mapping", "../../samples/mapping.yaml", "--amount-unit", "yuan"}, exitOK, []string{"all valid"}, ""},
		// Problems: a summary and the first problems grouped by column, exit 2.
		{"bad rows", []string{"validate", valFixtures + "bad_rows.csv", "--show", "5"}, exitUsage,
			[]string{"24 rows (utf-8), 0 valid, 24 problems", "outer_order_id:\n  row 2: O-1 — duplicated in row 21", "change_value:\n  row 5: 10.5", "… and 19 more"}, ""},
		{"control chars quoted", []string{"validate", valFixtures + "bad_rows.csv", "--show", "100"}, exitUsage, []string{`row 20: "two\nlines" — contains a control character`}, ""},
		{"header", []string{"validate", valFixtures + "missing_columns.csv"}, exitUsage, []string{"the header cannot be used", "required column operator_id"}, ""},
		{"sheet", []string{"validate", valFixtures + "lo_fixture.xlsx", "--sheet", "Ops"}, exitUsage, []string{"手机号:\n  row 6: 1.86518E+10 — is shown in scientific notation"}, ""},
		{"delimiter", []string{"validate", valFixtures + "semicolon.csv", "--delimiter", ";"}, exitOK, []string{"all valid"}, ""},
		// Unreadable files: one clear line, exit 2.
		{"empty", []string{"validate", valFixtures + "empty.csv"}, exitUsage, nil, "is empty"},
		{"binary", []string{"validate", valFixtures + "binary.csv"}, exitUsage, nil, "binary file"},
		{"encrypted", []string{"validate", valFixtures + "encrypted.xlsx"}, exitUsage, nil, "encrypted"},
		{"corrupt", []string{"validate", valFixtures + "corrupt.xlsx"}, exitUsage, nil, "corrupt"},
		{"missing", []string{"validate", valFixtures + "nope.csv"}, exitUsage, nil, "cannot open"},
		{"no sheet", []string{"validate", valFixtures + "lo_fixture.xlsx", "--sheet", "X"}, exitUsage, nil, `no sheet "X"`},
		// Bad flags.
		{"bad unit", []string{"validate", valFixtures + "yuan.csv", "--amount-unit", "cents"}, exitUsage, nil, "--amount-unit"},
		{"bad encoding", []string{"validate", valFixtures + "yuan.csv", "--encoding", "latin1"}, exitUsage, nil, "--encoding"},
		{"bad delimiter", []string{"validate", valFixtures + "yuan.csv", "--delimiter", "x"}, exitUsage, nil, "--delimiter"},
		{"no file", []string{"validate"}, exitUsage, nil, "needs one FILE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, errOut, code := valRun(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d; want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			if tc.stderr == "" && errOut != "" {
				t.Errorf("stderr = %q; want nothing", errOut)
			}
			if tc.stderr != "" && (!strings.Contains(errOut, tc.stderr) || strings.Count(errOut, "\n") != 1) {
				t.Errorf("stderr = %q; want one line with %q (stdout %q, exit %d)", errOut, tc.stderr, out, code)
			}
		})
	}
}

// The --json output is the golden file, byte for byte.
func TestValidateJSONGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"cmd_bad_rows", []string{"validate", "--json", valFixtures + "bad_rows.csv"}, exitUsage},
		{"cmd_gbk", []string{"validate", "--json", valFixtures + "gbk.csv"}, exitOK},
		{"cmd_libreoffice", []string{"validate", "--json", "--sheet", "2", valFixtures + "lo_fixture.xlsx"}, exitUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, errOut, code := valRun(t, tc.args...)
			if code != tc.code || errOut != "" {
				t.Fatalf("exit %d, stderr %q; want %d and nothing", code, errOut, tc.code)
			}
			golden := valFixtures + "golden/" + tc.name + ".json"
			if *updateGolden {
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("golden: %v (run with -update)", err)
			}
			if out != string(want) {
				t.Errorf("--json output differs from %s:\n%s", golden, out)
			}
		})
	}
}

// --out writes the input back: bad cells highlighted with a comment, and an Errors sheet.
func TestValidateOutWorkbook(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "errors.xlsx")
	_, errOut, code := valRun(t, "validate", valFixtures+"bad_rows.csv", "--out", out)
	if code != exitUsage || errOut != "" {
		t.Fatalf("exit %d, stderr %q; want 2 and nothing", code, errOut)
	}
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Row 5's change_value (column G) is the input's cell, highlighted, with the message as a comment.
	if v, _ := f.GetCellValue("Input", "G5"); v != "10.5" {
		t.Errorf("Input!G5 = %q; want 10.5", v)
	}
	if v, _ := f.GetCellValue("Input", "D18"); len(v) != 65 {
		t.Errorf("Input!D18 has %d characters; want the 65 of the input", len(v))
	}
	good, _ := f.GetCellStyle("Input", "G2")
	bad, _ := f.GetCellStyle("Input", "G5")
	if good == bad {
		t.Errorf("Input!G5 has the style of a good cell (%d)", good)
	}
	comments, err := f.GetComments("Input")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range comments {
		if c.Cell == "G5" && strings.Contains(c.Paragraph[0].Text, "not a whole number of fen") {
			found = true
		}
	}
	if !found {
		t.Errorf("no comment on G5 with the message; comments: %+v", comments)
	}
	rows, err := f.GetRows("Errors")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 25 || strings.Join(rows[0], ",") != "row,cell,column,value,message" {
		t.Fatalf("Errors sheet: %d rows, header %q; want 25 (24 problems) and row,cell,column,value,message", len(rows), rows[0])
	}
	if got := strings.Join(rows[4][:4], ","); got != "5,G5,change_value,10.5" {
		t.Errorf("Errors row 5 = %q; want 5,G5,change_value,10.5", got)
	}
}
