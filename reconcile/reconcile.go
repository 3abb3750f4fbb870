// Package reconcile proves a batch moved the money as intended: it matches the rows of a results
// file written by `svbatch run` against an expected ledger on the identity (brand_id, operate_type,
// outer_order_id, new_outer_order_id) and puts every row in exactly one category.
//
// It is pure functions over rows: the inputs are Sources (a header and rows of text cells, as
// table.Table gives them), the output a Report of plain values. Amounts are int64 fen throughout.
//
// # Categories
//
// For each identity, with E the expected rows and R the results rows carrying it:
//   - duplicate: more than one row on either side. Every row involved, both sides, is reported and
//     counted.
//   - missing: one expected row and no results row (status "absent"), or an expected success whose
//     result did not succeed (status failed/unknown/skipped/conflict/…).
//   - unexpected: one results row and no expected row (whatever its status; one that did not
//     succeed moved no money but still is not in the ledger).
//   - status_mismatch: the expected row expects a non-success (expected_status failed, say) and the
//     result succeeded, or saw another non-success status.
//   - customer_mismatch: both succeeded, but a customer field given in the expected row
//     (customer_id, mobile, outer_type, outer_id) differs from the result's. Checked before amounts.
//   - amount_mismatch: both succeeded and |actual − expected| > tolerance.
//   - matched: everything else (both succeeded with the same customer and amounts within the
//     tolerance, or the expected non-success was seen).
//
// # Amounts and the net-difference statement
//
// A results row "moved money" when its status is succeeded, or already_done unless its
// biz_success/result cells say false. An expected row "expects money to move" when its
// expected_status is succeeded (the default).
//   - expected_total = Σ change_value of expected rows that expect money to move (every such row,
//     duplicates included), summed while reading the ledger.
//   - actual_total = Σ change_value of results rows that moved money (every such row), summed while
//     reading the results.
//   - Each category has Expected (Σ of its rows' expected contributions, as above), Actual (likewise)
//     and Difference = Actual − Expected. net_difference = actual_total − expected_total, and the
//     statement is explained when Σ Difference over the seven row categories equals it and every row
//     read was put in exactly one category. The totals are summed independently of the
//     categorisation, so the check catches a row lost or counted twice.
//
// change_value is a volume: amounts are not signed by operate_type. The balance check (balances.go)
// is what verifies the effect on accounts.
//
// Every sum and difference of amounts is checked (svbatch.AddFen, svbatch.SubFen): a total that
// would pass int64 is an *InputError naming the row where it did, never a wrapped number (a wrapped
// total could even make the statement look explained). The expected ledger's change_value is
// bounded by svbatch.MaxChangeValue, balances by svbatch.MaxBalance.
//
// Each category's Count is the number of identities in it (a pair of rows counts once), except
// duplicate, which counts every row involved on both sides. Its Amount is the gross fen of its
// entries: for a pair, the result's change_value when it moved money, else the expected row's; for
// a lone row (and each row of a duplicate), its own change_value. balance_mismatch's Count is the
// accounts that differ and its Amount Σ(|Δavailable| + |Δfrozen|).
package reconcile

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"

	"svbatch"
)

// Source is a table of text cells: table.Table satisfies it. Next returns io.EOF after the last row;
// line is the row number as the user sees it (header = 1).
type Source interface {
	Header() []string
	Next() (line int, cells []string, err error)
}

// Category is one reconciliation category.
type Category int

// The categories, in report order.
const (
	Matched Category = iota
	Missing
	Unexpected
	AmountMismatch
	CustomerMismatch
	StatusMismatch
	Duplicate
	BalanceMismatch
	numCategories
)

// Categories lists every category in report order.
var Categories = []Category{Matched, Missing, Unexpected, AmountMismatch, CustomerMismatch, StatusMismatch, Duplicate, BalanceMismatch}

var categoryNames = [...]string{"matched", "missing", "unexpected", "amount_mismatch", "customer_mismatch", "status_mismatch", "duplicate", "balance_mismatch"}

// String returns the category's name as the JSON summary spells it ("amount_mismatch").
func (c Category) String() string {
	if c >= 0 && c < numCategories {
		return categoryNames[c]
	}
	return "category(" + strconv.Itoa(int(c)) + ")"
}

// HeaderFunc maps a header cell of a user-prepared file to its canonical column name
// (brand_id, change_value, …); ok is false for columns it does not know.
// batch.CanonicalHeader with a mapping fits; nil means DefaultHeader.
type HeaderFunc func(h string) (canonical string, ok bool)

