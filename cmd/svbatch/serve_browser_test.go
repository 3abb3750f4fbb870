package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"svbatch/web"
)

// chromiumPath is Debian's chromium (.ci/run installs it), or one on PATH; "" when there is none.
func chromiumPath() string {
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// browserRow is one operation of the browser test's file.
type browserRow struct {
	outer, op, amount, mobile string
}

// browserRows: the four operations the test checks by name, then 36 charges so that the run
// lasts a few seconds at --qps 10 and its progress can be watched.
func browserRows() []browserRow {
	rows := []browserRow{
		{"W-1", "1", "10000", "13800000001"},
		{"W-2", "1", "2550", "13800000002"},
		{"W-3", "1", "70001", "13800000003"},
		{"W-4", "2", "3000", "13800000001"},
	}
	for i := range 36 {
		rows = append(rows, browserRow{fmt.Sprintf("W-F%02d", i), "1", fmt.Sprint(100 + i), fmt.Sprintf("1390000%04d", i)})
	}
	return rows
}

// writeOpsXLSX writes the rows as a workbook (text cells) with a second sheet, so the page offers
// a sheet picker; bad replaces cells: row index → column → value.
func writeOpsXLSX(t *testing.T, path string, rows []browserRow, bad map[int]map[string]string) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sh := "Operations"
	f.SetSheetName("Sheet1", sh)
	header := []any{"brand_id", "shop_id", "operator_id", "outer_order_id", "operate_type", "change_value", "mobile", "reason"}
	f.SetSheetRow(sh, "A1", &header)
	for i, r := range rows {
		vals := map[string]string{"operate_type": r.op, "change_value": r.amount}
		for k, v := range bad[i] {
			vals[k] = v
		}
		row := []any{"B1", "S1", "op", r.outer, vals["operate_type"], vals["change_value"], r.mobile, "web"}
		f.SetSheetRow(sh, fmt.Sprintf("A%d", i+2), &row)
	}
	f.NewSheet("Notes")
	f.SetCellStr("Notes", "A1", "not operations")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

// TestServeBrowser drives the whole flow in headless Chromium against `svbatch serve --sandbox
// --approval`: an uploader uploads a file with two bad cells, sees both, downloads the error
// workbook, uploads the fixed file and confirms; an approver approves; the progress reaches 100%;
// the results download; the expected ledger reconciles; the sandbox's ledger is what the file
// implies. Screenshots of each step go to $SVBATCH_SCREENSHOTS (default a temp dir).
func TestServeBrowser(t *testing.T) {
	chrome := chromiumPath()
	if chrome == "" {
		t.Skip("no chromium binary (apt-get install chromium)")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	const pw = "browser test password"
	for name, role := range map[string]string{"ulla": web.RoleUploader, "anna": web.RoleApprover} {
		if err := web.AddUser(filepath.Join(data, "users"), name, role, pw); err != nil {
			t.Fatal(err)
		}
	}
	var logBuf bytes.Buffer
	cio := &cmdIO{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &syncWriter{w: &logBuf}, getenv: func(string) string { return "" }}
	sv, err := startServe(context.Background(), cio, serveOpts(t, "--addr", "127.0.0.1:0", "--data", data, "--sandbox", "--approval", "--qps", "10", "--concurrency", "2"))
	if err != nil {
		t.Fatal(err)
	}
	defer sv.Close()

	rows := browserRows()
	in := filepath.Join(dir, "in")
	os.MkdirAll(in, 0o755)
	bad, good := filepath.Join(in, "tonight.xlsx"), filepath.Join(in, "tonight-fixed.xlsx")
	writeOpsXLSX(t, bad, rows, map[int]map[string]string{1: {"change_value": "25.5"}, 2: {"operate_type": "topup"}})
	writeOpsXLSX(t, good, rows, nil)
	var exp strings.Builder
	exp.WriteString("brand_id,operate_type,outer_order_id,new_outer_order_id,change_value,mobile\n")
	for _, r := range rows {
		fmt.Fprintf(&exp, "B1,%s,%s,,%s,%s\n", r.op, r.outer, r.amount, r.mobile)
	}
	expected := filepath.Join(in, "expected.csv")
	os.WriteFile(expected, []byte(exp.String()), 0o644)

	shots := os.Getenv("SVBATCH_SCREENSHOTS")
	if shots == "" {
		shots = filepath.Join(dir, "shots")
	}
	os.MkdirAll(shots, 0o755)
	downloads := filepath.Join(dir, "downloads")
	os.MkdirAll(downloads, 0o755)

	tb := newTab(t, chrome, shots, downloads, &logBuf)
	do, shot, text, eval, download := tb.do, tb.shot, tb.text, tb.eval, tb.download
	ctx := tb.ctx
	var loads []string
	loadTime := func(name string) {
		loads = append(loads, fmt.Sprintf("%s %d ms", name, eval(`Math.round(performance.getEntriesByType("navigation")[0].duration)`)))
	}
	login := func(user string) { tb.login(sv.URL, user, pw) }

	// 1. The uploader logs in and uploads the file with two bad cells.
	do("login page", chromedp.Navigate(sv.URL+"/"), chromedp.WaitVisible(chromedp.ID("login-form")))
	loadTime("login")
	shot("login")
	login("ulla")
	loadTime("home")
	shot("home")
	do("upload", chromedp.SetUploadFiles(chromedp.ID("upload-file"), []string{bad}),
		chromedp.Click(chromedp.ID("upload-btn")), chromedp.WaitVisible(chromedp.ID("problems")))
	loadTime("validation")
	jobURL, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if got := text("#problems-n"); got != "2" {
		t.Fatalf("problems shown: %s; want 2", got)
	}
	if got := eval(`document.querySelectorAll("#grid td.cellerr").length`); got != 2 {
		t.Fatalf("%d cells marked in the grid; want 2", got)
	}
	probs := text("#problems")
	if !strings.Contains(probs, "25.5") || !strings.Contains(probs, "topup") {
		t.Fatalf("problem table %q lacks the two bad values", probs)
	}
	if got := eval(`document.querySelectorAll("#sheet option").length`); got != 3 { // —, Operations, Notes
		t.Fatalf("sheet picker has %d options; want 3", got)
	}
	shot("validation-two-errors")

	// 2. The error workbook: the input back with the bad cells commented, and an Errors sheet.
	eb := download("#errors-download")
	ef, err := excelize.OpenReader(bytes.NewReader(eb))
	if err != nil {
		t.Fatalf("error workbook: %v", err)
	}
	var found int
	for _, sh := range ef.GetSheetList() {
		rs, _ := ef.GetRows(sh)
		for _, r := range rs {
			for _, c := range r {
				if c == "25.5" || c == "topup" {
					found++
				}
			}
		}
	}
	ef.Close()
	if found < 2 {
		t.Fatalf("error workbook holds the bad values %d times; want at least 2", found)
	}

	// 3. The fixed file: all valid; the confirmation shows the totals in yuan and fen.
	do("reupload", chromedp.SetUploadFiles(chromedp.ID("reupload-file"), []string{good}),
		chromedp.Click(chromedp.ID("reupload-btn")), chromedp.WaitVisible(chromedp.ID("all-valid")))
	loadTime("confirmation")
	var charge int64
	for _, r := range rows {
		if r.op == "1" {
			var v int64
			fmt.Sscan(r.amount, &v)
			charge += v
		}
	}
	totals := text("#totals")
	if !strings.Contains(totals, fmt.Sprint(charge)) || !strings.Contains(totals, fmt.Sprintf("%d.%02d", charge/100, charge%100)) || !strings.Contains(totals, "30.00") {
		t.Fatalf("totals %q: want the charges %d fen in fen and yuan, and the freeze 30.00", totals, charge)
	}
	shot("confirm-totals")
	do("confirm", chromedp.Click(chromedp.ID("confirm-btn")), chromedp.WaitVisible(chromedp.ID("awaiting-note")),
		chromedp.WaitVisible(chromedp.ID("cannot-approve")))
	if eval(`document.querySelectorAll("#approve-btn").length`) != 0 {
		t.Fatal("the uploader is offered to approve their own batch")
	}
	shot("awaiting-approval")
	if sv.Sandbox.TotalRequests() != 0 {
		t.Fatalf("%d requests sent before the approval; want 0", sv.Sandbox.TotalRequests())
	}

	// 4. The approver approves; the progress reaches 100%.
	do("logout", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login-form")))
	login("anna")
	do("open the batch", chromedp.Click(chromedp.CSS("#awaiting a")), chromedp.WaitVisible(chromedp.ID("approve-btn")))
	shot("approver")
	do("approve", chromedp.Click(chromedp.ID("approve-btn")), chromedp.WaitVisible(chromedp.ID("run")))
	loadTime("run")
	do("progress moves", chromedp.Poll[chromedp.Void](`+document.getElementById("done").textContent > 0`, chromedp.WithPollingTimeout(60*time.Second)))
	shot("running")
	do("progress reaches 100%", chromedp.Poll[chromedp.Void](`document.getElementById("pct").textContent === "100%"`, chromedp.WithPollingTimeout(90*time.Second)),
		chromedp.WaitVisible(chromedp.ID("run-done")))
	if got := text("#done") + "/" + text("#total"); got != fmt.Sprintf("%d/%d", len(rows), len(rows)) {
		t.Fatalf("progress at the end %s; want %d/%d", got, len(rows), len(rows))
	}
	shot("progress-100")
	do("results", chromedp.Click(chromedp.ID("run-done-link")), chromedp.WaitVisible(chromedp.ID("results-download")))
	loadTime("results")
	if got := text(`#status-counts tr[data-status="succeeded"] td.num`); got != fmt.Sprint(len(rows)) {
		t.Fatalf("succeeded rows %s; want %d", got, len(rows))
	}
	shot("results")

	// 5. The results workbook, every row succeeded.
	rb := download("#results-download")
	rf, err := excelize.OpenReader(bytes.NewReader(rb))
	if err != nil {
		t.Fatalf("results workbook: %v", err)
	}
	rrows, _ := rf.GetRows(rf.GetSheetName(0))
	rf.Close()
	var succeeded int
	for _, r := range rrows {
		for _, c := range r {
			if c == "succeeded" {
				succeeded++
				break
			}
		}
	}
	if succeeded != len(rows) {
		t.Fatalf("results workbook: %d succeeded rows; want %d", succeeded, len(rows))
	}

	// 6. The expected ledger reconciles: all matched.
	do("reconcile", chromedp.SetUploadFiles(chromedp.ID("expected-file"), []string{expected}),
		chromedp.Click(chromedp.ID("reconcile-btn")), chromedp.WaitVisible(chromedp.ID("verdict")))
	if v := eval(`document.getElementById("verdict").dataset.matched === "true" ? 1 : 0`); v != 1 {
		t.Fatalf("verdict %q; want all matched", text("#verdict"))
	}
	shot("verdict")
	if b := download("#recon-download"); !bytes.HasPrefix(b, []byte("PK")) {
		t.Fatal("the reconciliation workbook is not a workbook")
	}

	// 7. The sandbox's ledger is what the file implies.
	want := map[string][2]int64{}
	for _, r := range rows {
		var v int64
		fmt.Sscan(r.amount, &v)
		w := want[r.mobile]
		switch r.op {
		case "1":
			w[0] += v
		case "2":
			w[0], w[1] = w[0]-v, w[1]+v
		}
		want[r.mobile] = w
	}
	bal := sv.Sandbox.Balances()
	if len(bal) != len(want) {
		t.Fatalf("%d sandbox accounts; want %d", len(bal), len(want))
	}
	for _, b := range bal {
		if w := want[b.Mobile]; b.Available != w[0] || b.Frozen != w[1] {
			t.Fatalf("sandbox %s: available %d, frozen %d; want %d, %d", b.Mobile, b.Available, b.Frozen, w[0], w[1])
		}
	}
	if n := len(sv.Sandbox.Operations()); n != len(rows) {
		t.Fatalf("%d operations applied; want %d (each row once)", n, len(rows))
	}

	// 8. The same page in Chinese, and the history with who did what.
	do("chinese", chromedp.Click(chromedp.ID("lang-switch")), chromedp.WaitVisible(chromedp.ID("results")))
	if s := text("#results h2"); !strings.Contains(s, "结果") {
		t.Fatalf("results heading in Chinese: %q", s)
	}
	shot("results-zh")
	do("english", chromedp.Click(chromedp.ID("lang-switch")), chromedp.WaitVisible(chromedp.ID("results")))
	do("history", chromedp.Navigate(sv.URL+"/history"), chromedp.WaitVisible(chromedp.CSS("table.jobs")))
	loadTime("history")
	hist := text("table.jobs")
	for _, w := range []string{"tonight-fixed.xlsx", "ulla", "anna"} {
		if !strings.Contains(hist, w) {
			t.Fatalf("history %q lacks %q", hist, w)
		}
	}
	shot("history")
	// The journal is the CLI's: svbatch status reads it.
	id := jobURL[strings.LastIndex(jobURL, "/")+1:]
	var out bytes.Buffer
	err = run(context.Background(), []string{"status", filepath.Join(data, "jobs", id, "journal.db")}, strings.NewReader(""), &out, io.Discard, func(string) string { return "" })
	if err != nil || !strings.Contains(out.String(), "succeeded") {
		t.Fatalf("svbatch status on the page's journal: %v\n%s", err, out.String())
	}
	t.Logf("page loads (navigation timing): %s", strings.Join(loads, ", "))
	t.Logf("screenshots in %s", shots)
}

// syncWriter serializes writes: the server logs from its goroutines while the test reads.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// tab is one headless Chromium tab of a browser test, with helpers that fail the test.
type tab struct {
	t         *testing.T
	ctx       context.Context
	shots     string
	downloads string
	n         int
	log       *bytes.Buffer
}

func newTab(t *testing.T, chrome, shots, downloads string, log *bytes.Buffer) *tab {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chrome), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 1000), chromedp.Flag("lang", "en-US"), chromedp.Flag("accept-lang", "en-US"))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelA)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancelT)
	return &tab{t: t, ctx: ctx, shots: shots, downloads: downloads, log: log}
}

