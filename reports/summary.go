package reports

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"svbatch"
)

// resStatusOrder is the order statuses are listed in on the Summary sheet; others follow sorted.
var resStatusOrder = []svbatch.Status{
	svbatch.Succeeded, svbatch.Failed, svbatch.Unknown, svbatch.Skipped, svbatch.Conflict,
	svbatch.AlreadyDone, svbatch.SucceededAfterFix, svbatch.Invalid, svbatch.Planned, svbatch.Pending, svbatch.Sending,
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

// resWriteSummary fills the Summary sheet, in the workbook's language: counts, amounts in fen and
// in yuan (exact numbers) by status × operation, the run parameters (numbers, booleans and times
// as such, never the secret), and a bar chart of rows by status.
func (w *Results) resWriteSummary() error {
	f := w.xf
	l := w.lang
	sh := SummarySheetName(l)
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

	if err := f.SetColWidth(sh, "A", "A", 34); err != nil {
		return err
	}
	lastCol, _ := excelize.ColumnNumberToName(totalCol)
	if err := f.SetColWidth(sh, "B", lastCol, 18); err != nil {
		return err
	}
	row := 1
	cellName := func(col, r int) string {
		c, _ := excelize.CoordinatesToCellName(col, r)
		return c
	}
	set := func(col, r int, v any) error {
		if s, ok := v.(string); ok {
			return w.b.setText(sh, cellName(col, r), s, 0)
		}
		return f.SetCellValue(sh, cellName(col, r), v)
	}
	styled := func(col, r, style int) error {
		return f.SetCellStyle(sh, cellName(col, r), cellName(col, r), style)
	}
	bold := func(c1, c2, r int) error {
		return f.SetCellStyle(sh, cellName(c1, r), cellName(c2, r), w.boldStyle)
	}
	if err := set(1, row, pick(l, "svbatch results summary", "svbatch 运行结果汇总")); err != nil {
		return err
	}
	if err := bold(1, 1, row); err != nil {
		return err
	}
	row += 2

	type kind int
	const (
		kCount kind = iota
		kFen
		kYuan
	)
	// put writes a sum as a number: counts and fen as integers, yuan as the exact decimal (fen/100
	// as text, never a float); a sum that overflowed is the word "overflow".
	put := func(col, r int, c resCell, k kind) error {
		if c.ovf {
			return set(col, r, pick(l, "overflow", "溢出"))
		}
		var err error
		style := w.st.fen
		switch k {
		case kYuan:
			err = f.SetCellDefault(sh, cellName(col, r), svbatch.FormatYuan(c.v))
			style = w.st.yuan
		default:
			err = f.SetCellInt(sh, cellName(col, r), c.v)
		}
		if err != nil {
			return err
		}
		return styled(col, r, style)
	}
	opName := func(op int) string {
		if l == svbatch.LangZH {
			return opNamesZH[op]
		}
		return resOpNames[op]
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
		if err := set(1, row, pick(l, "status", "状态")); err != nil {
			return err
		}
		for i, op := range ops {
			if err := set(i+2, row, opName(op)); err != nil {
				return err
			}
		}
		if err := set(totalCol, row, pick(l, "total", "合计")); err != nil {
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
			ln := w.sum.lines[st]
			if err := set(1, row, l.StatusLabel(st)); err != nil {
				return err
			}
			var lineTotal resCell
			for i, op := range ops {
				c := ln.n[op]
				if k != kCount {
					c = ln.fen[op]
				}
				if err := put(i+2, row, c, k); err != nil {
					return err
				}
				lineTotal.add(c.v)
				lineTotal.ovf = lineTotal.ovf || c.ovf
				colTotal[op].add(c.v)
				colTotal[op].ovf = colTotal[op].ovf || c.ovf
			}
			if err := put(totalCol, row, lineTotal, k); err != nil {
				return err
			}
			grand.add(lineTotal.v)
			grand.ovf = grand.ovf || lineTotal.ovf
			row++
		}
		if k == kCount {
			countLast = row - 1
		}
		if err := set(1, row, pick(l, "total", "合计")); err != nil {
			return err
		}
		for i, op := range ops {
			if err := put(i+2, row, colTotal[op], k); err != nil {
				return err
			}
		}
		if err := put(totalCol, row, grand, k); err != nil {
			return err
		}
		if err := bold(1, 1, row); err != nil {
			return err
		}
		row += 2
		return nil
	}
	if err := table(pick(l, "Rows by status × operation", "按状态 × 操作类型统计行数"), kCount); err != nil {
		return err
	}
	if err := table(pick(l, "Amounts in yuan by status × operation", "按状态 × 操作类型统计金额（元）"), kYuan); err != nil {
		return err
	}
	if err := table(pick(l, "Amounts in fen by status × operation", "按状态 × 操作类型统计金额（分）"), kFen); err != nil {
		return err
	}

	// The workbook's own facts, then the caller's run parameters.
	if err := set(1, row, pick(l, "Run", "本次运行")); err != nil {
		return err
	}
	if err := bold(1, 1, row); err != nil {
		return err
	}
	row++
	facts := [][2]any{
		{pick(l, "rows", "行数"), s.rows},
		{pick(l, "rows to retry (sheet Retry)", "需处理的行（见“重试”表）"), s.retryRows},
		{pick(l, "results sheets", "结果表数"), int64(w.sheetN)},
	}
	hasParam := map[string]bool{}
	for _, p := range w.info.Params {
		hasParam[p[0]] = true
	}
	if !hasParam[ParamLanguage] {
		facts = append(facts, [2]any{paramLabel(l, ParamLanguage), string(l)})
	}
	if !hasParam[ParamTimeZone] {
		facts = append(facts, [2]any{paramLabel(l, ParamTimeZone), ZoneLabel(w.tz)})
	}
	for _, p := range facts {
		if err := set(1, row, p[0]); err != nil {
			return err
		}
		if err := set(2, row, p[1]); err != nil {
			return err
		}
		if _, ok := p[1].(int64); ok {
			if err := styled(2, row, w.st.fen); err != nil {
				return err
			}
		}
		row++
	}
	for _, p := range w.info.Params {
		if err := set(1, row, paramLabel(l, p[0])); err != nil {
			return err
		}
		if err := w.resParamCell(sh, cellName(2, row), p); err != nil {
			return err
		}
		row++
	}
	if err := w.b.finishSheet(sh, false, 0); err != nil {
		return err
	}

	if len(statuses) == 0 {
		return nil
	}
	totalName, _ := excelize.ColumnNumberToName(totalCol)
	chartCol, _ := excelize.ColumnNumberToName(totalCol + 2)
	ref := "'" + strings.ReplaceAll(sh, "'", "''") + "'"
	return f.AddChart(sh, chartCol+"3", &excelize.Chart{
		Type: excelize.Bar,
		Series: []excelize.ChartSeries{{
			Name:       fmt.Sprintf("%s!$%s$%d", ref, totalName, countFirst-1),
			Categories: fmt.Sprintf("%s!$A$%d:$A$%d", ref, countFirst, countLast),
			Values:     fmt.Sprintf("%s!$%s$%d:$%s$%d", ref, totalName, countFirst, totalName, countLast),
		}},
		Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: pick(l, "Rows by status", "各状态行数")}}},
		Legend:    excelize.ChartLegend{Position: "none"},
		Dimension: excelize.ChartDimension{Width: 480, Height: 288},
		PlotArea:  excelize.ChartPlotArea{ShowVal: true},
	})
}

