package batch

import (
	"fmt"
	"io"
	"slices"

	"svbatch"
)

// CheckRow checks one operation given as canonical column → value (a command line's flags) by
// exactly the rules Validate applies to a file's row, so that `svbatch call` and `svbatch validate`
// always accept and refuse the same rows. It returns the row ready to send (request_id derived
// unless given), or every problem; Problem.Column is the canonical column.
func CheckRow(values map[string]string, opt Options) (Row, []Problem, error) {
	for k := range values {
		if !slices.Contains(canonicalOrder, k) {
			return Row{}, nil, fmt.Errorf("unknown column %q", k)
		}
	}
	unit, err := svbatch.ParseUnit(opt.AmountUnit)
	if err != nil {
		return Row{}, nil, err
	}
	cells := make([]string, len(canonicalOrder))
	for i, c := range canonicalOrder {
		cells[i] = values[c]
	}
	r, err := newReader("(command line)", &rowTable{header: slices.Clone(canonicalOrder), cells: cells}, opt, unit, nil)
	if err != nil {
		return Row{}, nil, err
	}
	defer r.Close()
	return r.Next()
}

// rowTable is a table.Table of one row under the canonical header.
type rowTable struct {
	header []string
	cells  []string
	done   bool
}

func (t *rowTable) Header() []string { return t.header }

func (t *rowTable) Next() (int, []string, error) {
	if t.done {
		return 0, nil, io.EOF
	}
	t.done = true
	return 2, t.cells, nil
}

func (t *rowTable) Encoding() string { return "command line" }
func (t *rowTable) Close() error     { return nil }
