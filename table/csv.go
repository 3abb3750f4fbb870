package table

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// sniffSize is how much of a CSV file decides its encoding and delimiter.
const sniffSize = 256 << 10

// Encodings a CSV file can be read in (and Table.Encoding values).
const (
	EncUTF8    = "utf-8"
	EncUTF8BOM = "utf-8-bom"
	EncGBK     = "gbk"
	EncGB18030 = "gb18030"
	EncUTF16LE = "utf-16le"
	EncUTF16BE = "utf-16be"
	EncXLSX    = "xlsx"
)

// csvTable is a Table over a CSV file, decoded to UTF-8 as it streams. After the header, a
// goroutine parses ahead in small batches (Ahead), so that parsing and the caller's validation use
// two cores; at most csvAhead batches wait, so memory stays bounded.
type csvTable struct {
	f      io.Closer
	path   string
	p      *csvParser
	enc    string
	delim  rune // the delimiter used (given, sep= or detected)
	header []string
	hline  int // the header's row
	row    int // the Excel row number of the last record read: every record is a row, blank or not

	ahead  *Ahead[csvRecord]
	cur    []csvRecord
	pos    int
	closed bool

	size      int64 // the file's size, 0 if unknown
	lineBytes int   // average bytes a line in the sniffed prefix

	onRecord func(row int, cells []string) // csvConfig.onRecord
	warnings []Warning
}

func (t *csvTable) Warnings() []Warning { return t.warnings }

// csvRecord is one non-empty record and its row number.
type csvRecord struct {
	line  int
	cells []string
}

// RowHint estimates the number of rows from the file size and the prefix's average line length.
func (t *csvTable) RowHint() int {
	if t.size <= 0 || t.lineBytes <= 0 {
		return 0
	}
	return int(t.size / int64(t.lineBytes))
}

const (
	csvBatchRows = 256
	csvAhead     = 4
)

// normEncoding maps the --encoding values (and a few common aliases) to ours; "" means auto.
func normEncoding(s string) (string, error) {
	switch strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "_", "-")) {
	case "", "auto":
		return "", nil
	case "utf-8", "utf8", "utf-8-bom":
		return EncUTF8, nil
	case "gbk", "cp936", "gb2312":
		return EncGBK, nil
	case "gb18030":
		return EncGB18030, nil
	case "utf-16le", "utf-16", "unicode":
		return EncUTF16LE, nil
	case "utf-16be":
		return EncUTF16BE, nil
	}
	return "", fmt.Errorf("unknown encoding %q: want auto, utf-8, gbk, gb18030, utf-16le or utf-16be", s)
}

func openCSV(path string, opt Options) (Table, error) {
	want, err := normEncoding(opt.Encoding)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fileErr(path, err, "cannot open: %v", UnwrapPathErr(err))
	}
	t, err := openCSVStream(path, f, csvConfig{enc: want, delim: opt.Delimiter, opt: opt})
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err == nil {
		t.(*csvTable).size = st.Size()
	}
	return t, nil
}

// NewCSV reads CSV text from f as Open reads a CSV file (Options.Encoding and Delimiter apply):
// a CSV source for any reader. name is the file as messages name it; f is closed by Close, or on
// error.
func NewCSV(name string, f io.ReadCloser, opt Options) (Table, error) {
	want, err := normEncoding(opt.Encoding)
	if err != nil {
		f.Close()
		return nil, err
	}
	return openCSVStream(name, f, csvConfig{enc: want, delim: opt.Delimiter, opt: opt})
}

// newCSVTable reads CSV text from f (closed by Close, or on error): encoding want ("" = detect),
// delimiter delim (0 = detect).
func newCSVTable(path string, f io.ReadCloser, want string, delim rune) (Table, error) {
	return openCSVStream(path, f, csvConfig{enc: want, delim: delim})
}

// csvConfig is how a CSV stream is read: the encoding (normalised, "" = detect), the delimiter
// (0 = detect), and for tests a hook that sees every record (blank ones and the header too) with
// its row number, on whichever goroutine parses it.
type csvConfig struct {
	enc      string
	delim    rune
	opt      Options // HeaderRow, HeaderScore
	onRecord func(row int, cells []string)
}

