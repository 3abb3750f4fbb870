package table

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Warning is something about a file that a careful reader wants to know but that does not make
// it unreadable: hidden rows that will be sent anyway, hidden columns with data, a lock file that
// says the workbook is open in Excel, an encoding that was a close call. Message is one line for
// a person; the other fields say the same for programs (JSON).
type Warning struct {
	Kind    string   `json:"kind"` // WarnHiddenRows, WarnHiddenColumns, WarnLockFile, WarnEncoding
	Message string   `json:"message"`
	Rows    []int    `json:"rows,omitempty"`    // hidden rows, as the sheet numbers them
	Columns []string `json:"columns,omitempty"` // hidden columns with data: their header text
	Letters []string `json:"letters,omitempty"` // … and their letters
	File    string   `json:"file,omitempty"`    // lock file: its name
	User    string   `json:"user,omitempty"`    // lock file: who has the workbook open
}

// Kinds of Warning.
const (
	WarnHiddenRows    = "hidden-rows"
	WarnHiddenColumns = "hidden-columns"
	WarnLockFile      = "lock-file"
	WarnEncoding      = "encoding-ambiguous"
)

// Warnings returns what t has to say about the file beyond its cells. Some warnings are known when
// the file is opened, others (hidden rows) once it has been read: call it after Next returned
// io.EOF to have them all. nil for tables that have none.
func Warnings(t Table) []Warning {
	if w, ok := t.(interface{ Warnings() []Warning }); ok {
		return w.Warnings()
	}
	return nil
}

// HeaderLine is the row number (as the sheet numbers it) of t's header row: 1 unless rows above
// it (a title, a date line, empty rows) were skipped, or the caller chose the row.
func HeaderLine(t Table) int {
	if h, ok := t.(interface{ HeaderLine() int }); ok {
		return h.HeaderLine()
	}
	return 1
}

// rowList is rows for a message: "4, 9", or the first ten and how many in all.
func rowList(rows []int, total int) string {
	var b strings.Builder
	for i, r := range rows {
		if i == 10 {
			fmt.Fprintf(&b, ", … (%d in all)", total)
			return b.String()
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(r))
	}
	if total > len(rows) {
		fmt.Fprintf(&b, ", … (%d in all)", total)
	}
	return b.String()
}

// Warnings of an XLSX sheet: hidden rows with data (Next has returned them: they will be sent)
// and hidden columns with data, besides those found when it was opened.
func (t *xlsxTable) Warnings() []Warning {
	out := append([]Warning(nil), t.warnings...)
	if t.nHidden > 0 {
		what, verb := "rows", "are"
		if t.nHidden == 1 {
			what, verb = "row", "is"
		}
		out = append(out, Warning{Kind: WarnHiddenRows, Rows: slices.Clone(t.hiddenRows), Message: fmt.Sprintf(
			"%s %s %s hidden in the sheet and will be sent (hidden by hand or by a filter): unhide them to check them, or delete the rows that must not be sent",
			what, rowList(t.hiddenRows, t.nHidden), verb)})
	}
	if len(t.hidData) > 0 {
		cols := make([]int, 0, len(t.hidData))
		for c := range t.hidData {
			cols = append(cols, c)
		}
		slices.Sort(cols)
		w := Warning{Kind: WarnHiddenColumns}
		var named []string
		for _, c := range cols {
			name := ""
			if c < len(t.header) {
				name = t.header[c]
			}
			w.Columns = append(w.Columns, name)
			w.Letters = append(w.Letters, columnName(c))
			if name == "" {
				named = append(named, columnName(c))
			} else {
				named = append(named, fmt.Sprintf("%s (%s)", columnName(c), name))
			}
		}
		what, verb := "columns", "are hidden and hold data"
		if len(cols) == 1 {
			what, verb = "column", "is hidden and holds data"
		}
		w.Message = fmt.Sprintf("%s %s %s: it is read like any other column; unhide it to check it", what, strings.Join(named, ", "), verb)
		out = append(out, w)
	}
	return out
}

func (t *xlsxTable) addWarning(w Warning) { t.warnings = append(t.warnings, w) }

func (t *csvTable) addWarning(w Warning) { t.warnings = append(t.warnings, w) }

// lockFileWarning is the warning for Excel's lock file beside path (~$name.xlsx: Excel keeps it
// while the workbook is open), naming who has it open; nil when there is none.
func lockFileWarning(path string) *Warning {
	name := "~$" + filepath.Base(path)
	lock := filepath.Join(filepath.Dir(path), name)
	st, err := os.Stat(lock)
	if err != nil || st.IsDir() || st.Size() > 4096 {
		return nil
	}
	data, err := os.ReadFile(lock)
	if err != nil {
		return nil
	}
	user := lockFileUser(data)
	by := ""
	if user != "" {
		by = " by " + user
	}
	return &Warning{Kind: WarnLockFile, File: name, User: user, Message: fmt.Sprintf(
		"%s beside it says the file is open in Excel%s; unsaved changes are not in it: save and close it in Excel first if it was being edited", name, by)}
}

// lockFileUser reads the user name in an Excel lock file: a length byte and the name in the
// system's code page, padded to 54 bytes, then a 2-byte length and the name in UTF-16LE.
func lockFileUser(b []byte) string {
	if len(b) >= 56 {
		n := int(b[54]) | int(b[55])<<8
		if n > 0 && 56+2*n <= len(b) {
			u := make([]uint16, n)
			for i := range u {
				u[i] = uint16(b[56+2*i]) | uint16(b[57+2*i])<<8
			}
			if s := strings.TrimSpace(string(utf16.Decode(u))); s != "" && utf8.ValidString(s) {
				return s
			}
		}
	}
	if len(b) >= 1 {
		if n := int(b[0]); n > 0 && 1+n <= len(b) {
			if s := strings.TrimSpace(string(b[1 : 1+n])); utf8.ValidString(s) {
				return s
			}
		}
	}
	return ""
}
