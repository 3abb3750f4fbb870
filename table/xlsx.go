package table

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

// xlsxTable streams one worksheet of an XLSX workbook. It parses the sheet XML itself (token by
// token, straight from the zip entry) so that it sees what a cell is — number, shared or inline
// string, formula with or without a cached value, date by its number format — and never holds
// the sheet in memory. The tokens come from sheetScanner, and from encoding/xml for a sheet the
// scanner leaves to it (fallBack), which reads it as it would have alone. Shared strings are
// held (the format requires it); styles are reduced to one byte per cell format.
type xlsxTable struct {
	zr       *zip.ReadCloser
	rc       io.ReadCloser
	dec      *xml.Decoder  // the sheet's tokens when scan is nil
	scan     *sheetScanner // the fast path (sheetscan.go) until it meets what it leaves to dec
	reopen   func() (io.ReadCloser, error)
	rows     int    // the results readRow has returned
	fellBack bool   // the scanner gave up on the sheet: dec read it from its start (tests)
	hasSST   bool   // the workbook has shared strings …
	sstFast  bool   // … and the scanner read them (tests)
	xmlOnly  bool   // read with encoding/xml alone (tests, benchmarks)
	ref      []byte // the r of the cell being scanned, for messages
	sst      sstTable
	styles   []numFormat // by cell format (xf) index
	date1904 bool
	fullCalc bool
	header   []string
	hline    int // the header's row
	width    int
	lastNote []Note
	lastText []string // NoteTexts of the last row
	done     bool
	buf      []byte
	rowNum   int // the last row number read
	path     string
	sheet    string
	pending  []sheetRow // rows read ahead (looking for the header), returned by Next first

	// What the warnings need: hidden rows with data, hidden columns (ranges of 0-based columns)
	// and which of them have data, the warnings known when the file was opened.
	hiddenRows []int
	nHidden    int
	hidCols    [][2]int
	hidData    map[int]bool
	warnings   []Warning
}

// maxListed caps the hidden rows a warning lists (it still counts them all).
const maxListed = 1000

// seen notes what the warnings need of a row Next returns.
func (t *xlsxTable) seen(r *sheetRow) {
	if r.hidden && !EmptyRow(r.cells) {
		t.nHidden++
		if len(t.hiddenRows) < maxListed {
			t.hiddenRows = append(t.hiddenRows, r.line)
		}
	}
	for _, h := range t.hidCols {
		for c := h[0]; c <= h[1] && c < len(r.cells); c++ {
			if strings.TrimSpace(r.cells[c]) != "" {
				if t.hidData == nil {
					t.hidData = map[int]bool{}
				}
				t.hidData[c] = true
			}
		}
	}
}

// hiddenCol notes a <col min max hidden> of the sheet's <cols>.
func (t *xlsxTable) hiddenCol(attrs []xml.Attr) {
	lo, hi, hidden := 0, 0, false
	for _, a := range attrs {
		switch a.Name.Local {
		case "min":
			lo, _ = strconv.Atoi(a.Value)
		case "max":
			hi, _ = strconv.Atoi(a.Value)
		case "hidden":
			hidden = xmlTrue(a.Value)
		}
	}
	if hidden && lo >= 1 && hi >= lo && len(t.hidCols) < 256 {
		t.hidCols = append(t.hidCols, [2]int{lo - 1, min(hi, 16384) - 1})
	}
}

// xmlErr is a decoding error of the sheet: a part too large as it is, anything else as corrupt XML.
func (t *xlsxTable) xmlErr(err error) error {
	var pe *partError
	if errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("%w: %v", errSheetCorrupt, err)
}

// fail makes an error of reading the sheet a *FileError.
func (t *xlsxTable) fail(err error) error {
	var fe *FileError
	if errors.As(err, &fe) {
		return err
	}
	var pe *partError
	if errors.As(err, &pe) {
		return fileErr(t.path, err, "%s", pe.msg)
	}
	return fileErr(t.path, err, "is a corrupt XLSX workbook (sheet %q: %v)", t.sheet, err)
}

// workbookInfo is what svbatch needs from xl/workbook.xml and its relationships.
type workbookInfo struct {
	files    map[string]*zip.File // by lower-cased part name
	dir      string               // folder of the workbook part, e.g. "xl"
	sheets   []sheetInfo
	date1904 bool
	fullCalc bool   // calcPr fullCalcOnLoad: the cached formula values are not to be trusted
	styles   string // part name of the styles, "" if none
	sst      string // part name of the shared strings, "" if none
}

type sheetInfo struct {
	Name   string
	Hidden bool
	Part   string // zip part name, "" when the relationship is missing
	Kind   string // relationship type's last element: "worksheet", "chartsheet", …
}

type xmlRels struct {
	Rels []struct {
		ID     string `xml:"Id,attr"`
		Type   string `xml:"Type,attr"`
		Target string `xml:"Target,attr"`
	} `xml:"Relationship"`
}

