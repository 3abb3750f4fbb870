package svbatch

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestParseChangeValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		yuan bool
		fen  int64
		bad  string // part of the message; "" = valid
	}{
		{"1000", false, 1000, ""},
		{" 0100 ", false, 100, ""},
		{"10.5", false, 0, "not a whole number of fen"},
		{"10.00", false, 0, "without decimals"},
		{"1,000", false, 0, "thousands separators"},
		{"-5", false, 0, "greater than 0"},
		{"+5", false, 0, "without a sign"},
		{"0", false, 0, "greater than 0"},
		{"1E+3", false, 0, "scientific notation"},
		{"10.00元", false, 0, "currency sign or unit"},
		{"¥10", true, 0, "currency sign or unit"},
		{"abc", false, 0, "not a number"},
		{"9223372036854775808", false, 0, "per-row limit of 1000000000000 fen (10000000000.00 yuan)"},
		{"1000000000000", false, MaxChangeValue, ""},       // the limit, fen (fast path)
		{"1000000000001", false, 0, "per-row limit"},       // one fen over (fast path)
		{"0001000000000000", false, MaxChangeValue, ""},    // the limit, leading zeros (slow path)
		{"0001000000000001", false, 0, "per-row limit"},    // one fen over (slow path)
		{"9223372036854775807", false, 0, "per-row limit"}, // int64's maximum
		{"10000000000", true, MaxChangeValue, ""},          // the limit, yuan (fast path)
		{"10000000000.00", true, MaxChangeValue, ""},       // the limit, yuan with decimals
		{"10000000000.01", true, 0, "10000000000.00 yuan"}, // one fen over, yuan
		{"10000000001", true, 0, "per-row limit"},          // one yuan over (fast path)
		{"9999999999.99", true, MaxChangeValue - 1, ""},    // one fen under, yuan
		{"9999999999999999", true, 0, "per-row limit"},     // 16 digits of yuan: fast path, over
		{"92233720368547758.07", true, 0, "per-row limit"}, // was int64's maximum
		{"92233720368547758.08", true, 0, "per-row limit"}, // beyond int64
		{"10.5", true, 1050, ""},
		{"0.01", true, 1, ""},
		{"12", true, 1200, ""},
		{"10.500", true, 1050, ""},
		{"1.005", true, 0, "more than 2 decimal places"},
		{".5", true, 0, "not a number"},
		{"5.", true, 0, "not a number"},
		{"0.00", true, 0, "greater than 0"},
	}
	for _, tc := range tests {
		u := Fen
		if tc.yuan {
			u = Yuan
		}
		fen, msg := ParseChangeValue(tc.in, u)
		if tc.bad == "" && (msg != "" || fen != tc.fen) {
			t.Errorf("ParseChangeValue(%q, yuan=%v) = %d, %q; want %d", tc.in, tc.yuan, fen, msg, tc.fen)
		}
		if tc.bad != "" && !strings.Contains(msg, tc.bad) {
			t.Errorf("ParseChangeValue(%q, yuan=%v) = %d, %q; want a message with %q", tc.in, tc.yuan, fen, msg, tc.bad)
		}
	}
}

func TestAddSubFen(t *testing.T) {
	t.Parallel()
	const max, min = math.MaxInt64, math.MinInt64
	tests := []struct {
		a, b          int64
		sum, diff     int64
		sumOK, diffOK bool
	}{
		{1, 2, 3, -1, true, true},
		{max, 0, max, max, true, true},
		{max, 1, 0, max - 1, false, true},
		{max - 1, 1, max, max - 2, true, true},
		{min, -1, 0, min + 1, false, true},
		{min, 1, min + 1, 0, true, false},
		{max, -1, max - 1, 0, true, false},
		{0, min, min, 0, true, false},
		{-1, min, 0, max, false, true},
		{5e18, 5e18, 0, 0, false, true},
		{-5e18, 5e18, 0, 0, true, false},
	}
	for _, tc := range tests {
		if s, ok := AddFen(tc.a, tc.b); ok != tc.sumOK || (ok && s != tc.sum) {
			t.Errorf("AddFen(%d, %d) = %d, %v; want %d, %v", tc.a, tc.b, s, ok, tc.sum, tc.sumOK)
		}
		if d, ok := SubFen(tc.a, tc.b); ok != tc.diffOK || (ok && d != tc.diff) {
			t.Errorf("SubFen(%d, %d) = %d, %v; want %d, %v", tc.a, tc.b, d, ok, tc.diff, tc.diffOK)
		}
	}
}

func TestParseAmount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		unit   Unit
		signed bool
		want   int64
		ok     bool
	}{
		{"100", Fen, false, 100, true},
		{"100.00", Fen, false, 0, false}, // fen has no decimals, as validate says
		{"1.5", Fen, false, 0, false},    // never rounded
		{"1,000", Fen, false, 0, false},
		{"1E+3", Fen, false, 0, false},
		{"-5", Fen, false, 0, false},
		{"-5", Fen, true, -5, true},
		{"+5", Fen, false, 0, false},
		{"", Fen, false, 0, false},
		{"12.34", Yuan, false, 1234, true},
		{"12.3", Yuan, false, 1230, true},
		{"12", Yuan, false, 1200, true},
		{"0.01", Yuan, false, 1, true},
		{"12.345", Yuan, false, 0, false},
		{"12.340", Yuan, false, 1234, true},
		{"12.", Yuan, false, 0, false},
		{".5", Yuan, false, 0, false},
		{"9223372036854775807", Fen, false, 9223372036854775807, true},
		{"9223372036854775808", Fen, false, 0, false},
		{"92233720368547758.08", Yuan, false, 0, false},
	}
	for _, tc := range tests {
		got, err := ParseAmount(tc.in, tc.unit, tc.signed)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseAmount(%q, %s, %v) = %d, %v; want %d, ok %v", tc.in, tc.unit, tc.signed, got, err, tc.want, tc.ok)
		}
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"100", "1.5", "12.34", "-0", "99999999999999999999", "1e3"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, yuan bool) {
		u := Fen
		if yuan {
			u = Yuan
		}
		v, err := ParseAmount(s, u, true)
		if err != nil {
			return
		}
		// Whatever parses round-trips through its fen digits.
		back, err := ParseAmount(strings.TrimPrefix(formatFen(v, u), "+"), u, true)
		if err != nil || back != v {
			t.Fatalf("%q → %d → %q → %d, %v", s, v, formatFen(v, u), back, err)
		}
	})
}

func formatFen(v int64, u Unit) string {
	neg := v < 0
	if neg {
		v = -v
	}
	s := strconv.FormatInt(v, 10)
	if u == Yuan {
		for len(s) < 3 {
			s = "0" + s
		}
		s = s[:len(s)-2] + "." + s[len(s)-2:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

func TestFormatYuan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fen  int64
		want string
	}{
		{0, "0.00"},
		{5, "0.05"},
		{10, "0.10"},
		{12345, "123.45"},
		{100, "1.00"},
		{-5, "-0.05"},
		{-12345, "-123.45"},
		{math.MaxInt64, "92233720368547758.07"},
		{math.MinInt64, "-92233720368547758.08"},
	}
	for _, tc := range tests {
		if got := FormatYuan(tc.fen); got != tc.want {
			t.Errorf("FormatYuan(%d) = %q; want %q", tc.fen, got, tc.want)
		}
	}
}