// resParamCell writes a run parameter's value: a number, a boolean or a date-time cell in the
// workbook's zone when it is one, otherwise text; a secret never ("(redacted)").
func (w *Results) resParamCell(sh, cell string, p [2]string) error {
	f := w.xf
	name, v := strings.ToLower(p[0]), p[1]
	switch {
	case resSecretName(p[0]):
		return w.b.setText(sh, cell, pick(w.lang, "(redacted)", "（已隐藏）"), 0)
	case numericParams[name] && isPlainNumber(v) && v != "":
		if err := f.SetCellDefault(sh, cell, v); err != nil {
			return err
		}
		return f.SetCellStyle(sh, cell, cell, w.st.int)
	case v == "true" || v == "false":
		return f.SetCellBool(sh, cell, v == "true")
	case timeParams[name]:
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			if err := f.SetCellValue(sh, cell, t.In(w.tz)); err != nil {
				return err
			}
			return f.SetCellStyle(sh, cell, cell, w.st.date)
		}
	case name == "outcome":
		v = resOutcome(w.lang, v)
	case name == ParamTimeZone:
		if z, err := svbatch.ParseZone(v); err == nil {
			v = ZoneLabel(z)
		}
	}
	return w.b.setText(sh, cell, v, 0)
}

// resOutcome translates a run's outcome word.
func resOutcome(l svbatch.Lang, v string) string {
	if l != svbatch.LangZH {
		return v
	}
	if zh, ok := map[string]string{"complete": "已完成", "interrupted": "已中断", "dry run: nothing sent": "试运行：未发送任何操作"}[strings.ToLower(v)]; ok {
		return zh
	}
	if rest, ok := strings.CutPrefix(v, "stopped: "); ok {
		return "已停止：" + rest
	}
	return v
}