// DefaultHeader knows the canonical names only: the header is trimmed, case-folded and stripped of
// a BOM.
func DefaultHeader(h string) (string, bool) {
	h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
	return h, h != ""
}

// Options tune Reconcile.
type Options struct {
	Tolerance  int64        // fen; |actual − expected| ≤ Tolerance is not an amount mismatch
	AmountUnit svbatch.Unit // unit of the expected ledger's change_value (and of expected balances)
	Header     HeaderFunc   // maps the expected ledger's headers; nil = DefaultHeader
	// Constants give a value to a canonical column the expected ledger lacks (a mapping file's
	// constants), e.g. {"brand_id": "B1"}.
	Constants map[string]string
	// MaxErrors caps the problems an InputError lists (default 50); all are counted.
	MaxErrors int
}

// RowError is one problem in an input file.
type RowError struct {
	File   string // "expected", "results", …
	Line   int
	Column string
	Value  string
	Msg    string
}

func (e RowError) String() string {
	s := e.File
	if e.Line > 0 {
		s += " row " + strconv.Itoa(e.Line)
	}
	if e.Column != "" {
		s += " column " + e.Column
	}
	if e.Value != "" {
		s += fmt.Sprintf(" value %q", e.Value)
	}
	return s + ": " + e.Msg
}

// InputError means an input cannot be reconciled (a required column is missing, a cell cannot be
// read): nothing is reported. Problems lists up to Options.MaxErrors of them; Total counts all.
type InputError struct {
	Problems []RowError
	Total    int
}

func (e *InputError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d problem(s) in the input", e.Total)
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	if e.Total > len(e.Problems) {
		fmt.Fprintf(&b, "\n  … and %d more", e.Total-len(e.Problems))
	}
	return b.String()
}

type problems struct {
	max int
	err InputError
}

func (p *problems) add(e RowError) {
	p.err.Total++
	if len(p.err.Problems) < p.max {
		p.err.Problems = append(p.err.Problems, e)
	}
}

func (p *problems) result() error {
	if p.err.Total == 0 {
		return nil
	}
	e := p.err
	return &e
}

// Total is one category's line of the summary (fen).
type Total struct {
	Count      int64
	Amount     int64
	Expected   int64
	Actual     int64
	Difference int64 // Actual − Expected
}

// statuses are interned: a row keeps a uint8 code, not a string.
type statusTable struct {
	names    []string
	codes    map[string]uint8
	last     string
	lastCode uint8
}

func newStatusTable() *statusTable {
	t := &statusTable{codes: map[string]uint8{}}
	t.code("") // 0: none/absent
	return t
}

func (t *statusTable) code(s string) uint8 {
	if s == t.last && len(t.names) > 0 {
		return t.lastCode
	}
	if c, ok := t.codes[s]; ok {
		t.last, t.lastCode = s, c
		return c
	}
	if len(t.names) >= 255 {
		return 255 // "other": more than 254 distinct statuses is not a results file
	}
	c := uint8(len(t.names))
	t.names = append(t.names, s)
	t.codes[s] = c
	return c
}

func (t *statusTable) name(c uint8) string {
	if int(c) < len(t.names) {
		return t.names[c]
	}
	return "other"
}

// resRow is the compact form of one results row.
type resRow struct {
	cust   string // packed customer identity; "" when it equals the expected row's (see sameCust)
	amount int64
	line   int32 // the results row's `row` column (the input's row), else its line in the file
	status uint8
	moved  bool
	// sameCust: cust was equal to the expected row's packed identity and is not stored twice.
	sameCust bool
}

// expRow is the compact form of one expected row and what the results said about its identity.
// No maps or slices per row: a million of them stay well under the memory target.
type expRow struct {
	key    string // identity, packed (see packKey)
	cust   string // packed customer identity as expected ("" when the ledger gives none)
	amount int64
	line   int32
	status uint8 // expected status code
	nexp   uint8 // expected rows with this key (saturating)
	nres   uint8 // results rows with this key (saturating)
	res    resRow
}

// unexRow is a results row whose identity the ledger does not have.
type unexRow struct {
	key string
	n   uint8
	res resRow
}

const sep = "\x1f"

// packKey packs the identity; sorting packed keys sorts by (brand_id, operate_type, outer_order_id,
// new_outer_order_id).
func packKey(brand string, op svbatch.OperateType, outer, newOuter string) string {
	return brand + sep + strconv.Itoa(int(op)) + sep + outer + sep + newOuter
}

