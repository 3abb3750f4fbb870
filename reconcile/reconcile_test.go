package reconcile

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"svbatch"
)

// memSource is an in-memory Source over CSV text (header on the first line).
type memSource struct {
	header []string
	rows   [][]string
	i      int
}

func csvSource(t testing.TB, text string) *memSource {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(strings.TrimSpace(text))).ReadAll()
	if err != nil {
		t.Fatalf("test CSV: %v", err)
	}
	return &memSource{header: recs[0], rows: recs[1:]}
}

func (s *memSource) Header() []string { return s.header }

func (s *memSource) Next() (int, []string, error) {
	if s.i >= len(s.rows) {
		return 0, nil, io.EOF
	}
	s.i++
	return s.i + 1, s.rows[s.i-1], nil
}

const expHeader = "brand_id,operate_type,outer_order_id,new_outer_order_id,change_value,customer_id,expected_status\n"
const resHeader = "row,brand_id,operate_type,outer_order_id,new_outer_order_id,change_value,customer_id,status,biz_success,result\n"

// got is a compact view of a report: per category, count/amount and the entries as "outer:status".
type catView struct {
	count, amount, diff int64
	entries             []string
}

func view(r *Report) map[Category]catView {
	m := map[Category]catView{}
	for _, c := range Categories[:7] {
		t := r.Totals(c)
		v := catView{count: t.Count, amount: t.Amount, diff: t.Difference}
		for e := range r.Entries(c) {
			s := e.OuterOrderID
			if e.Side != "" {
				s += "/" + e.Side
			}
			v.entries = append(v.entries, s+":"+e.Status)
		}
		if v.count != 0 || len(v.entries) != 0 {
			m[c] = v
		}
	}
	return m
}

