package batch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"strconv"
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

// Field length limits: longer values are refused, never truncated.
const (
	MaxIDLen     = 64
	MaxReasonLen = 256
)

// Problem is one validation error, as the user must fix it: the row as the user sees it in the
// sheet (header = 1), the column as named in the file (the canonical name when it is not a column
// of the file, e.g. a constant or a missing column), the value as read, and what is wrong.
type Problem struct {
	Row     int    `json:"row"`
	Column  string `json:"column"`
	Value   string `json:"value"`
	Message string `json:"message"`
	// Col is the 0-based index of the column in the header, -1 when the problem is not in a cell.
	Col int `json:"-"`
}

// String is the problem as one line: "row 17, mobile: 1.86518E+10 — Excel has rounded …".
func (p Problem) String() string {
	if p.Column == "" {
		return fmt.Sprintf("row %d: %s", p.Row, p.Message)
	}
	if p.Value == "" {
		return fmt.Sprintf("row %d, %s: %s", p.Row, p.Column, p.Message)
	}
	return fmt.Sprintf("row %d, %s: %s — %s", p.Row, p.Column, p.Value, p.Message)
}

// HeaderError is a header that cannot be used (a missing required column, two columns meaning
// the same thing, a constant that is also a column). Problems are the details to print.
type HeaderError struct {
	Path     string
	Encoding string
	Header   []string
	Problems []Problem
}

func (e *HeaderError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.String()
	}
	return e.Path + ": " + strings.Join(msgs, "; ")
}

// Row is one valid input row, ready to send.
type Row struct {
	Line       int                    // row number as the user sees it
	Req        client.RechargeRequest // validated; RequestID set (from the request_id column, else RequestIDv1)
	AccountKey string                 // brand_id + the customer identity used (for per-account ordering)
	Raw        []string               // the row's cells as read, aligned to Reader.Header()
	Extra      []string               // cells of unknown (pass-through) columns, aligned to Reader.ExtraHeader()
}

// field indexes canonicalOrder.
const (
	fBrand = iota
	fShop
	fOperator
	fOuterOrder
	fNewOuterOrder
	fOperateType
	fChangeValue
	fCustomer
	fMobile
	fOuterID
	fOuterType
	fReason
	fRequestID
	nFields
)

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
	seed     maphash.Seed // keys explicit request_ids
	idSeed   maphash.Seed // keys identities when checkOnly
	ids      idHasher     // used by validate only (the read-ahead goroutine)
	keyBuf   []byte       // likewise

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

// required columns (a column or a constant must provide them).
var requiredFields = []int{fBrand, fShop, fOperator, fOuterOrder, fOperateType, fChangeValue}

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
	t, err := table.Open(path, opt.Table)
	if err != nil {
		return nil, err
	}
	return newReader(path, t, opt, unit, m)
}

// newReader maps t's header; on error t is closed.
func newReader(path string, t table.Table, opt Options, unit svbatch.Unit, m *Mapping) (*Reader, error) {
	r := &Reader{path: path, t: t, opt: opt, unit: unit, header: t.Header(), seen: newSeenTable(table.RowHint(t)),
		seed: maphash.MakeSeed(), idSeed: maphash.MakeSeed()}
	r.nt, _ = t.(table.Noted)
	if err := r.mapHeader(m); err != nil {
		t.Close()
		return nil, err
	}
	return r, nil
}

// mapHeader finds the canonical columns and the pass-through ones.
func (r *Reader) mapHeader(m *Mapping) error {
	var problems []Problem
	for i := range r.col {
		r.col[i] = -1
		r.name[i] = canonicalOrder[i]
	}
	for i, h := range r.header {
		c, ok := CanonicalHeader(h, m)
		if !ok {
			r.extraIdx = append(r.extraIdx, i)
			r.extraHdr = append(r.extraHdr, h)
			continue
		}
		f := fieldIndex(c)
		if prev := r.col[f]; prev >= 0 {
			problems = append(problems, Problem{Row: 1, Column: h, Col: i,
				Message: fmt.Sprintf("columns %q and %q both mean %s: keep one", r.header[prev], h, c)})
			continue
		}
		r.col[f] = i
		r.name[f] = h
	}
	if m != nil {
		for c, v := range m.Constants {
			f := fieldIndex(c)
			if r.col[f] >= 0 {
				problems = append(problems, Problem{Row: 1, Column: r.name[f], Col: r.col[f],
					Message: fmt.Sprintf("%s is both a column of the file and a constant in the mapping: keep one", c)})
				continue
			}
			r.constant[f] = v
		}
	}
	found := r.foundHeaders()
	for _, f := range requiredFields {
		if r.col[f] < 0 && r.constant[f] == "" {
			problems = append(problems, Problem{Row: 1, Column: canonicalOrder[f], Col: -1,
				Message: fmt.Sprintf("required column %s (%s) is missing; the header has: %s", canonicalOrder[f], ChineseLabels[canonicalOrder[f]], found)})
		}
	}
	if !r.has(fCustomer) && !r.has(fMobile) && !r.has(fOuterID) {
		problems = append(problems, Problem{Row: 1, Column: ColCustomerID, Col: -1,
			Message: "no customer column: need customer_id, mobile, or outer_id with outer_type; the header has: " + found})
	}
	if len(problems) > 0 {
		return &HeaderError{Path: r.path, Encoding: r.t.Encoding(), Header: r.header, Problems: problems}
	}
	return nil
}

