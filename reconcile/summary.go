package reconcile

// CountAmount is one category in the JSON summary: rows (or identities, see the package comment)
// and fen.
type CountAmount struct {
	Count  int64 `json:"count"`
	Amount int64 `json:"amount"`
}

// SummaryCategories holds every category, zero counts included, in report order.
type SummaryCategories struct {
	Matched          CountAmount `json:"matched"`
	Missing          CountAmount `json:"missing"`
	Unexpected       CountAmount `json:"unexpected"`
	AmountMismatch   CountAmount `json:"amount_mismatch"`
	CustomerMismatch CountAmount `json:"customer_mismatch"`
	StatusMismatch   CountAmount `json:"status_mismatch"`
	Duplicate        CountAmount `json:"duplicate"`
	WithinTolerance  CountAmount `json:"within_tolerance"`
	BalanceMismatch  CountAmount `json:"balance_mismatch"`
}

// Summary is what `svbatch reconcile --json` prints, as one object.
type Summary struct {
	Categories    SummaryCategories `json:"categories"`
	ExpectedTotal int64             `json:"expected_total"`
	ActualTotal   int64             `json:"actual_total"`
	NetDifference int64             `json:"net_difference"`
	Explained     bool              `json:"explained"`
}

// Summary returns the report's summary.
func (r *Report) Summary() Summary {
	ca := func(c Category) CountAmount { return CountAmount{Count: r.totals[c].Count, Amount: r.totals[c].Amount} }
	return Summary{
		Categories: SummaryCategories{
			Matched: ca(Matched), Missing: ca(Missing), Unexpected: ca(Unexpected),
			AmountMismatch: ca(AmountMismatch), CustomerMismatch: ca(CustomerMismatch),
			StatusMismatch: ca(StatusMismatch), Duplicate: ca(Duplicate), WithinTolerance: ca(WithinTolerance), BalanceMismatch: ca(BalanceMismatch),
		},
		ExpectedTotal: r.ExpectedTotal,
		ActualTotal:   r.ActualTotal,
		NetDifference: r.NetDifference(),
		Explained:     r.Explained,
	}
}