// appendKey appends the packed key (as packKey) to b.
func appendKey(b []byte, brand string, op svbatch.OperateType, outer, newOuter string) []byte {
	b = append(b, brand...)
	b = append(b, sep...)
	b = strconv.AppendInt(b, int64(op), 10)
	b = append(b, sep...)
	b = append(b, outer...)
	b = append(b, sep...)
	return append(b, newOuter...)
}

// packedEquals reports whether packed == packCust(c), without building the packed string.
func packedEquals(packed string, c Customer) bool {
	if c == (Customer{}) {
		return packed == ""
	}
	for i, f := range [4]string{c.CustomerID, c.Mobile, c.OuterType, c.OuterID} {
		if !strings.HasPrefix(packed, f) {
			return false
		}
		packed = packed[len(f):]
		if i < 3 {
			if !strings.HasPrefix(packed, sep) {
				return false
			}
			packed = packed[len(sep):]
		}
	}
	return packed == ""
}

// Identity is the key rows are matched on.
type Identity struct {
	BrandID         string
	OperateType     int
	OuterOrderID    string
	NewOuterOrderID string
}

func unpackKey(k string) Identity {
	p := strings.SplitN(k, sep, 4)
	for len(p) < 4 {
		p = append(p, "")
	}
	op, _ := strconv.Atoi(p[1])
	return Identity{BrandID: p[0], OperateType: op, OuterOrderID: p[2], NewOuterOrderID: p[3]}
}

// Customer is a row's customer identity fields.
type Customer struct{ CustomerID, Mobile, OuterType, OuterID string }

func packCust(c Customer) string {
	if c == (Customer{}) {
		return ""
	}
	return c.CustomerID + sep + c.Mobile + sep + c.OuterType + sep + c.OuterID
}

func unpackCust(s string) Customer {
	if s == "" {
		return Customer{}
	}
	p := strings.SplitN(s, sep, 4)
	for len(p) < 4 {
		p = append(p, "")
	}
	return Customer{CustomerID: p[0], Mobile: p[1], OuterType: p[2], OuterID: p[3]}
}

// String shows the fields that are set: "customer_id=C1 mobile=138…".
func (c Customer) String() string {
	var parts []string
	for _, f := range []struct{ k, v string }{{"customer_id", c.CustomerID}, {"mobile", c.Mobile}, {"outer_type", c.OuterType}, {"outer_id", c.OuterID}} {
		if f.v != "" {
			parts = append(parts, f.k+"="+f.v)
		}
	}
	return strings.Join(parts, " ")
}

// custDiffers reports whether a field the expected row gives differs from the result's.
func custDiffers(exp, got Customer) bool {
	return (exp.CustomerID != "" && exp.CustomerID != got.CustomerID) ||
		(exp.Mobile != "" && exp.Mobile != got.Mobile) ||
		(exp.OuterType != "" && !strings.EqualFold(exp.OuterType, got.OuterType)) ||
		(exp.OuterID != "" && exp.OuterID != got.OuterID)
}

// chunked is an append-only slice in fixed chunks: growing it never copies (no 2× peak).
type chunked[T any] struct{ chunks [][]T }

const chunkSize = 1 << 15

func (c *chunked[T]) add(v T) int32 {
	n := len(c.chunks)
	if n == 0 || len(c.chunks[n-1]) == chunkSize {
		c.chunks = append(c.chunks, make([]T, 0, chunkSize))
		n++
	}
	c.chunks[n-1] = append(c.chunks[n-1], v)
	return int32((n-1)*chunkSize + len(c.chunks[n-1]) - 1)
}

func (c *chunked[T]) at(i int32) *T { return &c.chunks[int(i)/chunkSize][int(i)%chunkSize] }

func (c *chunked[T]) len() int {
	if len(c.chunks) == 0 {
		return 0
	}
	return (len(c.chunks)-1)*chunkSize + len(c.chunks[len(c.chunks)-1])
}

