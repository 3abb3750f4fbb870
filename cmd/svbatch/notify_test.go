package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"svbatch/sandbox"
)

// TestNotify: --notify posts the end of a run and of a reconcile to a local receiver (JSON, and a
// DingTalk robot's markdown) with outcome, counts, amounts, exit code and paths; a run that stops
// on invalid input notifies too; a receiver that is not there is a warning, and the exit code is
// the run's own.
func TestNotify(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var bodies [][]byte
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	defer recv.Close()
	last := func() []byte {
		mu.Lock()
		defer mu.Unlock()
		if len(bodies) == 0 {
			t.Fatal("nothing was posted")
		}
		return bodies[len(bodies)-1]
	}

	g := rtStart(t, sandbox.Config{})
	dir := t.TempDir()
	in := rtWriteCSV(t, dir, "ops.csv", []rtOp{
		{brand: "1332", outer: "OK-1", op: "charge", fen: 300, customer: "A"},
		{brand: "1332", outer: "V-1", op: "verify", fen: 500, customer: "POOR"}, // fails
	})
	hook := recv.URL + "/hook?access_token=SECRET"
	if _, stderr, code := runCLI(t, g.env(), "run", in, "--yes", "--qps", "0", "--notify", hook); code != 1 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	var s struct {
		Command  string            `json:"command"`
		Outcome  string            `json:"outcome"`
		OK       bool              `json:"ok"`
		ExitCode int               `json:"exit_code"`
		Counts   map[string]int    `json:"counts"`
		Amounts  map[string]int64  `json:"amounts_fen"`
		Paths    map[string]string `json:"paths"`
	}
	if err := json.Unmarshal(last(), &s); err != nil {
		t.Fatal(err)
	}
	if s.Command != "run" || s.Outcome != "complete" || s.OK || s.ExitCode != 1 || s.Counts["succeeded"] != 1 || s.Counts["failed"] != 1 ||
		s.Amounts["succeeded"] != 300 || s.Amounts["failed"] != 500 || s.Paths["results"] != in+".results.xlsx" || s.Paths["journal"] == "" {
		t.Errorf("run notification %+v", s)
	}

	// Invalid input: nothing sent, exit 2, and the notification says so.
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("brand_id,shop_id,operator_id,outer_order_id,operate_type,change_value,customer_id\n1332,S1,op,X-1,9,100,A\n"), 0o644)
	if _, _, code := runCLI(t, g.env(), "run", bad, "--yes", "--notify", hook); code != 2 {
		t.Fatalf("invalid run: exit %d; want 2", code)
	}
	s.Outcome = ""
	if err := json.Unmarshal(last(), &s); err != nil || s.ExitCode != 2 || !strings.Contains(s.Outcome, "nothing was sent") {
		t.Errorf("invalid run notification %+v (%v)", s, err)
	}

	// Reconcile, as a DingTalk robot's markdown.
	expected := filepath.Join(dir, "expected.csv")
	os.WriteFile(expected, []byte("brand_id,operate_type,outer_order_id,new_outer_order_id,change_value,expected_status\n1332,1,OK-1,,300,succeeded\n1332,3,V-1,,500,failed\n"), 0o644)
	if _, stderr, code := runCLI(t, nil, "reconcile", in+".results.xlsx", expected, "--notify", hook, "--notify-format", "dingtalk"); code != 0 {
		t.Fatalf("reconcile: exit %d\n%s", code, stderr)
	}
	var dd struct {
		MsgType  string `json:"msgtype"`
		Markdown struct{ Title, Text string }
	}
	if err := json.Unmarshal(last(), &dd); err != nil || dd.MsgType != "markdown" || !strings.Contains(dd.Markdown.Title, "svbatch reconcile OK: all matched") ||
		!strings.Contains(dd.Markdown.Text, "- matched: 2 (8.00 yuan)") || !strings.Contains(dd.Markdown.Text, "net difference: 0.00 yuan") || strings.Contains(dd.Markdown.Text, "missing") {
		t.Errorf("reconcile notification %s (%v)", last(), err)
	}

	// Nobody listening: a warning without the token; the run's exit code stands.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String() + "/hook?access_token=SECRET"
	ln.Close()
	_, stderr, code := runCLI(t, g.env(), "run", in, "--yes", "--qps", "0", "--notify", dead)
	if code != 1 || !strings.Contains(stderr, "Warning: notify") || strings.Contains(stderr, "SECRET") {
		t.Errorf("dead receiver: exit %d; want 1 with a warning that hides the token\n%s", code, stderr)
	}
}
