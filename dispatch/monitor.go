package dispatch

import (
	"sync"
	"time"

	"svbatch/client"
)

// Monitor shows a caller, while a run goes on, what holds it: a flow-control ban, or a gateway that
// stopped answering. Create one, put it in Config.Monitor, and call Held from any goroutine (a
// progress display polls it). Safe for concurrent use; Held of an unattached Monitor is zero.
type Monitor struct {
	mu     sync.Mutex
	gate   *client.Gate
	health *health
}

// Held is what holds a run at one moment.
type Held struct {
	// BanUntil is when a flow-control ban ends; zero when there is none now.
	BanUntil time.Time
	// DownSince is when sends started failing without reaching the API (an outage, or a gateway
	// that never answered); zero while sends reach it. Cause is the last failure, StopAt when the
	// run stops unless the gateway answers first.
	DownSince time.Time
	Cause     error
	StopAt    time.Time
}

func (m *Monitor) attach(g *client.Gate, h *health) {
	m.mu.Lock()
	m.gate, m.health = g, h
	m.mu.Unlock()
}

// Held says what holds the run at now.
func (m *Monitor) Held(now time.Time) Held {
	m.mu.Lock()
	g, h := m.gate, m.health
	m.mu.Unlock()
	var held Held
	if g != nil {
		if u := g.Until(); u.After(now) {
			held.BanUntil = u
		}
	}
	if h != nil {
		h.mu.Lock()
		if !h.failing.IsZero() {
			window := h.outage
			if !h.answered {
				window = h.never
			}
			held.DownSince, held.Cause, held.StopAt = h.failing, h.cause, h.failing.Add(window)
		}
		h.mu.Unlock()
	}
	return held
}
