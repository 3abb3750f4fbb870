package reconcile

// Three-way reconciliation: the expected ledger × svbatch's results × what the platform says
// happened (its stored-value flows, accountflows.get, and its closing balances, open.customer.get).
//
// It is pure, like the rest of the package: the platform's flows and balances are inputs (package
// platform fetches and caches them), the output a PlatformReport of plain values.
//
// # What is matched
//
// A flow's identity is the identity of the operation that recorded it (client.FlowTypeOf): flow
// type RECHARGE/FREEZE/VERIFY is operate_type 1/2/3 with outer_order_id; a REFUND is operate_type 4
// whose outer_pay_id is the charge (outer_order_id) and whose outer_order_id is the refund's own id
// (new_outer_order_id). An UNFREEZE is the companion of a VERIFY with the same outer_order_id on the
// same account (the verify returned the whole hold before taking its amount): it belongs to the
// balance proof, not to any category, unless no such VERIFY exists (then it is platform_only).
//
// The flows in scope are the flows of the run's accounts (the accounts open.customer.get names for
// the results' customers), and any flow whose identity is one of the results' or the expected
// ledger's. Other flows of the same shops and window (other customers' business) are counted, not
// categorised.
//
// # Categories
//
// Every results row that moved money and every flow in scope lands in exactly one of:
//   - platform_matched: the row's identity has a flow of the row's type, sign and amount on the
//     row's account.
//   - platform_only: a flow no results row that moved money accounts for: applied on the platform
//     outside the run (or by a row the results hold as failed/unknown: then the note says so, and
//     `svbatch resolve` decides it).
//   - results_only: a row that moved money (succeeded, already_done, succeeded_after_fix) with no
//     flow on the platform: not on the platform.
//   - platform_amount_mismatch: the row and a flow of its identity disagree: amount, sign, flow
//     type (a flow of another type under the row's order id) or account.
//
// # Amounts and the platform net difference
//
// As in the two-way statement, change_value is a volume: results_total = Σ change_value of the rows
// that moved money; platform_total = Σ |order_value| of the flows in scope (companions excluded).
// Each category has Expected (the results' side), Actual (the platform's) and Difference = Actual −
// Expected; the statement is explained when Σ Difference = platform_total − results_total and every
// row and flow was put in exactly one category. Every sum is checked (svbatch.AddFen).
//
// # Balance proof
//
// Per run account: its flows in scope (companions included) ordered by order_time, then flow_id;
// opening = the first flow's TOTAL before value (or its current_value − order_value, the sum back);
// opening + Σ order_value must equal the last flow's current_value and the closing balance
// open.customer.get answers; each flow's Check() must pass and each flow's before must be the
// previous flow's after (a gap is a flow missing, e.g. in a shop outside the run). An account
// without flows in the window is proved when nothing claims it moved (its balance is then its
// opening and closing balance).

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"svbatch"
	"svbatch/client"
)

// PlatformCategory is a category of the three-way reconciliation.
type PlatformCategory int

// The three-way categories, in report order.
const (
	PlatformMatched PlatformCategory = iota
	PlatformOnly
	ResultsOnly
	PlatformAmountMismatch
	numPlatformCategories
)

// PlatformCategories lists every three-way category in report order.
var PlatformCategories = []PlatformCategory{PlatformMatched, PlatformOnly, ResultsOnly, PlatformAmountMismatch}

var platformCategoryNames = [...]string{"platform_matched", "platform_only", "results_only", "platform_amount_mismatch"}

// String returns the category's name as the JSON summary spells it ("platform_only").
func (c PlatformCategory) String() string {
	if c >= 0 && c < numPlatformCategories {
		return platformCategoryNames[c]
	}
	return "platform_category(" + strconv.Itoa(int(c)) + ")"
}

// PlatformRow is one results row as the three-way reconciliation reads it.
type PlatformRow struct {
	Line int // the results row's `row` (the input's row), else its line in the file
	Identity
	ShopID string
	Customer
	Amount     int64 // change_value, fen
	Status     string
	Moved      bool      // the row moved money (succeeded, already_done, succeeded_after_fix)
	FinishedAt time.Time // zero when the row has none
}

