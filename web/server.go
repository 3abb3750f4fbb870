// Package web is `svbatch serve`: the finance team's own pages over the same engine and journal
// as the command line (job.Prepare, job.Run, the journal format, the workbooks). Pages are
// rendered on the server with html/template; templates and assets are embedded, so the binary
// needs no internet access and no files beside it.
//
// Security: sessions in HttpOnly SameSite=Strict cookies, a CSRF token on every state-changing
// request (and the browser's Origin checked), login attempts rate-limited, uploads stored 0600
// and only ever served back as attachments, the app secret never rendered (the Sender holds it),
// and every login, upload, approval, run and download in an append-only audit log.
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"svbatch/dispatch"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config is what the server needs. The Sender holds the gateway's credentials: nothing here is
// secret, and everything here may be shown on a page.
type Config struct {
	DataDir  string // jobs, uploads, journals, outputs, remembered mappings, the audit log
	Users    *Users
	Approval bool // a second user with role approver must approve before anything is sent

	Sender   dispatch.Sender
	Gateway  string // shown on the confirmation page
	AppKey   string
	Dispatch dispatch.Config // rate, concurrency, retry policy (OnRow and Monitor are set per run)
	// Params are the run's parameters for the results' Summary sheet, JournalParams as the
	// journal records them (as `svbatch run` passes them); never a secret.
	Params        [][2]string
	JournalParams map[string]string
	IDNamespace   string
	Version       string

	// AdoptDir, when set, lets an uploader adopt a command-line run from the page by its path on
	// the server: only files inside it (symlinks resolved) are accepted. "" = adoption only by
	// 'svbatch serve adopt'.
	AdoptDir string

	MaxUpload     int64 // bytes; 0 = DefaultMaxUpload
	SecureCookies bool  // cookies only over HTTPS (set when serving TLS)
	Log           *slog.Logger
	Now           func() time.Time
}

// DefaultMaxUpload is the largest file an upload may be.
const DefaultMaxUpload = 64 << 20

// Server serves the pages. Create it with New, serve Handler, and Close it to stop the runs it
// started (they end as interrupted, resumable) and wait for them.
type Server struct {
	cfg      Config
	store    *store
	audit    *audit
	sessions *sessions
	logins   *limiter // failed logins per user name
	loginsIP *limiter // … per remote address
	pages    map[string]*template.Template
	handler  http.Handler

	lmu      sync.Mutex
	jobLocks map[string]*sync.Mutex // one per job: its state changes one at a time

	runCtx    context.Context
	runCancel context.CancelFunc
	mu        sync.Mutex
	runs      map[string]*activeRun
	wg        sync.WaitGroup
}

// New opens the data dir (created 0700) and its audit log. Jobs that were running when a server
// last stopped are marked unfinished: their page offers to resume them from the journal.
func New(cfg Config) (*Server, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("web: no data dir")
	}
	if cfg.Users == nil {
		return nil, errors.New("web: no users")
	}
	if cfg.Sender == nil {
		return nil, errors.New("web: no sender")
	}
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = DefaultMaxUpload
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	st, err := newStore(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	au, err := openAudit(filepath.Join(cfg.DataDir, "audit.jsonl"))
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, store: st, audit: au, runs: map[string]*activeRun{}, jobLocks: map[string]*sync.Mutex{},
		sessions: &sessions{m: map[string]*session{}, ttl: sessionTTL, now: cfg.Now},
		logins:   &limiter{max: loginMaxFails, window: loginFailsSpan, now: cfg.Now, fails: map[string][]time.Time{}},
		loginsIP: &limiter{max: loginMaxFailsIP, window: loginFailsSpan, now: cfg.Now, fails: map[string][]time.Time{}},
	}
	if s.pages, err = parsePages(); err != nil {
		au.close()
		return nil, err
	}
	s.runCtx, s.runCancel = context.WithCancel(context.Background())
	if err := s.recover(); err != nil {
		au.close()
		return nil, err
	}
	s.handler = s.routes()
	return s, nil
}

// recover marks jobs a stopped server left running as unfinished.
func (s *Server) recover() error {
	jobs, err := s.store.list()
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if j.State == StateRunning {
			j.State, j.Outcome = StateUnfinished, "interrupted: the server stopped during the run"
			if err := s.store.save(j); err != nil {
				return err
			}
		}
	}
	return nil
}

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// StopRuns stops every run (each ends as interrupted, its journal and results written) and
// waits for them; no run starts after it.
func (s *Server) StopRuns() {
	s.mu.Lock()
	s.runCancel()
	s.mu.Unlock()
	s.wg.Wait()
}

