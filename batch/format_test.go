package batch

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestXLSXNumberFormats: a number is read as Excel shows it where that is an id (zero padding),
// refused where what Excel shows is not the id (separators, symbols, scientific notation) or not
// the amount (rounded by its format), and taken as the exact number where only its look changed
// (an amount with separators). A formula without a value is refused in every column, reason too.
func TestXLSXNumberFormats(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "formats.xlsx")
	f := excelize.NewFile()
	sh := "Sheet1"
	header := []any{"brand_id", "shop_id", "operator_id", "outer_order_id", "operate_type", "change_value", "mobile", "reason"}
	if err := f.SetSheetRow(sh, "A1", &header); err != nil {
		t.Fatal(err)
	}
	style := func(code string) int {
		id, err := f.NewStyle(&excelize.Style{CustomNumFmt: &code})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	type cell struct {
		ref  string
		v    any
		code string
	}
	rows := [][]cell{
		// row 2: valid: shop 123 shows 00123, amount 10000 shows 10,000 (the same number).
		{{"A2", 1332, ""}, {"B2", 123, "00000"}, {"C2", "op", ""}, {"D2", "O-1", ""}, {"E2", 1, ""}, {"F2", 10000, "#,##0"}, {"G2", "18651822226", ""}, {"H2", "ok", ""}},
		// row 3: brand 1332 shows 1,332: not the id.
		{{"A3", 1332, "#,##0"}, {"B3", "S1", ""}, {"C3", "op", ""}, {"D3", "O-2", ""}, {"E3", 1, ""}, {"F3", 100, ""}, {"G3", "18651822227", ""}},
		// row 4: shop 7 shows S007: not the id.
		{{"A4", "B1", ""}, {"B4", 7, `"S"000`}, {"C4", "op", ""}, {"D4", "O-3", ""}, {"E4", 1, ""}, {"F4", 100, ""}, {"G4", "18651822228", ""}},
		// row 5: amount 10.6 shows 11 (rounded by its format): not what Excel shows.
		{{"A5", "B1", ""}, {"B5", "S1", ""}, {"C5", "op", ""}, {"D5", "O-4", ""}, {"E5", 1, ""}, {"F5", 10.6, "0"}, {"G5", "18651822229", ""}},
		// row 6: mobile shown in scientific notation (exact number).
		{{"A6", "B1", ""}, {"B6", "S1", ""}, {"C6", "op", ""}, {"D6", "O-5", ""}, {"E6", 1, ""}, {"F6", 100, ""}, {"G6", 18651822226, "0.00E+00"}},
	}
	for _, r := range rows {
		for _, c := range r {
			if err := f.SetCellValue(sh, c.ref, c.v); err != nil {
				t.Fatal(err)
			}
			if c.code != "" {
				if err := f.SetCellStyle(sh, c.ref, c.ref, style(c.code)); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	// row 7: the reason is a formula without a value.
	for _, c := range []cell{{"A7", "B1", ""}, {"B7", "S1", ""}, {"C7", "op", ""}, {"D7", "O-6", ""}, {"E7", 1, ""}, {"F7", 100, ""}, {"G7", "18651822230", ""}} {
		f.SetCellValue(sh, c.ref, c.v)
	}
	if err := f.SetCellFormula(sh, "H7", `"note "&D7`); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	rep, err := Validate(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"row 3, brand_id: 1332":     "makes Excel show 1,332",
		"row 4, shop_id: 7":         "makes Excel show S007",
		"row 5, change_value: 10.6": "makes Excel show 11",
		"row 6, mobile: 1.87E+10":   "scientific notation",
		"row 7, reason":             "open and save the file",
	}
	if rep.Valid != 1 || len(rep.Errors) != len(want) {
		t.Errorf("%d valid, problems %v; want row 2 valid and %d problems", rep.Valid, rep.Errors, len(want))
	}
	for _, p := range rep.Errors {
		found := false
		for k, w := range want {
			if strings.HasPrefix(p.String(), k) && strings.Contains(p.Message, w) {
				found = true
			}
		}
		if !found {
			t.Errorf("unexpected problem %s", p)
		}
	}
	r, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	row, problems, err := r.Next()
	if err != nil || len(problems) > 0 || row.Req.ShopID != "00123" || row.Req.ChangeValue != 10000 {
		t.Errorf("row 2: shop %q, amount %d, %v %v; want 00123 and 10000", row.Req.ShopID, row.Req.ChangeValue, problems, err)
	}
}
