package table

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// xlsxCell converts one XLSX cell to text, a note and the note's text (see NoteTexts). typ is the
// cell's t attribute, v its stored value (for t="s" already the shared string, escapes decoded),
// f its number format, hasFormula whether it has an <f>, hasValue whether it had a <v> (or inline
// string). It is a pure function so that it can be fuzzed.
func xlsxCell(typ, v string, f numFormat, hasFormula, hasValue, date1904 bool) (string, Note, string) {
	if hasFormula && !hasValue {
		return "", NoteNoCache, ""
	}
	switch typ {
	case "s", "str", "inlineStr":
		return v, NoteNone, ""
	case "b":
		if strings.TrimSpace(v) == "1" {
			return "TRUE", NoteNone, ""
		}
		return "FALSE", NoteNone, ""
	case "e":
		return v, NoteError, ""
	case "d":
		return v, NoteDate, ""
	}
	if !hasValue || strings.TrimSpace(v) == "" {
		return "", NoteNone, ""
	}
	if f.kind == styleDate {
		g, _ := numberText(v)
		return serialDate(v, date1904), NoteDate, g
	}
	return numberShown(v, f)
}

// xlsxCellText is xlsxCell for a number format known only by its kind (no code to render).
func xlsxCellText(typ, v string, style styleKind, hasFormula, hasValue bool, date1904 bool) (string, Note) {
	text, note, _ := xlsxCell(typ, v, numFormat{kind: style}, hasFormula, hasValue, date1904)
	return text, note
}

// decodeEscapes decodes Excel's _xHHHH_ escapes in a string of a sheet or the shared strings
// (ECMA-376 22.9.2.19): _x000D_ is a CR, _x4E2D_ is 中, and _x005F_ is the underscore that writers
// put before a literal "_x0031_" so that it is not read as an escape. A surrogate pair is two
// escapes; a lone surrogate becomes U+FFFD.
func decodeEscapes(s string) string {
	i := strings.Index(s, "_x")
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i >= 0 {
		r, ok := escapeAt(s[i:])
		if !ok {
			b.WriteString(s[:i+2])
			s = s[i+2:]
		} else {
			b.WriteString(s[:i])
			s = s[i+7:]
			if r >= 0xD800 && r < 0xDC00 {
				if lo, ok := escapeAt(s); ok && lo >= 0xDC00 && lo < 0xE000 {
					r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
					s = s[7:]
				} else {
					r = utf8.RuneError
				}
			} else if r >= 0xDC00 && r < 0xE000 {
				r = utf8.RuneError
			}
			b.WriteRune(r)
		}
		i = strings.Index(s, "_x")
	}
	b.WriteString(s)
	return b.String()
}

// escapeAt reads an escape _xHHHH_ at the start of s.
func escapeAt(s string) (rune, bool) {
	if len(s) < 7 || s[0] != '_' || s[1] != 'x' || s[6] != '_' {
		return 0, false
	}
	n, err := strconv.ParseUint(s[2:6], 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(n), true
}