// Close stops the runs (StopRuns) and closes the audit log.
func (s *Server) Close() error {
	s.StopRuns()
	return s.audit.close()
}

func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{"yuan": yuanText, "dict": func(p *page, jobs []*Job) jobsData { return jobsData{P: p, Jobs: jobs} }}
	pages := map[string]*template.Template{}
	for _, p := range []string{"login", "home", "job", "history", "error"} {
		t, err := template.New(p).Funcs(funcs).ParseFS(templateFS, "templates/base.html", "templates/"+p+".html")
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", p, err)
		}
		pages[p] = t
	}
	return pages, nil
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("GET /lang", s.setLang)
	mux.HandleFunc("POST /logout", s.authed(s.logout))
	mux.HandleFunc("GET /{$}", s.authed(s.home))
	mux.HandleFunc("GET /history", s.authed(s.history))
	mux.HandleFunc("POST /upload", s.authed(s.upload))
	mux.HandleFunc("POST /adopt", s.authed(s.adoptForm))
	mux.HandleFunc("GET /jobs/{id}", s.authed(s.jobPage))
	mux.HandleFunc("POST /jobs/{id}/map", s.authed(s.mapColumns))
	mux.HandleFunc("POST /jobs/{id}/reupload", s.authed(s.reupload))
	mux.HandleFunc("GET /jobs/{id}/errors.xlsx", s.authed(s.errorsWorkbook))
	mux.HandleFunc("GET /jobs/{id}/mapping.yaml", s.authed(s.mappingFile))
	mux.HandleFunc("POST /jobs/{id}/confirm", s.authed(s.confirm))
	mux.HandleFunc("POST /jobs/{id}/approve", s.authed(s.approve))
	mux.HandleFunc("POST /jobs/{id}/resume", s.authed(s.resume))
	mux.HandleFunc("POST /jobs/{id}/stop", s.authed(s.stop))
	mux.HandleFunc("GET /jobs/{id}/events", s.authed(s.events))
	mux.HandleFunc("GET /jobs/{id}/results.xlsx", s.authed(s.resultsWorkbook))
	mux.HandleFunc("POST /jobs/{id}/reconcile", s.authed(s.reconcile))
	mux.HandleFunc("GET /jobs/{id}/reconciliation.xlsx", s.authed(s.reconciliationWorkbook))
	return s.secure(mux)
}

// secure sets the headers every answer carries, and refuses a state-changing request sent from
// another site's page.
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		if s.cfg.SecureCookies {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !sameOrigin(r) {
			http.Error(w, "cross-site request refused", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authed requires a session; for anything but GET it also requires the session's CSRF token in
// the form field csrf (or the X-CSRF-Token header). Without a session a GET is sent to the login
// page; anything else is refused and changes nothing.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		se := s.currentSession(r)
		if se == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			http.Error(w, "not logged in", http.StatusUnauthorized)
			return
		}
		if r.Method != http.MethodGet {
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload+1<<20)
			tok := r.Header.Get("X-CSRF-Token")
			if tok == "" {
				var err error
				if tok, err = csrfFromForm(r); err != nil {
					var mb *http.MaxBytesError
					if errors.As(err, &mb) {
						s.fail(w, r, se, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("%d MiB", s.cfg.MaxUpload>>20))
						return
					}
				}
			}
			if !sameToken(tok, se.CSRF) {
				s.audit.log(AuditEntry{User: se.User, Action: "csrf_refused", Remote: remote(r), Detail: r.Method + " " + r.URL.Path})
				s.fail(w, r, se, http.StatusForbidden, "csrf_refused", "")
				return
			}
		}
		h(w, r, se)
	}
}

// csrfFromForm reads the csrf field of a urlencoded or multipart form.
func csrfFromForm(r *http.Request) (string, error) {
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		err = r.ParseMultipartForm(8 << 20)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		return "", err
	}
	return r.PostFormValue(csrfField), nil
}

