package reports

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"svbatch"
)

// testDumpSheet renders a sheet's cells as shown (formats applied), one quoted cell per field,
// with each non-empty cell's type and number format, for golden comparison.
func testDumpSheet(t *testing.T, f *excelize.File, sheet string) string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatalf("GetRows %s: %v", sheet, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "== %s\n", sheet)
	for r, row := range rows {
		for c, v := range row {
			if c > 0 {
				b.WriteByte('\t')
			}
			b.WriteString(strconv.Quote(v))
			if v == "" {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			typ, _ := f.GetCellType(sheet, cell)
			switch {
			case typ == excelize.CellTypeBool:
				b.WriteString(":bool")
			case typ == excelize.CellTypeUnset || typ == excelize.CellTypeNumber:
				fmt.Fprintf(&b, ":num%d", testNumFmt(t, f, sheet, cell))
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// testGolden compares got with testdata/name (-update rewrites it).
func testGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if resUpdate() {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("%s differs at line %d:\ngot  %s\nwant %s", path, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s differs: got %d lines; want %d", path, len(gl), len(wl))
	}
}

// The results Summary in English and in Chinese: labels, statuses, numbers and times as cells.
func TestResultsSummaryGolden(t *testing.T) {
	t.Parallel()
	for _, lang := range []svbatch.Lang{svbatch.LangEN, svbatch.LangZH} {
		info := resInfo()
		info.Params = append(info.Params, [2]string{"finished", "2025-03-01T01:45:00Z"}, [2]string{"retry failed", "false"})
		path := resWriteFile(t, t.TempDir(), "s.xlsx", resGen(40), info, ResultsOptions{Lang: lang})
		f, err := excelize.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		got := testDumpSheet(t, f, SummarySheetName(lang))
		f.Close()
		if strings.Contains(got, "s3cr3t") {
			t.Errorf("%s: the secret appears in the Summary", lang)
		}
		testGolden(t, "summary_"+string(lang)+".txt", got)
	}
}

// The reconciliation Summary's verdict, net difference and breaks, matched and not, in English
// and Chinese.
func TestReconciliationVerdictGolden(t *testing.T) {
	t.Parallel()
	for _, lang := range []svbatch.Lang{svbatch.LangEN, svbatch.LangZH} {
		var out strings.Builder
		for _, matched := range []bool{true, false} {
			sum, _ := recSample()
			sum.Lang, sum.AllMatched = lang, matched
			sum.AsOf = time.Date(2025, 1, 31, 10, 0, 0, 0, time.UTC)
			if lang == svbatch.LangZH {
				sum.Labels = recCategoryZH
			}
			if matched {
				sum.Categories = sum.Categories[:1]
				sum.NetDifference, sum.ActualTotal, sum.ExpectedTotal, sum.DifferenceSum = 0, 300, 300, 0
				sum.Statement = []string{"actual 300 − expected 300 = +0"}
			}
			var buf bytes.Buffer
			if err := WriteReconciliation(&buf, sum, nil, ReconciliationOptions{}); err != nil {
				t.Fatal(err)
			}
			f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			sh := f.GetSheetName(0)
			// The verdict cell's fill: green when matched, red when not.
			id, _ := f.GetCellStyle(sh, "A2")
			st, _ := f.GetStyle(id)
			fill := ""
			if len(st.Fill.Color) > 0 {
				fill = st.Fill.Color[0]
			}
			if want := map[bool]string{true: "00B050", false: "C00000"}[matched]; fill != want {
				t.Errorf("%s matched=%v: verdict fill %q; want %s", lang, matched, fill, want)
			}
			fmt.Fprintf(&out, "-- matched=%v verdict fill %s\n", matched, fill)
			out.WriteString(testDumpSheet(t, f, sh))
			charts := bytes.Count(buf.Bytes(), []byte("xl/charts/chart1.xml")) > 0
			fmt.Fprintf(&out, "chart of the breaks: %v\n", charts)
			if charts == matched {
				t.Errorf("%s matched=%v: chart %v; want a chart only when there are breaks", lang, matched, charts)
			}
			f.Close()
		}
		testGolden(t, "reconciliation_verdict_"+string(lang)+".txt", out.String())
	}
}
