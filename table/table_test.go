package table

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// testdata holds the input files that batch validates too.
const testdata = "../batch/testdata"

// readAll reads every row of a table as "line: cell|cell|…".
func readAll(t *testing.T, tb Table) []string {
	t.Helper()
	var out []string
	for {
		line, cells, err := tb.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, itoa(line)+": "+strings.Join(cells, "|"))
	}
}

func itoa(n int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + jsonNum(n)) }

func jsonNum(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestOpenTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file string
		opt        Options
		enc        string
		header     string
		rows       []string
	}{
		// UTF-8 with BOM and CRLF, a quoted comma, a blank line that is still row 3 in Excel.
		{"utf8 bom crlf", "utf8_bom_crlf.csv", Options{}, EncUTF8BOM,
			"brand_id|shop_id|operator_id|outer_order_id|new_outer_order_id|operate_type|change_value|customer_id|mobile|outer_id|outer_type|reason|request_id|campaign",
			[]string{
				"2: B1|S1|op1|O-1||1|1000|C001||||top-up, spring||x",
				"4: B1|S1|op1|O-2||freeze|500|C001||||||",
				"5: B1|S1|op1|O-2||verify|400|C001||||||",
				"6: B1|S1|op1|O-1|R-1|refund|100|C001||||||",
				"7: 0012|S1|op1|O-3||充值|1||013800000000|||||",
				"8: B1|S1|op1|O-4||1|1|||oWx123|WeChat|||",
			}},
		// Semicolons and tabs are detected from the header line.
		{"semicolon", "semicolon.csv", Options{}, EncUTF8, "", []string{"2: B1|S1|op1|O-1||1|1000|C1||||a, b||"}},
		{"tab", "tab.tsv", Options{}, EncUTF8, "", []string{"2: B1|S1|op1|O-1||1|1000|C1||||tab||"}},
		// GBK is detected when the file is not UTF-8, and says so.
		{"gbk", "gbk.csv", Options{}, EncGBK, "品牌ID|门店ID|操作人ID|外部订单号|回退单号|操作类型|金额|顾客ID|手机号|备注",
			[]string{"2: 30001|S1|op1|GB-1||充值|1000||13800000000|会员充值", "3: 30001|S1|op1|GB-1|GB-R1|充值回退|100||13800000000|客户申请退款"}},
		// UTF-16 with a BOM (Excel's "Unicode Text"): read (it was refused as UTF-16 before).
		{"utf-16", "utf16.csv", Options{}, EncUTF16LE, "brand_id|shop_id", nil},
		// A four-byte GB18030 sequence makes it GB18030.
		{"gb18030", "gb18030.csv", Options{}, EncGB18030, "", []string{"2: 30001|S1|op1|GB-1||充值|1000||13800000000|会员充值㐀", "3: 30001|S1|op1|GB-1|GB-R1|充值回退|100||13800000000|客户申请退款"}},
		// --encoding gbk on a GBK file.
		{"gbk forced", "gbk.csv", Options{Encoding: "GBK"}, EncGBK, "", nil},
		// A workbook saved by LibreOffice: numbers exact, formulas by cached value, dates and rounded numbers noted.
		{"libreoffice", "lo_fixture.xlsx", Options{Sheet: "Ops"}, EncXLSX,
			"品牌ID|Shop ID|operator_id|外部订单号|操作类型|金额|手机号|note",
			[]string{
				"2: 00123|2001|op-1|LO-1|1|1332|18651812345|0.1",
				"3: 00123|2001|op-1|LO-2|charge|1332|13800000000|0.333333333333333",
				"4: 00123|2001|op-1|LO-3|充值|10.5|13800000001|10.5",
				"5: 00123|2001|op-1|LO-4|1|2024-01-15|13800000002|2024-01-15",
				"6: 00123|2001|op-1|LO-5|1|100|1.86518E+10|sci format", // 18651812345 shown by 0.00000E+00, as Excel shows it (noted)
				"7: 00123|2001|op-1|LO-6|1|100|1.23456789012346E+16|17 digits",
				"9: 00123|2001|op-1|LO-7|3|250|1.86518E+10|text sci",
				"10: 00123|2001|op-1|LO-1|1|1332|13800000003|duplicate",
			}},
		// The same sheet by number.
		{"libreoffice by index", "lo_fixture.xlsx", Options{Sheet: "2"}, EncXLSX, "品牌ID|Shop ID|operator_id|外部订单号|操作类型|金额|手机号|note", nil},
		// The first visible sheet is the default; empty rows and trailing rows are skipped.
		{"hidden first sheet", "hidden_first.xlsx", Options{}, EncXLSX,
			"brand_id|shop_id|operator_id|outer_order_id|operate_type|change_value|customer_id|reason",
			[]string{
				"2: B1|S1|op1|X-1|1|1000|000777|ok",
				"3: B1|S1|op1|X-2|1||C2|formula without a cached value",
				"4: B1|S1|op1|X-3|verify|0.1|C3|0.1 fen",
				"6: B1|S1|op1|X-4|charge|250|C4|TRUE",
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tb, err := Open(filepath.Join(testdata, tc.file), tc.opt)
			if err != nil {
				t.Fatalf("OpenTable: %v", err)
			}
			defer tb.Close()
			if got := tb.Encoding(); got != tc.enc {
				t.Errorf("Encoding() = %q; want %q", got, tc.enc)
			}
			if tc.header != "" {
				if got := strings.Join(tb.Header(), "|"); got != tc.header {
					t.Errorf("Header() = %q; want %q", got, tc.header)
				}
			}
			if tc.rows != nil {
				if got := readAll(t, tb); !reflect.DeepEqual(got, tc.rows) {
					t.Errorf("rows:\n got %q\nwant %q", got, tc.rows)
				}
			}
		})
	}
}