func (r *Reader) has(f int) bool { return r.col[f] >= 0 || r.constant[f] != "" }

func (r *Reader) foundHeaders() string {
	if len(r.header) == 0 {
		return "(nothing)"
	}
	q := make([]string, len(r.header))
	for i, h := range r.header {
		q[i] = strconv.Quote(h)
	}
	return strings.Join(q, ", ")
}

func fieldIndex(c string) int {
	for i, n := range canonicalOrder {
		if n == c {
			return i
		}
	}
	panic("batch: unknown canonical column " + c) // unreachable: callers pass canonical names
}

// Header is the file's header row as read (trimmed, BOM stripped).
func (r *Reader) Header() []string { return r.header }

// ExtraHeader names the pass-through columns (not canonical), in file order.
func (r *Reader) ExtraHeader() []string { return r.extraHdr }

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
		return Row{}, nil, checked{}, fmt.Errorf("%s: %w", r.path, err)
	}
	var notes []table.Note
	if r.nt != nil {
		notes = r.nt.Notes()
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
	if len(r.extraIdx) > 0 && !r.checkOnly {
		row.Extra = make([]string, len(r.extraIdx))
		for i, j := range r.extraIdx {
			row.Extra[i] = raw[j]
		}
	}
	problems, ck := r.validate(&row, notes, problems)
	return row, problems, ck, nil
}

