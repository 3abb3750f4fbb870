package batch

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"svbatch"
	"testing"
)

func TestNumberText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		note     cellNote
	}{
		{"1332", "1332", noteNone},                                      // plain integer
		{"1332.0000000000002", "1332", noteNone},                        // binary artefact past 15 digits
		{"0.30000000000000004", "0.3", noteNone},                        // the classic artefact
		{"0.1", "0.1", noteNone},                                        // exact text
		{"10.5", "10.5", noteNone},                                      // a decimal
		{"1E+3", "1000", noteNone},                                      // a writer's exponent, exact value
		{"1.5E-3", "0.0015", noteNone},                                  // negative exponent
		{"-0.5", "-0.5", noteNone},                                      // sign kept
		{"0", "0", noteNone},                                            // zero
		{"000123", "123", noteNone},                                     // a numeric cell has no leading zeros
		{"18651812345", "18651812345", noteNone},                        // an 11-digit mobile is exact
		{"123456789012345", "123456789012345", noteNone},                // 15 digits: exact
		{"1234567890123456", "1.23456789012346E+15", noteRounded},       // 16-digit integer: rounded
		{"1.2345678901234568E+17", "1.23456789012346E+17", noteRounded}, // an 18-digit id
		{"12345678901234600", "1.23456789012346E+16", noteRounded},      // LibreOffice's zero-filled form
		{"12345678901234.567", "12345678901234.6", noteNone},            // 15 significant digits, as Excel shows
		{"abc", "abc", noteBadNumber},                                   // not a number
		{"1e", "1e", noteBadNumber},                                     // cut exponent
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
		note    cellNote
	}{
		{"s", "00123", styleGeneral, false, true, "00123", noteNone},  // shared string keeps zeros
		{"inlineStr", "x", styleGeneral, false, true, "x", noteNone},  // inline string
		{"", "45306", styleDate, false, true, "2024-01-15", noteDate}, // a date cell
		{"", "45306.5", styleDate, false, true, "2024-01-15 12:00:00", noteDate},
		{"n", "18651812345", styleScientific, false, true, "18651812345", noteScientific},
		{"", "", styleGeneral, true, false, "", noteNoCache},        // formula without a value
		{"str", "abc", styleGeneral, true, true, "abc", noteNone},   // formula with a string value
		{"n", "1332", styleGeneral, true, true, "1332", noteNone},   // formula with a cached number
		{"e", "#N/A", styleGeneral, false, true, "#N/A", noteError}, // error value
		{"b", "1", styleGeneral, false, true, "TRUE", noteNone},     // boolean
		{"d", "2024-01-15T00:00:00", styleGeneral, false, true, "2024-01-15T00:00:00", noteDate},
		{"n", "", styleGeneral, false, false, "", noteNone}, // empty
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

func TestCanonicalHeader(t *testing.T) {
	t.Parallel()
	m, err := ParseMapping([]byte("会员手机: mobile\ncolumns:\n  Amount (fen): change_value\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"brand_id", "brand_id", true},
		{"\uFEFFBrand ID ", "brand_id", true}, // BOM, case, space
		{"BRAND-ID", "brand_id", true},
		{"ＢＲＡＮＤ＿ＩＤ", "brand_id", true}, // full-width
		{"品牌ID", "brand_id", true},
		{"品牌ＩＤ", "brand_id", true},
		{"金额", "change_value", true},
		{"储值金额", "change_value", true},
		{"回退单号", "new_outer_order_id", true},
		{"外部ID类型", "outer_type", true},
		{"会员手机", "mobile", true}, // from the mapping
		{"amount (FEN)", "change_value", true},
		{"campaign", "", false},
		{"", "", false},
	}
	for _, tc := range tests {
		got, ok := CanonicalHeader(tc.in, m)
		if got != tc.want || ok != tc.ok {
			t.Errorf("CanonicalHeader(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseMapping(t *testing.T) {
	t.Parallel()
	m, err := LoadMapping("testdata/mapping.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Constants["brand_id"]; got != "00123" {
		t.Errorf("constant brand_id = %q; want 00123 (as written, not octal)", got)
	}
	if got := m.Columns["Order No"]; got != "outer_order_id" {
		t.Errorf("Columns[Order No] = %q; want outer_order_id", got)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"a: b: c: [", "not valid YAML"},
		{"Order: order_number\n", "not a column svbatch knows"},
		{"constants:\n  brandid: x\n", `constant "brandid"`},
		{"constants:\n  brand_id: \"\"\n", "constant brand_id is empty"},
		{"constants:\n  brand_id:\n    x: y\n", "want a single value"},
		{"- a\n- b\n", "want a mapping"},
		{"A: mobile\na: brand_id\n", "mapped twice"},
	} {
		_, err := ParseMapping([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseMapping(%q) = %v; want an error with %q", tc.yaml, err, tc.want)
		}
	}
	if m, err := ParseMapping(nil); err != nil || len(m.Columns) != 0 {
		t.Errorf("ParseMapping(empty) = %v, %v; want an empty mapping", m, err)
	}
}

func TestSeenTable(t *testing.T) {
	t.Parallel()
	s := newSeenTable(0)
	k := func(i int) uint64 { return uint64(i) * 0x9e3779b97f4a7c15 }
	for i := 1; i <= 5000; i++ {
		if _, _, dup := s.seen(k(i), i+1, i%2 == 0); dup {
			t.Fatalf("key %d reported as duplicate", i)
		}
	}
	first, valid, dup := s.seen(k(10), 9999, true)
	if !dup || first != 11 || !valid {
		t.Errorf("seen(10) = %d, %v, %v; want 11, true, true", first, valid, dup)
	}
	if _, valid, _ := s.seen(k(10), 10000, true); valid {
		t.Errorf("the first row is uncounted once only; got valid again")
	}
	if _, _, dup := s.seen(0, 1, true); dup {
		t.Errorf("key 0 is a key like any other")
	}
	if _, _, dup := s.seen(0, 2, true); !dup {
		t.Errorf("key 0 seen twice: want a duplicate")
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

func TestLooksScientific(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{"1.86518E+10": true, "1e3": true, "-2.5E-3": true, "E10": false, "1E": false, "oWxE1": false, "12E3a": false, "1.2.3E4": false} {
		if got := svbatch.LooksScientific(s); got != want {
			t.Errorf("svbatch.LooksScientific(%q) = %v; want %v", s, got, want)
		}
	}
}
