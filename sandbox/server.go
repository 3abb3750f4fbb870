package sandbox

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"svbatch"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"svbatch/client"
)

// gmt8 is TOP's timestamp zone.
var gmt8 = svbatch.GMT8

// timestampLayout is TOP's timestamp format (yyyy-MM-dd HH:mm:ss, GMT+8).
const timestampLayout = "2006-01-02 15:04:05"

// maxBody bounds a request's body.
const maxBody = 1 << 20

// Server is the sandbox gateway. It is safe for concurrent use: ledger changes are serialized under
// one mutex, and with a DBPath each is committed to SQLite (state and idempotency record in one
// transaction) before memory changes and before it is answered.
type Server struct {
	cfg Config

	mu  sync.Mutex // guards led and st writes
	led *ledger
	st  *store // nil in memory mode

	limiter  *rate.Limiter // nil without QPSLimit
	banMu    sync.Mutex
	banUntil time.Time

	faultMu sync.Mutex
	faults  Faults
	rng     *rand.Rand // write faults
	readRng *rand.Rand // read faults: a source of their own, so reads do not shift the writes' draws

	tracePrefix string
	traceSeq    atomic.Uint64

	handler http.Handler
	http    *http.Server
	connMu  sync.Mutex
	fresh   map[net.Conn]struct{} // connections that have not sent a request yet
	closing chan struct{}
	once    sync.Once
	closeMu sync.Mutex
	closed  bool
	url     string
}

// New builds a sandbox from cfg, loading the ledger from cfg.DBPath when set. Close releases it.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:         cfg,
		led:         newLedger(),
		faults:      cfg.Faults,
		rng:         rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(cfg.Seed)^0x5bd1e995)),
		readRng:     rand.New(rand.NewPCG(uint64(cfg.Seed)^readFaultSeedOffset, uint64(cfg.Seed))),
		tracePrefix: "sbx" + strconv.FormatInt(time.Now().UnixMilli()%(36*36*36*36*36*36), 36),
		closing:     make(chan struct{}),
	}
	if cfg.QPSLimit > 0 {
		s.limiter = rate.NewLimiter(rate.Limit(cfg.QPSLimit), cfg.Burst)
	}
	if cfg.DBPath != "" {
		st, err := openStore(cfg.DBPath, false)
		if err != nil {
			return nil, err
		}
		if err := st.load(s.led); err != nil {
			st.close()
			return nil, err
		}
		s.st = st
	}
	mux := http.NewServeMux()
	mux.HandleFunc(Path, s.serveRest)
	mux.HandleFunc(BatchPath, s.serveBatch)
	mux.HandleFunc("GET /sandbox/balances.csv", s.serveBalances)
	mux.HandleFunc("GET /sandbox/operations.csv", s.serveOperations)
	mux.HandleFunc("GET /sandbox/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	s.handler = mux
	s.fresh = map[net.Conn]struct{}{}
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, ConnState: s.connState}
	return s, nil
}

// Requests is how many recharge.operate requests with this request_id the server has received
// that passed the protocol and parameter checks (signature, timestamp, app key, flow control,
// required fields), whatever came next: applied, answered from the idempotency record (a replay),
// refused by the ledger, given an injected fault, or dropped after applying. Tests use it to see
// resends the ledger's deduplication hides. Counts start at 0 in New and are not persisted.
//
// The counts live in the ledger's records (4 bytes per request_id), under the ledger's mutex.
func (s *Server) Requests(requestID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.led.requests(requestID)
}

// TotalRequests is the sum of Requests over every request_id.
func (s *Server) TotalRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.led.total
}

// RequestCounts returns a copy of Requests for every request_id received.
func (s *Server) RequestCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.led.requestCounts()
}

func (s *Server) countRequest(requestID string) {
	s.mu.Lock()
	s.led.count(requestID)
	s.mu.Unlock()
}

// Handler serves /router/rest, /router/batch and the /sandbox/ export paths.
func (s *Server) Handler() http.Handler { return s.handler }

// AppKey is the app key the sandbox accepts.
func (s *Server) AppKey() string { return s.cfg.AppKey }

// SetFaults replaces the injected faults of a running server (tests and rehearsals use it to turn a
// fault on for some requests and off for their replays).
func (s *Server) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	s.faultMu.Lock()
	s.faults = f
	s.faultMu.Unlock()
	return nil
}

