package table

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
)

// scanTestTable is the table FuzzSheetXML reads with: a few shared strings and number formats.
func scanTestTable() *xlsxTable {
	return &xlsxTable{path: "fuzz.xlsx", sheet: "S", sst: sstTable{data: "ab中", end: []uint32{1, 2, 5}},
		styles: []numFormat{{}, parseNumFormat("00000"), parseNumFormat("0.00E+00"), parseNumFormat("yyyy-mm-dd")}}
}

// sheetPart is data as a sheet part, behind the guard (limit 0: the caps of a sheet).
func sheetPart(data []byte, limit int64) io.Reader {
	if limit <= 0 {
		limit = maxSheetPart
	}
	return &xmlGuard{r: bytes.NewReader(data), part: "sheet", limit: limit}
}

// rowResult is one result of readRow, as compared.
type rowResult struct {
	Line   int
	Cells  []string
	Notes  []Note
	Texts  []string
	Hidden bool
	Done   bool
	RowNum int
	Err    string
}

func result(t *xlsxTable, r sheetRow, err error) rowResult {
	res := rowResult{Line: r.line, Cells: r.cells, Notes: r.notes, Texts: r.texts, Hidden: r.hidden, Done: t.done, RowNum: t.rowNum}
	if err != nil {
		res.Err = err.Error()
	}
	return res
}

// bufioSized is the reader xlsxTable.start gives encoding/xml (from a pool: put it back).
func bufioSized(r io.Reader) *bufio.Reader {
	br := bufios.Get().(*bufio.Reader)
	br.Reset(r)
	return br
}

var bufios = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, scanChunk) }}

// maxScanRows bounds the rows a differential reading takes.
const maxScanRows = 100_000

// readWith reads the sheet data with readRow until the end or an error: with encoding/xml
// alone (xmlOnly), or the scanner falling back to it. It returns the results and the hidden
// columns, and whether the scanner fell back.
func readWith(data []byte, limit int64, xmlOnly bool) ([]rowResult, [][2]int, bool) {
	t := scanTestTable()
	if xmlOnly {
		br := bufioSized(sheetPart(data, limit))
		defer bufios.Put(br)
		t.dec = xml.NewDecoder(br)
	} else {
		t.scan = newSheetScanner(sheetPart(data, limit))
		t.rc = io.NopCloser(nil)
		t.reopen = func() (io.ReadCloser, error) { return io.NopCloser(sheetPart(data, limit)), nil }
	}
	var out []rowResult
	for len(out) < maxScanRows && !t.done {
		r, err := t.readRow()
		out = append(out, result(t, r, err))
		if err != nil {
			break
		}
	}
	if t.scan != nil {
		t.scan.release()
	}
	return out, t.hidCols, t.fellBack
}

// scanOnly reads with the scanner alone, until it gives up (ok false) or the end or an error.
func scanOnly(data []byte, limit int64) (out []rowResult, hid [][2]int, ok bool) {
	t := scanTestTable()
	t.scan = newSheetScanner(sheetPart(data, limit))
	defer t.scan.release()
	for len(out) < maxScanRows && !t.done {
		r, ok, err := t.scanRow()
		if !ok {
			return out, t.hidCols, false
		}
		out = append(out, result(t, r, err))
		if err != nil {
			break
		}
	}
	return out, t.hidCols, true
}

// checkScan is the differential property: what the scanner reads before it gives up (all of it
// when it does not) is what encoding/xml reads; with the fallback, the reading is encoding/xml's
// in every row, error and hidden column. It returns whether the scanner read it all.
func checkScan(t *testing.T, data []byte, limit int64) bool {
	t.Helper()
	want, wantHid, _ := readWith(data, limit, true)
	got, gotHid, whole := scanOnly(data, limit)
	if len(got) > len(want) || len(got) > 0 && !reflect.DeepEqual(got, want[:len(got)]) {
		t.Fatalf("the scanner read (whole %v)\n%+v\nencoding/xml reads\n%+v", whole, got, want)
	}
	if whole && (len(got) != len(want) || !reflect.DeepEqual(gotHid, wantHid)) {
		t.Fatalf("the scanner read all of it as\n%+v (hidden %v)\nencoding/xml reads\n%+v (hidden %v)", got, gotHid, want, wantHid)
	}
	both, bothHid, fell := readWith(data, limit, false)
	if !reflect.DeepEqual(both, want) || !reflect.DeepEqual(bothHid, wantHid) {
		t.Fatalf("scanner with fallback (fell back %v) read\n%+v (hidden %v)\nencoding/xml reads\n%+v (hidden %v)", fell, both, bothHid, want, wantHid)
	}
	if fell == whole {
		t.Fatalf("the scanner read it all: %v, yet the reader fell back: %v", whole, fell)
	}
	return whole
}

