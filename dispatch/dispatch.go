package dispatch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"

	"svbatch"
	"svbatch/batch"
	"svbatch/client"
	"svbatch/journal"
)

// Sender sends one request once; *client.Client is one.
type Sender interface {
	Do(ctx context.Context, req client.RechargeRequest) (*client.Response, error)
}

var _ Sender = (*client.Client)(nil)

// Journal is the durable state the dispatcher needs; *journal.Journal is one.
type Journal interface {
	Get(key string) (journal.Entry, bool, error)
	MarkSending(ctx context.Context, e journal.Entry) error
	Record(e journal.Entry) error
	Counts() (map[svbatch.Status]int, error)
}

var _ Journal = (*journal.Journal)(nil)

// RowSource yields rows in file order (a *Reader); io.EOF at the end.
type RowSource interface {
	Next() (batch.Row, []batch.Problem, error)
}

// On-failure policies (DESIGN.md §4).
const (
	OnFailureSkipAccount = "skip-account" // later rows of an account whose row failed are skipped
	OnFailureContinue    = "continue"     // later rows are sent anyway
)

// Config says how to send.
type Config struct {
	QPS         float64 // sends per second, retries included; 0 = unlimited
	Burst       int     // limiter burst; 0 = 1
	Concurrency int     // requests in flight at most
	Policy      client.RetryPolicy
	OnFailure   string // OnFailureSkipAccount (default) or OnFailureContinue
	RetryFailed bool   // resend failed rows under a new request_id generation
	IDNamespace string // for the request_id of a new generation
	// MaxQueued bounds rows read ahead and waiting behind their account's earlier rows (memory bound).
	MaxQueued int
	// OnRow, when set, is called once per row as it reaches its status in this run (any goroutine).
	OnRow func(RowDone)
	// UnreachableAfter stops the run when no send has reached the API for this long and none has
	// in this run (0 = DefaultUnreachableAfter); OutageWait the same after earlier answers
	// (0 = DefaultOutageWait). The run then stops with a *client.UnreachableError.
	UnreachableAfter, OutageWait time.Duration
	// FixRound is set when the run sends a Retry sheet (the rows of an earlier run, fixed by a
	// person): the file's path, recorded with each send (Sent.Round), so that the results of the
	// original file show a row fixed and sent here as succeeded_after_fix, not as a conflict.
	FixRound string
	// Monitor, when set, is attached to the run: its Held says, while the run goes on, whether it
	// is held by a flow-control ban or a gateway that stopped answering.
	Monitor *Monitor
	// Known, when set, is what the plan found in the journal of each row (see Known): the run
	// reads the journal only for rows it holds that are not done.
	Known *Known
}

// RowDone is a row that reached its status in a run (Config.OnRow).
type RowDone struct {
	Line   int
	Status svbatch.Status
	Amount int64 // fen
	// Taken: the run had this row to send (Decide said so; it may still have been skipped or
	// stopped before it went out). Rows the journal already settles (done, failed, in conflict)
	// are not taken: a progress display counts only taken rows against what is left to send.
	Taken bool
}

// StopError stops a run before every row was handled. The rows not handled stay resumable.
type StopError struct {
	Line int   // the row whose answer stopped the run (0 for an interrupt)
	Err  error // a run-stopping client error, *client.BanTooLongError, or the context's error
}

