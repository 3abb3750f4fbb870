package table

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
