package batch

import (
	"errors"
	"io"
	"sort"
)

// MaxProblems caps how many problems a Report keeps in memory; past it they are only counted
// (Report.ErrorsTotal). Ten thousand is far more than anyone reads, and keeps memory bounded.
var MaxProblems = 10000

// Report is the result of validating a whole file.
type Report struct {
	File     string `json:"file"`
	Encoding string `json:"encoding"`
	// HeaderRow is the row of the header as the sheet numbers it: 1, or below a title, a date
	// line and empty rows (or what --header-row chose).
	HeaderRow int       `json:"header_row"`
	Rows      int       `json:"rows"`
	Valid     int       `json:"valid"`
	Errors    []Problem `json:"errors"`
	// Warnings are what a careful reader wants to know but that does not make a row invalid
	// (hidden rows that will be sent, a lock file: the workbook is open in Excel): they change
	// neither OK nor the exit code.
	Warnings []Warning `json:"warnings"`
	// ErrorsTotal is the number of problems found when it exceeds len(Errors) (MaxProblems).
	ErrorsTotal int `json:"errors_total,omitempty"`
}

// OK reports whether every row is valid and the header is usable.
func (r *Report) OK() bool { return len(r.Errors) == 0 && r.ErrorsTotal == 0 }

// Validate reads the whole file and reports every problem, sorted by row and column, including
// duplicates across the file (both rows named). A header that cannot be used gives a Report with
// the header problems (and no rows); an unreadable file is an error (*table.FileError).
func Validate(path string, opt Options) (*Report, error) {
	return validateFile(path, opt, true, nil)
}

// ValidateRows is Validate that also shows the rows, in file order and with their request_ids, to
// the function that visit returns (nil: none); visit is told first how the file is read (the
// Reader before its first row). A caller that plans the file (totals, what a journal holds of it)
// then reads it once, not once to validate and once more to plan. Rows are shown until the first
// problem is found: what was shown stands only for a Report that is OK. An error of visit or of
// the function it returned ends the reading and is returned as it is.
func ValidateRows(path string, opt Options, visit func(*Reader) (func(Row) error, error)) (*Report, error) {
	return validateFile(path, opt, visit == nil, visit)
}

// validateFile is Validate; checkOnly=false keys the duplicate check by request_id v1 (SHA-256),
// as a Reader does for its rows, which tests compare with the faster key. visit: ValidateRows.
func validateFile(path string, opt Options, checkOnly bool, visit func(*Reader) (func(Row) error, error)) (*Report, error) {
	rep := &Report{File: path, Errors: []Problem{}, Warnings: []Warning{}}
	r, err := Open(path, opt)
	if err != nil {
		var he *HeaderError
		if errors.As(err, &he) {
			rep.Encoding, rep.HeaderRow = he.Encoding, he.HeaderRow
			rep.Warnings = append(rep.Warnings, he.Warnings...)
			rep.Errors = append(rep.Errors, he.Problems...)
			return rep, nil
		}
		return nil, err
	}
	defer r.Close()
	r.checkOnly = checkOnly
	rep.Encoding, rep.HeaderRow = r.Encoding(), r.HeaderLine()
	var each func(Row) error
	if visit != nil {
		if each, err = visit(r); err != nil {
			return nil, err
		}
	}
	total := 0
	add := func(p Problem) {
		total++
		if len(rep.Errors) < MaxProblems {
			rep.Errors = append(rep.Errors, p)
		}
	}
	// uncounted marks the first rows of duplicates already taken off Valid: a row with both an
	// identity and a request_id can be the first of two duplicates, one of each kind, and must
	// be taken off once. One bit a row.
	var uncounted []uint64
	r.onDup = func(firstValid bool, back Problem) {
		if w, bit := back.Row/64, uint64(1)<<(back.Row%64); firstValid && (w >= len(uncounted) || uncounted[w]&bit == 0) {
			rep.Valid--
			if w >= len(uncounted) {
				uncounted = append(uncounted, make([]uint64, w+1-len(uncounted))...)
			}
			uncounted[w] |= bit
		}
		add(back)
	}
	for {
		row, problems, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		rep.Rows++
		if len(problems) == 0 {
			rep.Valid++
		}
		if each != nil && total == 0 && len(problems) == 0 {
			if err := each(row); err != nil {
				return nil, err
			}
		}
		for _, p := range problems {
			add(p)
		}
	}
	if rep.Rows == 0 && total == 0 {
		add(Problem{Row: rep.HeaderRow + 1, Col: -1, Message: "no operations: the file has a header row but no data rows"})
	}
	rep.Warnings = append(rep.Warnings, r.Warnings()...)
	sort.SliceStable(rep.Errors, func(i, j int) bool {
		a, b := rep.Errors[i], rep.Errors[j]
		if a.Row != b.Row {
			return a.Row < b.Row
		}
		return colOrder(a.Col) < colOrder(b.Col)
	})
	if total > len(rep.Errors) {
		rep.ErrorsTotal = total
	}
	return rep, nil
}

// colOrder puts problems that are not in a cell after those that are.
func colOrder(c int) int {
	if c < 0 {
		return 1 << 30
	}
	return c
}
