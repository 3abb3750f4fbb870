package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"svbatch/batch"
	"svbatch/client"
	"svbatch/dispatch"
	"svbatch/job"
	"svbatch/sandbox"
)

func init() { bcryptCost = bcrypt.MinCost } // tests hash many passwords

const testPassword = "correct horse battery"

// testEnv is a server over a fresh data dir, sending to an in-process sandbox.
type testEnv struct {
	t    *testing.T
	dir  string
	sb   *sandbox.Server
	srv  *Server
	ts   *httptest.Server
	cfg  Config
	auth *Users
}

func newEnv(t *testing.T, approval bool, qps float64) *testEnv {
	t.Helper()
	dir := t.TempDir()
	sb, err := sandbox.New(sandbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	u, err := sb.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	users := filepath.Join(dir, "users")
	for name, role := range map[string]string{"ulla": RoleUploader, "uwe": RoleUploader, "anna": RoleApprover, "arne": RoleApprover, "vera": RoleViewer} {
		if err := AddUser(users, name, role, testPassword); err != nil {
			t.Fatal(err)
		}
	}
	us, err := LoadUsers(users)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := client.New(client.WithGateway(u), client.WithAppKey(sandbox.DefaultAppKey), client.WithSecret(sandbox.DefaultSecret))
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{t: t, dir: filepath.Join(dir, "data"), sb: sb, auth: us}
	e.cfg = Config{DataDir: e.dir, Users: us, Approval: approval, Sender: cl, Gateway: u, AppKey: sandbox.DefaultAppKey,
		Dispatch: dispatch.Config{QPS: qps, Concurrency: 4, Policy: client.DefaultRetryPolicy()}, Version: "test"}
	e.start()
	return e
}

// start (re)starts the server over the same data dir.
func (e *testEnv) start() {
	e.t.Helper()
	srv, err := New(e.cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.srv = srv
	e.ts = httptest.NewServer(srv.Handler())
	e.t.Cleanup(func() { e.ts.Close(); srv.Close() })
}

// stop stops the server as a SIGTERM does: runs end as interrupted.
func (e *testEnv) stop() {
	e.srv.StopRuns()
	e.ts.Close()
	e.srv.Close()
}

// agent is one browser: a cookie jar, and the CSRF token of the last page it read.
type agent struct {
	e    *testEnv
	c    *http.Client
	csrf string
}

func (e *testEnv) agent() *agent {
	jar, _ := cookiejar.New(nil)
	return &agent{e: e, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (a *agent) get(path string) (int, string) {
	a.e.t.Helper()
	resp, err := a.c.Get(a.e.ts.URL + path)
	if err != nil {
		a.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfRe.FindSubmatch(b); m != nil {
		a.csrf = string(m[1])
	}
	return resp.StatusCode, string(b)
}

func (a *agent) getRaw(path string) *http.Response {
	a.e.t.Helper()
	resp, err := a.c.Get(a.e.ts.URL + path)
	if err != nil {
		a.e.t.Fatal(err)
	}
	return resp
}

func (a *agent) post(path string, v url.Values) (int, string) {
	a.e.t.Helper()
	resp, err := a.c.PostForm(a.e.ts.URL+path, v)
	if err != nil {
		a.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfRe.FindSubmatch(b); m != nil {
		a.csrf = string(m[1])
	}
	return resp.StatusCode, string(b)
}

// upload posts a file (and the CSRF token unless csrf is "-") as field "file".
func (a *agent) upload(path, name string, content []byte, csrf string, extra url.Values) (int, string, *url.URL) {
	a.e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if csrf != "-" {
		mw.WriteField("csrf", csrf)
	}
	for k, vs := range extra {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	resp, err := a.c.Post(a.e.ts.URL+path, mw.FormDataContentType(), &body)
	if err != nil {
		a.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfRe.FindSubmatch(b); m != nil {
		a.csrf = string(m[1])
	}
	return resp.StatusCode, string(b), resp.Request.URL
}

func (e *testEnv) login(name string) *agent {
	e.t.Helper()
	a := e.agent()
	a.get("/login")
	st, body := a.post("/login", url.Values{"csrf": {a.csrf}, "user": {name}, "password": {testPassword}, "next": {"/"}})
	if st != http.StatusOK || !strings.Contains(body, `id="who"`) {
		e.t.Fatalf("login %s: status %d; want the home page", name, st)
	}
	return a
}

func (e *testEnv) jobs() []*Job {
	e.t.Helper()
	js, err := e.srv.store.list()
	if err != nil {
		e.t.Fatal(err)
	}
	return js
}

func (e *testEnv) onlyJob() *Job {
	e.t.Helper()
	js := e.jobs()
	if len(js) != 1 {
		e.t.Fatalf("%d jobs; want 1", len(js))
	}
	return js[0]
}

func (e *testEnv) audit() []AuditEntry {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join(e.dir, "audit.jsonl"))
	if err != nil {
		e.t.Fatal(err)
	}
	var out []AuditEntry
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var a AuditEntry
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			e.t.Fatalf("audit line %q: %v", l, err)
		}
		out = append(out, a)
	}
	return out
}

func (e *testEnv) waitRun(id string) *Job {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := e.srv.Wait(ctx, id); err != nil {
		e.t.Fatalf("run of %s did not end: %v", id, err)
	}
	j, err := e.srv.store.get(id)
	if err != nil {
		e.t.Fatal(err)
	}
	return j
}

const header = "brand_id,shop_id,operator_id,outer_order_id,operate_type,change_value,mobile,reason\n"

// goodCSV has charges for three accounts and a freeze on the first.
var goodCSV = header +
	"B1,S1,op,O-1,1,10000,13800000001,charge\n" +
	"B1,S1,op,O-2,1,2550,13800000002,charge\n" +
	"B1,S1,op,O-3,1,70001,13800000003,charge\n" +
	"B1,S1,op,O-4,2,3000,13800000001,freeze\n"

// badCSV is goodCSV with two bad cells: an amount that is not whole fen, an operate_type unknown.
var badCSV = strings.Replace(strings.Replace(goodCSV, ",2550,", ",25.5,", 1), ",O-3,1,", ",O-3,topup,", 1)

var expectedCSV = "brand_id,operate_type,outer_order_id,new_outer_order_id,change_value,mobile\n" +
	"B1,1,O-1,,10000,13800000001\nB1,1,O-2,,2550,13800000002\nB1,1,O-3,,70001,13800000003\nB1,2,O-4,,3000,13800000001\n"

func TestServeNoSessionChangesNothing(t *testing.T) {
	e := newEnv(t, false, 0)
	a := e.agent()
	// A GET without a session goes to the login page.
	resp := a.getRaw("/")
	resp.Body.Close()
	if resp.Request.URL.Path != "/login" {
		t.Fatalf("GET / without a session ended at %s; want /login", resp.Request.URL.Path)
	}
	// A POST without a session is refused and creates nothing.
	st, _, _ := a.upload("/upload", "ops.csv", []byte(goodCSV), "anything", nil)
	if st != http.StatusUnauthorized {
		t.Fatalf("upload without a session: status %d; want 401", st)
	}
	if n := len(e.jobs()); n != 0 {
		t.Fatalf("%d jobs after an upload without a session; want 0", n)
	}
}

func TestServeCSRF(t *testing.T) {
	e := newEnv(t, false, 0)
	a := e.login("ulla")
	// No token, then a wrong one: refused, nothing stored.
	for _, tok := range []string{"-", "wrong" + a.csrf[5:]} {
		st, _, _ := a.upload("/upload", "ops.csv", []byte(goodCSV), tok, nil)
		if st != http.StatusForbidden {
			t.Fatalf("upload with csrf %q: status %d; want 403", tok, st)
		}
	}
	if n := len(e.jobs()); n != 0 {
		t.Fatalf("%d jobs after uploads without the CSRF token; want 0", n)
	}
	// Another user's token does not do either.
	b := e.login("uwe")
	if st, _, _ := a.upload("/upload", "ops.csv", []byte(goodCSV), b.csrf, nil); st != http.StatusForbidden {
		t.Fatalf("upload with another session's token: status %d; want 403", st)
	}
	// A cross-site Origin is refused even with the token.
	req, _ := http.NewRequest("POST", e.ts.URL+"/logout", strings.NewReader(url.Values{"csrf": {a.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := a.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin POST: status %d; want 403", resp.StatusCode)
	}
	// With its token the upload goes through; confirming without the token starts nothing.
	st, _, _ := a.upload("/upload", "ops.csv", []byte(goodCSV), a.csrf, nil)
	if st != http.StatusOK {
		t.Fatalf("upload with the token: status %d; want 200", st)
	}
	j := e.onlyJob()
	if j.State != StateValid {
		t.Fatalf("job state %s; want valid", j.State)
	}
	if st, _ := a.post("/jobs/"+j.ID+"/confirm", url.Values{"sha": {j.InputSHA}}); st != http.StatusForbidden {
		t.Fatalf("confirm without token: status %d; want 403", st)
	}
	if j2, _ := e.srv.store.get(j.ID); j2.State != StateValid || e.sb.TotalRequests() != 0 {
		t.Fatalf("after a confirm without token: state %s, %d requests to the gateway; want valid, 0", j2.State, e.sb.TotalRequests())
	}
	// The session cookie is HttpOnly and SameSite=Strict.
	a2 := e.agent()
	a2.get("/login")
	resp, err = a2.c.PostForm(e.ts.URL+"/login", url.Values{"csrf": {a2.csrf}, "user": {"ulla"}, "password": {testPassword}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var found bool
	for _, r := range []*http.Response{resp, resp.Request.Response} {
		if r == nil {
			continue
		}
		for _, c := range r.Cookies() {
			if c.Name == sessionCookie && c.Value != "" {
				found = true
				if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
					t.Fatalf("session cookie HttpOnly=%v SameSite=%v; want true, Strict", c.HttpOnly, c.SameSite)
				}
			}
		}
	}
	if !found {
		t.Fatal("no session cookie set on login")
	}
}

func TestServeLoginRateLimited(t *testing.T) {
	e := newEnv(t, false, 0)
	a := e.agent()
	for i := range loginMaxFails {
		a.get("/login")
		st, body := a.post("/login", url.Values{"csrf": {a.csrf}, "user": {"ulla"}, "password": {"wrong password " + fmt.Sprint(i)}})
		if st != http.StatusUnauthorized || !strings.Contains(body, msg("en", "login_wrong")) {
			t.Fatalf("wrong password %d: status %d; want 401", i, st)
		}
	}
	a.get("/login")
	st, _ := a.post("/login", url.Values{"csrf": {a.csrf}, "user": {"ulla"}, "password": {testPassword}})
	if st != http.StatusTooManyRequests {
		t.Fatalf("right password after %d failures: status %d; want 429", loginMaxFails, st)
	}
	// The login form's CSRF token is required too.
	b := e.agent()
	if st, _ := b.post("/login", url.Values{"user": {"uwe"}, "password": {testPassword}}); st != http.StatusForbidden {
		t.Fatalf("login without the form's token: status %d; want 403", st)
	}
	var fails int
	for _, en := range e.audit() {
		if en.Action == "login_failed" {
			fails++
			if strings.Contains(en.Detail, "wrong password") {
				t.Fatalf("the audit log holds a password: %+v", en)
			}
		}
	}
	if fails != loginMaxFails {
		t.Fatalf("%d login_failed audit lines; want %d", fails, loginMaxFails)
	}
}

func TestServeRoles(t *testing.T) {
	e := newEnv(t, true, 0)
	// A viewer cannot upload.
	v := e.login("vera")
	if st, _, _ := v.upload("/upload", "ops.csv", []byte(goodCSV), v.csrf, nil); st != http.StatusForbidden {
		t.Fatalf("viewer upload: status %d; want 403", st)
	}
	// An approver who uploads and confirms cannot approve their own batch.
	anna := e.login("anna")
	anna.upload("/upload", "ops.csv", []byte(goodCSV), anna.csrf, nil)
	j := e.onlyJob()
	anna.get("/jobs/" + j.ID)
	if st, _ := anna.post("/jobs/"+j.ID+"/confirm", url.Values{"csrf": {anna.csrf}, "sha": {j.InputSHA}}); st != http.StatusOK {
		t.Fatalf("confirm: status %d", st)
	}
	if j = e.onlyJob(); j.State != StateAwaiting {
		t.Fatalf("state after confirm with --approval: %s; want awaiting", j.State)
	}
	_, page := anna.get("/jobs/" + j.ID)
	if strings.Contains(page, `id="approve-btn"`) || !strings.Contains(page, `id="cannot-approve"`) {
		t.Fatal("the uploader's page offers to approve their own batch")
	}
	if st, _ := anna.post("/jobs/"+j.ID+"/approve", url.Values{"csrf": {anna.csrf}, "sha": {j.InputSHA}}); st != http.StatusForbidden {
		t.Fatalf("self-approval: status %d; want 403", st)
	}
	// An uploader and a viewer cannot approve at all.
	for _, name := range []string{"ulla", "vera"} {
		a := e.login(name)
		a.get("/jobs/" + j.ID)
		if st, _ := a.post("/jobs/"+j.ID+"/approve", url.Values{"csrf": {a.csrf}, "sha": {j.InputSHA}}); st != http.StatusForbidden {
			t.Fatalf("%s approves: status %d; want 403", name, st)
		}
	}
	if j2, _ := e.srv.store.get(j.ID); j2.State != StateAwaiting || e.sb.TotalRequests() != 0 {
		t.Fatalf("after refused approvals: state %s, %d gateway requests; want awaiting, 0", j2.State, e.sb.TotalRequests())
	}
	// Another approver approves: the run starts and ends.
	arne := e.login("arne")
	arne.get("/jobs/" + j.ID)
	if st, _ := arne.post("/jobs/"+j.ID+"/approve", url.Values{"csrf": {arne.csrf}, "sha": {j.InputSHA}}); st != http.StatusOK {
		t.Fatalf("approval by another approver: status %d", st)
	}
	j = e.waitRun(j.ID)
	if j.State != StateFinished || j.Approver != "arne" || j.Uploader != "anna" || j.Counts["succeeded"] != 4 {
		t.Fatalf("after approval: %+v; want finished, approved by arne, 4 succeeded", j)
	}
	var refused int
	for _, en := range e.audit() {
		if en.Action == "approve" && !en.OK {
			refused++
		}
	}
	if refused != 3 {
		t.Fatalf("%d refused approvals in the audit log; want 3", refused)
	}
}

// TestServeFlow is the whole flow over HTTP: bad file, errors workbook, corrected file, confirm,
// run, results, reconciliation; the sandbox's ledger is what the file implies, and the journal is
// the CLI's (job.Status reads it).
func TestServeFlow(t *testing.T) {
	e := newEnv(t, false, 0)
	a := e.login("ulla")
	st, page, _ := a.upload("/upload", "ops.csv", []byte(badCSV), a.csrf, nil)
	if st != http.StatusOK {
		t.Fatalf("upload: %d", st)
	}
	j := e.onlyJob()
	if j.State != StateInvalid || j.Problems != 2 {
		t.Fatalf("bad file: state %s, %d problems; want invalid, 2", j.State, j.Problems)
	}
	for _, want := range []string{"25.5", "topup", `class="cellerr"`} {
		if !strings.Contains(page, want) {
			t.Fatalf("validation page lacks %q", want)
		}
	}
	if n := strings.Count(page, `class="problem"`); n != 2 {
		t.Fatalf("%d problems listed; want 2", n)
	}
	resp := a.getRaw("/jobs/" + j.ID + "/errors.xlsx")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") ||
		resp.Header.Get("X-Content-Type-Options") != "nosniff" || !bytes.HasPrefix(b, []byte("PK")) {
		t.Fatalf("errors workbook: status %d, disposition %q, nosniff %q, %d bytes", resp.StatusCode,
			resp.Header.Get("Content-Disposition"), resp.Header.Get("X-Content-Type-Options"), len(b))
	}
	// The upload itself is stored 0600.
	fi, err := os.Stat(e.srv.store.path(j.ID, j.Input))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("stored upload: %v, mode %v; want 0600", err, fi.Mode())
	}
	a.get("/jobs/" + j.ID)
	a.upload("/jobs/"+j.ID+"/reupload", "ops-fixed.csv", []byte(goodCSV), a.csrf, nil)
	j = e.onlyJob()
	if j.State != StateValid || j.Versions != 2 {
		t.Fatalf("corrected file: state %s, version %d; want valid, 2", j.State, j.Versions)
	}
	_, page = a.get("/jobs/" + j.ID)
	for _, want := range []string{"82551", "825.51", "3000", "30.00", e.cfg.Gateway, msg("en", "journal_empty")} {
		if !strings.Contains(page, want) {
			t.Fatalf("confirmation page lacks %q", want)
		}
	}
	if strings.Contains(page, sandbox.DefaultSecret) {
		t.Fatal("the app secret is on a page")
	}
	a.post("/jobs/"+j.ID+"/confirm", url.Values{"csrf": {a.csrf}, "sha": {j.InputSHA}})
	j = e.waitRun(j.ID)
	if j.State != StateFinished || j.Counts["succeeded"] != 4 || j.Amounts["succeeded"] != 85551 {
		t.Fatalf("run: state %s, counts %v, amounts %v; want finished, 4 succeeded, 85551 fen", j.State, j.Counts, j.Amounts)
	}
	resp = a.getRaw("/jobs/" + j.ID + "/results.xlsx")
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.HasPrefix(b, []byte("PK")) || !strings.Contains(resp.Header.Get("Content-Disposition"), "ops-fixed.results.xlsx") {
		t.Fatalf("results: status %d, %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	// The journal is the CLI's.
	js, err := job.Status(e.srv.store.path(j.ID, journalName))
	if err != nil || js.Counts["succeeded"] != 4 {
		t.Fatalf("job.Status of the journal: %v, %v; want 4 succeeded", err, js)
	}
	// Reconcile against the expected ledger.
	_, page = a.get("/jobs/" + j.ID)
	a.upload("/jobs/"+j.ID+"/reconcile", "expected.csv", []byte(expectedCSV), a.csrf, url.Values{"unit": {"fen"}})
	_, page = a.get("/jobs/" + j.ID)
	if !strings.Contains(page, `data-matched="true"`) {
		t.Fatal("reconciliation verdict is not 'all matched'")
	}
	resp = a.getRaw("/jobs/" + j.ID + "/reconciliation.xlsx")
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("reconciliation workbook: %d", resp.StatusCode)
	}
	// Everything in the job's directory (the upload, the journal, the workbooks) is 0600.
	ents, _ := os.ReadDir(e.srv.store.jobDir(j.ID))
	for _, en := range ents {
		if fi, err := en.Info(); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: mode %v; want 0600", en.Name(), fi.Mode().Perm())
		}
	}
	// The ledger: mobile 1 has 10000 − 3000 available and 3000 frozen; the others their charges.
	want := map[string][2]int64{"13800000001": {7000, 3000}, "13800000002": {2550, 0}, "13800000003": {70001, 0}}
	bal := e.sb.Balances()
	if len(bal) != len(want) {
		t.Fatalf("%d sandbox accounts; want %d", len(bal), len(want))
	}
	for _, x := range bal {
		if w := want[x.Mobile]; x.Available != w[0] || x.Frozen != w[1] {
			t.Fatalf("sandbox account %s: available %d frozen %d; want %d, %d", x.Mobile, x.Available, x.Frozen, w[0], w[1])
		}
	}
	if n := len(e.sb.Operations()); n != 4 {
		t.Fatalf("%d operations applied; want 4", n)
	}
	// Every step is in the audit log.
	seen := map[string]bool{}
	for _, en := range e.audit() {
		seen[en.Action] = true
	}
	for _, act := range []string{"login", "upload", "confirm", "run", "run_finished", "download", "reconcile"} {
		if !seen[act] {
			t.Fatalf("no %q in the audit log", act)
		}
	}
	// The history lists the run with who did what.
	_, page = a.get("/history")
	if !strings.Contains(page, `data-job="`+j.ID+`"`) || !strings.Contains(page, "ulla") {
		t.Fatal("history lacks the run")
	}
}

func TestServeMappingRemembered(t *testing.T) {
	e := newEnv(t, false, 0)
	a := e.login("ulla")
	own := "Brand,门店编号,操作人ID,外部订单号,操作类型,金额,会员手机\nB1,S1,op,X-1,1,100,13900000001\n"
	a.upload("/upload", "erp.csv", []byte(own), a.csrf, nil)
	j := e.onlyJob()
	if j.State == StateValid {
		t.Fatal("a file with unknown brand and shop columns is valid before mapping")
	}
	st := e.srv.loadCheck(j)
	form := url.Values{"csrf": {a.csrf}, "header_row": {"1"}}
	for i, h := range st.Header {
		c, _ := batch.CanonicalHeader(h, nil)
		switch h {
		case "Brand":
			c = "brand_id"
		case "门店编号":
			c = "shop_id"
		case "会员手机":
			c = "mobile"
		}
		form.Set(fmt.Sprintf("col%d", i), c)
	}
	a.get("/jobs/" + j.ID)
	form.Set("csrf", a.csrf)
	a.post("/jobs/"+j.ID+"/map", form)
	j, _ = e.srv.store.get(j.ID)
	if j.State != StateValid {
		t.Fatalf("after mapping: state %s; want valid (%v)", j.State, e.srv.loadCheck(j).Error)
	}
	// The mapping downloads as --mapping YAML that reads back the same.
	resp := a.getRaw("/jobs/" + j.ID + "/mapping.yaml")
	y, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m, err := batch.ParseMapping(y)
	if err != nil || m.Columns["Brand"] != "brand_id" || m.Columns["门店编号"] != "shop_id" || m.Columns["会员手机"] != "mobile" {
		t.Fatalf("mapping.yaml %q: %v, %v", y, m, err)
	}
	// Saved by name, it applies to a file with other headers' order and an extra column.
	a.get("/jobs/" + j.ID)
	form.Set("csrf", a.csrf)
	form.Set("save_name", "erp")
	a.post("/jobs/"+j.ID+"/map", form)
	if y, err := os.ReadFile(filepath.Join(e.dir, "mappings", "named", "erp.yaml")); err != nil || !strings.Contains(string(y), `"门店编号": "shop_id"`) {
		t.Fatalf("named mapping: %v %q", err, y)
	}
	own3 := "Brand,门店编号,操作人ID,外部订单号,操作类型,金额,会员手机,备注\nB1,S1,op,X-3,1,300,13900000003,x\n"
	a.upload("/upload", "erp3.csv", []byte(own3), a.csrf, nil)
	j3 := e.jobs()[0]
	if j3.State == StateValid {
		t.Fatal("a file with other headers got a remembered mapping")
	}
	_, page := a.get("/jobs/" + j3.ID)
	if !strings.Contains(page, `<option value="erp">erp</option>`) {
		t.Fatal("the saved mapping is not offered")
	}
	a.post("/jobs/"+j3.ID+"/map", url.Values{"csrf": {a.csrf}, "apply": {"erp"}})
	if j3, _ = e.srv.store.get(j3.ID); j3.State != StateValid {
		t.Fatalf("after applying the saved mapping: %s (%s)", j3.State, e.srv.loadCheck(j3).Error)
	}
	// A second file with the same headers in another order is mapped at once.
	own2 := "会员手机,Brand,门店编号,操作人ID,外部订单号,操作类型,金额\n13900000002,B1,S1,op,X-2,1,200\n"
	a.upload("/upload", "erp2.csv", []byte(own2), a.csrf, nil)
	js := e.jobs()
	if len(js) != 3 || js[0].State != StateValid {
		t.Fatalf("second file with the same headers: state %s; want valid (remembered mapping)", js[0].State)
	}
}

// TestServeRestartResumes stops the server mid-run (as SIGTERM does), starts it again over the
// same data dir, and resumes: every row is applied exactly once.
func TestServeRestartResumes(t *testing.T) {
	e := newEnv(t, false, 20)
	var b strings.Builder
	b.WriteString(header)
	var total int64
	for i := range 40 {
		fmt.Fprintf(&b, "B1,S1,op,R-%d,1,%d,1380000%04d,\n", i, 100+i, i)
		total += int64(100 + i)
	}
	a := e.login("ulla")
	a.upload("/upload", "big.csv", []byte(b.String()), a.csrf, nil)
	j := e.onlyJob()
	a.get("/jobs/" + j.ID)
	a.post("/jobs/"+j.ID+"/confirm", url.Values{"csrf": {a.csrf}, "sha": {j.InputSHA}})
	// Wait until some rows went out, then stop the server.
	deadline := time.Now().Add(20 * time.Second)
	for len(e.sb.Operations()) < 5 {
		if time.Now().After(deadline) {
			t.Fatal("no rows sent within 20 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.stop()
	j, _ = e.srv.store.get(j.ID)
	sent := len(e.sb.Operations())
	if j.State != StateUnfinished || sent >= 40 {
		t.Fatalf("after the stop: state %s, %d applied; want unfinished, fewer than 40", j.State, sent)
	}
	e.start()
	a = e.login("ulla")
	_, page := a.get("/")
	if !strings.Contains(page, `id="unfinished"`) || !strings.Contains(page, j.ID) {
		t.Fatal("the home page does not list the unfinished run")
	}
	_, page = a.get("/jobs/" + j.ID)
	if !strings.Contains(page, `id="resume-btn"`) {
		t.Fatal("no resume button")
	}
	// The page says what the journal holds: the rows applied before the stop are done.
	if !strings.Contains(page, fmt.Sprintf(`<span id="j-done">%d</span>`, sent)) || !strings.Contains(page, fmt.Sprintf(`<strong id="j-left">%d</strong>`, 40-sent)) {
		t.Fatalf("the unfinished run's page does not say the journal holds %d done rows, %d left", sent, 40-sent)
	}
	a.post("/jobs/"+j.ID+"/resume", url.Values{"csrf": {a.csrf}})
	j = e.waitRun(j.ID)
	if j.State != StateFinished || j.Counts["succeeded"]+j.Counts["already_done"] != 40 {
		t.Fatalf("after resume: state %s, counts %v; want finished, 40 done", j.State, j.Counts)
	}
	ops := e.sb.Operations()
	seen := map[string]bool{}
	var sum int64
	for _, o := range ops {
		if seen[o.RequestID] {
			t.Fatalf("request %s applied twice", o.RequestID)
		}
		seen[o.RequestID] = true
		sum += o.ChangeValue
	}
	if len(ops) != 40 || sum != total {
		t.Fatalf("%d operations, %d fen; want 40, %d", len(ops), sum, total)
	}
}

func TestServeMessagesTranslated(t *testing.T) {
	for k, m := range messages {
		if m[0] == "" || m[1] == "" {
			t.Errorf("message %q lacks a translation", k)
		}
	}
	e := newEnv(t, false, 0)
	a := e.agent()
	req, _ := http.NewRequest("GET", e.ts.URL+"/login", nil)
	req.Header.Set("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8")
	resp, err := a.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "登录") || resp.Header.Get("Content-Security-Policy") == "" {
		t.Fatal("the login page for a Chinese browser is not in Chinese, or lacks a CSP")
	}
}

// TestServeEditorCannotApprove: an approver who uploaded a corrected version of someone else's
// file is one of its makers, and cannot be its checker.
func TestServeEditorCannotApprove(t *testing.T) {
	e := newEnv(t, true, 0)
	ulla := e.login("ulla")
	ulla.upload("/upload", "ops.csv", []byte(badCSV), ulla.csrf, nil)
	j := e.onlyJob()
	arne := e.login("arne")
	arne.get("/jobs/" + j.ID)
	arne.upload("/jobs/"+j.ID+"/reupload", "ops-fixed.csv", []byte(goodCSV), arne.csrf, nil)
	j = e.onlyJob()
	ulla.get("/jobs/" + j.ID)
	ulla.post("/jobs/"+j.ID+"/confirm", url.Values{"csrf": {ulla.csrf}, "sha": {j.InputSHA}})
	arne.get("/jobs/" + j.ID)
	if st, _ := arne.post("/jobs/"+j.ID+"/approve", url.Values{"csrf": {arne.csrf}, "sha": {j.InputSHA}}); st != http.StatusForbidden {
		t.Fatalf("approval by the approver who uploaded the corrected file: status %d; want 403", st)
	}
	anna := e.login("anna")
	anna.get("/jobs/" + j.ID)
	// An approval of another version of the file than the one shown is refused too.
	if st, _ := anna.post("/jobs/"+j.ID+"/approve", url.Values{"csrf": {anna.csrf}, "sha": {"0" + j.InputSHA[1:]}}); st != http.StatusConflict {
		t.Fatalf("approval naming another file version: status %d; want 409", st)
	}
	if st, _ := anna.post("/jobs/"+j.ID+"/approve", url.Values{"csrf": {anna.csrf}, "sha": {j.InputSHA}}); st != http.StatusOK {
		t.Fatalf("approval by a third person: status %d; want 200", st)
	}
	if j = e.waitRun(j.ID); j.State != StateFinished || j.Approver != "anna" {
		t.Fatalf("after approval: state %s, approver %s", j.State, j.Approver)
	}
}

// TestServeHeaderRow: a header below a title is found and shown; choosing another row reads the
// file from there, and choosing the same row again keeps it.
func TestServeHeaderRow(t *testing.T) {
	e := newEnv(t, false, 0)
	a := e.login("ulla")
	titled := "Charges for December\n\n" + goodCSV
	a.upload("/upload", "titled.csv", []byte(titled), a.csrf, nil)
	j := e.onlyJob()
	if st := e.srv.loadCheck(j); j.State != StateValid || st.HeadLine != 3 {
		t.Fatalf("titled file: state %s, header line %d; want valid, 3", j.State, st.HeadLine)
	}
	_, page := a.get("/jobs/" + j.ID)
	if !strings.Contains(page, `id="header-row" value="3"`) {
		t.Fatal("the page does not show the header row found")
	}
	// Row 4 (the first data row) as the header: the file no longer reads as operations.
	a.post("/jobs/"+j.ID+"/map", url.Values{"csrf": {a.csrf}, "header_row": {"4"}})
	j, _ = e.srv.store.get(j.ID)
	if st := e.srv.loadCheck(j); j.HeaderRow != 4 || j.State == StateValid || st.HeadLine != 4 {
		t.Fatalf("header row 4: chosen %d, state %s, line %d; want 4, not valid, 4", j.HeaderRow, j.State, st.HeadLine)
	}
	a.get("/jobs/" + j.ID)
	a.post("/jobs/"+j.ID+"/map", url.Values{"csrf": {a.csrf}, "header_row": {"4"}})
	if j, _ = e.srv.store.get(j.ID); j.HeaderRow != 4 {
		t.Fatalf("header row 4 submitted again: %d; want it kept", j.HeaderRow)
	}
	a.get("/jobs/" + j.ID)
	a.post("/jobs/"+j.ID+"/map", url.Values{"csrf": {a.csrf}, "header_row": {"3"}})
	if j, _ = e.srv.store.get(j.ID); j.HeaderRow != 3 || j.State != StateValid {
		t.Fatalf("back to row 3: %d, %s; want 3, valid", j.HeaderRow, j.State)
	}
}

func TestServeUploadLimits(t *testing.T) {
	e := newEnv(t, false, 0)
	e.srv.Close()
	e.cfg.MaxUpload = 1 << 20
	e.start()
	a := e.login("ulla")
	big := bytes.Repeat([]byte("B1,S1,op,O-1,1,100,13800000001,x\n"), (3<<20)/34)
	if st, _, _ := a.upload("/upload", "big.csv", append([]byte(header), big...), a.csrf, nil); st != http.StatusRequestEntityTooLarge {
		t.Fatalf("a 3 MiB upload with a 1 MiB limit: status %d; want 413", st)
	}
	if st, _, _ := a.upload("/upload", "page.html", []byte("<script>alert(1)</script>"), a.csrf, nil); st != http.StatusBadRequest {
		t.Fatalf("an .html upload: status %d; want 400", st)
	}
	if n := len(e.jobs()); n != 0 {
		t.Fatalf("%d jobs after refused uploads; want 0", n)
	}
	// A file named like a CSV that holds HTML is stored, refused as operations, and never served.
	a.upload("/upload", "evil.csv", []byte("<html><script>alert(1)</script></html>"), a.csrf, nil)
	j := e.onlyJob()
	_, page := a.get("/jobs/" + j.ID)
	if strings.Contains(page, "<script>alert") {
		t.Fatal("the upload's content reached the page unescaped")
	}
}

// TestServeStop: the stop button ends the run as interrupted (resumable); a viewer cannot stop it.
func TestServeStop(t *testing.T) {
	e := newEnv(t, false, 10)
	var b strings.Builder
	b.WriteString(header)
	for i := range 40 {
		fmt.Fprintf(&b, "B1,S1,op,T-%d,1,100,1380000%04d,\n", i, i)
	}
	a := e.login("ulla")
	a.upload("/upload", "stop.csv", []byte(b.String()), a.csrf, nil)
	j := e.onlyJob()
	a.get("/jobs/" + j.ID)
	a.post("/jobs/"+j.ID+"/confirm", url.Values{"csrf": {a.csrf}, "sha": {j.InputSHA}})
	v := e.login("vera")
	v.get("/jobs/" + j.ID)
	if st, _ := v.post("/jobs/"+j.ID+"/stop", url.Values{"csrf": {v.csrf}}); st != http.StatusForbidden {
		t.Fatalf("viewer stop: status %d; want 403", st)
	}
	if e.srv.active(j.ID) == nil {
		t.Fatal("the run ended before the stop (or the viewer stopped it)")
	}
	a.get("/jobs/" + j.ID)
	a.post("/jobs/"+j.ID+"/stop", url.Values{"csrf": {a.csrf}})
	j = e.waitRun(j.ID)
	if j.State != StateUnfinished || !strings.Contains(j.Outcome, "stopped by ulla") {
		t.Fatalf("after stop: state %s, outcome %q; want unfinished, stopped by ulla", j.State, j.Outcome)
	}
	if n := len(e.sb.Operations()); n >= 40 {
		t.Fatalf("%d rows applied despite the stop; want fewer than 40", n)
	}
}