// checkSST is checkScan for the shared strings: what the scanner reads is what encoding/xml
// reads, refusals alike, and with the fallback the table is always encoding/xml's.
func checkSST(t *testing.T, data []byte, limit int64) bool {
	t.Helper()
	show := func(s sstTable, err error) string { return fmt.Sprintf("%q %v %v", s.data, s.end, err) }
	br := bufioSized(sheetPart(data, limit))
	want := show(decodeSST(xml.NewDecoder(br), "sst"))
	bufios.Put(br)
	s := newSheetScanner(sheetPart(data, limit))
	sst, whole, err := scanSST(s, "sst")
	s.release()
	if got := show(sst, err); whole && got != want {
		t.Fatalf("the scanner read the shared strings as\n%s\nencoding/xml reads\n%s", got, want)
	}
	open := func() (io.ReadCloser, error) { return io.NopCloser(sheetPart(data, limit)), nil }
	sst, scanned, err := readSST(open, "sst", false)
	if got := show(sst, err); got != want || scanned != whole {
		t.Fatalf("with the fallback (scanned %v, whole %v) the shared strings read as\n%s\nencoding/xml reads\n%s", scanned, whole, got, want)
	}
	return whole
}

// sheetSeeds are the corpus's worksheets (but the bomb) and cases made to probe the scanner.
func sheetSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	paths, _ := filepath.Glob(filepath.Join(corpusDir, "*.xlsx"))
	more, _ := filepath.Glob(filepath.Join(corpusDir, "*", "*.xlsx"))
	for _, p := range append(paths, more...) {
		zr, err := zip.OpenReader(p)
		if err != nil {
			continue
		}
		for _, f := range zr.File {
			if !(strings.HasPrefix(f.Name, "xl/worksheets/") || f.Name == "xl/sharedStrings.xml") || !strings.HasSuffix(f.Name, ".xml") || f.UncompressedSize64 > 1<<20 {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			seeds = append(seeds, b)
		}
		zr.Close()
	}
	for _, c := range sstCases {
		seeds = append(seeds, []byte(c.xml))
	}
	if len(seeds) < 15 {
		t.Fatalf("only %d corpus sheets", len(seeds))
	}
	for _, c := range scanCases {
		seeds = append(seeds, []byte(c.xml))
	}
	return seeds
}

