package reports

import (
	"fmt"
	"sort"
	"strings"

	"github.com/xuri/excelize/v2"

	"svbatch"
)

// resStatusOrder is the order statuses are listed in on the Summary sheet; others follow sorted.
var resStatusOrder = []svbatch.Status{
	svbatch.Succeeded, svbatch.Failed, svbatch.Unknown, svbatch.Skipped, svbatch.Conflict,
	svbatch.AlreadyDone, svbatch.Invalid, svbatch.Planned, svbatch.Pending, svbatch.Sending,
}

// resOpNames are the Summary columns for operate_type 1–4; index 4 collects anything else.
var resOpNames = [5]string{"charge", "freeze", "verify", "refund", "other"}

// resCell is one Summary cell of a count or an amount (fen): ovf means the int64 sum overflowed.
type resCell struct {
	v   int64
	ovf bool
}

func (c *resCell) add(n int64) {
	s, ok := svbatch.AddFen(c.v, n)
	c.v, c.ovf = s, c.ovf || !ok
}

// resLine is one status's counts and amounts per operation column.
type resLine struct {
	n   [5]resCell
	fen [5]resCell
}

// resSummary accumulates what the Summary sheet shows, row by row; it is small whatever the row count.
type resSummary struct {
	lines     map[svbatch.Status]*resLine
	otherUsed bool
	rows      int64
	retryRows int64
}

func newResSummary() resSummary {
	return resSummary{lines: make(map[svbatch.Status]*resLine)}
}

func (s *resSummary) add(r *svbatch.Result) {
	l := s.lines[r.Status]
	if l == nil {
		l = &resLine{}
		s.lines[r.Status] = l
	}
	op := 4
	if r.OperateType >= 1 && r.OperateType <= 4 {
		op = r.OperateType - 1
	} else {
		s.otherUsed = true
	}
	l.n[op].add(1)
	l.fen[op].add(r.ChangeValue)
	s.rows++
	if r.NeedsAttention() {
		s.retryRows++
	}
}

// statuses are the statuses present, in Summary order.
func (s *resSummary) statuses() []svbatch.Status {
	var out []svbatch.Status
	for _, st := range resStatusOrder {
		if s.lines[st] != nil {
			out = append(out, st)
		}
	}
	var rest []svbatch.Status
	for st := range s.lines {
		if !resKnownStatus(st) {
			rest = append(rest, st)
		}
	}
	sort.Slice(rest, func(i, j int) bool { return rest[i] < rest[j] })
	return append(out, rest...)
}

func resKnownStatus(st svbatch.Status) bool {
	for _, k := range resStatusOrder {
		if k == st {
			return true
		}
	}
	return false
}

// resSecretName reports whether a run parameter's name suggests a secret, which is never shown.
func resSecretName(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "secret") || strings.Contains(n, "password") || strings.Contains(n, "密钥")
}

