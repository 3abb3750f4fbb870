package undo

import (
	"cmp"
	"fmt"
	"slices"

	"svbatch"
)

// Account is one stored-value account's net effect over a run and its undo (fen).
type Account struct {
	BrandID  string
	Customer string // customer_id, or mobile, or outer_type:outer_id
	Charged  int64  // charges the run applied
	Refunded int64  // refunds of those charges the run itself applied
	Undone   int64  // refunds the undo run applied
	Net      int64  // Charged − Refunded − Undone: 0 when the undo reversed everything
	// Why names what keeps Net from 0 (an undo refund that did not succeed, or one that moved
	// another amount); "" when Net is 0.
	Why string
}

// Check is the reconciliation of a run with its undo: per account, what the run charged and
// refunded and what the undo refunded, over the reversible operations. Freezes and verifies are not
// reversible (Plan.Skipped says why) and are counted apart.
type Check struct {
	Accounts     []Account // sorted by brand, customer
	NotZero      int       // accounts whose Net is not 0
	Net          int64     // Σ Net
	NotReversed  int       // freezes and verifies of the run, left as they are
	NotRevAmount int64     // … their amounts, fen
}

// CheckUndo reconciles the run whose results are orig with the run of its undo file (undone, its
// results): every charge the undo plan refunds must have been refunded by exactly its amount.
func CheckUndo(orig, undone Source) (*Check, error) {
	plan, err := FromResults(orig)
	if err != nil {
		return nil, err
	}
	// What the undo run applied: refunds, by charge (brand, outer_order_id, new_outer_order_id).
	applied := map[[3]string]int64{}
	err = movedRows(undone, func(line int, get func(string) string) error {
		op, err := svbatch.ParseOperateType(get(svbatch.ColOperateType))
		if err != nil || op != svbatch.Refund {
			return nil // not an undo refund: not ours to count
		}
		amount, err := svbatch.ParseAmount(get(svbatch.ColChangeValue), svbatch.Fen, false)
		if err != nil {
			return fmt.Errorf("undo results row %d: change_value: %w", line, err)
		}
		k := [3]string{get(svbatch.ColBrandID), get(svbatch.ColOuterOrderID), get(svbatch.ColNewOuterOrderID)}
		applied[k] += amount
		return nil
	})
	if err != nil {
		return nil, err
	}
	c := &Check{}
	accounts := map[[2]string]*Account{}
	account := func(brand, customer string) *Account {
		k := [2]string{brand, customer}
		a := accounts[k]
		if a == nil {
			a = &Account{BrandID: brand, Customer: customer}
			accounts[k] = a
		}
		return a
	}
	for _, ch := range plan.charges {
		a := account(ch.op.BrandID, customerOf(ch.op))
		a.Charged += ch.op.ChangeValue
		a.Refunded += ch.refunded
		left := ch.op.ChangeValue - ch.refunded
		if left <= 0 {
			continue // refunded in full by the run itself
		}
		got := applied[[3]string{ch.op.BrandID, ch.op.OuterOrderID, ch.op.NewOuterOrderID}]
		a.Undone += got
		switch {
		case got == 0:
			a.Why = join(a.Why, fmt.Sprintf("the refund %s of charge %s did not succeed (see the undo run's results)", ch.op.NewOuterOrderID, ch.op.OuterOrderID))
		case got != left:
			a.Why = join(a.Why, fmt.Sprintf("the refund %s moved %s yuan; charge %s left %s yuan to refund",
				ch.op.NewOuterOrderID, svbatch.FormatYuan(got), ch.op.OuterOrderID, svbatch.FormatYuan(left)))
		}
	}
	for _, s := range plan.Skipped {
		if s.OperateType == svbatch.Freeze || s.OperateType == svbatch.Verify {
			c.NotReversed++
			c.NotRevAmount += s.ChangeValue
		}
	}
	for _, a := range accounts {
		a.Net = a.Charged - a.Refunded - a.Undone
		if a.Net != 0 {
			c.NotZero++
			if a.Why == "" {
				a.Why = "refunds differ from the charges"
			}
		} else {
			a.Why = ""
		}
		c.Net += a.Net
		c.Accounts = append(c.Accounts, *a)
	}
	slices.SortFunc(c.Accounts, func(x, y Account) int {
		return cmp.Or(cmp.Compare(x.BrandID, y.BrandID), cmp.Compare(x.Customer, y.Customer))
	})
	return c, nil
}

func customerOf(op Op) string {
	switch {
	case op.CustomerID != "":
		return op.CustomerID
	case op.Mobile != "":
		return op.Mobile
	}
	return op.OuterType + ":" + op.OuterID
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
