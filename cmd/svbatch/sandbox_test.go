package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"svbatch"
	"svbatch/client"
	"svbatch/sandbox"
)

// sandboxSyncBuffer is a goroutine-safe bytes.Buffer for a command's stderr.
type sandboxSyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *sandboxSyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *sandboxSyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func sandboxEnv(m map[string]string) env { return func(k string) string { return m[k] } }

var sandboxListenRE = regexp.MustCompile(`^sandbox listening on (http://127\.0\.0\.1:\d+/router/rest) \(app key (\S+)\)$`)

// startSandboxCmd runs `svbatch sandbox args…` until the test ends; it returns the gateway URL and
// app key parsed from the first stdout line, and a stop function that returns run's error.
func startSandboxCmd(t *testing.T, environ map[string]string, args ...string) (url, key string, stop func() error) {
	t.Helper()
	url, key, stop, _ = startSandboxCmdStderr(t, environ, args...)
	return url, key, stop
}

// startSandboxCmdStderr is startSandboxCmd that also gives what the command writes on stderr.
func startSandboxCmdStderr(t *testing.T, environ map[string]string, args ...string) (url, key string, stop func() error, stderrOut func() string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	stderr := &sandboxSyncBuffer{}
	done := make(chan error, 1)
	go func() {
		err := run(ctx, append([]string{"sandbox"}, args...), strings.NewReader(""), pw, stderr, sandboxEnv(environ))
		pw.Close()
		done <- err
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	go io.Copy(io.Discard, pr)
	m := sandboxListenRE.FindStringSubmatch(strings.TrimSpace(line))
	if m == nil {
		cancel()
		t.Fatalf("first line %q (%v), stderr %q: want the listening line", line, err, stderr.String())
	}
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(10 * time.Second):
				runErr = errors.New("sandbox did not stop within 10 s")
			}
		})
		return runErr
	}
	t.Cleanup(func() { stop() })
	return m[1], m[2], stop, stderr.String
}

func TestSandboxCommand(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "ledger.db")
	u, key, stop := startSandboxCmd(t, nil, "--addr", "127.0.0.1:0", "--db", db)
	if key != sandbox.DefaultAppKey {
		t.Errorf("got app key %q; want the demo key", key)
	}
	c, err := client.New(client.WithGateway(u), client.WithAppKey(key), client.WithSecret(sandbox.DefaultSecret))
	if err != nil {
		t.Fatal(err)
	}
	req := client.RechargeRequest{BrandID: "B1", ShopID: "S1", OperatorID: "op", CustomerID: "C1",
		OuterOrderID: "o1", RequestID: "cmd-1", OperateType: svbatch.Charge, ChangeValue: 1234}
	resp, err := c.Do(context.Background(), req)
	if err != nil || !resp.Result.OK() {
		t.Fatalf("Do: %+v, %v; want success", resp, err)
	}
	if err := stop(); err != nil {
		t.Fatalf("run after cancel: %v; want nil (graceful stop)", err)
	}

	// the ledger file outlives the server: export it
	var out bytes.Buffer
	if err := run(context.Background(), []string{"sandbox", "export", "--db", db, "balances"}, nil, &out, io.Discard, sandboxEnv(nil)); err != nil {
		t.Fatalf("export: %v", err)
	}
	want := "brand_id,customer_id,mobile,outer_type,outer_id,available,frozen\nB1,C1,,,,1234,0\n"
	if out.String() != want {
		t.Errorf("export balances: got %q; want %q", out.String(), want)
	}
	out.Reset()
	if err := run(context.Background(), []string{"sandbox", "export", "--db", db, "operations"}, nil, &out, io.Discard, sandboxEnv(nil)); err != nil || !strings.Contains(out.String(), ",cmd-1,B1,S1,1,o1,,1234,C1,") {
		t.Errorf("export operations: got %q, %v", out.String(), err)
	}

	// a restart on the same file keeps the idempotency record: the replay moves nothing
	u2, _, stop2, stderr2 := startSandboxCmdStderr(t, nil, "--addr", "127.0.0.1:0", "--db", db)
	if e := stderr2(); !strings.Contains(e, "sandbox: replaying the ledger "+db) || !strings.Contains(e, "1 operation(s) replayed in") {
		t.Errorf("restart on a ledger: stderr %q; want it to say the ledger is replayed, and how many operations", e)
	}
	c2, _ := client.New(client.WithGateway(u2), client.WithAppKey(key), client.WithSecret(sandbox.DefaultSecret))
	again, err := c2.Do(context.Background(), req)
	if err != nil || again.TraceID != resp.TraceID {
		t.Errorf("replay after restart: %+v, %v; want the stored answer (trace %s)", again, err, resp.TraceID)
	}
	if err := stop2(); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	run(context.Background(), []string{"sandbox", "export", "--db", db, "balances"}, nil, &out, io.Discard, sandboxEnv(nil))
	if out.String() != want {
		t.Errorf("after replay: got %q; want %q", out.String(), want)
	}
}

