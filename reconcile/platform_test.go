package reconcile

import (
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"svbatch"
	"svbatch/client"
)

// sliceSource is a Source over rows in memory.
type sliceSource struct {
	header []string
	rows   [][]string
	i      int
}

func (s *sliceSource) Header() []string { return s.header }

func (s *sliceSource) Next() (int, []string, error) {
	if s.i >= len(s.rows) {
		return 0, nil, io.EOF
	}
	s.i++
	return s.i + 1, s.rows[s.i-1], nil
}

// pfLedger builds flows as a platform records them: per account, each flow's before is the
// previous flow's after, with REAL/GIFT/TOTAL lists that Check().
type pfLedger struct {
	bal   map[string]int64
	seq   int
	flows []client.Flow
	at    time.Time
}

func newPFLedger(opening map[string]int64) *pfLedger {
	l := &pfLedger{bal: map[string]int64{}, at: time.Date(2026, 11, 27, 10, 0, 0, 0, svbatch.GMT8)}
	for k, v := range opening {
		l.bal[k] = v
	}
	return l
}

// flow records a flow of typ on account acct (brand B) with signed value v.
func (l *pfLedger) flow(acct, typ, outer, pay string, v int64) *pfLedger {
	l.seq++
	before := l.bal[acct]
	after := before + v
	l.bal[acct] = after
	props := func(x int64) []client.Property {
		return []client.Property{{Type: client.PropertyReal, Value: x}, {Type: client.PropertyGift, Value: 0}, {Type: client.PropertyTotal, Value: x}}
	}
	l.flows = append(l.flows, client.Flow{FlowID: strconv.Itoa(l.seq), FlowType: typ, AccountID: acct, CardID: "card-" + acct, BrandID: "B", ShopID: "S1",
		OrderValue: v, CurrentValue: after, OrderTime: l.at.Add(time.Duration(l.seq) * time.Second).Format(client.FlowTimeLayout),
		OuterOrderID: outer, OuterPayID: pay, BeforePropertyList: props(before), AffectedPropertyList: props(v), AfterPropertyList: props(after)})
	return l
}

func pfRow(line int, op svbatch.OperateType, outer, newOuter, cust string, fen int64, status string) PlatformRow {
	moved := status == "succeeded" || status == "already_done"
	return PlatformRow{Line: line, Identity: Identity{BrandID: "B", OperateType: int(op), OuterOrderID: outer, NewOuterOrderID: newOuter},
		ShopID: "S1", Customer: Customer{CustomerID: cust}, Amount: fen, Status: status, Moved: moved}
}

// pfAccounts are the run's accounts C1 (account A1) and C2 (A2) with the ledger's closing balances.
func pfAccounts(l *pfLedger) []PlatformAccount {
	return []PlatformAccount{
		{BrandID: "B", Customer: Customer{CustomerID: "C1"}, ShopID: "S1", Found: true, AccountIDs: []string{"A1", "card-A1"}, Balance: l.bal["A1"]},
		{BrandID: "B", Customer: Customer{CustomerID: "C2"}, ShopID: "S1", Found: true, AccountIDs: []string{"A2", "card-A2"}, Balance: l.bal["A2"]},
	}
}

// pfBase is a run in which every row applied: a charge, a freeze and its verify (an UNFREEZE
// companion), a refund, on two accounts with opening balances.
func pfBase() ([]PlatformRow, *pfLedger) {
	rows := []PlatformRow{
		pfRow(2, svbatch.Charge, "CH-1", "", "C1", 1000, "succeeded"),
		pfRow(3, svbatch.Freeze, "FR-1", "", "C1", 300, "succeeded"),
		pfRow(4, svbatch.Verify, "FR-1", "", "C1", 200, "succeeded"),
		pfRow(5, svbatch.Refund, "CH-1", "RF-1", "C1", 100, "succeeded"),
		pfRow(6, svbatch.Charge, "CH-2", "", "C2", 500, "already_done"),
	}
	l := newPFLedger(map[string]int64{"A1": 50, "A2": 7})
	l.flow("A1", client.FlowTypeRecharge, "CH-1", "", 1000).
		flow("A1", client.FlowTypeFreeze, "FR-1", "", -300).
		flow("A1", client.FlowTypeUnfreeze, "FR-1", "", 300).
		flow("A1", client.FlowTypeVerify, "FR-1", "", -200).
		flow("A1", client.FlowTypeRefund, "RF-1", "CH-1", -100).
		flow("A2", client.FlowTypeRecharge, "CH-2", "", 500)
	return rows, l
}

