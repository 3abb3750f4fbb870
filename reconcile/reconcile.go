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
//   - within_tolerance: both succeeded and 0 < |actual − expected| ≤ tolerance: not a break one by
//     one, but their differences add up; beyond the net tolerance the books did not match.
//   - matched: everything else (both succeeded with the same customer and amount, or the expected
//     non-success was seen).
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
	"fmt"
	"runtime"
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
	WithinTolerance
	BalanceMismatch
	numCategories
)

// Categories lists every category in report order.
var Categories = []Category{Matched, Missing, Unexpected, AmountMismatch, CustomerMismatch, StatusMismatch, Duplicate, WithinTolerance, BalanceMismatch}

var categoryNames = [...]string{"matched", "missing", "unexpected", "amount_mismatch", "customer_mismatch", "status_mismatch", "duplicate", "within_tolerance", "balance_mismatch"}

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
	Tolerance int64 // fen; 0 < |actual − expected| ≤ Tolerance is within_tolerance, not amount_mismatch
	// NetTolerance bounds the sum of the within_tolerance differences (fen, either sign): beyond it
	// the books did not match, however small each difference.
	NetTolerance int64
	AmountUnit   svbatch.Unit // unit of the expected ledger's change_value (and of expected balances)
	Header       HeaderFunc   // maps the expected ledger's headers; nil = DefaultHeader
	// Constants give a value to a canonical column the expected ledger lacks (a mapping file's
	// constants), e.g. {"brand_id": "B1"}.
	Constants map[string]string
	// MaxErrors caps the problems an InputError lists (default 50); all are counted.
	MaxErrors int
	// Partitions > 1 bounds memory for ledgers larger than RAM: each side is read once, its rows
	// hashed on the identity into that many bucket files, each bucket reconciled in memory and the
	// category entries merged back in identity order. The report is the same as in memory, entry
	// for entry. 0 or 1: everything in memory.
	Partitions int
	// TempDir is where the partitioned mode's files go ("" = os.TempDir()), in a directory of their
	// own that Report.Close removes (and Reconcile, when it fails).
	TempDir string
}

// Total is one category's line of the summary (fen).
type Total struct {
	Count      int64
	Amount     int64
	Expected   int64
	Actual     int64
	Difference int64 // Actual − Expected
}

// Report is the outcome of Reconcile. Read it with Summary, Totals and Entries.
type Report struct {
	Tolerance     int64
	NetTolerance  int64
	ExpectedRows  int64 // rows read from the expected ledger
	ResultsRows   int64 // rows read from the results
	ExpectedTotal int64 // fen; see the package comment
	ActualTotal   int64 // fen
	Explained     bool

	totals   [numCategories]Total
	statuses *statusTable
	exp      chunked[expRow]
	index    keyIndex // the expected rows by identity
	cursor   int32    // the expected row a results row is first compared with (lookupExpected)
	unex     chunked[unexRow]
	unexIdx  map[string]int32
	// the second and later rows of a duplicated identity, by the first row's ref
	extraExp map[int32][]expRow
	extraRes map[ref][]resRow
	refs     [numCategories][]ref // entries of each category; sorted by identity on first use
	sortOnce [numCategories]sync.Once
	balances []BalanceEntry
	part     *spill // partitioned mode: the category entries on disk (nil in memory)
	netDiff  int64  // ActualTotal − ExpectedTotal, checked by classify
	diffSum  int64  // Σ Difference over the row categories, checked by classify
}

// NetDifference is ActualTotal − ExpectedTotal.
func (r *Report) NetDifference() int64 { return r.netDiff }

// Totals returns one category's totals.
func (r *Report) Totals(c Category) Total { return r.totals[c] }

// DifferenceSum is Σ Difference over the row categories (balance_mismatch excluded).
func (r *Report) DifferenceSum() int64 { return r.diffSum }

// AllMatched reports whether every row matched (or differs within the tolerance, their differences
// summing to at most the net tolerance either way) and no balance differs: exit 0.
func (r *Report) AllMatched() bool {
	for c := Missing; c < numCategories; c++ {
		if c != WithinTolerance && r.totals[c].Count > 0 {
			return false
		}
	}
	if d := r.totals[WithinTolerance].Difference; d > r.NetTolerance || d < -r.NetTolerance {
		return false
	}
	return r.Explained
}

// Reconcile reads the expected ledger into memory (keyed by the identity), streams the results past
// it and classifies every row (with Options.Partitions, bucket by bucket: see there). In memory,
// the results are read and checked on another core while the ledger is read (resultsAhead): the
// report is the same. Close the
// report once done with its entries. An *InputError means an input is unusable; other errors are reading
// errors, wrapped with which side failed.
func Reconcile(expected, results Source, opt Options) (*Report, error) {
	if opt.MaxErrors <= 0 {
		opt.MaxErrors = 50
	}
	if opt.Tolerance < 0 || opt.NetTolerance < 0 {
		return nil, fmt.Errorf("tolerance %d, net tolerance %d: must not be negative", opt.Tolerance, opt.NetTolerance)
	}
	r := &Report{
		Tolerance:    opt.Tolerance,
		NetTolerance: opt.NetTolerance,
		statuses:     newStatusTable(),
		unexIdx:      map[string]int32{},
		extraExp:     map[int32][]expRow{},
		extraRes:     map[ref][]resRow{},
	}
	r.statuses.code(string(svbatch.Succeeded))
	p := &problems{max: opt.MaxErrors}
	if opt.Partitions > 1 {
		return r.reconcilePartitioned(expected, results, opt, p)
	}
	// The results are read and checked on another core while the ledger is read.
	var ahead *resultsAhead
	if runtime.GOMAXPROCS(0) > 1 {
		ahead = startResultsAhead(results, opt.MaxErrors)
		defer ahead.close()
	}
	if h, ok := expected.(interface{ RowHint() int }); ok {
		r.index = newKeyIndex(min(h.RowHint(), 1<<24)) // no rehashing as it grows
	}
	eb := &expBatch{r: r}
	err := r.readExpected(expected, opt, p, eb.add)
	if err == nil {
		err = eb.flush()
	}
	if err != nil {
		return nil, err
	}
	if err := p.result(); err != nil {
		return nil, err
	}
	if ahead != nil {
		err = r.readResultsAhead(ahead, p)
	} else {
		err = r.readResults(results, p, r.addResult)
	}
	if err != nil {
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
