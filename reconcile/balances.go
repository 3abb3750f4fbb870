package reconcile

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"svbatch"
)

// msgBalanceTooLarge is the problem of a balance beyond ±svbatch.MaxBalance.
var msgBalanceTooLarge = fmt.Sprintf("beyond the limit of ±%d fen (±%d.%02d yuan) per balance: refused, never truncated",
	svbatch.MaxBalance, svbatch.MaxBalance/100, svbatch.MaxBalance%100)

// Balance is one account's closing balances, fen.
type Balance struct {
	BrandID string
	Customer
	Available, Frozen int64
	Line              int
}

// accountKey is brand_id + the customer identity that names the account: customer_id, else
// mobile, else outer_type:outer_id (DESIGN.md §3's account key).
func (b Balance) accountKey() string {
	switch {
	case b.CustomerID != "":
		return b.BrandID + sep + "c" + sep + b.CustomerID
	case b.Mobile != "":
		return b.BrandID + sep + "m" + sep + b.Mobile
	}
	return b.BrandID + sep + "o" + sep + strings.ToLower(b.OuterType) + sep + b.OuterID
}

var balanceAliases = map[string]string{
	"available": "available", "可用余额": "available", "可用": "available", "余额": "available",
	"frozen": "frozen", "冻结余额": "frozen", "冻结金额": "frozen",
}

func balanceHeader(h string) (string, bool) {
	n := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
	c, ok := balanceAliases[n]
	return c, ok
}

// ReadBalances reads a balances file. file names it in errors ("balances", "actual balances");
// amounts are in unit u (signed: a balance may be negative, at most svbatch.MaxBalance either way). hf maps headers (nil = canonical
// names only). Two rows for one account are an error: the file is not a closing-balance list.
func ReadBalances(src Source, file string, u svbatch.Unit, hf HeaderFunc) ([]Balance, error) {
	p := &problems{max: 50}
	ci := mapHeader(file, src.Header(), hf, balanceHeader, p)
	for _, c := range []string{"brand_id", "available", "frozen"} {
		if _, ok := ci[c]; !ok {
			p.add(RowError{File: file, Line: 1, Column: c, Msg: "required column missing"})
		}
	}
	if err := p.result(); err != nil {
		return nil, err
	}
	var out []Balance
	seen := map[string]int{}
	for {
		line, cells, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", file, err)
		}
		if blank(cells) {
			continue
		}
		get := func(name string) string {
			if i, ok := ci[name]; ok && i < len(cells) {
				return strings.TrimSpace(cells[i])
			}
			return ""
		}
		b := Balance{BrandID: get("brand_id"), Customer: Customer{get("customer_id"), get("mobile"), get("outer_type"), get("outer_id")}, Line: line}
		bad := false
		if b.BrandID == "" {
			p.add(RowError{File: file, Line: line, Column: "brand_id", Msg: "required"})
			bad = true
		}
		if b.CustomerID == "" && b.Mobile == "" && (b.OuterID == "" || b.OuterType == "") {
			p.add(RowError{File: file, Line: line, Column: "customer_id", Msg: "a customer is needed: customer_id, or mobile, or outer_type with outer_id"})
			bad = true
		}
		for _, f := range []struct {
			col string
			dst *int64
		}{{"available", &b.Available}, {"frozen", &b.Frozen}} {
			v, err := svbatch.ParseAmount(get(f.col), u, true)
			if err != nil {
				p.add(RowError{File: file, Line: line, Column: f.col, Value: get(f.col), Msg: err.Error() + " (unit " + u.String() + ")"})
				bad = true
			} else if v > svbatch.MaxBalance || v < -svbatch.MaxBalance {
				p.add(RowError{File: file, Line: line, Column: f.col, Value: get(f.col), Msg: msgBalanceTooLarge + " (unit " + u.String() + ")"})
				bad = true
			}
			*f.dst = v
		}
		if bad {
			continue
		}
		k := b.accountKey()
		if prev, dup := seen[k]; dup {
			p.add(RowError{File: file, Line: line, Column: "customer_id", Value: b.Customer.String(), Msg: fmt.Sprintf("account given twice (also row %d)", prev)})
			continue
		}
		seen[k] = line
		out = append(out, b)
	}
	if err := p.result(); err != nil {
		return nil, err
	}
	return out, nil
}

// BalanceEntry is an account whose balances differ (an account absent from a file has 0 and 0).
type BalanceEntry struct {
	BrandID string
	Customer
	ExpectedAvailable, ActualAvailable int64
	ExpectedFrozen, ActualFrozen       int64
	InExpected, InActual               bool
	ExpectedRow, ActualRow             int
	Note                               string
}

// AvailableDifference is ActualAvailable − ExpectedAvailable. (It fits in int64 for balances
// ReadBalances accepted, and CheckBalances records no entry whose difference does not.)
func (b BalanceEntry) AvailableDifference() int64 { return b.ActualAvailable - b.ExpectedAvailable }

