package main

import (
	"strings"
	"testing"

	"svbatch/sandbox"
)

// TestRunPlanSaysWhatIsLeft: on a resume the plan states what the journal already holds and what
// is left to send (rows and amounts per operation), not only the whole file.
func TestRunPlanSaysWhatIsLeft(t *testing.T) {
	t.Parallel()
	g := rtStart(t, sandbox.Config{})
	dir := t.TempDir()
	ops := rtSimpleOps(2)
	in := rtWriteCSV(t, dir, "ops.csv", ops)
	_, stderr, code := runCLI(t, g.env(), "run", in, "--yes", "--qps", "0")
	if code != 0 || strings.Contains(stderr, "already holds") {
		t.Fatalf("first run: exit %d; want 0 and no journal lines in the plan\n%s", code, stderr)
	}
	more := append(ops, rtOp{brand: "1332", outer: "NEW-1", op: "charge", fen: 700, customer: "C9"},
		rtOp{brand: "1332", outer: "NEW-2", op: "charge", fen: 50, customer: "C9"})
	rtWriteCSV(t, dir, "ops.csv", more)
	_, stderr, code = runCLI(t, g.env(), "run", in, "--yes", "--qps", "0")
	if code != 0 {
		t.Fatalf("rerun: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"already holds 4 of these rows: 4 done",
		"Left to send: 2 rows",
		"charge        2 rows              7.50 yuan (750 fen)",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("plan does not say %q:\n%s", want, stderr)
		}
	}
}
