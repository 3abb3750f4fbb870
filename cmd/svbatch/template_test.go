package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"svbatch/batch"
	"svbatch/reports"
	"svbatch/table"
)

func TestTemplate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		lang, sheet, header, opChoice string
	}{
		{"en", "Operations", "brand_id", "charge"},
		{"zh", "操作", "品牌ID", "充值"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "template.xlsx")
			out, errOut, code := valRun(t, "template", "--out", path, "--lang", tc.lang)
			if code != exitOK || errOut != "" || !strings.Contains(out, "wrote "+path) {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
			f, err := excelize.OpenFile(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got := f.GetSheetList(); len(got) != 3 || got[0] != tc.sheet || got[1] != reports.ExampleSheet || got[2] != "Instructions" {
				t.Errorf("sheets %q; want [%s %s Instructions]", got, tc.sheet, reports.ExampleSheet)
			}
			header, _ := f.GetRows(tc.sheet)
			if header[0][0] != tc.header || len(header[0]) != 13 {
				t.Errorf("header %q; want 13 columns starting with %s", header[0], tc.header)
			}
			// Every header maps back to its canonical column.
			for i, h := range header[0] {
				if c, ok := batch.CanonicalHeader(h, nil); !ok || c != batch.ColumnDocs()[i].Name {
					t.Errorf("header %q maps to %q, %v; want %s", h, c, ok, batch.ColumnDocs()[i].Name)
				}
			}
			// Id and mobile columns are Text (number format 49).
			for _, col := range []string{"A", "D", "I"} {
				id, err := f.GetColStyle(tc.sheet, col)
				if err != nil {
					t.Fatal(err)
				}
				st, err := f.GetStyle(id)
				if err != nil || st.NumFmt != 49 {
					t.Errorf("column %s: style %d numfmt %v (%v); want Text (49)", col, id, st, err)
				}
			}
			dvs, err := f.GetDataValidations(tc.sheet)
			if err != nil {
				t.Fatal(err)
			}
			lists := map[string]string{}
			for _, dv := range dvs {
				lists[strings.SplitN(dv.Sqref, ":", 2)[0]] = dv.Type + " " + dv.Formula1 + " " + deref(dv.Prompt)
			}
			if !strings.Contains(lists["F2"], "list") || !strings.Contains(lists["F2"], tc.opChoice) {
				t.Errorf("operate_type validation %q; want a drop-down with %s", lists["F2"], tc.opChoice)
			}
			if !strings.Contains(lists["K2"], "wechat") {
				t.Errorf("outer_type validation %q; want a drop-down with wechat", lists["K2"])
			}
			if !strings.Contains(lists["G2"], "whole") || !strings.Contains(lists["G2"], "10000") {
				t.Errorf("change_value validation %q; want whole numbers with a hint in fen", lists["G2"])
			}
			// The data sheet holds no operation: the example sits on its own sheet, where it is
			// valid input but never read when the data sheet is filled in.
			if rep, err := batch.Validate(path, batch.Options{}); err != nil || rep.Rows != 0 {
				t.Errorf("validate template: %+v, %v; want no rows on the data sheet", rep, err)
			}
			rep, err := batch.Validate(path, batch.Options{Table: table.Options{Sheet: reports.ExampleSheet}})
			if err != nil || !rep.OK() || rep.Rows != 1 {
				t.Errorf("validate the Example sheet: %+v, %v; want one valid example row", rep, err)
			}
			for _, dv := range dvs {
				if strings.HasPrefix(dv.Sqref, "G2") && dv.Formula2 != "1000000000000" {
					t.Errorf("change_value validation up to %q; want the real per-row limit, 1000000000000 fen", dv.Formula2)
				}
			}
		})
	}
	if _, errOut, code := valRun(t, "template", "--lang", "fr"); code != exitUsage || !strings.Contains(errOut, "--lang") {
		t.Errorf("--lang fr: exit %d, stderr %q; want 2 naming --lang", code, errOut)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
