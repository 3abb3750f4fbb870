// Package job is the run procedure that `svbatch run`, the demo and tests share: the validation
// gate, the plan, the input's checksum, the journal and its namespace guard, dispatch, and the
// results workbook. It prints nothing and asks nothing: the caller shows the Plan, asks for
// confirmation, and turns the Summary or the typed errors into words and an exit code.
package job

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"svbatch"
	"svbatch/batch"
	"svbatch/client"
	"svbatch/dispatch"
	"svbatch/journal"
	"svbatch/reports"
	"svbatch/table"
)

// Config is what a run needs besides the sender.
type Config struct {
	Input   string
	Read    batch.Options
	Out     string // results file, .xlsx or .csv; "" = DefaultOut
	Journal string // "" = DefaultJournal
	DryRun  bool

	// Dispatch is how to send; its IDNamespace is Read.IDNamespace and its OnRow Run's onRow.
	Dispatch dispatch.Config

	// Params are the run's parameters as the Summary sheet lists them after the input and its
	// encoding (never a secret); JournalParams as the journal records them (Run adds the id
	// namespace, which the namespace guard reads back).
	Params        [][2]string
	JournalParams map[string]string
	Version       string // svbatch's version, for the Summary sheet

	SheetRowLimit int // rows per Results sheet (tests); 0 = Excel's limit

	// KeepJournalOpen: Prepare keeps the journal it read open, and so locked, for Run (Prepared.Close
	// releases it when no run comes). What the plan says the journal holds then stays true until
	// the run, which passes the rows the plan found done without reading the journal again: a
	// resume of a million rows starts sending at once. For a caller that runs straight after the
	// plan (the command line); a page that plans now and runs after an approval must not hold it.
	KeepJournalOpen bool
}

// Plan is what a valid file asks for: rows and amounts (fen) per operation.
type Plan struct {
	Input    string
	Encoding string
	Rows     int
	Count    map[svbatch.OperateType]int
	Amount   map[svbatch.OperateType]int64 // fen
	Out      string                        // where the results go
	// Journal is what the run's journal already holds of these rows (nil: nothing, a first run),
	// and so what is left to send.
	Journal *Holdings
	// Warnings are what validation noticed that does not make a row invalid (hidden rows, the
	// file open in Excel, an ambiguous encoding): to show before anything is sent.
	Warnings []batch.Warning
	// Reading is how the file is read (unit, mapping, encoding…): the journal records it, and a
	// later run on the same journal must read alike.
	Reading batch.Reading
	header  []string
	extra   []string
}

// InvalidError is a file with invalid rows: nothing was sent. Report has every problem.
type InvalidError struct {
	Input  string
	Report *batch.Report
}

func (e *InvalidError) Error() string {
	return fmt.Sprintf("%s: %d problem(s) in %d row(s); nothing was sent (run 'svbatch validate %s' for the full list)",
		e.Input, max(e.Report.ErrorsTotal, len(e.Report.Errors)), e.Report.Rows-e.Report.Valid, e.Input)
}

// InputError is an input or setting that cannot be used (unreadable file, bad output name, a file
// changed since it was validated, a journal that cannot be opened or has another namespace):
// nothing was sent.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func inputErr(format string, a ...any) error { return &InputError{Err: fmt.Errorf(format, a...)} }

// Prepared is a validated, planned run, ready to send.
type Prepared struct {
	cfg  Config
	Plan *Plan
	sum  string // SHA-256 of the input as validated
	// j is the journal the plan read, kept open for Run (Config.KeepJournalOpen), and known what
	// the plan found in it of each row.
	j     *journal.Journal
	known *dispatch.Known
}

