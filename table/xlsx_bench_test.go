package table

import (
	"archive/zip"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchSheetRow is row i of the generated workbooks: the columns of batch's benchmark input.
func benchSheetRow(i int) []string {
	op := 1 + i%4
	newOuter := ""
	if op == 4 {
		newOuter = "R-" + strconv.Itoa(i)
	}
	r := []string{"1000" + strconv.Itoa(i%7), "S" + strconv.Itoa(i%97), "op-" + strconv.Itoa(i%13), "ORD-2025-" + strconv.Itoa(i),
		newOuter, strconv.Itoa(op), strconv.Itoa(100 + i%100000), "", "", "", "", "批量导入 batch import", "CMP" + strconv.Itoa(i%9)}
	switch i % 3 {
	case 0:
		r[7] = "C" + strconv.Itoa(10000000+i)
	case 1:
		r[8] = strconv.Itoa(13800000000 + i)
	default:
		r[9], r[10] = "oWx"+strconv.Itoa(i), "wechat"
	}
	return r
}

var benchSheetHeader = []string{"brand_id", "shop_id", "operator_id", "outer_order_id", "new_outer_order_id", "operate_type",
	"change_value", "customer_id", "mobile", "outer_id", "outer_type", "reason", "campaign"}

// writeBenchXLSX writes a workbook of rows data rows as a writer of the given style does:
// "inline" (excelize's stream writer, openpyxl: t="inlineStr" <is><t>), "sst" (Excel, XlsxWriter,
// LibreOffice: shared strings, a styles part, spans and x14ac attributes), "str" (SheetJS:
// t="str" <v>). operate_type and change_value are numbers, the rest text.
func writeBenchXLSX(tb testing.TB, style string, rows int) string {
	tb.Helper()
	var sheet, sst strings.Builder
	sheet.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"><dimension ref="A1:M` +
		strconv.Itoa(rows+1) + `"/><sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/><cols><col min="1" max="13" width="14" customWidth="1"/></cols><sheetData>`)
	strs := map[string]int{}
	var order []string
	esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	row := func(n int, cells []string) {
		sheet.WriteString(`<row r="` + strconv.Itoa(n) + `"`)
		if style == "sst" {
			sheet.WriteString(` spans="1:13" x14ac:dyDescent="0.25"`)
		}
		sheet.WriteString(`>`)
		for j, v := range cells {
			ref := columnName(j) + strconv.Itoa(n)
			switch {
			case v == "" && style != "inline":
				continue
			case n > 1 && (j == 5 || j == 6):
				sheet.WriteString(`<c r="` + ref + `"><v>` + v + `</v></c>`)
			case style == "sst":
				k, ok := strs[v]
				if !ok {
					k = len(order)
					strs[v] = k
					order = append(order, v)
				}
				sheet.WriteString(`<c r="` + ref + `" s="1" t="s"><v>` + strconv.Itoa(k) + `</v></c>`)
			case style == "str":
				sheet.WriteString(`<c r="` + ref + `" t="str"><v>` + esc.Replace(v) + `</v></c>`)
			default:
				sheet.WriteString(`<c r="` + ref + `" t="inlineStr"><is><t>` + esc.Replace(v) + `</t></is></c>`)
			}
		}
		sheet.WriteString(`</row>`)
	}
	row(1, benchSheetHeader)
	for i := 0; i < rows; i++ {
		row(i+2, benchSheetRow(i))
	}
	sheet.WriteString(`</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>`)
	parts := map[string]io.Reader{"xl/worksheets/sheet1.xml": strings.NewReader(sheet.String())}
	if style == "sst" {
		sst.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
			`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="` + strconv.Itoa(len(order)) + `" uniqueCount="` + strconv.Itoa(len(order)) + `">`)
		for _, s := range order {
			sst.WriteString(`<si><t>` + esc.Replace(s) + `</t></si>`)
		}
		sst.WriteString(`</sst>`)
		parts["xl/sharedStrings.xml"] = strings.NewReader(sst.String())
		parts["xl/styles.xml"] = strings.NewReader(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="0"/><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="49"/></cellXfs></styleSheet>`)
	}
	return writeXLSX(tb, parts)
}

// unzipParts is the floor: inflating the workbook's sheet (and shared strings) to io.Discard.
func unzipParts(path string) (int64, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return 0, err
	}
	defer zr.Close()
	var n int64
	for _, f := range zr.File {
		if f.Name != "xl/worksheets/sheet1.xml" && f.Name != "xl/sharedStrings.xml" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return n, err
		}
		k, err := io.Copy(io.Discard, rc)
		rc.Close()
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// readWorkbook reads every row of the workbook as Open does (xmlOnly: with encoding/xml alone),
// touching every cell.
func readWorkbook(path string, xmlOnly bool) (rows, bytes int, err error) {
	tb, err := openBench(path, xmlOnly)
	if err != nil {
		return 0, 0, err
	}
	defer tb.Close()
	for {
		_, cells, err := tb.Next()
		if errors.Is(err, io.EOF) {
			return rows, bytes, nil
		}
		if err != nil {
			return rows, bytes, err
		}
		for _, c := range cells {
			bytes += len(c)
		}
		rows++
	}
}

// BenchmarkXLSXRead: reading a 100,000-row sheet against inflating it (x-of-unzip, the target
// of issue 15 is ≤ 5), for the styles of the writers. Each round times the unzip and the read
// back to back, alternating which goes first, so that the machine's drift falls on both alike.
func BenchmarkXLSXRead(b *testing.B) {
	const rows = 100_000
	for _, style := range []string{"inline", "sst", "str"} {
		path := writeBenchXLSX(b, style, rows)
		for _, mode := range benchModes {
			b.Run(style+"/"+mode.name, func(b *testing.B) {
				if _, err := unzipParts(path); err != nil { // warm the page cache
					b.Fatal(err)
				}
				var unzipT, readT time.Duration
				var size int64
				timeUnzip := func() {
					t0 := time.Now()
					n, err := unzipParts(path)
					unzipT += time.Since(t0)
					if err != nil {
						b.Fatal(err)
					}
					size = n
				}
				timeRead := func() {
					t0 := time.Now()
					n, _, err := readWorkbook(path, mode.xmlOnly)
					readT += time.Since(t0)
					if err != nil || n != rows {
						b.Fatalf("read %d rows, %v", n, err)
					}
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if i%2 == 0 {
						timeUnzip()
						timeRead()
					} else {
						timeRead()
						timeUnzip()
					}
				}
				b.StopTimer()
				n := float64(b.N)
				b.ReportMetric(unzipT.Seconds()*1e3/n, "unzip-ms/op")
				b.ReportMetric(readT.Seconds()*1e3/n, "read-ms/op")
				b.ReportMetric(float64(readT)/n/rows, "read-ns/row")
				b.ReportMetric(float64(readT)/float64(unzipT), "x-of-unzip")
				b.ReportMetric(float64(size)/(1<<20), "xml-MiB")
			})
		}
	}
}

// TestBenchWorkbooks: the generated workbooks read as written (so the benchmark measures a
// faithful read), in every style.
func TestBenchWorkbooks(t *testing.T) {
	t.Parallel()
	for _, style := range []string{"inline", "sst", "str"} {
		path := writeBenchXLSX(t, style, 50)
		tb, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(tb.Header(), benchSheetHeader) {
			t.Errorf("%s: header %q", style, tb.Header())
		}
		for i := 0; ; i++ {
			line, cells, err := tb.Next()
			if errors.Is(err, io.EOF) {
				if i != 50 {
					t.Errorf("%s: %d rows; want 50", style, i)
				}
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := benchSheetRow(i); line != i+2 || !slices.Equal(padded(cells), padded(want)) {
				t.Fatalf("%s: row %d = %q; want %d: %q", style, line, cells, i+2, want)
			}
		}
		tb.Close()
	}
}

var benchModes = []struct {
	name    string
	xmlOnly bool
}{{"scanner", false}, {"encoding_xml", true}}

func openBench(path string, xmlOnly bool) (Table, error) {
	return openXLSXWith(path, Options{}, xmlOnly)
}