func TestReconcileCategories(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		expected string
		results  string
		opt      Options
		want     map[Category]catView
		expTotal int64
		actTotal int64
		allOK    bool
	}{
		{
			// Every row done as expected, in another order: all matched.
			name:     "all matched",
			expected: expHeader + "B1,1,O2,,200,C1,\nB1,1,O1,,100,C1,\nB1,4,O1,R1,50,C1,succeeded\n",
			results:  resHeader + "2,B1,1,O1,,100,C1,succeeded,true,true\n3,B1,1,O2,,200,C1,succeeded,true,true\n4,B1,4,O1,R1,50,C1,succeeded,true,true\n",
			want:     map[Category]catView{Matched: {count: 3, amount: 350, entries: []string{"O1:succeeded", "O2:succeeded", "O1:succeeded"}}},
			expTotal: 350, actTotal: 350, allOK: true,
		},
		{
			// Expected rows absent from the results, or not succeeded there: missing with the status seen.
			name:     "missing",
			expected: expHeader + "B1,1,O1,,100,C1,\nB1,1,O2,,200,C1,\nB1,1,O3,,300,C1,\nB1,1,O4,,400,C1,\nB1,1,O5,,500,C1,\n",
			results:  resHeader + "2,B1,1,O2,,200,C1,failed,false,false\n3,B1,1,O3,,300,C1,unknown,,\n4,B1,1,O4,,400,C1,skipped,,\n5,B1,1,O5,,500,C1,succeeded,true,true\n",
			want: map[Category]catView{
				Matched: {count: 1, amount: 500, entries: []string{"O5:succeeded"}},
				Missing: {count: 4, amount: 1000, diff: -1000, entries: []string{"O1:absent", "O2:failed", "O3:unknown", "O4:skipped"}},
			},
			expTotal: 1500, actTotal: 500,
		},
		{
			// Results rows the ledger does not have: unexpected, whether or not they moved money.
			name:     "unexpected",
			expected: expHeader + "B1,1,O1,,100,C1,\n",
			results:  resHeader + "2,B1,1,O1,,100,C1,succeeded,true,true\n3,B1,1,O9,,900,C1,succeeded,true,true\n4,B2,1,O1,,70,C1,failed,false,false\n",
			want: map[Category]catView{
				Matched:    {count: 1, amount: 100, entries: []string{"O1:succeeded"}},
				Unexpected: {count: 2, amount: 970, diff: 900, entries: []string{"O9:succeeded", "O1:failed"}},
			},
			expTotal: 100, actTotal: 1000,
		},
		{
			// Amounts off by more than the tolerance; within it they are within_tolerance, their own
			// category (issue 11: one by one no break, but they add up), and the statement still adds up.
			name:     "amount mismatch with tolerance",
			expected: expHeader + "B1,1,O1,,100,C1,\nB1,1,O2,,200,C1,\nB1,1,O3,,300,C1,\n",
			results:  resHeader + "2,B1,1,O1,,102,C1,succeeded,true,true\n3,B1,1,O2,,150,C1,succeeded,true,true\n4,B1,1,O3,,310,C1,succeeded,true,true\n",
			opt:      Options{Tolerance: 2},
			want: map[Category]catView{
				WithinTolerance: {count: 1, amount: 102, diff: 2, entries: []string{"O1:succeeded"}},
				AmountMismatch:  {count: 2, amount: 460, diff: -40, entries: []string{"O2:succeeded", "O3:succeeded"}},
			},
			expTotal: 600, actTotal: 562,
		},
		{
			// Same identity, other customer: customer_mismatch wins over the amount; no customer expected: no check.
			name:     "customer mismatch",
			expected: expHeader + "B1,1,O1,,100,C1,\nB1,1,O2,,200,,\nB1,1,O3,,300,C3,\n",
			results:  resHeader + "2,B1,1,O1,,100,C2,succeeded,true,true\n3,B1,1,O2,,200,C9,succeeded,true,true\n4,B1,1,O3,,333,C4,succeeded,true,true\n",
			want: map[Category]catView{
				Matched:          {count: 1, amount: 200, entries: []string{"O2:succeeded"}},
				CustomerMismatch: {count: 2, amount: 433, diff: 33, entries: []string{"O1:succeeded", "O3:succeeded"}},
			},
			expTotal: 600, actTotal: 633,
		},
		{
			// An expected failure: seen failed is matched; succeeded or unknown is a status mismatch.
			name:     "status mismatch",
			expected: expHeader + "B1,3,O1,,100,C1,failed\nB1,3,O2,,200,C1,failed\nB1,3,O3,,300,C1,失败\n",
			results:  resHeader + "2,B1,3,O1,,100,C1,failed,false,false\n3,B1,3,O2,,200,C1,succeeded,true,true\n4,B1,3,O3,,300,C1,unknown,,\n",
			want: map[Category]catView{
				Matched:        {count: 1, amount: 100, entries: []string{"O1:failed"}},
				StatusMismatch: {count: 2, amount: 500, diff: 200, entries: []string{"O2:succeeded", "O3:unknown"}},
			},
			expTotal: 0, actTotal: 200,
		},
		{
			// A key twice on either side: every row of it, both sides, is a duplicate.
			name:     "duplicates",
			expected: expHeader + "B1,1,O1,,100,C1,\nB1,1,O1,,100,C1,\nB1,1,O2,,200,C1,\nB1,1,O4,,400,C1,\n",
			results: resHeader + "2,B1,1,O1,,100,C1,succeeded,true,true\n3,B1,1,O2,,200,C1,succeeded,true,true\n" +
				"4,B1,1,O2,,200,C1,succeeded,true,true\n5,B1,1,O3,,300,C1,succeeded,true,true\n6,B1,1,O3,,300,C1,failed,false,false\n" +
				"7,B1,1,O4,,400,C1,succeeded,true,true\n",
			want: map[Category]catView{
				Matched: {count: 1, amount: 400, entries: []string{"O4:succeeded"}},
				Duplicate: {count: 8, amount: 1500, diff: 400, entries: []string{
					"O1/expected:", "O1/expected:", "O1/results:succeeded",
					"O2/expected:", "O2/results:succeeded", "O2/results:succeeded",
					"O3/results:succeeded", "O3/results:failed"}},
			},
			expTotal: 800, actTotal: 1200,
		},
		{
			// already_done counts as done unless its answer says it failed.
			name:     "already done",
			expected: expHeader + "B1,1,O1,,100,C1,\nB1,1,O2,,200,C1,\n",
			results:  resHeader + "2,B1,1,O1,,100,C1,already_done,true,true\n3,B1,1,O2,,200,C1,already_done,false,false\n",
			want: map[Category]catView{
				Matched: {count: 1, amount: 100, entries: []string{"O1:already_done"}},
				Missing: {count: 1, amount: 200, diff: -200, entries: []string{"O2:already_done"}},
			},
			expTotal: 300, actTotal: 100,
		},
		{
			// A yuan ledger with words for operate_type; results ids neutralised by SafeText match the raw ids.
			name:     "yuan, words, neutralised ids",
			expected: "品牌ID,operate_type,outer_order_id,new_outer_order_id,change_value\nB1,充值,=O1,,1.5\nB1,refund,O2,R2,0.05\n",
			results:  resHeader + "2,B1,1,'=O1,,150,,succeeded,true,true\n3,B1,4,O2,R2,5,,succeeded,true,true\n",
			opt: Options{AmountUnit: svbatch.Yuan, Header: func(h string) (string, bool) {
				if h == "品牌ID" {
					return "brand_id", true
				}
				return DefaultHeader(h)
			}},
			want:     map[Category]catView{Matched: {count: 2, amount: 155, entries: []string{"=O1:succeeded", "O2:succeeded"}}},
			expTotal: 155, actTotal: 155, allOK: true,
		},
		{
			// A mapping constant fills a column the ledger lacks.
			name:     "constant brand",
			expected: "operate_type,outer_order_id,change_value\n1,O1,100\n",
			results:  resHeader + "2,B7,1,O1,,100,,succeeded,true,true\n",
			opt:      Options{Constants: map[string]string{"brand_id": "B7"}},
			want:     map[Category]catView{Matched: {count: 1, amount: 100, entries: []string{"O1:succeeded"}}},
			expTotal: 100, actTotal: 100, allOK: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := Reconcile(csvSource(t, tc.expected), csvSource(t, tc.results), tc.opt)
			if err != nil {
				t.Fatalf("Reconcile: %v", err)
			}
			got := view(r)
			for _, c := range Categories[:7] {
				g, w := got[c], tc.want[c]
				if g.count != w.count || g.amount != w.amount || g.diff != w.diff || !slices.Equal(g.entries, w.entries) {
					t.Errorf("%s: got count %d amount %d diff %d entries %q; want count %d amount %d diff %d entries %q",
						c, g.count, g.amount, g.diff, g.entries, w.count, w.amount, w.diff, w.entries)
				}
			}
			if r.ExpectedTotal != tc.expTotal || r.ActualTotal != tc.actTotal {
				t.Errorf("totals: got expected %d actual %d; want %d %d", r.ExpectedTotal, r.ActualTotal, tc.expTotal, tc.actTotal)
			}
			if !r.Explained || r.DifferenceSum() != r.NetDifference() {
				t.Errorf("statement: explained %v, Σ differences %d, net %d; want explained", r.Explained, r.DifferenceSum(), r.NetDifference())
			}
			if r.AllMatched() != tc.allOK {
				t.Errorf("AllMatched() = %v; want %v", r.AllMatched(), tc.allOK)
			}
		})
	}
}