// Report is the outcome of Reconcile. Read it with Summary, Totals and Entries.
type Report struct {
	Tolerance     int64
	ExpectedRows  int64 // rows read from the expected ledger
	ResultsRows   int64 // rows read from the results
	ExpectedTotal int64 // fen; see the package comment
	ActualTotal   int64 // fen
	Explained     bool

	totals   [numCategories]Total
	statuses *statusTable
	exp      chunked[expRow]
	index    map[string]int32
	unex     chunked[unexRow]
	unexIdx  map[string]int32
	// the second and later rows of a duplicated identity, by the first row's ref
	extraExp map[int32][]expRow
	extraRes map[ref][]resRow
	refs     [numCategories][]ref // entries of each category; sorted by identity on first use
	sortOnce [numCategories]sync.Once
	balances []BalanceEntry
	netDiff  int64 // ActualTotal − ExpectedTotal, checked by classify
	diffSum  int64 // Σ Difference over the row categories, checked by classify
}

// ref points at an expected row (≥ 0) or an unexpected results row (< 0: -(i+1)).
type ref int32

func expRef(i int32) ref  { return ref(i) }
func unexRef(i int32) ref { return ref(-(i + 1)) }

// NetDifference is ActualTotal − ExpectedTotal.
func (r *Report) NetDifference() int64 { return r.netDiff }

// Totals returns one category's totals.
func (r *Report) Totals(c Category) Total { return r.totals[c] }

// DifferenceSum is Σ Difference over the row categories (balance_mismatch excluded).
func (r *Report) DifferenceSum() int64 { return r.diffSum }

// AllMatched reports whether every row matched and no balance differs: exit 0.
func (r *Report) AllMatched() bool {
	for c := Missing; c < numCategories; c++ {
		if r.totals[c].Count > 0 {
			return false
		}
	}
	return r.Explained
}

// overflowMsg says which sum passed int64 at a row.
func overflowMsg(what string) string {
	return what + " passes the int64 limit (9223372036854775807 fen) here: the amounts cannot be summed; check the file (an amount in the wrong unit?)"
}

// addTo sets *dst += v and reports whether the sum fits in int64 (*dst is left alone when not).
func addTo(dst *int64, v int64) bool {
	n, ok := svbatch.AddFen(*dst, v)
	if ok {
		*dst = n
	}
	return ok
}

// addRow adds one row's contribution to a category's totals; on overflow it names the total.
func (t *Total) addRow(amount, expected, actual int64) (overflowed string) {
	t.Count++
	switch {
	case !addTo(&t.Amount, amount):
		return "amount"
	case !addTo(&t.Expected, expected):
		return "expected"
	case !addTo(&t.Actual, actual):
		return "actual"
	}
	return ""
}

// overflowErr is the *InputError of a category total that passed int64 at a row: an expected row
// (its ledger row) or a results row (named by its `row` column and identity, which is what the
// results file shows).
func overflowErr(c Category, what string, key string, exp bool, line int32, amount int64) error {
	e := RowError{File: "expected", Line: int(line), Column: "change_value", Value: strconv.FormatInt(amount, 10),
		Msg: overflowMsg(fmt.Sprintf("the %s %s total", c, what))}
	if !exp {
		id := unpackKey(key)
		e.File, e.Line = "results", 0
		where := fmt.Sprintf("in the row whose row is %d (brand_id %s, operate_type %d, outer_order_id %s", line, id.BrandID, id.OperateType, id.OuterOrderID)
		if id.NewOuterOrderID != "" {
			where += ", new_outer_order_id " + id.NewOuterOrderID
		}
		e.Msg = where + "), " + e.Msg
	}
	return &InputError{Problems: []RowError{e}, Total: 1}
}

// expected-ledger columns
var expectedColumns = []string{"brand_id", "operate_type", "outer_order_id", "new_outer_order_id", "change_value",
	"customer_id", "mobile", "outer_type", "outer_id", "expected_status"}

// expectedStatusAliases are the header spellings of expected_status besides the canonical one.
var expectedStatusAliases = map[string]bool{"expected_status": true, "预期状态": true, "期望状态": true}

// columnIndex maps canonical column names to cell positions.
type columnIndex map[string]int

// Column ids of the fields reconcile reads.
const (
	cBrand = iota
	cOp
	cOuter
	cNewOuter
	cAmount
	cCustID
	cMobile
	cOuterType
	cOuterID
	cStatus // expected_status in the ledger, status in the results
	cRow
	cBiz
	cResult
	nCols
)

// colNames are the columns' names: the results file's (svbatch.ResultColumns), which the expected
// ledger shares but for its expected_status (see DefaultHeader).
var colNames = [nCols]string{svbatch.ColBrandID, svbatch.ColOperateType, svbatch.ColOuterOrderID, svbatch.ColNewOuterOrderID,
	svbatch.ColChangeValue, svbatch.ColCustomerID, svbatch.ColMobile, svbatch.ColOuterType, svbatch.ColOuterID,
	svbatch.ColStatus, svbatch.ColRow, svbatch.ColBizSuccess, svbatch.ColResult}

