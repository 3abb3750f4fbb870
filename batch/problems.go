package batch

import (
	"fmt"
	"strings"

	"svbatch/table"
)

// Problem is one validation error, as the user must fix it: the row as the user sees it in the
// sheet (header = 1), the column as named in the file (the canonical name when it is not a column
// of the file, e.g. a constant or a missing column), the value as read, and what is wrong.
type Problem struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Value   string `json:"value"`
	Message string `json:"message"`
	// Col is the 0-based index of the column in the header, -1 when the problem is not in a cell.
	Col int `json:"-"`
}

// String is the problem as one line: "row 17, mobile: 1.86518E+10 — Excel has rounded …".
func (p Problem) String() string {
	if p.Column == "" {
		return fmt.Sprintf("row %d: %s", p.Row, p.Message)
	}
	if p.Value == "" {
		return fmt.Sprintf("row %d, %s: %s", p.Row, p.Column, p.Message)
	}
	return fmt.Sprintf("row %d, %s: %s — %s", p.Row, p.Column, p.Value, p.Message)
}

// HeaderError is a header that cannot be used (a missing required column, two columns meaning
// the same thing, a constant that is also a column). Problems are the details to print.
type HeaderError struct {
	Path      string
	Encoding  string
	HeaderRow int // the row the header was read from
	Header    []string
	Problems  []Problem
	Warnings  []Warning // what was found about the file before the header failed (a lock file)
}

// Warning is something about a file worth knowing that makes no row invalid (table.Warning).
type Warning = table.Warning

func (e *HeaderError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.String()
	}
	return e.Path + ": " + strings.Join(msgs, "; ")
}
