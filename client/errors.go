package client

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// APIError is a TOP error_response. Callers read it with errors.As.
type APIError struct {
	HTTPStatus int
	Code       int
	Msg        string
	SubCode    string
	SubMsg     string
	TraceID    string // the gateway's request_id
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("TOP error %d: %s", e.Code, e.Msg)
	if e.SubCode != "" || e.SubMsg != "" {
		s += fmt.Sprintf(" (%s: %s)", e.SubCode, e.SubMsg)
	}
	return s
}

// Hint says, for a person, what a run-stopping error means and what to fix (signature, session,
// app key, timestamp), or "" for other codes.
func (e *APIError) Hint() string {
	switch e.Code {
	case 25:
		return "the gateway rejected the signature: check the app secret and --sign-method"
	case 26, 27:
		return "the gateway rejected the session: renew --session / SVBATCH_SESSION"
	case 29:
		return "the gateway does not know the app key: check --app-key / SVBATCH_APP_KEY and --gateway"
	case 31:
		return "the gateway rejected the timestamp: this machine's clock is off by more than 10 minutes"
	}
	return ""
}

// Describe is err in words for a person: an *APIError with a Hint reads "hint (error)"; anything
// else is its Error().
func Describe(err error) string {
	var api *APIError
	if errors.As(err, &api) {
		if h := api.Hint(); h != "" {
			what, fix, _ := strings.Cut(h, ": ")
			return fmt.Sprintf("%s (%v): %s", what, err, fix)
		}
	}
	return err.Error()
}

// TransportError is a failure to get any HTTP answer. Sent says whether the request had been
// written to the connection: if so, the gateway may have applied it (outcome unknown).
type TransportError struct {
	Sent    bool
	Timeout bool
	Err     error
}

