// Package undo plans the compensation of a run: from its results, the operations that reverse what
// it applied where the API can (a refund, operate_type 4, of each succeeded charge not already
// refunded in the same results), and what it cannot reverse, with why. The plan is an ordinary
// operations file, so sending it is exactly-once like any other run. Pure over rows.
package undo

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"svbatch"
)

// Source is a table of text cells (a results file): table.Table satisfies it.
type Source interface {
	Header() []string
	Next() (line int, cells []string, err error)
}

// Op is one operation of the undo file, in canonical columns.
type Op struct {
	BrandID, ShopID, OperatorID, OuterOrderID, NewOuterOrderID string
	ChangeValue                                                int64 // fen
	CustomerID, Mobile, OuterID, OuterType, Reason             string
	Line                                                       int // the results row it reverses
}

// Skipped is a row the undo cannot reverse, and why.
type Skipped struct {
	Line         int
	OperateType  svbatch.OperateType
	OuterOrderID string
	ChangeValue  int64
	Why          string
}

// Plan is the undo of one run.
type Plan struct {
	Refunds []Op
	Skipped []Skipped
	Total   int64 // fen refunded by the plan

	charges []*charge // the run's charges, with what the run itself refunded (CheckUndo)
}

// Columns is the undo file's header: canonical input columns.
var Columns = []string{svbatch.ColBrandID, svbatch.ColShopID, svbatch.ColOperatorID, svbatch.ColOuterOrderID,
	svbatch.ColNewOuterOrderID, svbatch.ColOperateType, svbatch.ColChangeValue, svbatch.ColCustomerID,
	svbatch.ColMobile, svbatch.ColOuterID, svbatch.ColOuterType, svbatch.ColReason}

// Cells is op as a row under Columns.
func (op Op) Cells() []string {
	return []string{op.BrandID, op.ShopID, op.OperatorID, op.OuterOrderID, op.NewOuterOrderID,
		strconv.Itoa(int(svbatch.Refund)), strconv.FormatInt(op.ChangeValue, 10), op.CustomerID, op.Mobile,
		op.OuterID, op.OuterType, op.Reason}
}

// RefundID is the deterministic new_outer_order_id of the refund undoing the charge outer:
// "UNDO-" + outer, or, past the 64-character id limit, "UNDO-" + 40 hex digits of its SHA-256.
func RefundID(outer string) string {
	if id := "UNDO-" + outer; len(id) <= 64 {
		return id
	}
	sum := sha256.Sum256([]byte(outer))
	return "UNDO-" + hex.EncodeToString(sum[:20])
}

type charge struct {
	op       Op
	refunded int64
}

// FromResults plans the undo of the run whose results src holds (every Results sheet). A row
// moved money when its status is succeeded, already_done or succeeded_after_fix (movedRows).
func FromResults(src Source) (*Plan, error) {
	var charges []*charge
	byOuter := map[string]*charge{} // brand + outer_order_id of a charge
	var refunds []struct {
		key    string
		amount int64
	}
	plan := &Plan{}
	err := movedRows(src, func(line int, get func(string) string) error {
		op, err := svbatch.ParseOperateType(get(svbatch.ColOperateType))
		if err != nil {
			return fmt.Errorf("results row %d: %w", line, err)
		}
		amount, err := svbatch.ParseAmount(get(svbatch.ColChangeValue), svbatch.Fen, false)
		if err != nil {
			return fmt.Errorf("results row %d: change_value: %w", line, err)
		}
		outer, brand := get(svbatch.ColOuterOrderID), get(svbatch.ColBrandID)
		switch op {
		case svbatch.Charge:
			c := &charge{op: Op{BrandID: brand, ShopID: get(svbatch.ColShopID), OperatorID: get(svbatch.ColOperatorID),
				OuterOrderID: outer, NewOuterOrderID: RefundID(outer), ChangeValue: amount,
				CustomerID: get(svbatch.ColCustomerID), Mobile: get(svbatch.ColMobile), OuterID: get(svbatch.ColOuterID),
				OuterType: get(svbatch.ColOuterType), Reason: fmt.Sprintf("undo of results row %d", line), Line: line}}
			charges = append(charges, c)
			byOuter[brand+"\x1f"+outer] = c
		case svbatch.Refund:
			refunds = append(refunds, struct {
				key    string
				amount int64
			}{brand + "\x1f" + outer, amount})
			plan.Skipped = append(plan.Skipped, Skipped{line, op, outer, amount, "a refund cannot be undone through the API (charge the customer again if it was wrong)"})
		case svbatch.Freeze:
			plan.Skipped = append(plan.Skipped, Skipped{line, op, outer, amount, "a freeze has no reverse operation in recharge.operate: release the hold in the merchant console"})
		case svbatch.Verify:
			plan.Skipped = append(plan.Skipped, Skipped{line, op, outer, amount, "a verify (consumption) cannot be reversed through recharge.operate: compensate with a charge if needed"})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, r := range refunds {
		if c := byOuter[r.key]; c != nil {
			c.refunded += r.amount
		}
	}
	plan.charges = charges
	for _, c := range charges {
		left := c.op.ChangeValue - c.refunded
		if left <= 0 {
			plan.Skipped = append(plan.Skipped, Skipped{c.op.Line, svbatch.Charge, c.op.OuterOrderID, c.op.ChangeValue, "already refunded in full in these results"})
			continue
		}
		op := c.op
		op.ChangeValue = left
		var ok bool
		if plan.Total, ok = svbatch.AddFen(plan.Total, left); !ok {
			return nil, errors.New("results: the refunds' total passes the largest amount svbatch can add up: split the file")
		}
		plan.Refunds = append(plan.Refunds, op)
	}
	slices.SortStableFunc(plan.Skipped, func(a, b Skipped) int { return a.Line - b.Line })
	return plan, nil
}
