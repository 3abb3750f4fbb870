// Package table reads a CSV or XLSX file as rows of text cells, as a person sees them in Excel,
// or refuses it with one line saying why and what to do:
//
//   - it sniffs the kind of file (and names the ones it does not read: .xls, .xlsb, .ods, HTML or
//     SpreadsheetML saved as .xls, Excel's lock file);
//   - CSV: UTF-8 (BOM or not), GBK/GB18030 (scored against UTF-8 when the bytes are both), UTF-16
//     with a BOM; the delimiter, a sep= line, CR-only line ends; quotes as RFC 4180 reads them
//     (a malformed quote refuses the file naming its line, never merges rows); ="00123" as 00123;
//   - XLSX: its own streaming reader (exact numbers, number formats as Excel shows them, dates,
//     formulas without a current value, _xHHHH_ escapes), every part and cell capped;
//   - the header is found below title rows (Options.HeaderRow to choose it; HeaderLine says which);
//   - what a cell shows beyond its text is a Note, what the file shows beyond its cells a Warning
//     (hidden rows and columns, a lock file, a close call of encodings).
//
// It knows nothing of operations: batch and reconcile read their files through it.
package table

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Options selects how a file is read.
type Options struct {
	Sheet     string // XLSX: sheet name or 1-based index; "" = first visible sheet
	Encoding  string // CSV: "auto" (or "") | "utf-8" | "gbk" | "gb18030" | "utf-16le" | "utf-16be" (a BOM decides UTF-16)
	Delimiter rune   // CSV: 0 = auto-detect among ',' ';' '\t'
	HeaderRow int    // the row of the header as the sheet numbers it (--header-row); 0 = find it
	// HeaderScore says how much a row looks like the header: how many of its cells are column
	// names the caller knows. The header is the best of the first rows; without HeaderScore,
	// the first with two or more values (above it: a title, a date line). For XLSX, a first
	// sheet where no row scores while another sheet has a header is refused, naming the sheets.
	HeaderScore func(cells []string) int
}

// Table streams a CSV or XLSX file's rows as text, without holding the file in memory.
// A Table is not safe for concurrent use.
type Table interface {
	Header() []string                            // the header row as read, trimmed, BOM stripped (see HeaderLine)
	Next() (line int, cells []string, err error) // the rows below the header; io.EOF at the end; line = row number as the user sees it; skips empty rows
	Encoding() string                            // what was read: "utf-8", "utf-8-bom", "gbk", "gb18030", "utf-16le", "utf-16be", or "xlsx"
	Close() error
}

// Noted is implemented by tables that know more about a cell than its text (XLSX):
// Notes returns the notes of the row last returned by Next, indexed by column (nil: none).
type Noted interface {
	Notes() []Note
}

// NoteTexts returns, for the row last returned by Next, the text that goes with each noted cell
// (indexed by column, "" where there is none): what Excel shows when the cell's text is the
// value it holds, or the value it holds when the text is what Excel shows. nil when no cell has one.
func NoteTexts(t Table) []string {
	if n, ok := t.(interface{ NoteTexts() []string }); ok {
		return n.NoteTexts()
	}
	return nil
}

// Delimiter is the delimiter a CSV table is read with (given, from a sep= line, or detected); 0
// for other tables.
func Delimiter(t Table) rune {
	if d, ok := t.(interface{ Delimiter() rune }); ok {
		return d.Delimiter()
	}
	return 0
}

// SheetName is the name of the sheet an XLSX table reads; "" for other tables.
func SheetName(t Table) string {
	if s, ok := t.(interface{ SheetName() string }); ok {
		return s.SheetName()
	}
	return ""
}

// RowHint estimates how many rows t has (0 if unknown), for sizing tables before reading.
func RowHint(t Table) int {
	if h, ok := t.(interface{ RowHint() int }); ok {
		return h.RowHint()
	}
	return 0
}

// FileError is an input file that cannot be read at all: not CSV or XLSX, encrypted, corrupt,
// binary or empty. Its message is one line meant for a person.
type FileError struct {
	Path   string
	Reason string
	Err    error // the underlying error, if any
}

func (e *FileError) Error() string { return e.Path + ": " + e.Reason }

