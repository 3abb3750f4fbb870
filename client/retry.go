package client

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"svbatch"
)

// Retry defaults that flags reuse.
const (
	DefaultMaxAttempts = 6
	DefaultMaxBanWait  = 2 * time.Minute
	DefaultBaseDelay   = 200 * time.Millisecond
	DefaultMaxDelay    = 10 * time.Second
)

// RetryPolicy says how often and how patiently one request is retried. Retries always resend the
// same request (the same request_id). The zero value is not useful: start from DefaultRetryPolicy.
type RetryPolicy struct {
	MaxAttempts int           // sends with a transient or unknown outcome before giving up
	BaseDelay   time.Duration // backoff before the 2nd attempt; doubles each time
	MaxDelay    time.Duration // backoff cap
	MaxBanWait  time.Duration // a flow-control ban longer than this stops the run (BanTooLongError)

	// Sleep waits d or until ctx ends; nil means a real timer. Tests replace it to remove sleeps.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter maps a backoff to the delay actually waited; nil means "equal jitter" in [d/2, d].
	Jitter func(d time.Duration) time.Duration
}

// DefaultRetryPolicy returns the policy svbatch uses unless told otherwise.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: DefaultMaxAttempts, BaseDelay: DefaultBaseDelay, MaxDelay: DefaultMaxDelay, MaxBanWait: DefaultMaxBanWait}
}

// Backoff is the delay before attempt n+1 after n failed attempts (n ≥ 1), jitter applied.
func (p RetryPolicy) Backoff(n int) time.Duration {
	d := p.BaseDelay
	for i := 1; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	if d > p.MaxDelay {
		d = p.MaxDelay
	}
	if p.Jitter != nil {
		return p.Jitter(d)
	}
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

func (p RetryPolicy) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	return SleepContext(ctx, d)
}

// SleepContext waits d, or returns ctx's error if it ends first.
func SleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Gate is a run-wide pause: a flow-control ban seen by one worker holds every worker until it ends.
// The zero value is open. Safe for concurrent use.
type Gate struct {
	mu    sync.Mutex
	until time.Time
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// NewGate returns an open gate using now and sleep (nil = real clock and timers).
func NewGate(now func() time.Time, sleep func(ctx context.Context, d time.Duration) error) *Gate {
	return &Gate{now: now, sleep: sleep}
}

func (g *Gate) clock() time.Time {
	if g.now != nil {
		return g.now()
	}
	return time.Now()
}

// Close holds the gate closed for d from now (never shortening an existing pause).
func (g *Gate) Close(d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if u := g.clock().Add(d); u.After(g.until) {
		g.until = u
	}
}

// Until is when the gate opens again; at or before now when it is open.
func (g *Gate) Until() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.until
}

// Wait blocks while the gate is closed, or until ctx ends. paused says whether it waited: a caller
// that took a rate-limiter token before a ban began takes a fresh one after it.
func (g *Gate) Wait(ctx context.Context) (paused bool, err error) {
	for {
		g.mu.Lock()
		d := g.until.Sub(g.clock())
		g.mu.Unlock()
		if d <= 0 {
			return paused, ctx.Err()
		}
		paused = true
		if g.sleep != nil {
			err = g.sleep(ctx, d)
		} else {
			err = SleepContext(ctx, d)
		}
		if err != nil {
			return paused, err
		}
	}
}

// Outcome is what happened to one request after retries.
type Outcome struct {
	// Status is succeeded or failed after a definitive answer; unknown when the gateway may have
	// applied the request without a definitive answer; pending when it certainly did not apply it
	// (never sent, or refused before it reached the ledger: flow control, a run-stopping error, a
	// connection that never took the request).
	Status   svbatch.Status
	Attempts int       // sends made (flow-control refusals included)
	Response *Response // the normal answer, if one came (success or business rejection)
	Err      error     // the last error, if the row did not succeed with a normal answer
	// Stop, when set, asks the whole run to stop: a run-stopping error, a ban longer than
	// MaxBanWait (*BanTooLongError), or the context's end.
	Stop error
}