// scanCases: what the scanner reads itself (whole) and what it leaves to encoding/xml.
var scanCases = []struct {
	name  string
	xml   string
	whole bool
}{
	{"entities and character references", sheetHead + `<row r="1"><c t="inlineStr"><is><t>a&amp;b&lt;c&gt;d&quot;e&apos;f&#20250;&#x4E2D;&#x4e2d;&#0049;</t></is></c><c r="B1" t="str"><v>x&#xD800;y</v></c></row></sheetData>`, true},
	{"CDATA, comments, instructions", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + `<?mso-application progid="Excel.Sheet"?><!-- by hand --><worksheet><sheetData><row><c t="inlineStr"><is><t><![CDATA[a<b>&amp;]]]></t></is></c><!----><c t="str"><v>1<![CDATA[]]>2</v></c></row></sheetData></worksheet>`, true},
	{"prefixes", `<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData><x:row x:r="2" x14ac:dyDescent="0.25"><x:c r="B2" x:t="s"><x:v>1</x:v></x:c><x:c r="C2"><x:f>A1</x:f><x:v>3</x:v></x:c></x:row></x:sheetData></x:worksheet>`, true},
	{"CR, CRLF, tabs, spaces in tags", sheetHead + "<row\r\n r = '1' ><c\tt=\"inlineStr\" ><is><t>a\r\nb\rc\r\r\nd\t</t></is></c ><c t='str'\n><v>x&#13;&#10;y</v ></c></row\n></sheetData >", true},
	{"rich text, phonetic runs, self-closing", sheetHead + `<row r="1"><c r="A1" t="inlineStr"><is><r><rPr><b/><sz val="11"/></rPr><t>会员</t></r><r><t xml:space="preserve"> 充值</t></r><rPh sb="0" eb="1"><t>カイ</t></rPh></is></c><c r="B1"/><c r="C1"><f t="shared" si="0"/><v>7</v></c><c r="D1" s="3"><v>45306</v></c></row><row r="2"/><row r="3" hidden="1"><c r="A3" s="1"><v>123</v></c><c r="B3" s="2"><v>12345678901234567890</v></c></row></sheetData>`, true},
	{"hidden columns and odd numbers", sheetHead + `</sheetData><cols><col min="2" max="3" hidden="true"/><col min="+1" max="99999999999999999999" hidden="1"/><col min="x" max="2" hidden="1"/></cols><sheetData><row r="-1"><c r="1A" s="+2" t="n"><v> 7 </v></c><c s="99999999999999999999"><v>1e400</v></c></row></sheetData>`, true},
	{"duplicate attributes, row restarted, nesting ignored", sheetHead + `<row r="1" r="x"><c r="A1" r="C1" t="s" t="str"><v>a</v><v>b</v></c><row r="5"><c t="inlineStr"><is><t>q</t><v>w</v></is></c></row><v>outside</v><t>also</t></sheetData>`, true},
	{"BOM and text around", "\uFEFF" + sheetHead + " \n<row>x<c>y<v>1</v>z</c></row>tail</sheetData>", true},
	{"no sheetData end", sheetHead + `<row r="1"><c t="s"><v>2</v></c></row>`, true},
	{"ends inside a row", sheetHead + `<row r="1"><c t="s"><v>2</v></c>`, true},
	{"shared string out of range", sheetHead + `<row r="1"><c r="B1" t="s"><v>9</v></c></row></sheetData>`, true},
	{"shared string out of range, no r", sheetHead + `<row r="4"><c t="s"><v>-1</v></c></row></sheetData>`, true},
	{"another encoding declared", `<?xml version="1.0" encoding="GBK"?><worksheet><sheetData><row><c t="str"><v>1</v></c></row></sheetData></worksheet>`, false},
	{"a DOCTYPE", `<!DOCTYPE worksheet [<!ENTITY x "y">]><worksheet><sheetData><row><c t="str"><v>&x;</v></c></row></sheetData></worksheet>`, false},
	{"an unknown entity", sheetHead + `<row r="1"><c t="str"><v>1</v></c></row><row r="2"><c t="str"><v>a&nbsp;b</v></c></row></sheetData>`, false},
	{"invalid UTF-8", sheetHead + "<row r=\"1\"><c t=\"str\"><v>1</v></c></row><row r=\"2\"><c t=\"str\"><v>a\xffb</v></c></row></sheetData>", false},
	{"a control character", sheetHead + "<row r=\"1\"><c t=\"str\"><v>a\x01b</v></c></row></sheetData>", false},
	{"a character reference to NUL", sheetHead + `<row r="1"><c t="str"><v>a&#0;b</v></c></row></sheetData>`, false},
	{"]]> in text", sheetHead + `<row r="1"><c t="str"><v>a]]>b</v></c></row></sheetData>`, false},
	{"< in a value", sheetHead + `<row r="1"><c r="A<1" t="str"><v>a</v></c></row></sheetData>`, false},
	{"unquoted value", sheetHead + `<row r=1><c t="str"><v>a</v></c></row></sheetData>`, false},
	{"a non-ASCII name", sheetHead + `<row r="1"><c t="str"><v>a</v></c><é/></row></sheetData>`, false},
	{"truncated tag", sheetHead + `<row r="1"><c t="str"><v>a</v></c></row><row r="2"`, false},
	{"mismatched quote", sheetHead + `<row r="1'><c/></row></sheetData>`, false},
}