// colPos is a header resolved once: per column id, its cell position (-1: absent) or constant.
type colPos struct {
	pos    [nCols]int
	consts [nCols]string
}

func (ci columnIndex) resolve(statusName string, consts map[string]string) colPos {
	var c colPos
	for id, name := range colNames {
		if id == cStatus {
			name = statusName
		}
		c.pos[id] = -1
		if i, ok := ci[name]; ok {
			c.pos[id] = i
		} else {
			c.consts[id] = strings.TrimSpace(consts[name])
		}
	}
	return c
}

func (c *colPos) get(cells []string, id int) string {
	if i := c.pos[id]; i >= 0 {
		if i < len(cells) {
			return strings.TrimSpace(cells[i])
		}
		return ""
	}
	return c.consts[id]
}

func mapHeader(file string, header []string, hf HeaderFunc, extra func(string) (string, bool), p *problems) columnIndex {
	if hf == nil {
		hf = DefaultHeader
	}
	ci := columnIndex{}
	for i, h := range header {
		name, ok := hf(h)
		if !ok && extra != nil {
			name, ok = extra(h)
		}
		if !ok {
			continue
		}
		if j, dup := ci[name]; dup {
			p.add(RowError{File: file, Line: 1, Column: name, Msg: fmt.Sprintf("column given twice (columns %d and %d)", j+1, i+1)})
			continue
		}
		ci[name] = i
	}
	return ci
}

func expectedStatusHeader(h string) (string, bool) {
	n := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
	if expectedStatusAliases[n] {
		return "expected_status", true
	}
	return "", false
}

// parseExpectedStatus accepts the row states (succeeded, failed, …) and 成功/失败; "" is succeeded.
func parseExpectedStatus(s string) (svbatch.Status, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "succeeded", "success", "成功":
		return svbatch.Succeeded, true
	case "failed", "failure", "失败":
		return svbatch.Failed, true
	case "unknown":
		return svbatch.Unknown, true
	case "skipped":
		return svbatch.Skipped, true
	case "invalid":
		return svbatch.Invalid, true
	case "conflict":
		return svbatch.Conflict, true
	}
	return "", false
}