func (e *StopError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("run stopped at row %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("run stopped: %v", e.Err)
}

func (e *StopError) Unwrap() error { return e.Err }

// Interrupted reports whether the stop is an interruption, resumable as is: a signal (the context's
// end), a flow-control ban longer than the run will wait, or a gateway that stopped answering after
// it had answered. Other stops need a fix first: a run-stopping gateway error (signature, app key,
// session, timestamp), a gateway that never answered (a wrong --gateway), or a journal failure.
func (e *StopError) Interrupted() bool {
	var ban *client.BanTooLongError
	var down *client.UnreachableError
	return errors.As(e.Err, &ban) || errors.Is(e.Err, context.Canceled) || errors.Is(e.Err, context.DeadlineExceeded) ||
		(errors.As(e.Err, &down) && !down.Never)
}

// Unreachable is the gateway outage that stopped the run, or nil.
func (e *StopError) Unreachable() *client.UnreachableError {
	var down *client.UnreachableError
	if errors.As(e.Err, &down) {
		return down
	}
	return nil
}

// RunStopping reports whether the gateway refused the run itself (signature, app key, session,
// timestamp): every row would fail the same way.
func (e *StopError) RunStopping() bool { return client.Classify(e.Err) == client.RunStopping }

// Dispatcher sends rows: paced by a rate limiter, bounded in concurrency, strictly in file order per
// account, journaling each row durably before and after its send.
type Dispatcher struct {
	cfg     Config
	sender  Sender
	journal Journal
	limiter *rate.Limiter
	gate    *client.Gate
	health  *health
	slots   chan struct{} // one per request in flight (Concurrency)
}

// New returns a Dispatcher; cfg's zero values get defaults.
func New(cfg Config, s Sender, j Journal) *Dispatcher {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 1
	}
	if cfg.MaxQueued <= 0 {
		cfg.MaxQueued = 4096
	}
	if cfg.OnFailure == "" {
		cfg.OnFailure = OnFailureSkipAccount
	}
	if cfg.Policy.MaxAttempts == 0 {
		cfg.Policy = client.DefaultRetryPolicy()
	}
	lim := rate.NewLimiter(rate.Inf, 0)
	if cfg.QPS > 0 {
		lim = rate.NewLimiter(rate.Limit(cfg.QPS), cfg.Burst)
	}
	d := &Dispatcher{cfg: cfg, sender: s, journal: j, limiter: lim, gate: client.NewGate(nil, cfg.Policy.Sleep),
		health: newHealth(cfg.UnreachableAfter, cfg.OutageWait),
		slots:  make(chan struct{}, cfg.Concurrency)}
	if cfg.Monitor != nil {
		cfg.Monitor.attach(d.gate, d.health)
	}
	return d
}

// beforeSend paces a send: a limiter token, then the run-wide gate again. A worker that passed the
// gate and then waited for its token while another worker's answer closed the gate (a ban) must not
// send during the ban: it waits it out and takes a fresh token, so the end of a ban is paced too.
func (d *Dispatcher) beforeSend(ctx context.Context) error {
	for {
		if err := d.limiter.Wait(ctx); err != nil {
			return err
		}
		paused, err := d.gate.Wait(ctx)
		if err != nil {
			return err
		}
		if !paused {
			return nil
		}
	}
}

// account is the in-memory state of an account with rows queued or in flight.
type account struct {
	queue []queuedRow
}

// queuedRow is a row waiting for its account's worker, with its journal entry when the reader
// found it already (known): the reader looks entries up in file order, merged with one ordered
// scan of the journal, instead of each worker doing one lookup per row. A row's entry cannot
// change while it waits: only its own handling writes it (keys are unique in a file).
type queuedRow struct {
	row   batch.Row
	prev  journal.Entry
	seen  bool
	known bool
}

