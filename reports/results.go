package reports

import (
	"archive/zip"
	"bufio"
	"compress/flate"
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
	sw        *excelize.StreamWriter // the current Results sheet
	sheetN    int                    // number of Results sheets started
	sheetRow  int                    // last row written on the current Results sheet
	boldStyle int
	textStyle int
	retryFile *os.File // Retry rows (the input's raw cells), spooled; Close copies them to the Retry sheet
	retryBuf  *bufio.Writer
	retryRows int
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
	}
	var err error
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
	hdr := append(append([]string(nil), ResultsColumns...), w.extraHeader...)
	for i := len(ResultsColumns); i < len(hdr); i++ {
		hdr[i] = SafeText(hdr[i])
	}
	return w.csvW.Write(hdr)
}

// resOpenXLSX starts the workbook: styles, the first Results sheet, the Retry spool.
func (w *Results) resOpenXLSX() error {
	w.xf = excelize.NewFile()
	if err := w.xf.SetSheetName("Sheet1", ResultsSheet); err != nil {
		return err
	}
	var err error
	if w.boldStyle, err = w.xf.NewStyle(&excelize.Style{
		Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
	}); err != nil {
		return err
	}
	// "@" (text) on id columns: a value the user types or fixes there stays text ("0012" keeps its zeros).
	if w.textStyle, err = w.xf.NewStyle(&excelize.Style{NumFmt: 49}); err != nil {
		return err
	}
	if w.retryFile, err = os.CreateTemp("", "svbatch-retry-*"); err != nil {
		return err
	}
	w.retryBuf = bufio.NewWriterSize(w.retryFile, 64<<10)
	return w.resNextSheet()
}