// Reconcile reads the expected ledger into memory (keyed by the identity), streams the results past
// it and classifies every row. An *InputError means an input is unusable; other errors are reading
// errors, wrapped with which side failed.
func Reconcile(expected, results Source, opt Options) (*Report, error) {
	if opt.MaxErrors <= 0 {
		opt.MaxErrors = 50
	}
	if opt.Tolerance < 0 {
		return nil, fmt.Errorf("tolerance %d: must not be negative", opt.Tolerance)
	}
	r := &Report{
		Tolerance: opt.Tolerance,
		statuses:  newStatusTable(),
		index:     map[string]int32{},
		unexIdx:   map[string]int32{},
		extraExp:  map[int32][]expRow{},
		extraRes:  map[ref][]resRow{},
	}
	r.statuses.code(string(svbatch.Succeeded))
	p := &problems{max: opt.MaxErrors}
	if err := r.readExpected(expected, opt, p); err != nil {
		return nil, err
	}
	if err := p.result(); err != nil {
		return nil, err
	}
	if err := r.readResults(results, p); err != nil {
		return nil, err
	}
	if err := p.result(); err != nil {
		return nil, err
	}
	if err := r.classify(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Report) readExpected(src Source, opt Options, p *problems) error {
	const file = "expected"
	ci := mapHeader(file, src.Header(), opt.Header, expectedStatusHeader, p)
	for _, c := range []string{"brand_id", "operate_type", "outer_order_id", "change_value"} {
		if _, ok := ci[c]; !ok && strings.TrimSpace(opt.Constants[c]) == "" {
			p.add(RowError{File: file, Line: 1, Column: c, Msg: "required column missing"})
		}
	}
	if p.err.Total > 0 {
		return nil
	}
	cp := ci.resolve("expected_status", opt.Constants)
	overflowed := false
	for {
		line, cells, err := src.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read expected ledger: %w", err)
		}
		if blank(cells) {
			continue
		}
		r.ExpectedRows++
		get := func(id int) string { return cp.get(cells, id) }
		bad := false
		brand, outer, newOuter := get(cBrand), get(cOuter), get(cNewOuter)
		for _, f := range []struct{ c, v string }{{"brand_id", brand}, {"outer_order_id", outer}} {
			if f.v == "" {
				p.add(RowError{File: file, Line: line, Column: f.c, Msg: "required"})
				bad = true
			}
		}
		op, err := parseOp(get(cOp))
		if err != nil {
			p.add(RowError{File: file, Line: line, Column: "operate_type", Value: get(cOp), Msg: err.Error()})
			bad = true
		} else if op == svbatch.Refund && newOuter == "" {
			p.add(RowError{File: file, Line: line, Column: "new_outer_order_id", Msg: "required for a refund (operate_type 4)"})
			bad = true
		}
		amt, msg := svbatch.ParseChangeValue(get(cAmount), opt.AmountUnit)
		if msg != "" {
			p.add(RowError{File: file, Line: line, Column: "change_value", Value: get(cAmount), Msg: msg})
			bad = true
		}
		st, ok := parseExpectedStatus(get(cStatus))
		if !ok {
			p.add(RowError{File: file, Line: line, Column: "expected_status", Value: get(cStatus), Msg: "want succeeded or failed (or unknown, skipped, invalid, conflict)"})
			bad = true
		}
		if bad {
			continue
		}
		row := expRow{
			key:    packKey(brand, op, outer, newOuter),
			cust:   packCust(Customer{get(cCustID), get(cMobile), get(cOuterType), get(cOuterID)}),
			amount: amt,
			line:   clampLine(line),
			status: r.statuses.code(string(st)),
			nexp:   1,
		}
		if st == svbatch.Succeeded && !overflowed {
			var ok bool
			if r.ExpectedTotal, ok = svbatch.AddFen(r.ExpectedTotal, amt); !ok {
				p.add(RowError{File: file, Line: line, Column: "change_value", Value: get(cAmount), Msg: overflowMsg("the expected total")})
				overflowed = true
			}
		}
		if i, dup := r.index[row.key]; dup {
			first := r.exp.at(i)
			first.nexp = satInc(first.nexp)
			row.key = first.key
			r.extraExp[i] = append(r.extraExp[i], row)
			continue
		}
		r.index[row.key] = r.exp.add(row)
	}
}

// parseOp is svbatch.ParseOperateType with a fast path for the digits a results file holds.
func parseOp(s string) (svbatch.OperateType, error) {
	if len(s) == 1 && s[0] >= '1' && s[0] <= '4' {
		return svbatch.OperateType(s[0] - '0'), nil
	}
	return svbatch.ParseOperateType(s)
}

func clampLine(n int) int32 {
	if n > 1<<31-1 {
		return 1<<31 - 1
	}
	return int32(n)
}

