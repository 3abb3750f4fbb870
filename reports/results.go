package reports

import (
	"bufio"
	"encoding/binary"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"svbatch"
)

// ResultsColumns is the fixed header of the Results sheet (and of the results CSV), in order:
// the names of svbatch.ResultColumns, which define the layout.
var ResultsColumns = svbatch.ResultColumnNames()

// Sheet names of the results workbook. Results sheets past the first are named "Results (2)", "Results (3)", ….
const (
	ResultsSheet = "Results"
	SummarySheet = "Summary"
	RetrySheet   = "Retry"
)

// MaxSheetRows is Excel's row limit per sheet, the default ResultsOptions.SheetRowLimit.
const MaxSheetRows = 1048576

// RunInfo is what the Summary sheet says about the run. It must never carry the secret; as a second
// line of defence a parameter whose name mentions "secret" is shown as "(redacted)".
type RunInfo struct {
	// Params are ordered name/value pairs: input, gateway, app key, qps, concurrency, started,
	// finished, outcome …
	Params [][2]string
}

// ResultsOptions tunes a Results writer.
type ResultsOptions struct {
	// SheetRowLimit is the number of rows per Results (and Retry) sheet, header included;
	// 0 means MaxSheetRows. Smaller values exist for tests of the sheet continuation.
	SheetRowLimit int
	// Lang is the language of headers, sheet names, statuses and labels: "" means RunInfo's
	// ParamLanguage, else the language of the input's header (svbatch.HeaderLang).
	Lang svbatch.Lang
	// TZ is the one time zone of every time in the workbook: nil means RunInfo's ParamTimeZone,
	// else GMT+8 (svbatch.GMT8).
	TZ *time.Location
}

// Results writes a results file: .xlsx (sheets Results, Results (2) …, Summary, Retry) or .csv
// (the Results sheet only, UTF-8 with BOM), chosen by the path's extension. Rows are written in the
// order given; the caller gives them in line order.
//
// Memory stays bounded whatever the row count: Results and Retry rows are streamed to temporary
// files and the workbook is zipped straight to disk. The file appears at path only when Close
// succeeds (it is written beside it and renamed). A Results is not safe for concurrent use.
type Results struct {
	path        string
	inputHeader []string
	extraHeader []string
	info        RunInfo
	limit       int
	lang        svbatch.Lang
	tz          *time.Location
	// retryKeep are the input columns the Retry sheet repeats: all but svbatch's own Retry columns
	// of a Retry sheet sent again; srcCol is the input's source_row column (-1: none).
	retryKeep []int
	srcCol    int

	sum    resSummary
	row    []any    // reused cell values of one Results row
	strRow []string // reused CSV row
	err    error    // first write error; sticky
	closed bool

	// CSV form.
	csvFile *os.File
	csvBuf  *bufio.Writer
	csvW    *csv.Writer

	// XLSX form.
	xf        *excelize.File
	b         *book
	sw        *streamSheet // the current Results sheet
	sheetN    int          // number of Results sheets started
	sheetRow  int          // last row written on the current Results sheet
	boldStyle int
	textStyle int
	st        resStyles
	colBase   []int    // each Results column's base style (its quote-prefixed variant for formula-like text)
	retryFile *os.File // Retry rows (the input's raw cells), spooled; Close copies them to the Retry sheet
	retryBuf  *bufio.Writer
	retryRows int
	gone      []GoneRow // SetGone
}

