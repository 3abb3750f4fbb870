package table

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// numFormat is a cell format's number format, reduced to what reading a cell needs.
type numFormat struct {
	kind styleKind
	code string // the format code, for rendering (stylePad, styleScientific, styleOther)
}

// builtinCodes are Excel's built-in number formats that are neither General nor dates
// (ECMA-376 18.8.30). The locale-dependent currency and accounting ones (5–8, 41–44) are
// missing: they show amounts with separators and symbols, which styleOther stands for.
var builtinCodes = map[int]string{
	1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%", 11: "0.00E+00",
	12: "# ?/?", 13: "# ??/??", 37: "#,##0 ;(#,##0)", 38: "#,##0 ;[Red](#,##0)",
	39: "#,##0.00;(#,##0.00)", 40: "#,##0.00;[Red](#,##0.00)", 48: "##0.0E+0", 49: "@",
}

// builtinNumFormat is the format of a built-in numFmtId.
func builtinNumFormat(id int) numFormat {
	switch k := builtinFormat(id); k {
	case styleDate:
		return numFormat{kind: styleDate}
	}
	if code, ok := builtinCodes[id]; ok {
		return parseNumFormat(code)
	}
	if (id >= 5 && id <= 8) || (id >= 41 && id <= 44) {
		return numFormat{kind: styleOther}
	}
	return numFormat{kind: styleGeneral}
}

// parseNumFormat classifies a format code: General (or text), a date, scientific, zero padding
// (00000: Excel shows 123 as 00123), or another number format that changes what is shown.
func parseNumFormat(code string) numFormat {
	if len(code) > 255 { // Excel's limit: longer is not a format Excel wrote
		return numFormat{kind: styleOther}
	}
	switch classifyFormat(code) {
	case styleDate:
		return numFormat{kind: styleDate}
	case styleScientific:
		return numFormat{kind: styleScientific, code: code}
	}
	first := stripBrackets(splitSections(code)[0])
	switch {
	case first == "" || strings.EqualFold(first, "general") || first == "@":
		return numFormat{kind: styleGeneral}
	case strings.Trim(first, "0") == "":
		return numFormat{kind: stylePad, code: code}
	}
	return numFormat{kind: styleOther, code: code}
}

// splitSections splits a format code at the semicolons outside quotes and brackets.
func splitSections(code string) []string {
	var out []string
	start := 0
	for i := 0; i < len(code); i++ {
		switch code[i] {
		case '"':
			if j := strings.IndexByte(code[i+1:], '"'); j >= 0 {
				i += j + 1
			} else {
				i = len(code)
			}
		case '\\':
			i++
		case '[':
			if j := strings.IndexByte(code[i+1:], ']'); j >= 0 {
				i += j + 1
			}
		case ';':
			out = append(out, code[start:i])
			start = i + 1
		}
	}
	return append(out, code[start:])
}

// stripBrackets drops [Red], [$-804] and the like (not [$¥-804], which shows a symbol: kept as is).
func stripBrackets(s string) string {
	for {
		i := strings.IndexByte(s, '[')
		if i < 0 {
			return s
		}
		j := strings.IndexByte(s[i:], ']')
		if j < 0 {
			return s
		}
		inner := s[i+1 : i+j]
		if strings.HasPrefix(inner, "$") && !strings.HasPrefix(inner, "$-") {
			return s
		}
		s = s[:i] + s[i+j+1:]
	}
}

// fmtToken is one piece of a format section.
type fmtToken struct {
	kind byte   // '0', '#', '?' (digit placeholders), '.', ',', '%', 'E' (exponent), 'G' (General), 'L' (literal)
	text string // literal text; for 'E' the sign part ("+" or "-")
}

