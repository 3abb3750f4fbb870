package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"svbatch"
	"svbatch/client"
	"svbatch/dispatch"
	"svbatch/job"
)

// activeRun is a run going on in this process. Safe for concurrent use.
type activeRun struct {
	cancel context.CancelFunc
	mon    *dispatch.Monitor
	done   chan struct{}

	mu        sync.Mutex
	left      int // rows this run has to send (what the journal does not settle already)
	started   time.Time
	taken     int
	counts    map[svbatch.Status]int
	stopping  bool
	stoppedBy string // the user who pressed stop
}

func (a *activeRun) onRow(d dispatch.RowDone) {
	a.mu.Lock()
	if d.Taken {
		a.taken++
	}
	a.counts[d.Status]++
	a.mu.Unlock()
}

// Progress is what the run page shows, sent as server-sent events while a run goes on.
type Progress struct {
	State    string         `json:"state"`
	Running  bool           `json:"running"`
	Done     int            `json:"done"`  // rows handled by this run
	Total    int            `json:"total"` // rows this run has to send
	Percent  int            `json:"percent"`
	Rate     float64        `json:"rate"`              // rows per second, this run's rows only
	ETA      int            `json:"eta_s"`             // seconds left at this rate; -1 unknown
	BanLeft  int            `json:"ban_s"`             // seconds left of a flow-control ban; 0 none
	Down     string         `json:"down,omitempty"`    // the gateway is not answering: since when and why
	StopAt   string         `json:"stop_at,omitempty"` // … and when the run stops unless it answers
	Stopping bool           `json:"stopping"`
	Counts   map[string]int `json:"counts"`
}

func (a *activeRun) progress(now time.Time) Progress {
	a.mu.Lock()
	p := Progress{State: StateRunning, Running: true, Done: a.taken, Total: a.left, Stopping: a.stopping, Counts: map[string]int{}}
	started := a.started
	for st, n := range a.counts {
		p.Counts[string(st)] = n
	}
	a.mu.Unlock()
	if p.Total > 0 {
		p.Percent = min(100, p.Done*100/p.Total)
	} else {
		p.Percent = 100
	}
	p.ETA = -1
	if el := now.Sub(started).Seconds(); el > 0.5 && p.Done > 0 {
		p.Rate = float64(int(float64(p.Done)/el*10)) / 10
		p.ETA = int(float64(p.Total-p.Done) / (float64(p.Done) / el))
	}
	h := a.mon.Held(now)
	if !h.BanUntil.IsZero() {
		p.BanLeft = int(h.BanUntil.Sub(now).Seconds() + 0.999)
	}
	if !h.DownSince.IsZero() {
		cause := ""
		if h.Cause != nil {
			cause = client.Describe(h.Cause)
		}
		p.Down = h.DownSince.In(svbatch.GMT8).Format("15:04:05") + " (" + cause + ")"
		p.StopAt = h.StopAt.In(svbatch.GMT8).Format("15:04:05")
	}
	return p
}

func (s *Server) active(id string) *activeRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runs[id]
}

// jobConfig is the job.Config of a job's run: the same procedure and journal format as `svbatch
// run FILE --journal DIR/journal.db --out DIR/results.xlsx`.
func (s *Server) jobConfig(j *Job) job.Config {
	params := append([][2]string(nil), s.cfg.Params...)
	params = append(params, [2]string{"uploaded by", j.Uploader})
	if j.Approver != "" {
		params = append(params, [2]string{"approved by", j.Approver})
	}
	jp := map[string]string{}
	for k, v := range s.cfg.JournalParams {
		jp[k] = v
	}
	jp["web_job"] = j.ID
	return job.Config{
		Input: s.store.path(j.ID, j.Input), Read: s.readOptions(j),
		Out: s.store.path(j.ID, resultsName), Journal: s.journalOf(j),
		Dispatch: s.cfg.Dispatch, Params: params, JournalParams: jp, Version: s.cfg.Version,
	}
}

const (
	resultsName        = "results.xlsx"
	journalName        = "journal.db"
	mappingName        = "mapping.yaml"
	errorsName         = "errors.xlsx"
	reconciliationName = "reconciliation.xlsx"
)

var errRunning = errors.New("this job is running already")

