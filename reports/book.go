package reports

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// book is what every workbook svbatch writes shares on top of excelize: quote-prefixed variants of
// its styles (formula safety without changing the text), the true <dimension> of every sheet, exact
// decimal numbers in streamed sheets, autofilters and page setup. A book is not safe for
// concurrent use.
//
// excelize's StreamWriter writes <dimension ref="A1"/> before the first row, and streamed cells
// can only be numbers through a float64. So a streamed sheet starts with a placeholder dimension
// unique to it, and its decimal cells are written as inline strings in a style of their own; when
// the workbook is zipped, bookZip rewrites both in the sheet's XML as it streams by: the real
// dimension, and <v>digits</v> numbers holding exactly the decimal text (yuan amounts).
type book struct {
	f     *excelize.File
	quote map[int]int // style → its quotePrefix variant
	// dims maps a streamed sheet's placeholder dimension to the real one (set by streamSheet.finish).
	dims map[string]string
	nph  int
	// numStyles are the styles whose inline strings are decimal numbers to write as numbers.
	numStyles []int
}

func newBook(f *excelize.File) *book {
	return &book{f: f, quote: map[int]int{}, dims: map[string]string{}}
}

// quoteStyle returns the variant of style base with Excel's quotePrefix attribute: the cell's text
// is shown as it is (no apostrophe) and never taken for a formula, even when edited.
// excelize's Style has no quotePrefix, and NewStyle would return base for the same definition, so
// the variant is a copy of base's cell format appended to the workbook's cellXfs (NewStyle keeps
// returning base, the first match, for the plain definition).
func (b *book) quoteStyle(base int) (int, error) {
	if id, ok := b.quote[base]; ok {
		return id, nil
	}
	if b.f.Styles == nil || b.f.Styles.CellXfs == nil {
		if _, err := b.f.NewStyle(&excelize.Style{}); err != nil { // loads the style sheet
			return 0, err
		}
	}
	xfs := b.f.Styles.CellXfs
	if base < 0 || base >= len(xfs.Xf) {
		return 0, fmt.Errorf("style %d: no such cell format", base)
	}
	xf := xfs.Xf[base]
	on := true
	xf.QuotePrefix = &on
	xfs.Xf = append(xfs.Xf, xf)
	xfs.Count = len(xfs.Xf)
	id := len(xfs.Xf) - 1
	b.quote[base] = id
	return id, nil
}

// NeedsQuote reports whether a spreadsheet would take text s for a formula (it starts with
// = + - @, or a tab or CR that Excel strips before looking) and it is not a plain number.
// Workbooks style such cells with quotePrefix; CSV outputs prefix them with "'" (SafeText).
func NeedsQuote(s string) bool { return s != "" && SafeText(s) != s }

// text returns user text s as a cell in style base: in base's quotePrefix variant when s starts
// like a formula, the text itself unchanged. nil for "".
func (b *book) text(s string, base int) (any, error) {
	if s == "" {
		return nil, nil
	}
	if !NeedsQuote(s) {
		if base == 0 {
			return s, nil
		}
		return excelize.Cell{StyleID: base, Value: s}, nil
	}
	q, err := b.quoteStyle(base)
	if err != nil {
		return nil, err
	}
	return excelize.Cell{StyleID: q, Value: s}, nil
}

// setText sets a cell of a non-streamed sheet to user text s, in style base (quote-prefixed when
// s starts like a formula).
func (b *book) setText(sheet, cell, s string, base int) error {
	if err := b.f.SetCellStr(sheet, cell, s); err != nil {
		return err
	}
	style := base
	if NeedsQuote(s) {
		var err error
		if style, err = b.quoteStyle(base); err != nil {
			return err
		}
	}
	if style == 0 {
		return nil
	}
	return b.f.SetCellStyle(sheet, cell, cell, style)
}

// numStyle registers style as holding exact decimal numbers in streamed sheets (see book).
func (b *book) numStyle(style int) {
	for _, s := range b.numStyles {
		if s == style {
			return
		}
	}
	b.numStyles = append(b.numStyles, style)
}

// pageSetup is how svbatch's sheets print: landscape A4, one page wide and as many long as
// needed, the header row(s) repeated on every page, page numbers in the footer.
func (b *book) pageSetup(sheet string, titleRows int) error {
	f := b.f
	landscape, a4, one, auto := "landscape", 9, 1, 0
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Size: &a4, Orientation: &landscape, FitToWidth: &one, FitToHeight: &auto}); err != nil {
		return err
	}
	if err := f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{OddFooter: "&L&A&R&P / &N"}); err != nil {
		return err
	}
	if titleRows > 0 {
		return f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", Scope: sheet,
			RefersTo: fmt.Sprintf("'%s'!$1:$%d", strings.ReplaceAll(sheet, "'", "''"), titleRows)})
	}
	return nil
}

func fitToPage(f *excelize.File, sheet string) error {
	on := true
	return f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &on})
}