// resColWidth is each fixed column's width in characters.
var resColWidth = map[string]float64{
	"row": 7, "brand_id": 14, "shop_id": 14, "operator_id": 14, "outer_order_id": 22,
	"new_outer_order_id": 22, "operate_type": 13, "change_value": 14, "customer_id": 20, "mobile": 15,
	"outer_id": 20, "outer_type": 11, "reason": 24, "request_id": 34, "status": 13, "note": 40,
	"attempts": 9, "biz_success": 12, "result": 8, "result_code": 12, "result_desc": 24, "error_code": 11,
	"error_msg": 30, "error_sub_code": 28, "error_sub_msg": 40, "trace_id": 18, "latency_ms": 11,
	"finished_at": 26,
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
		if err := w.sw.Flush(); err != nil {
			return fmt.Errorf("sheet %s: %w", w.sw.Sheet, err)
		}
		w.sw = nil
	}
	w.sheetN++
	name := ResultsSheet
	if w.sheetN > 1 {
		name = fmt.Sprintf("%s (%d)", ResultsSheet, w.sheetN)
		if _, err := w.xf.NewSheet(name); err != nil {
			return fmt.Errorf("sheet %s: %w", name, err)
		}
	}
	sw, err := w.xf.NewStreamWriter(name)
	if err != nil {
		return fmt.Errorf("sheet %s: %w", name, err)
	}
	for i, c := range ResultsColumns {
		if err := sw.SetColWidth(i+1, i+1, resColWidth[c]); err != nil {
			return err
		}
		if resTextColumns[c] {
			if err := sw.SetColStyle(i+1, i+1, w.textStyle); err != nil {
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
		hdr = append(hdr, excelize.Cell{StyleID: w.boldStyle, Value: c})
	}
	for _, h := range w.extraHeader {
		hdr = append(hdr, excelize.Cell{StyleID: w.boldStyle, Value: SafeText(h)})
	}
	if err := sw.SetRow("A1", hdr); err != nil {
		return fmt.Errorf("sheet %s: header: %w", name, err)
	}
	w.sw, w.sheetRow = sw, 1
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
	resFillRow(w.row, r, len(w.extraHeader))
	if w.csvW != nil {
		for i, v := range w.row {
			w.strRow[i] = resCSVValue(v)
		}
		return w.csvW.Write(w.strRow)
	}
	if w.sheetRow >= w.limit {
		if err := w.resNextSheet(); err != nil {
			return err
		}
	}
	w.sheetRow++
	if err := w.sw.SetRow("A"+strconv.Itoa(w.sheetRow), w.row); err != nil {
		return err
	}
	if r.NeedsAttention() {
		w.retryRows++
		return resWriteSpool(w.retryBuf, r.Raw)
	}
	return nil
}

// resFillRow puts r's cell values, in ResultsColumns order then nExtra pass-through cells, into row:
// int64 for numbers, string for text (user text through SafeText), nil for an empty cell.
func resFillRow(row []any, r *svbatch.Result, nExtra int) {
	text := func(s string) any {
		if s == "" {
			return nil
		}
		return SafeText(s)
	}
	for i, c := range svbatch.ResultColumns {
		v, ok := c.Cell(r)
		if !ok {
			row[i] = nil
			continue
		}
		switch c.Kind {
		case svbatch.KindText:
			row[i] = SafeText(v.(string))
		case svbatch.KindNumber:
			row[i] = v.(int64)
		case svbatch.KindBool:
			row[i] = strconv.FormatBool(v.(bool))
		case svbatch.KindTime:
			row[i] = v.(time.Time).In(svbatch.GMT8).Format(time.RFC3339) // one zone in the workbook
		}
	}
	n := len(ResultsColumns)
	for i := 0; i < nExtra; i++ {
		if i < len(r.Extra) {
			row[n+i] = text(r.Extra[i])
		} else {
			row[n+i] = nil
		}
	}
}

// resCSVValue is a cell value as CSV text.
func resCSVValue(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return ""
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
	if err := w.sw.Flush(); err != nil {
		return fmt.Errorf("sheet %s: %w", w.sw.Sheet, err)
	}
	if err := w.resWriteSummary(); err != nil {
		return fmt.Errorf("sheet %s: %w", SummarySheet, err)
	}
	if err := w.resWriteRetry(); err != nil {
		return fmt.Errorf("sheet %s: %w", RetrySheet, err)
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
	w.xf.SetZipWriter(func(io.Writer) excelize.ZipWriter {
		zw := zip.NewWriter(bw)
		zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
			return flate.NewWriter(out, flate.BestSpeed)
		})
		return zw
	})
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

// resWriteRetry copies the spooled Retry rows into the Retry sheet(s) under the input's header.
func (w *Results) resWriteRetry() error {
	if err := w.retryBuf.Flush(); err != nil {
		return err
	}
	if _, err := w.retryFile.Seek(0, io.SeekStart); err != nil {
		return err
	}
	rd := bufio.NewReaderSize(w.retryFile, 64<<10)

	var (
		sw    *excelize.StreamWriter
		n     int // Retry sheets started
		rowNo int
		cells []any
	)
	start := func() error {
		if sw != nil {
			if err := sw.Flush(); err != nil {
				return err
			}
		}
		n++
		name := RetrySheet
		if n > 1 {
			name = fmt.Sprintf("%s (%d)", RetrySheet, n)
		}
		if _, err := w.xf.NewSheet(name); err != nil {
			return err
		}
		var err error
		if sw, err = w.xf.NewStreamWriter(name); err != nil {
			return err
		}
		if len(w.inputHeader) > 0 {
			if err := sw.SetColStyle(1, len(w.inputHeader), w.textStyle); err != nil {
				return err
			}
			for i, h := range w.inputHeader {
				if err := sw.SetColWidth(i+1, i+1, resHeaderWidth(h)); err != nil {
					return err
				}
			}
		}
		if err := resFreezeHeader(sw); err != nil {
			return err
		}
		hdr := make([]any, len(w.inputHeader))
		for i, h := range w.inputHeader {
			hdr[i] = excelize.Cell{StyleID: w.boldStyle, Value: h}
		}
		rowNo = 1
		return sw.SetRow("A1", hdr)
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
		for _, s := range rec {
			// The input's own cells, exactly as read, so the sheet can be fed back to svbatch run
			// and keep every identity and request_id. They are text cells: Excel does not evaluate
			// them on opening.
			if s == "" {
				cells = append(cells, nil)
			} else {
				cells = append(cells, s)
			}
		}
		if err := sw.SetRow("A"+strconv.Itoa(rowNo), cells); err != nil {
			return err
		}
	}
	return sw.Flush()
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
