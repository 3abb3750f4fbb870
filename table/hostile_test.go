package table

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// writeXLSX writes a minimal workbook with the given parts besides the workbook and its
// relationships (sheet1, and sharedStrings/styles when given); big parts come from a reader.
func writeXLSX(t testing.TB, parts map[string]io.Reader) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hostile.xlsx")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	rels := `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>`
	if parts["xl/sharedStrings.xml"] != nil {
		rels += `<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>`
	}
	if parts["xl/styles.xml"] != nil {
		rels += `<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>`
	}
	all := map[string]io.Reader{
		"xl/workbook.xml":            strings.NewReader(`<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`),
		"xl/_rels/workbook.xml.rels": strings.NewReader(rels + `</Relationships>`),
	}
	for k, v := range parts {
		all[k] = v
	}
	for name, r := range all {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// repeat is a reader of head, n times body, then tail.
func repeat(head, body string, n int, tail string) io.Reader {
	return io.MultiReader(strings.NewReader(head), &repeater{s: body, n: n}, strings.NewReader(tail))
}

type repeater struct {
	s   string
	n   int
	off int
}

func (r *repeater) Read(p []byte) (int, error) {
	w := 0
	for w < len(p) && r.n > 0 {
		k := copy(p[w:], r.s[r.off:])
		w += k
		if r.off += k; r.off == len(r.s) {
			r.off = 0
			r.n--
		}
	}
	if w == 0 {
		return 0, io.EOF
	}
	return w, nil
}

const sheetHead = `<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`

// TestHostileFiles: small files made to exhaust memory are refused with "too large", allocating
// a few MiB at most (the fixtures xlsx_bomb_* inflated to 1.6–1.9 GB of memory before the caps).
// Not parallel: it measures the allocations of the process.
func TestHostileFiles(t *testing.T) {
	header := `<row r="1"><c r="A1" t="inlineStr"><is><t>brand_id</t></is></c><c r="B1" t="inlineStr"><is><t>reason</t></is></c></row>`
	tests := []struct {
		name string
		file func() string
		want string
	}{
		{"corpus shared strings", func() string { return filepath.Join(corpusDir, "xlsx_bomb_sharedstrings.xlsx") }, "too large"},
		{"corpus inline string", func() string { return filepath.Join(corpusDir, "xlsx_bomb_inline_string.xlsx") }, "too large"},
		{"millions of tiny shared strings", func() string {
			return writeXLSX(t, map[string]io.Reader{
				"xl/sharedStrings.xml":     repeat(`<sst>`, `<si><t>A</t></si>`, 4_100_000, `</sst>`),
				"xl/worksheets/sheet1.xml": strings.NewReader(sheetHead + header + `</sheetData></worksheet>`),
			})
		}, "too large"},
		{"one huge attribute in the styles", func() string {
			return writeXLSX(t, map[string]io.Reader{
				"xl/styles.xml":            repeat(`<styleSheet><numFmts><numFmt numFmtId="164" formatCode="`, "0", 2<<20, `"/></numFmts></styleSheet>`),
				"xl/worksheets/sheet1.xml": strings.NewReader(sheetHead + header + `</sheetData></worksheet>`),
			})
		}, "too large"},
		{"a row of many big inline strings", func() string {
			cell := `<c t="inlineStr"><is><t>` + strings.Repeat("A", 200<<10) + `</t></is></c>`
			return writeXLSX(t, map[string]io.Reader{
				"xl/worksheets/sheet1.xml": repeat(sheetHead+header+`<row r="2">`, cell, 170, `</row></sheetData></worksheet>`),
			})
		}, "too large"},
		{"rich text runs past a cell", func() string {
			run := `<r><t>` + strings.Repeat("A", 100<<10) + `</t></r>`
			return writeXLSX(t, map[string]io.Reader{
				"xl/worksheets/sheet1.xml": repeat(sheetHead+header+`<row r="2"><c r="B2" t="inlineStr"><is>`, run, 100, `</is></c></row></sheetData></worksheet>`),
			})
		}, "too large"},
		{"a CSV quote never closed in a big file", func() string {
			path := filepath.Join(t.TempDir(), "open.csv")
			var b bytes.Buffer
			b.WriteString("brand_id,reason\nB1,\"open\n")
			for b.Len() < 8<<20 {
				b.WriteString("x x x x x x x x x x x x x x x x x x x x x x x\n")
			}
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			return path
		}, "line 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.file()
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			tb, err := Open(path, Options{})
			if err == nil {
				for err == nil {
					_, _, err = tb.Next()
				}
				tb.Close()
				if errors.Is(err, io.EOF) {
					err = nil
				}
			}
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %v; want one line with %q", err, tc.want)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Errorf("allocated %d MiB reading it; want at most 64", alloc>>20)
			}
			t.Logf("%v (allocated %.1f MiB)", err, float64(after.TotalAlloc-before.TotalAlloc)/(1<<20))
		})
	}
}

// FuzzSheetXML feeds arbitrary bytes to the sheet reader as a worksheet part (with a few shared
// strings and number formats): it must never panic, and every row it returns has a row number,
// cells no longer than a sheet is wide, and notes and note texts no longer than its cells.
func FuzzSheetXML(f *testing.F) {
	for _, s := range []string{
		sheetHead + `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>b_x005F_x0031_</t></is></c></row><row r="2"><c r="A2" s="1"><v>123</v></c><c r="B2"><f>1+1</f><v></v></c></row></sheetData></worksheet>`,
		sheetHead + `<cols><col min="2" max="3" hidden="1"/></cols><row r="3" hidden="1"><c r="C3" s="2"><v>12345</v></c><c t="e"><v>#N/A</v></c></row></sheetData>`,
		sheetHead + `<row><c r="XFD1" t="s"><v>7</v></c></row>`,
		sheetHead + `<row r="1"><c t="s"><v>-1</v></c></row>`,
		`<row r="0"><c r="A0"><v>1e400</v></c></row>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tb := &xlsxTable{path: "fuzz.xlsx", sheet: "S", sst: sstTable{data: "ab中", end: []uint32{1, 2, 5}},
			styles: []numFormat{{}, parseNumFormat("00000"), parseNumFormat("0.00E+00"), parseNumFormat("yyyy-mm-dd")}}
		tb.dec = xml.NewDecoder(&xmlGuard{r: bytes.NewReader(data), part: "sheet", limit: 1 << 20})
		hdr, rest, _, err := findHeader(tb.nextRow, Options{HeaderScore: func(c []string) int { return len(c) }}, func() error { return io.EOF })
		if err != nil {
			return
		}
		tb.header, tb.pending = hdr.cells, rest
		for i := 0; i < 10000; i++ {
			line, cells, err := tb.Next()
			if err != nil {
				break
			}
			if line < 1 || len(cells) > 16384 || len(tb.Notes()) > len(cells) || len(tb.NoteTexts()) > len(cells) {
				t.Fatalf("row %d: %d cells, %d notes, %d texts", line, len(cells), len(tb.Notes()), len(tb.NoteTexts()))
			}
		}
		_ = tb.Warnings()
	})
}