// AccountKey is brand_id + the customer identity that names the row's account (as Balance's).
func (r PlatformRow) AccountKey() string {
	return Balance{BrandID: r.BrandID, Customer: r.Customer}.accountKey()
}

// ReadPlatformRows reads a results file (as Reconcile does, in either language) into rows. tz is
// the zone of finished_at cells without an offset (the workbook's --tz; nil = GMT+8). A row that
// moved money must have a valid operate_type and change_value; other rows may not.
func ReadPlatformRows(src Source, tz *time.Location) ([]PlatformRow, error) {
	const file = "results"
	if tz == nil {
		tz = svbatch.GMT8
	}
	p := &problems{max: 50}
	ci := mapHeader(file, src.Header(), resultsHeader, nil, p)
	for _, c := range []string{svbatch.ColBrandID, svbatch.ColOperateType, svbatch.ColOuterOrderID, svbatch.ColNewOuterOrderID, svbatch.ColChangeValue, svbatch.ColStatus} {
		if _, ok := ci[c]; !ok {
			p.add(RowError{File: file, Line: 1, Column: c, Msg: "required column missing (is this a results file of svbatch run?)"})
		}
	}
	if err := p.result(); err != nil {
		return nil, err
	}
	cp := ci.resolve("status", nil)
	col := func(cells []string, name string) string {
		if i, ok := ci[name]; ok && i < len(cells) {
			return svbatch.Unneutralise(strings.TrimSpace(cells[i]))
		}
		return ""
	}
	var out []PlatformRow
	for {
		line, cells, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read results: %w", err)
		}
		if blank(cells) {
			continue
		}
		get := func(id int) string { return svbatch.Unneutralise(cp.get(cells, id)) }
		status := strings.ToLower(get(cStatus))
		if st, ok := svbatch.ParseStatus(status); ok {
			status = string(st)
		}
		moved := status == string(svbatch.Succeeded) || status == string(svbatch.SucceededAfterFix) ||
			(status == string(svbatch.AlreadyDone) && !isFalse(get(cBiz)) && !isFalse(get(cResult)))
		op, opErr := parseOp(get(cOp))
		amt, amtErr := svbatch.ParseAmount(get(cAmount), svbatch.Fen, false)
		if moved && (opErr != nil || amtErr != nil) {
			if opErr != nil {
				p.add(RowError{File: file, Line: line, Column: "operate_type", Value: get(cOp), Msg: opErr.Error()})
			}
			if amtErr != nil {
				p.add(RowError{File: file, Line: line, Column: "change_value", Value: get(cAmount), Msg: amtErr.Error()})
			}
			continue
		}
		if amtErr != nil {
			amt = 0
		}
		rowNo := line
		if n, err := strconv.Atoi(get(cRow)); err == nil && n > 0 {
			rowNo = n
		}
		r := PlatformRow{
			Line:     rowNo,
			Identity: Identity{BrandID: get(cBrand), OperateType: int(op), OuterOrderID: get(cOuter), NewOuterOrderID: get(cNewOuter)},
			ShopID:   col(cells, svbatch.ColShopID),
			Customer: Customer{get(cCustID), get(cMobile), get(cOuterType), get(cOuterID)},
			Amount:   amt, Status: status, Moved: moved,
		}
		if s := col(cells, svbatch.ColFinishedAt); s != "" {
			t, err := parseFinishedAt(s, tz)
			if err != nil {
				p.add(RowError{File: file, Line: line, Column: svbatch.ColFinishedAt, Value: s, Msg: err.Error()})
				continue
			}
			r.FinishedAt = t
		}
		out = append(out, r)
	}
	if err := p.result(); err != nil {
		return nil, err
	}
	return out, nil
}

// parseFinishedAt reads a finished_at cell: RFC 3339 (the CSV form), or yyyy-mm-dd hh:mm:ss as the
// workbook shows it, in tz.
func parseFinishedAt(s string, tz *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006/01/02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, tz); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("want a date-time (yyyy-mm-dd hh:mm:ss or RFC 3339)")
}

