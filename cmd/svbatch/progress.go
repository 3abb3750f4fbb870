package main

import (
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"svbatch"
	"svbatch/client"
	"svbatch/dispatch"
)

// progress shows what a run has left to send: a bar on a terminal, else a log line every 10 s.
// Rate and ETA count only the rows this run sends (a resume's rows the journal already settles
// pass at once and would make the ETA a lie). It says, in words, what holds the run: a
// flow-control ban ("paused by the gateway for N s") or a gateway that stopped answering
// ("gateway unreachable since …"), on the bar and as a WARN record.
type progress struct {
	mu       sync.Mutex
	bar      *progressbar.ProgressBar
	log      *slog.Logger
	mon      *dispatch.Monitor
	total    int // rows to send in this run
	taken    int // … reached their status
	settled  int // rows the journal already settles (not sent)
	bad      int
	start    time.Time
	last     time.Time
	interval time.Duration
	now      func() time.Time

	// what was announced, so that each ban and outage is logged once
	banUntil  time.Time
	downSince time.Time
	held      string // the bar's description while held

	stop chan struct{}
	done chan struct{}
}

// downAfter is how long sends must fail before the run is said to be held by the gateway: a
// single timeout is retried without a word.
const downAfter = 2 * time.Second

func newProgress(w io.Writer, total int, noBar bool, log *slog.Logger, mon *dispatch.Monitor) *progress {
	now := time.Now()
	p := &progress{log: log, mon: mon, total: total, start: now, last: now, interval: 10 * time.Second, now: time.Now,
		stop: make(chan struct{}), done: make(chan struct{})}
	if !noBar && isTerminal(w) {
		p.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription("sending"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("rows"),
			progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish())
	}
	go p.watch()
	return p
}

// watch polls what holds the run once a second until finish.
func (p *progress) watch() {
	defer close(p.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.tick()
		}
	}
}

func (p *progress) tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	var h dispatch.Held
	if p.mon != nil {
		h = p.mon.Held(now)
	}
	held := ""
	switch {
	case !h.BanUntil.IsZero():
		secs := int(math.Ceil(h.BanUntil.Sub(now).Seconds()))
		held = fmt.Sprintf("paused by the gateway for %d s (flow control)", secs)
		if !h.BanUntil.Equal(p.banUntil) && h.BanUntil.Sub(p.banUntil) > time.Second {
			p.log.Warn("paused by the gateway", "reason", "flow control (ban)", "seconds", secs,
				"until", h.BanUntil.In(svbatch.GMT8).Format(time.RFC3339))
		}
		p.banUntil = h.BanUntil
	case !h.DownSince.IsZero() && now.Sub(h.DownSince) >= downAfter:
		cause := client.Describe(h.Cause)
		held = fmt.Sprintf("gateway unreachable since %s (%s); stopping at %s unless it answers",
			h.DownSince.In(svbatch.GMT8).Format("15:04:05"), cause, h.StopAt.In(svbatch.GMT8).Format("15:04:05"))
		if !h.DownSince.Equal(p.downSince) {
			p.downSince = h.DownSince
			p.log.Warn("gateway unreachable", "since", h.DownSince.In(svbatch.GMT8).Format(time.RFC3339), "cause", cause,
				"stop_at", h.StopAt.In(svbatch.GMT8).Format(time.RFC3339))
		}
	default:
		if !p.downSince.IsZero() && h.DownSince.IsZero() {
			p.log.Info("gateway answering again", "unreachable_s", now.Sub(p.downSince).Round(time.Second).Seconds())
			p.downSince = time.Time{}
		}
	}
	if p.bar != nil && held != p.held {
		if held != "" {
			p.bar.Describe(held)
		} else {
			p.bar.Describe(p.describe())
		}
	}
	p.held = held
	if p.bar == nil && now.Sub(p.last) >= p.interval {
		p.logLine(now)
	}
}

func (p *progress) describe() string {
	d := fmt.Sprintf("sending (%d not ok)", p.bad)
	if p.settled > 0 {
		d += fmt.Sprintf(", %d settled earlier", p.settled)
	}
	return d
}

// logLine is the progress record: numbers, with the rate and ETA of this run's sends.
func (p *progress) logLine(now time.Time) {
	p.last = now
	elapsed := now.Sub(p.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(p.taken) / elapsed
	}
	args := []any{"done", p.taken, "total", p.total, "not_ok", p.bad, "settled_earlier", p.settled,
		"rows_per_s", math.Round(rate*10) / 10}
	if left := p.total - p.taken; rate > 0 && left >= 0 {
		args = append(args, "eta_s", math.Round(float64(left)/rate))
	}
	if p.held != "" {
		args = append(args, "held", p.held)
	}
	p.log.Info("progress", args...)
}

func (p *progress) row(r dispatch.RowDone) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !r.Taken {
		p.settled++
		if r.Status.NeedsAttention() {
			p.bad++
		}
		if p.bar != nil && p.held == "" {
			p.bar.Describe(p.describe())
		}
		return
	}
	p.taken++
	if r.Status.NeedsAttention() {
		p.bad++
	}
	if p.bar != nil {
		if p.held == "" {
			p.bar.Describe(p.describe())
		}
		p.bar.Add(1)
		return
	}
	if now := p.now(); now.Sub(p.last) >= p.interval {
		p.logLine(now)
	}
}

func (p *progress) finish() {
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Finish()
	}
}