func TestOpenTableUnreadable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, opt, want string
	}{
		{"empty.csv", "", "is empty"},
		{"blank_lines.csv", "", "is empty"},
		{"binary.csv", "", "binary file"},
		{"encrypted.xlsx", "", "encrypted"},
		{"not_a_zip.xlsx", "", "not a valid XLSX"},
		{"corrupt.xlsx", "", "corrupt"},
		{"spreadsheet.ods", "", "OpenDocument"},
		{"missing.csv", "", "cannot open"},
		{"lo_fixture.xlsx", "Nope", `no sheet "Nope": the workbook has "Notes", "Ops"`},
		{"lo_fixture.xlsx", "3", `no sheet "3"`},
	}
	for _, tc := range tests {
		t.Run(tc.file+tc.opt, func(t *testing.T) {
			t.Parallel()
			tb, err := Open(filepath.Join(testdata, tc.file), Options{Sheet: tc.opt})
			if err == nil {
				tb.Close()
				t.Fatalf("Open(%s) succeeded; want an error with %q", tc.file, tc.want)
			}
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Errorf("error %T %v; want *FileError", err, err)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q; want one line containing %q", msg, tc.want)
			}
		})
	}
}

func TestSheetNames(t *testing.T) {
	t.Parallel()
	got, err := SheetNames(testdata + "/lo_fixture.xlsx")
	if err != nil || !reflect.DeepEqual(got, []string{"Notes", "Ops"}) {
		t.Errorf("SheetNames = %q, %v; want [Notes Ops]", got, err)
	}
	if _, err := SheetNames(testdata + "/gbk.csv"); err == nil {
		t.Errorf("SheetNames(csv) succeeded; want an error")
	}
}

func TestNumberText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		note     Note
	}{
		{"1332", "1332", NoteNone},                                      // plain integer
		{"1332.0000000000002", "1332", NoteNone},                        // binary artefact past 15 digits
		{"0.30000000000000004", "0.3", NoteNone},                        // the classic artefact
		{"0.1", "0.1", NoteNone},                                        // exact text
		{"10.5", "10.5", NoteNone},                                      // a decimal
		{"1E+3", "1000", NoteNone},                                      // a writer's exponent, exact value
		{"1.5E-3", "0.0015", NoteNone},                                  // negative exponent
		{"-0.5", "-0.5", NoteNone},                                      // sign kept
		{"0", "0", NoteNone},                                            // zero
		{"000123", "123", NoteNone},                                     // a numeric cell has no leading zeros
		{"18651812345", "18651812345", NoteNone},                        // an 11-digit mobile is exact
		{"123456789012345", "123456789012345", NoteNone},                // 15 digits: exact
		{"1234567890123456", "1.23456789012346E+15", NoteRounded},       // 16-digit integer: rounded
		{"1.2345678901234568E+17", "1.23456789012346E+17", NoteRounded}, // an 18-digit id
		{"12345678901234600", "1.23456789012346E+16", NoteRounded},      // LibreOffice's zero-filled form
		{"12345678901234.567", "12345678901234.6", NoteNone},            // 15 significant digits, as Excel shows
		{"abc", "abc", NoteBadNumber},                                   // not a number
		{"1e", "1e", NoteBadNumber},                                     // cut exponent
	}
	for _, tc := range tests {
		got, note := numberText(tc.in)
		if got != tc.want || note != tc.note {
			t.Errorf("numberText(%q) = %q, %d; want %q, %d", tc.in, got, note, tc.want, tc.note)
		}
	}
}

