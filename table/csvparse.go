package table

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// maxRecordBytes caps one CSV record (all its fields): a record past it is a quote never closed
// or not CSV at all, and reading on would hold the rest of the file in memory.
const maxRecordBytes = 1 << 20

// csvParser reads CSV records as RFC 4180 defines them and as Excel reads them, never guessing:
//
//   - a field that starts with a quote is quoted: it ends at a quote followed by the delimiter or
//     the end of the line, holds delimiters and line breaks, and "" stands for one quote. A quote
//     followed by anything else, or no closing quote at all, is an error naming the line where the
//     field started (encoding/csv's LazyQuotes would instead swallow the following rows into it);
//   - a quote inside a field that did not start with one is a literal character (he said "hi");
//   - records end in LF or CRLF (CR-only files are turned into LF before parsing); CRLF inside a
//     quoted field is read as LF.
type csvParser struct {
	r     *bufio.Reader
	comma byte
	line  int    // physical lines read so far
	rec   []byte // the record's fields, back to back
	ends  []int  // where each field ends in rec
	long  []byte // a line longer than r's buffer, assembled
	open  []byte // the start of the quoted field being read
	// width is the number of header columns once known (before, the most fields of a record so
	// far): a quoted field that runs on over a line with that many fields is refused as a
	// missing closing quote.
	width, widest int
}

func newCSVParser(r io.Reader, comma byte) *csvParser {
	return &csvParser{r: bufio.NewReaderSize(r, 64<<10), comma: comma}
}

// csvSyntaxError is a malformed record: Line is where the faulty field started.
type csvSyntaxError struct {
	Line int
	Msg  string
}

