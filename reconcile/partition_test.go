package reconcile_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"svbatch/reconcile"
	"svbatch/reports"
)

const (
	partExpHeader = "brand_id,operate_type,outer_order_id,new_outer_order_id,change_value,customer_id,expected_status\n"
	partResHeader = "row,brand_id,operate_type,outer_order_id,new_outer_order_id,change_value,customer_id,status,biz_success,result\n"
)

// partitionMix has a row of every category, duplicates of every shape and unicode identities.
const partitionMix = partExpHeader + `B1,1,O-match,,100,C1,
B1,1,O-missing,,200,C1,
B1,1,O-failed,,300,C1,
B1,1,O-amount,,400,C1,
B1,1,O-cust,,500,C1,
B1,1,O-cust-amt,,500,C1,
B1,1,O-status,,600,C1,failed
B1,1,O-exp-failed,,600,C1,failed
B1,1,O-tol,,700,C1,
B1,1,O-dup-exp,,800,C1,
B1,1,O-dup-exp,,801,C2,
B1,1,O-dup-both,,900,C1,
B1,1,O-dup-both,,900,C1,
B1,1,O-dup-res,,950,,
B1,4,O-match,R-1,50,C1,
品牌甲,1,订单-①,,123,顾客一,
品牌甲,1,订单-②,,124,顾客一,
😀,2,🧾-1,,125,,
B2,1,O-triple,,10,C9,
B2,1,O-triple,,10,C9,
B2,1,O-triple,,10,C9,
B1,1,O-done-false,,10,C1,
`

const partitionMixResults = partResHeader + `2,B1,1,O-match,,100,C1,succeeded,true,true
4,B1,1,O-failed,,300,C1,failed,false,false
5,B1,1,O-amount,,450,C1,succeeded,true,true
6,B1,1,O-cust,,500,C7,succeeded,true,true
7,B1,1,O-cust-amt,,501,C7,succeeded,true,true
8,B1,1,O-status,,600,C1,succeeded,true,true
9,B1,1,O-exp-failed,,600,C1,failed,false,false
10,B1,1,O-tol,,701,C1,succeeded,true,true
13,B1,1,O-dup-both,,900,C1,succeeded,true,true
14,B1,1,O-dup-res,,950,,succeeded,true,true
15,B1,1,O-dup-res,,950,,unknown,,
16,B1,4,O-match,R-1,50,C1,succeeded,true,true
17,品牌甲,1,订单-①,,123,顾客一,成功,true,true
18,品牌甲,1,订单-②,,124,顾客二,succeeded,true,true
19,😀,2,🧾-1,,125,,succeeded,true,true
20,B3,1,O-unexpected,,77,C3,succeeded,true,true
21,B3,1,O-unexpected-failed,,78,C3,failed,false,false
22,B3,1,O-unexpected-dup,,79,C3,succeeded,true,true
23,B3,1,O-unexpected-dup,,79,C4,succeeded,true,true
24,B1,1,O-done-false,,10,C1,already_done,false,false
25,品牌乙,1,=cmd(),,5,@x,succeeded,true,true
`

// randomLedgers writes n expected rows and about as many results rows with every kind of break
// and duplicate, identities drawn from a small unicode alphabet (seeded: the same every run).
func randomLedgers(n int, seed uint64) (exp, res string) {
	rng := rand.New(rand.NewPCG(seed, 1))
	brands := []string{"B1", "B2", "品牌甲", "ブランド", "Ω"}
	var e, r strings.Builder
	e.WriteString(partExpHeader)
	r.WriteString(partResHeader)
	row := 1
	for i := 0; i < n; i++ {
		brand := brands[rng.IntN(len(brands))]
		outer := fmt.Sprintf("O%d", rng.IntN(n*2)) // collisions make duplicates
		op, newOuter := 1, ""
		if rng.IntN(10) == 0 {
			op, newOuter = 4, fmt.Sprintf("R%d", i)
		}
		amt := 1 + rng.IntN(10000)
		cust := fmt.Sprintf("C%d", rng.IntN(50))
		st := ""
		if rng.IntN(50) == 0 {
			st = "failed"
		}
		fmt.Fprintf(&e, "%s,%d,%s,%s,%d,%s,%s\n", brand, op, outer, newOuter, amt, cust, st)
		res := func(amt int, cust, status string) {
			row++
			ok := status == "succeeded"
			fmt.Fprintf(&r, "%d,%s,%d,%s,%s,%d,%s,%s,%t,%t\n", row, brand, op, outer, newOuter, amt, cust, status, ok, ok)
		}
		switch k := rng.IntN(100); {
		case k < 3: // missing
		case k < 6:
			res(amt+rng.IntN(5), cust, "succeeded") // within tolerance or amount mismatch
		case k < 8:
			res(amt, cust+"x", "succeeded")
		case k < 10:
			res(amt, cust, "failed")
		case k < 12:
			res(amt, cust, "succeeded")
			res(amt, cust, "succeeded")
		case k < 14:
			outer = "X" + outer // unexpected
			res(amt, cust, "succeeded")
		default:
			res(amt, cust, "succeeded")
		}
	}
	return e.String(), r.String()
}