func TestXLSXCellText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typ, v  string
		style   styleKind
		formula bool
		value   bool
		want    string
		note    Note
	}{
		{"s", "00123", styleGeneral, false, true, "00123", NoteNone},  // shared string keeps zeros
		{"inlineStr", "x", styleGeneral, false, true, "x", NoteNone},  // inline string
		{"", "45306", styleDate, false, true, "2024-01-15", NoteDate}, // a date cell
		{"", "45306.5", styleDate, false, true, "2024-01-15 12:00:00", NoteDate},
		{"n", "18651812345", styleScientific, false, true, "18651812345", NoteScientific},
		{"", "", styleGeneral, true, false, "", NoteNoCache},        // formula without a value
		{"str", "abc", styleGeneral, true, true, "abc", NoteNone},   // formula with a string value
		{"n", "1332", styleGeneral, true, true, "1332", NoteNone},   // formula with a cached number
		{"e", "#N/A", styleGeneral, false, true, "#N/A", NoteError}, // error value
		{"b", "1", styleGeneral, false, true, "TRUE", NoteNone},     // boolean
		{"d", "2024-01-15T00:00:00", styleGeneral, false, true, "2024-01-15T00:00:00", NoteDate},
		{"n", "", styleGeneral, false, false, "", NoteNone}, // empty
	}
	for _, tc := range tests {
		got, note := xlsxCellText(tc.typ, tc.v, tc.style, tc.formula, tc.value, false)
		if got != tc.want || note != tc.note {
			t.Errorf("xlsxCellText(%q, %q, %d) = %q, %d; want %q, %d", tc.typ, tc.v, tc.style, got, note, tc.want, tc.note)
		}
	}
}

func TestClassifyFormat(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]styleKind{
		"General":                 styleGeneral,
		"@":                       styleGeneral,
		"0.00":                    styleGeneral,
		`#,##0.00" 元"`:            styleGeneral, // "元" is quoted text, not a date token
		`yyyy\-mm\-dd`:            styleDate,
		`yyyy"年"m"月"d"日"`:         styleDate,
		"[h]:mm:ss":               styleDate,
		"[$-804]yyyy/m/d":         styleDate,
		"0.00000E+00":             styleScientific,
		"##0.0E+0":                styleScientific,
		"[Red]#,##0;[Blue]-#,##0": styleGeneral,
	} {
		if got := classifyFormat(code); got != want {
			t.Errorf("classifyFormat(%q) = %d; want %d", code, got, want)
		}
	}
	for id, want := range map[int]styleKind{0: styleGeneral, 1: styleGeneral, 11: styleScientific, 14: styleDate, 22: styleDate, 49: styleGeneral, 57: styleDate} {
		if got := builtinFormat(id); got != want {
			t.Errorf("builtinFormat(%d) = %d; want %d", id, got, want)
		}
	}
}

func TestCSVLineNumbers(t *testing.T) {
	t.Parallel()
	// Quoted newlines stay in one row; blank lines are rows too (as Excel shows the file).
	text := "a,b\n1,\"x\ny\"\n\n\n2,z\r\n3,\"\"\"q\"\"\"\n"
	tb, err := newCSVTable("mem.csv", io.NopCloser(bytes.NewReader([]byte(text))), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		line, cells, err := tb.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, itoa(line)+"="+strings.Join(cells, "|"))
	}
	want := []string{"2=1|x\ny", "5=2|z", "6=3|\"q\""}
	if strings.Join(got, ";") != strings.Join(want, ";") {
		t.Errorf("rows %q; want %q", got, want)
	}
}