func TestReconcileInputErrors(t *testing.T) {
	t.Parallel()
	okRes := resHeader + "2,B1,1,O1,,100,C1,succeeded,true,true\n"
	tests := []struct {
		name     string
		expected string
		results  string
		want     []string // substrings of the error
	}{
		// The ledger lacks a required column.
		{"no amount column", "brand_id,operate_type,outer_order_id\nB1,1,O1\n", okRes, []string{"expected row 1 column change_value: required column missing"}},
		// Cells that cannot be read are all reported, each with its row and column.
		{"bad cells", expHeader + "B1,9,O1,,100,C1,\nB1,1,O2,,1.5,C1,\nB1,1,O3,,-5,C1,\n,1,O4,,1,C1,maybe\nB1,4,O5,,1,C1,\n", okRes, []string{
			"expected row 2 column operate_type", "expected row 3 column change_value value \"1.5\"", "expected row 4 column change_value",
			"expected row 5 column brand_id: required", "expected row 5 column expected_status", "row 6 column new_outer_order_id"}},
		// Not a results file.
		{"results without status", expHeader + "B1,1,O1,,100,C1,\n", "brand_id,operate_type,outer_order_id,change_value\nB1,1,O1,100\n", []string{
			"results row 1 column new_outer_order_id: required column missing", "results row 1 column status"}},
		// A succeeded results row must have a readable amount.
		{"results bad amount", expHeader + "B1,1,O1,,100,C1,\n", resHeader + "2,B1,1,O1,,1e3,C1,succeeded,true,true\n", []string{"results row 2 column change_value"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Reconcile(csvSource(t, tc.expected), csvSource(t, tc.results), Options{})
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("got %v; want an *InputError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q; want it to mention %q", err, w)
				}
			}
		})
	}
}