// NewResults creates a results writer for path (.xlsx or .csv). inputHeader is the input file's header
// as read (the Retry sheet repeats it); extraHeader names the pass-through columns whose cells come in
// svbatch.Result.Extra. The file appears only when Close succeeds.
func NewResults(path string, inputHeader, extraHeader []string, info RunInfo, opt ResultsOptions) (*Results, error) {
	limit := opt.SheetRowLimit
	if limit == 0 {
		limit = MaxSheetRows
	}
	if limit < 2 || limit > MaxSheetRows {
		return nil, fmt.Errorf("results %s: sheet row limit %d out of range 2..%d", path, opt.SheetRowLimit, MaxSheetRows)
	}
	if n := len(ResultsColumns) + len(extraHeader); n > excelize.MaxColumns {
		return nil, fmt.Errorf("results %s: %d columns exceed the sheet limit of %d", path, n, excelize.MaxColumns)
	}
	w := &Results{
		path:        path,
		inputHeader: append([]string(nil), inputHeader...),
		extraHeader: append([]string(nil), extraHeader...),
		info:        info,
		limit:       limit,
		sum:         newResSummary(),
		row:         make([]any, len(ResultsColumns)+len(extraHeader)),
		srcCol:      -1,
	}
	var err error
	if w.lang, w.tz, err = resLangZone(info, inputHeader, opt); err != nil {
		return nil, fmt.Errorf("results %s: %w", path, err)
	}
	for i, h := range w.inputHeader {
		if !svbatch.IsRetryColumn(h) {
			w.retryKeep = append(w.retryKeep, i)
		} else if n, _ := svbatch.ResultColumnName(h); n == svbatch.ColSourceRow {
			w.srcCol = i
		}
	}
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv":
		err = w.resOpenCSV()
	case ".xlsx":
		err = w.resOpenXLSX()
	default:
		return nil, fmt.Errorf("results %s: unsupported extension %q (want .xlsx or .csv)", path, ext)
	}
	if err != nil {
		w.resCleanup()
		return nil, fmt.Errorf("results %s: %w", path, err)
	}
	return w, nil
}

// resOpenCSV starts the CSV form: a temporary file beside path, BOM and header.
func (w *Results) resOpenCSV() error {
	f, err := resCreateTemp(w.path)
	if err != nil {
		return err
	}
	w.csvFile = f
	w.csvBuf = bufio.NewWriterSize(f, 256<<10)
	w.csvW = csv.NewWriter(w.csvBuf)
	w.strRow = make([]string, len(ResultsColumns)+len(w.extraHeader))
	if _, err := w.csvBuf.WriteString("\uFEFF"); err != nil {
		return err
	}
	hdr := make([]string, 0, len(ResultsColumns)+len(w.extraHeader))
	for _, c := range ResultsColumns {
		hdr = append(hdr, w.lang.Label(c))
	}
	for _, h := range w.extraHeader {
		hdr = append(hdr, SafeText(h))
	}
	return w.csvW.Write(hdr)
}

// resLangZone decides the workbook's language and time zone: the options, else the run's
// parameters, else the input header's language and GMT+8.
func resLangZone(info RunInfo, inputHeader []string, opt ResultsOptions) (svbatch.Lang, *time.Location, error) {
	lang, tz := opt.Lang, opt.TZ
	for _, p := range info.Params {
		switch {
		case p[0] == ParamLanguage && lang == "" && p[1] != "":
			l, err := svbatch.ParseLang(p[1])
			if err != nil {
				return "", nil, err
			}
			lang = l
		case p[0] == ParamTimeZone && tz == nil && p[1] != "":
			z, err := svbatch.ParseZone(p[1])
			if err != nil {
				return "", nil, err
			}
			tz = z
		}
	}
	if lang == "" {
		lang = svbatch.HeaderLang(inputHeader)
	}
	if tz == nil {
		tz = svbatch.GMT8
	}
	return lang, tz, nil
}

// resStyles are the Results workbook's cell styles.
type resStyles struct {
	fen, yuan, date, retryHead, int int
}