type partCase struct {
	name     string
	expected string
	results  string
	opt      reconcile.Options
}

func partCases() []partCase {
	rndE, rndR := randomLedgers(3000, 7)
	return []partCase{
		// header only on both sides: nothing to compare, everything matched
		{name: "empty files", expected: partExpHeader, results: partResHeader},
		// an expected ledger and no results: all missing
		{name: "empty results", expected: partitionMix, results: partResHeader},
		// results and an empty ledger: all unexpected
		{name: "empty ledger", expected: partExpHeader, results: partitionMixResults},
		// every category, duplicates of each shape, unicode and formula-like identities
		{name: "mix", expected: partitionMix, results: partitionMixResults, opt: reconcile.Options{Tolerance: 2}},
		// the same with a net tolerance the within_tolerance rows stay inside
		{name: "mix net tolerance", expected: partitionMix, results: partitionMixResults, opt: reconcile.Options{Tolerance: 2, NetTolerance: 5}},
		// 3,000 random rows with colliding identities
		{name: "random", expected: rndE, results: rndR, opt: reconcile.Options{Tolerance: 2}},
	}
}

func runPart(t *testing.T, c partCase, partitions int, tmp string) (*reconcile.Report, error) {
	t.Helper()
	es, err := reconcile.NewCSVSource(strings.NewReader(c.expected))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := reconcile.NewCSVSource(strings.NewReader(c.results))
	if err != nil {
		t.Fatal(err)
	}
	opt := c.opt
	opt.Partitions, opt.TempDir = partitions, tmp
	return reconcile.Reconcile(es, rs, opt)
}

// partOutputs is everything a reconcile writes or says, to compare byte for byte.
type partOutputs struct {
	summary, statement   string
	allMatched, explaind bool
	workbook, matchedCSV []byte
	inlineWorkbook       []byte // the Matched rows in the workbook
	entries              map[reconcile.Category][]reconcile.Entry
}