type xmlWorkbook struct {
	Pr struct {
		Date1904 string `xml:"date1904,attr"`
	} `xml:"workbookPr"`
	Calc struct {
		FullCalcOnLoad string `xml:"fullCalcOnLoad,attr"`
	} `xml:"calcPr"`
	Sheets []struct {
		Name  string `xml:"name,attr"`
		State string `xml:"state,attr"`
		RID   string `xml:"id,attr"`
	} `xml:"sheets>sheet"`
}

// readPart unmarshals a small XML part (workbook, relationships).
func readPart(files map[string]*zip.File, name string, v any) (bool, error) {
	zf := files[strings.ToLower(name)]
	if zf == nil {
		return false, nil
	}
	rc, err := guardPart(zf, maxSmallPart)
	if err != nil {
		return true, err
	}
	defer rc.Close()
	if err := xml.NewDecoder(rc).Decode(v); err != nil {
		return true, fmt.Errorf("%s: %w", name, err)
	}
	return true, nil
}

// relsName is the relationships part of part ("xl/workbook.xml" → "xl/_rels/workbook.xml.rels").
func relsName(part string) string {
	return path.Join(path.Dir(part), "_rels", path.Base(part)+".rels")
}

// resolveTarget resolves a relationship target against the folder of its source part.
func resolveTarget(dir, target string) string {
	if strings.HasPrefix(target, "/") {
		return strings.TrimPrefix(target, "/")
	}
	return path.Clean(path.Join(dir, target))
}

func relKind(typ string) string {
	if i := strings.LastIndexByte(typ, '/'); i >= 0 {
		return typ[i+1:]
	}
	return typ
}

// openWorkbook opens path as an XLSX package and reads its workbook part.
func openWorkbook(p string) (*zip.ReadCloser, *workbookInfo, error) {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return nil, nil, fileErr(p, err, "is not a readable XLSX workbook (corrupt zip: %v)", err)
	}
	wb := &workbookInfo{files: make(map[string]*zip.File, len(zr.File))}
	for _, f := range zr.File {
		wb.files[strings.ToLower(strings.TrimPrefix(f.Name, "/"))] = f
	}
	fail := func(err error, format string, a ...any) (*zip.ReadCloser, *workbookInfo, error) {
		zr.Close()
		var pe *partError
		if errors.As(err, &pe) {
			return nil, nil, fileErr(p, err, "%s", pe.msg)
		}
		return nil, nil, fileErr(p, err, format, a...)
	}
	var root xmlRels
	if _, err := readPart(wb.files, "_rels/.rels", &root); err != nil {
		return fail(err, "is not a readable XLSX workbook (corrupt package: %v)", err)
	}
	wbPart := ""
	for _, r := range root.Rels {
		if relKind(r.Type) == "officeDocument" {
			wbPart = resolveTarget("", r.Target)
		}
	}
	if wbPart == "" {
		wbPart = "xl/workbook.xml"
	}
	if strings.HasSuffix(strings.ToLower(wbPart), ".bin") || wb.files["xl/workbook.bin"] != nil {
		return fail(nil, "is an Excel binary workbook (.xlsb), which svbatch does not read: open it in Excel and save it as .xlsx (or as CSV UTF-8), then try again")
	}
	var wx xmlWorkbook
	found, err := readPart(wb.files, wbPart, &wx)
	if err != nil {
		return fail(err, "is not a readable XLSX workbook (corrupt workbook part: %v)", err)
	}
	if !found {
		if wb.files["content.xml"] != nil {
			return fail(nil, "is an OpenDocument spreadsheet (.ods), which svbatch does not read: open it in LibreOffice, WPS or Excel and save it as .xlsx (or as CSV UTF-8), then try again")
		}
		if wb.files["encryptioninfo"] != nil {
			return fail(nil, "is an encrypted (password-protected) workbook: save it without a password")
		}
		return fail(nil, "is a zip archive but not an XLSX workbook")
	}
	wb.dir = path.Dir(wbPart)
	wb.date1904 = xmlTrue(wx.Pr.Date1904)
	wb.fullCalc = xmlTrue(wx.Calc.FullCalcOnLoad)
	var rels xmlRels
	if _, err := readPart(wb.files, relsName(wbPart), &rels); err != nil {
		return fail(err, "is not a readable XLSX workbook (corrupt relationships: %v)", err)
	}
	byID := map[string]sheetInfo{}
	for _, r := range rels.Rels {
		target := resolveTarget(wb.dir, r.Target)
		switch k := relKind(r.Type); k {
		case "styles":
			wb.styles = target
		case "sharedStrings":
			wb.sst = target
		default:
			byID[r.ID] = sheetInfo{Part: target, Kind: k}
		}
	}
	for _, s := range wx.Sheets {
		si := byID[s.RID]
		si.Name = s.Name
		si.Hidden = s.State == "hidden" || s.State == "veryHidden"
		wb.sheets = append(wb.sheets, si)
	}
	if len(wb.sheets) == 0 {
		return fail(nil, "is an XLSX workbook without sheets")
	}
	return zr, wb, nil
}

// xmlTrue reads an xsd:boolean attribute.
func xmlTrue(v string) bool { return v == "1" || strings.EqualFold(v, "true") }