// FuzzCellText feeds arbitrary stored values through the XLSX cell conversion: no panic; a number
// without a note is plain decimal text of at most 15 significant digits.
func FuzzCellText(f *testing.F) {
	for _, s := range []string{"1332", "0.30000000000000004", "1.2345678901234568E+17", "1E+3", "-0", "45306.5", "1e-400", "9E9999", ".", "1.", "0000"} {
		f.Add("n", s, uint8(0), false, true)
	}
	f.Add("", "45306", uint8(1), false, true)
	f.Add("s", "00123", uint8(0), false, true)
	f.Add("", "", uint8(0), true, false)
	f.Fuzz(func(t *testing.T, typ, v string, style uint8, formula, value bool) {
		text, note := xlsxCellText(typ, v, styleKind(style%3), formula, value, style&4 != 0)
		if (typ == "" || typ == "n") && value && strings.TrimSpace(v) != "" && note == NoteNone && styleKind(style%3) == styleGeneral {
			d, ok := parseDecimal(text)
			if !ok || len(d.digits) > maxExcelDigits || strings.ContainsAny(text, "eE") {
				t.Fatalf("numberText(%q) = %q: not plain decimal of ≤ 15 digits", v, text)
			}
			if d.exp > maxExcelDigits {
				t.Fatalf("numberText(%q) = %q: integer of more than 15 digits without a note", v, text)
			}
		}
	})
}

// TestCSVQuoting: quotes as RFC 4180 reads them, and as Excel does; a malformed field refuses the
// file naming the line where the field started, never merging rows.
func TestCSVQuoting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text string
		rows       []string // "row=cell|cell"
		refuse     []string // words of the refusal
	}{
		{"bare quotes are literal", "h1,h2\n1,he said \"hi\"\n2,5\" screen\n", []string{`2=1|he said "hi"`, `3=2|5" screen`}, nil},
		{"doubled quotes", "h1,h2\n1,\"a \"\"b\"\" c\"\n", []string{`2=1|a "b" c`}, nil},
		{"delimiter and CRLF inside quotes", "h1,h2\r\n1,\"a,b\r\nc\"\r\n2,x\r\n", []string{"2=1|a,b\nc", "3=2|x"}, nil},
		{"spaces after the closing quote", "h1,h2,h3\n1,\"x\"  ,y\n", []string{"2=1|x  |y"}, nil},
		{"empty quoted fields", "h1,h2\n\"\",x\n", []string{"2=|x"}, nil},
		{"text after the closing quote", "h1,h2,h3\n1,ok,x\n2,\"VIP\" customer,y\n3,z,w\n", nil,
			[]string{"line 3", `"VIP" customer`, "quote", `"""VIP"" customer"`}},
		{"never closed", "h1,h2\n1,a\n2,\"open\n", nil, []string{"line 3", "closing quote is missing"}},
		{"closed rows later", "h1,h2,h3\n1,a,b\n2,\"open,c\n3,d,e\n4,\"x\",f\n", nil, []string{"line 3", "line 4", "closing quote is missing"}},
		{"a quoted line break is one row", "h1,h2,h3\n1,\"a\nb\",c\n2,d,e\n", []string{"2=1|a\nb|c", "3=2|d|e"}, nil},
		{"CR line ends", "h1,h2\r1,2\r3,4\r", []string{"2=1|2", "3=3|4"}, nil},
		{"ERP =\"00123\"", "h1,h2,h3,h4\n=\"00123\",\"=\"\"00456\"\"\",=\"a\"\"b\",=1+2\n", []string{`2=00123|00456|a"b|=1+2`}, nil},
		{"=\"…\" not a plain string", "h1,h2\n=\"a\"b\",=\"\n", []string{`2=="a"b"|="`}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tb, err := newCSVTable("mem.csv", io.NopCloser(strings.NewReader(tc.text)), "", 0)
			var got []string
			if err == nil {
				for {
					line, cells, err2 := tb.Next()
					if errors.Is(err2, io.EOF) {
						break
					}
					if err2 != nil {
						err = err2
						break
					}
					got = append(got, itoa(line)+"="+strings.Join(cells, "|"))
				}
				tb.Close()
			}
			if tc.refuse != nil {
				if err == nil {
					t.Fatalf("read %q; want a refusal with %q", got, tc.refuse)
				}
				var fe *FileError
				if !errors.As(err, &fe) || !containsAll(err.Error(), tc.refuse) || strings.Contains(err.Error(), "\n") {
					t.Errorf("refusal %q; want one line with %q", err, tc.refuse)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !reflect.DeepEqual(got, tc.rows) {
				t.Errorf("rows %q; want %q", got, tc.rows)
			}
		})
	}
}