func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v\nserver log:\n%s", what, err, b.log.String())
	}
}

// shot saves a screenshot of the whole page as NN-name.png.
func (b *tab) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	b.n++
	if err := os.WriteFile(filepath.Join(b.shots, fmt.Sprintf("%02d-%s.png", b.n, name)), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func (b *tab) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func (b *tab) eval(js string) int {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](js))
	if err != nil {
		b.t.Fatalf("%s: %v", js, err)
	}
	return v
}

// download clicks sel and waits until the browser has saved the file; it returns its bytes.
func (b *tab) download(sel string) []byte {
	b.t.Helper()
	progress := chromedp.Events(b.ctx, browser.DownloadProgress)
	b.do("download "+sel, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		yes := true
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: b.downloads, EventsEnabled: &yes})
		return err
	}), chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	for ev, err := range progress {
		if err != nil {
			b.t.Fatalf("download %s: %v", sel, err)
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			b.t.Fatalf("download %s canceled", sel)
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			data, err := os.ReadFile(filepath.Join(b.downloads, ev.GUID))
			if err != nil {
				b.t.Fatal(err)
			}
			return data
		}
	}
	b.t.Fatalf("download %s: no completion", sel)
	return nil
}

func (b *tab) login(base, user, pw string) {
	b.t.Helper()
	b.do("login "+user, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("user"), user), chromedp.SendKeys(chromedp.ID("password"), pw),
		chromedp.Click(chromedp.ID("login-btn")), chromedp.WaitVisible(chromedp.ID("who")))
}

