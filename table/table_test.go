package table

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
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
				"6: 00123|2001|op-1|LO-5|1|100|18651812345|sci format",
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
		{"utf16.csv", "", "UTF-16"},
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