// Prepare validates the whole input (an *InvalidError if any row is invalid) and plans it.
// Nothing is sent, and nothing is written.
func Prepare(cfg Config) (*Prepared, error) {
	out := cfg.Out
	if out == "" {
		out = DefaultOut(cfg.Input, cfg.DryRun)
	}
	if ext := strings.ToLower(filepath.Ext(out)); ext != ".xlsx" && ext != ".csv" {
		return nil, inputErr("--out %s: want a .xlsx or .csv file", out)
	}
	cfg.Out = out
	if cfg.Journal == "" {
		cfg.Journal = DefaultJournal(cfg.Input, out)
	}
	// What was validated is this version of the file: Run checks the checksum before sending.
	sum, err := table.FileSHA256(cfg.Input)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	// One pass validates the file, plans it and, on a resume, finds what the journal already
	// holds of it (the holdings). A journal that cannot be used is said after the file's own
	// problems, as when they were two passes.
	var (
		plan     *Plan
		hs       *holdingsScan
		hsErr    error // the journal cannot be used
		visitErr error // the plan's or the holdings' own error, returned as it is
	)
	rep, err := batch.ValidateRows(cfg.Input, cfg.Read, func(r *batch.Reader) (func(batch.Row) error, error) {
		plan = newPlan(cfg.Input, r)
		if !cfg.DryRun {
			hs, hsErr = openHoldings(cfg.Journal, cfg.Input, plan.Reading, fixRound(cfg.Input, plan.Reading), cfg.Dispatch.RetryFailed)
		}
		return func(row batch.Row) error {
			if hs != nil {
				if visitErr = hs.add(row); visitErr != nil {
					return visitErr
				}
			}
			visitErr = plan.add(row)
			return visitErr
		}, nil
	})
	keep := false
	defer func() {
		if hs != nil && !keep {
			hs.close()
		}
	}()
	if visitErr != nil {
		return nil, visitErr
	}
	if err != nil {
		return nil, &InputError{Err: err}
	}
	if !rep.OK() {
		return nil, &InvalidError{Input: cfg.Input, Report: rep}
	}
	if hsErr != nil {
		return nil, hsErr
	}
	plan.Out = cfg.Out
	plan.Warnings = rep.Warnings
	p := &Prepared{cfg: cfg, Plan: plan, sum: sum}
	if hs != nil {
		if plan.Journal, err = hs.result(); err != nil {
			return nil, err
		}
		if cfg.KeepJournalOpen {
			keep, p.j, p.known = true, hs.j, &hs.known
		}
	}
	return p, nil
}

// Close releases the journal that Prepare kept open (Config.KeepJournalOpen) when Run will not
// come (the run was not confirmed, a dry run). It may be called more than once, and after Run.
func (p *Prepared) Close() error {
	if p.j == nil {
		return nil
	}
	j := p.j
	p.j, p.known = nil, nil
	return j.Close()
}

// SetMonitor attaches m to the run (dispatch.Config.Monitor): its Held says what holds the run.
func (p *Prepared) SetMonitor(m *dispatch.Monitor) { p.cfg.Dispatch.Monitor = m }

// JournalPath is where the run's journal is.
func (p *Prepared) JournalPath() string { return p.cfg.Journal }

// newPlan is the plan of the file r reads, before its first row (Plan.add adds each).
func newPlan(input string, r *batch.Reader) *Plan {
	return &Plan{Input: input, Count: map[svbatch.OperateType]int{}, Amount: map[svbatch.OperateType]int64{},
		header: r.Header(), extra: r.ExtraHeader(), Encoding: r.Encoding(), Reading: r.Reading()}
}

// add counts a valid row and its amount (checked sums).
func (p *Plan) add(row batch.Row) error {
	p.Rows++
	p.Count[row.Req.OperateType]++
	sum, ok := svbatch.AddFen(p.Amount[row.Req.OperateType], row.Req.ChangeValue)
	if !ok {
		return inputErr("row %d: the %s total passes the largest amount svbatch can add up: split the file", row.Line, row.Req.OperateType)
	}
	p.Amount[row.Req.OperateType] = sum
	return nil
}

// Summary is how a run ended.
type Summary struct {
	Outcome      string                   // "complete", "interrupted", "stopped: …", "dry run: nothing sent"
	Counts       map[svbatch.Status]int   // rows per status on the Results sheet
	Amounts      map[svbatch.Status]int64 // … and their change_value, fen (checked sums)
	Out          string                   // the results file
	Journal      string                   // the journal ("" for a dry run)
	InputChanged bool                     // the input changed during the run (changed rows are conflicts)
	// Stop is why the run ended before every row was handled; nil when it finished.
	Stop *dispatch.StopError
	// Err is a failure of svbatch itself that ended the run early (reading the input again): the
	// results and the journal still say what was done.
	Err error
	// Gone are the journal's rows that may have been applied (unknown, or in flight when a run
	// died) but are no longer in the file: nobody would look at them again. They need attention.
	Gone []journal.Entry
}

// NeedsAttention is the number of rows that did not take effect (svbatch.Status.NeedsAttention),
// and of rows that may have been applied and are no longer in the file (Gone).
func (s *Summary) NeedsAttention() int {
	n := len(s.Gone)
	for st, c := range s.Counts {
		if st.NeedsAttention() {
			n += c
		}
	}
	return n
}

