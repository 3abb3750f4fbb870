package batch_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"svbatch/batch"
)

// TestValidateRows: the rows ValidateRows shows are the rows a Reader gives, in file order with
// their request_ids, after it was told how the file is read; the report is Validate's. A file with
// a problem is shown rows only up to it, and an error of the visitor ends the reading as it is.
func TestValidateRows(t *testing.T) {
	t.Parallel()
	const input = "../samples/operations.csv"
	r, err := batch.Open(input, batch.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var want []batch.Row
	for {
		row, _, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, row)
	}
	r.Close()

	var got []batch.Row
	var header []string
	rep, err := batch.ValidateRows(input, batch.Options{}, func(r *batch.Reader) (func(batch.Row) error, error) {
		header = r.Header()
		return func(row batch.Row) error { got = append(got, row); return nil }, nil
	})
	if err != nil || !rep.OK() {
		t.Fatalf("ValidateRows: %v, %+v", err, rep)
	}
	plain, err := batch.Validate(input, batch.Options{})
	if err != nil || plain.Rows != rep.Rows || plain.Valid != rep.Valid {
		t.Fatalf("Validate %+v (%v); ValidateRows %+v", plain, err, rep)
	}
	if len(header) == 0 || len(got) != len(want) || len(got) != rep.Rows {
		t.Fatalf("shown %d rows (header %v); want %d", len(got), header, len(want))
	}
	for i := range want {
		if got[i].Line != want[i].Line || got[i].Req != want[i].Req || got[i].Req.RequestID == "" {
			t.Fatalf("row %d shown as %+v; want %+v", i, got[i].Req, want[i].Req)
		}
	}

	bad := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(bad, []byte("brand_id,shop_id,operator_id,outer_order_id,operate_type,change_value,customer_id\n"+
		"B,S,o,O1,1,100,C1\nB,S,o,O2,1,ten,C1\nB,S,o,O3,1,300,C1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var lines []int
	rep, err = batch.ValidateRows(bad, batch.Options{}, func(*batch.Reader) (func(batch.Row) error, error) {
		return func(row batch.Row) error { lines = append(lines, row.Line); return nil }, nil
	})
	if err != nil || rep.OK() || len(lines) != 1 || lines[0] != 2 {
		t.Errorf("a bad row 3: shown lines %v, report ok %v (%v); want line 2 only, not ok", lines, rep.OK(), err)
	}
	stop := errors.New("stop here")
	_, err = batch.ValidateRows(input, batch.Options{}, func(*batch.Reader) (func(batch.Row) error, error) {
		return func(batch.Row) error { return stop }, nil
	})
	if err != stop {
		t.Errorf("the visitor's error: got %v; want it as it is", err)
	}
}
