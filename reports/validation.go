package reports

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"svbatch"
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
	// Lang is the language of the sheet names and the Errors sheet's labels ("" = the input
	// header's language, svbatch.HeaderLang).
	Lang svbatch.Lang
}

// Sheet names of the errors workbook (in Chinese 输入, 错误).
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
	lang := in.Lang
	if lang == "" {
		lang = svbatch.HeaderLang(in.Header)
	}
	input := pick(lang, SheetInput, "输入")
	if err := f.SetSheetName("Sheet1", input); err != nil {
		return fmt.Errorf("errors workbook: %w", err)
	}
	b := newBook(f)
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

	ss, err := b.newStream(input)
	if err != nil {
		return fmt.Errorf("errors workbook: %w", err)
	}
	sw := ss.sw
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
			vals[i] = v
		}
		styles := make([]int, width)
		for i := range styles {
			styles[i] = normal
		}
		msgs := map[int][]string{}
		for _, m := range marks {
			styles[m.col] = highlight
			msgs[m.col] = append(msgs[m.col], m.msg)
		}
		for i, v := range vals {
			// The cell's text exactly as read (quote-prefixed when it starts like a formula), so
			// the fixed workbook sent to svbatch run keeps every id and request_id.
			st := styles[i]
			if NeedsQuote(v.(string)) {
				var err error
				if st, err = b.quoteStyle(st); err != nil {
					return err
				}
			}
			vals[i] = excelize.Cell{StyleID: st, Value: v}
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
		return ss.setRow(line, vals)
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
	if err := ss.finish(true, 1); err != nil {
		return fmt.Errorf("errors workbook: %w", err)
	}
	if last > maxCommentedRows {
		comments = nil // AddComment would load the whole sheet: highlights and the Errors sheet suffice
	}
	for _, c := range comments {
		if err := f.AddComment(input, c); err != nil {
			return fmt.Errorf("errors workbook: comment %s: %w", c.Cell, err)
		}
	}
	if err := writeErrorsSheet(b, lang, in, head, text); err != nil {
		return fmt.Errorf("errors workbook: %w", err)
	}
	if err := saveBook(b, path); err != nil {
		return fmt.Errorf("errors workbook: %w", err)
	}
	return nil
}

func writeErrorsSheet(b *book, lang svbatch.Lang, in ValidationInput, head, text int) error {
	f := b.f
	name := pick(lang, SheetErrors, "错误")
	if _, err := f.NewSheet(name); err != nil {
		return err
	}
	ss, err := b.newStream(name)
	if err != nil {
		return err
	}
	sw := ss.sw
	for i, w := range []float64{8, 10, 20, 28, 90} {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	hdr := []any{}
	labels := []string{"row", "cell", "column", "value", "message"}
	if lang == svbatch.LangZH {
		labels = []string{"行", "单元格", "列", "值", "问题"}
	}
	for _, h := range labels {
		hdr = append(hdr, excelize.Cell{StyleID: head, Value: h})
	}
	if err := ss.setRow(1, hdr); err != nil {
		return err
	}
	r := 2
	for _, e := range in.Errors {
		ref := ""
		if e.Col >= 0 {
			ref, _ = excelize.CoordinatesToCellName(e.Col+1, e.Row)
		}
		col, err := b.text(e.Column, text)
		if err != nil {
			return err
		}
		val, err := b.text(e.Value, text)
		if err != nil {
			return err
		}
		msg, err := b.text(e.Message, wrap)
		if err != nil {
			return err
		}
		var refCell any
		if ref != "" {
			refCell = ref
		}
		if err := ss.setRow(r, []any{e.Row, refCell, col, val, msg}); err != nil {
			return err
		}
		r++
	}
	if in.ErrorsTotal > len(in.Errors) {
		msg := fmt.Sprintf("%d problems in all; the first %d are listed. Fix these and validate again.", in.ErrorsTotal, len(in.Errors))
		if lang == svbatch.LangZH {
			msg = fmt.Sprintf("共 %d 个问题，这里列出前 %d 个。请先改正这些，再重新检查。", in.ErrorsTotal, len(in.Errors))
		}
		if err := ss.setRow(r+1, []any{nil, nil, nil, nil, msg}); err != nil {
			return err
		}
	}
	return ss.finish(true, 1)
}
