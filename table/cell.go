package table

import (
	"strconv"
	"strings"
	"time"

	"svbatch"
)

// Note is what an XLSX cell tells beyond its text: the validator turns a note into a problem
// when the cell is in a column that must hold an exact id or amount.
type Note uint8

const (
	NoteNone         Note = iota
	NoteDate              // a date/time cell (date number format or t="d")
	NoteRounded           // a number with more than 15 significant digits: Excel has lost digits
	NoteScientific        // a number shown in scientific notation (its number format)
	NoteNoCache           // a formula without a cached value
	NoteError             // an Excel error value (#N/A, #REF!, …)
	NoteBadNumber         // a numeric cell whose stored value is not a number
	NoteStale             // a formula whose cached value the workbook itself says is out of date (fullCalcOnLoad)
	NoteFormatted         // a number its format shows with more than its digits (1,234; S007; 186-5182-2226): the text is the number
	NoteFormatDigits      // a number its format shows as another value (rounded, a percentage): the text is the number
)

// msgSaveFormula is what to do about a formula whose value is not in the file.
const msgSaveFormula = "open and save the file in Excel, WPS or LibreOffice so the formula's value is stored (or paste the values)"

// Kind names the note for programs and tests: "date", "rounded", "scientific",
// "formula-no-value", "error-value", "bad-number", or "" for NoteNone.
func (n Note) Kind() string {
	switch n {
	case NoteDate:
		return "date"
	case NoteRounded:
		return "rounded"
	case NoteScientific:
		return "scientific"
	case NoteNoCache, NoteStale:
		return "formula-no-value"
	case NoteError:
		return "error-value"
	case NoteBadNumber:
		return "bad-number"
	case NoteFormatted, NoteFormatDigits:
		return "number-format"
	}
	return ""
}

// Message returns the problem text for a note in a column that needs exact text.
func (n Note) Message() string {
	switch n {
	case NoteDate:
		return "is a date cell; ids and amounts must be plain numbers or text — format the column as Text in the source and export again"
	case NoteRounded:
		return "Excel has rounded this number; format the column as Text in the source and export again"
	case NoteScientific:
		return "is shown in scientific notation; format the column as Text or Number in the source so every digit shows, and export again"
	case NoteFormatted:
		return "is a number that its number format shows with other characters; format the column as Text in the source and type the id as it must be sent"
	case NoteFormatDigits:
		return "is a number that its number format shows as another value; format the column as Text or General in the source and export again"
	case NoteNoCache:
		return "is a formula whose value was never computed: " + msgSaveFormula
	case NoteStale:
		return "is a formula, and the workbook says its saved values are out of date (it was written by a program that does not calculate): " + msgSaveFormula
	case NoteError:
		return "holds an Excel error value; fix the formula or type the value"
	case NoteBadNumber:
		return "is a numeric cell whose value is not a number"
	}
	return ""
}

// Describe is the problem text for a note on a cell whose text is text, in a column that needs
// exact text; other is the note's text (NoteTexts): what Excel shows, or the value behind it.
func (n Note) Describe(text, other string) string {
	switch n {
	case NoteError:
		return "is the Excel error " + text + " (a formula that failed); fix the formula or type the value"
	case NoteScientific:
		if other != "" {
			return "is shown in scientific notation; format the column as Text or Number in the source so every digit shows (the cell holds " + other + "), and export again"
		}
	case NoteFormatted:
		if other != "" {
			return "is what the cell holds, but its number format makes Excel show " + other + "; format the column as Text in the source and type the id as it must be sent"
		}
	case NoteFormatDigits:
		if other != "" {
			return "is what the cell holds, but its number format makes Excel show " + other + "; format the column as Text or General in the source so the file holds what you see, and export again"
		}
	}
	return n.Message()
}

// maxExcelDigits is Excel's precision: it keeps 15 significant decimal digits.
const maxExcelDigits = 15

// decimal is a parsed decimal number: value = (neg ? -1 : 1) × 0.digits × 10^exp, digits without
// leading or trailing zeros ("" for zero).
type decimal struct {
	neg    bool
	digits string
	exp    int
}

// parseDecimal parses the text of a numeric cell (as stored in the sheet XML: "1332", "10.5",
// "1.2345678901234568E+17", "-0.1", "1E-3") without floating point. ok is false for anything else.
func parseDecimal(s string) (d decimal, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return d, false
	}
	if s[0] == '+' || s[0] == '-' {
		d.neg = s[0] == '-'
		s = s[1:]
	}
	mant, expPart := s, ""
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, expPart = s[:i], s[i+1:]
		if expPart == "" {
			return d, false
		}
	}
	intPart, frac := mant, ""
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		intPart, frac = mant[:i], mant[i+1:]
	}
	if intPart == "" && frac == "" {
		return d, false
	}
	if !svbatch.AllDigits(intPart) || !svbatch.AllDigits(frac) {
		return d, false
	}
	e := 0
	if expPart != "" {
		sign := 1
		switch expPart[0] {
		case '+':
			expPart = expPart[1:]
		case '-':
			sign = -1
			expPart = expPart[1:]
		}
		if expPart == "" || len(expPart) > 4 || !svbatch.AllDigits(expPart) {
			return d, false
		}
		n, _ := strconv.Atoi(expPart)
		e = sign * n
	}
	all := intPart + frac
	lead := 0
	for lead < len(all) && all[lead] == '0' {
		lead++
	}
	digits := strings.TrimRight(all[lead:], "0")
	if digits == "" {
		return decimal{}, true
	}
	d.digits = digits
	d.exp = len(intPart) - lead + e
	return d, true
}

