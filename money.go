package svbatch

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Money is int64 fen (minor units) everywhere: parsed exactly from text, never through a float,
// summed with checked arithmetic.

// MaxChangeValue is the largest change_value of one row, in fen: 1,000,000,000,000 fen =
// ¥10,000,000,000.00 (ten billion yuan). A larger amount is refused, never truncated. The limit
// keeps every sum of amounts (a plan's totals, a reconciliation's) far from int64 overflow: more
// than 9 million rows at the limit are needed to reach it.
const MaxChangeValue int64 = 1_000_000_000_000

// MaxBalance bounds an account balance's magnitude, in fen: 10^15 fen = ¥10,000,000,000,000.00.
// The sandbox rejects a charge past it; a balances file beyond it is refused.
const MaxBalance int64 = 1_000_000_000_000_000

// Unit is the unit an amount column is written in.
type Unit int

// Amount units. Fen (minor units) is the default; Yuan is a decimal with at most 2 places,
// converted to fen exactly (never through a float).
const (
	Fen Unit = iota
	Yuan
)

// Names of the units, as flags and files spell them.
const (
	UnitFen  = "fen"
	UnitYuan = "yuan"
)

// ParseUnit accepts "fen" (or "", 分) and "yuan" (元), in any case.
func ParseUnit(s string) (Unit, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", UnitFen, "分":
		return Fen, nil
	case UnitYuan, "元":
		return Yuan, nil
	}
	return Fen, fmt.Errorf("amount unit %q: want fen or yuan", s)
}

// String returns "fen" or "yuan".
func (u Unit) String() string {
	if u == Yuan {
		return UnitYuan
	}
	return UnitFen
}

// MsgTooLarge is the problem of a change_value above MaxChangeValue (or beyond int64).
var MsgTooLarge = fmt.Sprintf("is more than the per-row limit of %d fen (%d.%02d yuan): refused, never truncated; check the unit (--amount-unit) or split the operation",
	MaxChangeValue, MaxChangeValue/100, MaxChangeValue%100)

// ParseChangeValue converts a change_value cell to fen, exactly: integer fen, or yuan with at most
// 2 decimal places. It never rounds and never uses floating point; an amount must be > 0 and at
// most MaxChangeValue. msg says what is wrong, for a person ("" when fine).
func ParseChangeValue(s string, u Unit) (fen int64, msg string) {
	s = strings.TrimSpace(s)
	if len(s) > 0 && len(s) <= 16 && s[0] != '0' && AllDigits(s) {
		// The common case: a plain integer that cannot overflow, even in yuan.
		var n int64
		for i := 0; i < len(s); i++ {
			n = n*10 + int64(s[i]-'0')
		}
		if u == Yuan {
			n *= 100
		}
		if n > MaxChangeValue {
			return 0, MsgTooLarge
		}
		return n, ""
	}
	n, msg := parseFen(s, u, false)
	switch {
	case msg != "":
		return 0, msg
	case n <= 0:
		return 0, "must be greater than 0"
	case n > MaxChangeValue:
		return 0, MsgTooLarge
	}
	return n, ""
}

// ParseAmount parses an amount s in unit u and returns fen, or an error saying what is wrong.
// Only plain decimal digits are accepted, with an optional leading '-' when signed is true, and
// with unit Yuan at most two decimal places: "1,000", "1E+3", "1.5" or "100.00" fen, "+5", " " and
// values beyond int64 are errors, never rounded. It is the parser of ParseChangeValue without the
// per-row limit, for balances and other signed amounts.
func ParseAmount(s string, u Unit, signed bool) (int64, error) {
	n, msg := parseFen(strings.TrimSpace(s), u, signed)
	if msg != "" {
		return 0, &AmountError{Text: s, Msg: msg}
	}
	return n, nil
}

// AmountError is an amount that cannot be read exactly; Msg is for a person.
type AmountError struct {
	Text string // the amount as written
	Msg  string
}

func (e *AmountError) Error() string { return fmt.Sprintf("amount %q: %s", e.Text, e.Msg) }

// ErrOverflow is a sum or difference of amounts beyond int64.
var ErrOverflow = errors.New("amount overflows int64")

