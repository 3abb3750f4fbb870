package table

import (
	"archive/zip"
	"bufio"
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
// the sheet in memory. Shared strings are held (the format requires it); styles are reduced to one
// byte per cell format.
type xlsxTable struct {
	zr       *zip.ReadCloser
	rc       io.ReadCloser
	dec      *xml.Decoder
	sst      []string
	styles   []styleKind
	date1904 bool
	fullCalc bool
	header   []string
	width    int
	lastNote []Note
	done     bool
	buf      []byte
	rowNum   int // the last row number read
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
	rc, err := zf.Open()
	if err != nil {
		return true, err
	}
	defer rc.Close()
	if err := xml.NewDecoder(io.LimitReader(rc, 64<<20)).Decode(v); err != nil {
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
	var wx xmlWorkbook
	found, err := readPart(wb.files, wbPart, &wx)
	if err != nil {
		return fail(err, "is not a readable XLSX workbook (corrupt workbook part: %v)", err)
	}
	if !found {
		if wb.files["content.xml"] != nil {
			return fail(nil, "is an OpenDocument spreadsheet (.ods), not XLSX: save it as .xlsx or CSV")
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
	names := make([]string, len(sheets))
	for i, s := range sheets {
		names[i] = strconv.Quote(s.Name)
	}
	return sheetInfo{}, fmt.Errorf("no sheet %q: the workbook has %s (give a name or a number from 1 to %d)", want, strings.Join(names, ", "), len(sheets))
}

func openXLSX(p string, opt Options) (_ Table, err error) {
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
	if sh.Kind != "worksheet" {
		return nil, fileErr(p, nil, "sheet %q is a %s, not a worksheet with rows", sh.Name, sh.Kind)
	}
	zf := wb.files[strings.ToLower(sh.Part)]
	if zf == nil {
		return nil, fileErr(p, nil, "is a corrupt XLSX workbook: sheet %q has no data part", sh.Name)
	}
	t := &xlsxTable{zr: zr, date1904: wb.date1904, fullCalc: wb.fullCalc}
	if wb.styles != "" {
		if t.styles, err = readStyles(wb.files[strings.ToLower(wb.styles)]); err != nil {
			return nil, fileErr(p, err, "is a corrupt XLSX workbook (styles: %v)", err)
		}
	}
	if wb.sst != "" {
		if t.sst, err = readSharedStrings(wb.files[strings.ToLower(wb.sst)]); err != nil {
			return nil, fileErr(p, err, "is a corrupt XLSX workbook (shared strings: %v)", err)
		}
	}
	if t.rc, err = zf.Open(); err != nil {
		return nil, fileErr(p, err, "is a corrupt XLSX workbook (sheet %q: %v)", sh.Name, err)
	}
	t.dec = xml.NewDecoder(bufio.NewReaderSize(t.rc, 64<<10))
	for {
		_, cells, err := t.Next()
		if errors.Is(err, io.EOF) {
			t.rc.Close()
			return nil, fileErr(p, nil, "sheet %q is empty: expected column names in row 1", sh.Name)
		}
		if err != nil {
			t.rc.Close()
			return nil, fileErr(p, err, "is a corrupt XLSX workbook (sheet %q: %v)", sh.Name, err)
		}
		t.header = cleanHeader(cells)
		t.width = len(cells)
		break
	}
	return t, nil
}

// readSharedStrings reads the shared string table: the text of each <si>, rich-text runs
// concatenated, phonetic runs (<rPh>) left out.
func readSharedStrings(zf *zip.File) ([]string, error) {
	if zf == nil {
		return nil, nil
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	dec := xml.NewDecoder(bufio.NewReaderSize(rc, 64<<10))
	var (
		out            []string
		buf            []byte
		inSI, inT, rph bool
		depthRPh       int
	)
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
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
				out = append(out, string(buf))
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

// readStyles reduces the cell formats to what reading needs: date, scientific or plain.
func readStyles(zf *zip.File) ([]styleKind, error) {
	if zf == nil {
		return nil, nil
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var st xmlStyles
	if err := xml.NewDecoder(io.LimitReader(rc, 64<<20)).Decode(&st); err != nil {
		return nil, err
	}
	custom := map[int]string{}
	for _, f := range st.NumFmts {
		custom[f.ID] = f.Code
	}
	out := make([]styleKind, len(st.Xfs))
	for i, xf := range st.Xfs {
		if code, ok := custom[xf.NumFmtID]; ok {
			out[i] = classifyFormat(code)
			continue
		}
		out[i] = builtinFormat(xf.NumFmtID)
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

func (t *xlsxTable) Encoding() string { return EncXLSX }

func (t *xlsxTable) Notes() []Note { return t.lastNote }

func (t *xlsxTable) Close() error {
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
func colIndex(ref string) int {
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

// Next returns the next row that has a non-blank cell. Cells are as Excel shows them with the
// General format; Notes() tells which cells were dates, rounded numbers, formulas without a value.
func (t *xlsxTable) Next() (int, []string, error) {
	for !t.done {
		line, cells, notes, err := t.readRow()
		if err != nil {
			return 0, nil, err
		}
		if cells == nil && t.done {
			break
		}
		if EmptyRow(cells) {
			// A blank row may still carry a note (a formula without a cached value): keep it.
			if notes == nil {
				continue
			}
		}
		t.lastNote = notes
		return line, cells, nil
	}
	return 0, nil, io.EOF
}

// cellState is the cell being parsed.
type cellState struct {
	col        int
	typ        string
	style      int
	hasValue   bool
	hasFormula bool
}

var errSheetCorrupt = errors.New("malformed sheet XML")

// readRow parses one <row> element. At the end of the sheet it sets t.done and returns nil cells.
func (t *xlsxTable) readRow() (line int, cells []string, notes []Note, err error) {
	var (
		inRow, inCell, inV, inIS, inT bool
		rph                           int
		c                             cellState
		lastCol                       = -1
		rowNum                        = 0
	)
	for {
		tok, err := t.dec.RawToken()
		if errors.Is(err, io.EOF) {
			t.done = true
			if inRow {
				return 0, nil, nil, fmt.Errorf("%w: sheet ends inside a row", errSheetCorrupt)
			}
			return 0, nil, nil, nil
		}
		if err != nil {
			return 0, nil, nil, fmt.Errorf("%w: %v", errSheetCorrupt, err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			switch el.Name.Local {
			case "row":
				inRow = true
				rowNum = t.lastRow() + 1
				for _, a := range el.Attr {
					if a.Name.Local == "r" {
						if n, err := strconv.Atoi(a.Value); err == nil && n > 0 {
							rowNum = n
						}
					}
				}
				cells = make([]string, 0, t.width)
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
							c.col = n
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
				text, note := t.cellText(&c)
				if text == "" && note == NoteNone {
					continue
				}
				for len(cells) <= c.col {
					cells = append(cells, "")
				}
				cells[c.col] = text
				if note != NoteNone {
					if notes == nil {
						notes = make([]Note, 0, c.col+1)
					}
					for len(notes) <= c.col {
						notes = append(notes, NoteNone)
					}
					notes[c.col] = note
				}
			case "row":
				if inRow {
					t.setLastRow(rowNum)
					return rowNum, cells, notes, nil
				}
			case "sheetData":
				t.done = true
				return 0, nil, nil, nil
			}
		case xml.CharData:
			if inV || inT {
				t.buf = append(t.buf, el...)
			}
		}
	}
}

// cellText converts the parsed cell to text and a note.
func (t *xlsxTable) cellText(c *cellState) (string, Note) {
	v := string(t.buf)
	style := styleGeneral
	if c.style >= 0 && c.style < len(t.styles) {
		style = t.styles[c.style]
	}
	if c.typ == "s" && c.hasValue {
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || i < 0 || i >= len(t.sst) {
			return "", NoteBadNumber
		}
		v = t.sst[i]
	}
	if c.hasFormula {
		// A formula's cached value is in <v>; openpyxl and many generators write <v></v> (or
		// nothing) because they cannot calculate: the value is not in the file.
		if strings.TrimSpace(v) == "" {
			return "", NoteNoCache
		}
		if t.fullCalc {
			text, _ := xlsxCellText(c.typ, v, style, true, true, t.date1904)
			return text, NoteStale
		}
	}
	return xlsxCellText(c.typ, v, style, c.hasFormula, c.hasValue, t.date1904)
}

// lastRow/setLastRow remember the last row number for rows without an r attribute.
func (t *xlsxTable) lastRow() int { return t.rowNum }

func (t *xlsxTable) setLastRow(n int) { t.rowNum = n }
