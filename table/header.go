package table

import (
	"fmt"
	"strings"
)

// headerScanRows is how many non-empty rows are looked at for the header, as the best importers
// do: a finance sheet often has a title, a date line and an empty row above it.
const headerScanRows = 10

// minHeaderScore is how many known column names a row needs to be taken as the header over the
// first row with two values: one could be a value that happens to be a column's name.
const minHeaderScore = 2

// rowSource returns the next row that Next would return (non-empty, or with a note); ok is false
// at the end.
type rowSource func() (r sheetRow, ok bool, err error)

// headerScore is how much a row looks like a header: opt.HeaderScore (how many of its cells the
// caller knows as column names), or 0 without one.
func headerScore(opt Options, cells []string) int {
	if opt.HeaderScore == nil {
		return 0
	}
	return opt.HeaderScore(cells)
}

// nonEmpty counts the cells that are not blank.
func nonEmpty(cells []string) int {
	n := 0
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			n++
		}
	}
	return n
}

// findHeader reads rows until it has the header: the row opt.HeaderRow names, or else the best
// of the first headerScanRows non-empty rows — the one with most column names the caller knows
// (opt.HeaderScore; the first of equals; at least minHeaderScore), or else the first row with two
// or more values (a title or a date line has one), or the first row. It returns the header row,
// the rows read after it (for Next to return first) and the best score of the rows looked at. noHeader is the error for a
// sheet without any non-empty row.
func findHeader(next rowSource, opt Options, noHeader func() error) (hdr sheetRow, rest []sheetRow, score int, err error) {
	if n := opt.HeaderRow; n > 0 {
		last := 0
		for {
			r, ok, err := next()
			if err != nil {
				return sheetRow{}, nil, 0, err
			}
			if !ok {
				return sheetRow{}, nil, 0, &partError{msg: fmt.Sprintf("has no row %d (its last row with values is %d): --header-row must name the row with the column names", n, last)}
			}
			if EmptyRow(r.cells) {
				continue
			}
			last = r.line
			switch {
			case r.line < n:
				continue
			case r.line > n:
				return sheetRow{}, nil, 0, &partError{msg: fmt.Sprintf("row %d is empty: --header-row must name the row with the column names", n)}
			}
			return r, nil, headerScore(opt, r.cells), nil
		}
	}
	var buf []sheetRow
	rows := 0
	for rows < headerScanRows {
		r, ok, err := next()
		if err != nil {
			return sheetRow{}, nil, 0, err
		}
		if !ok {
			break
		}
		buf = append(buf, r)
		if !EmptyRow(r.cells) {
			rows++
		}
	}
	pick, best, wide, first := -1, 0, -1, -1
	for i, r := range buf {
		if EmptyRow(r.cells) {
			continue
		}
		if first < 0 {
			first = i
		}
		if wide < 0 && nonEmpty(r.cells) >= 2 {
			wide = i
		}
		if s := headerScore(opt, r.cells); s > best {
			pick, best = i, s
		}
	}
	switch {
	case first < 0:
		return sheetRow{}, nil, 0, noHeader()
	case pick >= 0 && best >= minHeaderScore:
	case wide >= 0:
		pick = wide
	default:
		pick = first
	}
	return buf[pick], buf[pick+1:], best, nil
}