// Retrier sends one request to a final outcome under a policy, pausing at a shared Gate and, before
// each send, waiting on Before (a rate limiter) when set.
type Retrier struct {
	Policy RetryPolicy
	Gate   *Gate
	Before func(ctx context.Context) error
	// MaybeApplied says an earlier send of this same request (an earlier run's) may have been
	// applied: then no error answer can make it failed, only a normal answer decides.
	MaybeApplied bool
}

// notApplied reports whether err proves the gateway did not apply the request: flow control and
// run-stopping errors are refused before the ledger, and an unsent request never reached it.
func notApplied(err error) bool {
	var ue *UnreachableError
	if errors.As(err, &ue) {
		return true // returned instead of sending
	}
	var te *TransportError
	if errors.As(err, &te) {
		return !te.Sent
	}
	var re *ResponseError
	if errors.As(err, &re) && re.NotFound() {
		return true
	}
	c := Classify(err)
	return c == FlowControl || c == RunStopping
}

// Run sends via send until a definitive answer, a stop, or attempts run out. send receives a context
// that is not cancelled with ctx: a request in flight is allowed to finish (bounded by the client's
// timeout) when the run is interrupted; ctx only stops further attempts.
//
// Status rules. A normal answer decides, for every attempt: the gateway is idempotent on request_id,
// so a later attempt's answer is the first application's answer (succeeded, or failed for a business
// rejection). Once an attempt may have been applied (a timeout after sending, an isp.* error, a
// garbled answer), no error answer can prove it was not: the row stays unknown, never failed, and
// only a resend with the same request_id can tell safely. A final error on a clean first attempt is
// failed. Rows that certainly were not applied are pending.
func (r *Retrier) Run(ctx context.Context, send func(ctx context.Context) (*Response, error)) Outcome {
	var out Outcome
	maybeApplied := r.MaybeApplied
	settle := func() Outcome {
		if maybeApplied {
			out.Status = svbatch.Unknown
		} else {
			out.Status = svbatch.Pending
		}
		return out
	}
	sendCtx := context.WithoutCancel(ctx)
	tries := 0
	var banned time.Duration // this request's own flow-control waits
	for {
		if r.Gate != nil {
			if _, err := r.Gate.Wait(ctx); err != nil {
				out.Stop = err
				return settle()
			}
		}
		if r.Before != nil {
			if err := r.Before(ctx); err != nil {
				out.Stop = err
				return settle()
			}
		}
		if err := ctx.Err(); err != nil {
			out.Stop = err
			return settle()
		}
		resp, err := send(sendCtx)
		out.Attempts++
		class := Classify(err)
		appliedBefore := maybeApplied
		if err != nil {
			out.Err = err
			if !notApplied(err) {
				maybeApplied = true
			}
		}
		switch class {
		case OK:
			out.Response, out.Err = resp, nil
			if resp.Result.OK() {
				out.Status = svbatch.Succeeded
			} else {
				out.Status = svbatch.Failed
			}
			return out
		case IDUsed:
			// the gateway holds this request_id with other values: whatever an earlier attempt did,
			// this row is a conflict, for a person to look at
			out.Status = svbatch.Conflict
			return out
		case Final:
			// a definitive rejection of this attempt; failed unless an earlier one may have applied
			if !appliedBefore {
				out.Status = svbatch.Failed
				return out
			}
			return settle()
		case RunStopping:
			out.Stop = err
			return settle()
		case FlowControl:
			wait := BanWait(err)
			banned += wait
			if wait > r.Policy.MaxBanWait || banned > r.Policy.MaxBanWait {
				out.Stop = &BanTooLongError{Wait: max(wait, banned), Max: r.Policy.MaxBanWait, Err: err}
				return settle()
			}
			if r.Gate != nil {
				r.Gate.Close(wait)
			} else if serr := r.Policy.sleep(ctx, wait); serr != nil {
				out.Stop = serr
				return settle()
			}
			continue
		default: // Transient, OutcomeUnknown, Canceled
			tries++
			if tries >= r.Policy.MaxAttempts {
				return settle()
			}
			if serr := r.Policy.sleep(ctx, r.Policy.Backoff(tries)); serr != nil {
				out.Stop = serr
				return settle()
			}
		}
	}
}