// finishSheet ends a sheet written cell by cell (not streamed): its real dimension, an autofilter
// over the header row and the data when filter is set, the page setup.
func (b *book) finishSheet(sheet string, filter bool, titleRows int) error {
	f := b.f
	rows, err := f.GetRows(sheet)
	if err != nil {
		return err
	}
	lastRow, lastCol := 0, 0
	for i, r := range rows {
		if len(r) > 0 {
			lastRow = i + 1
			lastCol = max(lastCol, len(r))
		}
	}
	ref := "A1"
	if lastRow > 0 {
		end, _ := excelize.CoordinatesToCellName(max(lastCol, 1), lastRow)
		ref = "A1:" + end
	}
	if ref == "A1:A1" {
		ref = "A1"
	}
	if err := f.SetSheetDimension(sheet, ref); err != nil {
		return err
	}
	if filter && lastRow > 0 {
		if err := f.AutoFilter(sheet, "A1:"+strings.TrimPrefix(ref, "A1:"), nil); err != nil {
			return err
		}
	}
	// After AutoFilter, which replaces the sheet's properties.
	if err := fitToPage(f, sheet); err != nil {
		return err
	}
	return b.pageSetup(sheet, titleRows)
}

// streamSheet is a sheet written with excelize's StreamWriter that keeps its extent.
type streamSheet struct {
	b       *book
	sw      *excelize.StreamWriter
	name    string
	ph      string // placeholder dimension
	lastRow int
	lastCol int
}

// newStream starts streaming sheet (which must exist): fit to the page width and a placeholder
// dimension are set now, because the StreamWriter writes them before the first row.
func (b *book) newStream(sheet string) (*streamSheet, error) {
	if err := fitToPage(b.f, sheet); err != nil {
		return nil, err
	}
	b.nph++
	ph := "A1:XFD" + strconv.Itoa(1000000+b.nph)
	if err := b.f.SetSheetDimension(sheet, ph); err != nil {
		return nil, err
	}
	sw, err := b.f.NewStreamWriter(sheet)
	if err != nil {
		return nil, err
	}
	b.dims[ph] = "A1"
	return &streamSheet{b: b, sw: sw, name: sheet, ph: ph}, nil
}

// setRow writes row r (1-based, increasing) and keeps the sheet's extent.
func (s *streamSheet) setRow(r int, cells []any, opts ...excelize.RowOpts) error {
	cell, err := excelize.CoordinatesToCellName(1, r)
	if err != nil {
		return err
	}
	if err := s.sw.SetRow(cell, cells, opts...); err != nil {
		return err
	}
	for n := len(cells); n > 0; n-- {
		if !emptyCell(cells[n-1]) {
			s.lastRow = r
			s.lastCol = max(s.lastCol, n)
			break
		}
	}
	return nil
}

// emptyCell reports whether a streamed cell value holds nothing (a style alone does not count
// towards the sheet's extent).
func emptyCell(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case excelize.Cell:
		return emptyCell(v.Value)
	case *excelize.Cell:
		return v == nil || emptyCell(v.Value)
	}
	return false
}

// ref is the range the sheet's cells cover.
func (s *streamSheet) ref() string {
	if s.lastRow == 0 || (s.lastRow == 1 && s.lastCol <= 1) {
		return "A1"
	}
	end, _ := excelize.CoordinatesToCellName(s.lastCol, s.lastRow)
	return "A1:" + end
}

// finish ends the sheet: an autofilter over the header and the rows when filter is set, the page
// setup with titleRows repeated, and the real dimension; then it flushes the stream.
func (s *streamSheet) finish(filter bool, titleRows int) error {
	ref := s.ref()
	if filter && s.lastCol > 0 {
		end, _ := excelize.CoordinatesToCellName(s.lastCol, max(s.lastRow, 1))
		if err := s.b.f.AutoFilter(s.name, "A1:"+end, nil); err != nil {
			return err
		}
	}
	if err := s.b.pageSetup(s.name, titleRows); err != nil {
		return err
	}
	s.b.dims[s.ph] = ref
	return s.sw.Flush()
}

// zipper returns the excelize ZipWriter factory that writes the book through zw: every worksheet
// part passes bookZip's rewriting (see book).
func (b *book) zipper(zw func(io.Writer) excelize.ZipWriter) func(io.Writer) excelize.ZipWriter {
	return func(w io.Writer) excelize.ZipWriter { return &bookZip{b: b, zw: zw(w)} }
}

// fastZip is a zip writer on w with fast deflate: workbooks of a million rows are written in
// seconds, at some cost in size.
func fastZip(w io.Writer) excelize.ZipWriter {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	return zw
}

// bookZip is the ZipWriter that rewrites worksheet parts as they are written (see book).
type bookZip struct {
	b   *book
	zw  excelize.ZipWriter
	cur *sheetPatch
}

func (z *bookZip) Create(name string) (io.Writer, error) {
	if err := z.endPart(); err != nil {
		return nil, err
	}
	w, err := z.zw.Create(name)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(name, "xl/worksheets/sheet") || !strings.HasSuffix(name, ".xml") {
		return w, nil
	}
	p := &sheetPatch{w: w, dims: z.b.dims, head: true}
	for _, s := range z.b.numStyles {
		p.markers = append(p.markers, []byte(` s="`+strconv.Itoa(s)+`" t="inlineStr"><is><t>`))
		p.repl = append(p.repl, []byte(` s="`+strconv.Itoa(s)+`"><v>`))
	}
	z.cur = p
	return p, nil
}