func outputsOf(t *testing.T, r *reconcile.Report, dir string) partOutputs {
	t.Helper()
	sum, err := json.Marshal(r.Summary())
	if err != nil {
		t.Fatal(err)
	}
	o := partOutputs{summary: string(sum), statement: strings.Join(r.Statement(), "\n"), allMatched: r.AllMatched(),
		explaind: r.Explained, entries: map[reconcile.Category][]reconcile.Entry{}}
	for _, c := range reconcile.Categories[:8] {
		for e := range r.Entries(c) {
			o.entries[c] = append(o.entries[c], e)
		}
	}
	info := reports.ReconciliationInfo{AsOf: time.Unix(0, 0), MatchedCSV: filepath.Join(dir, "rec.matched.csv")}
	if err := reports.WriteReconciliationReport(filepath.Join(dir, "rec.xlsx"), r, info); err != nil {
		t.Fatal(err)
	}
	info.MatchedCSV = ""
	info.SheetRowLimit = 1000 // the category sheets continue on (2), (3), …
	if err := reports.WriteReconciliationReport(filepath.Join(dir, "inline.xlsx"), r, info); err != nil {
		t.Fatal(err)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	o.workbook, o.matchedCSV, o.inlineWorkbook = read("rec.xlsx"), read("rec.matched.csv"), read("inline.xlsx")
	return o
}

// TestReconcilePartitionedSameOutput reconciles each case in memory and partitioned in 2, 3, 7, 64
// and 10,000 buckets (more than rows): the report, the workbook and the matched CSV are the same,
// byte for byte, and the buckets are gone once the report is closed.
func TestReconcilePartitionedSameOutput(t *testing.T) {
	t.Parallel()
	for _, c := range partCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			mem, err := runPart(t, c, 0, "")
			if err != nil {
				t.Fatal(err)
			}
			want := outputsOf(t, mem, t.TempDir())
			for _, n := range []int{2, 3, 7, 64, 10_000} {
				tmp := t.TempDir()
				r, err := runPart(t, c, n, tmp)
				if err != nil {
					t.Fatalf("partitions %d: %v", n, err)
				}
				got := outputsOf(t, r, t.TempDir())
				for cat, es := range want.entries {
					if !reflect.DeepEqual(got.entries[cat], es) {
						t.Errorf("partitions %d: %s entries differ:\n got %+v\nwant %+v", n, cat, got.entries[cat], es)
					}
				}
				switch {
				case got.summary != want.summary:
					t.Errorf("partitions %d: summary %s; want %s", n, got.summary, want.summary)
				case got.statement != want.statement || got.allMatched != want.allMatched || got.explaind != want.explaind:
					t.Errorf("partitions %d: statement %q (%t, %t); want %q (%t, %t)", n, got.statement, got.allMatched, got.explaind,
						want.statement, want.allMatched, want.explaind)
				case !bytes.Equal(got.workbook, want.workbook):
					t.Errorf("partitions %d: workbook differs (%d bytes; want %d)", n, len(got.workbook), len(want.workbook))
				case !bytes.Equal(got.matchedCSV, want.matchedCSV):
					t.Errorf("partitions %d: matched CSV differs:\n%s\nwant\n%s", n, got.matchedCSV, want.matchedCSV)
				case !bytes.Equal(got.inlineWorkbook, want.inlineWorkbook):
					t.Errorf("partitions %d: workbook with the Matched sheet differs", n)
				}
				if err := r.Close(); err != nil {
					t.Fatal(err)
				}
				if err := r.Close(); err != nil {
					t.Fatalf("second Close: %v", err)
				}
				assertEmptyDir(t, tmp)
			}
		})
	}
	// A sanity check of the cases: the mix has a row in every row category.
	r, err := runPart(t, partCases()[3], 0, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range reconcile.Categories[:8] {
		if r.Totals(c).Count == 0 {
			t.Errorf("the mix has no %s row", c)
		}
	}
}

func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	left, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("%s still holds %d file(s) (%s…)", dir, len(left), left[0].Name())
	}
}

// TestReconcilePartitionedErrors: an unusable input fails partitioned as it does in memory, with the
// same message, and leaves no bucket file behind.
func TestReconcilePartitionedErrors(t *testing.T) {
	t.Parallel()
	tests := []partCase{
		// bad rows in the expected ledger: the problems are listed in file order
		{name: "bad expected rows", expected: partExpHeader + "B1,1,O1,,abc,,\nB1,9,O2,,1,,\nB1,1,,,1,,\n", results: partResHeader},
		// a results row that moved money with an unreadable amount, after good rows
		{name: "bad results row", expected: partitionMix, results: partitionMixResults + "30,B1,1,O-z,,x1,C1,succeeded,true,true\n"},
		// the results lack a required column
		{name: "results column missing", expected: partitionMix, results: "row,brand_id,operate_type\n1,B1,1\n"},
		// the actual total passes int64
		{name: "actual total overflow", expected: partExpHeader, results: partResHeader +
			"1,B1,1,O1,,9223372036854775807,,succeeded,true,true\n2,B1,1,O2,,1,,succeeded,true,true\n"},
	}
	for _, c := range tests {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, want := runPart(t, c, 0, "")
			if want == nil {
				t.Fatal("in memory: no error")
			}
			tmp := t.TempDir()
			_, err := runPart(t, c, 5, tmp)
			if err == nil || err.Error() != want.Error() {
				t.Errorf("partitioned: %v; want %v", err, want)
			}
			assertEmptyDir(t, tmp)
		})
	}
	// An unusable temporary directory is an error, not a silent fallback.
	_, err := runPart(t, partCases()[3], 4, filepath.Join(t.TempDir(), "no", "such", "dir"))
	if err == nil {
		t.Error("partitioned into a missing directory: no error")
	}
}
