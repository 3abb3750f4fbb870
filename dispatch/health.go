package dispatch

import (
	"context"
	"sync"
	"time"

	"svbatch/client"
)

// Defaults of how long a run goes on while no request reaches the API.
const (
	// DefaultUnreachableAfter: a gateway that has not answered once in this run (a wrong --gateway,
	// a closed port, a path that is not the API) stops the run this soon.
	DefaultUnreachableAfter = 10 * time.Second
	// DefaultOutageWait: a gateway that answered earlier in the run and then stopped answering
	// stops it (interrupted, resumable) after this long.
	DefaultOutageWait = 2 * time.Minute
)

// health watches whether sends reach the API. After a window with no TOP answer and only failures,
// every further send is refused before it goes out with a *client.UnreachableError, which stops the
// run; the rows not sent stay pending. Safe for concurrent use.
type health struct {
	never, outage time.Duration // windows: no answer yet in the run / after answers
	now           func() time.Time

	mu       sync.Mutex
	answered bool
	failing  time.Time // first failure since the last answer; zero when the last send was answered
	cause    error
}

func newHealth(never, outage time.Duration) *health {
	if never <= 0 {
		never = DefaultUnreachableAfter
	}
	if outage <= 0 {
		outage = DefaultOutageWait
	}
	return &health{never: never, outage: outage, now: time.Now}
}

// do sends req through s unless the gateway has been unreachable for longer than the window.
func (h *health) do(ctx context.Context, s Sender, req client.RechargeRequest) (*client.Response, error) {
	if err := h.check(); err != nil {
		return nil, err
	}
	resp, err := s.Do(ctx, req)
	if ctx.Err() == nil || err == nil {
		h.observe(err)
	}
	return resp, err
}

func (h *health) check() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failing.IsZero() {
		return nil
	}
	window := h.outage
	if !h.answered {
		window = h.never
	}
	if d := h.now().Sub(h.failing); d >= window {
		return &client.UnreachableError{Since: h.failing, For: d, Never: !h.answered, Cause: h.cause}
	}
	return nil
}

func (h *health) observe(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if client.Reached(err) {
		h.answered, h.failing, h.cause = true, time.Time{}, nil
		return
	}
	if h.failing.IsZero() {
		h.failing = h.now()
	}
	h.cause = err
}
