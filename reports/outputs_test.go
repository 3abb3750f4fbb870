package reports

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"svbatch"
)

// testWorkbooks writes one workbook of each type svbatch writes into dir, by name.
func testWorkbooks(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	// Results, with continuation sheets (5 rows a sheet), Summary and Retry.
	out["results"] = resWriteFile(t, dir, "run.results.xlsx", resGen(23), resInfo(), ResultsOptions{SheetRowLimit: 5})
	out["results zh"] = resWriteFile(t, dir, "zh.results.xlsx", resGen(23), resInfo(), ResultsOptions{Lang: svbatch.LangZH})

	sum, sheets := recSample()
	var buf bytes.Buffer
	if err := WriteReconciliation(&buf, sum, sheets, ReconciliationOptions{SheetRowLimit: 3}); err != nil {
		t.Fatal(err)
	}
	out["reconciliation"] = filepath.Join(dir, "reconciliation.xlsx")
	if err := os.WriteFile(out["reconciliation"], buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	out["template"] = filepath.Join(dir, "template.xlsx")
	tpl := Template{Sheet: "Operations", Instructions: []string{strings.Repeat("A long paragraph of instructions. ", 12)},
		Columns: []TemplateColumn{{Header: "brand_id", Text: true, Example: "10001", Required: "yes", About: "Brand."},
			{Header: "change_value", Amount: true, Example: "10000", Required: "yes", About: "fen", Hint: "fen"},
			{Header: "operate_type", Choices: []string{"charge", "refund"}, Example: "charge", Required: "yes", About: "op"}}}
	if err := WriteTemplate(out["template"], tpl); err != nil {
		t.Fatal(err)
	}

	out["errors"] = filepath.Join(dir, "errors.xlsx")
	rows := [][]string{{"B1", "=EV-1", "10"}, {"B1", "+EV-2", ""}, {"B1", "@EV-3", "x"}}
	i := 0
	next := func() (int, []string, error) {
		if i == len(rows) {
			return 0, nil, io.EOF
		}
		i++
		return i + 1, rows[i-1], nil
	}
	if err := WriteValidation(out["errors"], ValidationInput{Source: "in.csv", Header: []string{"brand_id", "outer_order_id", "change_value"},
		Next: next, Errors: []CellError{{Row: 3, Col: 2, Column: "change_value", Value: "", Message: "is required"},
			{Row: 4, Col: 2, Column: "change_value", Value: "x", Message: "=not a number"}}}); err != nil {
		t.Fatal(err)
	}
	return out
}

// Every sheet of every workbook declares its real extent, so a streaming reader that trusts
// <dimension> (openpyxl in read-only mode) sees every row and column.
func TestWorkbooksDimensionStreamingReader(t *testing.T) {
	t.Parallel()
	for name, path := range testWorkbooks(t, t.TempDir()) {
		t.Run(name, func(t *testing.T) {
			testStreamingReaders(t, path)
		})
	}
}

// Data sheets have an autofilter, print landscape one page wide with the header row repeated.
func TestWorkbooksFilterAndPageSetup(t *testing.T) {
	t.Parallel()
	books := testWorkbooks(t, t.TempDir())
	tests := []struct {
		book   string
		sheets []string // data sheets
	}{
		{"results", []string{"Results", "Results (2)", "Retry", "Retry (2)"}},
		{"results zh", []string{"结果", "重试"}},
		{"reconciliation", []string{"Missing", "Missing (2)"}},
		{"template", []string{"Operations", "Example"}},
		{"errors", []string{"Input", "Errors"}},
	}
	for _, tc := range tests {
		f, err := excelize.OpenFile(books[tc.book])
		if err != nil {
			t.Fatal(err)
		}
		names := f.GetDefinedName()
		for _, sh := range tc.sheets {
			var filter, titles bool
			for _, d := range names {
				if d.Scope != sh {
					continue
				}
				switch d.Name {
				case "_xlnm._FilterDatabase":
					filter = strings.HasPrefix(d.RefersTo, "'"+sh+"'!$A$1:")
				case "_xlnm.Print_Titles":
					titles = strings.HasSuffix(d.RefersTo, "!$1:$1")
				}
			}
			pl, err := f.GetPageLayout(sh)
			if err != nil {
				t.Fatalf("%s %s: %v", tc.book, sh, err)
			}
			props, _ := f.GetSheetProps(sh)
			landscape := pl.Orientation != nil && *pl.Orientation == "landscape"
			wide := pl.FitToWidth != nil && *pl.FitToWidth == 1 && pl.FitToHeight != nil && *pl.FitToHeight == 0
			fit := props.FitToPage != nil && *props.FitToPage
			if !filter || !titles || !landscape || !wide || !fit {
				t.Errorf("%s sheet %s: autofilter %v, header repeated %v, landscape %v, one page wide %v (fitToPage %v); want all",
					tc.book, sh, filter, titles, landscape, wide, fit)
			}
		}
		f.Close()
	}
}

// Formula-like text in the errors workbook is the exact text, quote-prefixed.
func TestValidationWorkbookQuotePrefix(t *testing.T) {
	t.Parallel()
	path := testWorkbooks(t, t.TempDir())["errors"]
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for cell, want := range map[string]string{"B2": "=EV-1", "B3": "+EV-2", "B4": "@EV-3"} {
		got, _ := f.GetCellValue(SheetInput, cell)
		if got != want || !testQuotePrefixed(t, f, SheetInput, cell) {
			t.Errorf("Input!%s = %q (quote-prefixed %v); want %q, quote-prefixed", cell, got, testQuotePrefixed(t, f, SheetInput, cell), want)
		}
	}
	if testQuotePrefixed(t, f, SheetInput, "A2") {
		t.Errorf("Input!A2 (B1) is quote-prefixed; want only formula-like text")
	}
}
