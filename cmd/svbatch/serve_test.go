package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"svbatch/web"
)

// serveOpts parses serve's flags as the command line would.
func serveOpts(t *testing.T, args ...string) *serveOptions {
	t.Helper()
	var o serveOptions
	f := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	o.addFlags(f)
	if err := f.Parse(args); err != nil {
		t.Fatal(err)
	}
	return &o
}

func serveCLI(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var stderr bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), io.Discard, &stderr, func(string) string { return "" })
	return stderr.String(), err
}

func TestServeAddr(t *testing.T) {
	for _, c := range []struct {
		args []string
		ok   bool
	}{
		{[]string{}, true},                                            // the default is loopback
		{[]string{"--addr", "localhost:0"}, true},                     // loopback by name
		{[]string{"--addr", "[::1]:8796"}, true},                      // IPv6 loopback
		{[]string{"--addr", "0.0.0.0:8796"}, false},                   // every interface, plain HTTP: refused
		{[]string{"--addr", ":8796"}, false},                          // the same, spelt short
		{[]string{"--addr", "10.1.2.3:8796"}, false},                  // a LAN address
		{[]string{"--addr", "0.0.0.0:8796", "--insecure-http"}, true}, // told so: behind a TLS proxy
		{[]string{"--addr", "0.0.0.0:8796", "--tls-cert", "c.pem", "--tls-key", "k.pem"}, true},
		{[]string{"--tls-cert", "c.pem"}, false}, // a certificate without its key
		{[]string{"--addr", "nonsense"}, false},
	} {
		err := checkServeAddr(serveOpts(t, c.args...))
		if (err == nil) != c.ok {
			t.Errorf("serve %v: err %v; want ok=%v", c.args, err, c.ok)
		}
	}
	// Through the command: exit 2, nothing listens.
	_, err := serveCLI(t, "", "serve", "--addr", "0.0.0.0:0", "--data", t.TempDir(), "--sandbox")
	if code := exitCode(err, io.Discard); code != exitUsage || !strings.Contains(err.Error(), "TLS") {
		t.Fatalf("serve on 0.0.0.0 without TLS: exit %d (%v); want 2 naming TLS", code, err)
	}
}

func TestServeAddUser(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "users")
	const pw = "a long enough password"
	stderr, err := serveCLI(t, pw+"\n", "serve", "adduser", "alice", "--role", "uploader", "--users", users)
	if err != nil {
		t.Fatalf("adduser: %v (%s)", err, stderr)
	}
	b, err := os.ReadFile(users)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), pw) || strings.Contains(stderr, pw) || !strings.Contains(string(b), "alice uploader $2") {
		t.Fatalf("users file %q / stderr %q: want a bcrypt hash, never the password", b, stderr)
	}
	if fi, _ := os.Stat(users); fi.Mode().Perm() != 0o600 {
		t.Fatalf("users file mode %v; want 0600", fi.Mode().Perm())
	}
	// A second user, and alice again with a new role: one line each.
	if _, err := serveCLI(t, "another long password\n", "serve", "adduser", "bob", "--role", "approver", "--users", users); err != nil {
		t.Fatal(err)
	}
	if _, err := serveCLI(t, pw+"\n", "serve", "adduser", "alice", "--role", "viewer", "--users", users); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(users)
	if strings.Count(string(b), "alice ") != 1 || !strings.Contains(string(b), "alice viewer") || !strings.Contains(string(b), "bob approver") {
		t.Fatalf("users file after changes:\n%s", b)
	}
	if _, err := web.LoadUsers(users); err != nil {
		t.Fatal(err)
	}
	// Refused: a short password, a bad role, no password at all.
	for _, c := range []struct {
		stdin string
		args  []string
	}{
		{"short\n", []string{"--role", "uploader"}},
		{pw + "\n", []string{"--role", "admin"}},
		{"", []string{"--role", "uploader"}},
	} {
		_, err := serveCLI(t, c.stdin, append([]string{"serve", "adduser", "carol", "--users", users}, c.args...)...)
		if exitCode(err, io.Discard) != exitUsage {
			t.Errorf("adduser %v with stdin %q: %v; want exit 2", c.args, c.stdin, err)
		}
	}
}

func TestServeNeedsUsers(t *testing.T) {
	_, err := serveCLI(t, "", "serve", "--data", t.TempDir(), "--sandbox", "--addr", "127.0.0.1:0")
	if code := exitCode(err, io.Discard); code != exitUsage || !strings.Contains(err.Error(), "adduser") {
		t.Fatalf("serve without users: exit %d (%v); want 2 saying how to add one", code, err)
	}
}

func TestServeStartsWithSandbox(t *testing.T) {
	dir := t.TempDir()
	if err := web.AddUser(filepath.Join(dir, "users"), "ulla", web.RoleUploader, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cio := &cmdIO{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &stderr, getenv: func(string) string { return "" }}
	sv, err := startServe(context.Background(), cio, serveOpts(t, "--addr", "127.0.0.1:0", "--data", dir, "--sandbox"))
	if err != nil {
		t.Fatal(err)
	}
	defer sv.Close()
	resp, err := http.Get(sv.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("GET /login: %d, X-Frame-Options %q", resp.StatusCode, resp.Header.Get("X-Frame-Options"))
	}
	if !strings.Contains(stderr.String(), sv.URL) || strings.Contains(stderr.String(), "sandbox-secret") {
		t.Fatalf("serve's log %q: want its URL, never the secret", stderr.String())
	}
}