// PlatformAccount is one run account as the platform holds it (open.customer.get).
type PlatformAccount struct {
	BrandID string
	Customer
	ShopID     string   // the shop it was asked with
	Found      bool     // the platform knows the customer
	AccountIDs []string // the account_id and card_id of its cards: what its flows carry
	Balance    int64    // closing balance, fen: Σ balance over its cards' accounts
	Err        string   // the read failed (then nothing else is known)
}

// Key is the account's key, as PlatformRow.AccountKey.
func (a PlatformAccount) Key() string {
	return Balance{BrandID: a.BrandID, Customer: a.Customer}.accountKey()
}

// PlatformInput is what the three-way reconciliation reads besides the two-way report.
type PlatformInput struct {
	Rows     []PlatformRow     // the results, every row
	Flows    []client.Flow     // the platform's flows of the run's shops and window (each once)
	Accounts []PlatformAccount // the run's accounts (one per account key)
}

// PlatformEntry is one line of a three-way category's sheet: a results row, a flow, or both.
type PlatformEntry struct {
	Category PlatformCategory
	Identity
	ShopID     string
	HasResult  bool
	ResultsRow int
	Status     string // the results row's status; "absent" when there is none
	Customer   Customer
	HasFlow    bool
	FlowID     string
	FlowType   string
	AccountID  string
	OrderTime  string // GMT+8, as the platform answers
	OrderValue int64  // the flow's signed order_value, fen
	// ResultsAmount is the row's change_value when it moved money; PlatformAmount |order_value|.
	ResultsAmount, PlatformAmount int64
	Difference                    int64 // PlatformAmount − ResultsAmount
	Note                          string
}

// ProofEntry is one account's balance proof (amounts in fen).
type ProofEntry struct {
	BrandID string
	Customer
	ShopID     string
	AccountIDs string // comma-separated
	Flows      int    // flows of the window, companions included
	Opening    int64  // the first flow's before (or, without flows, the closing balance)
	FlowSum    int64  // Σ order_value
	Computed   int64  // Opening + FlowSum
	HasClosing bool
	Closing    int64 // open.customer.get's balance
	Difference int64 // Closing − Computed
	Proved     bool
	Note       string
}

// PlatformReport is the outcome of ReconcilePlatform.
type PlatformReport struct {
	ResultsRows   int64 // results rows that moved money
	ResultsTotal  int64 // Σ change_value of them, fen
	Flows         int64 // flows in scope, companions excluded
	Companions    int64 // UNFREEZE companions of a VERIFY
	OtherFlows    int64 // flows of the same shops and window on accounts outside the run
	PlatformTotal int64 // Σ |order_value| of the flows in scope, fen
	Explained     bool
	Accounts      int // accounts proved or not
	Proved        int
	netDiff       int64
	diffSum       int64
	totals        [numPlatformCategories]Total
	entries       [numPlatformCategories][]PlatformEntry
	proofs        []ProofEntry
}

// Totals returns one category's totals (Expected: the results' side, Actual: the platform's).
func (p *PlatformReport) Totals(c PlatformCategory) Total { return p.totals[c] }

// Entries returns a category's entries sorted by the identity.
func (p *PlatformReport) Entries(c PlatformCategory) []PlatformEntry {
	if c < 0 || c >= numPlatformCategories {
		return nil
	}
	return p.entries[c]
}

// Proofs returns every account's balance proof, sorted by account.
func (p *PlatformReport) Proofs() []ProofEntry { return p.proofs }

// Failed returns the accounts whose proof failed.
func (p *PlatformReport) Failed() []ProofEntry {
	var out []ProofEntry
	for _, e := range p.proofs {
		if !e.Proved {
			out = append(out, e)
		}
	}
	return out
}

// NetDifference is PlatformTotal − ResultsTotal.
func (p *PlatformReport) NetDifference() int64 { return p.netDiff }

// DifferenceSum is Σ Difference over the categories.
func (p *PlatformReport) DifferenceSum() int64 { return p.diffSum }

// AllMatched reports whether the platform agrees with the results in every row and flow, every
// account's balance is proved, and the statement is explained.
func (p *PlatformReport) AllMatched() bool {
	for _, c := range []PlatformCategory{PlatformOnly, ResultsOnly, PlatformAmountMismatch} {
		if p.totals[c].Count > 0 {
			return false
		}
	}
	return p.Explained && p.Proved == p.Accounts
}