// IsLoopback reports whether a listen address (host:port) is on loopback only: "localhost" or a
// loopback IP. An empty host (all interfaces) is not.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Listen opens a TCP listener on addr and sets URL from it (the first time). The demo credentials
// are refused unless addr is loopback.
func (s *Server) Listen(addr string) (net.Listener, error) {
	if !IsLoopback(addr) && s.cfg.usesDemoCredentials() {
		return nil, fmt.Errorf("sandbox: %s is not a loopback address: set your own app key and secret (the demo ones are public)", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sandbox: listen: %w", err)
	}
	s.closeMu.Lock()
	if s.url == "" {
		s.url = "http://" + l.Addr().String() + Path
	}
	s.closeMu.Unlock()
	return l, nil
}

// Serve answers on l until Shutdown or Close; it returns nil after a graceful shutdown.
func (s *Server) Serve(l net.Listener) error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		l.Close()
		return errors.New("sandbox: closed")
	}
	if s.url == "" {
		s.url = "http://" + l.Addr().String() + Path
	}
	s.closeMu.Unlock()
	if err := s.http.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("sandbox: serve: %w", err)
	}
	return nil
}

// Start listens on addr (e.g. "127.0.0.1:0") and serves in the background; it returns the gateway
// URL (http://host:port/router/rest). Close stops it.
func (s *Server) Start(addr string) (string, error) {
	l, err := s.Listen(addr)
	if err != nil {
		return "", err
	}
	go s.Serve(l) //nolint:errcheck // only http.ErrServerClosed once Close runs
	return s.URL(), nil
}

// URL is the gateway URL once serving, else "".
func (s *Server) URL() string {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	return s.url
}

// connState tracks connections that have not sent a request: net/http's Shutdown would wait up to
// 5 s for them (clients dial spare keep-alive connections), so Shutdown closes them at once.
func (s *Server) connState(c net.Conn, st http.ConnState) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if st == http.StateNew {
		s.fresh[c] = struct{}{}
	} else {
		delete(s.fresh, c)
	}
}

// Shutdown stops accepting connections and waits for in-flight requests (stalled timeouts are cut
// short) until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.once.Do(func() { close(s.closing) })
	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				s.connMu.Lock()
				for c := range s.fresh {
					c.Close()
				}
				s.connMu.Unlock()
			}
		}
	}()
	if err := s.http.Shutdown(ctx); err != nil {
		return fmt.Errorf("sandbox: shutdown: %w", err)
	}
	return nil
}

// Close shuts down gracefully (waiting up to 5 s for in-flight requests) and closes the ledger file.
// It is safe to call more than once.
func (s *Server) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return nil
	}
	s.closed = true
	s.closeMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.Shutdown(ctx)
	if err != nil {
		s.http.Close()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st != nil {
		err = errors.Join(err, s.st.close())
		s.st = nil
	}
	return err
}

func (s *Server) newTrace() string {
	return s.tracePrefix + strconv.FormatUint(s.traceSeq.Add(1), 36)
}

// flowControl takes a token; it reports the ban's remaining whole seconds when the call is limited.
func (s *Server) flowControl(now time.Time) (banSeconds int, limited bool) {
	if s.limiter == nil {
		return 0, false
	}
	s.banMu.Lock()
	defer s.banMu.Unlock()
	if now.Before(s.banUntil) {
		left := s.banUntil.Sub(now)
		return int((left + time.Second - 1) / time.Second), true
	}
	if s.limiter.AllowN(now, 1) {
		return 0, false
	}
	s.banUntil = now.Add(time.Duration(s.cfg.BanSeconds) * time.Second)
	return s.cfg.BanSeconds, true
}

// draw decides one request's faults. Every request past the protocol checks draws the same three
// numbers in the same order, so a seed and a request order give the same faults.
func (s *Server) draw() (fail, timeout bool, latency time.Duration, stall time.Duration) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	f := s.faults
	if f.FailRate == 0 && f.TimeoutRate == 0 && f.LatencyMax == 0 {
		return false, false, 0, 0
	}
	fail = s.rng.Float64() < f.FailRate
	timeout = s.rng.Float64() < f.TimeoutRate
	latency = f.LatencyMin
	if span := f.LatencyMax - f.LatencyMin; span > 0 {
		latency += time.Duration(s.rng.Int64N(int64(span) + 1))
	}
	return fail, timeout, latency, f.TimeoutStall
}

