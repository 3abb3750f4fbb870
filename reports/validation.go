package reports

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// CellError is one validation problem as the errors workbook shows it: the sheet row (header = 1),
// the 0-based column in the input's header (-1 when it is not one cell), the column's name, the
// value as read and the message.
type CellError struct {
	Row     int
	Col     int
	Column  string
	Value   string
	Message string
}

// ValidationInput is what the errors workbook is made of: the input's header, a function that
// streams its rows (io.EOF at the end; rows in increasing line order), the problems sorted by row,
// and how many problems there were in all (when more were found than are listed).
type ValidationInput struct {
	Source      string // the input file, for the Errors sheet's title
	Header      []string
	Next        func() (line int, cells []string, err error)
	Errors      []CellError
	ErrorsTotal int
}

// Sheet names of the errors workbook.
const (
	SheetInput  = "Input"
	SheetErrors = "Errors"
)

// MaxComments caps the cell comments of the errors workbook: each needs the sheet in memory, so a
// huge file gets its highlights and the Errors sheet, and comments on the first MaxComments cells.
var MaxComments = 5000

// maxCommentedRows: past this many rows the Input sheet gets highlights but no comments.
const maxCommentedRows = 200000

// WriteValidation writes the input back as a workbook: sheet Input with the rows at their own row
// numbers, the bad cells highlighted with a comment on each, and sheet Errors listing every problem.
// It streams the rows, so the input's size does not matter.
func WriteValidation(path string, in ValidationInput) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	if err := f.SetSheetName("Sheet1", SheetInput); err != nil {
		return fmt.Errorf("errors workbook: %w", err)
	}
	bad, err := f.NewStyle(&excelize.Style{
		Fill:   excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}},
		Font:   &excelize.Font{Color: "9C0006"},
		NumFmt: 49,
	})
	if err != nil {
		return fmt.Errorf("errors workbook: %w", err)
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}, NumFmt: 49})
	if err != nil {
		return fmt.Errorf("errors workbook: %w", err)
	}
	badHead, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "9C0006"}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}}, NumFmt: 49})
	if err != nil {
		return fmt.Errorf("errors workbook: %w", err)
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		return fmt.Errorf("errors workbook: %w", err)
	}

	// Problems by row → column → messages, consumed as the rows stream by.
	type mark struct {
		col int
		msg string
	}
	byRow := map[int][]mark{}
	for _, e := range in.Errors {
		col := e.Col
		if col < 0 {
			col = 0
		}
		byRow[e.Row] = append(byRow[e.Row], mark{col, e.Message})
	}
	var comments []excelize.Comment

	sw, err := f.NewStreamWriter(SheetInput)
	if err != nil {
		return fmt.Errorf("errors workbook: %w", err)
	}
	if n := len(in.Header); n > 0 {
		if err := sw.SetColWidth(1, n, 18); err != nil {
			return fmt.Errorf("errors workbook: %w", err)
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("errors workbook: %w", err)
	}
	writeRow := func(line int, cells []string, normal, highlight int) error {
		marks := byRow[line]
		width := len(cells)
		for _, m := range marks {
			width = max(width, m.col+1)
		}
		vals := make([]any, width)
		for i := range vals {
			v := ""
			if i < len(cells) {
				v = cells[i]
			}
			vals[i] = excelize.Cell{StyleID: normal, Value: SafeText(v)}
		}
		msgs := map[int][]string{}
		for _, m := range marks {
			vals[m.col] = excelize.Cell{StyleID: highlight, Value: vals[m.col].(excelize.Cell).Value}
			msgs[m.col] = append(msgs[m.col], m.msg)
		}
		for col, ms := range msgs {
			if len(comments) >= MaxComments {
				break
			}
			cell, _ := excelize.CoordinatesToCellName(col+1, line)
			comments = append(comments, excelize.Comment{Cell: cell, Author: "svbatch",
				Paragraph: []excelize.RichTextRun{{Text: strings.Join(ms, "\n")}}})
		}
		delete(byRow, line)
		cell, _ := excelize.CoordinatesToCellName(1, line)
		return sw.SetRow(cell, vals)
	}
	if err := writeRow(1, in.Header, head, badHead); err != nil {
		return fmt.Errorf("errors workbook: %w", err)
	}
	last := 1
	for in.Next != nil {
		line, cells, err := in.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("errors workbook: read input: %w", err)
		}
		if line <= last {
			return fmt.Errorf("errors workbook: rows out of order (%d after %d)", line, last)
		}
		if err := writeRow(line, cells, text, bad); err != nil {
			return fmt.Errorf("errors workbook: %w", err)
		}
		last = line
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("errors workbook: %w", err)
	}
	if last > maxCommentedRows {
		comments = nil // AddComment would load the whole sheet: highlights and the Errors sheet suffice
	}
	for _, c := range comments {
		if err := f.AddComment(SheetInput, c); err != nil {
			return fmt.Errorf("errors workbook: comment %s: %w", c.Cell, err)
		}
	}
	if err := writeErrorsSheet(f, in, head, text); err != nil {
		return fmt.Errorf("errors workbook: %w", err)
	}
	if err := saveWorkbook(f, path); err != nil {
		return fmt.Errorf("errors workbook: %w", err)
	}
	return nil
}

func writeErrorsSheet(f *excelize.File, in ValidationInput, head, text int) error {
	if _, err := f.NewSheet(SheetErrors); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(SheetErrors)
	if err != nil {
		return err
	}
	for i, w := range []float64{8, 10, 20, 28, 90} {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	hdr := []any{}
	for _, h := range []string{"row", "cell", "column", "value", "message"} {
		hdr = append(hdr, excelize.Cell{StyleID: head, Value: h})
	}
	if err := sw.SetRow("A1", hdr); err != nil {
		return err
	}
	r := 2
	for _, e := range in.Errors {
		ref := ""
		if e.Col >= 0 {
			ref, _ = excelize.CoordinatesToCellName(e.Col+1, e.Row)
		}
		cell, _ := excelize.CoordinatesToCellName(1, r)
		if err := sw.SetRow(cell, []any{e.Row, ref, excelize.Cell{StyleID: text, Value: SafeText(e.Column)},
			excelize.Cell{StyleID: text, Value: SafeText(e.Value)}, SafeText(e.Message)}); err != nil {
			return err
		}
		r++
	}
	if in.ErrorsTotal > len(in.Errors) {
		cell, _ := excelize.CoordinatesToCellName(1, r+1)
		msg := fmt.Sprintf("%d problems in all; the first %d are listed. Fix these and validate again.", in.ErrorsTotal, len(in.Errors))
		if err := sw.SetRow(cell, []any{"", "", "", "", msg}); err != nil {
			return err
		}
	}
	return sw.Flush()
}
