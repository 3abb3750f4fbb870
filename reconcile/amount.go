package reconcile

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Unit is the unit an amount column of a user-prepared file (expected ledger, expected balances) is in.
type Unit int

// Amount units. Fen (minor units) is the default; Yuan is a decimal with at most 2 places,
// converted to fen exactly (never through a float).
const (
	Fen Unit = iota
	Yuan
)

// ParseUnit accepts "fen" (or "") and "yuan".
func ParseUnit(s string) (Unit, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "fen":
		return Fen, nil
	case "yuan":
		return Yuan, nil
	}
	return Fen, fmt.Errorf("amount unit %q: want fen or yuan", s)
}

// String returns "fen" or "yuan".
func (u Unit) String() string {
	if u == Yuan {
		return "yuan"
	}
	return "fen"
}

var errAmountSyntax = errors.New("not a plain number")

// ParseAmount parses a balance s in unit u and returns fen. Only plain decimal digits are
// accepted, with an optional leading '-' when signed is true, and with unit Yuan at most two
// decimal places: "1,000", "1E+3", "1.5" or "100.00" fen, "+5", " " and overflowing values are
// errors, never rounded. (The expected ledger's change_value is read with batch.ParseAmount, as
// validate reads it.)
func ParseAmount(s string, u Unit, signed bool) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, errors.New("empty amount")
	}
	neg := false
	if t[0] == '-' {
		if !signed {
			return 0, fmt.Errorf("amount %q: negative", s)
		}
		neg = true
		t = t[1:]
	}
	intPart, frac, hasDot := strings.Cut(t, ".")
	if intPart == "" || !allDigits(intPart) || (hasDot && !allDigits(frac)) {
		return 0, fmt.Errorf("amount %q: %w", s, errAmountSyntax)
	}
	scale := 0
	switch u {
	case Fen:
		if hasDot {
			// As validate: fen is a whole number written without decimals ("1.5" is never rounded).
			return 0, fmt.Errorf("amount %q: fen must be a whole number without decimals (for yuan use --amount-unit yuan)", s)
		}
	case Yuan:
		if hasDot && frac == "" {
			return 0, fmt.Errorf("amount %q: %w", s, errAmountSyntax)
		}
		if len(frac) > 2 {
			if strings.Trim(frac[2:], "0") != "" {
				return 0, fmt.Errorf("amount %q: more than 2 decimal places", s)
			}
			frac = frac[:2]
		}
		scale = 2
	}
	var v int64
	for _, c := range intPart + frac {
		d := int64(c - '0')
		if v > (math.MaxInt64-d)/10 {
			return 0, fmt.Errorf("amount %q: too large", s)
		}
		v = v*10 + d
	}
	for i := len(frac); i < scale; i++ {
		if v > math.MaxInt64/10 {
			return 0, fmt.Errorf("amount %q: too large", s)
		}
		v *= 10
	}
	if neg {
		v = -v
	}
	return v, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