// SheetNames lists the sheets of an XLSX workbook in their order (hidden ones too).
func SheetNames(p string) ([]string, error) {
	kind, err := sniff(p)
	if err != nil {
		return nil, err
	}
	if kind != kindXLSX {
		return nil, fileErr(p, nil, "is not an XLSX workbook")
	}
	zr, wb, err := openWorkbook(p)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	names := make([]string, len(wb.sheets))
	for i, s := range wb.sheets {
		names[i] = s.Name
	}
	return names, nil
}

// pickSheet chooses the sheet by name (exact, then case-insensitive) or 1-based index;
// "" is the first visible sheet.
func pickSheet(sheets []sheetInfo, want string) (sheetInfo, error) {
	want = strings.TrimSpace(want)
	if want == "" {
		// The first visible worksheet: a chart sheet (or a dialog or macro sheet) has no rows.
		for _, s := range sheets {
			if !s.Hidden && s.Kind == "worksheet" {
				return s, nil
			}
		}
		for _, s := range sheets {
			if !s.Hidden {
				return s, nil
			}
		}
		return sheets[0], nil
	}
	for _, s := range sheets {
		if s.Name == want {
			return s, nil
		}
	}
	for _, s := range sheets {
		if strings.EqualFold(s.Name, want) {
			return s, nil
		}
	}
	if n, err := strconv.Atoi(want); err == nil && n >= 1 && n <= len(sheets) {
		return sheets[n-1], nil
	}
	return sheetInfo{}, fmt.Errorf("no sheet %q: the workbook has %s (give a name or a number from 1 to %d)", want, sheetList(sheets), len(sheets))
}

// sheetList names the sheets for a message: "Notes", "Data".
func sheetList(sheets []sheetInfo) string {
	names := make([]string, len(sheets))
	for i, s := range sheets {
		names[i] = strconv.Quote(s.Name)
	}
	return strings.Join(names, ", ")
}

// sheetArg is a sheet name as a command-line argument (quoted when it must be).
func sheetArg(name string) string {
	if name == "" || strings.ContainsAny(name, " \t'\"$&;|<>()*?[]#~") {
		return strconv.Quote(name)
	}
	return name
}

func openXLSX(p string, opt Options) (Table, error) { return openXLSXWith(p, opt, false) }

// openXLSXWith is openXLSX, with the sheet tokenised by encoding/xml alone when xmlOnly.
func openXLSXWith(p string, opt Options, xmlOnly bool) (_ Table, err error) {
	zr, wb, err := openWorkbook(p)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			zr.Close()
		}
	}()
	sh, err := pickSheet(wb.sheets, opt.Sheet)
	if err != nil {
		return nil, fileErr(p, nil, "%v", err)
	}
	t := &xlsxTable{zr: zr, date1904: wb.date1904, fullCalc: wb.fullCalc, path: p, sheet: sh.Name, xmlOnly: xmlOnly}
	if wb.styles != "" {
		if t.styles, err = readStyles(wb.files[strings.ToLower(wb.styles)]); err != nil {
			var pe *partError
			if errors.As(err, &pe) {
				return nil, fileErr(p, err, "%s", pe.msg)
			}
			return nil, fileErr(p, err, "is a corrupt XLSX workbook (styles: %v)", err)
		}
	}
	if wb.sst != "" {
		t.hasSST = true
		if t.sst, t.sstFast, err = readSharedStrings(wb.files[strings.ToLower(wb.sst)], xmlOnly); err != nil {
			var pe *partError
			if errors.As(err, &pe) {
				return nil, fileErr(p, err, "%s", pe.msg)
			}
			return nil, fileErr(p, err, "is a corrupt XLSX workbook (shared strings: %v)", err)
		}
	}
	if err := t.start(wb, sh); err != nil {
		return nil, err
	}
	hdr, rest, score, err := findHeader(t.nextRow, opt, func() error {
		return fileErr(p, nil, "sheet %q is empty: expected column names in row 1", sh.Name)
	})
	var fe *FileError
	if (err == nil && score < minHeaderScore) || errors.As(err, &fe) {
		// No row of the sheet chosen by default looks like a header: if another sheet's does,
		// the data is there.
		if opt.HeaderScore != nil && strings.TrimSpace(opt.Sheet) == "" && opt.HeaderRow == 0 {
			if other := t.sheetWithHeader(wb, sh, opt); other != "" {
				t.rc.Close()
				return nil, fileErr(p, nil, "the first sheet, %q, has no header row (none of its first rows names a column svbatch knows), but sheet %q has one: the data seems to be there, so pass --sheet %s (the workbook has sheets %s)",
					sh.Name, other, sheetArg(other), sheetList(wb.sheets))
			}
		}
	}
	if err != nil {
		t.rc.Close()
		return nil, t.fail(err)
	}
	t.header, t.hline, t.width = cleanHeader(hdr.cells), hdr.line, len(hdr.cells)
	t.pending = rest
	return t, nil
}