// tokenize reads one section of a format code. ok is false for what svbatch does not render
// (conditions, fractions, text placeholders, elapsed times).
func tokenize(sec string) (toks []fmtToken, ok bool) {
	lit := func(s string) { toks = append(toks, fmtToken{kind: 'L', text: s}) }
	for i := 0; i < len(sec); i++ {
		c := sec[i]
		switch c {
		case '0', '#', '?', '.', ',', '%':
			toks = append(toks, fmtToken{kind: c})
		case '"':
			j := strings.IndexByte(sec[i+1:], '"')
			if j < 0 {
				lit(sec[i+1:])
				i = len(sec)
				continue
			}
			lit(sec[i+1 : i+1+j])
			i += j + 1
		case '\\':
			if i+1 < len(sec) {
				_, size := decodeRune(sec[i+1:])
				lit(sec[i+1 : i+1+size])
				i += size
			}
		case '_':
			lit(" ")
			i++
		case '*':
			i++ // a fill character: shows as many as fit, none in a text
		case '[':
			j := strings.IndexByte(sec[i:], ']')
			if j < 0 {
				return nil, false
			}
			inner := sec[i+1 : i+j]
			switch {
			case strings.HasPrefix(inner, "$"):
				sym := inner[1:]
				if k := strings.IndexByte(sym, '-'); k >= 0 {
					sym = sym[:k]
				}
				if sym != "" {
					lit(sym)
				}
			case inner == "" || strings.ContainsAny(inner[:1], "<>="):
				return nil, false // a condition
			default:
				if strings.Trim(strings.ToLower(inner), "hms") == "" {
					return nil, false
				}
				// a colour
			}
			i += j
		case 'E', 'e':
			if i+1 < len(sec) && (sec[i+1] == '+' || sec[i+1] == '-') {
				toks = append(toks, fmtToken{kind: 'E', text: sec[i+1 : i+2]})
				i++
				continue
			}
			lit(sec[i : i+1])
		case 'G', 'g':
			if len(sec)-i >= 7 && strings.EqualFold(sec[i:i+7], "general") {
				toks = append(toks, fmtToken{kind: 'G'})
				i += 6
				continue
			}
			lit(sec[i : i+1])
		case '/', '@':
			return nil, false
		default:
			_, size := decodeRune(sec[i:])
			lit(sec[i : i+size])
			i += size - 1
		}
	}
	return toks, true
}

func decodeRune(s string) (rune, int) { return utf8.DecodeRuneInString(s) }

// renderNumber shows the number d (a decimal, exact) as Excel does with the format code.
// exact is false when what is shown has another value than d (rounded, scaled, a percentage);
// ok is false for a format svbatch does not render.
func renderNumber(code string, d decimal) (shown string, exact, ok bool) {
	secs := splitSections(code)
	sec, sign := secs[0], d.neg
	switch {
	case d.digits == "" && len(secs) >= 3:
		sec, sign = secs[2], false
	case d.neg && len(secs) >= 2:
		sec, sign = secs[1], false // the section shows the sign its own way: -0.00 or (0.00)
	}
	toks, ok := tokenize(sec)
	if !ok {
		return "", false, false
	}
	d.neg = false
	var b strings.Builder
	if sign {
		b.WriteByte('-')
	}
	for _, t := range toks {
		if t.kind == 'E' {
			s, ex, ok := renderScientific(toks, d)
			if !ok {
				return "", false, false
			}
			b.WriteString(s)
			return b.String(), ex, true
		}
	}
	s, ex := renderFixed(toks, d)
	b.WriteString(s)
	return b.String(), ex, true
}