func satInc(n uint8) uint8 {
	if n == 255 {
		return n
	}
	return n + 1
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// ResultsColumns are the results file's columns reconcile reads; the rest are ignored.
var ResultsColumns = []string{svbatch.ColRow, svbatch.ColBrandID, svbatch.ColOperateType, svbatch.ColOuterOrderID,
	svbatch.ColNewOuterOrderID, svbatch.ColChangeValue, svbatch.ColCustomerID, svbatch.ColMobile, svbatch.ColOuterType,
	svbatch.ColOuterID, svbatch.ColStatus, svbatch.ColBizSuccess, svbatch.ColResult}

func (r *Report) readResults(src Source, p *problems) error {
	const file = "results"
	ci := mapHeader(file, src.Header(), DefaultHeader, nil, p)
	for _, c := range []string{svbatch.ColBrandID, svbatch.ColOperateType, svbatch.ColOuterOrderID, svbatch.ColNewOuterOrderID, svbatch.ColChangeValue, svbatch.ColStatus} {
		if _, ok := ci[c]; !ok {
			p.add(RowError{File: file, Line: 1, Column: c, Msg: "required column missing (is this a results file of svbatch run?)"})
		}
	}
	if p.err.Total > 0 {
		return nil
	}
	cp := ci.resolve("status", nil)
	var keyBuf []byte
	overflowed := false
	for {
		line, cells, err := src.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read results: %w", err)
		}
		if blank(cells) {
			continue
		}
		r.ResultsRows++
		get := func(id int) string { return unneutralise(cp.get(cells, id)) }
		status := strings.ToLower(get(cStatus))
		moved := status == string(svbatch.Succeeded) ||
			(status == string(svbatch.AlreadyDone) && !isFalse(get(cBiz)) && !isFalse(get(cResult)))
		// A row that moved no money may carry what validation rejected; only a moved row must parse.
		op, opErr := parseOp(get(cOp))
		amt, amtErr := svbatch.ParseAmount(get(cAmount), svbatch.Fen, false)
		if moved {
			if opErr != nil {
				p.add(RowError{File: file, Line: line, Column: "operate_type", Value: get(cOp), Msg: opErr.Error()})
			}
			if amtErr != nil {
				p.add(RowError{File: file, Line: line, Column: "change_value", Value: get(cAmount), Msg: amtErr.Error()})
			}
			if opErr != nil || amtErr != nil {
				continue
			}
			if !overflowed {
				var ok bool
				if r.ActualTotal, ok = svbatch.AddFen(r.ActualTotal, amt); !ok {
					p.add(RowError{File: file, Line: line, Column: "change_value", Value: get(cAmount), Msg: overflowMsg("the actual total")})
					overflowed = true
				}
			}
		} else if amtErr != nil {
			amt = 0
		}
		if status == "" {
			status = "(empty)"
		}
		rowNo := line
		if n, err := strconv.Atoi(get(cRow)); err == nil && n > 0 {
			rowNo = n
		}
		cust := Customer{get(cCustID), get(cMobile), get(cOuterType), get(cOuterID)}
		res := resRow{
			amount: amt,
			line:   clampLine(rowNo),
			status: r.statuses.code(status),
			moved:  moved,
		}
		// The key is built in a reused buffer: looking it up allocates nothing.
		keyBuf = appendKey(keyBuf[:0], get(cBrand), op, get(cOuter), get(cNewOuter))
		if i, ok := r.index[string(keyBuf)]; ok {
			e := r.exp.at(i)
			if packedEquals(e.cust, cust) {
				res.sameCust = true
			} else {
				res.cust = packCust(cust)
			}
			e.nres = satInc(e.nres)
			if e.nres == 1 {
				e.res = res
			} else {
				r.extraRes[expRef(i)] = append(r.extraRes[expRef(i)], res)
			}
			continue
		}
		res.cust = packCust(cust)
		if i, ok := r.unexIdx[string(keyBuf)]; ok {
			u := r.unex.at(i)
			u.n = satInc(u.n)
			r.extraRes[unexRef(i)] = append(r.extraRes[unexRef(i)], res)
			continue
		}
		key := string(keyBuf)
		r.unexIdx[key] = r.unex.add(unexRow{key: key, n: 1, res: res})
	}
}

// unneutralise undoes reports.SafeText on a results cell: the writer put a "'" before text that
// starts like a formula, and the expected ledger has the text as the user typed it.
func unneutralise(s string) string {
	if len(s) > 1 && s[0] == '\'' {
		switch s[1] {
		case '=', '+', '-', '@', '\t', '\r':
			return s[1:]
		}
	}
	return s
}

func isFalse(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "false", "0", "no", "否":
		return true
	}
	return false
}

// resCust returns a results row's customer identity.
func (e *expRow) resCust(res *resRow) string {
	if res.sameCust {
		return e.cust
	}
	return res.cust
}