// TestReconcilePlatform: each row that moved money and each flow in scope lands in one three-way
// category, the platform net difference is explained, and every account's balance is proved.
func TestReconcilePlatform(t *testing.T) {
	t.Parallel()
	type want struct {
		counts             [numPlatformCategories]int64
		net                int64
		proved, accounts   int
		companions, others int64
		note               string // in some entry's note
		cat                PlatformCategory
	}
	cases := []struct {
		name  string
		setup func(rows []PlatformRow, l *pfLedger) ([]PlatformRow, *pfLedger, []PlatformAccount)
		want  want
	}{
		{"every row on the platform: all matched, the UNFREEZE is the verify's companion",
			func(r []PlatformRow, l *pfLedger) ([]PlatformRow, *pfLedger, []PlatformAccount) {
				return r, l, pfAccounts(l)
			},
			want{counts: [4]int64{5, 0, 0, 0}, net: 0, proved: 2, accounts: 2, companions: 1, cat: PlatformMatched, note: "opening 50 + flows +700 = closing 750"}},
		{"an operation applied outside the run on a run account is platform_only; the proof still holds",
			func(r []PlatformRow, l *pfLedger) ([]PlatformRow, *pfLedger, []PlatformAccount) {
				l.flow("A2", client.FlowTypeRecharge, "DIRECT-1", "", 42)
				return r, l, pfAccounts(l)
			},
			want{counts: [4]int64{5, 1, 0, 0}, net: 42, proved: 2, accounts: 2, companions: 1, cat: PlatformOnly, note: "not in the results"}},
		{"a success the platform does not hold is results_only, and the proof holds on the platform's own numbers",
			func(r []PlatformRow, l *pfLedger) ([]PlatformRow, *pfLedger, []PlatformAccount) {
				return append(r, pfRow(7, svbatch.Charge, "CH-GHOST", "", "C2", 70, "succeeded")), l, pfAccounts(l)
			},
			want{counts: [4]int64{5, 0, 1, 0}, net: -70, proved: 2, accounts: 2, companions: 1, cat: ResultsOnly, note: "no flow of it"}},
		{"a flow of another amount is platform_amount_mismatch",
			func(r []PlatformRow, l *pfLedger) ([]PlatformRow, *pfLedger, []PlatformAccount) {
				r[4].Amount = 499
				return r, l, pfAccounts(l)
			},
			want{counts: [4]int64{4, 0, 0, 1}, net: 1, proved: 2, accounts: 2, companions: 1, cat: PlatformAmountMismatch, note: "platform 500 − results 499 = +1 fen"}},
		{"a flow of another type under the row's order id is platform_amount_mismatch",
			func(r []PlatformRow, l *pfLedger) ([]PlatformRow, *pfLedger, []PlatformAccount) {
				l.flow("A2", client.FlowTypeFreeze, "X-1", "", -5)
				return append(r, pfRow(7, svbatch.Charge, "X-1", "", "C2", 5, "succeeded")), l, pfAccounts(l)
			},
			want{counts: [4]int64{5, 0, 0, 1}, net: 0, proved: 2, accounts: 2, companions: 1, cat: PlatformAmountMismatch, note: "a FREEZE flow under outer_order_id X-1, not a RECHARGE"}},
		{"a flow on another account than the row's is platform_amount_mismatch",
			func(r []PlatformRow, l *pfLedger) ([]PlatformRow, *pfLedger, []PlatformAccount) {
				l.flow("A1", client.FlowTypeRecharge, "CH-3", "", 9)
				return append(r, pfRow(7, svbatch.Charge, "CH-3", "", "C2", 9, "succeeded")), l, pfAccounts(l)
			},
			want{counts: [4]int64{5, 0, 0, 1}, net: 0, proved: 2, accounts: 2, companions: 1, cat: PlatformAmountMismatch, note: "not the row's"}},
		{"a row the results hold as unknown that did apply is platform_only, pointing at resolve",
			func(r []PlatformRow, l *pfLedger) ([]PlatformRow, *pfLedger, []PlatformAccount) {
				l.flow("A2", client.FlowTypeRecharge, "CH-U", "", 11)
				return append(r, pfRow(7, svbatch.Charge, "CH-U", "", "C2", 11, "unknown")), l, pfAccounts(l)
			},
			want{counts: [4]int64{5, 1, 0, 0}, net: 11, proved: 2, accounts: 2, companions: 1, cat: PlatformOnly, note: "svbatch resolve"}},
		{"other customers' flows in the shop are counted, not categorised",
			func(r []PlatformRow, l *pfLedger) ([]PlatformRow, *pfLedger, []PlatformAccount) {
				l.flow("A9", client.FlowTypeRecharge, "POS-1", "", 3000).flow("A9", client.FlowTypeUnfreeze, "POS-2", "", 1)
				return r, l, pfAccounts(l)
			},
			want{counts: [4]int64{5, 0, 0, 0}, net: 0, proved: 2, accounts: 2, companions: 1, others: 2, cat: PlatformMatched}},
		{"an UNFREEZE without its VERIFY is platform_only",
			func(r []PlatformRow, l *pfLedger) ([]PlatformRow, *pfLedger, []PlatformAccount) {
				l.flow("A2", client.FlowTypeUnfreeze, "FR-9", "", 30)
				return r, l, pfAccounts(l)
			},
			want{counts: [4]int64{5, 1, 0, 0}, net: 30, proved: 2, accounts: 2, companions: 1, cat: PlatformOnly, note: "UNFREEZE without a VERIFY"}},
		{"a closing balance that is not opening + Σ flows fails the proof, with the numbers",
			func(r []PlatformRow, l *pfLedger) ([]PlatformRow, *pfLedger, []PlatformAccount) {
				acc := pfAccounts(l)
				acc[1].Balance += 5
				return r, l, acc
			},
			want{counts: [4]int64{5, 0, 0, 0}, net: 0, proved: 1, accounts: 2, companions: 1, cat: PlatformMatched}},
		{"a flow missing from the chain fails the proof",
			func(r []PlatformRow, l *pfLedger) ([]PlatformRow, *pfLedger, []PlatformAccount) {
				l.flows = append(l.flows[:1], l.flows[2:]...) // the FREEZE was not read
				r = append(r[:1], r[2:]...)
				return r, l, pfAccounts(l)
			},
			want{counts: [4]int64{4, 0, 0, 0}, net: 0, proved: 1, accounts: 2, companions: 1, cat: PlatformMatched}},
		{"a flow whose before + affected ≠ after fails the proof",
			func(r []PlatformRow, l *pfLedger) ([]PlatformRow, *pfLedger, []PlatformAccount) {
				l.flows[5].AfterPropertyList[2].Value++
				return r, l, pfAccounts(l)
			},
			want{counts: [4]int64{5, 0, 0, 0}, net: 0, proved: 1, accounts: 2, companions: 1, cat: PlatformMatched}},
		{"an account the platform does not know, with nothing moved, is proved empty",
			func(r []PlatformRow, l *pfLedger) ([]PlatformRow, *pfLedger, []PlatformAccount) {
				acc := append(pfAccounts(l), PlatformAccount{BrandID: "B", Customer: Customer{CustomerID: "C3"}, ShopID: "S1"})
				return append(r, pfRow(7, svbatch.Charge, "CH-F", "", "C3", 10, "failed")), l, acc
			},
			want{counts: [4]int64{5, 0, 0, 0}, net: 0, proved: 3, accounts: 3, companions: 1, cat: PlatformMatched}},
		{"a balance that could not be read fails the proof",
			func(r []PlatformRow, l *pfLedger) ([]PlatformRow, *pfLedger, []PlatformAccount) {
				acc := pfAccounts(l)
				acc[0] = PlatformAccount{BrandID: "B", Customer: Customer{CustomerID: "C1"}, ShopID: "S1", Err: "isv.invalid-parameter"}
				return r, l, acc
			},
			// without C1's account ids its flows are outside the run: only their identities keep them in scope
			want{counts: [4]int64{5, 0, 0, 0}, net: 0, proved: 1, accounts: 2, companions: 0, others: 1, cat: PlatformMatched}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rows, l := pfBase()
			rows, l, acc := tc.setup(rows, l)
			p, err := ReconcilePlatform(nil, PlatformInput{Rows: rows, Flows: l.flows, Accounts: acc})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range PlatformCategories {
				if got := p.Totals(c).Count; got != tc.want.counts[c] {
					t.Errorf("%s: got %d; want %d", c, got, tc.want.counts[c])
				}
			}
			if !p.Explained {
				t.Errorf("not explained: %v", p.Statement())
			}
			if p.NetDifference() != tc.want.net || p.DifferenceSum() != tc.want.net {
				t.Errorf("net difference %+d (sum %+d); want %+d", p.NetDifference(), p.DifferenceSum(), tc.want.net)
			}
			if p.Proved != tc.want.proved || p.Accounts != tc.want.accounts {
				t.Errorf("proved %d of %d; want %d of %d: %+v", p.Proved, p.Accounts, tc.want.proved, tc.want.accounts, p.Failed())
			}
			if p.Companions != tc.want.companions || p.OtherFlows != tc.want.others {
				t.Errorf("companions %d, other flows %d; want %d, %d", p.Companions, p.OtherFlows, tc.want.companions, tc.want.others)
			}
			if tc.want.note != "" {
				found := false
				for _, e := range p.Entries(tc.want.cat) {
					found = found || strings.Contains(e.Note, tc.want.note)
				}
				for _, e := range p.Proofs() {
					found = found || strings.Contains(e.Note, tc.want.note)
				}
				if !found {
					t.Errorf("no %s entry notes %q: %+v", tc.want.cat, tc.want.note, p.Entries(tc.want.cat))
				}
			}
			for _, f := range p.Failed() {
				if f.Note == "" {
					t.Errorf("failed proof of %s without a note", f.Customer)
				}
			}
			if want := p.Proved == p.Accounts && tc.want.counts[1]+tc.want.counts[2]+tc.want.counts[3] == 0; p.AllMatched() != want {
				t.Errorf("AllMatched %v; want %v", p.AllMatched(), want)
			}
		})
	}
}