// Run sends every row of src and returns when all are handled, or when the run stops (a *StopError).
// Cancelling ctx stops taking rows; requests in flight finish (bounded by the client's timeout).
func (d *Dispatcher) Run(ctx context.Context, src RowSource) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	g, gctx := errgroup.WithContext(ctx)
	// Four times as many account workers as requests in flight: while Concurrency requests are out,
	// more rows wait for their durable "sending" mark (an fsync'd group commit), so the journal's
	// latency is hidden and its commits grow larger. Sends are bounded by d.slots. The workers live
	// for the whole run and take one account after another from ready: a goroutine per account
	// would start on a small stack and grow it again for every account (the HTTP and JSON code a
	// send runs is deep), which cost as much CPU as the dispatcher's own work per row.
	workers := 4 * d.cfg.Concurrency
	type work struct {
		key string
		a   *account
	}
	ready := make(chan work)
	// A journal that knows no row yet (a first run) needs no lookup per row: rows' keys are unique
	// (validation refuses duplicate identities and request_ids).
	fresh, err := isEmpty(d.journal)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	var lookup *journal.Lookup
	if lj, ok := d.journal.(interface{ ResumeLookup() *journal.Lookup }); ok && !fresh && d.cfg.Known == nil {
		lookup = lj.ResumeLookup()
	}

	var (
		mu       sync.Mutex
		cond     = sync.NewCond(&mu)
		active   = map[string]*account{} // accounts with a worker
		blocked  = map[string]int{}      // account → the row that failed (skip-account)
		queued   int
		stopOnce sync.Once
	)
	stop := func(err error) {
		stopOnce.Do(func() { cancel(err) })
	}
	// worker handles an account's rows in order until its queue is empty. Its error stops the run:
	// the first one is what Run returns.
	worker := func(key string, a *account) error {
		var werr error
		for {
			mu.Lock()
			if len(a.queue) == 0 || gctx.Err() != nil {
				queued -= len(a.queue)
				a.queue = nil
				delete(active, key)
				cond.Broadcast()
				mu.Unlock()
				return werr
			}
			q := a.queue[0]
			a.queue = a.queue[1:]
			queued--
			cond.Broadcast()
			failedAt, isBlocked := blocked[key]
			mu.Unlock()

			row := q.row
			status, serr := d.handle(gctx, q, failedAt, isBlocked, fresh, stop)
			if serr != nil {
				stop(serr) // cancels gctx: the loop ends with the queue released
				werr = serr
				continue
			}
			if status != svbatch.Succeeded && status != svbatch.AlreadyDone && status != svbatch.SucceededAfterFix && status != "" {
				if d.cfg.OnFailure == OnFailureSkipAccount {
					mu.Lock()
					if _, ok := blocked[key]; !ok {
						blocked[key] = row.Line
					}
					mu.Unlock()
				}
			}
		}
	}

	// Wake the reader if it waits for queue room when the run is cancelled.
	go func() {
		<-ctx.Done()
		mu.Lock()
		cond.Broadcast()
		mu.Unlock()
	}()
	var readErr error
	started := 0 // workers started (up to workers, as accounts come)
	for i := 0; ; i++ {
		if ctx.Err() != nil {
			break
		}
		row, problems, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			readErr = err
			break
		}
		if len(problems) > 0 {
			readErr = fmt.Errorf("row %d: %s: %s (validate the file first)", row.Line, problems[0].Column, problems[0].Message)
			break
		}
		q := queuedRow{row: row}
		if d.cfg.Known != nil && !fresh {
			held, done, ok := d.cfg.Known.of(i, row)
			if ok && done {
				// succeeded before, the same payload (Decide: already_done): nothing to send, and
				// nothing that holds the account's later rows
				if d.cfg.OnRow != nil {
					d.cfg.OnRow(RowDone{Line: row.Line, Status: svbatch.AlreadyDone, Amount: row.Req.ChangeValue})
				}
				continue
			}
			// held, or not the row the plan judged here: handle reads the whole entry (q.known
			// false); not held: no entry
			q.known = ok && !held
		} else if lookup != nil {
			if q.prev, q.seen, err = lookup.Get(row.Line, row.Req.RequestID); err != nil {
				readErr = fmt.Errorf("journal: %w", err)
				break
			}
			q.known = true
		}
		mu.Lock()
		for queued >= d.cfg.MaxQueued && ctx.Err() == nil {
			cond.Wait()
		}
		if ctx.Err() != nil {
			mu.Unlock()
			break
		}
		if a, ok := active[row.AccountKey]; ok {
			a.queue = append(a.queue, q)
			queued++
			mu.Unlock()
			continue
		}
		a := &account{queue: []queuedRow{q}}
		active[row.AccountKey] = a
		queued++
		mu.Unlock()
		if started < workers {
			started++
			g.Go(func() error {
				for w := range ready {
					if err := worker(w.key, w.a); err != nil {
						return err
					}
				}
				return nil
			})
		}
		select {
		case ready <- work{row.AccountKey, a}:
		case <-gctx.Done():
			// a worker stopped the run: release what a would have sent
			mu.Lock()
			queued -= len(a.queue)
			a.queue = nil
			delete(active, row.AccountKey)
			cond.Broadcast()
			mu.Unlock()
		}
	}
	close(ready)
	werr := g.Wait()
	if readErr != nil {
		return fmt.Errorf("reading rows: %w", readErr)
	}
	if werr != nil {
		return werr
	}
	if err := context.Cause(ctx); err != nil && ctx.Err() != nil {
		return &StopError{Err: err}
	}
	return nil
}