// TestServeBrowserRestart: requests without a CSRF token or from the wrong role change nothing;
// then a run is stopped by a server shutdown mid-run (as SIGTERM does), the server starts again
// on the same data dir, the page lists the run as unfinished, and resuming it applies every row
// exactly once (the embedded sandbox keeps its ledger in the data dir across the restart).
func TestServeBrowserRestart(t *testing.T) {
	chrome := chromiumPath()
	if chrome == "" {
		t.Skip("no chromium binary (apt-get install chromium)")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	const pw = "browser test password"
	if err := web.AddUser(filepath.Join(data, "users"), "ulla", web.RoleUploader, pw); err != nil {
		t.Fatal(err)
	}
	var logBuf bytes.Buffer
	cio := &cmdIO{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &syncWriter{w: &logBuf}, getenv: func(string) string { return "" }}
	args := []string{"--addr", "127.0.0.1:0", "--data", data, "--sandbox", "--qps", "10", "--concurrency", "2"}
	sv, err := startServe(context.Background(), cio, serveOpts(t, args...))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { sv.Close() }()
	rows := browserRows()
	input := filepath.Join(dir, "restart.xlsx")
	writeOpsXLSX(t, input, rows, nil)
	shots := os.Getenv("SVBATCH_SCREENSHOTS")
	if shots == "" {
		shots = filepath.Join(dir, "shots")
	} else {
		shots = filepath.Join(shots, "restart")
	}
	os.MkdirAll(shots, 0o755)
	tb := newTab(t, chrome, shots, t.TempDir(), &logBuf)

	tb.login(sv.URL, "ulla", pw)
	tb.do("upload", chromedp.SetUploadFiles(chromedp.ID("upload-file"), []string{input}),
		chromedp.Click(chromedp.ID("upload-btn")), chromedp.WaitVisible(chromedp.ID("confirm-btn")))
	jobURL, err := chromedp.Run(tb.ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	jobPath := strings.TrimPrefix(jobURL, sv.URL)

	// A confirmation without its CSRF token is refused and sends nothing.
	tb.do("confirm without token", chromedp.Evaluate[chromedp.Void](`document.querySelector('#confirm-form input[name=csrf]').remove()`),
		chromedp.Click(chromedp.ID("confirm-btn")), chromedp.WaitVisible(chromedp.ID("error-title")))
	if body := tb.text("#error-title"); !strings.Contains(body, "CSRF") {
		t.Fatalf("confirm without the token answered %q; want a CSRF refusal", body)
	}
	tb.shot("csrf-refused")
	// An uploader's forged approval (with the right token) is refused as well.
	tb.do("forged approval", chromedp.Navigate(jobURL), chromedp.WaitVisible(chromedp.ID("confirm-btn")),
		chromedp.Evaluate[chromedp.Void](`(function(){var f=document.getElementById('confirm-form');f.action=f.action.replace(/confirm$/,'approve');f.submit();})()`),
		chromedp.WaitVisible(chromedp.ID("error-title")))
	tb.do("still valid", chromedp.Navigate(jobURL), chromedp.WaitVisible(chromedp.ID("confirm-btn")))
	if st := tb.text("#job-state"); sv.Sandbox.TotalRequests() != 0 || !strings.Contains(st, "valid") {
		t.Fatalf("after refused requests: state %q, %d gateway requests; want valid, 0", st, sv.Sandbox.TotalRequests())
	}

	// Run, and stop the server when some rows are sent.
	tb.do("confirm", chromedp.Click(chromedp.ID("confirm-btn")), chromedp.WaitVisible(chromedp.ID("run")),
		chromedp.Poll[chromedp.Void](`+document.getElementById("done").textContent >= 5`, chromedp.WithPollingTimeout(60*time.Second)))
	tb.shot("running-before-restart")
	if err := sv.Close(); err != nil {
		t.Fatalf("stopping the server: %v", err)
	}
	applied := len(sv.Sandbox.Operations())
	if applied == 0 || applied >= len(rows) {
		t.Fatalf("%d rows applied before the restart; want some, not all %d", applied, len(rows))
	}
	sv, err = startServe(context.Background(), cio, serveOpts(t, args...))
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	if n := len(sv.Sandbox.Operations()); n != applied {
		t.Fatalf("the sandbox's ledger after the restart has %d operations; want %d", n, applied)
	}

	// The new server lists the run as unfinished; resuming finishes it.
	tb.login(sv.URL, "ulla", pw)
	tb.do("unfinished listed", chromedp.WaitVisible(chromedp.ID("unfinished")))
	tb.shot("unfinished-after-restart")
	tb.do("resume", chromedp.Navigate(sv.URL+jobPath), chromedp.WaitVisible(chromedp.ID("resume-btn")),
		chromedp.Click(chromedp.ID("resume-btn")), chromedp.WaitVisible(chromedp.ID("run")),
		chromedp.Poll[chromedp.Void](`document.getElementById("pct").textContent === "100%"`, chromedp.WithPollingTimeout(90*time.Second)))
	if got, want := tb.text("#total"), fmt.Sprint(len(rows)-applied); got != want {
		t.Fatalf("the resumed run has %s rows to send; want %s (what the journal had not settled)", got, want)
	}
	tb.shot("resumed-100")
	tb.do("results", chromedp.Click(chromedp.ID("run-done-link")), chromedp.WaitVisible(chromedp.ID("results-download")))
	tb.shot("results-after-resume")
	ops := sv.Sandbox.Operations()
	seen := map[string]bool{}
	for _, o := range ops {
		if seen[o.RequestID] {
			t.Fatalf("request %s applied twice", o.RequestID)
		}
		seen[o.RequestID] = true
	}
	if len(ops) != len(rows) {
		t.Fatalf("%d operations applied in all; want %d, each row once", len(ops), len(rows))
	}
}
