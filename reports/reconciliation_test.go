package reports

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func recSample() (ReconciliationSummary, []ReconciliationSheet) {
	sum := ReconciliationSummary{
		AsOf:          time.Date(2025, 1, 31, 18, 0, 0, 0, time.FixedZone("CST", 8*3600)),
		Inputs:        []ReconciliationInput{{Role: "results", Name: "r.xlsx", SHA256: "ab12", Rows: 3}, {Role: "expected", Name: "=e.csv", SHA256: "cd34", Rows: 4}},
		Categories:    []ReconciliationLine{{Name: "matched", Count: 2, Amount: 300}, {Name: "missing", Count: 3, Amount: 700, Expected: 700, Difference: -700}},
		ExpectedTotal: 1000, ActualTotal: 300, NetDifference: -700, DifferenceSum: -700, Explained: true,
		Statement: []string{"actual 300 − expected 1000 = -700"},
		Params:    [][2]string{{"tolerance (fen)", "0"}},
	}
	cols := []ReconciliationColumn{{Name: "outer_order_id", Text: true}, {Name: "change_value"}, {Name: "note"}}
	rows := [][]any{{"00123", int64(100), "=HYPERLINK(\"x\")"}, {"O2", int64(200), nil}, {"O3", 300, "ok"}}
	sheets := []ReconciliationSheet{
		{Name: "Missing", Columns: cols, Rows: func(yield func([]any) bool) {
			for _, r := range rows {
				if !yield(r) {
					return
				}
			}
		}},
	}
	return sum, sheets
}

// The workbook holds what it was given: Summary first, category sheets continued past the row
// limit, ids as text, amounts as numbers, formula-like text neutralised.
func TestWriteReconciliation(t *testing.T) {
	t.Parallel()
	sum, sheets := recSample()
	var buf bytes.Buffer
	if err := WriteReconciliation(&buf, sum, sheets, ReconciliationOptions{SheetRowLimit: 3}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, want := f.GetSheetList(), []string{"Summary", "Missing", "Missing (2)"}; !slices.Equal(got, want) {
		t.Fatalf("sheets %q; want %q", got, want)
	}
	tests := []struct {
		sheet, cell, want string
		typ               excelize.CellType
	}{
		{"Missing", "A1", "outer_order_id", excelize.CellTypeUnset},
		{"Missing", "A2", "00123", excelize.CellTypeInlineString},                                                            // an id stays text
		{"Missing", "B2", "100", excelize.CellTypeUnset},                                                                     // a number cell
		{"Missing", "C2", "=HYPERLINK(\"x\")", excelize.CellTypeInlineString},                                                // the text, quote-prefixed (below)
		{"Missing (2)", "A1", "outer_order_id", excelize.CellTypeUnset},                                                      // same header
		{"Missing (2)", "A2", "O3", excelize.CellTypeInlineString},                                                           // the third row continues
		{"Summary", "A2", "NOT MATCHED: 3 rows differ (1 category); see the category sheets", excelize.CellTypeSharedString}, // the verdict leads
		{"Summary", "B3", "-7.00", excelize.CellTypeUnset},                                                                   // net difference in yuan, a number
		{"Summary", "B4", "-700", excelize.CellTypeUnset},                                                                    // and in fen
		{"Summary", "B5", "2025-01-31 18:00:00", excelize.CellTypeUnset},                                                     // the one timestamp, a date-time in GMT+8
	}
	for _, tc := range tests {
		got, err := f.GetCellValue(tc.sheet, tc.cell)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s!%s = %q; want %q", tc.sheet, tc.cell, got, tc.want)
		}
		typ, _ := f.GetCellType(tc.sheet, tc.cell)
		if tc.typ != excelize.CellTypeUnset && typ != tc.typ {
			t.Errorf("%s!%s type %v; want %v", tc.sheet, tc.cell, typ, tc.typ)
		}
	}
	if !testQuotePrefixed(t, f, "Missing", "C2") || !testQuotePrefixed(t, f, "Summary", testFindCell(t, f, "Summary", "=e.csv")) {
		t.Errorf("formula-like text is not quote-prefixed")
	}
	if got := testNumFmt(t, f, "Summary", "B3"); got != 4 {
		t.Errorf("net difference (yuan) number format %d; want 4 (#,##0.00)", got)
	}
	rows, _ := f.GetRows("Summary")
	var found bool
	for _, r := range rows {
		if len(r) >= 2 && r[0] == "Explained (the differences add up)" && r[1] == "yes" {
			found = true
		}
	}
	if !found {
		t.Errorf("Summary lacks the Explained line: %q", rows)
	}
	props, err := f.GetDocProps()
	if err != nil {
		t.Fatal(err)
	}
	if props.Created != "2025-01-31T10:00:00Z" || props.Modified != props.Created {
		t.Errorf("doc props created %q modified %q; want the as-of time", props.Created, props.Modified)
	}
	if !bytes.Contains(buf.Bytes(), []byte("xl/charts/chart1.xml")) {
		t.Errorf("no chart in the workbook")
	}
}

// The same values give the same bytes, however excelize orders its maps.
func TestWriteReconciliationDeterministic(t *testing.T) {
	t.Parallel()
	var first []byte
	for i := 0; i < 5; i++ {
		sum, sheets := recSample()
		sheets = append(sheets, ReconciliationSheet{Name: "Duplicate", Columns: sheets[0].Columns, Rows: sheets[0].Rows},
			ReconciliationSheet{Name: "Unexpected", Columns: sheets[0].Columns, Rows: sheets[0].Rows})
		var buf bytes.Buffer
		if err := WriteReconciliation(&buf, sum, sheets, ReconciliationOptions{SheetRowLimit: 2}); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = buf.Bytes()
			continue
		}
		if !bytes.Equal(buf.Bytes(), first) {
			t.Fatalf("write %d differs from the first", i+1)
		}
	}
}

func TestRecSortDefaults(t *testing.T) {
	t.Parallel()
	in := `<Types><Default Extension="xml" ContentType="a"></Default><Default Extension="bmp" ContentType="b"></Default><Override PartName="/x"></Override></Types>`
	want := `<Types><Default Extension="bmp" ContentType="b"></Default><Default Extension="xml" ContentType="a"></Default><Override PartName="/x"></Override></Types>`
	if got := string(recSortDefaults([]byte(in))); got != want {
		t.Errorf("got %s; want %s", got, want)
	}
}
