package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// recPartInputs writes a results file and an expected ledger of n rows with every kind of break,
// duplicates on both sides and unicode identities.
func recPartInputs(t *testing.T, dir string, n int) (res, exp string) {
	t.Helper()
	var e, r strings.Builder
	e.WriteString("brand_id,operate_type,outer_order_id,new_outer_order_id,change_value,customer_id,expected_status\n")
	r.WriteString("row,brand_id,operate_type,outer_order_id,new_outer_order_id,change_value,customer_id,status,biz_success,result\n")
	brands := []string{"B1", "品牌甲", "Ω"}
	for i := 0; i < n; i++ {
		brand, outer, amt, cust := brands[i%3], fmt.Sprintf("订单%05d", (i*7919)%n), 100+i%997, fmt.Sprintf("C%d", i%40)
		st := ""
		if i%97 == 0 {
			st = "failed"
		}
		fmt.Fprintf(&e, "%s,1,%s,,%d,%s,%s\n", brand, outer, amt, cust, st)
		line := func(amt int, cust, status string) {
			ok := status == "succeeded"
			fmt.Fprintf(&r, "%d,%s,1,%s,,%d,%s,%s,%t,%t\n", i+2, brand, outer, amt, cust, status, ok, ok)
		}
		switch i % 50 {
		case 1: // missing
		case 2:
			line(amt+1, cust, "succeeded") // within tolerance (--tolerance 1)
		case 3:
			line(amt+9, cust, "succeeded")
		case 4:
			line(amt, cust+"x", "succeeded")
		case 5:
			line(amt, cust, "failed")
		case 6:
			line(amt, cust, "succeeded")
			line(amt, cust, "succeeded")
		case 7:
			e.WriteString(fmt.Sprintf("%s,1,%s,,%d,%s,\n", brand, outer, amt, cust)) // twice in the ledger
			line(amt, cust, "succeeded")
		case 8:
			outer = "X" + outer
			line(amt, cust, "succeeded")
		default:
			line(amt, cust, "succeeded")
		}
	}
	res, exp = filepath.Join(dir, "results.csv"), filepath.Join(dir, "expected.csv")
	if err := os.WriteFile(res, []byte(r.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exp, []byte(e.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return res, exp
}

// TestReconcilePartitionsCLI: `svbatch reconcile … --partitions 8` writes the same workbook and
// matched CSV as the in-memory default, byte for byte, prints the same summary and exits alike, in
// process and through the built binary; the bucket files are gone afterwards, also after a failure.
func TestReconcilePartitionsCLI(t *testing.T) {
	t.Parallel()
	in := t.TempDir()
	res, exp := recPartInputs(t, in, 2000)
	fixtures := [][2]string{{res, exp}, {recFixtures + "results.csv", recFixtures + "expected.csv"}}
	common := []string{"--as-of", "2025-01-31T18:00:00+08:00", "--matched-csv-above", "10", "--tolerance", "1"}
	type outcome struct {
		stdout     string
		code       int
		xlsx, csvb []byte
	}
	runOne := func(t *testing.T, viaBinary bool, res, exp string, extra ...string) outcome {
		t.Helper()
		dir := t.TempDir()
		args := append([]string{"reconcile", res, exp, "--out", filepath.Join(dir, "rec.xlsx")}, common...)
		args = append(args, extra...)
		var o outcome
		var stderr string
		if viaBinary {
			cmd := exec.Command(e2eBinary(t), args...)
			var stdout, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &errb
			err := cmd.Run()
			o.stdout, o.code, stderr = stdout.String(), cmd.ProcessState.ExitCode(), errb.String()
			if err != nil && o.code < 0 {
				t.Fatalf("%v: %s", err, stderr)
			}
		} else {
			o.stdout, stderr, o.code = recRun(t, args...)
		}
		o.stdout = strings.ReplaceAll(o.stdout, dir, "DIR")
		var err error
		if o.xlsx, err = os.ReadFile(filepath.Join(dir, "rec.xlsx")); err != nil {
			t.Fatalf("%v: %v (exit %d: %s)", extra, err, o.code, stderr)
		}
		o.csvb, _ = os.ReadFile(filepath.Join(dir, "rec.matched.csv"))
		left, _ := os.ReadDir(dir)
		if len(left) > 2 {
			t.Errorf("%d files beside the workbook; want the workbook and the matched CSV only", len(left))
		}
		return o
	}
	for _, viaBinary := range []bool{false, true} {
		for i, f := range fixtures {
			t.Run(fmt.Sprintf("binary=%t/inputs=%d", viaBinary, i), func(t *testing.T) {
				want := runOne(t, viaBinary, f[0], f[1])
				for _, extra := range [][]string{
					{"--partitions", "8"},
					{"--partitions", "3", "--json"},
					{"--partitions", "4096"}, // more buckets than rows
				} {
					tmp := t.TempDir()
					got := runOne(t, viaBinary, f[0], f[1], append(extra, "--temp-dir", tmp)...)
					w := want
					if extra[len(extra)-1] == "--json" {
						w = runOne(t, viaBinary, f[0], f[1], "--json")
					}
					switch {
					case got.code != w.code:
						t.Errorf("%v: exit %d; want %d", extra, got.code, w.code)
					case got.stdout != w.stdout:
						t.Errorf("%v: stdout\n%s\nwant\n%s", extra, got.stdout, w.stdout)
					case !bytes.Equal(got.xlsx, w.xlsx):
						t.Errorf("%v: the workbook differs (%d bytes; want %d)", extra, len(got.xlsx), len(w.xlsx))
					case !bytes.Equal(got.csvb, w.csvb):
						t.Errorf("%v: the matched CSV differs", extra)
					}
					if left, _ := os.ReadDir(tmp); len(left) != 0 {
						t.Errorf("%v: %d temporary file(s) left in --temp-dir", extra, len(left))
					}
				}
			})
		}
	}
}

// TestReconcilePartitionsCleanupOnError: after an unusable input, a workbook that cannot be
// written or a temporary directory that cannot be made, nothing of the partitioned mode is left.
func TestReconcilePartitionsCleanupOnError(t *testing.T) {
	t.Parallel()
	in := t.TempDir()
	res, exp := recPartInputs(t, in, 300)
	bad := filepath.Join(in, "bad.csv")
	b, _ := os.ReadFile(res)
	if err := os.WriteFile(bad, append(b, "999,B1,1,Z1,,x12,C1,succeeded,true,true\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args func(tmp string) []string
		code int
		err  string
	}{
		// a results row that moved money has an unreadable amount: nothing is reconciled
		{"bad input", func(tmp string) []string {
			return []string{bad, exp, "--out", filepath.Join(t.TempDir(), "r.xlsx"), "--temp-dir", tmp}
		}, exitUsage, "change_value"},
		// the buckets are done, but the workbook cannot be saved
		{"workbook not written", func(tmp string) []string {
			return []string{res, exp, "--out", filepath.Join(tmp, "no", "such", "r.xlsx"), "--temp-dir", tmp}
		}, exitFailed, "reconciliation workbook"},
		// the default temporary directory is beside the workbook; here it cannot be made
		{"no temp dir", func(tmp string) []string {
			return []string{res, exp, "--out", filepath.Join(tmp, "no", "such", "r.xlsx")}
		}, exitSystem, "partitioned reconcile"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			_, stderr, code := recRun(t, append([]string{"reconcile", "--partitions", "4"}, tc.args(tmp)...)...)
			if code != tc.code || !strings.Contains(stderr, tc.err) {
				t.Errorf("exit %d, stderr %q; want %d mentioning %q", code, stderr, tc.code, tc.err)
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("%d file(s) left in the temporary directory (%s)", len(left), left[0].Name())
			}
		})
	}
}

// TestReconcilePartitionsAuto: --partitions auto estimates the in-memory need from the inputs'
// sizes (an XLSX byte costs ten times a CSV byte) and picks N against --memory.
func TestReconcilePartitionsAuto(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sized := func(name string, size int64, head string) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = f.WriteString(head)
		if err := f.Truncate(size); err != nil { // sparse: no disk used
			t.Fatal(err)
		}
		f.Close()
		return p
	}
	smallCSV := sized("small.csv", 1<<20, "a,b\n")
	bigCSV := sized("big.csv", 100<<20, "a,b\n")
	bigXLSX := sized("big.xlsx", 20<<20, "PK\x03\x04")
	tests := []struct {
		name                    string
		res, exp, parts, memory string
		want                    int
		usage                   bool
	}{
		{"small inputs stay in memory", smallCSV, smallCSV, "auto", "512MiB", 0, false},
		{"800 MiB of estimate over 512MiB: 4 buckets of ≤ 256MiB", bigCSV, bigCSV, "auto", "512MiB", 4, false},
		{"the same within 2GiB stays in memory", bigCSV, bigCSV, "auto", "2GiB", 0, false},
		{"XLSX counts 40 per byte", bigXLSX, smallCSV, "auto", "512MiB", 4, false},
		{"a smaller budget, more buckets", bigCSV, bigCSV, "AUTO", "64MiB", 25, false},
		{"a count is taken as it is", smallCSV, smallCSV, "8", "512MiB", 8, false},
		{"0 is in memory", bigCSV, bigCSV, "0", "512MiB", 0, false},
		{"not a count", smallCSV, smallCSV, "many", "512MiB", 0, true},
		{"too many", smallCSV, smallCSV, "100000", "512MiB", 0, true},
		{"a budget too small", smallCSV, smallCSV, "auto", "1MiB", 0, true},
		{"a budget that is no size", smallCSV, smallCSV, "auto", "lots", 0, true},
	}
	for _, tc := range tests {
		o := reconcileOptions{partitions: tc.parts, memory: tc.memory}
		got, err := o.choosePartitions(tc.res, tc.exp)
		if (err != nil) != tc.usage {
			t.Errorf("%s: error %v; want an error %t", tc.name, err, tc.usage)
			continue
		}
		if got.n != tc.want {
			t.Errorf("%s: %d partitions (estimate %d); want %d", tc.name, got.n, got.estimate, tc.want)
		}
	}
	for in, want := range map[string]int64{"512MiB": 512 << 20, "2GiB": 2 << 30, "800MB": 800e6, "1g": 1 << 30, "4096": 4096, " 64 mib ": 64 << 20} {
		if got, err := parseByteSize(in); err != nil || got != want {
			t.Errorf("parseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}