// TestRenderNumber: numbers as Excel shows them with a number format, exactly (no floating point).
func TestRenderNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code, v, want string
		exact         bool
	}{
		{"00000", "123", "00123", true},
		{"000", "7", "007", true},
		{"000", "1234", "1234", true},       // more digits than placeholders: all shown
		{"000", "7.6", "008", false},        // rounded
		{"0", "2.5", "3", false},            // half up
		{"0.00", "10000", "10000.00", true}, // decimals added: the same number
		{"0.00", "2.555", "2.56", false},    // rounded
		{"#,##0", "1234567", "1,234,567", true},
		{"#,##0.00", "1234.5", "1,234.50", true},
		{"#,##0", "0", "0", true},
		{"#", "0", "", true},
		{"0%", "1", "100%", false}, // a percentage shows another number
		{"0.0%", "0.125", "12.5%", false},
		{`"S"000`, "7", "S007", true},
		{"000-0000", "1234567", "123-4567", true},
		{`000\-0000\-0000`, "18651822226", "186-5182-2226", true},
		{`¥#,##0.00`, "88.8", "¥88.80", true},
		{`[$¥-804]#,##0.00`, "88.8", "¥88.80", true},
		{`#,##0.00 "元"`, "100", "100.00 元", true},
		{`#,##0.00_);(#,##0.00)`, "-5", "(5.00)", true},
		{`0.00;-0.00;"-"`, "0", "-", true},
		{"0.00", "-1.5", "-1.50", true},
		{"#,##0,", "1234567", "1,235", false}, // scaled by 1000
		{"0.00E+00", "12345", "1.23E+04", false},
		{"0.00000E+00", "18651812345", "1.86518E+10", false},
		{"0.00E+00", "0.00012", "1.20E-04", true},
		{"0.0E+0", "99.96", "1.0E+2", false},
		{"##0.0E+0", "12345", "12.3E+3", false},
		{"0.00E+00", "0", "0.00E+00", true},
		{"[Red]0.00", "1", "1.00", true},
		{`"ID-"General`, "42", "ID-42", true},
		{"0.###", "1.5", "1.5", true},
		{"0.0??", "1.5", "1.5  ", true},
	}
	for _, tc := range tests {
		d, ok := parseDecimal(tc.v)
		if !ok {
			t.Fatalf("parseDecimal(%q)", tc.v)
		}
		got, exact, ok := renderNumber(tc.code, d)
		if !ok || got != tc.want || exact != tc.exact {
			t.Errorf("renderNumber(%q, %s) = %q, exact %v, ok %v; want %q, %v", tc.code, tc.v, got, exact, ok, tc.want, tc.exact)
		}
	}
	for _, code := range []string{"# ?/?", "[>100]0;0", "@", "[h]:mm"} {
		if _, _, ok := renderNumber(code, decimal{digits: "1", exp: 1}); ok {
			t.Errorf("renderNumber(%q) rendered; want not supported", code)
		}
	}
}

// TestNumberShown: what a numeric cell reads as with each kind of format, and its note.
func TestNumberShown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code, v, text string
		note          Note
		other         string
	}{
		{"General", "123", "123", NoteNone, ""},
		{"00000", "123", "00123", NoteNone, ""},                    // zero padding applied: the id Excel shows
		{"000", "7.6", "7.6", NoteFormatDigits, "008"},             // padding that rounds: the number, noted
		{"0.00E+00", "12345", "1.23E+04", NoteScientific, "12345"}, // shown as Excel does, the number behind it
		{"#,##0", "1234", "1234", NoteFormatted, "1,234"},          // exact number, shown with a separator
		{"0.00", "10000", "10000", NoteFormatted, "10000.00"},
		{"0", "10000", "10000", NoteNone, ""}, // shows the same text
		{"0%", "1", "1", NoteFormatDigits, "100%"},
		{"# ?/?", "1.5", "1.5", NoteFormatted, ""}, // not rendered: noted, what it shows unknown
		{"00000", "12345678901234567", "1.23456789012346E+16", NoteRounded, ""},
	}
	for _, tc := range tests {
		text, note, other := numberShown(tc.v, parseNumFormat(tc.code))
		if text != tc.text || note != tc.note || other != tc.other {
			t.Errorf("numberShown(%s, %q) = %q, %s, %q; want %q, %s, %q", tc.v, tc.code, text, note.Kind(), other, tc.text, tc.note.Kind(), tc.other)
		}
	}
}

