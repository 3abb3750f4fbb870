package batch

import (
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"strings"
	"unicode/utf8"

	"svbatch"
	"svbatch/client"
	"svbatch/table"
)

// Options for reading rows of operations.
type Options struct {
	Table       table.Options // how the file is read: sheet, encoding, delimiter
	MappingFile string        // "" = none
	AmountUnit  string        // "fen" (default, "") | "yuan"
	IDNamespace string        // --id-namespace, part of request_id v1
}

// Row is one valid input row, ready to send.
type Row struct {
	Line       int                    // row number as the user sees it
	Req        client.RechargeRequest // validated; RequestID set (from the request_id column, else RequestIDv1)
	AccountKey string                 // brand_id + the customer identity used (for per-account ordering)
	Raw        []string               // the row's cells as read, aligned to Reader.Header()
	Extra      []string               // cells of unknown (pass-through) columns, aligned to Reader.ExtraHeader()
}

// Reader yields validated rows in file order. Memory stays bounded: it holds one row at a time
// and a 12-byte slot per identity seen (for duplicates). A Reader is not safe for concurrent use.
type Reader struct {
	path     string
	t        table.Table
	nt       table.Noted
	opt      Options
	unit     svbatch.Unit
	header   []string
	col      [nFields]int    // column index in the header, -1 if absent
	constant [nFields]string // value from the mapping's constants
	name     [nFields]string // the column as named for the user
	extraIdx []int
	extraHdr []string
	seen     *seenTable
	// mappingText is the mapping's content, canonical (Reading).
	mappingText string
	seed        maphash.Seed // keys explicit request_ids
	idSeed      maphash.Seed // keys identities when checkOnly
	ids         idHasher     // used by validate only (the read-ahead goroutine)
	keyBuf      []byte       // likewise

	// checkOnly is set by Validate, which reads no Row: validate then derives no request_id and
	// no account key, and keys identities by maphash of their canonical string (the same fields,
	// length-prefixed, as request_id v1 hashes) instead of by SHA-256.
	checkOnly bool

	// onDup, when set, gets the problem to report on the first row of a duplicate pair (Validate
	// names both rows), and whether that row had been counted valid.
	onDup func(firstValid bool, back Problem)

	// Reading ahead (see Next).
	ahead  *table.Ahead[checkedRow]
	cur    []checkedRow
	pos    int
	closed bool
}

// Open opens a CSV or XLSX file of operations and maps its header. An unreadable file is a
// *table.FileError; an unusable header is a *HeaderError listing every header problem.
func Open(path string, opt Options) (*Reader, error) {
	unit, err := svbatch.ParseUnit(opt.AmountUnit)
	if err != nil {
		return nil, err
	}
	var m *Mapping
	if opt.MappingFile != "" {
		var err error
		if m, err = LoadMapping(opt.MappingFile); err != nil {
			return nil, err
		}
	}
	t, err := table.Open(path, tableOptions(opt, m))
	if err != nil {
		return nil, err
	}
	return newReader(path, t, opt, unit, m)
}

// TableOptions are the options batch opens a file with: opt.Table, and the header found as
// batch finds it (the row with most columns svbatch or the mapping knows). Whoever reads the
// same file as a table (the errors workbook of validate --out) must use them to see the same
// header and rows.
func TableOptions(opt Options) (table.Options, error) {
	var m *Mapping
	if opt.MappingFile != "" {
		var err error
		if m, err = LoadMapping(opt.MappingFile); err != nil {
			return table.Options{}, err
		}
	}
	return tableOptions(opt, m), nil
}

func tableOptions(opt Options, m *Mapping) table.Options {
	topt := opt.Table
	if topt.HeaderScore == nil {
		topt.HeaderScore = headerScore(m)
	}
	return topt
}

// newReader maps t's header; on error t is closed.
func newReader(path string, t table.Table, opt Options, unit svbatch.Unit, m *Mapping) (*Reader, error) {
	r := &Reader{path: path, t: t, opt: opt, unit: unit, header: t.Header(), seen: newSeenTable(table.RowHint(t)),
		seed: maphash.MakeSeed(), idSeed: maphash.MakeSeed()}
	r.nt, _ = t.(table.Noted)
	r.mappingText = m.canonical()
	if err := r.mapHeader(m); err != nil {
		t.Close()
		return nil, err
	}
	return r, nil
}

// Header is the file's header row as read (trimmed, BOM stripped).
func (r *Reader) Header() []string { return r.header }

// ExtraHeader names the pass-through columns (not canonical), in file order.
func (r *Reader) ExtraHeader() []string { return r.extraHdr }

// HeaderLine is the row of the header as the sheet numbers it (1 unless rows above it were
// skipped or chosen away with Options.Table.HeaderRow).
func (r *Reader) HeaderLine() int { return table.HeaderLine(r.t) }

// Unit is the unit change_value is read in: Options.AmountUnit, or the header's (金额(元)), or fen.
func (r *Reader) Unit() svbatch.Unit { return r.unit }

// Warnings are what the file says beyond its rows (hidden rows, a lock file, a close call of
// encodings): all of them once Next has returned io.EOF.
func (r *Reader) Warnings() []Warning { return table.Warnings(r.t) }