// GenerationID is the request_id of a row's generation g (g ≥ 1: resent by --retry-failed).
// Generation 0 is the row's own request_id.
func GenerationID(namespace string, req client.RechargeRequest, key string, g int) string {
	if g == 0 {
		return key
	}
	ns := namespace + "#retry" + strconv.Itoa(g)
	if key != svbatch.RequestIDv1(namespace, req.BrandID, int(req.OperateType), req.OuterOrderID, req.NewOuterOrderID) {
		// A request_id from the file: derive the new generation from it.
		sum := sha256.Sum256([]byte(ns + ";" + key))
		return "svb1" + hex.EncodeToString(sum[:])[:28]
	}
	return svbatch.RequestIDv1(ns, req.BrandID, int(req.OperateType), req.OuterOrderID, req.NewOuterOrderID)
}

// handle takes one row to its status in this run. A non-nil error stops the whole run.
// stop stops the run at once; handle calls it before giving up its send slot, so that no other
// row is sent after a run-stopping answer.
func (d *Dispatcher) handle(ctx context.Context, q queuedRow, failedAt int, isBlocked, fresh bool, stop func(error)) (svbatch.Status, error) {
	row := q.row
	key := row.Req.RequestID
	hash := PayloadHash(row.Req)
	prev, seen := q.prev, q.seen
	if !fresh && !q.known {
		var err error
		if prev, seen, err = d.journal.Get(key); err != nil {
			return "", &StopError{Line: row.Line, Err: fmt.Errorf("journal: %w", err)}
		}
	}
	e := prev
	if !seen {
		e = journal.Entry{Key: key, RequestID: key}
	}
	e.Line = row.Line

	taken := false // Decide said send: the row is part of what this run has to do
	report := func(st svbatch.Status) (svbatch.Status, error) {
		if d.cfg.OnRow != nil {
			d.cfg.OnRow(RowDone{Line: row.Line, Status: st, Amount: row.Req.ChangeValue, Taken: taken})
		}
		return st, nil
	}
	save := func(st svbatch.Status, note string) (svbatch.Status, error) {
		e.State, e.Note = st, note
		if err := d.journal.Record(e); err != nil {
			return st, &StopError{Line: row.Line, Err: fmt.Errorf("journal: %w", err)}
		}
		return report(st)
	}

	// A conflict is not written to the journal: the journal keeps what the gateway was sent and
	// its state, so restoring the row in the file resumes it as it was (ResultOf reports the
	// conflict from the same Decide).
	v := Decide(PriorOf(prev, seen, row.Req, d.cfg.FixRound, d.cfg.RetryFailed))
	if !v.Send {
		return report(v.Status)
	}
	taken = true
	if v.NewGeneration {
		e.Generation = prev.Generation + 1
		e.RequestID = GenerationID(d.cfg.IDNamespace, row.Req, key, e.Generation)
	}
	if isBlocked {
		// Not sent now; the journal keeps what it knows of rows sent before: one that may have been
		// applied stays unknown, one that failed stays failed (with its generation).
		switch prev.State {
		case svbatch.Unknown, svbatch.Sending:
			return report(svbatch.Unknown)
		case svbatch.Failed:
			return report(svbatch.Failed)
		}
		return save(svbatch.Skipped, fmt.Sprintf("row %d of this account did not succeed", failedAt))
	}

	req := row.Req
	req.RequestID = e.RequestID
	e.PayloadHash = hash
	e.Sent = sentOf(req, d.cfg.FixRound, fixedFromOf(prev, d.cfg.FixRound))
	e.State = svbatch.Sending
	e.Note = ""
	// restore puts a row that was marked sending but certainly not applied back as it was before
	// (pending if new), with out's attempts and answer when it was sent. (Should this not reach the
	// disk, the durable sending mark errs on the safe side: a rerun sends the row, same id.)
	restore := func(out *client.Outcome, note string) (*journal.Entry, error) {
		back := prev
		if !seen {
			back = journal.Entry{Key: key, RequestID: key, Line: row.Line, State: svbatch.Pending}
		}
		back.Line = row.Line
		if out != nil {
			back.Attempts += out.Attempts
		}
		if back.State == svbatch.Pending {
			back.Note = note
			if out != nil && out.Attempts > 0 {
				back.FinishedAt = time.Now().UTC()
				fillAnswer(&back, *out)
			}
		} else if out != nil && out.Attempts > 0 {
			// an earlier run's state (unknown, failed) and its answer stay: this run's resend was
			// refused before the ledger, which says nothing about the earlier send
			back.Note = "this run's resend was refused before the ledger (" + errString(out.Err) + "); what the earlier send did is unchanged"
		}
		if err := d.journal.Record(back); err != nil {
			return nil, &StopError{Line: row.Line, Err: fmt.Errorf("journal: %w", err)}
		}
		return &back, nil
	}
	const notReached = "not sent: the run stopped first; a rerun sends it"
	unmark := func() error {
		_, err := restore(nil, notReached)
		return err
	}
	if err := d.journal.MarkSending(ctx, e); err != nil {
		if ctx.Err() != nil {
			return "", unmark() // interrupted before sending (the mark may be on disk already)
		}
		return "", &StopError{Line: row.Line, Err: fmt.Errorf("journal: %w", err)}
	}
	if ctx.Err() != nil {
		return "", unmark()
	}
	select {
	case d.slots <- struct{}{}:
	case <-ctx.Done():
		return "", unmark()
	}
	// A row sent before with this payload and no definitive answer may have been applied.
	r := &client.Retrier{Policy: d.cfg.Policy, Gate: d.gate, Before: d.beforeSend, MaybeApplied: v.MaybeApplied}
	out := r.Run(ctx, func(ctx context.Context) (*client.Response, error) { return d.health.do(ctx, d.sender, req) })
	var runStop error
	if out.Stop != nil {
		runStop = &StopError{Line: row.Line, Err: out.Stop}
		if errors.Is(out.Stop, context.Canceled) || errors.Is(out.Stop, context.DeadlineExceeded) {
			runStop = nil // the run's own cancellation: reported by Run
		} else {
			stop(runStop)
		}
	}
	<-d.slots
	e.Attempts += out.Attempts
	e.FinishedAt = time.Now().UTC()
	fillAnswer(&e, out)
	st := out.Status
	note := ""
	switch st {
	case svbatch.Pending:
		if out.Attempts == 0 {
			// never sent (stopped at the gate or the limiter): not reached in this run
			if err := unmark(); err != nil {
				return "", err
			}
			return "", runStop
		}
		// sent, but refused before it could apply (flow control, a run-stopping error, never
		// delivered): as if not sent, the answer kept for the report
		back, err := restore(&out, fmt.Sprintf("not applied (%v); a rerun sends it", out.Err))
		if err != nil {
			return "", err
		}
		if _, err := report(back.State); err != nil {
			return back.State, err
		}
		return back.State, runStop
	case svbatch.Unknown:
		note = "no definitive answer after retries; a rerun resends it with the same request_id (safe)"
	case svbatch.Conflict:
		note = msgIDUsed
	}
	if _, err := save(st, note); err != nil {
		return st, err
	}
	return st, runStop
}

