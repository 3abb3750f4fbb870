package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"svbatch/journal"
	"svbatch/sandbox"
	"svbatch/web"
)

// TestServeAdoptCLIRun: a run started with 'svbatch run' that left rows unknown (timeouts after
// applying, --max-attempts 1) and skipped is adopted with 'svbatch serve adopt'; its page shows
// what 'svbatch status' shows and its results; Resume on the page finishes it with the same
// journal, in place, and every operation is applied exactly once. An adoption or a resume while
// a run holds the journal is refused with a clear message; so is a second adoption of the same
// journal, and from the page a path outside --adopt-dir (or a symlink out of it).
func TestServeAdoptCLIRun(t *testing.T) {
	g := rtStart(t, sandbox.Config{Faults: sandbox.Faults{TimeoutRate: 0.3}, Seed: 7})
	dir := t.TempDir()
	adoptDir := filepath.Join(dir, "runs")
	if err := os.MkdirAll(adoptDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// One account: its rows go strictly in file order, so the seeded faults fall on the same rows
	// every time.
	ops := rtSimpleOps(10)
	for i := range ops {
		ops[i].customer = "C00"
	}
	in := rtWriteCSV(t, adoptDir, "tonight.csv", ops)
	journalPath := in + ".svbatch.db"

	// 1. The command line's run: a row unknown (applied, no answer), the account's later rows skipped.
	_, stderr, code := runCLI(t, g.env(), "run", in, "--yes", "--no-progress", "--qps", "0", "--concurrency", "1", "--max-attempts", "1")
	if code != 1 {
		t.Fatalf("CLI run: exit %d; want 1 (some rows unknown)\n%s", code, stderr)
	}
	res := rtReadResults(t, in+".results.xlsx")
	unknown := rtCount(res, "unknown")
	if unknown == 0 || rtCount(res, "succeeded") == 0 {
		t.Fatalf("CLI run: %d unknown, %d succeeded; want some of each (the seeded faults)", unknown, rtCount(res, "succeeded"))
	}
	t.Logf("CLI run: %d succeeded, %d unknown, %d skipped", rtCount(res, "succeeded"), unknown, rtCount(res, "skipped"))
	g.sb.SetFaults(sandbox.Faults{})

	data := filepath.Join(dir, "data")
	const pw = "adopt test password"
	if err := web.AddUser(filepath.Join(data, "users"), "ulla", web.RoleUploader, pw); err != nil {
		t.Fatal(err)
	}

	// 2. While a run holds the journal, adoption is refused (the test holds its lock, as a run would).
	held, err := journal.Open(journalPath)
	if err != nil {
		t.Fatal(err)
	}
	_, stderr, code = runCLI(t, nil, "serve", "adopt", in, "--data", data, "--as", "ulla")
	if code != exitUsage || !strings.Contains(stderr, "in use by another svbatch process") {
		t.Fatalf("adopt while the journal is held: exit %d; want 2 saying it is in use\n%s", code, stderr)
	}
	held.Close()

	// 3. Adopted.
	_, stderr, code = runCLI(t, nil, "serve", "adopt", in, "--data", data, "--as", "ulla")
	if code != 0 {
		t.Fatalf("adopt: exit %d\n%s", code, stderr)
	}
	m := regexp.MustCompile(`as job ([0-9a-f-]+) \(unfinished\)`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("adopt's message does not name an unfinished job:\n%s", stderr)
	}
	id := m[1]
	jobDir := filepath.Join(data, "jobs", id)
	if _, err := os.Stat(filepath.Join(jobDir, "journal.db")); !os.IsNotExist(err) {
		t.Fatalf("the job has a journal of its own (%v): the command line's must be used in place", err)
	}
	if fi, err := os.Stat(filepath.Join(jobDir, "input.csv")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the job's copy of the input: %v %v; want 0600", fi, err)
	}
	// A second adoption of the same journal is refused.
	if _, stderr, code = runCLI(t, nil, "serve", "adopt", in, "--data", data, "--as", "ulla"); code != exitUsage || !strings.Contains(stderr, "already job "+id) {
		t.Fatalf("second adoption: exit %d; want 2 naming job %s\n%s", code, id, stderr)
	}

	// 4. The page, on a server sending to the same gateway.
	env := g.env()
	cio := &cmdIO{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string { return env[k] }}
	sv, err := startServe(context.Background(), cio, serveOpts(t, "--addr", "127.0.0.1:0", "--data", data, "--gateway", g.url,
		"--app-key", sandbox.DefaultAppKey, "--qps", "0", "--concurrency", "2", "--adopt-dir", adoptDir))
	if err != nil {
		t.Fatal(err)
	}
	defer sv.Close()
	jar, _ := cookiejar.New(nil)
	p := &pageClient{t: t, base: sv.URL, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	p.get("/login")
	p.post("/login", url.Values{"user": {"ulla"}, "password": {pw}, "next": {"/"}})
	if home := p.get("/"); !strings.Contains(home, "/jobs/"+id) || !strings.Contains(home, `id="adopt-form"`) {
		t.Fatalf("home page: no adopted job %s or no adopt form:\n%.2000s", id, home)
	}
	page := p.get("/jobs/" + id)
	for _, want := range []string{`id="journal-status"`, `data-jstate="unknown"`, `class="jattention"`, `class="jrun"`, "concurrency=1", `id="results-download"`,
		`id="resume-btn"`, `id="cli-command"`, "--journal " + journalPath, `id="j-left"`} {
		if !strings.Contains(page, want) {
			t.Fatalf("adopted job's page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, sandbox.DefaultSecret) {
		t.Fatal("the app secret is on the page")
	}
	resp, err := p.c.Get(sv.URL + "/jobs/" + id + "/results.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(string(b), "PK") || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("results download: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}

	// 5. Resume while the command line holds the journal: refused, saying so, nothing sent.
	before := len(g.sb.Operations())
	held, err = journal.Open(journalPath)
	if err != nil {
		t.Fatal(err)
	}
	if busy := p.get("/jobs/" + id); !strings.Contains(busy, `id="journal-busy"`) {
		t.Fatalf("the page does not say the journal is in use:\n%s", busy)
	}
	resp, err = p.c.PostForm(sv.URL+"/jobs/"+id+"/resume", url.Values{"csrf": {p.csrf}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict || !strings.Contains(string(b), "in use") {
		t.Fatalf("resume while the journal is held: %d; want 409 saying it is in use:\n%s", resp.StatusCode, b)
	}
	held.Close()
	if n := len(g.sb.Operations()); n != before {
		t.Fatalf("%d operations applied by a refused resume", n-before)
	}

	// 6. Resume from the page finishes it: each operation applied exactly once.
	p.post("/jobs/"+id+"/resume", url.Values{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := sv.Web.Wait(ctx, id); err != nil {
		t.Fatal(err)
	}
	var j web.Job
	jb, _ := os.ReadFile(filepath.Join(jobDir, "job.json"))
	if err := json.Unmarshal(jb, &j); err != nil {
		t.Fatal(err)
	}
	if j.State != web.StateFinished || j.Counts["succeeded"]+j.Counts["already_done"] != len(ops) {
		t.Fatalf("after the page's resume: state %s, counts %v; want finished, all %d done", j.State, j.Counts, len(ops))
	}
	byID := g.opsByRequest()
	if len(byID) != len(ops) {
		t.Fatalf("%d distinct operations applied; want %d", len(byID), len(ops))
	}
	for rid, n := range byID {
		if n != 1 {
			t.Fatalf("request %s applied %d times", rid, n)
		}
	}
	if out, _, code := runCLI(t, nil, "status", journalPath); code != 0 || !strings.Contains(out, "Nothing needs attention") {
		t.Fatalf("svbatch status after the page's resume: exit %d\n%s", code, out)
	}
	if page := p.get("/jobs/" + id); !strings.Contains(page, `data-jstate="succeeded"`) || strings.Contains(page, `class="jattention"`) {
		t.Fatalf("the finished job's page:\n%s", page)
	}

	// 7. The adopt form: only paths inside --adopt-dir, symlinks resolved.
	outside := t.TempDir()
	other := rtWriteCSV(t, outside, "other.csv", rtSimpleOps(1))
	if err := os.Symlink(other, filepath.Join(adoptDir, "link.csv")); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{other, filepath.Join(adoptDir, "link.csv"), filepath.Join(adoptDir, "..", "..", filepath.Base(outside), "other.csv")} {
		resp, err := p.c.PostForm(sv.URL+"/adopt", url.Values{"csrf": {p.csrf}, "input": {path}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "outside the adopt dir") {
			t.Fatalf("adopt %s from the page: %d; want 400, outside the adopt dir:\n%s", path, resp.StatusCode, b)
		}
	}
	// Inside it, the same journal again: refused as already adopted.
	resp, err = p.c.PostForm(sv.URL+"/adopt", url.Values{"csrf": {p.csrf}, "input": {"tonight.csv"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict || !strings.Contains(string(b), "already job") {
		t.Fatalf("adopting the same journal from the page: %d:\n%s", resp.StatusCode, b)
	}

	audit, _ := os.ReadFile(filepath.Join(data, "audit.jsonl"))
	if !strings.Contains(string(audit), `"action":"adopt","job":"`+id+`","remote":"cli","ok":true`) || !strings.Contains(string(audit), journalPath) {
		t.Fatalf("the audit log does not record the adoption with its journal:\n%s", audit)
	}
}

// TestServeAdoptReading: a run read through a --mapping, in yuan, with ';' as delimiter and an id
// namespace, stopped by a long ban, is adopted with the reading its journal recorded and resumed
// on the page (no --mapping needed): every row applied once, with the amounts the file means.
// A file changed since the run (a sent row's amount edited) is refused, and so is another file
// than the journal's runs read.
func TestServeAdoptReading(t *testing.T) {
	g := rtStart(t, sandbox.Config{})
	g.banSecs = 600
	g.banFrom.Store(3)
	dir := t.TempDir()
	mapping := filepath.Join(dir, "erp.yaml")
	const mapText = "Order No: outer_order_id\nType: operate_type\nAmount (CNY): change_value\nMember No: customer_id\nStore: shop_id\nconstants:\n  brand_id: \"1332\"\n  operator_id: erp\n"
	if err := os.WriteFile(mapping, []byte(mapText), 0o644); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "erp.csv")
	var b strings.Builder
	b.WriteString("Order No;Type;Amount (CNY);Member No;Store\n")
	const rows = 8
	for i := range rows {
		b.WriteString("E-" + string(rune('a'+i)) + ";charge;1" + string(rune('0'+i)) + ".50;M" + string(rune('0'+i%3)) + ";S1\n")
	}
	if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"run", in, "--mapping", mapping, "--amount-unit", "yuan", "--id-namespace", "erp", "--yes", "--no-progress", "--qps", "0", "--concurrency", "1", "--max-ban-wait", "1s"}
	if _, stderr, code := runCLI(t, g.env(), args...); code != exitInterrupted {
		t.Fatalf("CLI run: exit %d; want 3 (a long ban)\n%s", code, stderr)
	}
	g.banFrom.Store(0)
	data := filepath.Join(dir, "data")
	const pw = "adopt reading password"
	if err := web.AddUser(filepath.Join(data, "users"), "ulla", web.RoleUploader, pw); err != nil {
		t.Fatal(err)
	}
	if err := web.AddUser(filepath.Join(data, "users"), "anna", web.RoleApprover, pw); err != nil {
		t.Fatal(err)
	}

	// Another file than the runs read: refused.
	other := filepath.Join(dir, "other.csv")
	orig, _ := os.ReadFile(in)
	os.WriteFile(other, orig, 0o644)
	if _, stderr, code := runCLI(t, nil, "serve", "adopt", other, "--journal", in+".svbatch.db", "--data", data, "--as", "ulla"); code != exitUsage || !strings.Contains(stderr, "not "+other) {
		t.Fatalf("adopting another file: exit %d\n%s", code, stderr)
	}
	// The file changed since the run (every amount, so the rows sent too, now .75 yuan more): refused.
	os.WriteFile(in, []byte(strings.ReplaceAll(string(orig), ".50;", ".75;")), 0o644)
	if _, stderr, code := runCLI(t, nil, "serve", "adopt", in, "--data", data, "--as", "ulla"); code != exitUsage || !strings.Contains(stderr, "changed since") {
		t.Fatalf("adopting a changed file: exit %d\n%s", code, stderr)
	}
	os.WriteFile(in, orig, 0o644)
	_, stderr, code := runCLI(t, nil, "serve", "adopt", in, "--data", data, "--as", "ulla")
	m := regexp.MustCompile(`as job ([0-9a-f-]+) \(unfinished\)`).FindStringSubmatch(stderr)
	if code != 0 || m == nil {
		t.Fatalf("adopt: exit %d\n%s", code, stderr)
	}
	id := m[1]

	env := g.env()
	cio := &cmdIO{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string { return env[k] }}
	sv, err := startServe(context.Background(), cio, serveOpts(t, "--addr", "127.0.0.1:0", "--data", data, "--gateway", g.url,
		"--app-key", sandbox.DefaultAppKey, "--qps", "0", "--approval"))
	if err != nil {
		t.Fatal(err)
	}
	defer sv.Close()
	login := func(user string) *pageClient {
		jar, _ := cookiejar.New(nil)
		p := &pageClient{t: t, base: sv.URL, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
		p.get("/login")
		p.post("/login", url.Values{"user": {user}, "password": {pw}, "next": {"/"}})
		return p
	}
	u := login("ulla")
	if home := u.get("/"); strings.Contains(home, `id="adopt-form"`) {
		t.Fatal("the adopt form is on the page without --adopt-dir")
	}
	// With --approval, the one who adopted it cannot resume it (that would approve it): refused.
	if page := u.get("/jobs/" + id); strings.Contains(page, `id="resume-btn"`) {
		t.Fatal("the adopter is offered Resume under --approval")
	}
	resp, err := u.c.PostForm(sv.URL+"/jobs/"+id+"/resume", url.Values{"csrf": {u.csrf}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("the adopter's resume under --approval: %d; want 403", resp.StatusCode)
	}
	// An approver resumes it, which approves it.
	p := login("anna")
	page := p.get("/jobs/" + id)
	if !strings.Contains(page, "read.mapping=") || !strings.Contains(page, "id_namespace=erp") || !strings.Contains(page, `id="resume-btn"`) {
		t.Fatalf("adopted job's page:\n%s", page)
	}
	p.post("/jobs/"+id+"/resume", url.Values{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := sv.Web.Wait(ctx, id); err != nil {
		t.Fatal(err)
	}
	if page := p.get("/jobs/" + id); !strings.Contains(page, `data-state="finished"`) || !strings.Contains(page, "Approved by anna") {
		t.Fatalf("after the resume:\n%s", page)
	}
	var total int64
	byID := map[string]int{}
	for _, o := range g.sb.Operations() {
		byID[o.RequestID]++
		total += o.ChangeValue
	}
	var want int64
	for i := range rows {
		want += int64(1000 + 100*i + 50)
	}
	if len(byID) != rows || total != want {
		t.Fatalf("%d distinct operations, %d fen in all; want %d, %d fen", len(byID), total, rows, want)
	}
	for rid, n := range byID {
		if n != 1 {
			t.Fatalf("request %s applied %d times", rid, n)
		}
	}
}
