package table

import (
	"bufio"
	"bytes"
	"io"
	"sync"
	"unicode/utf8"
)

// sheetScanner is a narrow tokenizer of worksheet XML: the fast path of the sheet reader (and of
// the shared strings), which allocates nothing per token where encoding/xml allocates each; a
// sheet reads 3.5–5× faster with it (BenchmarkXLSXRead). It knows the subset that
// spreadsheet programs write — elements and attributes with or without a namespace prefix,
// text with the five entities and character references, CDATA sections, comments, the XML
// declaration — and returns the tokens that (*xml.Decoder).RawToken would return, by their
// local names, with the same text.
//
// It never reports a syntax error. Anything outside its subset, and anything encoding/xml would
// refuse (a malformed tag, an unknown entity, invalid UTF-8, a character XML does not allow, a
// declared encoding other than UTF-8, a read error), makes next return false: the caller then
// reads the sheet again from its start with encoding/xml (xlsxTable.fallBack), which decides.
// So the scanner may be narrower than encoding/xml, never different from it: FuzzSheetScanner
// checks that whatever it reads, encoding/xml reads the same.
//
// It reads its input through a bufio.Reader of the size the encoding/xml path uses and asks it
// for less than that size at a time, so that the part's reader (and its guard, guard.go) sees
// the same reads in the same order on both paths: a guard refusal is met at the same point.
type sheetScanner struct {
	br  *bufio.Reader
	buf []byte // buf[pos:] is not scanned yet
	pos int
	eof bool // the input is all in buf

	// The token: its kind, the element (start, end), its attributes (start), its text (text).
	kind  scanKind
	el    sheetEl
	attrs []scanAttr
	text  []byte

	needClose bool    // the last start tag was self-closing: its end comes next
	closeEl   sheetEl // … and is that of this element
	attrBuf   []byte  // the decoded attribute values that differ from the input
	textBuf   []byte  // the decoded text when it differs from the input
}

type scanKind uint8

const (
	scanText scanKind = iota
	scanStart
	scanEnd
	scanEOF
	scanSkip // a comment or processing instruction: nothing for the reader
)

// sheetEl is an element the sheet reader acts on, by its local name.
type sheetEl uint8

const (
	elOther sheetEl = iota
	elRow
	elC
	elV
	elF
	elIS
	elT
	elRPh
	elCol
	elSheetData
	elSI
)

// scanAttr is an attribute: its local name and its value, entities decoded.
type scanAttr struct {
	name, value []byte
}

const (
	// scanChunk is the buffer of the encoding/xml path (xlsxTable.start), which the scanner
	// reads through too.
	scanChunk = 64 << 10
	// maxScanToken caps a token the scanner holds whole: past the guard's cap on a run between
	// two '<' (maxRun), the guard has refused the part before.
	maxScanToken = 2*maxRun + scanChunk
)

// scanners keeps released scanners' buffers for the next part.
var scanners = sync.Pool{New: func() any {
	return &sheetScanner{br: bufio.NewReaderSize(nil, scanChunk), buf: make([]byte, 0, scanChunk)}
}}

// newSheetScanner is a scanner of r; release it when done.
func newSheetScanner(r io.Reader) *sheetScanner {
	s := scanners.Get().(*sheetScanner)
	s.br.Reset(r)
	return s
}

// release gives s's buffers back for another scanner: s is not to be used again (nor what its
// tokens pointed to).
func (s *sheetScanner) release() {
	if cap(s.buf) > 4*scanChunk {
		s.buf = make([]byte, 0, scanChunk) // not the memory of a token past the usual
	}
	s.br.Reset(nil)
	*s = sheetScanner{br: s.br, buf: s.buf[:0], attrs: s.attrs[:0], attrBuf: s.attrBuf[:0], textBuf: s.textBuf[:0]}
	scanners.Put(s)
}

