package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"svbatch"
	"svbatch/sandbox"
)

// readmeCommands returns every svbatch command line of the README's sh blocks, continuation lines
// joined, with what precedes "svbatch" (env assignments, cron fields, cd …&&) and what follows a
// redirection or comment cut off.
func readmeCommands(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	in := false
	var cur string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "```") {
			in = strings.TrimPrefix(line, "```") == "sh"
			continue
		}
		if !in {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		line, cur = cur+line, ""
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		for _, cut := range []string{">>", " > ", "|"} {
			if i := strings.Index(line, cut); i >= 0 {
				line = line[:i]
			}
		}
		f := strings.Fields(line)
		for i, w := range f {
			if w == "svbatch" {
				cmds = append(cmds, strings.Join(f[i:], " "))
				break
			}
		}
	}
	if len(cmds) < 10 {
		t.Fatalf("found %d svbatch commands in README.md; the README changed shape?", len(cmds))
	}
	return cmds
}

// TestREADMECommandsParse checks that every command the README shows names a real subcommand with
// real flags and valid values, and the right number of arguments.
func TestREADMECommandsParse(t *testing.T) {
	for _, line := range readmeCommands(t) {
		args := strings.Fields(line)[1:]
		root := newRoot(&cmdIO{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: func(string) string { return "" }})
		cmd, rest, err := root.Find(args)
		if err != nil || cmd == root {
			t.Errorf("README: %q: no such command (%v)", line, err)
			continue
		}
		if err := cmd.ParseFlags(rest); err != nil {
			t.Errorf("README: %q: %v", line, err)
			continue
		}
		if cmd.Args != nil {
			if err := cmd.Args(cmd, cmd.Flags().Args()); err != nil {
				t.Errorf("README: %q: %v", line, err)
			}
		}
	}
}

// TestREADMECommandsRun runs every command the README shows, in the README's order, in a folder
// laid out as the README assumes, against a sandbox started here: the README's gateway
// (SVBATCH_GATEWAY) and its 127.0.0.1:8795 are this sandbox. A README command this test does not
// know fails the test, so a new one must be given its setting here.
func TestREADMECommandsRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the README's whole story")
	}
	cmds := readmeCommands(t)
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "samples"), os.DirFS("../../samples")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)

	sb, err := sandbox.New(sandbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	url, err := sb.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	addr := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), sandbox.Path)
	env := map[string]string{"SVBATCH_GATEWAY": url, "SVBATCH_APP_KEY": sandbox.DefaultAppKey, "SVBATCH_APP_SECRET": sandbox.DefaultSecret}

	// The files the README's story starts from.
	copyFile(t, "samples/operations_zh.xlsx", "tonight.xlsx")
	os.MkdirAll("incoming", 0o755)
	copyFile(t, "samples/operations_gbk.csv", "incoming/tonight.csv")
	os.WriteFile("mine.csv", []byte("brand_id,shop_id,operator_id,outer_order_id,operate_type,change_value,mobile\n1332,S1,op,A-1,charge,10.5,1.86518E+10\n"), 0o644)

	// before runs setup for a command; want is its exit code.
	steps := []struct {
		prefix string
		before func()
		want   int
	}{
		{"template --out template.xlsx", nil, 0},
		{"template --lang zh", nil, 0},
		{"validate samples/operations_zh.xlsx", nil, 0},
		{"validate samples/operations_gbk.csv --json", nil, 0},
		{"validate mine.csv", nil, exitUsage},
		{"run tonight.xlsx", nil, 0},
		{"run incoming/tonight.csv", nil, 0},
		// every row of tonight.xlsx succeeded: its Retry sheet is empty, which run refuses (exit 2)
		{"run tonight.xlsx.results.xlsx --sheet Retry", nil, exitUsage},
		{"status tonight.xlsx.svbatch.db", nil, 0},
		{"resolve tonight.xlsx.svbatch.db", nil, 0}, // nothing unknown: nothing to ask
		{"run tonight.xlsx --resolve", nil, 0},
		{"reconcile tonight.xlsx.results.xlsx expected.xlsx --out", func() { expectedFrom(t, "tonight.xlsx.results.xlsx", "expected.xlsx") }, 0},
		{"reconcile incoming/tonight.csv.results.xlsx expected.csv", func() { expectedFrom(t, "incoming/tonight.csv.results.xlsx", "expected.csv") }, 0},
		{"reconcile tonight.xlsx.results.xlsx expected.xlsx --balances", func() {
			f, _ := os.Create("closing.csv")
			sb.WriteBalancesCSV(f)
			f.Close()
		}, 0},
		// right after the run, within the platform's read-after-write lag: refused, says when
		{"reconcile tonight.xlsx.results.xlsx expected.xlsx --platform", nil, exitUsage},
		{"undo tonight.xlsx.results.xlsx", nil, 0},
		// tonight.xlsx verifies part of what it charges: those accounts cannot be refunded in full
		{"run tonight.xlsx.results.xlsx.undo.csv", nil, exitFailed},
		{"undo tonight.xlsx.results.xlsx --check", nil, exitFailed},
		{"serve adduser", nil, 0},
		{"serve --data", nil, 0},
		{"serve adopt", nil, 0},
		{"sandbox --addr", nil, 0},
		{"sandbox --db", nil, 0},
	}
	done := map[string]bool{}
	for _, line := range cmds {
		line = strings.ReplaceAll(line, "127.0.0.1:8795", addr)
		args := strings.Fields(line)[1:]
		joined := strings.Join(args, " ")
		var step = -1
		for i, s := range steps {
			if strings.HasPrefix(joined, s.prefix) {
				step = i
			}
		}
		if step < 0 {
			t.Errorf("README command %q has no step in this test: add one", line)
			continue
		}
		done[steps[step].prefix] = true
		if steps[step].before != nil {
			steps[step].before()
		}
		if args[0] == "sandbox" {
			runSandboxBriefly(t, args)
			continue
		}
		if len(args) > 1 && args[0] == "serve" && args[1] != "adduser" && args[1] != "adopt" {
			runServeBriefly(t, args)
			continue
		}
		stdin := ""
		if len(args) > 1 && args[0] == "serve" && args[1] == "adduser" {
			stdin = "a password of the README\n" // what the terminal would ask for
		}
		var out, errb bytes.Buffer
		err := run(context.Background(), args, strings.NewReader(stdin), &out, &errb, func(k string) string { return env[k] })
		if code := exitCode(err, &errb); code != steps[step].want {
			t.Errorf("README: %q: exit %d; want %d\n%s%s", line, code, steps[step].want, out.String(), errb.String())
		}
	}
	for _, s := range steps {
		if !done[s.prefix] {
			t.Errorf("step %q matched no README command", s.prefix)
		}
	}
	for _, f := range []string{"template.xlsx", "模板.xlsx", "mine.errors.xlsx", "tonight.xlsx.results.xlsx", "reconciliation.xlsx", "rehearsal.db"} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("the README's commands did not write %s: %v", f, err)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// expectedFrom writes an expected ledger (.xlsx or .csv) listing the succeeded rows of a results workbook,