// FrozenDifference is ActualFrozen − ExpectedFrozen.
func (b BalanceEntry) FrozenDifference() int64 { return b.ActualFrozen - b.ExpectedFrozen }

// CheckBalances compares expected closing balances with actual ones and records the accounts whose
// available or frozen balance differs by more than the report's tolerance as balance_mismatch.
// An account missing from one side counts as 0 available, 0 frozen there. It returns how many
// accounts were compared. Every difference and sum is checked: one that passes int64 is an
// *InputError naming the account's row (file "balances" for expected, "actual balances" for
// actual), and the report is left without balance entries.
func (r *Report) CheckBalances(expected, actual []Balance) (int, error) {
	type pair struct {
		exp, act *Balance
	}
	byKey := map[string]*pair{}
	var keys []string
	for i := range expected {
		k := expected[i].accountKey()
		byKey[k] = &pair{exp: &expected[i]}
		keys = append(keys, k)
	}
	for i := range actual {
		k := actual[i].accountKey()
		if p, ok := byKey[k]; ok {
			p.act = &actual[i]
			continue
		}
		byKey[k] = &pair{act: &actual[i]}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	r.balances = r.balances[:0]
	t := Total{}
	for _, k := range keys {
		p := byKey[k]
		var e BalanceEntry
		if p.exp != nil {
			e.BrandID, e.Customer = p.exp.BrandID, p.exp.Customer
			e.ExpectedAvailable, e.ExpectedFrozen, e.InExpected, e.ExpectedRow = p.exp.Available, p.exp.Frozen, true, p.exp.Line
		}
		if p.act != nil {
			if p.exp == nil {
				e.BrandID, e.Customer = p.act.BrandID, p.act.Customer
			}
			e.ActualAvailable, e.ActualFrozen, e.InActual, e.ActualRow = p.act.Available, p.act.Frozen, true, p.act.Line
		}
		// The account's row to name if a sum passes int64: the actual one when there is one.
		fail := func(what string) (int, error) {
			r.balances = r.balances[:0]
			r.totals[BalanceMismatch] = Total{}
			re := RowError{File: "actual balances", Line: e.ActualRow,
				Msg: overflowMsg(what) + " (account " + e.BrandID + " " + e.Customer.String() + ")"}
			if !e.InActual {
				re.File, re.Line = "balances", e.ExpectedRow
			}
			return 0, &InputError{Problems: []RowError{re}, Total: 1}
		}
		da, ok1 := svbatch.SubFen(e.ActualAvailable, e.ExpectedAvailable)
		df, ok2 := svbatch.SubFen(e.ActualFrozen, e.ExpectedFrozen)
		if !ok1 || !ok2 {
			return fail("the account's balance difference")
		}
		ada, ok1 := absFen(da)
		adf, ok2 := absFen(df)
		if !ok1 || !ok2 {
			return fail("the account's balance difference")
		}
		if ada <= r.Tolerance && adf <= r.Tolerance {
			continue
		}
		var notes []string
		switch {
		case !e.InActual:
			notes = append(notes, "account not in the actual balances")
		case !e.InExpected:
			notes = append(notes, "account not in the expected balances")
		}
		if da != 0 {
			notes = append(notes, fmt.Sprintf("available %+d fen", da))
		}
		if df != 0 {
			notes = append(notes, fmt.Sprintf("frozen %+d fen", df))
		}
		e.Note = strings.Join(notes, "; ")
		t.Count++
		gross, ok := svbatch.AddFen(ada, adf)
		if !ok || !addTo(&t.Amount, gross) {
			return fail("the balance_mismatch amount total")
		}
		ex, ok1 := svbatch.AddFen(e.ExpectedAvailable, e.ExpectedFrozen)
		ac, ok2 := svbatch.AddFen(e.ActualAvailable, e.ActualFrozen)
		if !ok1 || !ok2 || !addTo(&t.Expected, ex) || !addTo(&t.Actual, ac) {
			return fail("the balance_mismatch expected or actual total")
		}
		r.balances = append(r.balances, e)
	}
	var ok bool
	if t.Difference, ok = svbatch.SubFen(t.Actual, t.Expected); !ok {
		r.balances = r.balances[:0]
		return 0, &InputError{Problems: []RowError{{File: "balances", Msg: overflowMsg("the balance_mismatch difference (actual − expected)")}}, Total: 1}
	}
	r.totals[BalanceMismatch] = t
	return len(keys), nil
}

// absFen is |v|, false when it does not fit (v = MinInt64).
func absFen(v int64) (int64, bool) {
	if v < 0 {
		return svbatch.SubFen(0, v)
	}
	return v, true
}

// Balances returns the balance_mismatch entries, sorted by account.
func (r *Report) Balances() []BalanceEntry { return r.balances }
