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
	// Statement is the net-difference statement in words, one line per element.
	Statement []string
	Params    [][2]string // tolerance, amount unit, … (name, value)
}

// ReconciliationColumn is a column of a category sheet. Text columns (ids) get the text number
// format so Excel never turns them into numbers.
type ReconciliationColumn struct {
	Name  string
	Text  bool
	Width float64 // 0: from the name
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
	if err := xf.SetSheetName("Sheet1", ReconciliationSummarySheet); err != nil {
		return err
	}
	st, err := recNewStyles(xf)
	if err != nil {
		return err
	}
	for _, s := range sheets {
		if err := recWriteSheet(xf, st, s, limit); err != nil {
			return fmt.Errorf("sheet %s: %w", s.Name, err)
		}
	}
	if err := recWriteSummary(xf, st, sum); err != nil {
		return fmt.Errorf("sheet %s: %w", ReconciliationSummarySheet, err)
	}
	ts := sum.AsOf.UTC().Format(time.RFC3339)
	if err := xf.SetDocProps(&excelize.DocProperties{
		Created: ts, Modified: ts, Creator: "svbatch", LastModifiedBy: "svbatch",
		Title: "Reconciliation", Description: "svbatch reconcile",
	}); err != nil {
		return err
	}
	xf.SetActiveSheet(0)
	bw := bufio.NewWriterSize(w, 1<<20)
	// Zip straight to w: a million-row category sheet never sits in memory as a zip.
	xf.SetZipWriter(func(io.Writer) excelize.ZipWriter { return newRecZip(bw) })
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

type recStyles struct{ bold, text, title, num, bad, good int }

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
	s.num = mk(&excelize.Style{NumFmt: 3}) // #,##0
	s.bad = mk(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "9C0006"}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}}})
	s.good = mk(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "006100"}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"C6EFCE"}}})
	return s, err
}

func recWidth(c ReconciliationColumn) float64 {
	if c.Width > 0 {
		return c.Width
	}
	return float64(min(max(len(c.Name)+2, 10), 40))
}

// recWriteSheet streams one category's rows onto its sheet(s).
func recWriteSheet(xf *excelize.File, st recStyles, s ReconciliationSheet, limit int) error {
	var sw *excelize.StreamWriter
	sheetN, rowN := 0, 0
	start := func() error {
		if sw != nil {
			if err := sw.Flush(); err != nil {
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
		if sw, err = xf.NewStreamWriter(name); err != nil {
			return err
		}
		for i, c := range s.Columns {
			if err := sw.SetColWidth(i+1, i+1, recWidth(c)); err != nil {
				return err
			}
			if c.Text {
				if err := sw.SetColStyle(i+1, i+1, st.text); err != nil {
					return err
				}
			}
		}
		if err := resFreezeHeader(sw); err != nil {
			return err
		}
		hdr := make([]any, len(s.Columns))
		for i, c := range s.Columns {
			hdr[i] = excelize.Cell{StyleID: st.bold, Value: c.Name}
		}
		if err := sw.SetRow("A1", hdr); err != nil {
			return err
		}
		rowN = 1
		return nil
	}
	if err := start(); err != nil {
		return err
	}
	out := make([]any, len(s.Columns))
	if s.Rows != nil {
		for cells := range s.Rows {
			if rowN >= limit {
				if err := start(); err != nil {
					return err
				}
			}
			rowN++
			for i := range out {
				out[i] = nil
				if i >= len(cells) {
					continue
				}
				switch v := cells[i].(type) {
				case string:
					if v != "" {
						if s.Columns[i].Text {
							out[i] = excelize.Cell{StyleID: st.text, Value: SafeText(v)}
						} else {
							out[i] = SafeText(v)
						}
					}
				case int64, int:
					out[i] = v
				case nil:
				default:
					return fmt.Errorf("row %d column %s: unsupported cell type %T", rowN, s.Columns[i].Name, v)
				}
			}
			cell, _ := excelize.CoordinatesToCellName(1, rowN)
			if err := sw.SetRow(cell, out); err != nil {
				return err
			}
		}
	}
	return sw.Flush()
}

// recWriteSummary fills the Summary sheet and its chart.
func recWriteSummary(xf *excelize.File, st recStyles, sum ReconciliationSummary) error {
	const sh = ReconciliationSummarySheet
	row := 0
	var err error
	set := func(col int, v any, style int) {
		if err != nil {
			return
		}
		cell, _ := excelize.CoordinatesToCellName(col, row)
		if s, ok := v.(string); ok {
			v = SafeText(s)
		}
		if err = xf.SetCellValue(sh, cell, v); err != nil {
			return
		}
		if style != 0 {
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
	line(st.title, "Reconciliation")
	line(0, "As of", sum.AsOf.UTC().Format(time.RFC3339))
	row++
	line(st.bold, "Input", "File", "SHA-256", "Rows")
	for _, in := range sum.Inputs {
		var rows any
		if in.Rows >= 0 {
			rows = in.Rows
		}
		line(0, in.Role, in.Name, in.SHA256, rows)
	}
	row++
	line(st.bold, "Category", "Count", "Amount (fen)", "Expected (fen)", "Actual (fen)", "Difference (fen)")
	catFirst := row + 1
	for _, c := range sum.Categories {
		line(0, c.Name, c.Count, c.Amount, c.Expected, c.Actual, c.Difference)
	}
	catLast := row
	if len(sum.Categories) > 0 && err == nil {
		from, _ := excelize.CoordinatesToCellName(3, catFirst)
		to, _ := excelize.CoordinatesToCellName(6, catLast)
		err = xf.SetCellStyle(sh, from, to, st.num)
	}
	row++
	line(st.bold, "Net-difference statement")
	line(0, "Expected total (fen)", sum.ExpectedTotal)
	line(0, "Actual total (fen)", sum.ActualTotal)
	line(0, "Net difference = actual − expected (fen)", sum.NetDifference)
	line(0, "Sum of category differences (fen)", sum.DifferenceSum)
	explained, style := "yes", st.good
	if !sum.Explained {
		explained, style = "NO", st.bad
	}
	line(0, "Explained")
	set(2, explained, style)
	for _, s := range sum.Statement {
		line(0, s)
	}
	if len(sum.Params) > 0 {
		row++
		line(st.bold, "Parameter", "Value")
		for _, p := range sum.Params {
			line(0, p[0], p[1])
		}
	}
	if err != nil {
		return err
	}
	for col, w := range []float64{38, 44, 66, 14, 14, 16} {
		name, _ := excelize.ColumnNumberToName(col + 1)
		if err := xf.SetColWidth(sh, name, name, w); err != nil {
			return err
		}
	}
	if len(sum.Categories) == 0 {
		return nil
	}
	ref := func(col int) string {
		c, _ := excelize.ColumnNumberToName(col)
		return "'" + sh + "'!$" + c + "$" + strconv.Itoa(catFirst) + ":$" + c + "$" + strconv.Itoa(catLast)
	}
	noLegend := excelize.ChartLegend{Position: "none"}
	return xf.AddChart(sh, "H2", &excelize.Chart{
		Type:   excelize.Bar,
		Series: []excelize.ChartSeries{{Name: "'" + sh + "'!$B$" + strconv.Itoa(catFirst-1), Categories: ref(1), Values: ref(2)}},
		Title:  excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "Rows per category"}}},
		Legend: noLegend,
		Format: excelize.GraphicOptions{ScaleX: 1.2, ScaleY: 1.2},
	})
}