// resWriteSummary fills the Summary sheet: counts, amounts in fen and in yuan by status × operation,
// the run parameters, and a bar chart of rows by status.
func (w *Results) resWriteSummary() error {
	f := w.xf
	const sh = SummarySheet
	if _, err := f.NewSheet(sh); err != nil {
		return err
	}
	s := &w.sum
	statuses := s.statuses()
	ops := []int{0, 1, 2, 3}
	if s.otherUsed {
		ops = append(ops, 4)
	}
	totalCol := len(ops) + 2 // column index (1-based) of "total"

	if err := f.SetColWidth(sh, "A", "A", 30); err != nil {
		return err
	}
	lastCol, _ := excelize.ColumnNumberToName(totalCol)
	if err := f.SetColWidth(sh, "B", lastCol, 16); err != nil {
		return err
	}
	row := 1
	set := func(col, r int, v any) error {
		cell, err := excelize.CoordinatesToCellName(col, r)
		if err != nil {
			return err
		}
		return f.SetCellValue(sh, cell, v)
	}
	bold := func(c1, c2, r int) error {
		a, _ := excelize.CoordinatesToCellName(c1, r)
		b, _ := excelize.CoordinatesToCellName(c2, r)
		return f.SetCellStyle(sh, a, b, w.boldStyle)
	}
	if err := set(1, row, "svbatch results summary"); err != nil {
		return err
	}
	if err := bold(1, 1, row); err != nil {
		return err
	}
	row += 2

	// cellValue turns a sum into a cell: the number, or text when it overflowed or is shown as yuan.
	type kind int
	const (
		kCount kind = iota
		kFen
		kYuan
	)
	cellValue := func(c resCell, k kind) any {
		switch {
		case c.ovf:
			return "overflow"
		case k == kYuan:
			return svbatch.FormatYuan(c.v)
		}
		return c.v
	}
	var countFirst, countLast int // rows of the counts table body, for the chart
	table := func(title string, k kind) error {
		if err := set(1, row, title); err != nil {
			return err
		}
		if err := bold(1, 1, row); err != nil {
			return err
		}
		row++
		if err := set(1, row, "status"); err != nil {
			return err
		}
		for i, op := range ops {
			if err := set(i+2, row, resOpNames[op]); err != nil {
				return err
			}
		}
		if err := set(totalCol, row, "total"); err != nil {
			return err
		}
		if err := bold(1, totalCol, row); err != nil {
			return err
		}
		row++
		if k == kCount {
			countFirst = row
		}
		var colTotal [5]resCell
		var grand resCell
		for _, st := range statuses {
			l := w.sum.lines[st]
			if err := set(1, row, SafeText(string(st))); err != nil {
				return err
			}
			var lineTotal resCell
			for i, op := range ops {
				c := l.n[op]
				if k != kCount {
					c = l.fen[op]
				}
				if err := set(i+2, row, cellValue(c, k)); err != nil {
					return err
				}
				lineTotal.add(c.v)
				lineTotal.ovf = lineTotal.ovf || c.ovf
				colTotal[op].add(c.v)
				colTotal[op].ovf = colTotal[op].ovf || c.ovf
			}
			if err := set(totalCol, row, cellValue(lineTotal, k)); err != nil {
				return err
			}
			grand.add(lineTotal.v)
			grand.ovf = grand.ovf || lineTotal.ovf
			row++
		}
		if k == kCount {
			countLast = row - 1
		}
		if err := set(1, row, "total"); err != nil {
			return err
		}
		for i, op := range ops {
			if err := set(i+2, row, cellValue(colTotal[op], k)); err != nil {
				return err
			}
		}
		if err := set(totalCol, row, cellValue(grand, k)); err != nil {
			return err
		}
		if err := bold(1, totalCol, row); err != nil {
			return err
		}
		row += 2
		return nil
	}
	if err := table("Rows by status × operation", kCount); err != nil {
		return err
	}
	if err := table("Amounts in fen by status × operation", kFen); err != nil {
		return err
	}
	if err := table("Amounts in yuan by status × operation", kYuan); err != nil {
		return err
	}

	// The workbook's own facts, then the caller's run parameters.
	if err := set(1, row, "Run"); err != nil {
		return err
	}
	if err := bold(1, 1, row); err != nil {
		return err
	}
	row++
	facts := [][2]any{
		{"rows", s.rows},
		{"rows to retry (sheet Retry)", s.retryRows},
		{"results sheets", int64(w.sheetN)},
	}
	for _, p := range facts {
		if err := set(1, row, p[0]); err != nil {
			return err
		}
		if err := set(2, row, p[1]); err != nil {
			return err
		}
		row++
	}
	for _, p := range w.info.Params {
		v := SafeText(p[1])
		if resSecretName(p[0]) {
			v = "(redacted)"
		}
		if err := set(1, row, SafeText(p[0])); err != nil {
			return err
		}
		if err := set(2, row, v); err != nil {
			return err
		}
		row++
	}

	if len(statuses) == 0 {
		return nil
	}
	totalName, _ := excelize.ColumnNumberToName(totalCol)
	chartCol, _ := excelize.ColumnNumberToName(totalCol + 2)
	return f.AddChart(sh, chartCol+"3", &excelize.Chart{
		Type: excelize.Bar,
		Series: []excelize.ChartSeries{{
			Name:       fmt.Sprintf("%s!$%s$%d", sh, totalName, countFirst-1),
			Categories: fmt.Sprintf("%s!$A$%d:$A$%d", sh, countFirst, countLast),
			Values:     fmt.Sprintf("%s!$%s$%d:$%s$%d", sh, totalName, countFirst, totalName, countLast),
		}},
		Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "Rows by status"}}},
		Legend:    excelize.ChartLegend{Position: "none"},
		Dimension: excelize.ChartDimension{Width: 480, Height: 288},
		PlotArea:  excelize.ChartPlotArea{ShowVal: true},
	})
}
