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
		example, instructions         string // the other sheets' names
		required, remark              string // the Instructions' 必填 of brand_id, the example's remark
	}{
		{"en", "Operations", "brand_id", "charge", reports.ExampleSheet, "Instructions", "yes", "Member top-up"},
		{"zh", "操作", "品牌ID", "充值", "示例", "填写说明", "是", "会员充值"},
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
			if got := f.GetSheetList(); len(got) != 3 || got[0] != tc.sheet || got[1] != tc.example || got[2] != tc.instructions {
				t.Errorf("sheets %q; want [%s %s %s]", got, tc.sheet, tc.example, tc.instructions)
			}
			// The Instructions speak the template's language: 必填 says 是/否, the example remark is
			// Chinese, and no instruction is cut (wrapped text, the rows tall enough).
			ins, _ := f.GetRows(tc.instructions)
			var brandReq, remark string
			for _, r := range ins {
				if len(r) >= 4 && r[0] == tc.header {
					brandReq = r[1]
				}
				if len(r) >= 4 && (r[0] == "reason" || r[0] == "备注") {
					remark = r[3]
				}
				for _, c := range r {
					if tc.lang == "zh" && (c == "yes" || c == "no" || c == "refunds") {
						t.Errorf("Chinese Instructions hold the English word %q: %q", c, r)
					}
				}
			}
			if brandReq != tc.required || remark != tc.remark {
				t.Errorf("Instructions: brand_id required %q, example remark %q; want %q, %q", brandReq, remark, tc.required, tc.remark)
			}
			if st, _ := f.GetCellStyle(tc.instructions, "A1"); st == 0 {
				t.Errorf("the first instruction has no (wrapping) style")
			} else if s, _ := f.GetStyle(st); s == nil || s.Alignment == nil || !s.Alignment.WrapText {
				t.Errorf("the first instruction is not wrapped: %+v", s)
			}
			if h, _ := f.GetRowHeight(tc.instructions, 2); h < 30 {
				t.Errorf("the second instruction's row is %.0f points high; want room for its wrapped lines", h)
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
			rep, err := batch.Validate(path, batch.Options{Table: table.Options{Sheet: tc.example}})
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