// resOpenXLSX starts the workbook: styles, the first Results sheet, the Retry spool.
func (w *Results) resOpenXLSX() error {
	w.xf = excelize.NewFile()
	w.b = newBook(w.xf)
	if err := w.xf.SetSheetName("Sheet1", ResultsSheetName(w.lang)); err != nil {
		return err
	}
	var err error
	if w.boldStyle, err = w.xf.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"},
	}); err != nil {
		return err
	}
	// "@" (text) on id columns: a value the user types or fixes there stays text ("0012" keeps its zeros).
	if w.textStyle, err = w.xf.NewStyle(&excelize.Style{NumFmt: 49}); err != nil {
		return err
	}
	if w.st, err = resNewStyles(w.xf); err != nil {
		return err
	}
	w.b.numStyle(w.st.yuan)
	w.colBase = make([]int, len(ResultsColumns)+len(w.extraHeader))
	for i, c := range svbatch.ResultColumns {
		switch {
		case resTextColumns[c.Name]:
			w.colBase[i] = w.textStyle
		}
	}
	for i := range w.extraHeader {
		w.colBase[len(ResultsColumns)+i] = w.textStyle
	}
	if w.retryFile, err = os.CreateTemp("", "svbatch-retry-*"); err != nil {
		return err
	}
	w.retryBuf = bufio.NewWriterSize(w.retryFile, 64<<10)
	return w.resNextSheet()
}

// resNewStyles makes the number, amount and date styles. The yuan style is used for nothing
// else: its streamed cells become exact numbers (book.numStyle).
func resNewStyles(f *excelize.File) (resStyles, error) {
	var s resStyles
	var err error
	mk := func(st *excelize.Style) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = f.NewStyle(st)
		return id
	}
	dateFmt := "yyyy-mm-dd hh:mm:ss"
	s.fen = mk(&excelize.Style{NumFmt: 3})  // #,##0
	s.yuan = mk(&excelize.Style{NumFmt: 4}) // #,##0.00
	s.date = mk(&excelize.Style{CustomNumFmt: &dateFmt})
	s.int = mk(&excelize.Style{NumFmt: 1}) // 0
	s.retryHead = mk(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "595959"},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"EDEDED"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	return s, err
}

// resColWidth is each fixed column's width in characters.
var resColWidth = map[string]float64{
	"row": 7, "brand_id": 14, "shop_id": 14, "operator_id": 14, "outer_order_id": 22,
	"new_outer_order_id": 22, "operate_type": 13, "change_value": 14, "change_value_yuan": 16, "customer_id": 20, "mobile": 15,
	"outer_id": 20, "outer_type": 11, "reason": 24, "request_id": 34, "status": 13, "note": 40,
	"attempts": 9, "biz_success": 12, "result": 9, "result_code": 12, "result_desc": 24, "error_code": 11,
	"error_msg": 30, "error_sub_code": 28, "error_sub_msg": 40, "trace_id": 18, "latency_ms": 11,
	"finished_at": 20,
}

// resTextColumns are the Results columns holding ids and codes: formatted as text.
var resTextColumns = map[string]bool{
	"brand_id": true, "shop_id": true, "operator_id": true, "outer_order_id": true,
	"new_outer_order_id": true, "customer_id": true, "mobile": true, "outer_id": true,
	"request_id": true, "result_code": true, "trace_id": true,
}

// resHeaderWidth is a width that fits a header of free text: CJK characters count double.
func resHeaderWidth(s string) float64 {
	n := 0
	for _, r := range s {
		if r >= 0x2E80 {
			n += 2
		} else {
			n++
		}
	}
	return float64(min(max(n+2, 10), 40))
}