// start positions t at the first row of sheet sh.
func (t *xlsxTable) start(wb *workbookInfo, sh sheetInfo) error {
	if sh.Kind != "worksheet" {
		return fileErr(t.path, nil, "sheet %q is a %s, not a worksheet with rows (the workbook has sheets %s): pass --sheet with a worksheet", sh.Name, sh.Kind, sheetList(wb.sheets))
	}
	zf := wb.files[strings.ToLower(sh.Part)]
	if zf == nil {
		return fileErr(t.path, nil, "is a corrupt XLSX workbook: sheet %q has no data part", sh.Name)
	}
	rc, err := guardPart(zf, maxSheetPart)
	if err != nil {
		return t.fail(err)
	}
	t.rc = rc
	t.reopen = func() (io.ReadCloser, error) { return guardPart(zf, maxSheetPart) }
	if t.xmlOnly {
		t.dec = xml.NewDecoder(bufio.NewReaderSize(rc, scanChunk))
	} else {
		t.scan = newSheetScanner(rc)
	}
	return nil
}

// fallBack reads the sheet with encoding/xml from where the scanner gave up: it reads the part
// again from its start, and the rows the scanner returned once more (they are the same: the
// scanner reads only what it reads as encoding/xml does), so that encoding/xml decides about
// what the scanner left to it, exactly as if it had read the sheet alone.
func (t *xlsxTable) fallBack() error {
	t.scan.release()
	t.scan, t.fellBack = nil, true
	t.rc.Close()
	rc, err := t.reopen()
	if err != nil {
		t.rc = io.NopCloser(nil)
		return err
	}
	t.rc, t.dec = rc, xml.NewDecoder(bufio.NewReaderSize(rc, scanChunk))
	n := t.rows
	t.rows, t.rowNum, t.done, t.hidCols = 0, 0, false, nil
	for range n {
		if _, err := t.readRow(); err != nil {
			return err
		}
	}
	return nil
}

// sheetWithHeader is the first other visible worksheet whose first rows have a header (a row
// that opt.HeaderScore scores), or "".
func (t *xlsxTable) sheetWithHeader(wb *workbookInfo, not sheetInfo, opt Options) string {
	for _, sh := range wb.sheets {
		if sh.Name == not.Name || sh.Hidden || sh.Kind != "worksheet" {
			continue
		}
		o := &xlsxTable{zr: t.zr, styles: t.styles, sst: t.sst, date1904: t.date1904, path: t.path, sheet: sh.Name, xmlOnly: t.xmlOnly}
		if o.start(wb, sh) != nil {
			continue
		}
		_, _, score, err := findHeader(o.nextRow, opt, func() error { return io.EOF })
		if o.scan != nil {
			o.scan.release()
		}
		o.rc.Close()
		if err == nil && score >= minHeaderScore {
			return sh.Name
		}
	}
	return ""
}

// readSharedStrings reads the shared string table: the text of each <si>, rich-text runs
// concatenated, phonetic runs (<rPh>) left out, _xHHHH_ escapes decoded. It is held in memory, so
// it is capped (guard.go): a table past the caps, or a string longer than a cell can be, is refused.
// The scanner reads it (scanSST) unless it meets what it leaves to encoding/xml: then
// encoding/xml reads it again from its start (decodeSST); scanned says which.
func readSharedStrings(zf *zip.File, xmlOnly bool) (_ sstTable, scanned bool, err error) {
	if zf == nil {
		return sstTable{}, false, nil
	}
	limit := int64(min(maxSSTPart, max(minSSTCap, maxSSTRatio*zf.CompressedSize64)))
	return readSST(func() (io.ReadCloser, error) { return guardPart(zf, limit) }, zf.Name, xmlOnly)
}

// readSST reads the shared strings of the part open opens (named name, for messages).
func readSST(open func() (io.ReadCloser, error), name string, xmlOnly bool) (sstTable, bool, error) {
	rc, err := open()
	if err != nil {
		return sstTable{}, false, err
	}
	if !xmlOnly {
		s := newSheetScanner(rc)
		sst, ok, err := scanSST(s, name)
		s.release()
		rc.Close()
		if ok {
			return sst, true, err
		}
		if rc, err = open(); err != nil {
			return sstTable{}, false, err
		}
	}
	defer rc.Close()
	sst, err := decodeSST(xml.NewDecoder(bufio.NewReaderSize(rc, scanChunk)), name)
	return sst, false, err
}