// SystemError is a failure of svbatch itself or its disk (the journal, the results file): the
// cause is in Err; the journal keeps what was sent.
type SystemError struct{ Err error }

func (e *SystemError) Error() string { return e.Err.Error() }
func (e *SystemError) Unwrap() error { return e.Err }

// DryRun writes the results with status planned and each row's request_id; it sends nothing and
// opens no journal.
func (p *Prepared) DryRun() (*Summary, error) {
	const outcome = "dry run: nothing sent"
	counts, amounts, err := p.writeResults(p.info(time.Now(), outcome), func(row batch.Row) (svbatch.Result, error) {
		r := dispatch.ResultOf(row, journal.Entry{}, false, 0, "")
		r.Status, r.Note = svbatch.Planned, "dry run: not sent"
		return r, nil
	}, nil)
	if err != nil {
		return nil, &SystemError{Err: fmt.Errorf("writing %s: %w", p.cfg.Out, err)}
	}
	return &Summary{Outcome: outcome, Counts: counts, Amounts: amounts, Out: p.cfg.Out}, nil
}

// Run sends every row through s, journaling each, and writes the results. onRow (nil = none) is
// called as each row reaches its status in this run. A run that stops early (a signal, a long ban,
// a gateway error every row would hit) returns a Summary with Stop set and no error; errors are
// *InputError (nothing sent) or *SystemError.
func (p *Prepared) Run(ctx context.Context, s dispatch.Sender, onRow func(dispatch.RowDone)) (*Summary, error) {
	cfg := p.cfg
	j, known := p.j, p.known
	p.j, p.known = nil, nil // Run owns it now
	if j == nil {
		var err error
		if j, err = journal.Open(cfg.Journal); err != nil {
			if errors.Is(err, journal.ErrLocked) {
				return nil, inputErr("%v: is another 'svbatch run' on this file still going? (journal %s)", err, cfg.Journal)
			}
			return nil, &SystemError{Err: fmt.Errorf("journal %s: %w", cfg.Journal, err)}
		}
	}
	defer j.Close()
	if err := j.CheckNamespace(cfg.Read.IDNamespace); err != nil {
		var ne *journal.NamespaceError
		if errors.As(err, &ne) {
			return nil, &InputError{Err: err}
		}
		return nil, &SystemError{Err: err}
	}
	if err := checkReading(j, cfg.Journal, cfg.Input, p.Plan.Reading); err != nil {
		return nil, err
	}
	params := map[string]string{"id_namespace": cfg.Read.IDNamespace} // what CheckNamespace reads
	for k, v := range cfg.JournalParams {
		if k != "id_namespace" {
			params[k] = v
		}
	}
	maps.Copy(params, p.Plan.Reading.Params())
	params[paramInput] = absPath(cfg.Input)
	runID, err := j.BeginRun(cfg.Input, params)
	if err != nil {
		return nil, &SystemError{Err: fmt.Errorf("journal %s: %w", cfg.Journal, err)}
	}
	started := time.Now()
	dc := cfg.Dispatch
	dc.IDNamespace, dc.OnRow = cfg.Read.IDNamespace, onRow
	dc.FixRound = fixRound(cfg.Input, p.Plan.Reading)
	dc.Known = known
	d := dispatch.New(dc, s, j)
	if now, err := table.FileSHA256(cfg.Input); err != nil || now != p.sum {
		return nil, inputErr("%s changed since it was validated (or cannot be read again: %v); nothing was sent: run again", cfg.Input, err)
	}
	rows, err := batch.Open(cfg.Input, cfg.Read)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	runErr := d.Run(ctx, rows)
	rows.Close()
	if err := j.Flush(); err != nil {
		return nil, &SystemError{Err: fmt.Errorf("journal %s: %w", cfg.Journal, err)}
	}
	sum := &Summary{Out: cfg.Out, Journal: cfg.Journal, Outcome: "complete"}
	if now, err := table.FileSHA256(cfg.Input); err != nil || now != p.sum {
		sum.InputChanged = true
	}
	if runErr != nil {
		if !errors.As(runErr, &sum.Stop) {
			// not a stop of the run: reading the rows failed; the results say what was done
			sum.Err = &SystemError{Err: runErr}
			sum.Outcome = "stopped: " + runErr.Error()
		} else if sum.Stop.Interrupted() {
			sum.Outcome = "interrupted"
		} else {
			sum.Outcome = "stopped: " + client.Describe(sum.Stop.Err)
		}
	}
	if err := j.EndRun(runID, sum.Outcome); err != nil {
		return nil, &SystemError{Err: fmt.Errorf("journal %s: %w", cfg.Journal, err)}
	}
	maybe, err := maybeApplied(j)
	if err != nil {
		return nil, &SystemError{Err: fmt.Errorf("journal %s: %w", cfg.Journal, err)}
	}
	byLine := j.Lookup()
	sum.Counts, sum.Amounts, err = p.writeResults(p.info(started, sum.Outcome), func(row batch.Row) (svbatch.Result, error) {
		delete(maybe, row.Req.RequestID)
		e, ok, err := byLine.Get(row.Line, row.Req.RequestID)
		return dispatch.ResultOf(row, e, ok, runID, dc.FixRound), err
	}, func() []reports.GoneRow {
		// What is left in maybe is no longer in the file: listed in the results too.
		for _, e := range maybe {
			sum.Gone = append(sum.Gone, e)
		}
		slices.SortFunc(sum.Gone, func(a, b journal.Entry) int { return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Key, b.Key)) })
		rows := make([]reports.GoneRow, len(sum.Gone))
		for i, e := range sum.Gone {
			rows[i] = reports.GoneRow{Line: e.Line, RequestID: e.RequestID, State: e.State, Note: e.Note}
			if s, ok := dispatch.SentOf(e); ok {
				rows[i].Amount, rows[i].HasAmount = s.ChangeValue, true
			}
		}
		return rows
	})
	if err != nil {
		return nil, &SystemError{Err: fmt.Errorf("writing %s: %w", cfg.Out, err)}
	}
	return sum, nil
}

