package client

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"svbatch"
)

// Defaults that flags reuse.
const (
	DefaultTimeout        = 15 * time.Second // one HTTP exchange, overall
	DefaultConnectTimeout = 5 * time.Second
	// ProductionGateway is TOP's production endpoint.
	ProductionGateway = "https://eco.taobao.com/router/rest"
	// maxBody bounds how much of a response is read.
	maxBody = 1 << 20
)

// TimestampZone is GMT+8, the zone of TOP's timestamp parameter whatever the machine's zone.
var TimestampZone = svbatch.GMT8

// TimestampLayout is TOP's timestamp format.
const TimestampLayout = "2006-01-02 15:04:05"

// Client speaks the TOP protocol for recharge.operate. It is safe for concurrent use.
type Client struct {
	gateway    string
	appKey     string
	secret     string
	session    string
	signMethod string
	partnerID  string
	simplify   bool
	timeout    time.Duration
	hc         *http.Client
	now        func() time.Time
	hashes     sync.Pool // hash.Hash keyed for signMethod and secret (signer)
}

// Option configures a Client; options validate their input.
type Option func(*Client) error

// WithGateway sets the gateway URL (http or https, e.g. https://eco.taobao.com/router/rest).
func WithGateway(u string) Option {
	return func(c *Client) error {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return fmt.Errorf("gateway %q: want an http(s) URL such as %s", u, ProductionGateway)
		}
		c.gateway = u
		return nil
	}
}

// WithAppKey sets app_key.
func WithAppKey(k string) Option {
	return func(c *Client) error {
		if strings.TrimSpace(k) == "" {
			return errors.New("app key is empty")
		}
		c.appKey = k
		return nil
	}
}

// WithSecret sets the app secret. It never appears in an error or log.
func WithSecret(s string) Option {
	return func(c *Client) error {
		if s == "" {
			return errors.New("app secret is empty")
		}
		c.secret = s
		return nil
	}
}

// WithSession sets the session (authorization) parameter; empty means none.
func WithSession(s string) Option { return func(c *Client) error { c.session = s; return nil } }

// WithSignMethod sets sign_method: md5, hmac or hmac-sha256 (default).
func WithSignMethod(m string) Option {
	return func(c *Client) error {
		if !ValidSignMethod(m) {
			return fmt.Errorf("sign method %q: want md5, hmac or hmac-sha256", m)
		}
		c.signMethod = m
		return nil
	}
}

// WithSimplify asks for unwrapped responses (simplify=true).
func WithSimplify(b bool) Option { return func(c *Client) error { c.simplify = b; return nil } }

// WithPartnerID sets partner_id; empty means none.
func WithPartnerID(p string) Option { return func(c *Client) error { c.partnerID = p; return nil } }

// WithHTTPClient replaces the HTTP client (tests); its Timeout is used as is.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("nil http client")
		}
		c.hc = hc
		return nil
	}
}

// WithTimeout sets the overall timeout of one HTTP exchange.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) error {
		if d <= 0 {
			return fmt.Errorf("timeout %s: must be positive", d)
		}
		c.timeout = d
		return nil
	}
}

// WithNow replaces the clock used for the timestamp parameter (tests).
func WithNow(now func() time.Time) Option { return func(c *Client) error { c.now = now; return nil } }

// New returns a Client. Gateway, app key and secret are required.
func New(opts ...Option) (*Client, error) {
	c := &Client{signMethod: DefaultSignMethod, timeout: DefaultTimeout, now: time.Now}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	switch {
	case c.gateway == "":
		return nil, errors.New("no gateway: set --gateway or SVBATCH_GATEWAY")
	case c.appKey == "":
		return nil, errors.New("no app key: set --app-key or SVBATCH_APP_KEY")
	case c.secret == "":
		return nil, errors.New("no app secret: set SVBATCH_APP_SECRET or --app-secret-file")
	}
	if c.hc == nil {
		c.hc = newHTTPClient(c.timeout)
	}
	return c, nil
}

// maxIdleConns is how many keep-alive connections the client keeps to its gateway: more than any
// --concurrency a run uses, so that every request in flight finds an idle connection to reuse
// instead of dialing a new one (net/http's default keeps 2 per host). Idle connections are only
// ever as many as were in flight at once.
const maxIdleConns = 1024

