package reports

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"svbatch"
)

// ReconciliationSummarySheet is the first sheet of the reconciliation workbook.
const ReconciliationSummarySheet = "Summary"

// ReconciliationInput is one input file as the Summary sheet lists it.
type ReconciliationInput struct {
	Role   string // "results", "expected", "balances", "actual balances"
	Name   string // the file's base name, or a URL (never with credentials)
	SHA256 string // hex of the bytes read
	Rows   int64  // data rows read (-1: not counted)
}

// ReconciliationLine is one category's line of the Summary sheet, in fen.
type ReconciliationLine struct {
	Name                                        string
	Count, Amount, Expected, Actual, Difference int64
}

// ReconciliationSummary is what the Summary sheet shows. AsOf is the one timestamp in the workbook:
// it is also the document's created/modified time, so the same values give the same bytes.
type ReconciliationSummary struct {
	AsOf          time.Time
	Inputs        []ReconciliationInput
	Categories    []ReconciliationLine // every category, in report order; the chart plots Count
	ExpectedTotal int64
	ActualTotal   int64
	NetDifference int64 // ActualTotal − ExpectedTotal
	DifferenceSum int64 // Σ Difference over the row categories
	Explained     bool
	// AllMatched is the verdict: every row matched (within the tolerances) and the balances agree.
	AllMatched bool
	// Statement is the net-difference statement in words, one line per element.
	Statement []string
	Params    [][2]string // tolerance, amount unit, … (name, value)
	// Lang is the language of labels, sheet names and the verdict ("" = English); TZ the zone the
	// as-of time is shown in (nil = GMT+8).
	Lang svbatch.Lang
	TZ   *time.Location
	// Labels name the categories for people, by Categories[i].Name (nil: the names as they are).
	Labels map[string]string
}

// ReconciliationColumn is a column of a category sheet. Text columns (ids) get the text number
// format so Excel never turns them into numbers.
type ReconciliationColumn struct {
	Name  string
	Text  bool
	Width float64 // 0: from the name
	// Amount marks an amount in fen: a yuan column follows it (Yuan its header), the same amount
	// as an exact number with two decimals.
	Amount bool
	Yuan   string
}

// ReconciliationSheet is one category's sheet. Rows yields the cells of each row in Columns order:
// string (user text: neutralised with SafeText), int64 or int (a number), or nil (empty).
// Past the sheet row limit the rows continue on "Name (2)", "Name (3)", … with the same header.
type ReconciliationSheet struct {
	Name    string
	Columns []ReconciliationColumn
	Rows    iter.Seq[[]any]
}

// ReconciliationOptions tunes WriteReconciliation.
type ReconciliationOptions struct {
	// SheetRowLimit is the rows per category sheet, header included; 0 means MaxSheetRows.
	SheetRowLimit int
	// Check, when set, is asked once the rows are written and before the file is saved: an error
	// (the rows could not all be read, say) leaves no file. reconcile.Report.Err fits.
	Check func() error
}

