package reconcile

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"runtime"
	"slices"
	"strings"

	"svbatch"
)

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

// classify puts every identity in one category, sums the totals and checks the statement.
// A sum that passes int64 is an *InputError naming the row (never a wrapped total).
func (r *Report) classify() error {
	coveredExp, coveredRes, err := r.classifyRows()
	if err != nil {
		return err
	}
	return r.finish(coveredExp, coveredRes)
}

// classifyRows puts every identity read in one category and sums the category totals; it returns
// how many expected and results rows it categorised.
func (r *Report) classifyRows() (coveredExp, coveredRes int64, err error) {
	succeeded := r.statuses.code(string(svbatch.Succeeded))
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
					return 0, 0, overflowErr(Duplicate, what, e.key, true, x.line, x.amount)
				}
			}
			if e.nres > 0 {
				n, err := r.addDuplicateResults(e.key, append([]resRow{e.res}, r.extraRes[expRef(i)]...))
				if err != nil {
					return 0, 0, err
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
			case e.res.amount != e.amount:
				c = WithinTolerance
			default:
				c = Matched
			}
		}
		if what := r.totals[c].addRow(amount, expAmt, actAmt); what != "" {
			if what == "actual" || (what == "amount" && e.nres > 0 && e.res.moved) {
				return 0, 0, overflowErr(c, what, e.key, false, e.res.line, e.res.amount)
			}
			return 0, 0, overflowErr(c, what, e.key, true, e.line, e.amount)
		}
		r.refs[c] = append(r.refs[c], expRef(i))
	}
	for i := int32(0); int(i) < r.unex.len(); i++ {
		u := r.unex.at(i)
		if u.n > 1 {
			n, err := r.addDuplicateResults(u.key, append([]resRow{u.res}, r.extraRes[unexRef(i)]...))
			if err != nil {
				return 0, 0, err
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
			return 0, 0, overflowErr(Unexpected, what, u.key, false, u.res.line, u.res.amount)
		}
		r.refs[Unexpected] = append(r.refs[Unexpected], unexRef(i))
	}
	return coveredExp, coveredRes, nil
}

// finish works out the differences, the net difference and whether the statement is explained,
// given how many rows were categorised.
func (r *Report) finish(coveredExp, coveredRes int64) error {
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
	r.sortOnce[c].Do(func() { r.sortRefs(r.refs[c]) })
	return r.refs[c]
}

// sortKey is a ref with the first 16 bytes of its key, big-endian and zero-padded: most
// comparisons are then of integers side by side, not of two strings elsewhere in memory.
type sortKey struct {
	hi, lo uint64
	x      ref
}

func prefix16(k string) (hi, lo uint64) {
	var b [16]byte
	copy(b[:], k)
	return binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
}

// parallelSortMin is the entries past which the two halves are sorted on two cores.
const parallelSortMin = 1 << 15

// sortRefs sorts refs by their keys. Keys are distinct (one ref per identity), so the order is
// total: any sort gives the same result.
func (r *Report) sortRefs(refs []ref) {
	if len(refs) < 2 {
		return
	}
	ks := make([]sortKey, len(refs))
	for i, x := range refs {
		hi, lo := prefix16(r.keyOf(x))
		ks[i] = sortKey{hi: hi, lo: lo, x: x}
	}
	// Zero-padded prefixes that differ order the keys as the keys do; equal ones need the rest.
	less := func(a, b sortKey) int {
		if a.hi != b.hi {
			return cmp.Compare(a.hi, b.hi)
		}
		if a.lo != b.lo {
			return cmp.Compare(a.lo, b.lo)
		}
		return strings.Compare(r.keyOf(a.x), r.keyOf(b.x))
	}
	if len(ks) < parallelSortMin || runtime.GOMAXPROCS(0) < 2 {
		slices.SortFunc(ks, less)
		for i := range ks {
			refs[i] = ks[i].x
		}
		return
	}
	a, b := ks[:len(ks)/2], ks[len(ks)/2:]
	done := make(chan struct{})
	go func() { slices.SortFunc(a, less); close(done) }()
	slices.SortFunc(b, less)
	<-done
	i, j := 0, 0
	for k := range refs {
		if j >= len(b) || (i < len(a) && less(a[i], b[j]) < 0) {
			refs[k] = a[i].x
			i++
		} else {
			refs[k] = b[j].x
			j++
		}
	}
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
