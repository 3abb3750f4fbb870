package reports

import (
	"fmt"
	"strconv"
	"strings"
	"svbatch"

	"github.com/xuri/excelize/v2"
)

// TemplateColumn is one column of the ready-to-fill template.
type TemplateColumn struct {
	Header   string   // the header cell
	Text     bool     // format the column as Text (ids, mobile) so Excel keeps every digit
	Amount   bool     // a whole number > 0 (change_value in fen): validated, with an input hint
	Choices  []string // a drop-down list
	Hint     string   // the input message shown when a cell of the column is selected
	Example  string   // the example row's value
	Width    float64
	Required string // for the Instructions sheet: "yes", "no", or a condition
	About    string // for the Instructions sheet
}

// Template is the whole template workbook.
type Template struct {
	Sheet        string // the data sheet's name
	Columns      []TemplateColumn
	Instructions []string // paragraphs above the column table on the Instructions sheet
	Labels       [4]string
	// Lang names the Example and Instructions sheets (示例, 填写说明 in Chinese).
	Lang svbatch.Lang
}

// templateRows is how far down the formats, lists and hints reach.
const templateRows = 100000

// WriteTemplate writes the template workbook: the data sheet with headers, Text-formatted id
// columns, drop-downs, an input hint on the amount, an example row; and an Instructions sheet.
func WriteTemplate(path string, t Template) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	b := newBook(f)
	wrap := func(e error) error { return fmt.Errorf("template: %w", e) }
	sheet := t.Sheet
	if sheet == "" {
		sheet = "Operations"
	}
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return wrap(err)
	}
	textStyle, err := f.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		return wrap(err)
	}
	headStyle, err := f.NewStyle(&excelize.Style{NumFmt: 49, Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return wrap(err)
	}
	exampleStyle, err := f.NewStyle(&excelize.Style{NumFmt: 49, Font: &excelize.Font{Italic: true, Color: "595959"}})
	if err != nil {
		return wrap(err)
	}
	exampleNum, err := f.NewStyle(&excelize.Style{NumFmt: 1, Font: &excelize.Font{Italic: true, Color: "595959"}})
	if err != nil {
		return wrap(err)
	}
	for i, c := range t.Columns {
		col, _ := excelize.ColumnNumberToName(i + 1)
		head := col + "1"
		if err := f.SetCellStr(sheet, head, c.Header); err != nil {
			return wrap(err)
		}
		w := c.Width
		if w == 0 {
			w = 18
		}
		if err := f.SetColWidth(sheet, col, col, w); err != nil {
			return wrap(err)
		}
		if c.Text {
			if err := f.SetColStyle(sheet, col, textStyle); err != nil {
				return wrap(err)
			}
		}
		if err := f.SetCellStyle(sheet, head, head, headStyle); err != nil {
			return wrap(err)
		}
		rng := fmt.Sprintf("%s2:%s%d", col, col, templateRows)
		if len(c.Choices) > 0 {
			dv := excelize.NewDataValidation(true)
			dv.Sqref = rng
			if err := dv.SetDropList(c.Choices); err != nil {
				return wrap(err)
			}
			if c.Hint != "" {
				dv.SetInput(c.Header, c.Hint)
			}
			if err := f.AddDataValidation(sheet, dv); err != nil {
				return wrap(err)
			}
		} else if c.Amount {
			dv := excelize.NewDataValidation(true)
			dv.Sqref = rng
			if err := dv.SetRange(1, strconv.FormatInt(svbatch.MaxChangeValue, 10), excelize.DataValidationTypeWhole, excelize.DataValidationOperatorBetween); err != nil {
				return wrap(err)
			}
			dv.SetInput(c.Header, c.Hint)
			dv.SetError(excelize.DataValidationErrorStyleStop, c.Header, c.Hint)
			if err := f.AddDataValidation(sheet, dv); err != nil {
				return wrap(err)
			}
		} else if c.Hint != "" {
			dv := excelize.NewDataValidation(true)
			dv.Sqref = rng
			dv.SetInput(c.Header, c.Hint)
			if err := f.AddDataValidation(sheet, dv); err != nil {
				return wrap(err)
			}
		}
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return wrap(err)
	}
	if err := b.finishSheet(sheet, true, 1); err != nil {
		return wrap(err)
	}
	if err := writeExample(f, t, headStyle, exampleStyle, exampleNum); err != nil {
		return wrap(err)
	}
	if err := b.finishSheet(exampleSheet(t.Lang), true, 1); err != nil {
		return wrap(err)
	}
	if err := writeInstructions(f, t, headStyle); err != nil {
		return wrap(err)
	}
	if err := b.finishSheet(instructionsSheet(t.Lang), false, 0); err != nil {
		return wrap(err)
	}
	return wrap0(saveBook(b, path))
}