// TestReconcilePlatformProofNumbers: a failed proof carries opening, Σ flows, the computed and the
// platform's closing balance and their difference.
func TestReconcilePlatformProofNumbers(t *testing.T) {
	t.Parallel()
	rows, l := pfBase()
	acc := pfAccounts(l)
	acc[1].Balance = 600 // 7 + 500 = 507 on the flows
	p, err := ReconcilePlatform(nil, PlatformInput{Rows: rows, Flows: l.flows, Accounts: acc})
	if err != nil {
		t.Fatal(err)
	}
	f := p.Failed()
	if len(f) != 1 {
		t.Fatalf("%d failed proofs; want 1", len(f))
	}
	got := f[0]
	if got.CustomerID != "C2" || got.Opening != 7 || got.FlowSum != 500 || got.Computed != 507 || got.Closing != 600 || got.Difference != 93 || got.Flows != 1 {
		t.Errorf("proof %+v; want C2: 7 + 500 = 507, closing 600, +93", got)
	}
	if !strings.Contains(got.Note, "closing balance 600 ≠ opening 7 + flows +500 = 507 (+93 fen)") {
		t.Errorf("note %q", got.Note)
	}
}

// TestReconcilePlatformExpectedIdentity: a flow on an account outside the run whose identity the
// expected ledger has is platform_only (applied outside svbatch), not an "other" flow.
func TestReconcilePlatformExpectedIdentity(t *testing.T) {
	t.Parallel()
	exp := sliceSource{header: []string{"brand_id", "operate_type", "outer_order_id", "change_value", "customer_id"},
		rows: [][]string{{"B", "1", "MISSING-1", "5000", "C9"}}}
	res := sliceSource{header: []string{"brand_id", "operate_type", "outer_order_id", "new_outer_order_id", "change_value", "status"}}
	rep, err := Reconcile(&exp, &res, Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := newPFLedger(nil).flow("A9", client.FlowTypeRecharge, "MISSING-1", "", 5000)
	p, err := ReconcilePlatform(rep, PlatformInput{Flows: l.flows})
	if err != nil {
		t.Fatal(err)
	}
	if e := p.Entries(PlatformOnly); len(e) != 1 || !strings.Contains(e[0].Note, "the expected ledger has it") || p.OtherFlows != 0 {
		t.Errorf("platform_only %+v, other flows %d; want the flow, noted as the expected ledger's", e, p.OtherFlows)
	}
}

// TestReconcilePlatformOverflow: a platform total past int64 is an *InputError, never a wrapped sum.
func TestReconcilePlatformOverflow(t *testing.T) {
	t.Parallel()
	l := newPFLedger(nil)
	l.flow("A1", client.FlowTypeRecharge, "BIG-1", "", math.MaxInt64)
	l.bal["A1"] = 0
	l.flow("A1", client.FlowTypeRecharge, "BIG-2", "", math.MaxInt64)
	_, err := ReconcilePlatform(nil, PlatformInput{Flows: l.flows, Accounts: []PlatformAccount{{BrandID: "B", Customer: Customer{CustomerID: "C1"}, Found: true, AccountIDs: []string{"A1"}}}})
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("err %v; want an *InputError", err)
	}
}