func remote(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// page is what every template gets.
type page struct {
	Lang    string
	Path    string
	User    string
	Role    string
	CSRF    string
	Title   string
	Flash   string
	Error   string
	Data    any
	Version string
}

// T is the message key in the page's language.
func (p *page) T(key string) string { return msg(p.Lang, key) }

func (s *Server) render(w http.ResponseWriter, r *http.Request, se *session, name string, status int, p *page) {
	p.Lang, p.Path, p.Version = langOf(r), r.URL.RequestURI(), s.cfg.Version
	if se != nil {
		p.User, p.Role, p.CSRF = se.User, se.Role, se.CSRF
	}
	var b strings.Builder
	if err := s.pages[name].ExecuteTemplate(&b, "base", p); err != nil {
		s.cfg.Log.Error("render", "page", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// fail renders the error page with a message in the user's language (key) and a detail.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, se *session, status int, key, detail string) {
	s.render(w, r, se, "error", status, &page{Title: msg(langOf(r), key), Error: detail})
}

func (s *Server) setLang(w http.ResponseWriter, r *http.Request) {
	l := r.URL.Query().Get("to")
	if l != "zh" && l != "en" {
		l = "en"
	}
	s.setCookie(w, langCookie, l, 365*24*3600)
	back := r.URL.Query().Get("back")
	if !localPath(back) {
		back = "/"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// localPath accepts only a path on this server (no scheme, no host, no //evil.example).
func localPath(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "/\\") && !strings.ContainsAny(p, "\r\n")
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	tok := randomToken()
	s.setCookie(w, loginCookie, tok, 3600)
	next := r.URL.Query().Get("next")
	if !localPath(next) {
		next = "/"
	}
	s.render(w, r, nil, "login", http.StatusOK, &page{Title: msg(langOf(r), "login"), CSRF: tok, Data: next})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	c, err := r.Cookie(loginCookie)
	if err != nil || !sameToken(r.FormValue(csrfField), c.Value) {
		http.Error(w, "missing or wrong CSRF token: reload the login page", http.StatusForbidden)
		return
	}
	name, pw := strings.TrimSpace(r.FormValue("user")), r.FormValue("password")
	next := r.FormValue("next")
	if !localPath(next) {
		next = "/"
	}
	ip := remote(r)
	lang := langOf(r)
	relogin := func(status int, key string) {
		tok := randomToken()
		s.setCookie(w, loginCookie, tok, 3600)
		s.render(w, r, nil, "login", status, &page{Title: msg(lang, "login"), CSRF: tok, Data: next, Error: msg(lang, key)})
	}
	if b1, _ := s.logins.blocked("user:" + name); b1 {
		s.audit.log(AuditEntry{User: name, Action: "login_refused", Remote: ip, Detail: "too many failed attempts"})
		relogin(http.StatusTooManyRequests, "login_blocked")
		return
	}
	if b2, _ := s.loginsIP.blocked(ip); b2 {
		s.audit.log(AuditEntry{User: name, Action: "login_refused", Remote: ip, Detail: "too many failed attempts from this address"})
		relogin(http.StatusTooManyRequests, "login_blocked")
		return
	}
	u, ok := s.cfg.Users.check(name, pw)
	if !ok {
		s.logins.fail("user:" + name)
		s.loginsIP.fail(ip)
		s.audit.log(AuditEntry{User: name, Action: "login_failed", Remote: ip})
		relogin(http.StatusUnauthorized, "login_wrong")
		return
	}
	s.logins.reset("user:" + name)
	token, _ := s.sessions.create(u)
	s.setCookie(w, sessionCookie, token, int(sessionTTL.Seconds()))
	s.setCookie(w, loginCookie, "", -1)
	s.audit.log(AuditEntry{User: u.Name, Action: "login", Remote: ip, OK: true, Detail: "role " + u.Role})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, se *session) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.drop(c.Value)
	}
	s.setCookie(w, sessionCookie, "", -1)
	s.audit.log(AuditEntry{User: se.User, Action: "logout", Remote: remote(r), OK: true})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// S is a job state in the page's language.
func (p *page) S(state string) string { return stateText(p.Lang, state) }

// OtherLang is the language the switch offers.
func (p *page) OtherLang() string {
	if p.Lang == "zh" {
		return "en"
	}
	return "zh"
}

// jobsData is what the "jobs" table template gets.
type jobsData struct {
	P    *page
	Jobs []*Job
}

// lockJob serializes the changes of job id's state (two approvers clicking at once, a run ending
// while someone reconciles): call the returned func to unlock.
func (s *Server) lockJob(id string) func() {
	s.lmu.Lock()
	m := s.jobLocks[id]
	if m == nil {
		m = &sync.Mutex{}
		s.jobLocks[id] = m
	}
	s.lmu.Unlock()
	m.Lock()
	return m.Unlock
}