// TestDecodeEscapes: Excel's _xHHHH_ escapes in strings.
func TestDecodeEscapes(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain":                 "plain",
		"A_x000D_B":             "A\rB",
		"_x4E2D_":               "中",
		"C_x005F_x0031_":        "C_x0031_",
		"_x005F_x4E2D_ literal": "_x4E2D_ literal",
		"x_x0009_y":             "x\ty",
		"_xD83D__xDE00_":        "😀",
		"_xD83D_":               "\uFFFD",
		"_x12_ and _x123G_":     "_x12_ and _x123G_",
		"_x_x0041_":             "_xA",
		"snake_x":               "snake_x",
	} {
		if got := decodeEscapes(in); got != want {
			t.Errorf("decodeEscapes(%q) = %q; want %q", in, got, want)
		}
	}
}

// FuzzNumberFormat feeds arbitrary format codes and stored numbers through the number-format
// path: no panic; zero padding shows an integer's digits padded; an exact rendering of a plain
// fixed format keeps the number's digits.
func FuzzNumberFormat(f *testing.F) {
	for _, c := range []string{"00000", "#,##0.00", `"S"000`, "0.00E+00", "##0.0E+0", "0%", `[$¥-804]#,##0;[Red]-#,##0;"-"`, "0.0??", `"ID-"General`, "#,##0,", "_(* #,##0_)", "[>100]0", "\\", "\"", "[", "E+", "0.E+0"} {
		f.Add(c, "12345")
		f.Add(c, "-0.005")
	}
	f.Add("000", "7")
	f.Fuzz(func(t *testing.T, code, v string) {
		if len(code) > 200 || len(v) > 100 {
			return
		}
		text, note, other := numberShown(v, parseNumFormat(code))
		_, _, _ = text, note, other
		d, ok := parseDecimal(v)
		if !ok {
			return
		}
		shown, exact, ok := renderNumber(code, d)
		if !ok {
			return
		}
		if n := len(code); n > 0 && strings.Trim(code, "0") == "" && !d.neg && exact && d.exp <= 15 {
			if want := d.plain(); strings.TrimLeft(shown, "0") != strings.TrimLeft(want, "0") || len(shown) < n {
				t.Fatalf("renderNumber(%q, %s) = %q; want %s padded to %d digits", code, v, shown, want, n)
			}
		}
	})
}

// TestDetectEncoding: UTF-8 unless the bytes are not UTF-8, or are GBK too and read far better as
// GBK; a close call is a warning.
func TestDetectEncoding(t *testing.T) {
	t.Parallel()
	gbk := func(s string) []byte {
		b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name string
		text []byte
		enc  string
		warn bool
	}{
		{"ascii", []byte("a,b\n1,2\n"), EncUTF8, false},
		{"utf-8 chinese", []byte("brand,reason\n1,会员充值\n2,充值送券\n"), EncUTF8, false},
		{"utf-8 european", []byte("name,reason\n1,Müller café\n2,José Ñúñez\n"), EncUTF8, false},
		{"gbk, not utf-8", gbk("brand,reason\n1,会员充值\n"), EncGBK, false},
		{"gbk that is valid utf-8", gbk("a,b\n1,失效\n2,系统通知\n3,直营签约\n"), EncGBK, true},
		{"one gbk word valid as utf-8", gbk("a,b\n1,失效\n"), EncGBK, true},
		{"gb18030", append(gbk("a,b\n1,"), 0x81, 0x30, 0x81, 0x30, '\n'), EncGB18030, false},
	}
	for _, tc := range tests {
		enc, warn, err := detectEncoding(tc.text, true)
		if err != nil || enc != tc.enc || (warn != nil) != tc.warn {
			t.Errorf("%s: %q, warning %v, %v; want %q, warning %v", tc.name, enc, warn, err, tc.enc, tc.warn)
		}
		if warn != nil && (!strings.Contains(warn.Message, "--encoding") || warn.Kind != WarnEncoding) {
			t.Errorf("%s: warning %+v; want it to say how to force the other", tc.name, warn)
		}
	}
	if _, _, err := detectEncoding([]byte("a,b\n\xff\xfe\xfd\n"), true); err == nil {
		t.Errorf("bytes neither UTF-8 nor GBK: no error")
	}
}