// TestSandboxCommandCredentials: own key and secret from the environment or a file.
func TestSandboxCommandCredentials(t *testing.T) {
	t.Parallel()
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("file-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		environ map[string]string
		args    []string
		key     string
		secret  string
	}{
		// key and secret from the environment
		{"env", map[string]string{"SVBATCH_APP_KEY": "envkey", "SVBATCH_APP_SECRET": "env-secret"}, nil, "envkey", "env-secret"},
		// --app-key and the secret file (which wins over the environment)
		{"file", map[string]string{"SVBATCH_APP_SECRET": "env-secret"}, []string{"--app-key", "k2", "--app-secret-file", secretFile}, "k2", "file-secret"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u, key, _ := startSandboxCmd(t, tc.environ, append([]string{"--addr", "127.0.0.1:0"}, tc.args...)...)
			if key != tc.key {
				t.Errorf("got key %q; want %q", key, tc.key)
			}
			c, _ := client.New(client.WithGateway(u), client.WithAppKey(tc.key), client.WithSecret(tc.secret))
			resp, err := c.Do(context.Background(), client.RechargeRequest{BrandID: "B", ShopID: "S", OperatorID: "o",
				Mobile: "13800000000", OuterOrderID: "o", RequestID: "r", OperateType: svbatch.Charge, ChangeValue: 1})
			if err != nil || !resp.Result.OK() {
				t.Errorf("Do: %+v, %v; want success", resp, err)
			}
			bad, _ := client.New(client.WithGateway(u), client.WithAppKey(tc.key), client.WithSecret(sandbox.DefaultSecret))
			if _, err := bad.Do(context.Background(), client.RechargeRequest{}); client.Classify(err) != client.RunStopping {
				t.Errorf("demo secret: got %v; want a run-stopping signature error", err)
			}
		})
	}
}

// TestSandboxCommandUsage: bad flags and unsafe credentials exit 2 without serving.
func TestSandboxCommandUsage(t *testing.T) {
	t.Parallel()
	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, nil, 0o600)
	tests := []struct {
		name    string
		environ map[string]string
		args    []string
		wantMsg string
	}{
		{"all interfaces without credentials", nil, []string{"--addr", ":0"}, "not loopback"},
		{"public address with the demo secret", map[string]string{"SVBATCH_APP_KEY": "k", "SVBATCH_APP_SECRET": sandbox.DefaultSecret}, []string{"--addr", "0.0.0.0:0"}, "demo"},
		{"key without secret", nil, []string{"--addr", "127.0.0.1:0", "--app-key", "k"}, "no secret"},
		{"secret without key", map[string]string{"SVBATCH_APP_SECRET": "s"}, []string{"--addr", "127.0.0.1:0"}, "no app key"},
		{"empty secret file", nil, []string{"--addr", "127.0.0.1:0", "--app-key", "k", "--app-secret-file", empty}, "empty"},
		{"missing secret file", nil, []string{"--app-key", "k", "--app-secret-file", empty + ".none"}, "app-secret-file"},
		{"fail rate", nil, []string{"--fail-rate", "1.5"}, "--fail-rate"},
		{"timeout rate", nil, []string{"--timeout-rate", "-1"}, "--timeout-rate"},
		{"latency", nil, []string{"--latency", "soon"}, "--latency"},
		{"ban seconds", nil, []string{"--ban-seconds", "0"}, "--ban-seconds"},
		{"flow lag", nil, []string{"--flow-lag", "-1s"}, "--flow-lag"},
		{"read fail rate", nil, []string{"--read-fail-rate", "2"}, "--read-fail-rate"},
		{"max page size", nil, []string{"--max-page-size", "0"}, "--max-page-size"},
		{"max window", nil, []string{"--max-window", "-1h"}, "--max-window"},
		{"max batch", nil, []string{"--max-batch", "0"}, "--max-batch"},
		{"flow pick", nil, []string{"--flow-pick", "random"}, "--flow-pick"},
		{"stray argument", nil, []string{"extra"}, "unknown command"},
		{"export without db", nil, []string{"export", "balances"}, "--db"},
		{"export of something else", nil, []string{"export", "--db", empty, "accounts"}, "balances or operations"},
		{"export of a missing file", nil, []string{"export", "--db", empty + ".none", "balances"}, "--db"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"sandbox"}, tc.args...), nil, &stdout, &stderr, sandboxEnv(tc.environ))
			var msg bytes.Buffer
			if code := exitCode(err, &msg); code != exitUsage || !strings.Contains(msg.String(), tc.wantMsg) {
				t.Errorf("got exit %d %q; want %d mentioning %q", code, msg.String(), exitUsage, tc.wantMsg)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q; want nothing", stdout.String())
			}
		})
	}
}

