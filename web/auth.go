package web

import (
	"bufio"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/crypto/bcrypt"
)

// Roles of the users file.
const (
	RoleUploader = "uploader" // uploads, maps, fixes and confirms files; starts runs without --approval
	RoleApprover = "approver" // approves another user's confirmed upload (maker-checker), which starts its run
	RoleViewer   = "viewer"   // reads pages and downloads; changes nothing
)

// ValidRole reports whether r is one of the roles.
func ValidRole(r string) bool { return r == RoleUploader || r == RoleApprover || r == RoleViewer }

// MinPasswordLen is the shortest password AddUser accepts.
const MinPasswordLen = 10

// bcryptCost is the work factor of new hashes (about 50-100 ms on the 2-core machine).
var bcryptCost = 11

// user is one line of the users file: "name role bcrypt-hash".
type user struct {
	Name, Role string
	hash       []byte
}

// Users are the accounts of the users file. Safe for concurrent use after LoadUsers.
type Users struct {
	byName map[string]user
}

// validName keeps user names to what reads well in the audit log and cannot break the file.
func validName(n string) bool {
	if n == "" || len(n) > 64 {
		return false
	}
	for _, r := range n {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._-@", r)) {
			return false
		}
	}
	return true
}

// LoadUsers reads the users file. A missing or empty file is an error: nobody could log in.
func LoadUsers(path string) (*Users, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("users file: %w (create it with 'svbatch serve adduser NAME --role uploader --users %s')", err, path)
	}
	defer f.Close()
	u := &Users{byName: map[string]user{}}
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		parts := strings.Fields(s)
		if len(parts) != 3 || !validName(parts[0]) || !ValidRole(parts[1]) || !strings.HasPrefix(parts[2], "$2") {
			return nil, fmt.Errorf("users file %s line %d: want 'name role bcrypt-hash'", path, line)
		}
		u.byName[parts[0]] = user{Name: parts[0], Role: parts[1], hash: []byte(parts[2])}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("users file %s: %w", path, err)
	}
	if len(u.byName) == 0 {
		return nil, fmt.Errorf("users file %s has no users (add one with 'svbatch serve adduser')", path)
	}
	return u, nil
}

// dummyHash is compared against when the user does not exist, so that a login takes as long
// for an unknown name as for a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("svbatch-no-such-user"), bcrypt.MinCost)

// check returns the user when name and password match.
func (u *Users) check(name, password string) (user, bool) {
	us, ok := u.byName[name]
	h := us.hash
	if !ok {
		h = dummyHash
	}
	if bcrypt.CompareHashAndPassword(h, []byte(password)) != nil || !ok {
		return user{}, false
	}
	return us, true
}

// AddUser adds name with role to the users file (created 0600), or replaces the line of an
// existing name: a new password or role. The password is hashed with bcrypt; it is never stored.
func AddUser(path, name, role, password string) error {
	switch {
	case !validName(name):
		return fmt.Errorf("user name %q: letters, digits and . _ - @ only, at most 64", name)
	case !ValidRole(role):
		return fmt.Errorf("role %q: want uploader, approver or viewer", role)
	case len([]rune(password)) < MinPasswordLen:
		return fmt.Errorf("password too short: at least %d characters", MinPasswordLen)
	case len(password) > 72:
		return errors.New("password too long: at most 72 bytes (bcrypt's limit)")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcryptCost)
	if err != nil {
		return fmt.Errorf("hashing the password: %w", err)
	}
	var lines []string
	if b, err := os.ReadFile(path); err == nil {
		for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
			if f := strings.Fields(l); len(f) > 0 && f[0] == name {
				continue
			}
			if l != "" {
				lines = append(lines, l)
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("users file: %w", err)
	}
	if len(lines) == 0 {
		lines = append(lines, "# svbatch serve users: name role bcrypt-hash (svbatch serve adduser)")
	}
	lines = append(lines, name+" "+role+" "+string(h))
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("users file: %w", err)
		}
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return fmt.Errorf("users file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("users file: %w", err)
	}
	return nil
}

func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// session is a logged-in user. Sessions live in memory: a restart of the server logs everybody out.
type session struct {
	User, Role string
	CSRF       string
	Expires    time.Time
}

// sessions maps the session cookie's value to its session. Safe for concurrent use.
type sessions struct {
	mu  sync.Mutex
	m   map[string]*session
	ttl time.Duration
	now func() time.Time
}

func (s *sessions) create(u user) (token string, se *session) {
	token = randomToken()
	se = &session{User: u.Name, Role: u.Role, CSRF: randomToken(), Expires: s.now().Add(s.ttl)}
	s.mu.Lock()
	s.m[token] = se
	s.mu.Unlock()
	return token, se
}

func (s *sessions) get(token string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	se := s.m[token]
	if se == nil {
		return nil
	}
	if s.now().After(se.Expires) {
		delete(s.m, token)
		return nil
	}
	se.Expires = s.now().Add(s.ttl) // sliding
	cp := *se
	return &cp
}

func (s *sessions) drop(token string) {
	s.mu.Lock()
	delete(s.m, token)
	s.mu.Unlock()
}

// limiter counts failed logins per key (a user name, a remote address) in a window; past max
// failures the key is refused until the window ends. Safe for concurrent use.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	now    func() time.Time
	fails  map[string][]time.Time
}

// blocked reports whether key has used up its attempts, and until when.
func (l *limiter) blocked(key string) (bool, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	ts := l.fails[key]
	for len(ts) > 0 && now.Sub(ts[0]) > l.window {
		ts = ts[1:]
	}
	l.fails[key] = ts
	if len(ts) >= l.max {
		return true, ts[0].Add(l.window)
	}
	return false, time.Time{}
}

func (l *limiter) fail(key string) {
	l.mu.Lock()
	l.fails[key] = append(l.fails[key], l.now())
	l.mu.Unlock()
}

func (l *limiter) reset(key string) {
	l.mu.Lock()
	delete(l.fails, key)
	l.mu.Unlock()
}

const (
	sessionCookie   = "svb_session"
	loginCookie     = "svb_login" // the login form's CSRF token (double submit), before any session
	langCookie      = "svb_lang"
	csrfField       = "csrf"
	sessionTTL      = 8 * time.Hour
	loginMaxFails   = 5  // per user name
	loginMaxFailsIP = 20 // per remote address (every user behind one proxy or on loopback shares it)
	loginFailsSpan  = 15 * time.Minute
)

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.cfg.SecureCookies, MaxAge: maxAge})
}

// currentSession is the request's session, or nil.
func (s *Server) currentSession(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	return s.sessions.get(c.Value)
}

// sameToken compares a submitted token with the expected one in constant time.
func sameToken(got, want string) bool {
	return want != "" && len(got) == len(want) && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// sameOrigin refuses a state-changing request another site's page sent: the browser's Origin
// (or Referer) must name this server. A request without either (curl, a test) relies on the
// CSRF token alone.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		o = r.Header.Get("Referer")
	}
	if o == "" || o == "null" {
		return o == ""
	}
	rest, ok := strings.CutPrefix(o, "http://")
	if !ok {
		rest, ok = strings.CutPrefix(o, "https://")
	}
	if !ok {
		return false
	}
	host, _, _ := strings.Cut(rest, "/")
	return host == r.Host
}
