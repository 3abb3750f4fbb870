package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReconcileNetTolerance: with every row 1 fen off, --tolerance 1 alone no longer says "all
// matched": the differences (−240 fen) are within_tolerance with their sum, exit 1; with
// --net-tolerance 240 they are accepted, exit 0.
func TestReconcileNetTolerance(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var exp, res strings.Builder
	exp.WriteString("brand_id,operate_type,outer_order_id,new_outer_order_id,change_value\n")
	res.WriteString("row,brand_id,operate_type,outer_order_id,new_outer_order_id,change_value,status\n")
	for i := 0; i < 240; i++ {
		fmt.Fprintf(&exp, "B1,1,O%d,,100\n", i)
		fmt.Fprintf(&res, "%d,B1,1,O%d,,99,succeeded\n", i+2, i)
	}
	ep, rp := filepath.Join(dir, "expected.csv"), filepath.Join(dir, "results.csv")
	if err := os.WriteFile(ep, []byte(exp.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rp, []byte(res.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := runCLI(t, nil, "reconcile", rp, ep, "--tolerance", "1", "--json")
	if code != exitFailed || !strings.Contains(out, `"within_tolerance":{"count":240,"amount":23760}`) {
		t.Errorf("--tolerance 1: exit %d; want 1 with 240 rows within tolerance\n%s%s", code, out, stderr)
	}
	if _, stderr, code := runCLI(t, nil, "reconcile", rp, ep, "--tolerance", "1", "--net-tolerance", "240", "--json"); code != 0 {
		t.Errorf("--net-tolerance 240: exit %d; want 0\n%s", code, stderr)
	}
}