// TestCSVShapes: Excel's other text saves: UTF-16 with a BOM (either order, tab-separated),
// a sep= first line (used, not shown: the header is row 1), and CR-only line ends.
func TestCSVShapes(t *testing.T) {
	t.Parallel()
	utf16 := func(s string, big bool) string {
		var b []byte
		if big {
			b = append(b, 0xFE, 0xFF)
		} else {
			b = append(b, 0xFF, 0xFE)
		}
		for _, r := range s {
			if big {
				b = append(b, byte(r>>8), byte(r))
			} else {
				b = append(b, byte(r), byte(r>>8))
			}
		}
		return string(b)
	}
	tests := []struct {
		name, text, enc string
		header          string
		rows            []string
	}{
		{"utf-16le", utf16("h1\th2\r\n1\t会员\r\n", false), EncUTF16LE, "h1|h2", []string{"2=1|会员"}},
		{"utf-16be", utf16("h1\th2\n1\t会员\n", true), EncUTF16BE, "h1|h2", []string{"2=1|会员"}},
		{"sep=", "sep=;\r\nh1;h2\r\n1;a,b\r\n", EncUTF8, "h1|h2", []string{"2=1|a,b"}},
		{"sep= with a BOM", "\xEF\xBB\xBFsep=|\nh1|h2\n1|2\n", EncUTF8BOM, "h1|h2", []string{"2=1|2"}},
		{"CR only", "h1,h2\r1,2\r\r3,4", EncUTF8, "h1|h2", []string{"2=1|2", "4=3|4"}},
	}
	for _, tc := range tests {
		tb, err := newCSVTable("mem.csv", io.NopCloser(strings.NewReader(tc.text)), "", 0)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var got []string
		for {
			line, cells, err := tb.Next()
			if err != nil {
				break
			}
			got = append(got, itoa(line)+"="+strings.Join(cells, "|"))
		}
		if tb.Encoding() != tc.enc || strings.Join(tb.Header(), "|") != tc.header || HeaderLine(tb) != 1 || !reflect.DeepEqual(got, tc.rows) {
			t.Errorf("%s: %s, header %q on row %d, rows %q; want %s, %q on row 1, %q", tc.name, tb.Encoding(), tb.Header(), HeaderLine(tb), got, tc.enc, tc.header, tc.rows)
		}
		tb.Close()
	}
}

