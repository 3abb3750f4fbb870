package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"svbatch/journal"
	"svbatch/sandbox"
)

// TestRunJSONLogEveryLine: with --log-format json (no terminal, no stdin) every line of stderr is a
// JSON record for success, an invalid file, a locked journal, a dead gateway and an interruption
// (a long ban), and a fatal error is an ERROR record with its exit code.
func TestRunJSONLogEveryLine(t *testing.T) {
	t.Parallel()
	g := rtStart(t, sandbox.Config{})
	dir := t.TempDir()
	good := rtWriteCSV(t, dir, "good.csv", rtSimpleOps(1))
	bad := rtWriteCSV(t, dir, "bad.csv", []rtOp{{brand: "1332", outer: "X-1", op: "charge", fen: -5, customer: "A"}})
	locked := rtWriteCSV(t, dir, "locked.csv", rtSimpleOps(1))
	j, err := journal.Open(filepath.Join(dir, "held.svbatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	dead := map[string]string{"SVBATCH_GATEWAY": "http://127.0.0.1:1/router/rest", "SVBATCH_APP_KEY": sandbox.DefaultAppKey, "SVBATCH_APP_SECRET": sandbox.DefaultSecret}
	banned := rtStart(t, sandbox.Config{})
	banned.banFrom.Store(1)
	banned.banSecs = 3600
	cases := []struct {
		name  string
		env   map[string]string
		args  []string
		code  int
		fatal bool // an ERROR record with the exit code
	}{
		{"success", g.env(), []string{"run", good}, 0, false},
		{"invalid file", g.env(), []string{"run", bad}, exitUsage, true},
		{"locked journal", g.env(), []string{"run", locked, "--journal", filepath.Join(dir, "held.svbatch.db")}, exitUsage, true},
		{"dead gateway", dead, []string{"run", rtWriteCSV(t, dir, "dead.csv", rtSimpleOps(1)), "--unreachable-after", "1s"}, exitUsage, true},
		{"interrupted by a long ban", banned.env(), []string{"run", rtWriteCSV(t, dir, "ban.csv", rtSimpleOps(1)), "--max-ban-wait", "1s"}, exitInterrupted, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append(c.args, "--yes", "--qps", "0", "--log-format", "json")
			_, stderr, code := runCLI(t, c.env, args...)
			if code != c.code {
				t.Fatalf("exit %d; want %d\n%s", code, c.code, stderr)
			}
			sawFatal := false
			for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
				var rec map[string]any
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Errorf("not a JSON line: %s", line)
					continue
				}
				if rec["level"] == "ERROR" && rec["exit_code"] == float64(c.code) {
					sawFatal = true
				}
				if rec["msg"] == "run finished" {
					if counts, ok := rec["counts"].(map[string]any); !ok || len(counts) == 0 || rec["exit_code"] != float64(c.code) {
						t.Errorf("run finished: counts %v, exit_code %v; want an object of numbers and %d", rec["counts"], rec["exit_code"], c.code)
					}
					amounts, ok := rec["amounts_fen"].(map[string]any)
					for st, a := range amounts {
						if _, num := a.(float64); !num || rec["counts"].(map[string]any)[st] == nil {
							ok = false
						}
					}
					if !ok || len(amounts) == 0 {
						t.Errorf("run finished: amounts_fen %v; want fen per status, numbers", rec["amounts_fen"])
					}
				}
			}
			if c.fatal && !sawFatal {
				t.Errorf("no ERROR record with exit_code %d:\n%s", c.code, stderr)
			}
		})
	}
}