// resNextSheet flushes the current Results sheet, if any, and starts the next one with its header.
func (w *Results) resNextSheet() error {
	if w.sw != nil {
		if err := w.sw.finish(true, 1); err != nil {
			return fmt.Errorf("sheet %s: %w", w.sw.name, err)
		}
		w.sw = nil
	}
	w.sheetN++
	name := ResultsSheetName(w.lang)
	if w.sheetN > 1 {
		name = fmt.Sprintf("%s (%d)", name, w.sheetN)
		if _, err := w.xf.NewSheet(name); err != nil {
			return fmt.Errorf("sheet %s: %w", name, err)
		}
	}
	ss, err := w.b.newStream(name)
	if err != nil {
		return fmt.Errorf("sheet %s: %w", name, err)
	}
	sw := ss.sw
	for i, c := range svbatch.ResultColumns {
		width := max(resColWidth[c.Name], resHeaderWidth(w.lang.Label(c.Name)))
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return err
		}
		style := w.colBase[i]
		switch c.Kind {
		case svbatch.KindNumber:
			style = w.st.int
			if c.Name == svbatch.ColChangeValue {
				style = w.st.fen
			}
		case svbatch.KindTime:
			style = w.st.date
		}
		if style != 0 {
			if err := sw.SetColStyle(i+1, i+1, style); err != nil {
				return err
			}
		}
	}
	for i, h := range w.extraHeader {
		col := len(ResultsColumns) + i + 1
		if err := sw.SetColWidth(col, col, resHeaderWidth(h)); err != nil {
			return err
		}
		if err := sw.SetColStyle(col, col, w.textStyle); err != nil {
			return err
		}
	}
	if err := resFreezeHeader(sw); err != nil {
		return err
	}
	hdr := make([]any, 0, len(ResultsColumns)+len(w.extraHeader))
	for _, c := range ResultsColumns {
		hdr = append(hdr, excelize.Cell{StyleID: w.boldStyle, Value: w.lang.Label(c)})
	}
	for _, h := range w.extraHeader {
		c, err := w.b.text(h, w.boldStyle)
		if err != nil {
			return err
		}
		hdr = append(hdr, c)
	}
	if err := ss.setRow(1, hdr); err != nil {
		return fmt.Errorf("sheet %s: header: %w", name, err)
	}
	w.sw, w.sheetRow = ss, 1
	return nil
}

// resFreezeHeader freezes the first row of a streamed sheet.
func resFreezeHeader(sw *excelize.StreamWriter) error {
	return sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	})
}

// SetInfo replaces the run information the Summary sheet shows (the caller may learn the outcome
// only at the end).
func (w *Results) SetInfo(info RunInfo) { w.info = info }

// Write appends one row's result. Errors are sticky: after one, every later Write returns it.
func (w *Results) Write(r *svbatch.Result) error {
	if w.closed {
		return fmt.Errorf("results %s: write after close", w.path)
	}
	if w.err != nil {
		return w.err
	}
	if r == nil {
		return fmt.Errorf("results %s: nil result", w.path)
	}
	if err := w.resWrite(r); err != nil {
		w.err = fmt.Errorf("results %s: row %d: %w", w.path, r.Line, err)
		return w.err
	}
	w.sum.add(r)
	return nil
}

func (w *Results) resWrite(r *svbatch.Result) error {
	if w.csvW != nil {
		w.resFillCSV(r)
		return w.csvW.Write(w.strRow)
	}
	if err := w.resFillRow(r); err != nil {
		return err
	}
	if w.sheetRow >= w.limit {
		if err := w.resNextSheet(); err != nil {
			return err
		}
	}
	w.sheetRow++
	if err := w.sw.setRow(w.sheetRow, w.row); err != nil {
		return err
	}
	if r.NeedsAttention() {
		w.retryRows++
		return resWriteSpool(w.retryBuf, w.retryRecord(r))
	}
	return nil
}

// resText is r's text cell of column c as the workbook shows it: statuses and notes in the
// workbook's language, the rest as it is.
func (w *Results) resText(name, s string, r *svbatch.Result) string {
	switch name {
	case svbatch.ColStatus:
		return w.lang.StatusLabel(svbatch.Status(s))
	case svbatch.ColNote:
		if w.lang == svbatch.LangZH {
			if zh, ok := noteZH[s]; ok {
				return zh
			}
			if r.NeedsAttention() {
				return RetryReason(r, w.lang)
			}
		}
	}
	return s
}