func openCSVStream(path string, f io.ReadCloser, cfg csvConfig) (_ Table, err error) {
	want, delim := cfg.enc, cfg.delim
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	prefix := make([]byte, sniffSize)
	n, err := io.ReadFull(f, prefix)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fileErr(path, err, "cannot read: %v", err)
	}
	prefix = prefix[:n]
	whole := n < sniffSize
	bom := bytes.HasPrefix(prefix, []byte("\xEF\xBB\xBF"))
	enc := want
	switch {
	case bom:
		prefix = prefix[3:]
	case bytes.HasPrefix(prefix, []byte{0xFF, 0xFE}): // Excel's "Unicode Text": UTF-16 with a BOM
		enc, prefix = EncUTF16LE, prefix[2:]
	case bytes.HasPrefix(prefix, []byte{0xFE, 0xFF}):
		enc, prefix = EncUTF16BE, prefix[2:]
	}
	var warn *Warning
	if enc == "" {
		enc, warn, err = detectEncoding(prefix, whole)
		if err != nil {
			return nil, fileErr(path, err, "%v", err)
		}
	}
	if enc == EncUTF8 && bom {
		enc = EncUTF8BOM
	}
	var src io.Reader = io.MultiReader(bytes.NewReader(prefix), f)
	var decoded []byte
	switch enc {
	case EncGBK:
		src = transform.NewReader(src, simplifiedchinese.GBK.NewDecoder())
		decoded, _ = simplifiedchinese.GBK.NewDecoder().Bytes(cutAtLine(prefix, whole))
	case EncGB18030:
		src = transform.NewReader(src, simplifiedchinese.GB18030.NewDecoder())
		decoded, _ = simplifiedchinese.GB18030.NewDecoder().Bytes(cutAtLine(prefix, whole))
	case EncUTF16LE, EncUTF16BE:
		order := unicode.LittleEndian
		if enc == EncUTF16BE {
			order = unicode.BigEndian
		}
		u16 := unicode.UTF16(order, unicode.IgnoreBOM)
		src = transform.NewReader(src, u16.NewDecoder())
		decoded, _ = u16.NewDecoder().Bytes(prefix[:len(prefix)&^1])
	default:
		decoded = prefix
	}
	if !bytes.Contains(decoded, []byte{'\n'}) && bytes.Contains(decoded, []byte{'\r'}) {
		// Lines end in CR alone (an old Mac file): Excel reads each CR as a line end.
		src = crToLF{src}
		decoded = bytes.ReplaceAll(decoded, []byte{'\r'}, []byte{'\n'})
	}
	// Excel's "sep=;" first line names the delimiter; Excel uses it and does not show it.
	sepLine := false
	if len(decoded) >= 5 && strings.EqualFold(string(decoded[:4]), "sep=") && decoded[4] < utf8.RuneSelf &&
		(len(decoded) == 5 || decoded[5] == '\n' || (decoded[5] == '\r' && len(decoded) > 6 && decoded[6] == '\n')) {
		sepLine = true
		if delim == 0 {
			delim = rune(decoded[4])
		}
		if i := bytes.IndexByte(decoded, '\n'); i >= 0 {
			decoded = decoded[i+1:]
		}
	}
	if delim == 0 {
		delim = detectDelimiter(decoded)
	}
	if delim == '"' || delim == '\r' || delim == '\n' || delim >= utf8.RuneSelf || delim < ' ' && delim != '\t' {
		return nil, fmt.Errorf("delimiter %q cannot be used: want an ASCII character such as , ; or tab", delim)
	}
	t := &csvTable{f: f, path: path, p: newCSVParser(src, byte(delim)), enc: enc, delim: delim, onRecord: cfg.onRecord}
	if warn != nil {
		t.warnings = append(t.warnings, *warn)
	}
	if lines := bytes.Count(prefix, []byte{'\n'}); lines > 0 {
		t.lineBytes = max(1, len(prefix)/lines)
	}
	if sepLine {
		if _, err := t.p.readLine(); err != nil && !errors.Is(err, io.EOF) {
			return nil, fileErr(path, err, "cannot read: %v", err)
		}
	}
	next := func() (sheetRow, bool, error) {
		for {
			line, cells, err := t.read()
			if errors.Is(err, io.EOF) {
				return sheetRow{}, false, nil
			}
			if err != nil {
				return sheetRow{}, false, err
			}
			if !EmptyRow(cells) {
				return sheetRow{line: line, cells: cells}, true, nil
			}
		}
	}
	hdr, rest, _, err := findHeader(next, cfg.opt, func() error {
		return fileErr(path, nil, "has no header row: expected column names in row 1")
	})
	if err != nil {
		var pe *partError
		if errors.As(err, &pe) {
			return nil, fileErr(path, err, "%s", pe.msg)
		}
		return nil, err
	}
	t.header, t.hline = cleanHeader(hdr.cells), hdr.line
	t.p.width = len(hdr.cells)
	for _, r := range rest {
		t.cur = append(t.cur, csvRecord{r.line, r.cells})
	}
	t.ahead = NewAhead(csvBatchRows, csvAhead, func() (csvRecord, bool, error) {
		line, cells, err := t.read()
		return csvRecord{line, cells}, err == nil && EmptyRow(cells), err
	})
	return t, nil
}

