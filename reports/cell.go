// Package reports writes svbatch's workbooks (results, summary, reconciliation, validation errors,
// the template) with excelize, from plain values. It knows nothing of HTTP or the journal.
package reports

import "strings"

// SafeText neutralises user text that a spreadsheet would take for a formula: a value starting with
// = + - @ (or a tab/CR that Excel strips before looking) gets a leading "'" so it is shown as text
// and never evaluated (no formula injection).
// Values that are plain numbers ("-5", "+86…") are left alone: they are data, not formulas.
func SafeText(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if isPlainNumber(s) {
			return s
		}
		return "'" + s
	}
	return s
}

// isPlainNumber reports whether s is an optionally signed decimal number (digits, at most one '.').
func isPlainNumber(s string) bool {
	if s[0] == '+' || s[0] == '-' {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	dot := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return !strings.HasSuffix(s, ".") || len(s) > 1
}