// Statement returns the platform net-difference statement and the proof's outcome in words.
func (p *PlatformReport) Statement() []string {
	var parts []string
	for _, c := range PlatformCategories {
		parts = append(parts, fmt.Sprintf("%s %+d", c, p.totals[c].Difference))
	}
	s := []string{
		fmt.Sprintf("platform total %d − results total %d = platform net difference %+d fen", p.PlatformTotal, p.ResultsTotal, p.netDiff),
		fmt.Sprintf("sum of platform category differences: %s = %+d fen", strings.Join(parts, ", "), p.diffSum),
	}
	if p.Explained {
		s = append(s, "explained: every flow in scope and every result that moved money is in exactly one category and the differences add up")
	} else {
		s = append(s, "NOT explained: the platform category differences do not add up, or a flow or row was not categorised once")
	}
	s = append(s, fmt.Sprintf("balance proof: %d of %d accounts proved (opening + Σ flows = closing balance from customer.get; every flow's before + affected = after)", p.Proved, p.Accounts))
	return s
}

// PlatformSummary is the three-way part of `svbatch reconcile --platform --json`.
type PlatformSummary struct {
	Categories     map[string]CountAmount `json:"categories"`
	ResultsTotal   int64                  `json:"results_total"`
	PlatformTotal  int64                  `json:"platform_total"`
	NetDifference  int64                  `json:"net_difference"`
	Explained      bool                   `json:"explained"`
	Flows          int64                  `json:"flows"`
	Companions     int64                  `json:"companion_flows"`
	OtherFlows     int64                  `json:"other_flows"`
	Accounts       int                    `json:"accounts"`
	AccountsProved int                    `json:"accounts_proved"`
	AllMatched     bool                   `json:"all_matched"`
}

// Summary returns the three-way summary.
func (p *PlatformReport) Summary() PlatformSummary {
	m := map[string]CountAmount{}
	for _, c := range PlatformCategories {
		m[c.String()] = CountAmount{Count: p.totals[c].Count, Amount: p.totals[c].Amount}
	}
	return PlatformSummary{Categories: m, ResultsTotal: p.ResultsTotal, PlatformTotal: p.PlatformTotal, NetDifference: p.netDiff,
		Explained: p.Explained, Flows: p.Flows, Companions: p.Companions, OtherFlows: p.OtherFlows,
		Accounts: p.Accounts, AccountsProved: p.Proved, AllMatched: p.AllMatched()}
}

// flowKey is the packed identity of the operation a flow records, and its operate_type; ok is false
// for an UNFREEZE or an unknown flow type.
func flowKey(f *client.Flow) (key string, op svbatch.OperateType, ok bool) {
	switch f.FlowType {
	case client.FlowTypeRecharge:
		op = svbatch.Charge
	case client.FlowTypeFreeze:
		op = svbatch.Freeze
	case client.FlowTypeVerify:
		op = svbatch.Verify
	case client.FlowTypeRefund:
		return packKey(f.BrandID, svbatch.Refund, f.OuterPayID, f.OuterOrderID), svbatch.Refund, true
	default:
		return "", 0, false
	}
	return packKey(f.BrandID, op, f.OuterOrderID, ""), op, true
}

// wireOuter is the outer_order_id the flow of a row's operation carries: a refund's own id.
func wireOuter(id Identity) string {
	if svbatch.OperateType(id.OperateType) == svbatch.Refund {
		return id.NewOuterOrderID
	}
	return id.OuterOrderID
}