// Encoding says how the file was read: "utf-8", "utf-8-bom", "gbk", "gb18030" or "xlsx".
func (r *Reader) Encoding() string { return r.t.Encoding() }

// Close stops reading ahead and closes the file.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if r.ahead != nil {
		r.ahead.Stop()
	}
	return r.t.Close()
}

// Next reads the next non-empty row and validates it. It returns io.EOF at the end. A non-empty
// []Problem means the row is invalid (Row.Line and Row.Raw are still set); a duplicate of an
// earlier row's identity is a problem of the later row. Other errors mean the file cannot be read
// further.
//
// Rows are read and checked a few batches ahead on a goroutine (so reading and checking use two
// cores); the duplicate check runs here, in file order. Close stops the goroutine.
func (r *Reader) Next() (Row, []Problem, error) {
	if r.ahead == nil {
		r.ahead = table.NewAhead(aheadRows, aheadBatches, func() (checkedRow, bool, error) {
			row, problems, ck, err := r.readChecked()
			return checkedRow{row, problems, ck}, false, err
		})
	}
	for r.pos >= len(r.cur) {
		if r.closed {
			return Row{}, nil, io.EOF
		}
		var err error
		if r.cur, err = r.ahead.Batch(); err != nil {
			return Row{}, nil, err
		}
		r.pos = 0
		r.warm()
	}
	c := &r.cur[r.pos]
	r.pos++
	problems := r.dedup(&c.row, c.ck, c.problems)
	return c.row, problems, nil
}

// warm loads the duplicate table's slots for the keys of the batch just received, all at once:
// the loads do not depend on each other, so their cache misses overlap, where the lookups in
// file order would wait for one miss after another.
func (r *Reader) warm() {
	var sink uint32
	for i := range r.cur {
		ck := &r.cur[i].ck
		if ck.identity {
			sink += r.seen.load(ck.identityKey)
		}
		if ck.explicit {
			sink += r.seen.load(ck.explicitKey)
		}
	}
	r.seen.sink = sink
}

// checkedRow is a row read and checked ahead.
type checkedRow struct {
	row      Row
	problems []Problem
	ck       checked
}

const (
	aheadRows    = 128
	aheadBatches = 4
)

// readChecked reads the next row from the table and runs the stateless checks.
func (r *Reader) readChecked() (Row, []Problem, checked, error) {
	line, cells, err := r.t.Next()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return Row{}, nil, checked{}, io.EOF
		}
		var fe *table.FileError
		if errors.As(err, &fe) {
			return Row{}, nil, checked{}, err // it names the file
		}
		return Row{}, nil, checked{}, fmt.Errorf("%s: %w", r.path, err)
	}
	var notes []table.Note
	var texts []string
	if r.nt != nil {
		if notes = r.nt.Notes(); notes != nil {
			texts = table.NoteTexts(r.t)
		}
	}
	row := Row{Line: line}
	var problems []Problem
	raw := cells
	if len(cells) > len(r.header) {
		for i := len(r.header); i < len(cells); i++ {
			if strings.TrimSpace(cells[i]) != "" {
				problems = append(problems, Problem{Row: line, Column: "column " + columnLetter(i), Value: cells[i], Col: -1,
					Message: "a value beyond the last header column: give the column a header or remove the value"})
				break
			}
		}
		raw = cells[:len(r.header)]
	} else if len(cells) < len(r.header) {
		raw = make([]string, len(r.header))
		copy(raw, cells)
	}
	row.Raw = raw
	if col, word := totalsCell(raw); col >= 0 {
		// A totals row (合计, Total) under the data is a sum, not an operation: only that is said.
		column := "column " + columnLetter(col)
		if col < len(r.header) {
			column = r.header[col]
		}
		return row, []Problem{{Row: line, Column: column, Value: cells[col], Col: col,
			Message: fmt.Sprintf("is a totals row (%s), not an operation: delete it, and any other summary row, from the file", word)}}, checked{}, nil
	}
	if len(r.extraIdx) > 0 && !r.checkOnly {
		row.Extra = make([]string, len(r.extraIdx))
		for i, j := range r.extraIdx {
			row.Extra[i] = raw[j]
		}
	}
	problems, ck := r.validate(&row, notes, texts, problems)
	return row, problems, ck, nil
}

// totalsWords start a totals row: its first non-empty cell is one of them (spaces, a colon and
// full-width forms aside, any case).
var totalsWords = map[string]bool{
	"合计": true, "总计": true, "小计": true, "总合计": true, "共计": true, "汇总": true, "合计金额": true, "总金额": true,
	"total": true, "totals": true, "grandtotal": true, "subtotal": true, "sum": true,
}

// totalsCell returns the column of a totals row's first non-empty cell and its word, or -1.
func totalsCell(cells []string) (int, string) {
	for i, c := range cells {
		c = trimSpace(c)
		if c == "" {
			continue
		}
		// Fast path: ids and amounts (digits, most letters) are no totals word.
		if len(c) > 32 || (c[0] < utf8.RuneSelf && !strings.ContainsRune("tTsSgG", rune(c[0]))) {
			return -1, ""
		}
		w := strings.TrimRight(normHeader(c), ":：")
		if totalsWords[w] {
			return i, c
		}
		return -1, ""
	}
	return -1, ""
}

// columnLetter is the spreadsheet letter of a 0-based column (27 → "AB").
func columnLetter(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}