// No sum of amounts wraps around: a total that would pass int64 is an *InputError naming the row
// where it did (two rows of 5e18 fen used to wrap, and the statement even looked explained).
func TestReconcileOverflow(t *testing.T) {
	t.Parallel()
	const big = "5000000000000000000" // 5e18 fen: two of them pass int64
	okExp := expHeader + "B1,1,O1,,100,C1,\n"
	tests := []struct {
		name     string
		expected string
		results  string
		opt      Options
		want     []string // substrings of the error
	}{
		// The expected ledger's change_value is bounded by svbatch.MaxChangeValue, fen and yuan.
		{"expected over the per-row limit", expHeader + "B1,1,O1,,1000000000000,C1,\nB1,1,O2,,1000000000001,C1,\n", "", Options{},
			[]string{"expected row 3 column change_value value \"1000000000001\"", "per-row limit of 1000000000000 fen (10000000000.00 yuan)"}},
		{"expected over the per-row limit, yuan", expHeader + "B1,1,O1,,10000000000.00,C1,\nB1,1,O2,,10000000000.01,C1,\n", "", Options{AmountUnit: svbatch.Yuan},
			[]string{"expected row 3 column change_value", "per-row limit"}},
		// Succeeded results rows: actual_total passes int64 at the second.
		{"actual total", okExp, resHeader + "2,B1,1,O1,,100,C1,succeeded,true,true\n3,B1,1,O2,," + big + ",C1,succeeded,true,true\n4,B1,1,O3,," + big + ",C1,succeeded,true,true\n", Options{},
			[]string{"results row 4 column change_value value \"" + big + "\": the actual total passes the int64 limit"}},
		// Rows that moved no money are outside actual_total but inside a category's gross amount.
		{"unexpected amount", okExp, resHeader + "2,B1,1,O1,,100,C1,succeeded,true,true\n3,B1,1,O2,," + big + ",C1,failed,false,false\n4,B1,1,O3,," + big + ",C1,failed,false,false\n", Options{},
			[]string{"the unexpected amount total passes the int64 limit", "in the row whose row is 4 (brand_id B1, operate_type 1, outer_order_id O3), the unexpected"}},
		{"duplicate amount", okExp, resHeader + "2,B1,1,O1,,100,C1,succeeded,true,true\n3,B1,1,O2,," + big + ",C1,failed,false,false\n4,B1,1,O2,," + big + ",C1,failed,false,false\n", Options{},
			[]string{"the duplicate amount total passes the int64 limit", "row is 4 (brand_id B1, operate_type 1, outer_order_id O2)"}},
		{"duplicate of an expected row", okExp, resHeader + "2,B1,1,O1,," + big + ",C1,unknown,,\n3,B1,1,O1,," + big + ",C1,unknown,,\n", Options{},
			[]string{"the duplicate amount total passes the int64 limit", "row is 3 (brand_id B1, operate_type 1, outer_order_id O1)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			results := tc.results
			if results == "" {
				results = resHeader + "2,B1,1,O1,,100,C1,succeeded,true,true\n"
			}
			r, err := Reconcile(csvSource(t, tc.expected), csvSource(t, results), tc.opt)
			var ie *InputError
			if !errors.As(err, &ie) {
				if r != nil {
					t.Fatalf("got %v (explained %v, actual total %d); want an *InputError", err, r.Explained, r.ActualTotal)
				}
				t.Fatalf("got %v; want an *InputError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q; want it to mention %q", err, w)
				}
			}
		})
	}
	// Just under the limit everything sums: int64's largest total is fine.
	r, err := Reconcile(csvSource(t, okExp), csvSource(t, resHeader+"2,B1,1,O1,,100,C1,succeeded,true,true\n3,B1,1,O2,,9223372036854775707,C1,succeeded,true,true\n"), Options{})
	if err != nil {
		t.Fatalf("at int64's maximum: %v", err)
	}
	if r.ActualTotal != 1<<63-1 || r.NetDifference() != 1<<63-1-100 || !r.Explained {
		t.Errorf("actual total %d, net %d, explained %v; want %d, %d, true", r.ActualTotal, r.NetDifference(), r.Explained, int64(1<<63-1), int64(1<<63-1-100))
	}
}