// ReconcilePlatform reconciles the results against the platform's flows and balances, and proves
// every run account's balance. rep, the two-way report, may be nil; when given, flows whose identity
// only the expected ledger knows are in scope too. An *InputError means a sum passed int64 or a flow
// is unusable.
func ReconcilePlatform(rep *Report, in PlatformInput) (*PlatformReport, error) {
	p := &PlatformReport{}
	bad := func(msg string) error {
		return &InputError{Problems: []RowError{{File: "platform", Msg: msg}}, Total: 1}
	}

	// The run's accounts and what the platform calls them.
	acctOf := map[string]string{} // brand + account_id/card_id → account key
	accounts := map[string]*PlatformAccount{}
	for i := range in.Accounts {
		a := &in.Accounts[i]
		accounts[a.Key()] = a
		for _, id := range a.AccountIDs {
			if id != "" {
				acctOf[a.BrandID+sep+id] = a.Key()
			}
		}
	}
	flowAcct := func(f *client.Flow) string {
		if k, ok := acctOf[f.BrandID+sep+f.AccountID]; ok && f.AccountID != "" {
			return k
		}
		if k, ok := acctOf[f.BrandID+sep+f.CardID]; ok && f.CardID != "" {
			return k
		}
		return ""
	}

	// Our side: the rows by identity; those that moved money are the ones to account for.
	byKey := map[string][]int{}
	for i := range in.Rows {
		r := &in.Rows[i]
		k := packKey(r.BrandID, svbatch.OperateType(r.OperateType), r.OuterOrderID, r.NewOuterOrderID)
		byKey[k] = append(byKey[k], i)
		if r.Moved {
			p.ResultsRows++
			if !addTo(&p.ResultsTotal, r.Amount) {
				return nil, bad(overflowMsg("the results total"))
			}
		}
	}
	known := func(k string) bool {
		if _, ok := byKey[k]; ok {
			return true
		}
		if rep != nil {
			if rep.hasExpected(k) {
				return true
			}
		}
		return false
	}

	// The flows in scope, each once; VERIFY flows by (brand, outer, account) for the companions.
	type flowRef struct {
		f    *client.Flow
		acct string
		key  string
		op   svbatch.OperateType
	}
	seen := map[string]bool{}
	verifies := map[string]bool{}
	var scoped []flowRef
	var unfreezes []flowRef
	for i := range in.Flows {
		f := &in.Flows[i]
		id := f.BrandID + sep + f.FlowID
		if seen[id] {
			continue
		}
		seen[id] = true
		acct := flowAcct(f)
		key, op, ok := flowKey(f)
		if f.FlowType == client.FlowTypeUnfreeze {
			if acct != "" {
				unfreezes = append(unfreezes, flowRef{f: f, acct: acct})
			} else {
				p.OtherFlows++
			}
			continue
		}
		if acct == "" && !(ok && known(key)) {
			p.OtherFlows++
			continue
		}
		if f.FlowType == client.FlowTypeVerify {
			verifies[f.BrandID+sep+f.OuterOrderID+sep+acct] = true
		}
		scoped = append(scoped, flowRef{f: f, acct: acct, key: key, op: op})
	}
	var proofFlows = map[string][]*client.Flow{}
	for _, u := range unfreezes {
		proofFlows[u.acct] = append(proofFlows[u.acct], u.f)
		if verifies[u.f.BrandID+sep+u.f.OuterOrderID+sep+u.acct] {
			p.Companions++
			continue
		}
		scoped = append(scoped, flowRef{f: u.f, acct: u.acct})
	}

	var covRows, covFlows int64
	add := func(e PlatformEntry) error {
		t := &p.totals[e.Category]
		exp, act := int64(0), int64(0)
		if e.HasResult {
			exp = e.ResultsAmount
		}
		if e.HasFlow {
			act = e.PlatformAmount
		}
		amount := act
		if !e.HasFlow {
			amount = exp
		}
		if what := t.addRow(amount, exp, act); what != "" {
			return bad(overflowMsg(fmt.Sprintf("the %s %s total", e.Category, what)))
		}
		d, ok := svbatch.SubFen(act, exp)
		if !ok {
			return bad(overflowMsg("a platform difference"))
		}
		e.Difference = d
		p.entries[e.Category] = append(p.entries[e.Category], e)
		return nil
	}
	rowEntry := func(e *PlatformEntry, r *PlatformRow) {
		e.Identity, e.ShopID, e.HasResult, e.ResultsRow, e.Status, e.Customer = r.Identity, r.ShopID, true, r.Line, r.Status, r.Customer
		if r.Moved {
			e.ResultsAmount = r.Amount
		}
	}
	flowEntry := func(e *PlatformEntry, fr flowRef) error {
		f := fr.f
		v, ok := absFen(f.OrderValue)
		if !ok {
			return bad(fmt.Sprintf("flow %s: order_value %d cannot be negated", f.FlowID, f.OrderValue))
		}
		e.HasFlow, e.FlowID, e.FlowType, e.AccountID, e.OrderTime, e.OrderValue, e.PlatformAmount = true, f.FlowID, f.FlowType, f.AccountID, f.OrderTime, f.OrderValue, v
		if !e.HasResult {
			e.Identity = unpackKey(fr.key)
			if fr.key == "" { // an UNFREEZE without its VERIFY
				e.Identity = Identity{BrandID: f.BrandID, OuterOrderID: f.OuterOrderID}
			}
			e.ShopID = f.ShopID
			e.Status = "absent"
			if a := accounts[fr.acct]; a != nil {
				e.Customer = a.Customer
			}
		}
		if !addTo(&p.PlatformTotal, v) {
			return bad(overflowMsg("the platform total"))
		}
		p.Flows++
		covFlows++
		return nil
	}

	// Pass 1: a flow of the row's own identity.
	usedRow := make([]bool, len(in.Rows))
	var left []flowRef
	for _, fr := range scoped {
		idx := -1
		for _, i := range byKey[fr.key] {
			if !usedRow[i] && in.Rows[i].Moved && fr.key != "" {
				idx = i
				break
			}
		}
		if idx < 0 {
			left = append(left, fr)
			continue
		}
		usedRow[idx] = true
		covRows++
		r := &in.Rows[idx]
		var e PlatformEntry
		rowEntry(&e, r)
		if err := flowEntry(&e, fr); err != nil {
			return nil, err
		}
		_, sign := client.FlowTypeOf(svbatch.OperateType(r.OperateType))
		var notes []string
		if e.PlatformAmount != r.Amount {
			notes = append(notes, fmt.Sprintf("platform %d − results %d = %+d fen", e.PlatformAmount, r.Amount, e.PlatformAmount-r.Amount))
		}
		if (sign > 0 && fr.f.OrderValue < 0) || (sign < 0 && fr.f.OrderValue > 0) {
			notes = append(notes, fmt.Sprintf("order_value %+d has the wrong sign for a %s", fr.f.OrderValue, fr.f.FlowType))
		}
		if a := accounts[r.AccountKey()]; a != nil && a.Found && fr.acct != r.AccountKey() {
			notes = append(notes, fmt.Sprintf("on account %s, not the row's (%s)", fr.f.AccountID, r.Customer))
		}
		e.Category = PlatformMatched
		if len(notes) > 0 {
			e.Category, e.Note = PlatformAmountMismatch, strings.Join(notes, "; ")
		}
		if err := add(e); err != nil {
			return nil, err
		}
	}
	// Pass 2: a flow of another type (or refunding another charge) under a row's order id.
	type outerKey struct{ brand, outer string }
	loose := map[outerKey][]int{} // rows that moved money and have no flow yet
	for i := range in.Rows {
		if r := &in.Rows[i]; r.Moved && !usedRow[i] {
			k := outerKey{r.BrandID, wireOuter(r.Identity)}
			loose[k] = append(loose[k], i)
		}
	}
	for _, fr := range left {
		var e PlatformEntry
		idx := -1
		if fr.key != "" {
			for _, i := range loose[outerKey{fr.f.BrandID, fr.f.OuterOrderID}] {
				if !usedRow[i] {
					idx = i
					break
				}
			}
		}
		if idx >= 0 {
			usedRow[idx] = true
			covRows++
			r := &in.Rows[idx]
			rowEntry(&e, r)
			want, _ := client.FlowTypeOf(svbatch.OperateType(r.OperateType))
			e.Category = PlatformAmountMismatch
			if fr.f.FlowType != want {
				e.Note = fmt.Sprintf("the platform holds a %s flow under outer_order_id %s, not a %s", fr.f.FlowType, fr.f.OuterOrderID, want)
			} else {
				e.Note = fmt.Sprintf("the refund's flow reverses charge %s, not %s", fr.f.OuterPayID, r.OuterOrderID)
			}
		} else {
			e.Category = PlatformOnly
			e.Note = "applied on the platform; not in the results"
			if fr.key == "" {
				e.Note = "UNFREEZE without a VERIFY of its order on the account"
			}
			for _, i := range byKey[fr.key] {
				if r := &in.Rows[i]; fr.key != "" {
					rowEntry(&e, r)
					e.ResultsAmount = 0
					if r.Moved {
						e.Note = "a second flow of this identity: the results hold it once"
					} else {
						e.Note = "applied on the platform, but the results say " + r.Status + ": run svbatch resolve"
					}
					break
				}
			}
			if !e.HasResult && fr.key != "" && rep != nil {
				if rep.hasExpected(fr.key) {
					e.Note = "applied on the platform outside the run; the expected ledger has it"
				}
			}
			if fr.acct == "" {
				e.Note += "; on an account outside the run"
			}
		}
		if err := flowEntry(&e, fr); err != nil {
			return nil, err
		}
		if err := add(e); err != nil {
			return nil, err
		}
	}
	// Rows that moved money and found no flow.
	for i := range in.Rows {
		r := &in.Rows[i]
		if !r.Moved || usedRow[i] {
			continue
		}
		covRows++
		var e PlatformEntry
		rowEntry(&e, r)
		e.Category = ResultsOnly
		e.Note = "succeeded in the results; no flow of it on the platform in the window"
		if a := accounts[r.AccountKey()]; a != nil && !a.Found && a.Err == "" {
			e.Note += "; the platform does not know the customer"
		}
		if err := add(e); err != nil {
			return nil, err
		}
	}

	for c := range p.entries {
		slices.SortStableFunc(p.entries[c], func(a, b PlatformEntry) int {
			return cmp.Or(cmp.Compare(packKey(a.BrandID, svbatch.OperateType(a.OperateType), a.OuterOrderID, a.NewOuterOrderID),
				packKey(b.BrandID, svbatch.OperateType(b.OperateType), b.OuterOrderID, b.NewOuterOrderID)), cmp.Compare(a.FlowID, b.FlowID))
		})
	}
	var ok bool
	for c := range p.totals {
		t := &p.totals[c]
		if t.Difference, ok = svbatch.SubFen(t.Actual, t.Expected); !ok {
			return nil, bad(overflowMsg("a platform category difference"))
		}
		if p.diffSum, ok = svbatch.AddFen(p.diffSum, t.Difference); !ok {
			return nil, bad(overflowMsg("the sum of the platform category differences"))
		}
	}
	if p.netDiff, ok = svbatch.SubFen(p.PlatformTotal, p.ResultsTotal); !ok {
		return nil, bad(overflowMsg("the platform net difference"))
	}
	p.Explained = p.diffSum == p.netDiff && covRows == p.ResultsRows && covFlows == int64(len(scoped))

	// The balance proof, per run account.
	for _, fr := range scoped {
		if fr.acct != "" && fr.f.FlowType != client.FlowTypeUnfreeze {
			proofFlows[fr.acct] = append(proofFlows[fr.acct], fr.f)
		}
	}
	keys := make([]string, 0, len(accounts))
	for k := range accounts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	moved := map[string]bool{}
	for i := range in.Rows {
		if in.Rows[i].Moved {
			moved[in.Rows[i].AccountKey()] = true
		}
	}
	for _, k := range keys {
		e, err := proveAccount(accounts[k], proofFlows[k], moved[k])
		if err != nil {
			return nil, err
		}
		p.Accounts++
		if e.Proved {
			p.Proved++
		}
		p.proofs = append(p.proofs, e)
	}
	return p, nil
}