func (e *FileError) Unwrap() error { return e.Err }

// partError is a reason a part of a file cannot be read (a cell too large, a dangling reference),
// said so that it can follow the file's name.
type partError struct{ msg string }

func (e *partError) Error() string { return e.msg }

func fileErr(path string, err error, format string, a ...any) *FileError {
	return &FileError{Path: path, Reason: fmt.Sprintf(format, a...), Err: err}
}

// Kinds of input, told apart by content first, then by extension.
const (
	kindCSV  = "csv"
	kindXLSX = "xlsx"
)

var (
	magicZip = []byte("PK\x03\x04")
	magicCFB = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// sniff decides how to read path from its first bytes, or says why it cannot be read.
func sniff(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fileErr(path, err, "cannot open: %v", UnwrapPathErr(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fileErr(path, err, "cannot read: %v", UnwrapPathErr(err))
	}
	if st.IsDir() {
		return "", fileErr(path, nil, "is a directory, not a CSV or XLSX file")
	}
	head := make([]byte, 8192)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", fileErr(path, err, "cannot read: %v", err)
	}
	head = head[:n]
	ext := strings.ToLower(filepath.Ext(path))
	switch {
	case strings.HasPrefix(filepath.Base(path), "~$") && st.Size() < 4096 && !bytes.HasPrefix(head, magicZip):
		return "", fileErr(path, nil, "is Excel's lock file for %s (Excel keeps it while that workbook is open), not a workbook: open %s itself", strings.TrimPrefix(filepath.Base(path), "~$"), strings.TrimPrefix(filepath.Base(path), "~$"))
	case len(bytes.TrimSpace(bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF")))) == 0:
		return "", fileErr(path, nil, "is empty: expected a header row and operations")
	case bytes.HasPrefix(head, magicZip):
		return kindXLSX, nil
	case bytes.HasPrefix(head, magicCFB):
		return "", cfbError(path, f, ext)
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE, 0, 0}) || bytes.HasPrefix(head, []byte{0, 0, 0xFE, 0xFF}):
		return "", fileErr(path, nil, "is UTF-32 text: save it as \"CSV UTF-8\" (or Unicode Text) and try again")
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return kindCSV, nil // UTF-16 with a byte-order mark: Excel's "Unicode Text"
	case isHTML(head):
		return "", fileErr(path, nil, "is a web page (HTML) saved with a %s name, as many web back-ends export tables, not a workbook: open it in Excel or WPS and save it as .xlsx (or as CSV UTF-8), then try again", extName(ext))
	case isSpreadsheetML(head):
		return "", fileErr(path, nil, "is an Excel 2003 XML spreadsheet (SpreadsheetML), not an .xlsx workbook: open it in Excel, WPS or LibreOffice and save it as .xlsx (or as CSV UTF-8), then try again")
	case ext == ".xlsx" || ext == ".xlsm" || ext == ".xls":
		return "", fileErr(path, nil, "is not a valid XLSX workbook (not a zip archive): it may be corrupt or renamed")
	case looksUTF16(head):
		return "", fileErr(path, nil, "is UTF-16 text without a byte-order mark: save it as \"CSV UTF-8\", or pass --encoding utf-16le")
	case looksBinary(head):
		return "", fileErr(path, nil, "is a binary file, not CSV text or an XLSX workbook")
	}
	return kindCSV, nil
}

// extName is an extension for a message: ".xls", or "spreadsheet" when there is none.
func extName(ext string) string {
	if ext == "" {
		return "spreadsheet"
	}
	return ext
}

// isHTML reports whether head is an HTML page (a <table> saved as .xls by a web back-end).
func isHTML(head []byte) bool {
	h := bytes.ToLower(bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF")), " \t\r\n"))
	for _, p := range []string{"<!doctype html", "<html", "<table", "<head", "<meta", "<body"} {
		if bytes.HasPrefix(h, []byte(p)) {
			return true
		}
	}
	return bytes.HasPrefix(h, []byte("<")) && bytes.Contains(h[:min(len(h), 2048)], []byte("<html"))
}

// isSpreadsheetML reports whether head is an Excel 2003 XML workbook.
func isSpreadsheetML(head []byte) bool {
	h := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF")), " \t\r\n")
	return bytes.HasPrefix(h, []byte("<?xml")) && (bytes.Contains(h, []byte(`progid="Excel.Sheet"`)) ||
		bytes.Contains(h, []byte("urn:schemas-microsoft-com:office:spreadsheet")))
}

// cfbError says what a Compound File (OLE2) is: an old .xls workbook (its directory names a
// "Workbook" or "Book" stream) or a password-protected .xlsx (an "EncryptionInfo" stream);
// the names are looked for in the file's first megabytes, where the directory is.
func cfbError(path string, f *os.File, ext string) error {
	buf := make([]byte, 8<<20)
	n, _ := io.ReadFull(io.NewSectionReader(f, 0, int64(len(buf))), buf)
	buf = buf[:n]
	utf16 := func(s string) []byte {
		b := make([]byte, 0, 2*len(s))
		for _, c := range []byte(s) {
			b = append(b, c, 0)
		}
		return b
	}
	switch {
	case bytes.Contains(buf, utf16("EncryptionInfo")) || bytes.Contains(buf, utf16("EncryptedPackage")):
		return fileErr(path, nil, "is an encrypted (password-protected) workbook: open it in Excel or WPS, remove the password and save it as .xlsx, then try again")
	case bytes.Contains(buf, utf16("Workbook")) || bytes.Contains(buf, utf16("Book")):
		return fileErr(path, nil, "is an old Excel 97-2003 workbook (.xls), which svbatch does not read: open it in Excel, WPS or LibreOffice and save it as .xlsx (or as CSV UTF-8), then try again")
	case ext == ".xls":
		return fileErr(path, nil, "is an old .xls workbook, which svbatch does not read: save it as .xlsx in Excel or WPS (or as CSV UTF-8) and try again")
	}
	return fileErr(path, nil, "is an encrypted (password-protected) workbook or an old .xls file: save it as an unprotected .xlsx or as CSV")
}

// looksUTF16 reports whether head looks like UTF-16LE text without a BOM: mostly ASCII with a
// NUL after every character.
func looksUTF16(head []byte) bool {
	n := min(len(head), 512) &^ 1
	if n < 8 {
		return false
	}
	zeros := 0
	for i := 1; i < n; i += 2 {
		if head[i] == 0 && head[i-1] != 0 {
			zeros++
		}
	}
	return zeros*10 >= n/2*9
}

// looksBinary reports whether head has NUL bytes or mostly non-text control bytes.
func looksBinary(head []byte) bool {
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	ctl := 0
	for _, c := range head {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != 0x1a {
			ctl++
		}
	}
	return ctl*20 > len(head)
}

// UnwrapPathErr is the reason of an *os.PathError without the operation and path (messages name
// the file themselves), or err.
func UnwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Open opens a CSV or XLSX file as a Table. The kind is chosen from the content (a zip is
// XLSX, text is CSV), and an unreadable file is a *FileError with one clear line.
func Open(path string, opt Options) (Table, error) {
	kind, err := sniff(path)
	if err != nil {
		return nil, err
	}
	var t Table
	switch kind {
	case kindXLSX:
		t, err = openXLSX(path, opt)
	default:
		t, err = openCSV(path, opt)
	}
	if err != nil {
		return nil, err
	}
	if w := lockFileWarning(path); w != nil {
		t.(interface{ addWarning(Warning) }).addWarning(*w)
	}
	return t, nil
}

// cleanHeader trims the header cells and strips a BOM from them.
func cleanHeader(h []string) []string {
	out := make([]string, len(h))
	for i, s := range h {
		s = strings.TrimPrefix(s, "\uFEFF")
		out[i] = strings.TrimSpace(s)
	}
	return out
}

// EmptyRow reports whether every cell is blank.
func EmptyRow(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// validUTF8 reports whether b is valid UTF-8, allowing a rune cut at the end of b.
func validUTF8(b []byte) bool {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			if !utf8.FullRune(b) {
				return true
			}
			return false
		}
		b = b[size:]
	}
	return true
}

// FileSHA256 returns the hex SHA-256 of a file's bytes.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("checksum %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