func newHTTPClient(timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: DefaultConnectTimeout, KeepAlive: 30 * time.Second}).DialContext
	tr.MaxIdleConns = maxIdleConns
	tr.MaxIdleConnsPerHost = maxIdleConns
	tr.ResponseHeaderTimeout = timeout
	// TOP's answers are a few hundred bytes: asking for gzip would cost a decompressor per answer
	// (when the gateway compresses) for nothing.
	tr.DisableCompression = true
	return &http.Client{Timeout: timeout, Transport: tr}
}

// Gateway returns the gateway URL.
func (c *Client) Gateway() string { return c.gateway }

// Response is a normal recharge.operate answer: a success or a business rejection.
type Response struct {
	Result  Result
	TraceID string // the gateway's request_id
	Latency time.Duration
}

// Do sends one recharge.operate request once (no retries). A normal answer, success or business
// rejection, comes back as a Response; every other outcome is an error for Classify.
//
// It sends exactly what Params and Call would (the same parameters, signed the same way, form
// encoded in key order), built without maps and with pooled buffers: it runs once per row.
func (c *Client) Do(ctx context.Context, req RechargeRequest) (*Response, error) {
	w := getScratch()
	defer putScratch(w)
	w.buf = req.appendJSON(w.buf[:0])
	form, err := c.rechargeForm(w, string(w.buf))
	if err != nil {
		return nil, err
	}
	start := time.Now()
	status, body, err := c.send(ctx, form, &w.resp)
	if err != nil {
		return nil, err
	}
	resp, err := decodeRecharge(status, body)
	if err != nil {
		return nil, err
	}
	resp.Latency = time.Since(start)
	return resp, nil
}

// scratch holds one Do's reusable buffers.
type scratch struct {
	buf  []byte       // the business JSON, then the string to sign
	ps   []param      // the parameters sent
	resp bytes.Buffer // the answer's body
}

type param struct{ k, v string }

var scratches = sync.Pool{New: func() any { return &scratch{buf: make([]byte, 0, 1024), ps: make([]param, 0, 12)} }}

func getScratch() *scratch { return scratches.Get().(*scratch) }

func putScratch(w *scratch) {
	if w.resp.Cap() > 64<<10 || cap(w.buf) > 64<<10 {
		return // an exceptional answer or request: let it go
	}
	clear(w.ps[:cap(w.ps)]) // keep no strings alive
	w.ps = w.ps[:0]
	w.resp.Reset()
	scratches.Put(w)
}

// rechargeForm is the form body of recharge.operate with the business JSON: Params's parameters
// (the system ones and param), signed, URL-encoded in key order as url.Values.Encode writes them.
func (c *Client) rechargeForm(w *scratch, business string) ([]byte, error) {
	ps := append(w.ps[:0],
		param{"method", MethodRechargeOperate},
		param{"app_key", c.appKey},
		param{"timestamp", c.now().In(TimestampZone).Format(TimestampLayout)},
		param{"format", "json"},
		param{"v", "2.0"},
		param{"sign_method", c.signMethod},
		param{ParamRechargeOperate, business},
	)
	if c.session != "" {
		ps = append(ps, param{"session", c.session})
	}
	if c.partnerID != "" {
		ps = append(ps, param{"partner_id", c.partnerID})
	}
	if c.simplify {
		ps = append(ps, param{"simplify", "true"})
	}
	slices.SortFunc(ps, func(a, b param) int { return strings.Compare(a.k, b.k) })
	s := w.buf[:0]
	for _, p := range ps {
		if p.v != "" { // as StringToSign: empty values are neither signed nor sent
			s = append(s, p.k...)
			s = append(s, p.v...)
		}
	}
	w.buf = s
	sign, err := c.signer(s)
	if err != nil {
		return nil, err
	}
	n := len("sign=") + len(sign)
	for _, p := range ps {
		n += len(p.k) + 2 + 3*len(p.v)/2
	}
	form := make([]byte, 0, n)
	signed := false
	for _, p := range ps {
		if !signed && p.k > "sign" {
			form = appendFormParam(form, "sign", sign)
			signed = true
		}
		if p.v != "" {
			form = appendFormParam(form, p.k, p.v)
		}
	}
	if !signed {
		form = appendFormParam(form, "sign", sign)
	}
	w.ps = ps
	return form, nil
}

