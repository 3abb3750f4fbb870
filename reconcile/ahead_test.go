package reconcile

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// TestResultsAheadAsSequential: the results read on a goroutine of their own while the ledger is
// read (resultsAhead, on two or more cores) give the report the sequential reading gives (one
// core): the same entries in every category, totals, and the same problems. The results have
// 300 distinct statuses (past the 255 codes), duplicates, unexpected rows, rows in and out of
// the ledger's order and a customer that differs.
func TestResultsAheadAsSequential(t *testing.T) {
	var exp, res strings.Builder
	exp.WriteString("brand_id,operate_type,outer_order_id,new_outer_order_id,change_value,customer_id\n")
	res.WriteString("row,brand_id,operate_type,outer_order_id,new_outer_order_id,change_value,customer_id,status\n")
	for i := 0; i < 9000; i++ {
		fmt.Fprintf(&exp, "B%d,1,O%d,,%d,C%d\n", i%3, i, 100+i, i%50)
	}
	for i := 0; i < 9000; i++ { // in runs of ten rows, every other run backwards
		j := i
		if i/10%2 == 1 {
			j = i/10*10 + 9 - i%10
		}
		status := "succeeded"
		switch {
		case j%30 == 7:
			status = fmt.Sprintf("odd-%d", j) // 300 distinct statuses
		case j%41 == 0:
			status = "failed"
		}
		cust := fmt.Sprintf("C%d", j%50)
		if j%97 == 0 {
			cust = "X"
		}
		fmt.Fprintf(&res, "%d,B%d,1,O%d,,%d,%s,%s\n", j+2, j%3, j, 100+j+j%13/12, cust, status)
		if j%500 == 3 {
			fmt.Fprintf(&res, "%d,B%d,1,O%d,,%d,%s,succeeded\n", j+2, j%3, j, 100+j, cust) // duplicate
			fmt.Fprintf(&res, "%d,B%d,1,N%d,,%d,%s,succeeded\n", j+2, j%3, j, 100+j, cust) // unexpected
		}
	}
	run := func(procs int) ([]Entry, Summary) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		r, err := Reconcile(csvSource(t, exp.String()), csvSource(t, res.String()), Options{Tolerance: 0})
		if err != nil {
			t.Fatal(err)
		}
		var all []Entry
		for c := Matched; c < BalanceMismatch; c++ {
			for e := range r.Entries(c) {
				all = append(all, e)
			}
		}
		return all, r.Summary()
	}
	seqE, seqS := run(1)
	parE, parS := run(2)
	if seqS != parS {
		t.Fatalf("summary in parallel %+v, sequential %+v", parS, seqS)
	}
	if !reflect.DeepEqual(seqE, parE) {
		t.Fatalf("entries differ: %d in parallel, %d sequential", len(parE), len(seqE))
	}
	if seqS.Categories.Duplicate.Count == 0 || seqS.Categories.Unexpected.Count == 0 || seqS.Categories.CustomerMismatch.Count == 0 ||
		seqS.Categories.Missing.Count == 0 || seqS.Categories.AmountMismatch.Count == 0 {
		t.Fatalf("the test data lacks a category: %+v", seqS)
	}
	var others int
	for _, e := range seqE {
		if e.Status == "other" {
			others++
		}
	}
	if others == 0 {
		t.Fatal(`no status past the 255 codes ("other"): the test does not reach them`)
	}

	// Problems: a ledger with a bad row wins over the results' (which are read all the same);
	// with a good ledger the results' problems are reported, in file order.
	badRes := res.String() + "99999,B1,1,Z1,,notanumber,C1,succeeded\n"
	for _, procs := range []int{1, 2} {
		func() {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			_, err := Reconcile(csvSource(t, exp.String()+"B1,1,,,1,C1\n"), csvSource(t, badRes), Options{})
			if err == nil || !strings.Contains(err.Error(), "expected row") || strings.Contains(err.Error(), "results row") {
				t.Errorf("procs %d: a bad ledger: %v", procs, err)
			}
			_, err = Reconcile(csvSource(t, exp.String()), csvSource(t, badRes), Options{})
			if err == nil || !strings.Contains(err.Error(), "results row") {
				t.Errorf("procs %d: bad results: %v", procs, err)
			}
		}()
	}
}
