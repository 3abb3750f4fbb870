package batch

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"svbatch"
)

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
		{"金额（分）", "change_value", true}, // the unit in full-width brackets
		{"金额(元)", "change_value", true},
		{"储值金额（单位：元）", "change_value", true},
		{"Change Value [yuan]", "change_value", true},
		{"备注(选填)", "reason", true}, // optional marker
		{"门店ID（必填）", "shop_id", true},
		{"金额(美元)", "", false}, // not a unit svbatch knows: not taken as an amount
		{"备注(元)", "", false},  // a unit only goes with the amount
		{"(元)", "", false},
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

func TestLooksScientific(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{"1.86518E+10": true, "1e3": true, "-2.5E-3": true, "E10": false, "1E": false, "oWxE1": false, "12E3a": false, "1.2.3E4": false} {
		if got := svbatch.LooksScientific(s); got != want {
			t.Errorf("svbatch.LooksScientific(%q) = %v; want %v", s, got, want)
		}
	}
}

func TestTotalsCell(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cells []string
		col   int
	}{
		{[]string{"合计", "", "60000"}, 0},
		{[]string{"", " 总计： ", "1"}, 1},
		{[]string{"Grand Total", "1"}, 0},
		{[]string{"ＴＯＴＡＬ"}, 0},
		{[]string{"subtotal:"}, 0},
		{[]string{"1332", "合计"}, -1}, // the first value decides
		{[]string{"Totally", "x"}, -1},
		{[]string{"S001"}, -1},
		{nil, -1},
	} {
		if got, _ := totalsCell(tc.cells); got != tc.col {
			t.Errorf("totalsCell(%q) = %d; want %d", tc.cells, got, tc.col)
		}
	}
}

// TestHeaderUnit: the amount header's unit decides it, unless --amount-unit says otherwise,
// which is a header error; Options{} still means fen.
func TestHeaderUnit(t *testing.T) {
	t.Parallel()
	write := func(header, amount string) string {
		path := filepath.Join(t.TempDir(), "unit.csv")
		text := "brand_id,shop_id,operator_id,outer_order_id,operate_type," + header + ",customer_id\nB1,S1,op,O-1,1," + amount + ",C1\n"
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for _, tc := range []struct {
		header, amount, unit string
		fen                  int64
		refuse               string
	}{
		{"金额(元)", "2.5", "", 250, ""},
		{"金额（元）", "100", "yuan", 10000, ""},
		{"金额（分）", "250", "", 250, ""},
		{"金额", "250", "", 250, ""},
		{"金额", "2.5", "yuan", 250, ""},
		{"金额(元)", "2.5", "fen", 0, "says the amounts are in yuan, but --amount-unit fen"},
		{"金额（分）", "250", "yuan", 0, "says the amounts are in fen, but --amount-unit yuan"},
	} {
		r, err := Open(write(tc.header, tc.amount), Options{AmountUnit: tc.unit})
		if tc.refuse != "" {
			var he *HeaderError
			if !errors.As(err, &he) || !strings.Contains(err.Error(), tc.refuse) {
				t.Errorf("%s with %q: %v; want a header error with %q", tc.header, tc.unit, err, tc.refuse)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.header, err)
			continue
		}
		row, problems, err := r.Next()
		r.Close()
		if err != nil || len(problems) > 0 || row.Req.ChangeValue != tc.fen {
			t.Errorf("%s %s with %q: %d fen, %v %v; want %d", tc.header, tc.amount, tc.unit, row.Req.ChangeValue, problems, err, tc.fen)
		}
	}
}

// TestMappingEncodings: a mapping file in GBK, UTF-8 with a BOM or UTF-16 reads; one in neither
// UTF-8 nor GBK fails saying so.
func TestMappingEncodings(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	utf16 := []byte{0xFF, 0xFE}
	for _, r := range "会员手机: mobile\n" {
		utf16 = append(utf16, byte(r), byte(r>>8))
	}
	for name, data := range map[string][]byte{
		"gbk.yaml":   {0xbb, 0xe1, 0xd4, 0xb1, 0xca, 0xd6, 0xbb, 0xfa, ':', ' ', 'm', 'o', 'b', 'i', 'l', 'e', '\n'},
		"bom.yaml":   []byte("\xEF\xBB\xBF会员手机: mobile\n"),
		"utf16.yaml": utf16,
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := LoadMapping(path)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if c, ok := CanonicalHeader("会员手机", m); !ok || c != ColMobile {
			t.Errorf("%s: 会员手机 maps to %q", name, c)
		}
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("\xff\xff: mobile\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadMapping(bad); err == nil || !strings.Contains(err.Error(), "save it as UTF-8") {
		t.Errorf("LoadMapping(neither UTF-8 nor GBK) = %v; want an error saying to save it as UTF-8", err)
	}
}