// appendFormParam appends k=v, '&'-separated from what b holds, both escaped as url.QueryEscape does.
func appendFormParam(b []byte, k, v string) []byte {
	if len(b) > 0 {
		b = append(b, '&')
	}
	b = appendQueryEscape(b, k)
	b = append(b, '=')
	return appendQueryEscape(b, v)
}

// appendQueryEscape appends s escaped as url.QueryEscape does: letters, digits and "-_.~" as they
// are, ' ' as '+', every other byte as %XX (upper-case hex).
func appendQueryEscape(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b = append(b, c)
		case c == ' ':
			b = append(b, '+')
		default:
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return b
}

// signer is digest(s, c.secret, c.signMethod) with a pooled keyed hash.
func (c *Client) signer(s []byte) (string, error) {
	h, _ := c.hashes.Get().(hash.Hash)
	if h == nil {
		switch c.signMethod {
		case SignMD5:
			h = md5.New()
		case SignHMAC:
			h = hmac.New(md5.New, []byte(c.secret))
		case SignHMACSHA256:
			h = hmac.New(sha256.New, []byte(c.secret))
		default:
			return "", fmt.Errorf("sign_method %q: want md5, hmac or hmac-sha256", c.signMethod)
		}
	}
	h.Reset()
	if c.signMethod == SignMD5 {
		h.Write([]byte(c.secret))
		h.Write(s)
		h.Write([]byte(c.secret))
	} else {
		h.Write(s)
	}
	var sum [sha256.Size]byte
	sig := upperHex(h.Sum(sum[:0]))
	c.hashes.Put(h)
	return sig, nil
}

// upperHex is hex.EncodeToString upper-cased, as TOP's sign is written.
func upperHex(b []byte) string {
	const hex = "0123456789ABCDEF"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = hex[c>>4], hex[c&15]
	}
	return string(out)
}

// Call sends any TOP method with params plus the system params, signed, and returns the raw body
// of any HTTP answer. Transport failures are *TransportError.
func (c *Client) Call(ctx context.Context, method string, params map[string]string) ([]byte, error) {
	_, body, err := c.post(ctx, method, params)
	return body, err
}

// Params returns the full signed parameter set for method and business params, as Do sends them.
func (c *Client) Params(method string, business map[string]string) (map[string]string, error) {
	p := make(map[string]string, len(business)+10)
	for k, v := range business {
		if v != "" {
			p[k] = v
		}
	}
	p["method"] = method
	p["app_key"] = c.appKey
	p["timestamp"] = c.now().In(TimestampZone).Format(TimestampLayout)
	p["format"] = "json"
	p["v"] = "2.0"
	p["sign_method"] = c.signMethod
	if c.session != "" {
		p["session"] = c.session
	}
	if c.partnerID != "" {
		p["partner_id"] = c.partnerID
	}
	if c.simplify {
		p["simplify"] = "true"
	}
	sign, err := Sign(p, c.secret, c.signMethod)
	if err != nil {
		return nil, err
	}
	p["sign"] = sign
	return p, nil
}

func (c *Client) post(ctx context.Context, method string, business map[string]string) (int, []byte, error) {
	p, err := c.Params(method, business)
	if err != nil {
		return 0, nil, err
	}
	form := url.Values{}
	for k, v := range p {
		form.Set(k, v)
	}
	return c.send(ctx, []byte(form.Encode()), nil)
}

// send posts form and returns the answer's status and body. The body is read into buf when buf is
// not nil (it is then only valid until buf is reused), else into a new slice.
func (c *Client) send(ctx context.Context, form []byte, buf *bytes.Buffer) (int, []byte, error) {
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				wrote.Store(true)
			}
		},
	})
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.gateway, bytes.NewReader(form))
	if err != nil {
		return 0, nil, fmt.Errorf("build request: %w", err)
	}
	hreq.Header["Content-Type"] = []string{"application/x-www-form-urlencoded;charset=utf-8"}
	hreq.Header["Accept"] = []string{"application/json"}
	hres, err := c.hc.Do(hreq)
	if err != nil {
		return 0, nil, transportError(wrote.Load(), err)
	}
	defer hres.Body.Close()
	var body []byte
	if buf != nil {
		buf.Reset()
		_, err = buf.ReadFrom(io.LimitReader(hres.Body, maxBody+1))
		body = buf.Bytes()
	} else {
		body, err = io.ReadAll(io.LimitReader(hres.Body, maxBody+1))
	}
	if err != nil {
		return hres.StatusCode, nil, transportError(true, fmt.Errorf("reading response: %w", err))
	}
	if len(body) > maxBody {
		return hres.StatusCode, nil, &ResponseError{HTTPStatus: hres.StatusCode, Reason: "response larger than 1 MiB"}
	}
	return hres.StatusCode, body, nil
}