// as finance would prepare it.
func expectedFrom(t *testing.T, results, expected string) {
	t.Helper()
	f, err := excelize.OpenFile(results)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0), excelize.Options{RawCellValue: true}) // Results, or 结果
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range rows[0] {
		if n, ok := svbatch.ResultColumnName(h); ok {
			rows[0][i] = n
		}
	}
	cols := []string{"brand_id", "operate_type", "outer_order_id", "new_outer_order_id", "change_value", "customer_id", "mobile", "outer_type", "outer_id"}
	idx := map[string]int{}
	for i, h := range rows[0] {
		idx[h] = i
	}
	out := [][]string{cols}
	for _, r := range rows[1:] {
		if st, _ := svbatch.ParseStatus(r[idx["status"]]); st != svbatch.Succeeded && st != svbatch.AlreadyDone {
			t.Fatalf("%s: a row did not succeed: %v", results, r)
		}
		var rec []string
		for _, c := range cols {
			v := ""
			if i := idx[c]; i < len(r) {
				v = r[i]
			}
			rec = append(rec, v)
		}
		out = append(out, rec)
	}
	if strings.HasSuffix(expected, ".csv") {
		var b bytes.Buffer
		csv.NewWriter(&b).WriteAll(out)
		os.WriteFile(expected, b.Bytes(), 0o644)
		return
	}
	x := excelize.NewFile()
	defer x.Close()
	for i, r := range out {
		cells := make([]any, len(r))
		for j, v := range r {
			cells[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		x.SetSheetRow("Sheet1", cell, &cells)
	}
	if err := x.SaveAs(expected); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runSandboxBriefly starts `svbatch sandbox` on a free port, waits for its listening line, then stops
// it as Ctrl-C would, expecting exit 0.
func runSandboxBriefly(t *testing.T, args []string) {
	t.Helper()
	for i, a := range args {
		if a == "--addr" {
			args[i+1] = "127.0.0.1:0"
		}
	}
	if !slices.Contains(args, "--addr") {
		args = append(args, "--addr", "127.0.0.1:0")
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int)
	go func() {
		err := run(ctx, args, strings.NewReader(""), &out, &errb, func(string) string { return "" })
		done <- exitCode(err, &errb)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "listening on http://127.0.0.1:") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 || !strings.Contains(out.String(), "listening") {
		t.Errorf("README: svbatch %s: exit %d, stdout %q, stderr %q", strings.Join(args, " "), code, out.String(), errb.String())
	}
}

// runServeBriefly starts svbatch serve as the README shows it, on a free loopback port, waits
// until it says where it serves, checks that the page answers, and stops it.
func runServeBriefly(t *testing.T, args []string) {
	t.Helper()
	for i, a := range args {
		if a == "--addr" {
			args[i+1] = "127.0.0.1:0"
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		err := run(ctx, args, strings.NewReader(""), &out, &errb, func(string) string { return "" })
		done <- exitCode(err, &errb)
	}()
	re := regexp.MustCompile(`svbatch serve on (http://127\.0\.0\.1:[0-9]+)`)
	deadline := time.Now().Add(20 * time.Second)
	var url string
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(errb.String()); m != nil {
			url = m[1]
			break
		}
		select {
		case code := <-done:
			t.Fatalf("README: svbatch %s ended at once: exit %d, stderr %q", strings.Join(args, " "), code, errb.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if url == "" {
		t.Fatalf("README: svbatch %s did not say where it serves: %q", strings.Join(args, " "), errb.String())
	}
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatalf("README: GET %s: %v", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound {
		t.Errorf("README: GET %s: %s", url, resp.Status)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("README: svbatch %s: exit %d after stopping, stderr %q", strings.Join(args, " "), code, errb.String())
	}
}