// WriteReconciliationFile writes the reconciliation workbook to path: it appears only when complete
// (written beside path, then renamed).
func WriteReconciliationFile(path string, sum ReconciliationSummary, sheets []ReconciliationSheet, opt ReconciliationOptions) error {
	f, err := resCreateTemp(path)
	if err != nil {
		return fmt.Errorf("reconciliation workbook: %w", err)
	}
	fail := func(err error) error {
		_ = f.Close()
		_ = os.Remove(f.Name())
		return fmt.Errorf("reconciliation workbook %s: %w", path, err)
	}
	if err := WriteReconciliation(f, sum, sheets, opt); err != nil {
		return fail(err)
	}
	if opt.Check != nil {
		if err := opt.Check(); err != nil {
			return fail(err)
		}
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("reconciliation workbook %s: %w", path, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("reconciliation workbook %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("reconciliation workbook %s: %w", path, err)
	}
	return nil
}

// WriteReconciliation writes the reconciliation workbook (XLSX) to w: the Summary sheet, then one
// sheet per entry of sheets (the caller leaves out empty categories). The output depends only on
// the arguments: the same values give byte-identical files.
func WriteReconciliation(w io.Writer, sum ReconciliationSummary, sheets []ReconciliationSheet, opt ReconciliationOptions) (err error) {
	limit := opt.SheetRowLimit
	if limit <= 0 {
		limit = MaxSheetRows
	}
	if limit < 2 {
		return fmt.Errorf("sheet row limit %d: want at least 2", limit)
	}
	xf := excelize.NewFile()
	defer func() {
		if cerr := xf.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	summary := pick(sum.Lang, ReconciliationSummarySheet, SummarySheetZH)
	if err := xf.SetSheetName("Sheet1", summary); err != nil {
		return err
	}
	b := newBook(xf)
	st, err := recNewStyles(xf)
	if err != nil {
		return err
	}
	b.numStyle(st.yuan)
	for _, s := range sheets {
		if err := recWriteSheet(b, st, s, limit); err != nil {
			return fmt.Errorf("sheet %s: %w", s.Name, err)
		}
	}
	if err := recWriteSummary(b, st, sum); err != nil {
		return fmt.Errorf("sheet %s: %w", summary, err)
	}
	ts := sum.AsOf.UTC().Format(time.RFC3339)
	if err := xf.SetDocProps(&excelize.DocProperties{
		Created: ts, Modified: ts, Creator: "svbatch", LastModifiedBy: "svbatch",
		Title: "Reconciliation", Description: "svbatch reconcile",
	}); err != nil {
		return err
	}
	// The Summary stays the active sheet (it was the first). No SetActiveSheet here: it would parse
	// every streamed category sheet back into memory and write it again (most of the time of a
	// workbook with a few thousand breaks).
	bw := bufio.NewWriterSize(w, 1<<20)
	// Zip straight to w: a million-row category sheet never sits in memory as a zip.
	xf.SetZipWriter(b.zipper(func(io.Writer) excelize.ZipWriter { return newRecZip(bw) }))
	if _, err := xf.WriteToBuffer(); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	return bw.Flush()
}

// recZip makes excelize's output deterministic. excelize writes streamed sheets in map order and
// appends the image content types of [Content_Types].xml in map order when a chart is added, so
// recZip collects every part (small ones in memory, the rest spooled to a temporary file) and on
// Close zips them sorted by name ([Content_Types].xml first), with the Default elements sorted.
type recZip struct {
	zw      *zip.Writer
	entries []*recEntry
	spool   *os.File
	spoolN  int64
	err     error
}

type recEntry struct {
	z       *recZip
	name    string
	mem     bytes.Buffer
	spoolAt int64 // offset in the spool; -1 while in memory
	n       int64
}

const (
	recContentTypes = "[Content_Types].xml"
	recMemLimit     = 1 << 20
)

func newRecZip(w io.Writer) *recZip {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	return &recZip{zw: zw}
}

func (z *recZip) Create(name string) (io.Writer, error) {
	if z.err != nil {
		return nil, z.err
	}
	e := &recEntry{z: z, name: name, spoolAt: -1}
	z.entries = append(z.entries, e)
	return e, nil
}

// AddFS is not used by excelize's writer; it is here for the interface.
func (z *recZip) AddFS(fs.FS) error {
	return errors.New("reconciliation workbook: AddFS not supported")
}

// Write appends to the entry; entries are written one after another, so a spooled entry's bytes
// are contiguous at the spool's end.
func (e *recEntry) Write(p []byte) (int, error) {
	z := e.z
	if z.err != nil {
		return 0, z.err
	}
	if e.spoolAt < 0 && e.mem.Len()+len(p) <= recMemLimit {
		e.n += int64(len(p))
		return e.mem.Write(p)
	}
	if e.spoolAt < 0 {
		if z.spool == nil {
			if z.spool, z.err = os.CreateTemp("", "svbatch-reconciliation-*"); z.err != nil {
				return 0, z.err
			}
		}
		e.spoolAt = z.spoolN
		if _, z.err = z.spool.WriteAt(e.mem.Bytes(), z.spoolN); z.err != nil {
			return 0, z.err
		}
		z.spoolN += int64(e.mem.Len())
		e.mem = bytes.Buffer{}
	}
	n, err := z.spool.WriteAt(p, z.spoolN)
	z.spoolN += int64(n)
	e.n += int64(n)
	if err != nil {
		z.err = err
	}
	return n, err
}

func (z *recZip) Close() error {
	defer func() {
		if z.spool != nil {
			_ = z.spool.Close()
			_ = os.Remove(z.spool.Name())
			z.spool = nil
		}
	}()
	if z.err != nil {
		return z.err
	}
	sort.SliceStable(z.entries, func(i, j int) bool {
		a, b := z.entries[i].name, z.entries[j].name
		if (a == recContentTypes) != (b == recContentTypes) {
			return a == recContentTypes
		}
		return a < b
	})
	for _, e := range z.entries {
		w, err := z.zw.Create(e.name)
		if err != nil {
			return err
		}
		switch {
		case e.name == recContentTypes:
			_, err = w.Write(recSortDefaults(e.mem.Bytes()))
		case e.spoolAt < 0:
			_, err = w.Write(e.mem.Bytes())
		default:
			_, err = io.Copy(w, io.NewSectionReader(z.spool, e.spoolAt, e.n))
		}
		if err != nil {
			return err
		}
	}
	return z.zw.Close()
}

var recDefaultRe = regexp.MustCompile(`<Default [^>]*(?:/>|></Default>)`)

// recSortDefaults sorts the <Default …> elements of a content-types part in place of the first one.
func recSortDefaults(b []byte) []byte {
	locs := recDefaultRe.FindAllIndex(b, -1)
	if len(locs) < 2 {
		return b
	}
	elems := make([]string, len(locs))
	for i, l := range locs {
		elems[i] = string(b[l[0]:l[1]])
	}
	sort.Strings(elems)
	var out bytes.Buffer
	prev := 0
	for i, l := range locs {
		out.Write(b[prev:l[0]])
		if i == 0 {
			out.WriteString(strings.Join(elems, ""))
		}
		prev = l[1]
	}
	out.Write(b[prev:])
	return out.Bytes()
}

type recStyles struct{ bold, head, text, title, num, yuan, date, bad, good, verdictBad, verdictGood int }

func recNewStyles(xf *excelize.File) (recStyles, error) {
	var s recStyles
	var err error
	mk := func(st *excelize.Style) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = xf.NewStyle(st)
		return id
	}
	s.bold = mk(&excelize.Style{Font: &excelize.Font{Bold: true}})
	s.text = mk(&excelize.Style{NumFmt: 49}) // "@": text
	s.title = mk(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	s.num = mk(&excelize.Style{NumFmt: 3})  // #,##0
	s.yuan = mk(&excelize.Style{NumFmt: 4}) // #,##0.00: only yuan amounts (exact numbers, see book)
	dateFmt := "yyyy-mm-dd hh:mm:ss"
	s.date = mk(&excelize.Style{CustomNumFmt: &dateFmt, Alignment: &excelize.Alignment{Horizontal: "left"}})
	s.head = mk(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	s.verdictBad = mk(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14, Color: "FFFFFF"},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"C00000"}}, Alignment: &excelize.Alignment{Vertical: "center"}})
	s.verdictGood = mk(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14, Color: "FFFFFF"},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"00B050"}}, Alignment: &excelize.Alignment{Vertical: "center"}})
	s.bad = mk(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "9C0006"}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}}})
	s.good = mk(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "006100"}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"C6EFCE"}}})
	return s, err
}