// A results row that moved no money may hold what validation rejected: it does not stop the run.
func TestReconcileInvalidResultRow(t *testing.T) {
	t.Parallel()
	r, err := Reconcile(csvSource(t, expHeader+"B1,1,O1,,100,C1,\n"),
		csvSource(t, resHeader+"2,B1,1,O1,,100,C1,succeeded,true,true\n3,B1,x,O2,,1.5,C1,invalid,,\n"), Options{})
	if err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
	if got := r.Totals(Unexpected).Count; got != 1 {
		t.Errorf("unexpected count %d; want 1 (the invalid row)", got)
	}
	if !r.Explained {
		t.Errorf("not explained")
	}
}

func TestPackedEquals(t *testing.T) {
	t.Parallel()
	cs := []Customer{{}, {CustomerID: "C1"}, {CustomerID: "C12"}, {Mobile: "138"}, {CustomerID: "C1", Mobile: "138"},
		{OuterType: "wechat", OuterID: "o1"}, {OuterType: "wechat", OuterID: "o12"}, {OuterID: "o1"}}
	for _, a := range cs {
		for _, b := range cs {
			if got, want := packedEquals(packCust(a), b), packCust(a) == packCust(b); got != want {
				t.Errorf("packedEquals(%q, %+v) = %v; want %v", packCust(a), b, got, want)
			}
		}
	}
}

// TestNetTolerance: every row 1 fen off with --tolerance 1 is within_tolerance row by row, but the
// differences add up: beyond the net tolerance the books did not match; within it they did.
func TestNetTolerance(t *testing.T) {
	t.Parallel()
	var exp, res strings.Builder
	exp.WriteString(expHeader)
	res.WriteString(resHeader)
	const n = 240
	for i := 0; i < n; i++ {
		fmt.Fprintf(&exp, "B1,1,O%d,,100,C1,\n", i)
		fmt.Fprintf(&res, "%d,B1,1,O%d,,99,C1,succeeded,true,true\n", i+2, i)
	}
	for _, tc := range []struct {
		net     int64
		matched bool
	}{{0, false}, {239, false}, {240, true}} {
		r, err := Reconcile(csvSource(t, exp.String()), csvSource(t, res.String()), Options{Tolerance: 1, NetTolerance: tc.net})
		if err != nil {
			t.Fatal(err)
		}
		w := r.Totals(WithinTolerance)
		if w.Count != n || w.Difference != -n || r.NetDifference() != -n || !r.Explained {
			t.Errorf("net %d: within_tolerance %+v, net difference %d, explained %v; want %d rows, −%d fen, explained", tc.net, w, r.NetDifference(), r.Explained, n, n)
		}
		if r.AllMatched() != tc.matched {
			t.Errorf("net tolerance %d: all matched %v; want %v (the differences sum to −%d fen)", tc.net, r.AllMatched(), tc.matched, n)
		}
	}
}