// resFillRow puts r's cells, in ResultsColumns order then the pass-through cells, into w.row:
// int64 numbers, booleans, date-time cells in the workbook's zone, yuan as exact decimal text in
// the yuan style (a number once zipped), text as it is (quote-prefixed when it starts like a
// formula), nil for an empty cell.
func (w *Results) resFillRow(r *svbatch.Result) error {
	row := w.row
	for i, c := range svbatch.ResultColumns {
		v, ok := c.Cell(r)
		if !ok {
			row[i] = nil
			continue
		}
		switch c.Kind {
		case svbatch.KindText:
			cell, err := w.b.text(w.resText(c.Name, v.(string), r), w.colBase[i])
			if err != nil {
				return err
			}
			row[i] = cell
		case svbatch.KindNumber:
			row[i] = v.(int64)
		case svbatch.KindYuan:
			row[i] = excelize.Cell{StyleID: w.st.yuan, Value: svbatch.FormatYuan(v.(int64))}
		case svbatch.KindBool:
			row[i] = v.(bool)
		case svbatch.KindTime:
			row[i] = excelize.Cell{StyleID: w.st.date, Value: v.(time.Time).In(w.tz)} // one zone in the workbook
		}
	}
	n := len(ResultsColumns)
	for i := range w.extraHeader {
		row[n+i] = nil
		if i < len(r.Extra) {
			cell, err := w.b.text(r.Extra[i], w.textStyle)
			if err != nil {
				return err
			}
			row[n+i] = cell
		}
	}
	return nil
}

// resFillCSV puts r's cells into w.strRow as CSV text: user text through SafeText (the "'" before
// text that starts like a formula), yuan with two decimals, times in RFC 3339 in the zone.
func (w *Results) resFillCSV(r *svbatch.Result) {
	for i, c := range svbatch.ResultColumns {
		v, ok := c.Cell(r)
		if !ok {
			w.strRow[i] = ""
			continue
		}
		switch c.Kind {
		case svbatch.KindText:
			w.strRow[i] = SafeText(w.resText(c.Name, v.(string), r))
		case svbatch.KindNumber:
			w.strRow[i] = strconv.FormatInt(v.(int64), 10)
		case svbatch.KindYuan:
			w.strRow[i] = svbatch.FormatYuan(v.(int64))
		case svbatch.KindBool:
			w.strRow[i] = strconv.FormatBool(v.(bool))
		case svbatch.KindTime:
			w.strRow[i] = v.(time.Time).In(w.tz).Format(time.RFC3339)
		}
	}
	n := len(ResultsColumns)
	for i := range w.extraHeader {
		w.strRow[n+i] = ""
		if i < len(r.Extra) {
			w.strRow[n+i] = SafeText(r.Extra[i])
		}
	}
}

// retryRecord is r's line on the Retry sheet: svbatch's own columns (the row in the original file,
// the status, the reason), then the input's cells as read, without svbatch's own columns of a
// Retry sheet sent again.
func (w *Results) retryRecord(r *svbatch.Result) []string {
	src := strconv.Itoa(r.Line)
	if w.srcCol >= 0 && w.srcCol < len(r.Raw) {
		if s := strings.TrimSpace(r.Raw[w.srcCol]); s != "" && s[0] != '0' && svbatch.AllDigits(s) {
			src = s // the row of the file the first round read
		}
	}
	rec := make([]string, 0, len(svbatch.RetryColumns)+len(w.retryKeep))
	rec = append(rec, src, w.lang.StatusLabel(r.Status), RetryReason(r, w.lang))
	for _, i := range w.retryKeep {
		v := ""
		if i < len(r.Raw) {
			v = r.Raw[i]
		}
		rec = append(rec, v)
	}
	return rec
}

// Close writes the Summary and Retry sheets, saves the file and removes the temporary files. It
// returns the first write error or the save error; the file exists at path only when it returns nil.
func (w *Results) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	defer w.resCleanup()
	if w.err != nil {
		return w.err
	}
	var err error
	if w.csvW != nil {
		err = w.resCloseCSV()
	} else {
		err = w.resCloseXLSX()
	}
	if err != nil {
		return fmt.Errorf("results %s: %w", w.path, err)
	}
	return nil
}

