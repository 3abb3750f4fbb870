package reconcile

import (
	"fmt"
	"iter"

	"svbatch"
)

// Entry is one line of a category's sheet: an identity with what each side said about it.
// For duplicate there is one Entry per row involved (Side says which file it is from).
type Entry struct {
	Category Category
	Identity
	Side           string // duplicate only: "expected" or "results"
	HasExpected    bool
	HasResult      bool
	ExpectedRow    int   // the expected ledger's row (0 when none)
	ResultsRow     int   // the results row's `row` (the input's row number; 0 when none)
	ExpectedAmount int64 // the expected row's change_value, fen
	ActualAmount   int64 // the results row's change_value, fen
	// Difference is what the entry adds to the net difference: the actual amount if the result moved
	// money, minus the expected amount if the ledger expects it to move.
	Difference       int64
	ExpectedStatus   string // "" when there is no expected row
	Status           string // the results row's status; "absent" when there is none
	ExpectedCustomer Customer
	ActualCustomer   Customer
	Note             string // why the entry is in its category, for a person
}

// Entries yields a row category's entries sorted by the identity (sorted on the first call; safe
// for concurrent use) (duplicates: expected rows first,
// then results rows, each in file order). Not for BalanceMismatch: see Balances.
func (r *Report) Entries(c Category) iter.Seq[Entry] {
	return func(yield func(Entry) bool) {
		if c < 0 || c >= BalanceMismatch {
			return
		}
		if r.part != nil {
			r.part.entries(c, yield)
			return
		}
		r.keyedEntries(c, func(_ string, e Entry) bool { return yield(e) })
	}
}

// keyedEntries is Entries in memory, with each entry's packed identity (what they are sorted by).
func (r *Report) keyedEntries(c Category, yield func(key string, e Entry) bool) {
	for _, x := range r.sortedRefs(c) {
		key := r.keyOf(x)
		if c == Duplicate {
			for _, e := range r.duplicateEntries(x) {
				if !yield(key, e) {
					return
				}
			}
			continue
		}
		if !yield(key, r.entry(c, x)) {
			return
		}
	}
}

func (r *Report) expStatus(e *expRow) string { return r.statuses.name(e.status) }

func (r *Report) entry(c Category, x ref) Entry {
	succeeded := r.statuses.lookup(string(svbatch.Succeeded))
	if x < 0 {
		u := r.unex.at(int32(-x - 1))
		en := Entry{Category: c, Identity: unpackKey(u.key), HasResult: true, ResultsRow: int(u.res.line),
			ActualAmount: u.res.amount, Status: r.statuses.name(u.res.status), ActualCustomer: unpackCust(u.res.cust),
			Note: "not in the expected ledger"}
		if u.res.moved {
			en.Difference = u.res.amount
		} else {
			en.Note += "; moved no money (status " + en.Status + ")"
		}
		return en
	}
	e := r.exp.at(int32(x))
	en := Entry{Category: c, Identity: unpackKey(e.key), HasExpected: true, ExpectedRow: int(e.line),
		ExpectedAmount: e.amount, ExpectedStatus: r.expStatus(e), ExpectedCustomer: unpackCust(e.cust), Status: "absent"}
	if e.status == succeeded {
		en.Difference -= e.amount
	}
	if e.nres > 0 {
		en.HasResult = true
		en.ResultsRow = int(e.res.line)
		en.ActualAmount = e.res.amount
		en.Status = r.statuses.name(e.res.status)
		en.ActualCustomer = unpackCust(e.resCust(&e.res))
		if e.res.moved {
			en.Difference += e.res.amount
		}
	}
	switch c {
	case Missing:
		if e.nres == 0 {
			en.Note = "absent from the results"
		} else {
			en.Note = "expected " + en.ExpectedStatus + ", result " + en.Status
		}
	case StatusMismatch:
		en.Note = "expected " + en.ExpectedStatus + ", result " + en.Status
	case CustomerMismatch:
		en.Note = fmt.Sprintf("expected %s, result %s", en.ExpectedCustomer, en.ActualCustomer)
		if en.ActualAmount != en.ExpectedAmount {
			en.Note += fmt.Sprintf("; amount also differs by %+d fen", en.ActualAmount-en.ExpectedAmount)
		}
	case AmountMismatch:
		en.Note = fmt.Sprintf("actual %d − expected %d = %+d fen", en.ActualAmount, en.ExpectedAmount, en.ActualAmount-en.ExpectedAmount)
	case WithinTolerance:
		en.Note = fmt.Sprintf("within tolerance: %+d fen", en.ActualAmount-en.ExpectedAmount)
	}
	return en
}

func (r *Report) duplicateEntries(x ref) []Entry {
	succeeded := r.statuses.lookup(string(svbatch.Succeeded))
	var exps []expRow
	var first resRow
	var hasFirst bool
	var key string
	if x >= 0 {
		e := r.exp.at(int32(x))
		key = e.key
		exps = append([]expRow{*e}, r.extraExp[int32(x)]...)
		first, hasFirst = e.res, e.nres > 0
	} else {
		u := r.unex.at(int32(-x - 1))
		key = u.key
		first, hasFirst = u.res, true
	}
	var ress []resRow
	if hasFirst {
		ress = append([]resRow{first}, r.extraRes[x]...)
	}
	id := unpackKey(key)
	note := fmt.Sprintf("identity appears %d× in the expected ledger and %d× in the results", len(exps), len(ress))
	out := make([]Entry, 0, len(exps)+len(ress))
	for i := range exps {
		e := &exps[i]
		en := Entry{Category: Duplicate, Identity: id, Side: "expected", HasExpected: true, ExpectedRow: int(e.line),
			ExpectedAmount: e.amount, ExpectedStatus: r.expStatus(e), ExpectedCustomer: unpackCust(e.cust), Note: note}
		if e.status == succeeded {
			en.Difference = -e.amount
		}
		out = append(out, en)
	}
	var expCust string
	if len(exps) > 0 {
		expCust = exps[0].cust
	}
	for _, res := range ress {
		c := res.cust
		if res.sameCust {
			c = expCust
		}
		en := Entry{Category: Duplicate, Identity: id, Side: "results", HasResult: true, ResultsRow: int(res.line),
			ActualAmount: res.amount, Status: r.statuses.name(res.status), ActualCustomer: unpackCust(c), Note: note}
		if res.moved {
			en.Difference = res.amount
		}
		out = append(out, en)
	}
	return out
}