// startRun validates and plans the job again (the file must be what was confirmed) and sends it
// on a goroutine of the server's, not of the request: closing the browser does not stop it. The
// caller holds the job's lock (lockJob).
func (s *Server) startRun(j *Job, by, action string) error {
	s.mu.Lock()
	if s.runs[j.ID] != nil {
		s.mu.Unlock()
		return errRunning
	}
	if s.runCtx.Err() != nil {
		s.mu.Unlock()
		return errors.New("the server is stopping")
	}
	// The slot is taken before the file is validated again, so that a second start is refused
	// at once; the validation runs without the server's lock.
	ctx, cancel := context.WithCancel(s.runCtx)
	ar := &activeRun{cancel: cancel, mon: &dispatch.Monitor{}, started: s.cfg.Now(), done: make(chan struct{}), counts: map[svbatch.Status]int{}}
	s.runs[j.ID] = ar
	s.wg.Add(1)
	s.mu.Unlock()
	release := func() {
		cancel()
		s.mu.Lock()
		delete(s.runs, j.ID)
		s.mu.Unlock()
		close(ar.done)
		s.wg.Done()
	}
	// The run starts right after this plan: the journal the plan read stays open for it, so the
	// holdings shown stay true and a resume passes the rows it found done at once.
	cfg := s.jobConfig(j)
	cfg.KeepJournalOpen = true
	prep, err := job.Prepare(cfg)
	if err == nil && prep.Plan.Rows == 0 {
		prep.Close()
		err = errors.New("the file has no rows")
	}
	if err != nil {
		release()
		return err
	}
	prep.SetMonitor(ar.mon)
	left := prep.Plan.Rows
	if h := prep.Plan.Journal; h != nil {
		left = h.LeftRows
	}
	ar.mu.Lock()
	ar.left, ar.started = left, s.cfg.Now()
	ar.mu.Unlock()
	j.State, j.Runner, j.Started, j.Finished, j.Outcome = StateRunning, by, s.cfg.Now().UTC(), time.Time{}, ""
	if err := s.store.save(j); err != nil {
		prep.Close()
		release()
		return err
	}
	s.audit.log(AuditEntry{User: by, Action: action, Job: j.ID, OK: true, Detail: fmt.Sprintf("%d rows to send of %d", left, prep.Plan.Rows)})
	go func() {
		defer release()
		sum, err := prep.Run(ctx, s.cfg.Sender, ar.onRow)
		ar.mu.Lock()
		by := ar.stoppedBy
		ar.mu.Unlock()
		s.finishRun(j.ID, sum, err, by)
	}()
	return nil
}

// finishRun records how a run ended.
func (s *Server) finishRun(id string, sum *job.Summary, err error, stoppedBy string) {
	defer s.lockJob(id)()
	j, gerr := s.store.get(id)
	if gerr != nil {
		s.cfg.Log.Error("run finished, job unreadable", "job", id, "error", gerr)
		return
	}
	j.Finished = s.cfg.Now().UTC()
	_ = os.Chmod(s.store.path(id, resultsName), 0o600) // like the upload it comes from
	switch {
	case err != nil:
		j.State, j.Outcome = StateStoppedHard, "not run: "+err.Error()
	case sum.Err != nil:
		j.State, j.Outcome = StateStoppedHard, sum.Outcome
	case sum.Stop != nil && sum.Stop.Interrupted():
		why := sum.Stop.Err.Error()
		switch {
		case stoppedBy != "":
			why = "stopped by " + stoppedBy
		case errors.Is(sum.Stop.Err, context.Canceled):
			why = "the server stopped"
		}
		j.State, j.Outcome = StateUnfinished, "interrupted: "+why
	case sum.Stop != nil:
		j.State, j.Outcome = StateStoppedHard, fmt.Sprintf("stopped at row %d: %s", sum.Stop.Line, client.Describe(sum.Stop.Err))
	default:
		j.State, j.Outcome = StateFinished, sum.Outcome
	}
	if sum != nil {
		j.Counts, j.Amounts = map[string]int{}, map[string]int64{}
		for st, n := range sum.Counts {
			j.Counts[string(st)] = n
		}
		for st, a := range sum.Amounts {
			j.Amounts[string(st)] = a
		}
	}
	if err := s.store.save(j); err != nil {
		s.cfg.Log.Error("saving job", "job", id, "error", err)
	}
	s.audit.log(AuditEntry{User: j.Runner, Action: "run_finished", Job: id, OK: j.State == StateFinished, Detail: j.Outcome})
}

// events streams the run's progress as server-sent events every half second, then one "done"
// event when the run has ended (the page reloads to show the results).
func (s *Server) events(w http.ResponseWriter, r *http.Request, se *session) {
	j, ok := s.jobOf(w, r, se)
	if !ok {
		return
	}
	fl, okf := w.(http.Flusher)
	if !okf {
		http.Error(w, "streaming not supported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	send := func(event string, v any) error {
		b, _ := json.Marshal(v)
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return err
		}
		fl.Flush()
		return nil
	}
	done := func() {
		state := ""
		if cur, err := s.store.get(j.ID); err == nil {
			state = cur.State
		}
		_ = send("done", Progress{State: state})
	}
	ar := s.active(j.ID)
	if ar == nil {
		done()
		return
	}
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		if send("progress", ar.progress(s.cfg.Now())) != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-ar.done: // the last counts, then how it ended
			if send("progress", ar.progress(s.cfg.Now())) == nil {
				done()
			}
			return
		case <-t.C:
		}
	}
}

func (s *Server) stop(w http.ResponseWriter, r *http.Request, se *session) {
	j, ok := s.jobOf(w, r, se)
	if !ok {
		return
	}
	if se.Role == RoleViewer {
		s.fail(w, r, se, http.StatusForbidden, "forbidden", msg(langOf(r), "viewer_cannot"))
		return
	}
	if ar := s.active(j.ID); ar != nil {
		ar.mu.Lock()
		ar.stopping, ar.stoppedBy = true, se.User
		ar.mu.Unlock()
		ar.cancel()
		s.audit.log(AuditEntry{User: se.User, Action: "stop", Job: j.ID, Remote: remote(r), OK: true})
	}
	http.Redirect(w, r, "/jobs/"+j.ID, http.StatusSeeOther)
}

// Wait waits until job id's run (if one is going on) has ended: for tests and shutdown.
func (s *Server) Wait(ctx context.Context, id string) error {
	ar := s.active(id)
	if ar == nil {
		return nil
	}
	select {
	case <-ar.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
