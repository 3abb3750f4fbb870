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
}

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
	}
	return "", fmt.Errorf("unknown encoding %q: want auto, utf-8, gbk or gb18030", s)
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
	t, err := newCSVTable(path, f, want, opt.Delimiter)
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
	return newCSVTable(name, f, want, opt.Delimiter)
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
	if bom {
		prefix = prefix[3:]
	}
	enc := want
	if enc == "" {
		enc, err = detectEncoding(prefix, whole)
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
	default:
		decoded = prefix
	}
	if !bytes.Contains(decoded, []byte{'\n'}) && bytes.Contains(decoded, []byte{'\r'}) {
		// Lines end in CR alone (an old Mac file): Excel reads each CR as a line end.
		src = crToLF{src}
		decoded = bytes.ReplaceAll(decoded, []byte{'\r'}, []byte{'\n'})
	}
	if delim == 0 {
		delim = detectDelimiter(decoded)
	}
	if delim == '"' || delim == '\r' || delim == '\n' || delim >= utf8.RuneSelf || delim < ' ' && delim != '\t' {
		return nil, fmt.Errorf("delimiter %q cannot be used: want an ASCII character such as , ; or tab", delim)
	}
	t := &csvTable{f: f, path: path, p: newCSVParser(src, byte(delim)), enc: enc, onRecord: cfg.onRecord}
	if lines := bytes.Count(prefix, []byte{'\n'}); lines > 0 {
		t.lineBytes = max(1, len(prefix)/lines)
	}
	for {
		line, cells, err := t.read()
		if errors.Is(err, io.EOF) {
			return nil, fileErr(path, nil, "has no header row: expected column names in row 1")
		}
		if err != nil {
			return nil, err
		}
		if !EmptyRow(cells) {
			t.header, t.hline = cleanHeader(cells), line
			t.p.width = len(cells)
			break
		}
	}
	t.ahead = NewAhead(csvBatchRows, csvAhead, func() (csvRecord, bool, error) {
		line, cells, err := t.read()
		return csvRecord{line, cells}, err == nil && EmptyRow(cells), err
	})
	return t, nil
}

// detectEncoding picks UTF-8 when the prefix is valid UTF-8, else GBK or GB18030 when it decodes
// cleanly as GB18030 (GBK when it uses no four-byte sequences), else gives up.
func detectEncoding(prefix []byte, whole bool) (string, error) {
	if validUTF8(prefix) {
		return EncUTF8, nil
	}
	p := cutAtLine(prefix, whole)
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(p)
	if err != nil || bytes.ContainsRune(out, '\uFFFD') {
		return "", errors.New("is neither UTF-8 nor GBK/GB18030 text: save it as \"CSV UTF-8\", or pass --encoding")
	}
	for i := 0; i+1 < len(p); i++ {
		c := p[i]
		if c < 0x80 {
			continue
		}
		if c >= 0x81 && c <= 0xFE && p[i+1] >= 0x30 && p[i+1] <= 0x39 {
			return EncGB18030, nil
		}
		i++ // a two-byte sequence
	}
	return EncGBK, nil
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
