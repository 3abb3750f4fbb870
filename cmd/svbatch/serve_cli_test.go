package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"svbatch/sandbox"
	"svbatch/web"
)

// pageClient is a minimal browser for the serve tests that need no rendering: a cookie jar and
// the CSRF token of the last page.
type pageClient struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

var pageCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (p *pageClient) read(resp *http.Response, err error) string {
	p.t.Helper()
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		p.t.Fatalf("%s %s: status %d: %.300s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, b)
	}
	if m := pageCSRF.FindSubmatch(b); m != nil {
		p.csrf = string(m[1])
	}
	return string(b)
}

func (p *pageClient) get(path string) string { return p.read(p.c.Get(p.base + path)) }

func (p *pageClient) post(path string, v url.Values) string {
	v.Set("csrf", p.csrf)
	return p.read(p.c.PostForm(p.base+path, v))
}

func (p *pageClient) upload(path, name string, content []byte) string {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", p.csrf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	return p.read(p.c.Post(p.base+path, mw.FormDataContentType(), &body))
}

// TestServeRunResumesFromCLI: a run started on the page and stopped there is resumed by 'svbatch
// run' on the job's file and journal, and 'svbatch status' reads the journal: the page and the
// command line share one journal format, and every row is applied once.
func TestServeRunResumesFromCLI(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	const pw = "cli test password"
	if err := web.AddUser(filepath.Join(data, "users"), "ulla", web.RoleUploader, pw); err != nil {
		t.Fatal(err)
	}
	cio := &cmdIO{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	sv, err := startServe(context.Background(), cio, serveOpts(t, "--addr", "127.0.0.1:0", "--data", data, "--sandbox", "--qps", "10", "--concurrency", "2"))
	if err != nil {
		t.Fatal(err)
	}
	defer sv.Close()
	jar, _ := cookiejar.New(nil)
	p := &pageClient{t: t, base: sv.URL, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	p.get("/login")
	p.post("/login", url.Values{"user": {"ulla"}, "password": {pw}, "next": {"/"}})
	var b strings.Builder
	b.WriteString("brand_id,shop_id,operator_id,outer_order_id,operate_type,change_value,mobile\n")
	for i := range 40 {
		fmt.Fprintf(&b, "B1,S1,op,C-%d,1,%d,1370000%04d\n", i, 200+i, i)
	}
	page := p.upload("/upload", "cli.csv", []byte(b.String()))
	m := regexp.MustCompile(`action="/jobs/([0-9a-f-]+)/confirm"`).FindStringSubmatch(page)
	sha := regexp.MustCompile(`name="sha" value="([0-9a-f]+)"`).FindStringSubmatch(page)
	if m == nil || sha == nil {
		t.Fatalf("no confirmation form on the page:\n%.2000s", page)
	}
	id := m[1]
	p.post("/jobs/"+id+"/confirm", url.Values{"sha": {sha[1]}})
	deadline := time.Now().Add(20 * time.Second)
	for len(sv.Sandbox.Operations()) < 5 {
		if time.Now().After(deadline) {
			t.Fatal("no rows sent within 20 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.post("/jobs/"+id+"/stop", url.Values{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := sv.Web.Wait(ctx, id); err != nil {
		t.Fatal(err)
	}
	sent := len(sv.Sandbox.Operations())
	if sent >= 40 {
		t.Fatalf("%d rows applied before the stop; want fewer than 40", sent)
	}

	// The command line resumes it on the same file and journal.
	jobDir := filepath.Join(data, "jobs", id)
	getenv := func(k string) string {
		if k == "SVBATCH_APP_SECRET" {
			return sandbox.DefaultSecret
		}
		return ""
	}
	var stderr bytes.Buffer
	err = run(context.Background(), []string{"run", filepath.Join(jobDir, "input.csv"), "--journal", filepath.Join(jobDir, "journal.db"),
		"--out", filepath.Join(dir, "cli.results.xlsx"), "--gateway", sv.Sandbox.URL(), "--app-key", sandbox.DefaultAppKey, "--yes", "--no-progress", "--qps", "0"},
		strings.NewReader(""), io.Discard, &stderr, getenv)
	if err != nil {
		t.Fatalf("svbatch run resuming the page's journal: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), fmt.Sprintf("Left to send: %d rows", 40-sent)) {
		t.Fatalf("the CLI's plan does not say %d rows are left:\n%s", 40-sent, stderr.String())
	}
	ops := sv.Sandbox.Operations()
	seen := map[string]bool{}
	for _, o := range ops {
		if seen[o.RequestID] {
			t.Fatalf("request %s applied twice", o.RequestID)
		}
		seen[o.RequestID] = true
	}
	if len(ops) != 40 {
		t.Fatalf("%d operations in all; want 40", len(ops))
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"status", filepath.Join(jobDir, "journal.db")}, strings.NewReader(""), &out, io.Discard, getenv); err != nil ||
		!strings.Contains(out.String(), "succeeded 40") {
		t.Fatalf("svbatch status: %v\n%s", err, out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "cli.results.xlsx")); err != nil {
		t.Fatal(err)
	}
}