// more reads more input after buf[pos:], which it moves to the front; false at the end of the
// input, on a read error or past maxScanToken.
func (s *sheetScanner) more() bool {
	if s.eof {
		return false
	}
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:])
		s.buf, s.pos = s.buf[:n], 0
	}
	if len(s.buf) == cap(s.buf) {
		if cap(s.buf) >= maxScanToken {
			return false
		}
		nb := make([]byte, len(s.buf), 2*cap(s.buf))
		copy(nb, s.buf)
		s.buf = nb
	}
	for {
		free := s.buf[len(s.buf):cap(s.buf)]
		if len(free) >= scanChunk {
			// bufio reads as much directly: keep below its size so that it reads a whole
			// chunk into its buffer, as for the decoder's ReadByte.
			free = free[:scanChunk-1]
		}
		n, err := s.br.Read(free)
		s.buf = s.buf[:len(s.buf)+n]
		if n > 0 {
			return true
		}
		if err == io.EOF {
			s.eof = true
			return false
		}
		if err != nil {
			return false
		}
	}
}

// next scans the next token into s; false when the scanner cannot go on (see sheetScanner).
// At the end of the input the token is scanEOF.
func (s *sheetScanner) next() bool {
	if s.needClose {
		s.needClose = false
		s.kind, s.el = scanEnd, s.closeEl
		return true
	}
	for {
		if s.pos >= len(s.buf) {
			if !s.more() {
				if s.eof && s.pos >= len(s.buf) {
					s.kind = scanEOF
					return true
				}
				return false
			}
		}
		var n int
		if s.buf[s.pos] == '<' {
			n = s.tag(s.buf[s.pos:])
		} else {
			n = s.chars(s.buf[s.pos:])
		}
		switch {
		case n < 0:
			return false
		case n == 0:
			// More input, or at its end a text run to the end (chars takes it whole).
			if !s.more() && !(s.eof && s.pos < len(s.buf) && s.buf[s.pos] != '<') {
				return false
			}
		default:
			s.pos += n
			if s.kind != scanSkip {
				return true
			}
		}
	}
}

// chars scans a text run (up to the next '<'); the bytes it took, 0 when it needs more input,
// -1 when it cannot read it as encoding/xml does.
func (s *sheetScanner) chars(b []byte) int {
	k := bytes.IndexByte(b, '<')
	if k < 0 {
		if !s.eof {
			return 0
		}
		k = len(b)
	}
	text, ok := s.decode(b[:k], &s.textBuf, modeText)
	if !ok {
		return -1
	}
	s.kind, s.text = scanText, text
	return k
}

// tag scans a markup token at b[0] == '<'; as chars.
func (s *sheetScanner) tag(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case '/':
		i, local := scanName(b, 2)
		if i <= 0 {
			return i
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return 0
		}
		if b[i] != '>' {
			return -1
		}
		s.kind, s.el = scanEnd, sheetElement(local)
		return i + 1
	case '?':
		return s.procInst(b)
	case '!':
		return s.bang(b)
	}
	i, local := scanName(b, 1)
	if i <= 0 {
		return i
	}
	s.el = sheetElement(local)
	s.attrs, s.attrBuf = s.attrs[:0], s.attrBuf[:0]
	for {
		i = skipSpace(b, i)
		if i >= len(b) {
			return 0
		}
		switch b[i] {
		case '/':
			if i+1 >= len(b) {
				return 0
			}
			if b[i+1] != '>' {
				return -1
			}
			s.kind, s.needClose, s.closeEl = scanStart, true, s.el
			return i + 2
		case '>':
			s.kind = scanStart
			return i + 1
		}
		j, name := scanName(b, i)
		if j <= 0 {
			return j
		}
		j = skipSpace(b, j)
		if j >= len(b) {
			return 0
		}
		if b[j] != '=' { // encoding/xml is strict: no attribute without a value
			return -1
		}
		j = skipSpace(b, j+1)
		if j >= len(b) {
			return 0
		}
		q := b[j]
		if q != '"' && q != '\'' {
			return -1
		}
		k := bytes.IndexByte(b[j+1:], q)
		if k < 0 {
			return 0
		}
		v, ok := s.decode(b[j+1:j+1+k], &s.attrBuf, modeAttr)
		if !ok {
			return -1
		}
		s.attrs = append(s.attrs, scanAttr{name: name, value: v})
		i = j + 1 + k + 1
	}
}