// round returns d rounded half-up to n significant digits.
func (d decimal) round(n int) decimal {
	if len(d.digits) <= n {
		return d
	}
	b := []byte(d.digits[:n])
	if d.digits[n] >= '5' {
		i := n - 1
		for ; i >= 0; i-- {
			if b[i] < '9' {
				b[i]++
				break
			}
			b[i] = '0'
		}
		if i < 0 {
			b = append([]byte{'1'}, b...)
			d.exp++
		}
	}
	d.digits = strings.TrimRight(string(b), "0")
	return d
}

// plain renders d as a plain decimal ("1332", "10.5", "0.001"), never in scientific notation.
func (d decimal) plain() string {
	if d.digits == "" {
		return "0"
	}
	var b strings.Builder
	if d.neg {
		b.WriteByte('-')
	}
	switch {
	case d.exp <= 0:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -d.exp))
		b.WriteString(d.digits)
	case d.exp >= len(d.digits):
		b.WriteString(d.digits)
		b.WriteString(strings.Repeat("0", d.exp-len(d.digits)))
	default:
		b.WriteString(d.digits[:d.exp])
		b.WriteByte('.')
		b.WriteString(d.digits[d.exp:])
	}
	return b.String()
}

// scientific renders d as Excel's General format shows a large number ("1.23456789012346E+17").
func (d decimal) scientific() string {
	if d.digits == "" {
		return "0"
	}
	var b strings.Builder
	if d.neg {
		b.WriteByte('-')
	}
	b.WriteString(d.digits[:1])
	if len(d.digits) > 1 {
		b.WriteByte('.')
		b.WriteString(d.digits[1:])
	}
	e := d.exp - 1
	b.WriteByte('E')
	if e < 0 {
		b.WriteByte('-')
		e = -e
	} else {
		b.WriteByte('+')
	}
	if e < 10 {
		b.WriteByte('0')
	}
	b.WriteString(strconv.Itoa(e))
	return b.String()
}

// numberText converts the stored text of a numeric cell to the exact text a person sees in Excel
// with the General format: 1332 not 1332.0000000001, 0.1 not 0.10000000000000001. Digits past
// Excel's 15 are binary artefacts when they are in the fraction and are rounded away; when the
// integer part itself has more than 15 digits, Excel has already lost digits (1234567890123456789
// is stored as 1234567890123460000): the note says so and the text is what Excel shows.
func numberText(v string) (string, Note) {
	d, ok := parseDecimal(v)
	if !ok {
		return strings.TrimSpace(v), NoteBadNumber
	}
	if d.exp > maxExcelDigits {
		// An integer part of more than 15 digits: Excel keeps 15, the rest are already zeros.
		return d.round(maxExcelDigits).scientific(), NoteRounded
	}
	if len(d.digits) <= maxExcelDigits {
		return d.plain(), NoteNone
	}
	return d.round(maxExcelDigits).plain(), NoteNone
}

// styleKind is what a cell's number format means for reading it.
type styleKind uint8

const (
	styleGeneral    styleKind = iota // General, text, or any plain number format
	styleDate                        // a date or time format
	styleScientific                  // 0.00E+00 and the like
	stylePad                         // zero padding: 00000 shows 123 as 00123
	styleOther                       // any other number format: separators, decimals, symbols, percent…
)

// numberShown converts the stored text of a numeric cell with number format f to text, a note and
// the note's text (NoteTexts). A zero-padding format is applied as Excel shows it (123 with 00000
// is the id 00123); scientific notation is shown as Excel shows it, with the number it holds as
// the note's text; any other format that shows something else than the number keeps the number
// as the text, noted, with what Excel shows as the note's text.
func numberShown(v string, f numFormat) (text string, note Note, other string) {
	g, note := numberText(v)
	if note != NoteNone || f.kind == styleGeneral {
		return g, note, ""
	}
	if f.code == "" {
		if f.kind == styleScientific {
			return g, NoteScientific, ""
		}
		return g, NoteNone, ""
	}
	d, _ := parseDecimal(v)
	shown, exact, ok := renderNumber(f.code, d)
	switch {
	case f.kind == styleScientific:
		if !ok {
			return g, NoteScientific, g
		}
		return shown, NoteScientific, g
	case !ok:
		return g, NoteFormatted, ""
	case shown == g:
		return g, NoteNone, ""
	case f.kind == stylePad && exact:
		return shown, NoteNone, ""
	case exact:
		return g, NoteFormatted, shown
	}
	return g, NoteFormatDigits, shown
}

// serialDate renders an Excel date serial as "2006-01-02" or "2006-01-02 15:04:05" (display only:
// a date is never accepted where an id or amount is expected).
func serialDate(v string, date1904 bool) string {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || f < 0 || f > 2958465 {
		return strings.TrimSpace(v)
	}
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	if date1904 {
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	} else if f < 61 {
		// Excel's 1900 leap-year bug: serials before 1 March 1900 are one day off.
		base = base.AddDate(0, 0, 1)
	}
	days := int(f)
	secs := int((f-float64(days))*86400 + 0.5)
	t := base.AddDate(0, 0, days).Add(time.Duration(secs) * time.Second)
	if secs == 0 {
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 15:04:05")
}