func recWidth(c ReconciliationColumn) float64 {
	if c.Width > 0 {
		return c.Width
	}
	return resHeaderWidth(c.Name)
}

// recColumns expands the columns: each Amount column is followed by its yuan column.
func recColumns(cols []ReconciliationColumn) (out []ReconciliationColumn, yuanOf []int) {
	for i, c := range cols {
		out = append(out, c)
		yuanOf = append(yuanOf, -1)
		if c.Amount {
			name := c.Yuan
			if name == "" {
				name = c.Name + "_yuan"
			}
			out = append(out, ReconciliationColumn{Name: name, Width: max(recWidth(c), 14)})
			yuanOf = append(yuanOf, i)
		}
	}
	return out, yuanOf
}

// recWriteSheet streams one category's rows onto its sheet(s), with an autofilter and the page
// setup on each.
func recWriteSheet(b *book, st recStyles, s ReconciliationSheet, limit int) error {
	xf := b.f
	cols, yuanOf := recColumns(s.Columns)
	var ss *streamSheet
	sheetN, rowN := 0, 0
	start := func() error {
		if ss != nil {
			if err := ss.finish(true, 1); err != nil {
				return err
			}
		}
		sheetN++
		name := s.Name
		if sheetN > 1 {
			name = fmt.Sprintf("%s (%d)", s.Name, sheetN)
		}
		if _, err := xf.NewSheet(name); err != nil {
			return err
		}
		var err error
		if ss, err = b.newStream(name); err != nil {
			return err
		}
		sw := ss.sw
		for i, c := range cols {
			if err := sw.SetColWidth(i+1, i+1, recWidth(c)); err != nil {
				return err
			}
			style := 0
			switch {
			case c.Text:
				style = st.text
			case yuanOf[i] >= 0:
				style = st.yuan
			case c.Amount:
				style = st.num
			}
			if style != 0 {
				if err := sw.SetColStyle(i+1, i+1, style); err != nil {
					return err
				}
			}
		}
		if err := resFreezeHeader(sw); err != nil {
			return err
		}
		hdr := make([]any, len(cols))
		for i, c := range cols {
			hdr[i] = excelize.Cell{StyleID: st.head, Value: c.Name}
		}
		if err := ss.setRow(1, hdr); err != nil {
			return err
		}
		rowN = 1
		return nil
	}
	if err := start(); err != nil {
		return err
	}
	out := make([]any, len(cols))
	if s.Rows != nil {
		for cells := range s.Rows {
			if rowN >= limit {
				if err := start(); err != nil {
					return err
				}
			}
			rowN++
			j := 0
			for i, c := range s.Columns {
				out[j] = nil
				var v any
				if i < len(cells) {
					v = cells[i]
				}
				switch v := v.(type) {
				case string:
					base := 0
					if c.Text {
						base = st.text
					}
					cell, err := b.text(v, base)
					if err != nil {
						return err
					}
					out[j] = cell
				case int64, int:
					out[j] = v
				case nil:
				default:
					return fmt.Errorf("row %d column %s: unsupported cell type %T", rowN, c.Name, v)
				}
				j++
				if c.Amount {
					out[j] = nil
					var fen int64
					ok := true
					switch v := v.(type) {
					case int64:
						fen = v
					case int:
						fen = int64(v)
					default:
						ok = false
					}
					if ok {
						out[j] = excelize.Cell{StyleID: st.yuan, Value: svbatch.FormatYuan(fen)}
					}
					j++
				}
			}
			if err := ss.setRow(rowN, out); err != nil {
				return err
			}
		}
	}
	return ss.finish(true, 1)
}