// scanSST is decodeSST with the scanner, token for token: keep the two alike. ok is false when
// the scanner cannot go on; err is a refusal of the table's content, which encoding/xml meets at
// the same token.
func scanSST(s *sheetScanner, name string) (_ sstTable, ok bool, err error) {
	var (
		data           strings.Builder
		end            []uint32
		buf            []byte
		inSI, inT, rph bool
		depthRPh       int
	)
	for {
		if !s.next() {
			return sstTable{}, false, nil
		}
		switch s.kind {
		case scanEOF:
			return sstTable{data: data.String(), end: end}, true, nil
		case scanStart:
			switch s.el {
			case elSI:
				inSI, buf = true, buf[:0]
			case elRPh:
				rph = true
				depthRPh++
			case elT:
				inT = inSI && !rph
			}
		case scanEnd:
			switch s.el {
			case elSI:
				if len(end) >= maxSSTCount {
					return sstTable{}, true, tooLarge(name, fmt.Sprintf("holds more than %d strings", maxSSTCount))
				}
				if bytes.Contains(buf, []byte("_x")) {
					data.WriteString(decodeEscapes(string(buf)))
				} else {
					data.Write(buf)
				}
				end = append(end, uint32(data.Len()))
				inSI = false
			case elRPh:
				if depthRPh--; depthRPh == 0 {
					rph = false
				}
			case elT:
				inT = false
			}
		case scanText:
			if inT {
				if len(buf)+len(s.text) > maxCellBytes {
					return sstTable{}, true, tooLarge(name, fmt.Sprintf("holds shared string %d of more than Excel's 32,767 characters", len(end)))
				}
				buf = append(buf, s.text...)
			}
		}
	}
}

// decodeSST reads the shared strings with encoding/xml: the reference the scanner is held to.
func decodeSST(dec *xml.Decoder, name string) (sstTable, error) {
	var (
		data           strings.Builder
		end            []uint32
		buf            []byte
		inSI, inT, rph bool
		depthRPh       int
	)
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			return sstTable{data: data.String(), end: end}, nil
		}
		if err != nil {
			return sstTable{}, err
		}
		switch el := tok.(type) {
		case xml.StartElement:
			switch el.Name.Local {
			case "si":
				inSI, buf = true, buf[:0]
			case "rPh":
				rph = true
				depthRPh++
			case "t":
				inT = inSI && !rph
			}
		case xml.EndElement:
			switch el.Name.Local {
			case "si":
				if len(end) >= maxSSTCount {
					return sstTable{}, tooLarge(name, fmt.Sprintf("holds more than %d strings", maxSSTCount))
				}
				data.WriteString(decodeEscapes(string(buf)))
				end = append(end, uint32(data.Len()))
				inSI = false
			case "rPh":
				if depthRPh--; depthRPh == 0 {
					rph = false
				}
			case "t":
				inT = false
			}
		case xml.CharData:
			if inT {
				if len(buf)+len(el) > maxCellBytes {
					return sstTable{}, tooLarge(name, fmt.Sprintf("holds shared string %d of more than Excel's 32,767 characters", len(end)))
				}
				buf = append(buf, el...)
			}
		}
	}
}

type xmlStyles struct {
	NumFmts []struct {
		ID   int    `xml:"numFmtId,attr"`
		Code string `xml:"formatCode,attr"`
	} `xml:"numFmts>numFmt"`
	Xfs []struct {
		NumFmtID int `xml:"numFmtId,attr"`
	} `xml:"cellXfs>xf"`
}

// readStyles reduces the cell formats to their number formats.
func readStyles(zf *zip.File) ([]numFormat, error) {
	if zf == nil {
		return nil, nil
	}
	rc, err := guardPart(zf, maxSmallPart)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var st xmlStyles
	if err := xml.NewDecoder(rc).Decode(&st); err != nil {
		return nil, err
	}
	custom := map[int]string{}
	for _, f := range st.NumFmts {
		custom[f.ID] = f.Code
	}
	out := make([]numFormat, len(st.Xfs))
	for i, xf := range st.Xfs {
		if code, ok := custom[xf.NumFmtID]; ok {
			out[i] = parseNumFormat(code)
			continue
		}
		out[i] = builtinNumFormat(xf.NumFmtID)
	}
	return out, nil
}

// builtinFormat classifies Excel's built-in number formats (ECMA-376 18.8.30, plus the CJK ones).
func builtinFormat(id int) styleKind {
	switch {
	case id == 11 || id == 48:
		return styleScientific
	case id >= 14 && id <= 22, id >= 27 && id <= 36, id >= 45 && id <= 47, id >= 50 && id <= 58, id >= 71 && id <= 81:
		return styleDate
	}
	return styleGeneral
}

// classifyFormat tells a custom format code apart: date/time tokens (y m d h s) outside quoted
// text, escapes and [brackets] make a date; an exponent makes it scientific.
func classifyFormat(code string) styleKind {
	if i := strings.IndexByte(code, ';'); i >= 0 {
		code = code[:i] // the positive-number section decides
	}
	var b strings.Builder
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch c {
		case '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 {
				i = len(code)
			} else {
				i += j + 1
			}
		case '\\', '_', '*':
			i++
		case '[':
			j := strings.IndexByte(code[i+1:], ']')
			inner := ""
			if j >= 0 {
				inner = strings.ToLower(code[i+1 : i+1+j])
				i += j + 1
			} else {
				i = len(code)
			}
			if inner != "" && strings.Trim(inner, "hms") == "" {
				return styleDate // elapsed time: [h]:mm:ss
			}
		default:
			b.WriteByte(c)
		}
	}
	s := strings.ToLower(b.String())
	if s == "general" || s == "@" {
		return styleGeneral
	}
	if strings.Contains(s, "e+") || strings.Contains(s, "e-") {
		return styleScientific
	}
	if strings.ContainsAny(s, "ymdhs") {
		return styleDate
	}
	return styleGeneral
}