func (e *TransportError) Error() string {
	what := "request not sent"
	if e.Sent {
		what = "request sent, no answer (outcome unknown)"
	}
	return fmt.Sprintf("%s: %v", what, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// ResponseError is an answer that is not a TOP response: empty, HTML (a proxy's error page), not
// JSON, cut off, or JSON of an unknown shape. The gateway had the request, so the outcome is unknown.
type ResponseError struct {
	HTTPStatus int
	Reason     string
	Snippet    string // the start of the body, for a person
}

func (e *ResponseError) Error() string {
	s := fmt.Sprintf("bad gateway response (HTTP %d): %s", e.HTTPStatus, e.Reason)
	if e.Snippet != "" {
		s += fmt.Sprintf(": %q", e.Snippet)
	}
	return s
}

// NotFound reports whether the HTTP status says the gateway has no such endpoint (404, 405): the
// request reached a web server but no API, so nothing was applied (a path typo, a wrong host).
func (e *ResponseError) NotFound() bool { return e.HTTPStatus == 404 || e.HTTPStatus == 405 }

// UnreachableError stops a run whose gateway has not answered as TOP for a while: every attempt
// failed to reach the API (connection refused, DNS, TLS, timeouts, HTTP answers that are not TOP's).
// It is returned instead of sending, so the row it is returned for was not sent.
type UnreachableError struct {
	Since time.Time     // the first failure since the last TOP answer (or since the run began)
	For   time.Duration // how long it has failed
	Never bool          // no TOP answer at all in this run: most likely a wrong --gateway
	Cause error         // the last failure
}

func (e *UnreachableError) Error() string {
	if e.Never {
		return fmt.Sprintf("the gateway cannot be reached (no answer from the API for %s): %v; check --gateway / SVBATCH_GATEWAY and the network", e.For.Round(time.Second), e.Cause)
	}
	return fmt.Sprintf("the gateway has been unreachable since %s (%s): %v", e.Since.Format("15:04:05"), e.For.Round(time.Second), e.Cause)
}

func (e *UnreachableError) Unwrap() error { return e.Cause }

// Reached reports whether err (from Do) shows that the API answered: no error, or a TOP error
// response. A transport failure or an HTTP answer that is not TOP's (404, an HTML page) did not.
func Reached(err error) bool {
	if err == nil {
		return true
	}
	var api *APIError
	if errors.As(err, &api) {
		return true
	}
	var te *TransportError
	var re *ResponseError
	return !errors.As(err, &te) && !errors.As(err, &re)
}

// Class says what to do about an error (DESIGN.md §2).
type Class int

const (
	// OK: a normal response (success or business rejection).
	OK Class = iota
	// FlowControl: the gateway refuses for now (codes 4–8, accesscontrol.limited-by-*): pause the whole run.
	FlowControl
	// Transient: not applied, safe to retry with the same request_id (code 10, isp.*, 5xx, request not sent).
	Transient
	// OutcomeUnknown: the operation may have happened (timeout or broken connection after the request was
	// written, isp.*timeout, a garbled answer). Retry with the same request_id; never report it failed.
	OutcomeUnknown
	// Final: a definitive rejection (isv.*, 11–13, 21–34, 40–43, 50): failed, not retried.
	// Codes no list names are OutcomeUnknown.
	Final
	// RunStopping: every row would fail the same way (signature, timestamp, session, app key): stop the run.
	RunStopping
	// Canceled: the caller's context ended.
	Canceled
	// IDUsed: the gateway already holds this request_id with other values (isv.request-id-conflict):
	// it proves the id was used, so the row is a conflict, never failed and never resent under a
	// new id (which could move the money twice).
	IDUsed
)

// SubCodeRequestIDConflict is the sub_code of an answer saying the request_id was already used with
// other values.
const SubCodeRequestIDConflict = "isv.request-id-conflict"

func (c Class) String() string {
	return [...]string{"ok", "flow-control", "transient", "outcome-unknown", "final", "run-stopping", "canceled", "id-used"}[c]
}

// Classify maps an error from Do/Call to its Class. A nil error is OK.
func Classify(err error) Class {
	if err == nil {
		return OK
	}
	var ue *UnreachableError
	if errors.As(err, &ue) {
		return RunStopping
	}
	var api *APIError
	if errors.As(err, &api) {
		return classifyAPI(api)
	}
	var te *TransportError
	if errors.As(err, &te) {
		if te.Sent {
			return OutcomeUnknown
		}
		if errors.Is(te.Err, context.Canceled) {
			return Canceled
		}
		return Transient
	}
	var re *ResponseError
	if errors.As(err, &re) {
		if re.NotFound() {
			return Transient // no API there: not applied
		}
		return OutcomeUnknown
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Canceled
	}
	return Final
}

func classifyAPI(e *APIError) Class {
	sub := strings.ToLower(e.SubCode)
	switch {
	case strings.HasPrefix(sub, "accesscontrol.limited-by"):
		return FlowControl
	case e.Code >= 4 && e.Code <= 8:
		return FlowControl
	case strings.HasPrefix(sub, "isp.") && strings.Contains(sub, "timeout"):
		return OutcomeUnknown
	case strings.HasPrefix(sub, "isp."), e.Code == 10:
		return Transient
	case e.Code == 25 || e.Code == 26 || e.Code == 27 || e.Code == 29 || e.Code == 31:
		return RunStopping
	case sub == SubCodeRequestIDConflict:
		return IDUsed
	case strings.HasPrefix(sub, "isv."),
		e.Code >= 11 && e.Code <= 13, e.Code >= 21 && e.Code <= 34, e.Code >= 40 && e.Code <= 43, e.Code == 50:
		return Final
	}
	// A code DESIGN.md does not list (1 unknown error, 15 without a sub code, …): the gateway may have
	// applied it; resend with the same request_id rather than call it failed.
	return OutcomeUnknown
}

var banRE = regexp.MustCompile(`(?i)ban will last for (\d+) more second`)

// BanWait is how long a flow-control error asks the whole run to pause: the N of "This ban will last
// for N more seconds" plus one second, or one second when the gateway does not say.
func BanWait(err error) time.Duration {
	var api *APIError
	if errors.As(err, &api) {
		if m := banRE.FindStringSubmatch(api.SubMsg + " " + api.Msg); m != nil {
			if n, perr := strconv.Atoi(m[1]); perr == nil {
				const longest = 1_000_000 // seconds (11 days): longer is "too long" anyway, and stays a valid Duration
				return time.Duration(min(n, longest)+1) * time.Second
			}
		}
	}
	return time.Second
}

// BanTooLongError stops a run: the gateway banned it for longer than the caller will wait (a daily
// quota is likely exhausted). The run is resumable.
type BanTooLongError struct {
	Wait, Max time.Duration
	Err       error
}

func (e *BanTooLongError) Error() string {
	return fmt.Sprintf("gateway flow control asks to wait %s, more than --max-ban-wait %s: %v", e.Wait, e.Max, e.Err)
}

func (e *BanTooLongError) Unwrap() error { return e.Err }