// procInst scans <?target …?>: the XML declaration when it says what encoding/xml accepts
// without question (version 1.0, UTF-8), any other instruction as nothing.
func (s *sheetScanner) procInst(b []byte) int {
	i, _ := scanName(b, 2)
	if i <= 0 {
		return i
	}
	target := b[2:i]
	i = skipSpace(b, i)
	k := bytes.Index(b[i:], []byte("?>"))
	if k < 0 {
		return 0
	}
	if string(target) == "xml" && !plainDeclaration(b[i:i+k]) {
		return -1
	}
	s.kind = scanSkip
	return i + k + 2
}

// plainDeclaration reports whether the content of <?xml …?> is one that spreadsheet programs
// write (version 1.0, encoding UTF-8 if any, standalone): encoding/xml decides about any other.
func plainDeclaration(c []byte) bool {
	c = bytes.TrimRight(c, " \t\r\n")
	for _, ok := range [...]string{
		`version="1.0" encoding="UTF-8" standalone="yes"`,
		`version="1.0" encoding="UTF-8" standalone="no"`,
		`version="1.0" encoding="UTF-8"`,
		`version="1.0" encoding="utf-8" standalone="yes"`,
		`version="1.0" encoding="utf-8"`,
		`version="1.0" standalone="yes"`,
		`version="1.0"`,
		`version='1.0' encoding='UTF-8' standalone='yes'`,
		`version='1.0' encoding='UTF-8'`,
		`version='1.0' encoding='utf-8'`,
		`version='1.0'`,
	} {
		if string(c) == ok {
			return true
		}
	}
	return false
}

// bang scans <![CDATA[…]]> (a text token) and <!--…--> (nothing); anything else (a DOCTYPE,
// a directive) is left to encoding/xml.
func (s *sheetScanner) bang(b []byte) int {
	const cdata, comment = "<![CDATA[", "<!--"
	switch {
	case len(b) < len(cdata) && (bytes.HasPrefix([]byte(cdata), b) || bytes.HasPrefix([]byte(comment), b)):
		return 0
	case bytes.HasPrefix(b, []byte(cdata)):
		k := bytes.Index(b[len(cdata):], []byte("]]>"))
		if k < 0 {
			return 0
		}
		text, ok := s.decode(b[len(cdata):len(cdata)+k], &s.textBuf, modeCDATA)
		if !ok {
			return -1
		}
		s.kind, s.text = scanText, text
		return len(cdata) + k + 3
	case bytes.HasPrefix(b, []byte(comment)):
		// As encoding/xml: the comment ends at the first "--", which must be followed by '>'.
		k := bytes.Index(b[len(comment):], []byte("--"))
		if k < 0 || len(comment)+k+2 >= len(b) {
			return 0
		}
		if b[len(comment)+k+2] != '>' {
			return -1
		}
		s.kind = scanSkip
		return len(comment) + k + 3
	}
	return -1
}

// sheetElement is the element of a local name.
func sheetElement(local []byte) sheetEl {
	switch string(local) {
	case "row":
		return elRow
	case "c":
		return elC
	case "v":
		return elV
	case "f":
		return elF
	case "is":
		return elIS
	case "t":
		return elT
	case "rPh":
		return elRPh
	case "col":
		return elCol
	case "sheetData":
		return elSheetData
	case "si":
		return elSI
	}
	return elOther
}

// scanName scans an XML name at b[i:] and returns the index after it and its local name (after
// a prefix and its colon, as encoding/xml's Name.Local). The index is 0 when the name may go on
// past b, -1 for a name the scanner leaves to encoding/xml (not ASCII, not starting with a letter
// or '_', more than one colon).
func scanName(b []byte, i int) (int, []byte) {
	start, colon := i, -1
	if i >= len(b) {
		return 0, nil
	}
	if c := b[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
		return -1, nil
	}
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.':
		case c == ':':
			if colon >= 0 {
				return -1, nil
			}
			colon = i
		case c >= utf8.RuneSelf:
			return -1, nil
		default:
			name := b[start:i]
			if colon >= 0 && colon+1 < i {
				name = b[colon+1 : i]
			}
			return i, name
		}
	}
	return 0, nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// decode modes: text between tags, an attribute value (between its quotes), a CDATA section.