// flowOrder orders an account's flows by order_time, then flow_id (numerically when both are
// numbers).
func flowOrder(a, b *client.Flow) int {
	if c := cmp.Compare(a.OrderTime, b.OrderTime); c != 0 {
		return c
	}
	na, ea := strconv.ParseInt(a.FlowID, 10, 64)
	nb, eb := strconv.ParseInt(b.FlowID, 10, 64)
	if ea == nil && eb == nil {
		return cmp.Compare(na, nb)
	}
	return cmp.Compare(a.FlowID, b.FlowID)
}

// beforeOf is a flow's balance before it: its TOTAL before value, or current_value − order_value.
func beforeOf(f *client.Flow) (int64, bool) {
	if v, ok := client.PropertyValue(f.BeforePropertyList, client.PropertyTotal); ok {
		return v, true
	}
	return svbatch.SubFen(f.CurrentValue, f.OrderValue)
}

// proveAccount proves one account's balance: opening + Σ order_value = closing, each flow's own
// arithmetic and the chain from one flow to the next. moved says whether a results row claims the
// account moved money (then an account unknown to the platform is not proved).
func proveAccount(a *PlatformAccount, flows []*client.Flow, moved bool) (ProofEntry, error) {
	e := ProofEntry{BrandID: a.BrandID, Customer: a.Customer, ShopID: a.ShopID, AccountIDs: strings.Join(a.AccountIDs, ","),
		Flows: len(flows), HasClosing: a.Found && a.Err == "", Closing: a.Balance}
	var notes []string
	slices.SortStableFunc(flows, flowOrder)
	switch {
	case a.Err != "":
		notes = append(notes, "closing balance not read: "+a.Err)
	case !a.Found && (len(flows) > 0 || moved):
		notes = append(notes, "open.customer.get does not know the customer")
	}
	if len(flows) == 0 {
		e.Opening, e.Computed = a.Balance, a.Balance
		if len(notes) == 0 {
			notes = append(notes, "no flows in the window")
			if !a.Found {
				notes = []string{"not on the platform: no flows, no balance"}
			}
			e.Proved = true
		}
		e.Note = strings.Join(notes, "; ")
		return e, nil
	}
	open, ok := beforeOf(flows[0])
	if !ok {
		return e, &InputError{Problems: []RowError{{File: "platform", Msg: fmt.Sprintf("flow %s: its balance before passes the int64 limit", flows[0].FlowID)}}, Total: 1}
	}
	e.Opening = open
	checksOK := true
	bal := open
	for i, f := range flows {
		if err := f.Check(); err != nil {
			notes = append(notes, err.Error())
			checksOK = false
		}
		if i > 0 {
			if b, ok := beforeOf(f); !ok || b != bal {
				notes = append(notes, fmt.Sprintf("flow %s starts from %d, but flow %s left %d: a flow is missing between them (a shop outside the run?) or out of order", f.FlowID, b, flows[i-1].FlowID, bal))
				checksOK = false
			}
		}
		if e.FlowSum, ok = svbatch.AddFen(e.FlowSum, f.OrderValue); !ok {
			return e, &InputError{Problems: []RowError{{File: "platform", Msg: overflowMsg("an account's Σ order_value")}}, Total: 1}
		}
		if bal, ok = svbatch.AddFen(bal, f.OrderValue); !ok {
			return e, &InputError{Problems: []RowError{{File: "platform", Msg: overflowMsg("an account's running balance")}}, Total: 1}
		}
		if bal != f.CurrentValue {
			notes = append(notes, fmt.Sprintf("after flow %s the sum is %d, its current_value %d", f.FlowID, bal, f.CurrentValue))
			checksOK = false
			bal = f.CurrentValue
		}
	}
	if e.Computed, ok = svbatch.AddFen(e.Opening, e.FlowSum); !ok {
		return e, &InputError{Problems: []RowError{{File: "platform", Msg: overflowMsg("an account's computed closing balance")}}, Total: 1}
	}
	if e.HasClosing {
		if e.Difference, ok = svbatch.SubFen(e.Closing, e.Computed); !ok {
			return e, &InputError{Problems: []RowError{{File: "platform", Msg: overflowMsg("an account's closing difference")}}, Total: 1}
		}
		if e.Difference != 0 {
			notes = append(notes, fmt.Sprintf("closing balance %d ≠ opening %d + flows %+d = %d (%+d fen): a flow after the window, or one not read", e.Closing, e.Opening, e.FlowSum, e.Computed, e.Difference))
		}
	}
	e.Proved = e.HasClosing && e.Difference == 0 && checksOK
	if e.Proved {
		notes = append([]string{fmt.Sprintf("opening %d + flows %+d = closing %d", e.Opening, e.FlowSum, e.Closing)}, notes...)
	}
	e.Note = strings.Join(notes, "; ")
	return e, nil
}