func (w *Results) resCloseCSV() error {
	w.csvW.Flush()
	if err := w.csvW.Error(); err != nil {
		return err
	}
	if err := w.csvBuf.Flush(); err != nil {
		return err
	}
	return w.resCommit(w.csvFile)
}

func (w *Results) resCloseXLSX() error {
	if err := w.sw.finish(true, 1); err != nil {
		return fmt.Errorf("sheet %s: %w", w.sw.name, err)
	}
	if err := w.resWriteSummary(); err != nil {
		return fmt.Errorf("sheet %s: %w", SummarySheetName(w.lang), err)
	}
	if err := w.resWriteRetry(); err != nil {
		return fmt.Errorf("sheet %s: %w", RetrySheetName(w.lang), err)
	}
	if err := w.resWriteGone(); err != nil {
		return fmt.Errorf("sheet %s: %w", pick(w.lang, GoneSheet, GoneSheetZH), err)
	}
	// Results stays the active sheet (it was the first). No SetActiveSheet here: it would parse every
	// streamed sheet back into memory.
	out, err := resCreateTemp(w.path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	// excelize zips into a memory buffer by default; handing it a zip writer on the file keeps a
	// million-row workbook out of memory (WriteToBuffer then returns an empty buffer).
	w.xf.SetZipWriter(w.b.zipper(func(io.Writer) excelize.ZipWriter { return fastZip(bw) }))
	if _, err := w.xf.WriteToBuffer(); err != nil {
		_ = out.Close()
		_ = os.Remove(out.Name())
		return fmt.Errorf("save: %w", err)
	}
	if err := bw.Flush(); err != nil {
		_ = out.Close()
		_ = os.Remove(out.Name())
		return fmt.Errorf("save: %w", err)
	}
	return w.resCommit(out)
}

// resWriteRetry copies the spooled Retry rows into the Retry sheet(s): svbatch's own columns (the
// row in the original file, the status, the reason in words), then the input's own columns under
// its header, exactly as read, so the sheet can be fed back to svbatch run (which drops svbatch's
// columns) and keeps every identity and request_id.
func (w *Results) resWriteRetry() error {
	if err := w.retryBuf.Flush(); err != nil {
		return err
	}
	if _, err := w.retryFile.Seek(0, io.SeekStart); err != nil {
		return err
	}
	rd := bufio.NewReaderSize(w.retryFile, 64<<10)
	nOwn := len(svbatch.RetryColumns)
	width := nOwn + len(w.retryKeep)

	var (
		ss    *streamSheet
		n     int // Retry sheets started
		rowNo int
		cells []any
	)
	start := func() error {
		if ss != nil {
			if err := ss.finish(true, 1); err != nil {
				return err
			}
		}
		n++
		name := RetrySheetName(w.lang)
		if n > 1 {
			name = fmt.Sprintf("%s (%d)", name, n)
		}
		if _, err := w.xf.NewSheet(name); err != nil {
			return err
		}
		var err error
		if ss, err = w.b.newStream(name); err != nil {
			return err
		}
		sw := ss.sw
		for i, c := range svbatch.RetryColumns {
			wd := map[string]float64{svbatch.ColSourceRow: 11, svbatch.ColRetryStatus: 12, svbatch.ColRetryReason: 60}[c]
			if err := sw.SetColWidth(i+1, i+1, max(wd, resHeaderWidth(w.lang.Label(c)))); err != nil {
				return err
			}
		}
		if len(w.retryKeep) > 0 {
			if err := sw.SetColStyle(nOwn+1, width, w.textStyle); err != nil {
				return err
			}
			for i, k := range w.retryKeep {
				if err := sw.SetColWidth(nOwn+i+1, nOwn+i+1, resHeaderWidth(w.inputHeader[k])); err != nil {
					return err
				}
			}
		}
		if err := resFreezeHeader(sw); err != nil {
			return err
		}
		hdr := make([]any, 0, width)
		for _, c := range svbatch.RetryColumns {
			hdr = append(hdr, excelize.Cell{StyleID: w.st.retryHead, Value: w.lang.Label(c)})
		}
		for _, k := range w.retryKeep {
			c, err := w.b.text(w.inputHeader[k], w.boldStyle)
			if err != nil {
				return err
			}
			hdr = append(hdr, c)
		}
		rowNo = 1
		return ss.setRow(1, hdr)
	}
	if err := start(); err != nil {
		return err
	}
	for i := 0; i < w.retryRows; i++ {
		rec, err := resReadSpool(rd)
		if err != nil {
			return fmt.Errorf("retry spool: %w", err)
		}
		if rowNo >= w.limit {
			if err := start(); err != nil {
				return err
			}
		}
		rowNo++
		cells = cells[:0]
		for j, s := range rec {
			switch {
			case j == 0: // the source row: a number
				if n, err := strconv.ParseInt(s, 10, 64); err == nil {
					cells = append(cells, n)
					continue
				}
				cells = append(cells, s)
			case j < nOwn:
				c, err := w.b.text(s, 0)
				if err != nil {
					return err
				}
				cells = append(cells, c)
			default:
				// The input's own cells, exactly as read; text that starts like a formula gets the
				// quote prefix, so Excel never evaluates it, even when the cell is edited.
				c, err := w.b.text(s, w.textStyle)
				if err != nil {
					return err
				}
				cells = append(cells, c)
			}
		}
		if err := ss.setRow(rowNo, cells); err != nil {
			return err
		}
	}
	return ss.finish(true, 1)
}

// resWriteSpool appends one record to the Retry spool: a count, then each cell as length and bytes.
// Unlike CSV it keeps every byte (a CR LF inside a cell stays CR LF).
func resWriteSpool(w *bufio.Writer, rec []string) error {
	var b [binary.MaxVarintLen64]byte
	if _, err := w.Write(b[:binary.PutUvarint(b[:], uint64(len(rec)))]); err != nil {
		return err
	}
	for _, s := range rec {
		if _, err := w.Write(b[:binary.PutUvarint(b[:], uint64(len(s)))]); err != nil {
			return err
		}
		if _, err := w.WriteString(s); err != nil {
			return err
		}
	}
	return nil
}

// resReadSpool reads one record written by resWriteSpool.
func resReadSpool(r *bufio.Reader) ([]string, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, err
	}
	if n > excelize.MaxColumns {
		return nil, fmt.Errorf("corrupt record: %d cells", n)
	}
	rec := make([]string, n)
	for i := range rec {
		l, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, err
		}
		if l > 1<<30 {
			return nil, fmt.Errorf("corrupt record: cell of %d bytes", l)
		}
		buf := make([]byte, l)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		rec[i] = string(buf)
	}
	return rec, nil
}

// resCreateTemp creates the temporary file that becomes path on commit, in path's directory so the
// rename is atomic.
func resCreateTemp(path string) (*os.File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	return os.CreateTemp(dir, "."+base+".tmp-*")
}

// resCommit syncs and closes the finished temporary file and renames it to w.path.
func (w *Results) resCommit(f *os.File) error {
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), w.path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("save: %w", err)
	}
	if f == w.csvFile {
		w.csvFile = nil
	}
	return nil
}

// resCleanup releases the temporary files (the unfinished output, the Retry spool, excelize's).
func (w *Results) resCleanup() {
	if w.csvFile != nil {
		_ = w.csvFile.Close()
		_ = os.Remove(w.csvFile.Name())
		w.csvFile = nil
	}
	if w.retryFile != nil {
		_ = w.retryFile.Close()
		_ = os.Remove(w.retryFile.Name())
		w.retryFile = nil
	}
	if w.xf != nil {
		_ = w.xf.Close()
		w.xf = nil
	}
}