func errString(err error) string {
	if err == nil {
		return "no answer"
	}
	return err.Error()
}

// fillAnswer copies the outcome's answer into e.
func fillAnswer(e *journal.Entry, out client.Outcome) {
	e.Answered, e.BizSuccess, e.ResultOK, e.ResultCode, e.ResultDesc = false, false, false, "", ""
	e.ErrCode, e.ErrMsg, e.ErrSubCode, e.ErrSubMsg = 0, "", "", ""
	if out.Response != nil {
		r := out.Response.Result
		e.Answered, e.BizSuccess, e.ResultOK, e.ResultCode, e.ResultDesc = true, r.BizSuccess, r.Result, r.ResultCode, r.ResultDesc
		e.TraceID = out.Response.TraceID
		e.LatencyMS = out.Response.Latency.Milliseconds()
	}
	if out.Err != nil {
		var api *client.APIError
		if errors.As(out.Err, &api) {
			e.ErrCode, e.ErrMsg, e.ErrSubCode, e.ErrSubMsg = api.Code, api.Msg, api.SubCode, api.SubMsg
			if api.TraceID != "" {
				e.TraceID = api.TraceID
			}
		} else {
			e.ErrMsg = out.Err.Error()
		}
	}
}

// isEmpty reports whether j knows no row yet: Empty where the journal has it (one step of its
// index), else from Counts.
func isEmpty(j Journal) (bool, error) {
	if e, ok := j.(interface{ Empty() (bool, error) }); ok {
		return e.Empty()
	}
	counts, err := j.Counts()
	if err != nil {
		return false, err
	}
	for _, n := range counts {
		if n > 0 {
			return false, nil
		}
	}
	return true, nil
}