// recWriteSummary fills the Summary sheet: the verdict first (matched or NOT matched, green or
// red), the net difference in yuan and fen, the as-of time; the categories with their amounts;
// the breaks alone, with a chart of them; the statement, the inputs and the parameters.
func recWriteSummary(b *book, st recStyles, sum ReconciliationSummary) error {
	xf := b.f
	l := sum.Lang
	sh := pick(l, ReconciliationSummarySheet, SummarySheetZH)
	tz := sum.TZ
	if tz == nil {
		tz = svbatch.GMT8
	}
	row := 0
	var err error
	cellName := func(col, r int) string {
		c, _ := excelize.CoordinatesToCellName(col, r)
		return c
	}
	set := func(col int, v any, style int) {
		if err != nil {
			return
		}
		cell := cellName(col, row)
		switch v := v.(type) {
		case string:
			err = b.setText(sh, cell, v, style)
			return
		case yuanCell:
			if err = xf.SetCellDefault(sh, cell, svbatch.FormatYuan(int64(v))); err == nil {
				err = xf.SetCellStyle(sh, cell, cell, st.yuan)
			}
			return
		case int64:
			if err = xf.SetCellInt(sh, cell, v); err == nil && style == 0 {
				style = st.num
			}
		default:
			err = xf.SetCellValue(sh, cell, v)
		}
		if err == nil && style != 0 {
			err = xf.SetCellStyle(sh, cell, cell, style)
		}
	}
	line := func(style int, vals ...any) {
		row++
		for i, v := range vals {
			if v == nil {
				continue
			}
			set(i+1, v, style)
		}
	}
	label := func(name string) string {
		if n, ok := sum.Labels[name]; ok {
			return n
		}
		return name
	}
	var breaks []ReconciliationLine
	for _, c := range sum.Categories {
		if c.Name != "matched" && c.Count > 0 {
			breaks = append(breaks, c)
		}
	}

	line(st.title, pick(l, "Reconciliation", "对账结果"))
	// The verdict.
	verdict, vstyle := pick(l, "MATCHED: every row and amount agrees", "一致：所有行和金额都相符"), st.verdictGood
	if !sum.AllMatched {
		n := int64(0)
		for _, c := range breaks {
			n += c.Count
		}
		if l == svbatch.LangZH {
			verdict = fmt.Sprintf("不一致：%d 行有差异（%d 个类别），见各分类工作表", n, len(breaks))
		} else {
			verdict = fmt.Sprintf("NOT MATCHED: %d %s differ (%d %s); see the category sheets", n, plural(n, "row", "rows"),
				len(breaks), plural(int64(len(breaks)), "category", "categories"))
		}
		if len(breaks) == 0 { // the rows matched, the net tolerance did not hold
			verdict = pick(l, "NOT MATCHED: the differences within tolerance add up to more than --net-tolerance",
				"不一致：容差内差额的合计超过了 --net-tolerance")
		}
		vstyle = st.verdictBad
	}
	line(0, verdict)
	if err == nil {
		err = xf.SetCellStyle(sh, cellName(1, row), cellName(1, row), vstyle)
	}
	if err == nil {
		err = xf.MergeCell(sh, cellName(1, row), cellName(6, row))
	}
	if err == nil {
		err = xf.SetRowHeight(sh, row, 24)
	}
	line(st.bold, pick(l, "Net difference, actual − expected (yuan)", "净差额＝实际－预期（元）"))
	set(2, yuanCell(sum.NetDifference), 0)
	line(st.bold, pick(l, "Net difference, actual − expected (fen)", "净差额＝实际－预期（分）"))
	set(2, sum.NetDifference, 0)
	line(0, pick(l, "As of", "对账时间"))
	set(2, sum.AsOf.In(tz), st.date)
	set(3, ZoneLabel(tz), 0)
	row++

	line(st.head, pick(l, "Category", "类别"), pick(l, "Rows", "行数"), pick(l, "Amount (yuan)", "金额（元）"),
		pick(l, "Difference (yuan)", "差额（元）"), pick(l, "Amount (fen)", "金额（分）"), pick(l, "Expected (fen)", "预期（分）"),
		pick(l, "Actual (fen)", "实际（分）"), pick(l, "Difference (fen)", "差额（分）"))
	for _, c := range sum.Categories {
		line(0, label(c.Name), c.Count, yuanCell(c.Amount), yuanCell(c.Difference), c.Amount, c.Expected, c.Actual, c.Difference)
		if c.Name != "matched" && c.Count > 0 && err == nil {
			err = xf.SetCellStyle(sh, cellName(1, row), cellName(1, row), st.bad)
		}
	}
	row++
	line(st.bold, pick(l, "Net-difference statement", "净差额说明"))
	line(0, pick(l, "Expected total (yuan)", "预期合计（元）"), yuanCell(sum.ExpectedTotal))
	line(0, pick(l, "Actual total (yuan)", "实际合计（元）"), yuanCell(sum.ActualTotal))
	line(0, pick(l, "Expected total (fen)", "预期合计（分）"), sum.ExpectedTotal)
	line(0, pick(l, "Actual total (fen)", "实际合计（分）"), sum.ActualTotal)
	line(0, pick(l, "Net difference = actual − expected (fen)", "净差额＝实际－预期（分）"), sum.NetDifference)
	line(0, pick(l, "Sum of category differences (fen)", "各类别差额之和（分）"), sum.DifferenceSum)
	explained, style := pick(l, "yes", "是"), st.good
	if !sum.Explained {
		explained, style = pick(l, "NO", "否"), st.bad
	}
	line(0, pick(l, "Explained (the differences add up)", "差额已解释（各类别差额相加等于净差额）"))
	set(2, explained, style)
	for _, s := range sum.Statement {
		line(0, s)
	}

	// The breaks alone: the chart's data, so a one-row break is a bar of its own, labelled.
	var breakFirst, breakLast int
	if len(breaks) > 0 {
		row++
		line(st.head, pick(l, "Breaks", "差异"), pick(l, "Rows", "行数"), pick(l, "Difference (yuan)", "差额（元）"))
		breakFirst = row + 1
		for _, c := range breaks {
			line(0, label(c.Name), c.Count, yuanCell(c.Difference))
		}
		breakLast = row
	}
	chartRow := row + 2
	if len(breaks) > 0 {
		row += 18 // room for the chart
	}

	row++
	line(st.head, pick(l, "Input", "输入"), pick(l, "Rows", "行数"), pick(l, "File", "文件"), "SHA-256")
	for _, in := range sum.Inputs {
		var rows any
		if in.Rows >= 0 {
			rows = in.Rows
		}
		line(0, recRole(l, in.Role), rows, in.Name, in.SHA256)
	}
	if len(sum.Params) > 0 {
		row++
		line(st.head, pick(l, "Parameter", "参数"), pick(l, "Value", "值"))
		for _, p := range sum.Params {
			line(0, recParam(l, p[0]), p[1])
		}
	}
	if err != nil {
		return err
	}
	for col, w := range []float64{44, 16, 18, 18, 16, 16, 16, 16} {
		name, _ := excelize.ColumnNumberToName(col + 1)
		if err := xf.SetColWidth(sh, name, name, w); err != nil {
			return err
		}
	}
	if err := b.finishSheet(sh, false, 0); err != nil {
		return err
	}
	if len(breaks) == 0 {
		return nil
	}
	q := "'" + strings.ReplaceAll(sh, "'", "''") + "'"
	ref := func(col int) string {
		c, _ := excelize.ColumnNumberToName(col)
		return q + "!$" + c + "$" + strconv.Itoa(breakFirst) + ":$" + c + "$" + strconv.Itoa(breakLast)
	}
	return xf.AddChart(sh, "A"+strconv.Itoa(chartRow), &excelize.Chart{
		Type:      excelize.Bar,
		Series:    []excelize.ChartSeries{{Name: q + "!$B$" + strconv.Itoa(breakFirst-1), Categories: ref(1), Values: ref(2)}},
		Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: pick(l, "Breaks: rows per category", "差异：各类别行数")}}},
		Legend:    excelize.ChartLegend{Position: "none"},
		PlotArea:  excelize.ChartPlotArea{ShowVal: true},
		Dimension: excelize.ChartDimension{Width: 640, Height: 320},
	})
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// yuanCell is an amount in fen to show in yuan, as an exact number.
type yuanCell int64

// recRole names an input's role in language l.
func recRole(l svbatch.Lang, role string) string {
	if l != svbatch.LangZH {
		return role
	}
	if zh, ok := map[string]string{"results": "运行结果", "expected": "预期台账", "balances": "预期余额", "actual balances": "实际余额"}[role]; ok {
		return zh
	}
	return role
}

// recParam names a reconciliation parameter in language l.
func recParam(l svbatch.Lang, name string) string {
	if l != svbatch.LangZH {
		return name
	}
	if zh, ok := map[string]string{"tolerance (fen)": "单行容差（分）", "net tolerance (fen)": "净容差（分）",
		"amount unit of the expected ledger": "预期台账金额单位", ParamTimeZone: "时区", ParamLanguage: "语言"}[name]; ok {
		return zh
	}
	return name
}