// TestHeaderRow: the header is found below a title, a date line and empty rows, or taken from
// Options.HeaderRow; HeaderLine says which row it was.
func TestHeaderRow(t *testing.T) {
	t.Parallel()
	known := func(cells []string) int {
		n := 0
		for _, c := range cells {
			if c == "brand_id" || c == "shop_id" || c == "金额" {
				n++
			}
		}
		return n
	}
	const titled = "2026年11月储值充值\n导出日期：2026-11-30\n\nbrand_id,shop_id,金额\nB1,S1,100\n"
	tests := []struct {
		name, text string
		opt        Options
		line       int
		rows       []string
		refuse     string
	}{
		{"title rows, scored", titled, Options{HeaderScore: known}, 4, []string{"5=B1|S1|100"}, ""},
		{"title rows, no score: the first row with two values", titled, Options{}, 4, []string{"5=B1|S1|100"}, ""},
		{"a two-cell title, scored", "报表,2026\nbrand_id,shop_id\nB1,S1\n", Options{HeaderScore: known}, 2, []string{"3=B1|S1"}, ""},
		{"a two-cell title, no score", "报表,2026\nbrand_id,shop_id\nB1,S1\n", Options{}, 1, []string{"2=brand_id|shop_id", "3=B1|S1"}, ""},
		{"header on row 1", "brand_id,shop_id\nB1,S1\n", Options{HeaderScore: known}, 1, []string{"2=B1|S1"}, ""},
		{"one known name in a data row", "name,phone\nx,y\n金额,z\n", Options{HeaderScore: known}, 1, []string{"2=x|y", "3=金额|z"}, ""},
		{"--header-row", titled, Options{HeaderRow: 4}, 4, []string{"5=B1|S1|100"}, ""},
		{"--header-row above the header", titled, Options{HeaderRow: 2, HeaderScore: known}, 2, []string{"4=brand_id|shop_id|金额", "5=B1|S1|100"}, ""},
		{"--header-row on an empty row", titled, Options{HeaderRow: 3}, 0, nil, "row 3 is empty"},
		{"--header-row past the end", titled, Options{HeaderRow: 9}, 0, nil, "has no row 9"},
	}
	for _, tc := range tests {
		tb, err := openCSVStream("mem.csv", io.NopCloser(strings.NewReader(tc.text)), csvConfig{opt: tc.opt})
		if tc.refuse != "" {
			if err == nil || !strings.Contains(err.Error(), tc.refuse) {
				t.Errorf("%s: %v; want a refusal with %q", tc.name, err, tc.refuse)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var got []string
		for {
			line, cells, err := tb.Next()
			if err != nil {
				break
			}
			got = append(got, itoa(line)+"="+strings.Join(cells, "|"))
		}
		tb.Close()
		if HeaderLine(tb) != tc.line || !reflect.DeepEqual(got, tc.rows) {
			t.Errorf("%s: header on row %d, rows %q; want row %d, %q", tc.name, HeaderLine(tb), got, tc.line, tc.rows)
		}
	}
}

// TestOtherFormats: files that are spreadsheets of another kind get a message that says what
// they are and what to do, never "corrupt or renamed".
func TestOtherFormats(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	u16 := func(s string) []byte {
		var b []byte
		for _, c := range []byte(s) {
			b = append(b, c, 0)
		}
		return b
	}
	cfb := func(stream string) []byte {
		b := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 1024)...)
		return append(b, u16(stream)...)
	}
	var xlsb bytes.Buffer
	zw := zip.NewWriter(&xlsb)
	w, _ := zw.Create("xl/workbook.bin")
	w.Write([]byte{0x83, 0x01})
	zw.Close()
	tests := []struct {
		path string
		want string
	}{
		{write("old.xls", cfb("Workbook")), "old Excel 97-2003 workbook (.xls)"},
		{write("renamed.xlsx", cfb("Book")), "save it as .xlsx"},
		{write("locked.xlsx", cfb("EncryptionInfo")), "encrypted (password-protected)"},
		{write("binary.xlsb", xlsb.Bytes()), "binary workbook (.xlsb)"},
		{write("page.xls", []byte("\n<!DOCTYPE html><html><body><table><tr><td>1</td></tr></table></body></html>")), "web page (HTML)"},
		{write("excel2003.xml", []byte(`<?xml version="1.0"?><?mso-application progid="Excel.Sheet"?><Workbook/>`)), "SpreadsheetML"},
		{write("~$ops.xlsx", append([]byte{5}, []byte("alice")...)), "Excel's lock file for ops.xlsx"},
		{write("nobom.csv", u16("brand_id,shop_id\n1,2\n")), "UTF-16 text without a byte-order mark"},
	}
	for _, tc := range tests {
		_, err := Open(tc.path, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "corrupt") {
			t.Errorf("Open(%s) = %v; want a message with %q", filepath.Base(tc.path), err, tc.want)
		}
	}
}

// TestLockFileUser: the user name in Excel's lock file, in UTF-16 or the system's code page.
func TestLockFileUser(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(corpusDir, "lockfile", "~$ops.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	if got := lockFileUser(data); got != "alice" {
		t.Errorf("lockFileUser = %q; want alice", got)
	}
	if got := lockFileUser([]byte("\x03bob")); got != "bob" {
		t.Errorf("lockFileUser(short) = %q; want bob", got)
	}
	if got := lockFileUser(nil); got != "" {
		t.Errorf("lockFileUser(nil) = %q", got)
	}
}
