package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"svbatch"
	"svbatch/sandbox"
)

// TestConfigFile: a config file supplies flags the command line and environment leave unset; the
// command line and the environment win; typos and secrets in the file are refused.
func TestConfigFile(t *testing.T) {
	sb, err := sandbox.New(sandbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	url, err := sb.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	os.WriteFile(secretFile, []byte(sandbox.DefaultSecret+"\n"), 0o600)
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o600)
		return p
	}
	good := write("good.yaml", "gateway: "+url+"\napp-key: sandbox\napp-secret-file: "+secretFile+"\nqps: 50\naddr: 127.0.0.1:9\n")
	args := []string{"call", "--brand-id", "B", "--shop-id", "S", "--operator-id", "o", "--outer-order-id", "CFG-1",
		"--operate-type", "charge", "--change-value", "100", "--customer-id", "C"}

	// From the file alone (addr, a sandbox flag, is ignored by call).
	out, errOut, code := runCLI(t, map[string]string{}, append(args, "--config", good)...)
	if code != 0 || !strings.Contains(out, `"succeeded"`) {
		t.Fatalf("config only: exit %d\n%s%s", code, out, errOut)
	}
	if sb.Requests(svbatch.RequestIDv1("", "B", 1, "CFG-1", "")) != 1 {
		t.Error("the sandbox did not get the call configured by the file")
	}
	// SVBATCH_CONFIG names the file too; the command line wins over it.
	_, errOut, code = runCLI(t, map[string]string{configEnv: good}, append(args, "--app-key", "wrong-key")...)
	if code != exitFailed || !strings.Contains(errOut, "app key") {
		t.Errorf("--app-key over the file: exit %d, stderr %q; want the command line's wrong key to be used", code, errOut)
	}
	// The environment wins over the file.
	_, errOut, code = runCLI(t, map[string]string{configEnv: good, "SVBATCH_APP_KEY": "env-key"}, args...)
	if code != exitFailed || !strings.Contains(errOut, "app key") {
		t.Errorf("SVBATCH_APP_KEY over the file: exit %d, stderr %q; want the environment's key to be used", code, errOut)
	}
	for _, c := range []struct{ name, body, want string }{
		{"typo", "gatway: " + url + "\n", "not a flag"},
		{"secret", "app-secret: x\n", "never goes in the config file"},
		{"not yaml", "- a\n- b\n", "YAML"},
		{"bad value", "qps: fast\n", "qps"},
	} {
		p := write(c.name+".yaml", c.body)
		_, errOut, code := runCLI(t, map[string]string{}, "run", "x.csv", "--config", p)
		if code != exitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", c.name, code, errOut, c.want)
		}
	}
}