func transportError(sent bool, err error) error {
	var ne net.Error
	timeout := errors.As(err, &ne) && ne.Timeout()
	return &TransportError{Sent: sent, Timeout: timeout, Err: StripURL(err)}
}

// StripURL drops a *url.Error's URL from err: the caller knows where it asked, and a URL may carry
// credentials (a query token, user info) that must not reach a message.
func StripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// decodeRecharge turns a body into a Response or an error: error_response → *APIError; a wrapped or
// simplified normal response → Response; anything else → *ResponseError.
func decodeRecharge(status int, body []byte) (*Response, error) {
	if resp, ok := decodeNormal(status, bytes.TrimSpace(body)); ok {
		return resp, nil
	}
	return decodeExact(status, body)
}

// decodeExact is decodeRecharge reading the body key by key: the top-level keys exactly as named.
func decodeExact(status int, body []byte) (*Response, error) {
	trimmed := bytes.TrimSpace(body)
	bad := func(reason string) error {
		return &ResponseError{HTTPStatus: status, Reason: reason, Snippet: snippet(trimmed)}
	}
	if len(trimmed) == 0 {
		return nil, bad("empty body")
	}
	if trimmed[0] == '<' {
		return nil, bad("an HTML or XML page, not TOP JSON (a proxy or load balancer answered?)")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &top); err != nil {
		return nil, bad("not JSON or cut off: " + err.Error())
	}
	if raw, ok := top["error_response"]; ok {
		var eb ErrorBody
		if err := json.Unmarshal(raw, &eb); err != nil {
			return nil, bad("malformed error_response: " + err.Error())
		}
		return nil, &APIError{HTTPStatus: status, Code: eb.Code, Msg: eb.Msg, SubCode: eb.SubCode, SubMsg: eb.SubMsg, TraceID: eb.RequestID}
	}
	raw, wrapped := top[ResponseKey]
	if !wrapped {
		if _, ok := top["result"]; !ok {
			return nil, bad("JSON without result or error_response")
		}
		raw = trimmed
	}
	var b struct {
		Result    *Result `json:"result"`
		RequestID string  `json:"request_id"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, bad("malformed result: " + err.Error())
	}
	if b.Result == nil {
		return nil, bad("response without result")
	}
	if status >= 500 {
		return nil, bad("a result with HTTP error status")
	}
	return &Response{Result: *b.Result, TraceID: b.RequestID}, nil
}

// wrapperPrefix starts the normal answer of recharge.operate as TOP writes it.
var wrapperPrefix = []byte(`{"` + ResponseKey + `":`)

// decodeNormal decodes, in one pass, the answer nearly every request gets: TOP's wrapped normal
// response, with a result, no error_response, and a status below 500. ok is false for anything
// else, which decodeRecharge then reads key by key (its errors and the rarer shapes).
func decodeNormal(status int, body []byte) (*Response, bool) {
	if status >= 500 || !bytes.HasPrefix(body, wrapperPrefix) {
		return nil, false
	}
	var a struct {
		Wrapped *struct {
			Result    *Result `json:"result"`
			RequestID string  `json:"request_id"`
		} `json:"alibaba_alsc_crm_open_recharge_operate_response"`
		// encoding/json matches keys regardless of case: any key like error_response sends the
		// answer to the exact reading.
		ErrorResponse json.RawMessage `json:"error_response"`
	}
	if err := json.Unmarshal(body, &a); err != nil || a.ErrorResponse != nil || a.Wrapped == nil || a.Wrapped.Result == nil {
		return nil, false
	}
	return &Response{Result: *a.Wrapped.Result, TraceID: a.Wrapped.RequestID}, true
}

func snippet(b []byte) string {
	const n = 120
	if len(b) > n {
		b = b[:n]
		for len(b) > 0 && !utf8.Valid(b) {
			b = b[:len(b)-1]
		}
		return string(b) + "…"
	}
	return string(b)
}