// renderFixed renders a section without exponent: integer placeholders filled from the right
// (the digits that do not fit go before the first), thousands separators, the fraction rounded
// half up to its placeholders, percent and trailing-comma scaling, literals where they stand.
func renderFixed(toks []fmtToken, d decimal) (string, bool) {
	exact := true
	first, last, point := -1, -1, -1
	thousands := false
	for i, t := range toks {
		switch t.kind {
		case '0', '#', '?':
			if first < 0 {
				first = i
			}
			last = i
		case '.':
			if point < 0 {
				point = i
			}
		case '%':
			d.exp += 2
			exact = false
		case 'G':
			var b strings.Builder
			for _, t := range toks {
				switch t.kind {
				case 'G':
					b.WriteString(d.plainGeneral())
				case 'L':
					b.WriteString(t.text)
				}
			}
			return b.String(), true
		}
	}
	if first < 0 {
		// No placeholder: the section is all literal (e.g. "-" for zero).
		var b strings.Builder
		for _, t := range toks {
			if t.kind == 'L' {
				b.WriteString(t.text)
			}
		}
		return b.String(), d.digits == ""
	}
	intEnd := last + 1 // the integer part's tokens are toks[first:intEnd) (or up to the point)
	if point >= 0 && point < intEnd {
		intEnd = point
	}
	// Commas: between integer placeholders they group thousands; right after the last integer
	// placeholder (before the point or the end) each divides by 1000.
	lastInt := -1
	for i := first; i < intEnd; i++ {
		if k := toks[i].kind; k == '0' || k == '#' || k == '?' {
			lastInt = i
		}
	}
	scale := 0
	for i := first; i < len(toks); i++ {
		if toks[i].kind != ',' {
			continue
		}
		if i > lastInt && (point < 0 || i < point) {
			scale++
		} else if i < lastInt {
			thousands = true
		}
	}
	if scale > 0 {
		d.exp -= 3 * scale
		exact = false
	}
	nFrac := 0
	if point >= 0 {
		for _, t := range toks[point+1:] {
			if k := t.kind; k == '0' || k == '#' || k == '?' {
				nFrac++
			}
		}
	}
	intDigits, frac, lossless := d.fixed(nFrac)
	if !lossless {
		exact = false
	}
	var b strings.Builder
	for _, t := range toks[:first] {
		if t.kind == 'L' {
			b.WriteString(t.text)
		}
	}
	// The integer part, right to left.
	var out []string
	j := len(intDigits)
	for i := intEnd - 1; i >= first; i-- {
		switch t := toks[i]; t.kind {
		case '0', '#', '?':
			switch {
			case j > 0:
				j--
				out = append(out, intDigits[j:j+1])
			case t.kind == '0':
				out = append(out, "0")
			case t.kind == '?':
				out = append(out, " ")
			}
		case 'L':
			out = append(out, t.text)
		}
	}
	if j > 0 {
		out = append(out, intDigits[:j])
	}
	var ib strings.Builder
	for i := len(out) - 1; i >= 0; i-- {
		ib.WriteString(out[i])
	}
	is := ib.String()
	if thousands {
		is = groupThousands(is)
	}
	b.WriteString(is)
	if point >= 0 {
		for _, t := range toks[intEnd:point] {
			if t.kind == 'L' {
				b.WriteString(t.text)
			}
		}
		b.WriteByte('.')
		// Trailing # placeholders drop trailing zeros, ? ones turn them into spaces.
		kinds := make([]byte, 0, nFrac)
		for _, t := range toks[point+1:] {
			if k := t.kind; k == '0' || k == '#' || k == '?' {
				kinds = append(kinds, k)
			}
		}
		fd := []byte(frac)
		for k := len(fd) - 1; k >= 0 && fd[k] == '0' && kinds[k] != '0'; k-- {
			if kinds[k] == '#' {
				fd[k] = 0
			} else {
				fd[k] = ' '
			}
		}
		n := 0
		for _, t := range toks[point+1:] {
			switch t.kind {
			case '0', '#', '?':
				if fd[n] != 0 {
					b.WriteByte(fd[n])
				}
				n++
			case 'L':
				b.WriteString(t.text)
			case '%':
				b.WriteByte('%')
			}
		}
	} else {
		for _, t := range toks[intEnd:] {
			switch t.kind {
			case 'L':
				b.WriteString(t.text)
			case '%':
				b.WriteByte('%')
			}
		}
	}
	for _, t := range toks[:first] {
		if t.kind == '%' {
			b.WriteByte('%')
		}
	}
	return b.String(), exact
}