func (z *bookZip) endPart() error {
	if z.cur == nil {
		return nil
	}
	p := z.cur
	z.cur = nil
	return p.flush()
}

func (z *bookZip) AddFS(fsys fs.FS) error { return z.zw.AddFS(fsys) }

func (z *bookZip) Close() error {
	if err := z.endPart(); err != nil {
		_ = z.zw.Close()
		return err
	}
	return z.zw.Close()
}

// sheetPatch rewrites one worksheet part as it streams by: the placeholder dimension near its
// start, and the inline-string cells of the number styles into numbers. It holds back only what
// could be the start of an unfinished match.
type sheetPatch struct {
	w       io.Writer
	dims    map[string]string
	head    bool // the dimension is still to be found
	markers [][]byte
	repl    [][]byte
	buf     []byte
	err     error
}

const (
	dimOpen   = `<dimension ref="`
	inlineEnd = `</t></is></c>`
	headLimit = 16 << 10 // the dimension comes within the first bytes of a worksheet part
)

func (p *sheetPatch) Write(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	p.buf = append(p.buf, b...)
	if p.head && !p.patchHead(false) {
		return len(b), nil
	}
	if err := p.convert(false); err != nil {
		p.err = err
		return 0, err
	}
	return len(b), nil
}

func (p *sheetPatch) flush() error {
	if p.err != nil {
		return p.err
	}
	if p.head {
		p.patchHead(true)
	}
	return p.convert(true)
}

// patchHead replaces a placeholder dimension; it reports false while more bytes are needed.
func (p *sheetPatch) patchHead(final bool) bool {
	i := bytes.Index(p.buf, []byte(dimOpen))
	if i < 0 {
		if !final && len(p.buf) < headLimit && !bytes.Contains(p.buf, []byte("<sheetData")) {
			return false
		}
		p.head = false
		return true
	}
	at := i + len(dimOpen)
	j := bytes.IndexByte(p.buf[at:], '"')
	if j < 0 {
		if !final && len(p.buf) < headLimit {
			return false
		}
		p.head = false
		return true
	}
	if ref, ok := p.dims[string(p.buf[at:at+j])]; ok {
		nb := make([]byte, 0, len(p.buf)+len(ref))
		nb = append(nb, p.buf[:at]...)
		nb = append(nb, ref...)
		nb = append(nb, p.buf[at+j:]...)
		p.buf = nb
	}
	p.head = false
	return true
}

// convert writes out what it can of buf, turning the number styles' inline strings into numbers.
// The unchanged stretches are written straight from buf, not copied.
func (p *sheetPatch) convert(final bool) error {
	pos := 0
	write := func(b []byte) {
		if p.err == nil && len(b) > 0 {
			_, p.err = p.w.Write(b)
		}
	}
	next := make([]int, len(p.markers)) // next match of each marker at or after pos; -1 none
	for k := range next {
		next[k] = -2 // not searched yet
	}
	hold := len(p.buf) // where the unwritten tail starts
	for len(p.markers) > 0 && p.err == nil {
		mi, start := -1, -1
		for k, m := range p.markers {
			if next[k] == -2 || (next[k] >= 0 && next[k] < pos) {
				if i := bytes.Index(p.buf[pos:], m); i >= 0 {
					next[k] = pos + i
				} else {
					next[k] = -1
				}
			}
			if next[k] >= 0 && (start < 0 || next[k] < start) {
				mi, start = k, next[k]
			}
		}
		if mi < 0 {
			break
		}
		vstart := start + len(p.markers[mi])
		e := bytes.Index(p.buf[vstart:], []byte(inlineEnd))
		if e < 0 {
			if !final {
				hold = start // an unfinished cell: wait for the rest
			}
			break
		}
		val := p.buf[vstart : vstart+e]
		end := vstart + e + len(inlineEnd)
		if isDecimalText(val) {
			write(p.buf[pos:start])
			write(p.repl[mi])
			write(val)
			write([]byte("</v></c>"))
		} else {
			write(p.buf[pos:end])
		}
		pos = end
	}
	if hold == len(p.buf) && !final {
		// No unfinished cell: keep back what could be the start of a marker.
		keep := 0
		for _, m := range p.markers {
			keep = max(keep, len(m)-1)
		}
		hold = max(pos, len(p.buf)-keep)
	}
	if final {
		hold = len(p.buf)
	}
	write(p.buf[pos:hold])
	if p.err != nil {
		return p.err
	}
	p.buf = append(p.buf[:0], p.buf[hold:]...)
	return nil
}

// isDecimalText reports whether b is an optionally negative decimal number: digits, and at most
// one '.' followed by digits.
func isDecimalText(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	if len(b) == 0 || b[0] == '.' || b[len(b)-1] == '.' {
		return false
	}
	dot := false
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return true
}