// TestSandboxCommandReadFlags: the read-API flags reach the sandbox: a flow lag hides a new flow, the
// page-size and window limits refuse larger queries, and reads answer on /router/batch.
func TestSandboxCommandReadFlags(t *testing.T) {
	t.Parallel()
	u, key, stop := startSandboxCmd(t, nil, "--addr", "127.0.0.1:0", "--flow-lag", "1h", "--max-page-size", "5",
		"--max-window", "2h", "--max-batch", "2", "--flow-pick", "earliest")
	c, err := client.New(client.WithGateway(u), client.WithAppKey(key), client.WithSecret(sandbox.DefaultSecret))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Do(ctx, client.RechargeRequest{BrandID: "B1", ShopID: "S1", OperatorID: "op", CustomerID: "C1",
		OuterOrderID: "o1", RequestID: "cmd-r1", OperateType: svbatch.Charge, ChangeValue: 10}); err != nil {
		t.Fatal(err)
	}
	r := client.NewReader(c)
	fd, err := r.FlowDetail(ctx, client.FlowDetailRequest{BrandID: "B1", OuterOrderID: "o1"})
	if err != nil || fd.Flow != nil {
		t.Errorf("inside --flow-lag 1h: %+v, %v; want not found yet", fd, err)
	}
	cust, err := r.Customer(ctx, client.CustomerRequest{BrandID: "B1", ShopID: "S1", CustomerID: "C1"})
	if b, _ := cust.Customer.Balance(); err != nil || b != 10 {
		t.Errorf("balance %d, %v; want 10 at once", b, err)
	}
	now := time.Now()
	for _, tc := range []struct {
		size   int
		window time.Duration
		sub    string
	}{{6, time.Hour, "isv.invalid-parameter:page_size"}, {5, 3 * time.Hour, "isv.invalid-parameter:end_time"}} {
		_, err := r.FlowPage(ctx, client.AccountFlowsRequest{BrandID: "B1", ShopID: "S1", PageNo: 1, PageSize: tc.size,
			StartTime: client.FormatFlowTime(now.Add(-tc.window)), EndTime: client.FormatFlowTime(now)})
		var api *client.APIError
		if !errors.As(err, &api) || api.SubCode != tc.sub {
			t.Errorf("page size %d window %s: got %v; want %s", tc.size, tc.window, err, tc.sub)
		}
	}
	r.BatchSize = 3
	_, err = r.FlowDetails(ctx, []client.FlowDetailRequest{{BrandID: "B1", OuterOrderID: "a"}, {BrandID: "B1", OuterOrderID: "b"}, {BrandID: "B1", OuterOrderID: "c"}})
	var api *client.APIError
	if !errors.As(err, &api) || api.Code != 41 {
		t.Errorf("batch of 3 over --max-batch 2: got %v; want the whole batch refused (41)", err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