func (t *xlsxTable) Header() []string { return t.header }

func (t *xlsxTable) HeaderLine() int { return t.hline }

func (t *xlsxTable) Encoding() string { return EncXLSX }

func (t *xlsxTable) SheetName() string { return t.sheet }

func (t *xlsxTable) Notes() []Note { return t.lastNote }

func (t *xlsxTable) NoteTexts() []string { return t.lastText }

func (t *xlsxTable) Close() error {
	if t.scan != nil {
		t.scan.release()
		t.scan = nil
	}
	var err error
	if t.rc != nil {
		err = t.rc.Close()
	}
	if cerr := t.zr.Close(); err == nil {
		err = cerr
	}
	return err
}

// colIndex returns the 0-based column of a cell reference ("AB12" → 27), or -1.
func colIndex[S string | []byte](ref S) int {
	n := 0
	i := 0
	for ; i < len(ref); i++ {
		c := ref[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c < 'A' || c > 'Z' {
			break
		}
		n = n*26 + int(c-'A'+1)
		if n > 16384 {
			return -1
		}
	}
	if i == 0 {
		return -1
	}
	return n - 1
}

// sheetRow is one <row> as read: its number, its cells as text, their notes and the notes'
// texts (nil when no cell has one), and whether the sheet hides it.
type sheetRow struct {
	line   int
	cells  []string
	notes  []Note
	texts  []string
	hidden bool
}

// Next returns the next row that has a non-blank cell (or a note). Cells are as Excel shows them
// (see numberShown); Notes() tells which cells were dates, rounded numbers, formulas without a
// value, and NoteTexts() what goes with each note.
func (t *xlsxTable) Next() (int, []string, error) {
	var r sheetRow
	if len(t.pending) > 0 {
		r = t.pending[0]
		t.pending = t.pending[1:]
	} else {
		var ok bool
		var err error
		if r, ok, err = t.nextRow(); err != nil {
			return 0, nil, t.fail(err)
		} else if !ok {
			return 0, nil, io.EOF
		}
	}
	t.lastNote, t.lastText = r.notes, r.texts
	t.seen(&r)
	return r.line, r.cells, nil
}

// nextRow reads on to the next row with a non-blank cell or a note; ok is false at the end.
func (t *xlsxTable) nextRow() (sheetRow, bool, error) {
	for !t.done {
		r, err := t.readRow()
		if err != nil {
			return sheetRow{}, false, err
		}
		if r.cells == nil && t.done {
			break
		}
		// A blank row may still carry a note (a formula without a cached value): keep it.
		if EmptyRow(r.cells) && r.notes == nil {
			continue
		}
		return r, true, nil
	}
	return sheetRow{}, false, nil
}

// cellState is the cell being parsed.
type cellState struct {
	col        int
	ref        string // its reference (B2), for messages
	typ        string
	style      int
	hasValue   bool
	hasFormula bool
}

var errSheetCorrupt = errors.New("malformed sheet XML")

// maxCellBytes caps the text of one cell (or shared string): Excel holds at most 32,767
// characters in a cell, which is at most 128 KiB of UTF-8 (escaped as XML, a little more).
const maxCellBytes = 256 << 10

// readRow parses one <row> element. At the end of the sheet it sets t.done and returns nil cells.
// Before the rows it notes the hidden columns (<cols>). The scanner reads the sheet while it
// can (scanRow), encoding/xml when it cannot (decodeRow).
func (t *xlsxTable) readRow() (sheetRow, error) {
	if t.scan != nil {
		r, ok, err := t.scanRow()
		if ok {
			t.rows++
			return r, err
		}
		if err := t.fallBack(); err != nil {
			return sheetRow{}, err
		}
	}
	r, err := t.decodeRow()
	t.rows++
	return r, err
}

// decodeRow is readRow with encoding/xml: the reference the scanner is held to.
func (t *xlsxTable) decodeRow() (r sheetRow, err error) {
	var (
		inRow, inCell, inV, inIS, inT bool
		rph                           int
		c                             cellState
		lastCol                       = -1
		rowBytes                      int
	)
	for {
		tok, err := t.dec.RawToken()
		if errors.Is(err, io.EOF) {
			t.done = true
			if inRow {
				return sheetRow{}, fmt.Errorf("%w: sheet ends inside a row", errSheetCorrupt)
			}
			return sheetRow{}, nil
		}
		if err != nil {
			return sheetRow{}, t.xmlErr(err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			switch el.Name.Local {
			case "row":
				inRow = true
				r = sheetRow{line: t.rowNum + 1, cells: make([]string, 0, t.width)}
				for _, a := range el.Attr {
					switch a.Name.Local {
					case "r":
						if n, err := strconv.Atoi(a.Value); err == nil && n > 0 {
							r.line = n
						}
					case "hidden":
						r.hidden = xmlTrue(a.Value)
					}
				}
			case "c":
				if !inRow {
					continue
				}
				inCell = true
				c = cellState{col: lastCol + 1}
				for _, a := range el.Attr {
					switch a.Name.Local {
					case "r":
						if n := colIndex(a.Value); n >= 0 {
							c.col, c.ref = n, a.Value
						}
					case "t":
						c.typ = a.Value
					case "s":
						c.style, _ = strconv.Atoi(a.Value)
					}
				}
				t.buf = t.buf[:0]
			case "v":
				if inCell {
					inV, c.hasValue = true, true
				}
			case "f":
				if inCell {
					c.hasFormula = true
				}
			case "is":
				if inCell {
					inIS, c.hasValue = true, true
				}
			case "rPh":
				rph++
			case "t":
				inT = inIS && rph == 0
			case "col":
				if !inRow {
					t.hiddenCol(el.Attr)
				}
			}
		case xml.EndElement:
			switch el.Name.Local {
			case "v":
				inV = false
			case "t":
				inT = false
			case "rPh":
				rph--
			case "is":
				inIS = false
			case "c":
				if !inCell {
					continue
				}
				inCell = false
				lastCol = c.col
				text, note, other, err := t.cellText(&c, r.line)
				if err != nil {
					return sheetRow{}, err
				}
				if text == "" && note == NoteNone {
					continue
				}
				if rowBytes += len(text); rowBytes > maxRowBytes {
					return sheetRow{}, &partError{msg: fmt.Sprintf("is too large to read safely: row %d holds more than %d MiB of text; the file is damaged or was made to exhaust memory", r.line, maxRowBytes>>20)}
				}
				for len(r.cells) <= c.col {
					r.cells = append(r.cells, "")
				}
				r.cells[c.col] = text
				if note != NoteNone {
					for len(r.notes) <= c.col {
						r.notes = append(r.notes, NoteNone)
					}
					r.notes[c.col] = note
				}
				if other != "" {
					for len(r.texts) <= c.col {
						r.texts = append(r.texts, "")
					}
					r.texts[c.col] = other
				}
			case "row":
				if inRow {
					t.rowNum = r.line
					return r, nil
				}
			case "sheetData":
				t.done = true
				return sheetRow{}, nil
			}
		case xml.CharData:
			if inV || inT {
				if len(t.buf)+len(el) > maxCellBytes {
					return sheetRow{}, &partError{msg: fmt.Sprintf("cell %s is too large: it holds more than Excel's 32,767 characters; the file is damaged or was not written by a spreadsheet program", cellRef(c, r.line))}
				}
				t.buf = append(t.buf, el...)
			}
		}
	}
}

// scanRow is decodeRow with the scanner, token for token: keep the two alike. ok is false when
// the scanner cannot go on (the caller falls back to encoding/xml); err is an error of the
// sheet's content (a cell too large, a dangling shared string), which encoding/xml meets at the
// same token.
func (t *xlsxTable) scanRow() (r sheetRow, ok bool, err error) {
	var (
		inRow, inCell, inV, inIS, inT bool
		rph                           int
		c                             cellState
		lastCol                       = -1
		rowBytes                      int
		hasRef                        bool
	)
	s := t.scan
	for {
		if !s.next() {
			return sheetRow{}, false, nil
		}
		switch s.kind {
		case scanEOF:
			t.done = true
			if inRow {
				return sheetRow{}, true, fmt.Errorf("%w: sheet ends inside a row", errSheetCorrupt)
			}
			return sheetRow{}, true, nil
		case scanStart:
			switch s.el {
			case elRow:
				inRow = true
				r = sheetRow{line: t.rowNum + 1, cells: make([]string, 0, t.width)}
				for _, a := range s.attrs {
					switch string(a.name) {
					case "r":
						if n, ok := atoi(a.value); ok && n > 0 {
							r.line = n
						}
					case "hidden":
						r.hidden = xmlTrueBytes(a.value)
					}
				}
			case elC:
				if !inRow {
					continue
				}
				inCell = true
				c, hasRef = cellState{col: lastCol + 1}, false
				for _, a := range s.attrs {
					switch string(a.name) {
					case "r":
						if n := colIndex(a.value); n >= 0 {
							c.col, hasRef = n, true
							t.ref = append(t.ref[:0], a.value...)
						}
					case "t":
						c.typ = cellType(a.value)
					case "s":
						c.style, _ = atoi(a.value)
					}
				}
				t.buf = t.buf[:0]
			case elV:
				if inCell {
					inV, c.hasValue = true, true
				}
			case elF:
				if inCell {
					c.hasFormula = true
				}
			case elIS:
				if inCell {
					inIS, c.hasValue = true, true
				}
			case elRPh:
				rph++
			case elT:
				inT = inIS && rph == 0
			case elCol:
				if !inRow {
					t.hiddenColScan(s.attrs)
				}
			}
		case scanEnd:
			switch s.el {
			case elV:
				inV = false
			case elT:
				inT = false
			case elRPh:
				rph--
			case elIS:
				inIS = false
			case elC:
				if !inCell {
					continue
				}
				inCell = false
				lastCol = c.col
				text, note, other, err := t.cellText(&c, r.line)
				if err != nil {
					if hasRef {
						c.ref = string(t.ref)
						_, _, _, err = t.cellText(&c, r.line)
					}
					return sheetRow{}, true, err
				}
				if text == "" && note == NoteNone {
					continue
				}
				if rowBytes += len(text); rowBytes > maxRowBytes {
					return sheetRow{}, true, &partError{msg: fmt.Sprintf("is too large to read safely: row %d holds more than %d MiB of text; the file is damaged or was made to exhaust memory", r.line, maxRowBytes>>20)}
				}
				for len(r.cells) <= c.col {
					r.cells = append(r.cells, "")
				}
				r.cells[c.col] = text
				if note != NoteNone {
					for len(r.notes) <= c.col {
						r.notes = append(r.notes, NoteNone)
					}
					r.notes[c.col] = note
				}
				if other != "" {
					for len(r.texts) <= c.col {
						r.texts = append(r.texts, "")
					}
					r.texts[c.col] = other
				}
			case elRow:
				if inRow {
					t.rowNum = r.line
					return r, true, nil
				}
			case elSheetData:
				t.done = true
				return sheetRow{}, true, nil
			}
		case scanText:
			if inV || inT {
				if len(t.buf)+len(s.text) > maxCellBytes {
					if hasRef {
						c.ref = string(t.ref)
					}
					return sheetRow{}, true, &partError{msg: fmt.Sprintf("cell %s is too large: it holds more than Excel's 32,767 characters; the file is damaged or was not written by a spreadsheet program", cellRef(c, r.line))}
				}
				t.buf = append(t.buf, s.text...)
			}
		}
	}
}

// hiddenColScan is hiddenCol for the scanner's attributes.
func (t *xlsxTable) hiddenColScan(attrs []scanAttr) {
	lo, hi, hidden := 0, 0, false
	for _, a := range attrs {
		switch string(a.name) {
		case "min":
			lo, _ = atoi(a.value)
		case "max":
			hi, _ = atoi(a.value)
		case "hidden":
			hidden = xmlTrueBytes(a.value)
		}
	}
	if hidden && lo >= 1 && hi >= lo && len(t.hidCols) < 256 {
		t.hidCols = append(t.hidCols, [2]int{lo - 1, min(hi, 16384) - 1})
	}
}

// atoi is strconv.Atoi of b: the same value (also when ok is false), without making a string of
// the digits of an ordinary number.
func atoi(b []byte) (int, bool) {
	if len(b) > 0 && len(b) < 19 {
		n := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				n, err := strconv.Atoi(string(b))
				return n, err == nil
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	n, err := strconv.Atoi(string(b))
	return n, err == nil
}

// cellType is a cell's t attribute as a string, without allocating for the types there are.
func cellType(b []byte) string {
	switch string(b) {
	case "":
		return ""
	case "s":
		return "s"
	case "n":
		return "n"
	case "str":
		return "str"
	case "inlineStr":
		return "inlineStr"
	case "b":
		return "b"
	case "e":
		return "e"
	case "d":
		return "d"
	}
	return string(b)
}

func xmlTrueBytes(v []byte) bool { return string(v) == "1" || bytes.EqualFold(v, []byte("true")) }

// cellRef names a cell for a message: its reference, or one made from its column and row.
func cellRef(c cellState, line int) string {
	if c.ref != "" {
		return c.ref
	}
	return columnName(c.col) + strconv.Itoa(line)
}

// columnName is a 0-based column's letters (27 → "AB").
func columnName(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// cellText converts the parsed cell to text, a note and the note's text. A shared-string index
// past the table is an error: the workbook is corrupt.
func (t *xlsxTable) cellText(c *cellState, line int) (string, Note, string, error) {
	v := string(t.buf)
	f := numFormat{}
	if c.style >= 0 && c.style < len(t.styles) {
		f = t.styles[c.style]
	}
	switch c.typ {
	case "s":
		if c.hasValue {
			i, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || i < 0 || i >= t.sst.len() {
				return "", NoteNone, "", &partError{msg: fmt.Sprintf("is a corrupt workbook: cell %s refers to shared string %q, but the file has %d shared strings; open it in Excel and save it again, or export it again from the program that wrote it", cellRef(*c, line), strings.TrimSpace(v), t.sst.len())}
			}
			v = t.sst.at(i)
		}
	case "inlineStr", "str":
		v = decodeEscapes(v)
	}
	if c.hasFormula {
		// A formula's cached value is in <v>; openpyxl and many generators write <v></v> (or
		// nothing) because they cannot calculate: the value is not in the file.
		if strings.TrimSpace(v) == "" {
			return "", NoteNoCache, "", nil
		}
		if t.fullCalc {
			text, _, _ := xlsxCell(c.typ, v, f, true, true, t.date1904)
			return text, NoteStale, "", nil
		}
	}
	text, note, other := xlsxCell(c.typ, v, f, c.hasFormula, c.hasValue, t.date1904)
	return text, note, other, nil
}
