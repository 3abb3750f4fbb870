package reconcile

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"svbatch"
)

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

// lookup is a status's code once interned (0 when it is not), without code's caching: safe for
// concurrent readers once the statuses are all in (Entries of several categories at once).
func (t *statusTable) lookup(s string) uint8 { return t.codes[s] }

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

// readExpected reads the expected ledger, checking every row and summing ExpectedTotal in file
// order, and hands each good row to add (r.addExpected in memory, a bucket file when partitioned).
func (r *Report) readExpected(src Source, opt Options, p *problems, add func(row *expRow) error) error {
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
	var row expRow // outside the loop: add takes a pointer, and one allocation serves every row
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
		row = expRow{
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
		if err := add(&row); err != nil {
			return err
		}
	}
}

// addExpected keys one expected row into the report.
func (r *Report) addExpected(row *expRow) error {
	return r.addExpectedHashed(row, r.index.hash(row.key))
}

// addExpectedHashed is addExpected with the key's hash.
func (r *Report) addExpectedHashed(row *expRow, h uint32) error {
	if i, dup := r.index.find(h, func(i int32) bool { return r.exp.at(i).key == row.key }); dup {
		first := r.exp.at(i)
		first.nexp = satInc(first.nexp)
		row.key = first.key
		r.extraExp[i] = append(r.extraExp[i], *row)
		return nil
	}
	r.index.insert(h, r.exp.add(*row))
	return nil
}

// lookupExpected returns the expected row of a packed identity. Results mostly come in the
// ledger's order: the row after the last one found is tried first, which costs no hashing and no
// random read of the index (the rows' keys are distinct, so a row holding the key is its row).
func (r *Report) lookupExpected(key []byte) (int32, bool) {
	if c := r.cursor; int(c) < r.exp.len() && r.exp.at(c).key == string(key) {
		r.cursor = c + 1
		return c, true
	}
	if r.index.n == 0 {
		return 0, false
	}
	i, ok := r.index.find(r.index.hashBytes(key), func(i int32) bool { return r.exp.at(i).key == string(key) })
	if ok {
		r.cursor = i + 1
	}
	return i, ok
}

