package reconcile

import (
	"fmt"
	"strconv"
	"strings"

	"svbatch"
)

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