// sstCases: shared strings the scanner reads itself (whole) or leaves to encoding/xml.
var sstCases = []struct {
	name  string
	xml   string
	whole bool
}{
	{"plain", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3"><si><t>brand_id</t></si><si><t xml:space="preserve"> a&amp;b </t></si><si><t/></si></sst>`, true},
	{"rich text and phonetic runs", `<sst><si><r><rPr><b/></rPr><t>会员</t></r><r><t>充值</t></r><rPh sb="0" eb="2"><t>カイイン</t></rPh><phoneticPr fontId="1"/></si><si><t>_x000D_x_x005F_x0031_</t></si></sst>`, true},
	{"prefixes, CDATA, CRLF", `<x:sst xmlns:x="m"><x:si><x:t><![CDATA[<a>]]>` + "b\r\nc" + `</x:t></x:si><x:si><x:t>&#x4E2D;</x:t></x:si></x:sst>`, true},
	{"nested phonetic runs, t outside si", `<sst><t>out</t><si><rPh><rPh><t>x</t></rPh><t>y</t></rPh><t>z</t></si></sst>`, true},
	{"an unknown entity", `<sst><si><t>a</t></si><si><t>&nbsp;</t></si></sst>`, false},
	{"ends in a text", `<sst><si><t>a</t></si><si><t>b`, true},
	{"ends in a tag", `<sst><si><t>a</t></si><si><t>b</t`, false},
}

// TestSharedStringScanner: as TestSheetScanner, for the shared strings.
func TestSharedStringScanner(t *testing.T) {
	t.Parallel()
	for _, tc := range sstCases {
		if whole := checkSST(t, []byte(tc.xml), 0); whole != tc.whole {
			t.Errorf("%s: the scanner read it all: %v; want %v", tc.name, whole, tc.whole)
		}
	}
	// A string past a cell is refused by both at the same string.
	big := `<sst><si><t>a</t></si><si><t>` + strings.Repeat("é", maxCellBytes/2+1) + `</t></si></sst>`
	if !checkSST(t, []byte(big), 0) {
		t.Errorf("the scanner did not read the refused table itself")
	}
}

// TestSheetScanner: the scanner reads what real writers write itself, leaves the rest to
// encoding/xml, and the reading is encoding/xml's either way.
func TestSheetScanner(t *testing.T) {
	t.Parallel()
	for _, tc := range scanCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if whole := checkScan(t, []byte(tc.xml), 0); whole != tc.whole {
				t.Errorf("the scanner read it all: %v; want %v", whole, tc.whole)
			}
		})
	}
}

// TestSheetScannerGuard: a part the guard refuses is refused at the same point as with
// encoding/xml (the scanner reads through the same buffer size), with the same message.
func TestSheetScannerGuard(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString(sheetHead)
	for i := 1; i <= 20000; i++ {
		fmt.Fprintf(&b, `<row r="%d"><c t="inlineStr"><is><t>row %d</t></is></c></row>`, i, i)
	}
	b.WriteString(`</sheetData>`)
	data := []byte(b.String())
	for _, limit := range []int64{1, 100, 64 << 10, 64<<10 + 1, 200 << 10, int64(len(data)) - 5, int64(len(data))} {
		checkScan(t, data, limit)
	}
	// A run between two '<' past maxRun, after a while of rows.
	long := append(append([]byte(nil), data[:len(data)-len(`</sheetData>`)]...), []byte(`<row r="20001"><c t="inlineStr"><is><t>`+strings.Repeat("A", maxRun+10)+`</t></is></c></row></sheetData>`)...)
	want, _, _ := readWith(long, 0, true)
	if last := want[len(want)-1]; !strings.Contains(last.Err, "too large") {
		t.Fatalf("encoding/xml: %+v; want a refusal", last)
	}
	checkScan(t, long, 0)
}