// serveRest is /router/rest: TOP's protocol checks, then the ledger.
func (s *Server) serveRest(w http.ResponseWriter, r *http.Request) {
	trace := s.newTrace()
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		s.writeError(w, trace, &topError{9, "Http Action Not Allowed", "isv.http-action-not-allowed", "use POST or GET"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		s.writeError(w, trace, &topError{43, "Parameter error", "isv.invalid-parameter", "the request body is not a valid form"})
		return
	}
	params := make(map[string]string, len(r.Form))
	for k, v := range r.Form {
		if len(v) > 0 {
			params[k] = v[0]
		}
	}
	simplify := params["simplify"] == "true"
	body, terr := s.check(params)
	if terr != nil {
		s.writeError(w, trace, terr)
		return
	}
	if method := params["method"]; method != client.MethodRechargeOperate {
		if !sleepCtx(r.Context(), s.readLatency()) {
			return
		}
		writeJSON(w, s.readAnswer(method, params, trace, simplify))
		return
	}
	req, err := decodeBusiness(body)
	if err == nil {
		if te := validateBusiness(&req); te != nil {
			err = te
		}
	}
	if err != nil {
		var te *topError
		if !errors.As(err, &te) {
			te = errInvalid(client.ParamRechargeOperate, "not a valid request")
		}
		s.writeError(w, trace, te)
		return
	}
	payload, err := req.Encode()
	if err != nil {
		s.writeError(w, trace, errInvalid(client.ParamRechargeOperate, "not a valid request"))
		return
	}
	s.countRequest(req.RequestID)

	fail, timeout, latency, stall := s.draw()
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if fail {
		s.writeError(w, trace, &topError{10, "Service currently unavailable", "isp.service-unavailable", "sandbox: injected transient fault, nothing was applied"})
		return
	}

	ans, err := s.apply(r.Context(), &req, payload, trace)
	if err != nil {
		var ce *conflictError
		if errors.As(err, &ce) {
			s.writeError(w, trace, &topError{41, "Invalid arguments:request_id", "isv.request-id-conflict", ce.Error()})
			return
		}
		s.writeError(w, trace, &topError{15, "Remote service error", "isp.remote-service-error", "sandbox: the ledger could not be written, nothing was applied"})
		return
	}
	if timeout {
		s.drop(w, r, stall)
		return
	}
	s.writeAnswer(w, simplify, ans)
}

// check runs the checks of a /router/rest call and returns recharge.operate's business parameter
// (for a read method, "": its parameter is checked by readAnswer).
func (s *Server) check(p map[string]string) (string, *topError) {
	method := p["method"]
	if method == "" {
		return "", &topError{21, "Missing method", "isv.missing-parameter:method", "method is required"}
	}
	if te := s.checkEnvelope(p, "", false); te != nil {
		return "", te
	}
	if _, ok := readMethods[method]; ok {
		return "", nil
	}
	if method != client.MethodRechargeOperate {
		return "", &topError{22, "Invalid method", "isv.invalid-method", "method " + method + " does not exist in the sandbox"}
	}
	body, ok := p[client.ParamRechargeOperate]
	if !ok || strings.TrimSpace(body) == "" {
		return "", errMissing(client.ParamRechargeOperate, client.ParamRechargeOperate+" is required")
	}
	return body, nil
}

// checkEnvelope runs the system-parameter checks /router/rest and /router/batch share: app key,
// flow control (a /router/rest call takes a token here; a batch pays per sub-request), the
// signature (over the params with body appended: a batch's body, "" for /router/rest), timestamp,
// version and format.
func (s *Server) checkEnvelope(p map[string]string, body string, batch bool) *topError {
	switch key := p["app_key"]; {
	case key == "":
		return &topError{28, "Missing app key", "isv.missing-parameter:app_key", "app_key is required"}
	case subtle.ConstantTimeCompare([]byte(key), []byte(s.cfg.AppKey)) != 1:
		return &topError{29, "Invalid app Key", "isv.appkey-not-exists", "app_key does not exist"}
	}
	now := s.cfg.Now()
	if !batch {
		if te := s.limit(now); te != nil {
			return te
		}
	}
	sign := p["sign"]
	if sign == "" {
		return &topError{24, "Missing signature", "isv.missing-parameter:sign", "sign is required"}
	}
	sm := p["sign_method"]
	if sm == "" {
		sm = client.SignMD5 // TOP's default
	}
	want, err := client.SignBody(p, body, s.cfg.Secret, sm)
	if err != nil {
		return &topError{25, "Invalid signature", "isv.invalid-signature", "sign_method must be md5, hmac or hmac-sha256"}
	}
	if subtle.ConstantTimeCompare([]byte(strings.ToUpper(sign)), []byte(want)) != 1 {
		why := "the sign does not match the parameters"
		if batch {
			why = "the sign does not match the URL parameters with the body appended"
		}
		return &topError{25, "Invalid signature", "isv.invalid-signature", why}
	}
	ts := p["timestamp"]
	if ts == "" {
		return &topError{30, "Missing timestamp", "isv.missing-parameter:timestamp", "timestamp is required"}
	}
	t, err := time.ParseInLocation(timestampLayout, ts, gmt8)
	if err != nil {
		return &topError{31, "Invalid timestamp", "isv.invalid-timestamp", "timestamp must be yyyy-MM-dd HH:mm:ss in GMT+8"}
	}
	if d := now.Sub(t); d > TimestampSkew || d < -TimestampSkew {
		return &topError{31, "Invalid timestamp", "isv.invalid-timestamp",
			fmt.Sprintf("timestamp %s is more than 10 minutes from the server time %s (GMT+8)", ts, now.In(gmt8).Format(timestampLayout))}
	}
	switch v := p["v"]; v {
	case "":
		return &topError{32, "Missing version", "isv.missing-parameter:v", "v is required (2.0)"}
	case "2.0":
	default:
		return &topError{34, "Unsupported version", "isv.invalid-parameter:v", "v must be 2.0"}
	}
	if f := p["format"]; f != "" && f != "json" {
		return &topError{23, "Invalid format", "isv.invalid-parameter:format", "the sandbox answers format=json only"}
	}
	return nil
}

// limit takes a flow-control token for one call, or answers code 7 with the ban's length.
func (s *Server) limit(now time.Time) *topError {
	if n, limited := s.flowControl(now); limited {
		return &topError{7, "App Call Limited", "accesscontrol.limited-by-app-access-count",
			fmt.Sprintf("This ban will last for %d more seconds", n)}
	}
	return nil
}

// sleepCtx waits d (0: not at all); false when ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// apply runs req against the ledger: a replay answers the stored answer and changes nothing.
func (s *Server) apply(ctx context.Context, req *client.RechargeRequest, payload, trace string) (answer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	eff, replay, err := s.led.decide(req, payload, trace, s.cfg.Now())
	if err != nil {
		return answer{}, err
	}
	if replay {
		return eff.answer, nil
	}
	if s.st != nil {
		if err := s.st.commit(context.WithoutCancel(ctx), eff); err != nil {
			return answer{}, err
		}
	}
	s.led.commit(eff)
	return eff.answer, nil
}

// drop is the outcome-unknown fault: the request was applied, and the client gets no answer.
// It stalls first (if asked), then closes the connection.
func (s *Server) drop(w http.ResponseWriter, r *http.Request, stall time.Duration) {
	if stall > 0 {
		t := time.NewTimer(stall)
		select {
		case <-t.C:
		case <-r.Context().Done():
		case <-s.closing:
		}
		t.Stop()
	}
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // net/http's way to abort a response without answering
}

// rechargeResponse is the normal answer's wrapper.
type rechargeResponse struct {
	Response client.Body `json:"alibaba_alsc_crm_open_recharge_operate_response"`
}

func (s *Server) writeAnswer(w http.ResponseWriter, simplify bool, a answer) {
	body := client.Body{Result: a.result, RequestID: a.traceID}
	if simplify {
		writeJSON(w, body)
		return
	}
	writeJSON(w, rechargeResponse{body})
}

func (s *Server) writeError(w http.ResponseWriter, trace string, e *topError) {
	writeJSON(w, client.ErrorEnvelope{ErrorResponse: &client.ErrorBody{
		Code: e.code, Msg: e.msg, SubCode: e.subCode, SubMsg: e.subMsg, RequestID: trace,
	}})
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := encodeJSON(v)
	if err != nil {
		http.Error(w, "encode response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

// encodeJSON is v as TOP writes it: no HTML escaping, one line (with its newline).
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