// exampleSheet and instructionsSheet are the template's other sheets' names in language l.
func exampleSheet(l svbatch.Lang) string      { return pick(l, ExampleSheet, "示例") }
func instructionsSheet(l svbatch.Lang) string { return pick(l, "Instructions", "填写说明") }

// textWidth is the width of s in Excel's character units: CJK characters count double.
func textWidth(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x2E80 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// wrappedHeight is a row height (points) that shows s wrapped in a column width characters wide.
func wrappedHeight(s string, width float64) float64 {
	lines := 0
	for _, para := range strings.Split(s, "\n") {
		lines += max(1, int(float64(textWidth(para))/(width-2))+1)
	}
	return float64(lines) * 15.5
}

// ExampleSheet is the template's sheet with one filled-in example row: a sheet of its own, so the
// example is never read as an operation when the data sheet is filled in below it.
const ExampleSheet = "Example"

// writeExample writes the header and the example row on ExampleSheet.
func writeExample(f *excelize.File, t Template, headStyle, textStyle, numStyle int) error {
	name := exampleSheet(t.Lang)
	if _, err := f.NewSheet(name); err != nil {
		return err
	}
	for i, c := range t.Columns {
		col, err := excelize.ColumnNumberToName(i + 1)
		if err != nil {
			return err
		}
		if err := f.SetCellStr(name, col+"1", c.Header); err != nil {
			return err
		}
		if err := f.SetCellStyle(name, col+"1", col+"1", headStyle); err != nil {
			return err
		}
		if c.Width > 0 {
			if err := f.SetColWidth(name, col, col, c.Width); err != nil {
				return err
			}
		}
		if c.Example == "" {
			continue
		}
		cell := col + "2"
		if c.Amount {
			if n, err := strconv.ParseInt(c.Example, 10, 64); err == nil {
				if err := f.SetCellInt(name, cell, n); err != nil {
					return err
				}
				if err := f.SetCellStyle(name, cell, cell, numStyle); err != nil {
					return err
				}
				continue
			}
		}
		if err := f.SetCellStr(name, cell, c.Example); err != nil {
			return err
		}
		if err := f.SetCellStyle(name, cell, cell, textStyle); err != nil {
			return err
		}
	}
	return nil
}

func wrap0(err error) error {
	if err != nil {
		return fmt.Errorf("template: %w", err)
	}
	return nil
}

// writeInstructions adds the Instructions sheet: the paragraphs, wrapped across the sheet's width,
// then one line per column with its text wrapped.
func writeInstructions(f *excelize.File, t Template, head int) error {
	sh := instructionsSheet(t.Lang)
	if _, err := f.NewSheet(sh); err != nil {
		return err
	}
	widths := []float64{22, 26, 80, 24}
	wrapStyle, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	total := 0.0
	for _, w := range widths {
		total += w
	}
	r := 1
	for _, p := range t.Instructions {
		a, d := fmt.Sprintf("A%d", r), fmt.Sprintf("D%d", r)
		if err := f.SetCellStr(sh, a, p); err != nil {
			return err
		}
		if err := f.MergeCell(sh, a, d); err != nil {
			return err
		}
		if err := f.SetCellStyle(sh, a, d, wrapStyle); err != nil {
			return err
		}
		if err := f.SetRowHeight(sh, r, wrappedHeight(p, total)); err != nil {
			return err
		}
		r++
	}
	r++
	labels := t.Labels
	if labels[0] == "" {
		labels = [4]string{"column", "required", "what to enter", "example"}
	}
	for i, l := range labels {
		cell, _ := excelize.CoordinatesToCellName(i+1, r)
		if err := f.SetCellStr(sh, cell, l); err != nil {
			return err
		}
		if err := f.SetCellStyle(sh, cell, cell, head); err != nil {
			return err
		}
	}
	for _, c := range t.Columns {
		r++
		height := 15.5
		for i, v := range []string{c.Header, c.Required, c.About, c.Example} {
			cell, _ := excelize.CoordinatesToCellName(i+1, r)
			if err := f.SetCellStr(sh, cell, v); err != nil {
				return err
			}
			if err := f.SetCellStyle(sh, cell, cell, wrapStyle); err != nil {
				return err
			}
			height = max(height, wrappedHeight(v, widths[i]))
		}
		if err := f.SetRowHeight(sh, r, height); err != nil {
			return err
		}
	}
	for i, w := range widths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(sh, col, col, w); err != nil {
			return err
		}
	}
	return nil
}
