package batch

import (
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