// info is the Summary sheet's parameters.
func (p *Prepared) info(started time.Time, outcome string) reports.RunInfo {
	params := [][2]string{{"input", p.Plan.Input}, {"encoding", p.Plan.Encoding}}
	params = append(params, p.cfg.Params...)
	params = append(params, [2]string{"started", started.In(svbatch.GMT8).Format(time.RFC3339)}, [2]string{"finished", time.Now().In(svbatch.GMT8).Format(time.RFC3339)},
		[2]string{"outcome", outcome}, [2]string{"svbatch version", p.cfg.Version})
	return reports.RunInfo{Params: params}
}

// writeResults streams the input once more, in line order, writing each row's result.
// gone (nil = none) names, once every row is written, the journal's rows no longer in the file.
func (p *Prepared) writeResults(info reports.RunInfo, result func(batch.Row) (svbatch.Result, error), gone func() []reports.GoneRow) (map[svbatch.Status]int, map[svbatch.Status]int64, error) {
	w, err := reports.NewResults(p.cfg.Out, p.Plan.header, p.Plan.extra, info, reports.ResultsOptions{SheetRowLimit: p.cfg.SheetRowLimit})
	if err != nil {
		return nil, nil, err
	}
	counts, amounts := map[svbatch.Status]int{}, map[svbatch.Status]int64{}
	r, err := batch.Open(p.cfg.Input, p.cfg.Read)
	if err != nil {
		w.Close()
		return nil, nil, err
	}
	defer r.Close()
	for {
		row, _, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			w.Close()
			return nil, nil, err
		}
		res, err := result(row)
		if err != nil {
			w.Close()
			return nil, nil, err
		}
		counts[res.Status]++
		sum, ok := svbatch.AddFen(amounts[res.Status], res.ChangeValue)
		if !ok {
			w.Close()
			return nil, nil, fmt.Errorf("row %d: the %s total passes the largest amount svbatch can add up", res.Line, res.Status)
		}
		amounts[res.Status] = sum
		if err := w.Write(&res); err != nil {
			w.Close()
			return nil, nil, err
		}
	}
	if gone != nil {
		w.SetGone(gone())
	}
	return counts, amounts, w.Close()
}

// maybeApplied returns the journal's entries that may have been applied without a definitive
// answer (unknown, sending), by key. The journal's counts say first whether there are any.
func maybeApplied(j *journal.Journal) (map[string]journal.Entry, error) {
	counts, err := j.Counts()
	if err != nil {
		return nil, err
	}
	out := map[string]journal.Entry{}
	if counts[svbatch.Unknown]+counts[svbatch.Sending] == 0 {
		return out, nil
	}
	err = j.Each(func(e journal.Entry) error {
		if e.State == svbatch.Unknown || e.State == svbatch.Sending {
			out[e.Key] = e
		}
		return nil
	})
	return out, err
}
