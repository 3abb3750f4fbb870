package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"svbatch"
	"svbatch/sandbox"
)

// TestRunWarnsOfUnknownRowsGoneFromTheFile: a row left unknown (applied, no answer) and then
// removed from the file is named on the next run, which exits 1 although every row of the file
// succeeded: the journal says it may have moved money, and nobody would look at it again.
func TestRunWarnsOfUnknownRowsGoneFromTheFile(t *testing.T) {
	t.Parallel()
	g := rtStart(t, sandbox.Config{Faults: sandbox.Faults{TimeoutRate: 1}})
	dir := t.TempDir()
	ops := rtSimpleOps(2)
	in := rtWriteCSV(t, dir, "ops.csv", ops)
	_, stderr, code := runCLI(t, g.env(), "run", in, "--yes", "--qps", "0", "--max-attempts", "1")
	if code != 1 || rtCount(rtReadResults(t, in+".results.xlsx"), "unknown") == 0 {
		t.Fatalf("first run: exit %d; want 1 with unknown rows\n%s", code, stderr)
	}
	goneAt := -1
	for _, r := range rtReadResults(t, in+".results.xlsx") {
		if r["status"] == "unknown" {
			for i, o := range ops {
				if o.outer == r["outer_order_id"] {
					goneAt = i
				}
			}
			break
		}
	}
	if err := g.sb.SetFaults(sandbox.Faults{}); err != nil {
		t.Fatal(err)
	}
	gone := ops[goneAt]
	kept := append(append([]rtOp{}, ops[:goneAt]...), ops[goneAt+1:]...)
	rtWriteCSV(t, dir, "ops.csv", kept)
	_, stderr, code = runCLI(t, g.env(), "run", in, "--yes", "--qps", "0")
	if code != 1 {
		t.Fatalf("rerun: exit %d; want 1 (a row that may have been applied is gone from the file)\n%s", code, stderr)
	}
	if got := rtCount(rtReadResults(t, in+".results.xlsx"), "succeeded"); got != len(kept) {
		t.Errorf("%d rows succeeded; want %d", got, len(kept))
	}
	op, _ := svbatch.ParseOperateType(gone.op)
	id := svbatch.RequestIDv1("", gone.brand, int(op), gone.outer, gone.newOuter)
	if !strings.Contains(stderr, id) || !strings.Contains(stderr, "no longer in the file") {
		t.Errorf("stderr does not name the gone row %s:\n%s", id, stderr)
	}
	// The results list it too, on a sheet of its own, with the amount that was sent.
	f, err := excelize.OpenFile(in + ".results.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Not in file", excelize.Options{RawCellValue: true})
	if err != nil || len(rows) != 2 {
		t.Fatalf("Not in file sheet: %q, %v; want the header and the gone row", rows, err)
	}
	if r := rows[1]; len(r) < 5 || r[1] != id || r[2] != "unknown" || r[3] != strconv.FormatInt(gone.fen, 10) || r[4] != svbatch.FormatYuan(gone.fen) {
		t.Errorf("gone row %q; want %s, unknown, %d fen", r, id, gone.fen)
	}
}