// classify puts every identity in one category, sums the totals and sorts each category by identity.
// A sum that passes int64 is an *InputError naming the row (never a wrapped total).
func (r *Report) classify() error {
	succeeded := r.statuses.code(string(svbatch.Succeeded))
	var coveredExp, coveredRes int64
	n := r.exp.len()
	for i := int32(0); int(i) < n; i++ {
		e := r.exp.at(i)
		expAmt := int64(0)
		if e.status == succeeded {
			expAmt = e.amount
		}
		if e.nexp > 1 || e.nres > 1 {
			t := &r.totals[Duplicate]
			rows := []expRow{*e}
			rows = append(rows, r.extraExp[i]...)
			for _, x := range rows {
				coveredExp++
				xExp := int64(0)
				if x.status == succeeded {
					xExp = x.amount
				}
				if what := t.addRow(x.amount, xExp, 0); what != "" {
					return overflowErr(Duplicate, what, e.key, true, x.line, x.amount)
				}
			}
			if e.nres > 0 {
				n, err := r.addDuplicateResults(e.key, append([]resRow{e.res}, r.extraRes[expRef(i)]...))
				if err != nil {
					return err
				}
				coveredRes += n
			}
			r.refs[Duplicate] = append(r.refs[Duplicate], expRef(i))
			continue
		}
		coveredExp++
		var c Category
		amount := e.amount
		actAmt := int64(0)
		switch {
		case e.nres == 0:
			c = Missing
		default:
			coveredRes++
			if e.res.moved {
				actAmt = e.res.amount
				amount = e.res.amount
			}
			switch {
			case e.status == succeeded && !e.res.moved:
				c = Missing
			case e.status != succeeded && (e.res.moved || e.res.status != e.status):
				c = StatusMismatch
			case e.status != succeeded:
				c = Matched
			case !e.res.sameCust && e.cust != "" && custDiffers(unpackCust(e.cust), unpackCust(e.res.cust)):
				c = CustomerMismatch
			case abs(e.res.amount-e.amount) > r.Tolerance: // both ≥ 0: the difference fits
				c = AmountMismatch
			default:
				c = Matched
			}
		}
		if what := r.totals[c].addRow(amount, expAmt, actAmt); what != "" {
			if what == "actual" || (what == "amount" && e.nres > 0 && e.res.moved) {
				return overflowErr(c, what, e.key, false, e.res.line, e.res.amount)
			}
			return overflowErr(c, what, e.key, true, e.line, e.amount)
		}
		r.refs[c] = append(r.refs[c], expRef(i))
	}
	for i := int32(0); int(i) < r.unex.len(); i++ {
		u := r.unex.at(i)
		if u.n > 1 {
			n, err := r.addDuplicateResults(u.key, append([]resRow{u.res}, r.extraRes[unexRef(i)]...))
			if err != nil {
				return err
			}
			coveredRes += n
			r.refs[Duplicate] = append(r.refs[Duplicate], unexRef(i))
			continue
		}
		coveredRes++
		act := int64(0)
		if u.res.moved {
			act = u.res.amount
		}
		if what := r.totals[Unexpected].addRow(u.res.amount, 0, act); what != "" {
			return overflowErr(Unexpected, what, u.key, false, u.res.line, u.res.amount)
		}
		r.refs[Unexpected] = append(r.refs[Unexpected], unexRef(i))
	}
	// The differences and their sum cannot pass int64 once the totals above did not (every amount
	// is ≥ 0 and each category's Expected and Actual are parts of the checked totals), but they
	// are checked all the same: a wrapped sum must never make the statement look explained.
	var ok bool
	r.diffSum = 0
	for c := Matched; c < BalanceMismatch; c++ {
		t := &r.totals[c]
		if t.Difference, ok = svbatch.SubFen(t.Actual, t.Expected); !ok {
			return &InputError{Problems: []RowError{{File: "results", Msg: fmt.Sprintf("the %s difference (actual − expected) passes the int64 limit", c)}}, Total: 1}
		}
		if r.diffSum, ok = svbatch.AddFen(r.diffSum, t.Difference); !ok {
			return &InputError{Problems: []RowError{{File: "results", Msg: "the sum of the category differences passes the int64 limit"}}, Total: 1}
		}
	}
	if r.netDiff, ok = svbatch.SubFen(r.ActualTotal, r.ExpectedTotal); !ok {
		return &InputError{Problems: []RowError{{File: "results", Msg: "the net difference (actual total − expected total) passes the int64 limit"}}, Total: 1}
	}
	r.Explained = r.diffSum == r.netDiff &&
		coveredExp == r.ExpectedRows && coveredRes == r.ResultsRows
	return nil
}

// addDuplicateResults counts the results rows of a duplicated identity into the duplicate totals
// (a row that moved money counts as actual) and returns how many rows it counted.
func (r *Report) addDuplicateResults(key string, rows []resRow) (int64, error) {
	t := &r.totals[Duplicate]
	for _, x := range rows {
		act := int64(0)
		if x.moved {
			act = x.amount
		}
		if what := t.addRow(x.amount, 0, act); what != "" {
			return 0, overflowErr(Duplicate, what, key, false, x.line, x.amount)
		}
	}
	return int64(len(rows)), nil
}

// sortedRefs returns a category's entries sorted by the identity. The sort is done once, when the
// entries are first asked for: the summary alone never pays for it.
func (r *Report) sortedRefs(c Category) []ref {
	r.sortOnce[c].Do(func() {
		slices.SortFunc(r.refs[c], func(a, b ref) int { return cmp.Compare(r.keyOf(a), r.keyOf(b)) })
	})
	return r.refs[c]
}

func (r *Report) keyOf(x ref) string {
	if x >= 0 {
		return r.exp.at(int32(x)).key
	}
	return r.unex.at(int32(-x - 1)).key
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