// FuzzSheetScanner is the differential property (checkScan) for any sheet XML and any cap on
// the part's size.
func FuzzSheetScanner(f *testing.F) {
	for _, s := range sheetSeeds(f) {
		f.Add(s, uint32(0))
	}
	f.Add([]byte(scanCases[0].xml), uint32(100))
	f.Fuzz(func(t *testing.T, data []byte, limit uint32) {
		if len(data) > 1<<20 {
			return
		}
		checkScan(t, data, int64(limit))
		checkSST(t, data, int64(limit))
		// The bytes as a sequence of fragments: XML that byte mutations rarely make.
		doc := assemble(data)
		checkScan(t, doc, 0)
		checkSST(t, doc, 0)
	})
}

// fragments are pieces of sheet and shared-string XML, the odd ones among them, for assemble.
var fragments = []string{
	sheetHead, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`, `<?xml version="1.0" encoding="GBK"?>`, `<?pi x?>`, "\uFEFF",
	`<worksheet>`, `</worksheet>`, `<sheetData>`, `</sheetData>`, `<sheetData/>`, `<cols>`, `<col min="1" max="2" hidden="1"/>`, `<col min="3" max="3" hidden="true"></col>`, `</cols>`,
	`<row>`, `<row r="3">`, `<row r="2" hidden="1" spans="1:2">`, `<x:row x:r="7">`, `</row>`, `</x:row>`, `<row/>`, `<row r="0"/>`,
	`<c>`, `<c r="B3">`, `<c r="A1" t="s">`, `<c t="inlineStr">`, `<c t="str" s="1">`, `<c s="2">`, `<c s="3" t="n">`, `<c t="e">`, `<c t="b">`, `<c t="d">`, `<x:c r="C9" t="s">`, `</c>`, `</x:c>`, `<c r="D1"/>`,
	`<v>`, `</v>`, `<v/>`, `<f>`, `</f>`, `<f t="shared" si="0"/>`, `<is>`, `</is>`, `<t>`, `<t xml:space="preserve">`, `</t>`, `<r>`, `</r>`, `<rPr><b/></rPr>`, `<rPh sb="0">`, `</rPh>`,
	`<si>`, `</si>`, `<sst>`, `</sst>`,
	`0`, `1`, `2`, `-1`, `7`, `12345`, `45306.5`, `1E+3`, `12345678901234567890`, ` `, "\n", "\r\n", "\r", "\t", `_x000D_`, `_x005F_x0031_`, `会员`, `TRUE`, `#N/A`, `2026-01-02`,
	`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&#49;`, `&#x4E2D;`, `&#xD800;`, `&#0;`, `&#x110000;`, `&nbsp;`, `&amp`, `&`, `]]>`, `]]`, `>`, `<![CDATA[x<y]]>`, `<![CDATA[`, `<!-- c -->`, `<!-- a--b -->`, `<!DOCTYPE x>`,
	"\x01", "\xff", `<é/>`, `<a:b:c/>`, `<c r=1>`, `<c r="1'>`, `<`, `</`, `<c `, `"`,
}

// assemble makes XML of fragments, one per byte of data.
func assemble(data []byte) []byte {
	var b []byte
	for _, c := range data {
		b = append(b, fragments[int(c)%len(fragments)]...)
	}
	return b
}

// TestSheetScannerRandom: checkScan and checkSST on documents of random fragments.
func TestSheetScannerRandom(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(15, 15))
	n := 3000
	if testing.Short() {
		n = 300
	}
	whole := 0
	for range n {
		data := make([]byte, 5+rng.IntN(60))
		for i := range data {
			data[i] = byte(rng.IntN(256))
		}
		// Mostly well-formed: start with a sheet's head.
		doc := append([]byte(sheetHead), assemble(data)...)
		if checkScan(t, doc, 0) {
			whole++
		}
		checkSST(t, assemble(data), 0)
	}
	t.Logf("the scanner read %d of %d documents whole", whole, n)
}