// groupThousands puts a comma between groups of three digits of the digit run in s.
func groupThousands(s string) string {
	start := strings.IndexAny(s, "0123456789")
	if start < 0 {
		return s
	}
	end := start
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	run := s[start:end]
	if len(run) <= 3 {
		return s
	}
	var b strings.Builder
	for i, c := range run {
		if i > 0 && (len(run)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return s[:start] + b.String() + s[end:]
}

// renderScientific renders a section with an exponent (0.00E+00, ##0.0E+0): the mantissa's
// integer placeholders (more than one makes the exponent a multiple of their count, as in
// engineering notation), its decimals rounded half up, the exponent's sign and digits.
func renderScientific(toks []fmtToken, d decimal) (string, bool, bool) {
	nInt, nFrac, nExp := 0, 0, 0
	expSign := "+"
	state := 0 // 0 integer part, 1 fraction, 2 exponent
	var prefix, suffix strings.Builder
	for _, t := range toks {
		switch t.kind {
		case '0', '#', '?':
			switch state {
			case 0:
				nInt++
			case 1:
				nFrac++
			default:
				nExp++
			}
		case '.':
			if state == 0 {
				state = 1
			}
		case 'E':
			state, expSign = 2, t.text
		case 'L':
			if nInt == 0 && state == 0 {
				prefix.WriteString(t.text)
			} else if state == 2 && nExp > 0 {
				suffix.WriteString(t.text)
			}
		case ',', '%', 'G':
			return "", false, false
		}
	}
	if nInt == 0 || nExp == 0 {
		return "", false, false
	}
	step := 1
	if nInt > 1 {
		step = nInt
	}
	e := 0
	intLen := 1
	exact := true
	if d.digits != "" {
		e0 := d.exp - 1
		e = floorDiv(e0, step) * step
		intLen = e0 - e + 1
		r := d.round(intLen + nFrac)
		if r.digits != d.digits {
			exact = false
		}
		if r.exp != d.exp { // 9.995 → 10.0: one more integer digit
			e0 = r.exp - 1
			e = floorDiv(e0, step) * step
			intLen = e0 - e + 1
		}
		d = r
	}
	all := d.digits + strings.Repeat("0", max(0, intLen+nFrac-len(d.digits)))
	if d.digits == "" {
		all = strings.Repeat("0", intLen+nFrac)
	}
	var b strings.Builder
	b.WriteString(prefix.String())
	b.WriteString(all[:intLen])
	if nFrac > 0 {
		b.WriteByte('.')
		b.WriteString(all[intLen : intLen+nFrac])
	}
	b.WriteByte('E')
	switch {
	case e < 0:
		b.WriteByte('-')
		e = -e
	case expSign == "+":
		b.WriteByte('+')
	}
	es := strconv.Itoa(e)
	b.WriteString(strings.Repeat("0", max(0, nExp-len(es))))
	b.WriteString(es)
	b.WriteString(suffix.String())
	return b.String(), exact, true
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// fixed returns d's integer digits (no leading zeros, "" for less than 1) and exactly dec
// fraction digits, rounded half up, and whether nothing was lost.
func (d decimal) fixed(dec int) (intDigits, frac string, exact bool) {
	if d.digits == "" {
		return "", strings.Repeat("0", dec), true
	}
	// all = the digits from 10^(exp-1) down to 10^-dec, with a carry digit in front.
	keep := d.exp + dec // how many of d.digits are kept (may be ≤ 0 or more than there are)
	exact = keep >= len(d.digits)
	var digits []byte
	switch {
	case keep <= 0:
		// Everything is below the last kept place: it rounds to 0 or to one unit of it.
		if keep == 0 && d.digits[0] >= '5' {
			digits = []byte{'1'}
		}
	case keep >= len(d.digits):
		digits = []byte(d.digits + strings.Repeat("0", keep-len(d.digits)))
	default:
		digits = []byte(d.digits[:keep])
		if d.digits[keep] >= '5' {
			i := len(digits) - 1
			for ; i >= 0; i-- {
				if digits[i] < '9' {
					digits[i]++
					break
				}
				digits[i] = '0'
			}
			if i < 0 {
				digits = append([]byte{'1'}, digits...)
			}
		}
	}
	// digits is the value × 10^dec as an integer; split off the fraction.
	s := string(digits)
	if len(s) < dec {
		s = strings.Repeat("0", dec-len(s)) + s
	}
	intDigits, frac = strings.TrimLeft(s[:len(s)-dec], "0"), s[len(s)-dec:]
	return intDigits, frac, exact
}

// plainGeneral is d as the General format shows it (see numberText).
func (d decimal) plainGeneral() string {
	if len(d.digits) > maxExcelDigits {
		d = d.round(maxExcelDigits)
	}
	return d.plain()
}