func (e *csvSyntaxError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// readLine returns the next physical line with its end normalised to "\n" (none on a last line
// without one), or io.EOF.
func (p *csvParser) readLine() ([]byte, error) {
	line, err := p.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		p.long = append(p.long[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			if len(p.long) > maxRecordBytes {
				return nil, &csvSyntaxError{Line: p.line + 1, Msg: fmt.Sprintf("a line longer than %d MiB: this is not a CSV file of operations (or a quote is never closed)", maxRecordBytes>>20)}
			}
			line, err = p.r.ReadSlice('\n')
			p.long = append(p.long, line...)
		}
		line = p.long
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if len(line) == 0 {
		return nil, io.EOF
	}
	p.line++
	n := len(line)
	switch {
	case n >= 2 && line[n-2] == '\r' && line[n-1] == '\n':
		line[n-2] = '\n'
		line = line[:n-1]
	case line[n-1] == '\r': // the last line of the file, ended by CR
		line[n-1] = '\n'
	}
	return line, nil
}

// read returns the next record's fields and the physical line it starts on; io.EOF at the end.
// A blank line is a record of one empty field.
func (p *csvParser) read() (fields []string, start int, err error) {
	line, err := p.readLine()
	if err != nil {
		return nil, 0, err
	}
	start = p.line
	if bytes.IndexByte(line, '"') < 0 {
		// No quote: the fields are the line split at the delimiter, as the loop below would find
		// them, cut from one copy of the line.
		text := trimNL(line)
		fields = make([]string, bytes.Count(text, []byte{p.comma})+1)
		s := string(text)
		for i := range len(fields) - 1 {
			j := strings.IndexByte(s, p.comma)
			fields[i], s = s[:j], s[j+1:]
		}
		fields[len(fields)-1] = s
		p.widest = max(p.widest, len(fields))
		return fields, start, nil
	}
	p.rec = p.rec[:0]
	p.ends = p.ends[:0]
parse:
	for {
		if len(line) == 0 || line[0] != '"' {
			// An unquoted field: up to the delimiter or the end of the line, quotes literal.
			i := bytes.IndexByte(line, p.comma)
			if i < 0 {
				p.rec = append(p.rec, trimNL(line)...)
				p.ends = append(p.ends, len(p.rec))
				break parse
			}
			p.rec = append(p.rec, line[:i]...)
			p.ends = append(p.ends, len(p.rec))
			line = line[i+1:]
			continue
		}
		// A quoted field.
		// The field's start, for messages (line is in the reader's buffer, which the next line overwrites).
		p.open = append(p.open[:0], line[:min(len(line), 160)]...)
		fieldLine, opening, from := p.line, p.open, len(p.rec)
		line = line[1:]
		for {
			i := bytes.IndexByte(line, '"')
			if i < 0 {
				p.rec = append(p.rec, line...)
				if len(p.rec) > maxRecordBytes {
					return nil, start, &csvSyntaxError{Line: fieldLine, Msg: fmt.Sprintf("a quoted field starts here (%s) and runs on for more than %d MiB: its closing quote is missing; add it, or remove the opening quote", snippet(opening), maxRecordBytes>>20)}
				}
				next, err := p.readLine()
				if errors.Is(err, io.EOF) {
					return nil, start, &csvSyntaxError{Line: fieldLine, Msg: fmt.Sprintf("a quoted field starts here (%s) but its closing quote is missing: add it, or remove the opening quote (otherwise the rest of the file would be read as one cell)", snippet(opening))}
				}
				if err != nil {
					return nil, start, err
				}
				if w := cmp.Or(p.width, p.widest); w >= 3 && bytes.Count(next, []byte{p.comma}) >= w-1 {
					return nil, start, &csvSyntaxError{Line: fieldLine, Msg: fmt.Sprintf("a quoted field starts here (%s) and runs on into line %d, which looks like a row of its own: its closing quote is missing; add it, or remove the opening quote", snippet(opening), p.line)}
				}
				line = next
				continue
			}
			p.rec = append(p.rec, line[:i]...)
			line = line[i+1:]
			switch {
			case len(line) > 0 && line[0] == '"': // "" is one quote
				p.rec = append(p.rec, '"')
				line = line[1:]
			case len(line) > 0 && line[0] == p.comma:
				p.ends = append(p.ends, len(p.rec))
				line = line[1:]
				continue parse
			case len(line) == 0 || line[0] == '\n':
				p.ends = append(p.ends, len(p.rec))
				break parse
			default:
				// Spaces after the closing quote are harmless (Excel keeps them); anything else
				// means the quote was not meant to open a quoted field.
				rest := trimNL(line)
				if j := bytes.IndexByte(rest, p.comma); j >= 0 {
					rest = rest[:j]
				}
				if len(bytes.Trim(rest, " ")) == 0 {
					p.rec = append(p.rec, rest...)
					p.ends = append(p.ends, len(p.rec))
					if line = line[len(rest):]; len(line) > 0 && line[0] == p.comma {
						line = line[1:]
						continue parse
					}
					break parse
				}
				field := `"` + string(p.rec[from:]) + `"` + string(rest)
				return nil, start, &csvSyntaxError{Line: fieldLine, Msg: fmt.Sprintf(
					"a field starts with a quote, so it must end with one, but text follows its closing quote: %s — quote the whole field and double the quotes inside it (%s), or remove the quotes",
					snippet([]byte(field)), snippet([]byte(`"`+strings.ReplaceAll(field, `"`, `""`)+`"`)))}
			}
		}
	}
	p.widest = max(p.widest, len(p.ends))
	s := string(p.rec)
	fields = make([]string, len(p.ends))
	from := 0
	for i, e := range p.ends {
		fields[i] = s[from:e]
		from = e
	}
	return fields, start, nil
}

// trimNL drops the "\n" at the end of a line.
func trimNL(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		return line[:n-1]
	}
	return line
}

// snippet is the start of a field for a message: its first line, at most 40 characters.
func snippet(b []byte) string {
	s := string(trimNL(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + "…"
	}
	if utf8.RuneCountInString(s) > 40 {
		r := []rune(s)
		s = string(r[:40]) + "…"
	}
	return s
}

// excelText is what Excel shows for a CSV field written as a formula that is just a string,
// the ERP trick to keep leading zeros: ="00123" shows 00123 (and ="a""b" shows a"b). Any other
// field is returned as it is.
func excelText(f string) string {
	if len(f) < 3 || f[0] != '=' || f[1] != '"' || f[len(f)-1] != '"' {
		return f
	}
	inner := f[2 : len(f)-1]
	if !strings.Contains(inner, `"`) {
		return inner
	}
	// Inside a formula string a quote is written "": anything else is not a plain string.
	var b strings.Builder
	for i := 0; i < len(inner); i++ {
		if inner[i] == '"' {
			if i+1 >= len(inner) || inner[i+1] != '"' {
				return f
			}
			i++
		}
		b.WriteByte(inner[i])
	}
	return b.String()
}

// crToLF turns every CR into LF: the reader of a file whose lines end in CR alone (old Macs).
type crToLF struct{ r io.Reader }

func (c crToLF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i := 0; i < n; {
		j := bytes.IndexByte(p[i:n], '\r')
		if j < 0 {
			break
		}
		p[i+j] = '\n'
		i += j + 1
	}
	return n, err
}