// parseFen is the one amount parser: s already trimmed; the result may be 0 or (signed) negative.
func parseFen(s string, u Unit, signed bool) (int64, string) {
	unitHint := "in fen (an integer: 1000 = 10.00 yuan)"
	if u == Yuan {
		unitHint = "in yuan with at most 2 decimal places"
	}
	switch {
	case s == "":
		return 0, "is required"
	case strings.ContainsAny(s, "元¥￥$") || strings.Contains(strings.ToUpper(s), "RMB") || strings.Contains(strings.ToUpper(s), "CNY"):
		return 0, "must be a plain number without a currency sign or unit, " + unitHint
	case strings.ContainsAny(s, ",，'_ "):
		return 0, "must be written without thousands separators or spaces (1000, not 1,000), " + unitHint
	case LooksScientific(s):
		return 0, "is in scientific notation: Excel may have rounded it; write the amount in full, " + unitHint
	case s[0] == '-' && !signed:
		return 0, "must be greater than 0: the operate_type says which way the money moves"
	case s[0] == '+':
		return 0, "must be written without a sign"
	}
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || !AllDigits(intPart) || !AllDigits(frac) || (hasDot && frac == "") {
		return 0, "is not a number; change_value is " + unitHint
	}
	if u == Fen && hasDot {
		if strings.Trim(frac, "0") == "" {
			return 0, "must be a whole number of fen without decimals; for amounts in yuan pass --amount-unit yuan"
		}
		return 0, "is not a whole number of fen (never rounded); for amounts in yuan pass --amount-unit yuan"
	}
	var n int64
	if digits := strings.TrimLeft(intPart, "0"); digits != "" {
		var err error
		if n, err = strconv.ParseInt(digits, 10, 64); err != nil {
			return 0, MsgTooLarge
		}
	}
	if u == Yuan {
		if len(frac) > 2 {
			if strings.Trim(frac[2:], "0") != "" {
				return 0, "has more than 2 decimal places: yuan converts to fen exactly, never rounded"
			}
			frac = frac[:2]
		}
		for len(frac) < 2 {
			frac += "0"
		}
		cents, _ := strconv.ParseInt(frac, 10, 64)
		if n > (math.MaxInt64-cents)/100 {
			return 0, MsgTooLarge
		}
		n = n*100 + cents
	}
	if neg {
		n = -n
	}
	return n, ""
}

// AddFen returns a + b and true, or 0 and false when the sum overflows int64. It is the one checked
// addition of amounts (fen) and counts.
func AddFen(a, b int64) (int64, bool) {
	if (b > 0 && a > math.MaxInt64-b) || (b < 0 && a < math.MinInt64-b) {
		return 0, false
	}
	return a + b, true
}

// SubFen returns a − b and true, or 0 and false when the difference overflows int64.
func SubFen(a, b int64) (int64, bool) {
	if (b < 0 && a > math.MaxInt64+b) || (b > 0 && a < math.MinInt64+b) {
		return 0, false
	}
	return a - b, true
}

// FormatYuan formats an amount in fen as yuan text with two decimals ("123.45", "-0.05"), using
// integer arithmetic only.
func FormatYuan(fen int64) string {
	neg := fen < 0
	u := uint64(fen)
	if neg {
		u = -u // two's complement: also right for math.MinInt64
	}
	frac := u % 100
	s := strconv.FormatUint(u/100, 10) + "." + string(rune('0'+frac/10)) + string(rune('0'+frac%10))
	if neg {
		return "-" + s
	}
	return s
}

// AllDigits reports whether s is only the ASCII digits 0-9 ("" is all digits).
func AllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// LooksScientific reports whether s is a number in scientific notation ("1.86518E+10", "1e3").
func LooksScientific(s string) bool {
	i := strings.IndexAny(s, "eE")
	if i <= 0 || i == len(s)-1 {
		return false
	}
	mant, exp := s[:i], s[i+1:]
	mant = strings.TrimLeft(mant, "+-")
	if exp[0] == '+' || exp[0] == '-' {
		exp = exp[1:]
	}
	if exp == "" || !AllDigits(exp) || mant == "" || mant == "." {
		return false
	}
	if j := strings.IndexByte(mant, '.'); j >= 0 {
		mant = mant[:j] + mant[j+1:]
	}
	return AllDigits(mant)
}