// hasExpected reports whether the ledger has a row of the packed identity key.
func (r *Report) hasExpected(key string) bool {
	if r.index.n == 0 {
		return false
	}
	_, ok := r.index.find(r.index.hash(key), func(i int32) bool { return r.exp.at(i).key == key })
	return ok
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

// readResults reads the results, checking every row that moved money and summing ActualTotal in
// file order, and hands each row to add: its packed identity (a reused buffer), customer and
// compact form (r.addResult in memory, a bucket file when partitioned).
func (r *Report) readResults(src Source, p *problems, add func(key []byte, cust *Customer, packed []byte, res *resRow) error) error {
	rr := newResultsReader(src, p)
	if p.err.Total > 0 {
		return nil
	}
	defer func() { r.ResultsRows, r.ActualTotal = rr.rows, rr.total }()
	for {
		err := rr.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		rr.res.status = r.statuses.code(rr.status)
		if err := add(rr.key, &rr.cust, nil, &rr.res); err != nil {
			return err
		}
	}
}

// resultsReader reads and checks the results rows one at a time, in file order (readResults, and
// resultsAhead on a goroutine of its own). Problems go to p; rows and total are the report's
// ResultsRows and ActualTotal once the file is read.
type resultsReader struct {
	src        Source
	p          *problems
	cp         colPos
	statusOf   map[string]string // a results file holds a handful of distinct status cells: each is normalised once
	overflowed bool
	rows       int64
	total      int64
	// the row read by next: its packed identity (a reused buffer), customer, normalised status
	// and compact form (but for res.status, a code of the report's statuses)
	key    []byte
	cust   Customer
	status string
	res    resRow
}

// newResultsReader maps the results header; with problems in p, next must not be called.
func newResultsReader(src Source, p *problems) *resultsReader {
	const file = "results"
	rr := &resultsReader{src: src, p: p, statusOf: map[string]string{}}
	ci := mapHeader(file, src.Header(), resultsHeader, nil, p)
	for _, c := range []string{svbatch.ColBrandID, svbatch.ColOperateType, svbatch.ColOuterOrderID, svbatch.ColNewOuterOrderID, svbatch.ColChangeValue, svbatch.ColStatus} {
		if _, ok := ci[c]; !ok {
			p.add(RowError{File: file, Line: 1, Column: c, Msg: "required column missing (is this a results file of svbatch run?)"})
		}
	}
	rr.cp = ci.resolve("status", nil)
	return rr
}

// next reads the next results row to hand on (rows with problems are counted, not handed on):
// io.EOF after the last, or the reading error, wrapped.
func (rr *resultsReader) next() error {
	const file = "results"
	p, cp := rr.p, &rr.cp
	for {
		line, cells, err := rr.src.Next()
		if errors.Is(err, io.EOF) {
			return io.EOF
		}
		if err != nil {
			return fmt.Errorf("read results: %w", err)
		}
		if blank(cells) {
			continue
		}
		rr.rows++
		get := func(id int) string { return svbatch.Unneutralise(cp.get(cells, id)) }
		raw := get(cStatus)
		status, seen := rr.statusOf[raw]
		if !seen {
			status = strings.ToLower(raw)
			if st, ok := svbatch.ParseStatus(status); ok {
				status = string(st) // a results workbook written in Chinese says 成功
			}
			if len(rr.statusOf) < 256 {
				status = strings.Clone(status) // not the row's memory
				rr.statusOf[strings.Clone(raw)] = status
			}
		}
		moved := status == string(svbatch.Succeeded) || status == string(svbatch.SucceededAfterFix) ||
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
			if !rr.overflowed {
				var ok bool
				if rr.total, ok = svbatch.AddFen(rr.total, amt); !ok {
					p.add(RowError{File: file, Line: line, Column: "change_value", Value: get(cAmount), Msg: overflowMsg("the actual total")})
					rr.overflowed = true
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
		rr.cust = Customer{get(cCustID), get(cMobile), get(cOuterType), get(cOuterID)}
		rr.status = status
		rr.res = resRow{
			amount: amt,
			line:   clampLine(rowNo),
			moved:  moved,
		}
		// The key is built in a reused buffer: looking it up allocates nothing.
		rr.key = appendKey(rr.key[:0], get(cBrand), op, get(cOuter), get(cNewOuter))
		return nil
	}
}

// addResult matches one results row against the expected rows read. Its customer is cust when
// not nil, else packed (a bucket file's row, see packCust); key and packed may be reused buffers.
func (r *Report) addResult(key []byte, cust *Customer, packed []byte, res *resRow) error {
	pack := func() string {
		if cust != nil {
			return packCust(*cust)
		}
		return string(packed)
	}
	if i, ok := r.lookupExpected(key); ok {
		e := r.exp.at(i)
		var same bool
		if cust != nil {
			same = packedEquals(e.cust, *cust)
		} else {
			same = e.cust == string(packed)
		}
		if same {
			res.sameCust, res.cust = true, ""
		} else {
			res.cust = pack()
		}
		e.nres = satInc(e.nres)
		if e.nres == 1 {
			e.res = *res
		} else {
			r.extraRes[expRef(i)] = append(r.extraRes[expRef(i)], *res)
		}
		return nil
	}
	res.cust = pack()
	if i, ok := r.unexIdx[string(key)]; ok {
		u := r.unex.at(i)
		u.n = satInc(u.n)
		r.extraRes[unexRef(i)] = append(r.extraRes[unexRef(i)], *res)
		return nil
	}
	k := string(key)
	r.unexIdx[k] = r.unex.add(unexRow{key: k, n: 1, res: *res})
	return nil
}

// resultsHeader maps a results header, in either language svbatch writes (成功, 品牌ID, 金额(分)), to
// its canonical name.
func resultsHeader(h string) (string, bool) {
	if n, ok := svbatch.ResultColumnName(h); ok {
		return n, true
	}
	return DefaultHeader(h)
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
