// Command ledgergen writes the demo's expected side from samples/operations.csv:
// expected.csv (the expected ledger, with three planted breaks so the reconciliation has something to
// show) and expected_balances.csv (the closing balance of every account the batch implies, by the
// ledger rules of DESIGN.md §5, starting from zero). Run from the repository root:
//
//	go run ./samples/ledgergen
package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"sort"
	"strconv"

	"svbatch"
	"svbatch/batch"
)

type acct struct {
	brand, customerID, mobile, outerType, outerID string
	available, frozen                             int64
	holds                                         map[string]int64 // open holds by outer_order_id
}

func main() {
	if err := gen("samples/operations.csv", "samples/expected.csv", "samples/expected_balances.csv"); err != nil {
		log.Fatal(err)
	}
}

func gen(in, expectedPath, balancesPath string) error {
	r, err := batch.Open(in, batch.Options{})
	if err != nil {
		return err
	}
	defer r.Close()
	accts := map[string]*acct{}
	var rows []batch.Row
	for {
		row, probs, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if len(probs) > 0 {
			return fmt.Errorf("row %d: %v", row.Line, probs)
		}
		rows = append(rows, row)
		q := row.Req
		a := accts[row.AccountKey]
		if a == nil {
			a = &acct{brand: q.BrandID, holds: map[string]int64{}}
			switch {
			case q.CustomerID != "":
				a.customerID = q.CustomerID
			case q.Mobile != "":
				a.mobile = q.Mobile
			default:
				a.outerType, a.outerID = q.OuterType, q.OuterID
			}
			accts[row.AccountKey] = a
		}
		v := q.ChangeValue
		switch q.OperateType {
		case svbatch.Charge:
			a.available += v
		case svbatch.Freeze:
			a.available -= v
			a.frozen += v
			a.holds[q.OuterOrderID] = v
		case svbatch.Verify:
			if held, ok := a.holds[q.OuterOrderID]; ok {
				delete(a.holds, q.OuterOrderID)
				a.frozen -= held
				a.available += held - v
			} else {
				a.available -= v
			}
		case svbatch.Refund:
			a.available -= v
		}
		if a.available < 0 || a.frozen < 0 {
			return fmt.Errorf("row %d: account %s would go negative: the sample is not consistent", row.Line, row.AccountKey)
		}
	}

	// Planted breaks: the 10th row is left out (unexpected), the 20th expects 1.00 yuan more
	// (amount_mismatch), and one charge that the batch does not contain is expected (missing).
	ew, ef, err := create(expectedPath)
	if err != nil {
		return err
	}
	ew.Write([]string{"brand_id", "operate_type", "outer_order_id", "new_outer_order_id", "change_value", "customer_id", "mobile", "outer_type", "outer_id"})
	for i, row := range rows {
		q := row.Req
		v := q.ChangeValue
		switch i {
		case 9:
			continue
		case 19:
			v += 100
		}
		ew.Write([]string{q.BrandID, strconv.Itoa(int(q.OperateType)), q.OuterOrderID, q.NewOuterOrderID, strconv.FormatInt(v, 10), q.CustomerID, q.Mobile, q.OuterType, q.OuterID})
	}
	q := rows[0].Req
	ew.Write([]string{q.BrandID, "1", "SV-CHG-MISSING-1", "", "5000", q.CustomerID, q.Mobile, q.OuterType, q.OuterID})
	if err := closeCSV(ew, ef); err != nil {
		return err
	}

	keys := make([]string, 0, len(accts))
	for k := range accts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	bw, bf, err := create(balancesPath)
	if err != nil {
		return err
	}
	bw.Write(svbatch.BalanceColumns)
	for _, k := range keys {
		a := accts[k]
		bw.Write([]string{a.brand, a.customerID, a.mobile, a.outerType, a.outerID, strconv.FormatInt(a.available, 10), strconv.FormatInt(a.frozen, 10)})
	}
	return closeCSV(bw, bf)
}

func create(path string) (*csv.Writer, *os.File, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	return csv.NewWriter(f), f, nil
}

func closeCSV(w *csv.Writer, f *os.File) error {
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
