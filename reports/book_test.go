package reports

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// testQuotePrefixed reports whether a cell's style has Excel's quotePrefix attribute.
func testQuotePrefixed(t *testing.T, f *excelize.File, sheet, cell string) bool {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatalf("style of %s!%s: %v", sheet, cell, err)
	}
	if _, err := f.GetStyle(id); err != nil { // loads the style sheet
		t.Fatalf("style %d: %v", id, err)
	}
	xf := f.Styles.CellXfs.Xf[id]
	return xf.QuotePrefix != nil && *xf.QuotePrefix
}

// testNumFmt is a cell's built-in number format id (-1 for a custom one).
func testNumFmt(t *testing.T, f *excelize.File, sheet, cell string) int {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if st.CustomNumFmt != nil {
		return -1
	}
	return st.NumFmt
}

// testFindCell returns the first cell of sheet whose value is v.
func testFindCell(t *testing.T, f *excelize.File, sheet, v string) string {
	t.Helper()
	cells, err := f.SearchSheet(sheet, "^"+regexpQuote(v)+"$", true)
	if err != nil || len(cells) == 0 {
		t.Fatalf("no cell %q on %s (%v)", v, sheet, err)
	}
	return cells[0]
}

func regexpQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// testUsedRange is the range a sheet's non-empty cells cover, from excelize's reading of the cells
// (not of the dimension): "A1" for an empty sheet.
func testUsedRange(t *testing.T, f *excelize.File, sheet string) (ref string, rows, cols int) {
	t.Helper()
	rs, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatalf("GetRows %s: %v", sheet, err)
	}
	for i, r := range rs {
		if len(r) > 0 {
			rows = i + 1
			cols = max(cols, len(r))
		}
	}
	if rows == 0 || (rows == 1 && cols <= 1) {
		return "A1", rows, cols
	}
	end, _ := excelize.CoordinatesToCellName(cols, rows)
	return "A1:" + end, rows, cols
}

// testCheckDimensions checks that every sheet of the workbook at path declares the range its
// cells cover, and returns the sheets' extents.
func testCheckDimensions(t *testing.T, path string) map[string][2]int {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][2]int{}
	for _, sh := range f.GetSheetList() {
		want, rows, cols := testUsedRange(t, f, sh)
		got, err := f.GetSheetDimension(sh)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: sheet %s declares <dimension ref=%q>; its cells cover %s", filepath.Base(path), sh, got, want)
		}
		out[sh] = [2]int{rows, cols}
	}
	return out
}

// testOpenpyxlReadOnly reads every sheet of the workbook with openpyxl in read-only mode, the
// streaming reader scripts use for big files, which trusts <dimension>: it returns each sheet's
// rows and columns as that reader sees them. The test is skipped without python3 and openpyxl
// (CI installs python3-openpyxl).
func testOpenpyxlReadOnly(t *testing.T, path string) map[string][2]int {
	t.Helper()
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	if err := exec.Command(py, "-c", "import openpyxl").Run(); err != nil {
		t.Skip("python3 has no openpyxl (apt-get install python3-openpyxl)")
	}
	const script = `
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1], read_only=True)
out = {}
for ws in wb.worksheets:
    rows = list(ws.iter_rows(values_only=True))
    last_row, last_col = 0, 0
    for i, r in enumerate(rows):
        filled = [j for j, v in enumerate(r) if v is not None and v != ""]
        if filled:
            last_row = i + 1
            last_col = max(last_col, filled[-1] + 1)
    out[ws.title] = [last_row, last_col]
print(json.dumps(out))
`
	cmd := exec.Command(py, "-c", script, path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("openpyxl read-only: %v\n%s", err, stderr.String())
	}
	var got map[string][2]int
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("openpyxl output %q: %v", b, err)
	}
	return got
}

// testStreamingReaders checks a workbook with both: the declared dimensions match the cells, and
// openpyxl's read-only reader sees every row and column of every sheet.
func testStreamingReaders(t *testing.T, path string) {
	t.Helper()
	want := testCheckDimensions(t, path)
	got := testOpenpyxlReadOnly(t, path)
	for sh, w := range want {
		if got[sh] != w {
			t.Errorf("%s: openpyxl read-only sees sheet %s as %d rows × %d columns; it has %d × %d",
				filepath.Base(path), sh, got[sh][0], got[sh][1], w[0], w[1])
		}
	}
}