// columnLetter is the spreadsheet letter of a 0-based column (27 → "AB").
func columnLetter(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// validate fills row.Req and row.AccountKey, appending every problem of the row.
// validate runs the checks of one row that need no other row: it fills row.Req and
// row.AccountKey and appends every problem. It must not touch mutable Reader state: it runs on
// the read-ahead goroutine.
func (r *Reader) validate(row *Row, notes []table.Note, problems []Problem) ([]Problem, checked) {
	var v [nFields]string
	bad := func(f int, value, msg string) {
		problems = append(problems, Problem{Row: row.Line, Column: r.name[f], Value: value, Message: msg, Col: r.col[f]})
	}
	var broken [nFields]bool // the field already has a problem
	for f := 0; f < nFields; f++ {
		var s string
		if c := r.col[f]; c >= 0 {
			s = trimSpace(row.Raw[c])
			if c < len(notes) && notes[c] != table.NoteNone {
				n := notes[c]
				if f != fReason || n == table.NoteNoCache || n == table.NoteError {
					bad(f, s, n.Message())
					broken[f] = true
					continue
				}
			}
		} else {
			s = r.constant[f]
		}
		v[f] = s
		if s == "" {
			continue
		}
		if msg := textProblem(f, s); msg != "" {
			bad(f, s, msg)
			broken[f] = true
		}
	}
	for _, f := range requiredFields {
		if v[f] == "" && !broken[f] {
			bad(f, "", "is required")
			broken[f] = true
		}
	}
	req := &row.Req
	req.BrandID, req.ShopID, req.OperatorID = v[fBrand], v[fShop], v[fOperator]
	req.OuterOrderID, req.NewOuterOrderID = v[fOuterOrder], v[fNewOuterOrder]
	req.CustomerID, req.Mobile, req.OuterID = v[fCustomer], v[fMobile], v[fOuterID]
	req.Reason = v[fReason]

	if s := v[fOperateType]; s != "" && !broken[fOperateType] {
		op, err := svbatch.ParseOperateType(s)
		if err != nil {
			bad(fOperateType, s, "must be 1-4, charge|freeze|verify|refund or 充值|冻结|核销|充值回退")
			broken[fOperateType] = true
		} else {
			req.OperateType = op
		}
	}
	if s := v[fChangeValue]; s != "" && !broken[fChangeValue] {
		fen, msg := svbatch.ParseChangeValue(s, r.unit)
		if msg != "" {
			bad(fChangeValue, s, msg)
			broken[fChangeValue] = true
		} else {
			req.ChangeValue = fen
		}
	}
	if s := v[fMobile]; s != "" && !broken[fMobile] {
		if msg := mobileProblem(s); msg != "" {
			bad(fMobile, s, msg)
			broken[fMobile] = true
		}
	}
	if s := v[fOuterType]; s != "" && !broken[fOuterType] {
		ot, ok := normOuterType(s)
		if !ok {
			bad(fOuterType, s, "must be wechat or alipay (微信 or 支付宝)")
			broken[fOuterType] = true
		} else {
			req.OuterType = ot
		}
	}
	switch {
	case v[fOuterID] != "" && v[fOuterType] == "" && !broken[fOuterType]:
		bad(fOuterType, "", "is required when outer_id is given: wechat or alipay")
		broken[fOuterType] = true
	case v[fOuterID] == "" && v[fOuterType] != "" && !broken[fOuterID] && !broken[fOuterType]:
		bad(fOuterID, "", "is required when outer_type is given")
		broken[fOuterID] = true
	}
	accountKind, account := "", ""
	switch {
	case v[fCustomer] != "":
		accountKind, account = ColCustomerID, v[fCustomer]
	case v[fMobile] != "":
		accountKind, account = ColMobile, v[fMobile]
	case v[fOuterID] != "":
		accountKind, account = req.OuterType, v[fOuterID]
	}
	if account == "" && !broken[fCustomer] && !broken[fMobile] && !broken[fOuterID] {
		f := fCustomer
		if r.col[f] < 0 {
			if r.col[fMobile] >= 0 {
				f = fMobile
			} else if r.col[fOuterID] >= 0 {
				f = fOuterID
			}
		}
		bad(f, "", "no customer: fill customer_id, mobile, or outer_id with outer_type")
	}
	if req.OperateType == svbatch.Refund {
		switch {
		case v[fNewOuterOrder] == "" && !broken[fNewOuterOrder]:
			bad(fNewOuterOrder, "", "is required for a refund (operate_type 4): the refund's own order number")
			broken[fNewOuterOrder] = true
		case v[fNewOuterOrder] != "" && v[fNewOuterOrder] == v[fOuterOrder]:
			bad(fNewOuterOrder, v[fNewOuterOrder], "must differ from outer_order_id (the charge being refunded)")
			broken[fNewOuterOrder] = true
		}
	} else if req.OperateType != 0 && v[fNewOuterOrder] != "" && !broken[fNewOuterOrder] {
		bad(fNewOuterOrder, v[fNewOuterOrder], "is only for refunds (operate_type 4): leave it empty for "+req.OperateType.String())
		broken[fNewOuterOrder] = true
	}

	ck := checked{}
	if !broken[fBrand] && !broken[fOperateType] && !broken[fOuterOrder] && !broken[fNewOuterOrder] && req.OperateType != 0 {
		if r.checkOnly {
			ck.identityKey = r.identityKey(req)
		} else {
			req.RequestID, ck.identityKey = r.ids.id(r.opt.IDNamespace, req.BrandID, int(req.OperateType), req.OuterOrderID, req.NewOuterOrderID)
		}
		ck.identity = true
	}
	if s := v[fRequestID]; s != "" && !broken[fRequestID] {
		req.RequestID = s
		ck.explicit, ck.explicitKey = true, maphash.String(r.seed, s)
	}
	if account != "" && req.BrandID != "" && !r.checkOnly {
		row.AccountKey = req.BrandID + "|" + accountKind + ":" + account
	}
	return problems, ck
}

// identityKey hashes what request_id v1 hashes, but for the duplicate check only: the namespace
// is the same for every row, the operate_type is one byte, and the lengths of the first two ids
// make the encoding injective.
func (r *Reader) identityKey(req *client.RechargeRequest) uint64 {
	b := append(r.keyBuf[:0], byte(req.OperateType))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(req.BrandID)))
	b = append(b, req.BrandID...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(req.OuterOrderID)))
	b = append(b, req.OuterOrderID...)
	b = append(b, req.NewOuterOrderID...)
	r.keyBuf = b
	return maphash.Bytes(r.idSeed, b)
}

// trimSpace is strings.TrimSpace with a fast path for the common cell that starts and ends with
// a printable ASCII character.
func trimSpace(s string) string {
	if n := len(s); n > 0 && s[0] > ' ' && s[0] < utf8.RuneSelf && s[n-1] > ' ' && s[n-1] < utf8.RuneSelf {
		return s
	}
	return strings.TrimSpace(s)
}

// checked is what the stateless checks of a row leave for the duplicate check.
type checked struct {
	identity, explicit       bool
	identityKey, explicitKey uint64
}

