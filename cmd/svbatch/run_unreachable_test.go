package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"svbatch/sandbox"
)

// TestRunStopsOnAGatewayThatIsNotThere: a closed port and a path that is not the API (HTTP 404)
// stop the run after --unreachable-after instead of walking the file: exit 2, the cause on stderr
// once (and as a JSON ERROR record with --log-format json), every row pending — nothing reached
// the API, so nothing may have been applied.
func TestRunStopsOnAGatewayThatIsNotThere(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/router/rest"
	ln.Close()
	notFound := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notFound.Close)

	cases := []struct {
		name, gateway, cause string
		json                 bool
	}{
		{"closed port", closed, "refused", false},
		{"closed port, json log", closed, "refused", true},
		{"404", notFound.URL + "/router/rset", "404", false},
		{"404, json log", notFound.URL + "/router/rset", "404", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			ops := rtSimpleOps(10)
			in := rtWriteCSV(t, dir, "ops.csv", ops)
			env := map[string]string{"SVBATCH_GATEWAY": c.gateway, "SVBATCH_APP_KEY": sandbox.DefaultAppKey, "SVBATCH_APP_SECRET": sandbox.DefaultSecret}
			args := []string{"run", in, "--yes", "--qps", "0", "--concurrency", "2", "--unreachable-after", "1s"}
			if c.json {
				args = append(args, "--log-format", "json")
			}
			_, stderr, code := runCLI(t, env, args...)
			if code != exitUsage {
				t.Fatalf("exit %d; want %d\n%s", code, exitUsage, stderr)
			}
			low := strings.ToLower(stderr)
			if !strings.Contains(low, "cannot be reached") || !strings.Contains(low, c.cause) {
				t.Errorf("stderr does not say the gateway cannot be reached (%s):\n%s", c.cause, stderr)
			}
			if c.json {
				var sawError bool
				for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
					var rec map[string]any
					if err := json.Unmarshal([]byte(line), &rec); err != nil {
						t.Errorf("not a JSON line: %s", line)
						continue
					}
					reason, _ := rec["reason"].(string)
					if rec["level"] == "ERROR" && strings.Contains(strings.ToLower(reason), c.cause) {
						sawError = true
					}
				}
				if !sawError {
					t.Errorf("no JSON ERROR record naming %s:\n%s", c.cause, stderr)
				}
			}
			res := rtReadResults(t, in+".results.xlsx")
			if len(res) != len(ops) {
				t.Fatalf("%d result rows; want %d", len(res), len(ops))
			}
			for _, r := range res {
				if r["status"] != "pending" {
					t.Errorf("row %s: %s (%s); want pending: nothing reached the API", r["row"], r["status"], r["note"])
				}
			}
		})
	}
}