// TestScannerTakesCorpus: the fast path reads every worksheet of every writer of the corpus
// itself (it cannot silently always fall back), and every fixture reads the same with
// encoding/xml alone: header, rows, notes, warnings, refusals.
func TestScannerTakesCorpus(t *testing.T) {
	t.Parallel()
	writers := map[string]int{}
	for _, name := range corpusFiles(t) {
		if !strings.HasSuffix(name, ".xlsx") {
			continue
		}
		exp := loadSidecar(t, name)
		path := filepath.Join(corpusDir, filepath.FromSlash(name))
		if fi, err := os.Stat(path); err != nil || fi.Size() > 10<<20 {
			continue
		}
		got, fast, gerr := readFixture(path, exp.Options.table(), false)
		want, _, werr := readFixture(path, exp.Options.table(), true)
		if fmt.Sprint(gerr) != fmt.Sprint(werr) || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: read\n%v (%v)\nwith encoding/xml\n%v (%v)", name, got, gerr, want, werr)
		}
		if gerr == nil {
			if !fast {
				t.Errorf("%s (%s): the scanner fell back", name, exp.Writer)
			}
			if sst := sstRead(path, exp.Options.table()); sst != "" {
				t.Errorf("%s (%s): %s", name, exp.Writer, sst)
			}
			writers[strings.Fields(exp.Writer)[0]]++
		}
	}
	for _, w := range []string{"openpyxl", "XlsxWriter", "LibreOffice", "SheetJS", "ExcelJS", "hand-written"} {
		if writers[w] == 0 {
			t.Errorf("no fixture of %s read by the scanner (%v)", w, writers)
		}
	}
	t.Logf("read by the scanner: %v", writers)
}

// sstRead is why the workbook's shared strings were not read by the scanner, "" if they were
// (or it has none).
func sstRead(path string, opt Options) string {
	tb, err := openXLSXWith(path, opt, false)
	if err != nil {
		return err.Error()
	}
	defer tb.Close()
	if xt := tb.(*xlsxTable); xt.hasSST && !xt.sstFast {
		return "the scanner fell back on the shared strings"
	}
	return ""
}

// readFixture reads a whole XLSX file as a string per row (cells, notes, texts) and the
// header and warnings; fast is whether the scanner read the sheet without falling back.
func readFixture(path string, opt Options, xmlOnly bool) (out []string, fast bool, err error) {
	if kind, err := sniff(path); err != nil || kind != kindXLSX {
		return nil, false, fmt.Errorf("not read as XLSX: %v", err)
	}
	tb, err := openXLSXWith(path, opt, xmlOnly)
	if err != nil {
		return nil, false, err
	}
	defer tb.Close()
	xt := tb.(*xlsxTable)
	out = append(out, fmt.Sprintf("header %d %q", HeaderLine(tb), tb.Header()))
	for {
		line, cells, err := tb.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return out, false, err
		}
		out = append(out, fmt.Sprintf("%d: %q %v %q", line, cells, slices.Clone(xt.Notes()), xt.NoteTexts()))
	}
	out = append(out, fmt.Sprintf("warnings %+v", Warnings(tb)))
	return out, !xmlOnly && !xt.fellBack && xt.dec == nil, nil
}

// TestGuardRuns: the guard refuses a run of more than maxRun bytes between two '<' (or before
// the first), whatever the sizes of the reads that bring it, and nothing shorter.
func TestGuardRuns(t *testing.T) {
	t.Parallel()
	for _, gap := range []int{maxRun - 1, maxRun, maxRun + 1} {
		for _, lead := range []int{0, 1, 5000} {
			data := []byte(strings.Repeat("<", lead) + strings.Repeat("a", gap) + "<b>" + strings.Repeat("<c/>", 10))
			for _, chunk := range []int{1 << 10, 64 << 10, 64<<10 - 1, maxRun, maxRun + 7, 4 << 20} {
				g := &xmlGuard{r: bytes.NewReader(data), part: "p", limit: 1 << 30}
				_, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{g}, make([]byte, chunk))
				if refused := err != nil; refused != (gap > maxRun) {
					t.Errorf("gap %d after %d '<', reads of %d: %v", gap, lead, chunk, err)
				}
			}
		}
	}
}
