package batch

import (
	"fmt"
	"strconv"
	"strings"

	"svbatch"
	"svbatch/table"
)

// mapHeader finds the canonical columns and the pass-through ones.
func (r *Reader) mapHeader(m *Mapping) error {
	var problems []Problem
	hl := table.HeaderLine(r.t)
	for i := range r.col {
		r.col[i] = -1
		r.name[i] = canonicalOrder[i]
	}
	for i, h := range r.header {
		if svbatch.IsRetryColumn(h) {
			continue // svbatch's own columns of a Retry sheet sent again: neither data nor pass-through
		}
		c, ok := CanonicalHeader(h, m)
		if !ok {
			r.extraIdx = append(r.extraIdx, i)
			r.extraHdr = append(r.extraHdr, h)
			continue
		}
		f := fieldIndex(c)
		if prev := r.col[f]; prev >= 0 {
			problems = append(problems, Problem{Row: hl, Column: h, Col: i,
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
				problems = append(problems, Problem{Row: hl, Column: r.name[f], Col: r.col[f],
					Message: fmt.Sprintf("%s is both a column of the file and a constant in the mapping: keep one", c)})
				continue
			}
			r.constant[f] = v
		}
	}
	if c := r.col[fChangeValue]; c >= 0 {
		// 金额(元): the header says the unit; an explicit --amount-unit must agree with it.
		if hu, ok := HeaderUnit(r.header[c]); ok {
			if r.opt.AmountUnit == "" {
				r.unit = hu
			} else if given, err := svbatch.ParseUnit(r.opt.AmountUnit); err == nil && given != hu {
				problems = append(problems, Problem{Row: hl, Column: r.header[c], Col: c,
					Message: fmt.Sprintf("says the amounts are in %s, but --amount-unit %s was given: leave --amount-unit out (the header decides) or fix the header", hu, given)})
			}
		}
	}
	found := r.foundHeaders()
	for _, f := range requiredFields {
		if r.col[f] < 0 && r.constant[f] == "" {
			problems = append(problems, Problem{Row: hl, Column: canonicalOrder[f], Col: -1,
				Message: fmt.Sprintf("required column %s (%s) is missing; the header has: %s", canonicalOrder[f], ChineseLabels[canonicalOrder[f]], found)})
		}
	}
	if !r.has(fCustomer) && !r.has(fMobile) && !r.has(fOuterID) {
		problems = append(problems, Problem{Row: hl, Column: ColCustomerID, Col: -1,
			Message: "no customer column: need customer_id, mobile, or outer_id with outer_type; the header has: " + found})
	}
	if len(problems) > 0 {
		return &HeaderError{Path: r.path, Encoding: r.t.Encoding(), HeaderRow: table.HeaderLine(r.t), Header: r.header,
			Problems: problems, Warnings: table.Warnings(r.t)}
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
