// Package table reads a CSV or XLSX file as rows of text cells, as a person sees them in Excel:
// it sniffs the kind of file, detects encodings and delimiters, streams the sheet XML with its own
// reader (exact numbers, number formats, dates, formulas) and says what a cell shows beyond its
// text (a Note). It knows nothing of operations: batch and reconcile read their files through it.
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
	Encoding  string // CSV: "auto" (or "") | "utf-8" | "gbk" | "gb18030"
	Delimiter rune   // CSV: 0 = auto-detect among ',' ';' '\t'
	HeaderRow int    // the row of the header as the sheet numbers it (--header-row); 0 = find it
}

// Table streams a CSV or XLSX file's rows as text, without holding the file in memory.
// A Table is not safe for concurrent use.
type Table interface {
	Header() []string                            // row 1 as read, trimmed, BOM stripped
	Next() (line int, cells []string, err error) // io.EOF at the end; line = row number as the user sees it (header = 1); skips empty rows
	Encoding() string                            // what was read: "utf-8", "utf-8-bom", "gbk", "gb18030", or "xlsx"
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
	case len(bytes.TrimSpace(bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF")))) == 0:
		return "", fileErr(path, nil, "is empty: expected a header row and operations")
	case bytes.HasPrefix(head, magicZip):
		return kindXLSX, nil
	case bytes.HasPrefix(head, magicCFB):
		if ext == ".xls" {
			return "", fileErr(path, nil, "is a legacy .xls workbook: save it as .xlsx or CSV and try again")
		}
		return "", fileErr(path, nil, "is an encrypted (password-protected) workbook or a legacy .xls file: save it as an unprotected .xlsx or as CSV")
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return "", fileErr(path, nil, "is UTF-16 text: save it as \"CSV UTF-8\" (or GBK) and try again")
	case ext == ".xlsx" || ext == ".xlsm" || ext == ".xls":
		return "", fileErr(path, nil, "is not a valid XLSX workbook (not a zip archive): it may be corrupt or renamed")
	case looksBinary(head):
		return "", fileErr(path, nil, "is a binary file, not CSV text or an XLSX workbook")
	}
	return kindCSV, nil
}

// looksBinary reports whether head has NUL bytes or mostly non-text control bytes.
func looksBinary(head []byte) bool {
	if bytes.IndexByte(head, 0) >= 0 {
		// UTF-16 text has NULs too; svbatch does not read it, and it is a better message to say so.
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
	switch kind {
	case kindXLSX:
		return openXLSX(path, opt)
	default:
		return openCSV(path, opt)
	}
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