const (
	modeText = iota
	modeAttr
	modeCDATA
)

// decode is raw as encoding/xml's text returns it: entities and character references replaced
// (not in CDATA), CR and CRLF made LF; ok is false for what encoding/xml refuses (or the scanner
// leaves to it): an entity other than the five, a character reference that is not a character,
// invalid UTF-8, a character outside XML's Char, '<' in a value, "]]>" in text. The result is
// raw itself when nothing changes, else it is built in *dst.
func (s *sheetScanner) decode(raw []byte, dst *[]byte, mode int) ([]byte, bool) {
	i := 0
	for ; i < len(raw); i++ {
		c := raw[i]
		if c < 0x20 || c >= utf8.RuneSelf || c == '&' || c == '<' || c == '>' {
			if c == '\t' || c == '\n' {
				continue
			}
			break
		}
	}
	if i == len(raw) {
		return raw, true
	}
	// The rest, byte by byte; out is nil until something changes.
	var out []byte
	start := len(*dst)
	prevCR := false
	for i < len(raw) {
		c := raw[i]
		switch {
		case c == '&' && mode != modeCDATA:
			r, n := entityAt(raw[i:])
			if n == 0 {
				return nil, false
			}
			if out == nil {
				out = append((*dst)[:start], raw[:i]...)
			}
			out = utf8.AppendRune(out, r)
			i += n
			prevCR = false
			continue
		case c == '\r':
			if out == nil {
				out = append((*dst)[:start], raw[:i]...)
			}
			out = append(out, '\n')
			prevCR = true
			i++
			continue
		case c == '\n' && prevCR:
			// CRLF: the LF is already written.
			prevCR = false
			i++
			continue
		case c == '<' && mode != modeCDATA:
			return nil, false
		case c == '>' && mode == modeText && i >= 2 && raw[i-1] == ']' && raw[i-2] == ']':
			return nil, false
		case c < 0x20:
			if c != '\t' && c != '\n' {
				return nil, false
			}
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && n == 1 || !xmlChar(r) {
				return nil, false
			}
			if out != nil {
				out = append(out, raw[i:i+n]...)
			}
			i += n
			prevCR = false
			continue
		}
		if out != nil {
			out = append(out, c)
		}
		prevCR = false
		i++
	}
	if out == nil {
		return raw, true
	}
	*dst = out
	return out[start:], true
}

// entityAt reads the entity or character reference at b[0] == '&' as encoding/xml does: the
// character and the bytes it took, or n == 0 for one the scanner leaves to encoding/xml.
func entityAt(b []byte) (r rune, n int) {
	if len(b) >= 2 && b[1] == '#' {
		i, base := 2, rune(10)
		if i < len(b) && b[i] == 'x' {
			i, base = 3, 16
		}
		start := i
		for ; i < len(b); i++ {
			c := b[i]
			var d rune
			switch {
			case c >= '0' && c <= '9':
				d = rune(c - '0')
			case base == 16 && c >= 'a' && c <= 'f':
				d = rune(c-'a') + 10
			case base == 16 && c >= 'A' && c <= 'F':
				d = rune(c-'A') + 10
			default:
				d = -1
			}
			if d < 0 {
				break
			}
			if r = r*base + d; r > utf8.MaxRune {
				return 0, 0
			}
		}
		if i == start || i >= len(b) || b[i] != ';' {
			return 0, 0
		}
		// encoding/xml writes string(rune(n)): a surrogate becomes U+FFFD; then it refuses what
		// is not a Char.
		if r >= 0xD800 && r < 0xE000 {
			r = utf8.RuneError
		}
		if !xmlChar(r) {
			return 0, 0
		}
		return r, i + 1
	}
	for _, e := range [...]struct {
		name string
		r    rune
	}{{"&lt", '<'}, {"&gt", '>'}, {"&amp", '&'}, {"&apos", '\''}, {"&quot", '"'}} {
		if len(b) > len(e.name) && string(b[:len(e.name)]) == e.name && b[len(e.name)] == ';' {
			return e.r, len(e.name) + 1
		}
	}
	return 0, 0
}

// xmlChar is XML's Char production, as encoding/xml checks it.
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