// TestReadPlatformRows reads a results CSV: shop, customer, status and finished_at (RFC 3339 and
// the workbook's form in its zone).
func TestReadPlatformRows(t *testing.T) {
	t.Parallel()
	src := sliceSource{header: []string{"row", "brand_id", "shop_id", "operate_type", "outer_order_id", "new_outer_order_id", "change_value", "customer_id", "status", "finished_at"},
		rows: [][]string{
			{"2", "B", "S1", "1", "CH-1", "", "100", "C1", "succeeded", "2026-11-27T10:00:01+08:00"},
			{"3", "B", "S2", "charge", "CH-2", "", "x", "C2", "invalid", ""},
			{"4", "B", "S1", "4", "CH-1", "RF-1", "50", "C1", "成功", "2026-11-27 10:00:05"},
		}}
	rows, err := ReadPlatformRows(&src, svbatch.GMT8)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || !rows[0].Moved || rows[1].Moved || !rows[2].Moved || rows[2].ShopID != "S1" || rows[2].NewOuterOrderID != "RF-1" {
		t.Fatalf("rows %+v", rows)
	}
	if want := time.Date(2026, 11, 27, 2, 0, 5, 0, time.UTC); !rows[2].FinishedAt.Equal(want) {
		t.Errorf("finished_at %v; want %v", rows[2].FinishedAt, want)
	}
	if !rows[1].FinishedAt.IsZero() {
		t.Errorf("an empty finished_at read as %v", rows[1].FinishedAt)
	}
}
