package reconcile

import (
	"fmt"
	"strings"
)

// Statement returns the net-difference statement in words.
func (r *Report) Statement() []string {
	var parts []string
	for c := Matched; c < BalanceMismatch; c++ {
		parts = append(parts, fmt.Sprintf("%s %+d", c, r.totals[c].Difference))
	}
	s := []string{
		fmt.Sprintf("actual total %d − expected total %d = net difference %+d fen", r.ActualTotal, r.ExpectedTotal, r.NetDifference()),
		fmt.Sprintf("sum of category differences: %s = %+d fen", strings.Join(parts, ", "), r.DifferenceSum()),
	}
	if r.Explained {
		s = append(s, "explained: every row read is in exactly one category and the category differences add up to the net difference")
	} else {
		s = append(s, "NOT explained: the category differences do not add up to the net difference, or a row was not categorised once")
	}
	return s
}