// detectEncoding picks the encoding of a CSV file from its first bytes: GBK or GB18030 when
// they are not UTF-8 but decode cleanly as GB18030 (GBK when no four-byte sequence is used),
// else gives up. Bytes that are valid UTF-8 are UTF-8 unless they are GBK too and read far
// better as GBK: a short GBK text can be valid UTF-8 by chance (失效, CA A7 D0 A7, is UTF-8 for
// "ʧЧ"), and then the two readings are scored (scoreUTF8, scoreGBK). Whenever both readings
// are plausible, warn says which was chosen and how to choose the other.
func detectEncoding(prefix []byte, whole bool) (enc string, warn *Warning, err error) {
	p := cutAtLine(prefix, whole)
	if validUTF8(prefix) {
		if isASCII(p) {
			return EncUTF8, nil, nil
		}
		gbk, ok := decodeGB(p)
		if !ok {
			return EncUTF8, nil, nil
		}
		u, g := scoreUTF8(p), scoreGBK(p)
		uText, gText := firstNonASCII(string(p)), firstNonASCII(gbk)
		switch {
		case g > u && g > 0:
			enc := gbEncoding(p)
			return enc, &Warning{Kind: WarnEncoding, Message: fmt.Sprintf(
				"the file's bytes are valid UTF-8 and %s alike: it was read as %s (%q), which makes sense of its text, not as UTF-8 (%q); if that is wrong, pass --encoding utf-8",
				strings.ToUpper(enc), strings.ToUpper(enc), gText, uText)}, nil
		case g > 0 && 2*g >= u:
			return EncUTF8, &Warning{Kind: WarnEncoding, Message: fmt.Sprintf(
				"the file's bytes are valid UTF-8 and GBK alike: it was read as UTF-8 (%q), not as GBK (%q); if that is wrong, pass --encoding gbk", uText, gText)}, nil
		}
		return EncUTF8, nil, nil
	}
	if _, ok := decodeGB(p); !ok {
		return "", nil, errors.New("is neither UTF-8 nor GBK/GB18030 text: save it as \"CSV UTF-8\", or pass --encoding")
	}
	return gbEncoding(p), nil, nil
}

// decodeGB decodes p as GB18030 (GBK is a part of it); ok is false if any byte does not decode.
func decodeGB(p []byte) (string, bool) {
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(p)
	if err != nil || bytes.ContainsRune(out, '\uFFFD') {
		return "", false
	}
	return string(out), true
}

// gbEncoding is GB18030 when GB text uses a four-byte sequence, else GBK.
func gbEncoding(p []byte) string {
	for i := 0; i+1 < len(p); i++ {
		c := p[i]
		if c < 0x80 {
			continue
		}
		if c >= 0x81 && c <= 0xFE && p[i+1] >= 0x30 && p[i+1] <= 0x39 {
			return EncGB18030
		}
		i++ // a two-byte sequence
	}
	return EncGBK
}

func isASCII(p []byte) bool {
	for _, c := range p {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// scoreUTF8 scores the UTF-8 reading of p: Chinese characters and punctuation count for it;
// letters of other scripts (Latin with diacritics, IPA, Greek, Cyrillic, Armenian, Hebrew,
// Arabic, combining marks) count against it, which is what GBK bytes look like as UTF-8 — but
// for a Latin letter next to an ASCII letter (Müller, café), as European words have them.
func scoreUTF8(p []byte) int {
	score := 0
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRune(p[i:])
		switch {
		case r < utf8.RuneSelf:
		case r >= 0x4E00 && r <= 0x9FFF:
			score += 2
		case r >= 0x3000 && r <= 0x303F, r >= 0xFF00 && r <= 0xFFEF:
			score++
		case r >= 0x00C0 && r <= 0x024F:
			if (i > 0 && isLetter(p[i-1])) || (i+size < len(p) && isLetter(p[i+size])) {
				score++
			} else {
				score--
			}
		case r >= 0x0250 && r <= 0x06FF:
			score--
		}
		i += size
	}
	return score
}

// scoreGBK scores the GBK reading of p by its two-byte characters: the 3,755 common hanzi of
// GB2312 level 1 count most, level 2 and the symbols (full-width punctuation) less, GBK's
// extension (rare characters, where UTF-8 bytes mostly land) against it; so does a lone
// character inside a Latin word (UTF-8's é in café reads as one hanzi between letters).
func scoreGBK(p []byte) int {
	score := 0
	run, runScore, runStart := 0, 0, 0
	end := func(i int) {
		if run == 1 && ((runStart > 0 && isLetter(p[runStart-1])) || (i < len(p) && isLetter(p[i]))) {
			runScore = -2
		}
		score += runScore
		run, runScore = 0, 0
	}
	for i := 0; i < len(p); {
		c := p[i]
		if c < 0x80 {
			if run > 0 {
				end(i)
			}
			i++
			continue
		}
		if i+1 >= len(p) {
			break
		}
		t := p[i+1]
		size := 2
		s := -1
		switch {
		case t >= 0x30 && t <= 0x39: // a four-byte GB18030 sequence
			size, s = 4, 0
		case c >= 0xB0 && c <= 0xD7 && t >= 0xA1:
			s = 2
		case c >= 0xD8 && c <= 0xF7 && t >= 0xA1, c >= 0xA1 && c <= 0xA9 && t >= 0xA1:
			s = 1
		}
		if run == 0 {
			runStart = i
		}
		run++
		runScore += s
		i += size
	}
	if run > 0 {
		end(len(p))
	}
	return score
}

// firstNonASCII is the first run of non-ASCII text in s (at most 12 characters), for messages.
func firstNonASCII(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return r >= utf8.RuneSelf })
	if i < 0 {
		return ""
	}
	s = s[i:]
	if j := strings.IndexFunc(s, func(r rune) bool { return r < utf8.RuneSelf }); j >= 0 {
		s = s[:j]
	}
	if r := []rune(s); len(r) > 12 {
		s = string(r[:12])
	}
	return s
}