// dedup checks the row's identity and explicit request_id against the rows before it.
func (r *Reader) dedup(row *Row, ck checked, problems []Problem) []Problem {
	valid := len(problems) == 0
	if ck.identity {
		first, firstValid, dup := r.seen.seen(ck.identityKey, row.Line, valid)
		if dup {
			p := Problem{Row: row.Line, Column: r.name[fOuterOrder], Value: row.Req.OuterOrderID, Col: r.col[fOuterOrder],
				Message: fmt.Sprintf("duplicate of row %d: same brand_id, operate_type, outer_order_id and new_outer_order_id (each operation must appear once)", first)}
			problems = append(problems, p)
			if r.onDup != nil {
				p.Row = first
				p.Message = fmt.Sprintf("duplicated in row %d: same brand_id, operate_type, outer_order_id and new_outer_order_id (each operation must appear once)", row.Line)
				r.onDup(firstValid, p)
			}
		}
	}
	if ck.explicit {
		s := row.Req.RequestID
		first, firstValid, dup := r.seen.seen(ck.explicitKey, row.Line, len(problems) == 0)
		if dup {
			p := Problem{Row: row.Line, Column: r.name[fRequestID], Value: s, Col: r.col[fRequestID],
				Message: fmt.Sprintf("request_id already used in row %d: each row needs its own", first)}
			problems = append(problems, p)
			if r.onDup != nil {
				p.Row = first
				p.Message = fmt.Sprintf("request_id used again in row %d: each row needs its own", row.Line)
				r.onDup(firstValid, p)
			}
			if valid && ck.identity {
				r.seen.unmark(ck.identityKey) // this row is invalid after all
			}
		}
	}
	return problems
}

// exactFields hold ids or numbers that Excel must not have turned into scientific notation.
func exactField(f int) bool { return f != fReason && f != fOperateType && f != fOuterType }

// textProblem checks what every field must satisfy: valid UTF-8, no control characters, the
// length limit, and (ids, mobile) no scientific notation. Plain ASCII takes a fast path.
func textProblem(f int, s string) string {
	hasE := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return textProblemSlow(f, s)
		}
		if c < 0x20 || c == 0x7f {
			return msgControl
		}
		if c == 'e' || c == 'E' {
			hasE = true
		}
	}
	// ASCII: bytes are characters.
	if limit := fieldLimit(f); limit > 0 && len(s) > limit {
		return fmt.Sprintf("is %d characters long; at most %d are allowed (svbatch never truncates)", len(s), limit)
	}
	if hasE && exactField(f) && f != fChangeValue && svbatch.LooksScientific(s) {
		return table.NoteRounded.Message()
	}
	return ""
}

const msgControl = "contains a control character (line break, tab or similar): remove it"

func fieldLimit(f int) int {
	switch f {
	case fReason:
		return MaxReasonLen
	case fOperateType, fOuterType, fChangeValue:
		return 0
	}
	return MaxIDLen
}

// textProblemSlow is textProblem for text with non-ASCII characters: invalid UTF-8 anywhere
// comes first, then control characters, then the length. In valid UTF-8 the only control
// characters beyond ASCII are U+0080–U+009F (C2 80–C2 9F) and, by our rule, U+2028 and U+2029
// (E2 80 A8, E2 80 A9), so bytes are scanned rather than runes decoded; and a string of no more
// bytes than the limit has no more characters either.
func textProblemSlow(f int, s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8 text: the file mixes encodings — pass --encoding gbk or gb18030"
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c == 0x7f:
			return msgControl
		case c == 0xC2:
			if i+1 < len(s) && s[i+1] <= 0x9F {
				return msgControl
			}
		case c == 0xE2:
			if i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9) {
				return msgControl
			}
		}
	}
	if limit := fieldLimit(f); limit > 0 && len(s) > limit {
		if n := utf8.RuneCountInString(s); n > limit {
			return fmt.Sprintf("is %d characters long; at most %d are allowed (svbatch never truncates)", n, limit)
		}
	}
	if exactField(f) && f != fChangeValue && svbatch.LooksScientific(s) {
		return table.NoteRounded.Message()
	}
	return ""
}

// mobileProblem accepts digits with an optional leading + (5 to 20 digits).
func mobileProblem(s string) string {
	d := strings.TrimPrefix(s, "+")
	if !svbatch.AllDigits(d) || len(d) < 5 || len(d) > 20 {
		return "must be a phone number: 5 to 20 digits, optionally with a leading +"
	}
	return ""
}

func normOuterType(s string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "wechat", "微信", "weixin":
		return "wechat", true
	case "alipay", "支付宝":
		return "alipay", true
	}
	return "", false
}
