package batch

import (
	"fmt"
	"strconv"
	"strings"
)

// mapHeader finds the canonical columns and the pass-through ones.
func (r *Reader) mapHeader(m *Mapping) error {
	var problems []Problem
	for i := range r.col {
		r.col[i] = -1
		r.name[i] = canonicalOrder[i]
	}
	for i, h := range r.header {
		c, ok := CanonicalHeader(h, m)
		if !ok {
			r.extraIdx = append(r.extraIdx, i)
			r.extraHdr = append(r.extraHdr, h)
			continue
		}
		f := fieldIndex(c)
		if prev := r.col[f]; prev >= 0 {
			problems = append(problems, Problem{Row: 1, Column: h, Col: i,
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
				problems = append(problems, Problem{Row: 1, Column: r.name[f], Col: r.col[f],
					Message: fmt.Sprintf("%s is both a column of the file and a constant in the mapping: keep one", c)})
				continue
			}
			r.constant[f] = v
		}
	}
	found := r.foundHeaders()
	for _, f := range requiredFields {
		if r.col[f] < 0 && r.constant[f] == "" {
			problems = append(problems, Problem{Row: 1, Column: canonicalOrder[f], Col: -1,
				Message: fmt.Sprintf("required column %s (%s) is missing; the header has: %s", canonicalOrder[f], ChineseLabels[canonicalOrder[f]], found)})
		}
	}
	if !r.has(fCustomer) && !r.has(fMobile) && !r.has(fOuterID) {
		problems = append(problems, Problem{Row: 1, Column: ColCustomerID, Col: -1,
			Message: "no customer column: need customer_id, mobile, or outer_id with outer_type; the header has: " + found})
	}
	if len(problems) > 0 {
		return &HeaderError{Path: r.path, Encoding: r.t.Encoding(), Header: r.header, Problems: problems}
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
