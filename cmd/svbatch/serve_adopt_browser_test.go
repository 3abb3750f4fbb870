package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"svbatch/sandbox"
	"svbatch/web"
)

// TestServeAdoptBrowser: in headless Chromium, an uploader adopts a command-line run from the
// page (its path inside --adopt-dir), sees its journal's status with the row that needs attention,
// resumes it, and sees every row succeeded; each operation is applied once.
func TestServeAdoptBrowser(t *testing.T) {
	chrome := chromiumPath()
	if chrome == "" {
		t.Skip("no chromium binary (apt-get install chromium)")
	}
	g := rtStart(t, sandbox.Config{Faults: sandbox.Faults{TimeoutRate: 0.3}, Seed: 7})
	dir := t.TempDir()
	runs := filepath.Join(dir, "runs")
	os.MkdirAll(runs, 0o755)
	ops := rtSimpleOps(10)
	for i := range ops {
		ops[i].customer = "C00" // one account: the seeded faults fall on the same rows every time
	}
	in := rtWriteCSV(t, runs, "tonight.csv", ops)
	if _, stderr, code := runCLI(t, g.env(), "run", in, "--yes", "--no-progress", "--qps", "0", "--concurrency", "1", "--max-attempts", "1"); code != 1 {
		t.Fatalf("CLI run: exit %d; want 1\n%s", code, stderr)
	}
	g.sb.SetFaults(sandbox.Faults{})

	data := filepath.Join(dir, "data")
	const pw = "adopt browser password"
	if err := web.AddUser(filepath.Join(data, "users"), "ulla", web.RoleUploader, pw); err != nil {
		t.Fatal(err)
	}
	var logBuf bytes.Buffer
	env := g.env()
	cio := &cmdIO{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &syncWriter{w: &logBuf}, getenv: func(k string) string { return env[k] }}
	sv, err := startServe(context.Background(), cio, serveOpts(t, "--addr", "127.0.0.1:0", "--data", data, "--gateway", g.url,
		"--app-key", sandbox.DefaultAppKey, "--qps", "0", "--adopt-dir", runs))
	if err != nil {
		t.Fatal(err)
	}
	defer sv.Close()
	shots := os.Getenv("SVBATCH_SCREENSHOTS")
	if shots == "" {
		shots = filepath.Join(dir, "shots")
	}
	os.MkdirAll(shots, 0o755)
	tb := newTab(t, chrome, shots, filepath.Join(dir, "downloads"), &logBuf)
	tb.login(sv.URL, "ulla", pw)
	tb.do("adopt", chromedp.SendKeys(chromedp.ID("adopt-input"), "tonight.csv"), chromedp.Click(chromedp.ID("adopt-btn")),
		chromedp.WaitVisible(chromedp.ID("journal-status")))
	if got := tb.text(`#journal-counts tr[data-jstate="unknown"] td.num`); got != "1" {
		t.Fatalf("unknown rows on the adopted job's page: %q; want 1", got)
	}
	if got := tb.eval(`document.querySelectorAll("#journal-attention tr.jattention").length`); got != 18 {
		t.Fatalf("%d rows that need attention listed; want 18 (1 unknown, 17 skipped)", got)
	}
	tb.shot("adopted")
	jobURL, err := chromedp.Run(tb.ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	id := jobURL[strings.LastIndex(jobURL, "/")+1:]
	tb.do("resume", chromedp.Click(chromedp.ID("resume-btn")), chromedp.WaitNotPresent(chromedp.ID("resume-btn")))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := sv.Web.Wait(ctx, id); err != nil {
		t.Fatal(err)
	}
	tb.do("finished", chromedp.Navigate(jobURL), chromedp.WaitVisible(`#job-state[data-state="finished"]`))
	if got := tb.text(`#journal-counts tr[data-jstate="succeeded"] td.num`); got != "20" {
		t.Fatalf("succeeded rows after the resume: %q; want 20", got)
	}
	tb.shot("adopted-resumed")
	for rid, n := range g.opsByRequest() {
		if n != 1 {
			t.Fatalf("request %s applied %d times", rid, n)
		}
	}
	if n := len(g.opsByRequest()); n != len(ops) {
		t.Fatalf("%d operations; want %d", n, len(ops))
	}
}