// cutAtLine trims a prefix that is not the whole file to its last complete line, so a character
// cut in two at the end does not look like bad encoding.
func cutAtLine(p []byte, whole bool) []byte {
	if whole {
		return p
	}
	if i := bytes.LastIndexByte(p, '\n'); i >= 0 {
		return p[:i+1]
	}
	return p
}

// detectDelimiter picks the most frequent of , ; and tab on the first line outside quotes.
func detectDelimiter(text []byte) rune {
	counts := map[rune]int{}
	quoted := false
	for _, c := range string(text) {
		if c == '"' {
			quoted = !quoted
			continue
		}
		if quoted {
			continue
		}
		if c == '\n' {
			break
		}
		if c == ',' || c == ';' || c == '\t' {
			counts[c]++
		}
	}
	best := ','
	for _, c := range []rune{';', '\t'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return best
}

// read returns the next record with its Excel row number: every record is one row, a blank line
// too, and a record whose quoted field holds line breaks is one row however many lines it spans.
// A malformed record is a *FileError naming the line.
func (t *csvTable) read() (int, []string, error) {
	rec, _, err := t.p.read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return 0, nil, io.EOF
		}
		var se *csvSyntaxError
		if errors.As(err, &se) {
			return 0, nil, fileErr(t.path, err, "is not valid CSV: %v", se)
		}
		return 0, nil, fileErr(t.path, err, "cannot read: %v", err)
	}
	for i, c := range rec {
		if len(c) > 2 && c[0] == '=' {
			rec[i] = excelText(c) // ="00123": what Excel shows, 00123
		}
	}
	t.row++
	if t.onRecord != nil {
		t.onRecord(t.row, rec)
	}
	return t.row, rec, nil
}

func (t *csvTable) Header() []string { return t.header }

func (t *csvTable) HeaderLine() int { return t.hline }

func (t *csvTable) Next() (int, []string, error) {
	for t.pos >= len(t.cur) {
		if t.closed {
			return 0, nil, io.EOF
		}
		var err error
		if t.cur, err = t.ahead.Batch(); err != nil {
			return 0, nil, err
		}
		t.pos = 0
	}
	r := t.cur[t.pos]
	t.pos++
	return r.line, r.cells, nil
}

func (t *csvTable) Encoding() string { return t.enc }

func (t *csvTable) Delimiter() rune { return t.delim }

// Close stops the parsing goroutine and closes the file.
func (t *csvTable) Close() error {
	if t.closed {
		return nil
	}
	t.closed = true
	if t.ahead != nil {
		t.ahead.Stop()
	}
	return t.f.Close()
}

// DecodeText decodes a small text file (a mapping file, say) as a CSV file is decoded: a BOM
// (UTF-8 or UTF-16) decides; else UTF-8, or GBK/GB18030 when the bytes are not UTF-8 (or read
// far better as GBK). It returns the text as UTF-8 and the encoding it was read in.
func DecodeText(data []byte) ([]byte, string, error) {
	switch {
	case bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")):
		return data[3:], EncUTF8BOM, nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		order, enc := unicode.LittleEndian, EncUTF16LE
		if data[0] == 0xFE {
			order, enc = unicode.BigEndian, EncUTF16BE
		}
		out, err := unicode.UTF16(order, unicode.IgnoreBOM).NewDecoder().Bytes(data[2:])
		return out, enc, err
	}
	enc, _, err := detectEncoding(data, true)
	if err != nil {
		return nil, "", err
	}
	switch enc {
	case EncGBK, EncGB18030:
		out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		return out, enc, err
	}
	return data, enc, nil
}
