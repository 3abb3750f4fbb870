package job

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"svbatch"
	"svbatch/batch"
	"svbatch/dispatch"
	"svbatch/journal"
)

// Holdings is what the journal already holds of a file's rows, by the rules a run applies
// (dispatch.Decide): what a resume will send and what it will not.
type Holdings struct {
	Known      int                           // rows the journal has an entry for
	Done       int                           // succeeded earlier: not resent
	Failed     int                           // failed earlier: not resent without --retry-failed
	Conflict   int                           // in conflict: never resent
	LeftRows   int                           // rows the run will send
	LeftCount  map[svbatch.OperateType]int   // … per operation
	LeftAmount map[svbatch.OperateType]int64 // … and their amounts, fen
}

// holdingsScan adds up what the journal holds of the rows it is shown (add), one pass of the input
// shared with the plan.
type holdingsScan struct {
	j           *journal.Journal
	byLine      *journal.Lookup
	path, input string
	round       string
	retryFailed bool
	h           *Holdings
	taken       []string // rows whose explicit request_id the journal holds for another operation
	nTaken      int
	known       dispatch.Known // what was found of each row, for the run (Config.KeepJournalOpen)
}

// openHoldings opens the journal at path, if it exists and knows rows, to read what it holds of
// input's rows (read as rd): nil when there is nothing in it. A file read differently from an
// earlier run of the journal (checkReading) is an *InputError. The caller closes it.
func openHoldings(path, input string, rd batch.Reading, round string, retryFailed bool) (*holdingsScan, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	j, err := journal.Open(path)
	if err != nil {
		if errors.Is(err, journal.ErrLocked) {
			return nil, inputErr("%v: is another 'svbatch run' on this file still going? (journal %s)", err, path)
		}
		return nil, &SystemError{Err: fmt.Errorf("journal %s: %w", path, err)}
	}
	if err := checkReading(j, path, input, rd); err != nil {
		j.Close()
		return nil, err
	}
	empty, err := j.Empty()
	if err != nil {
		j.Close()
		return nil, &SystemError{Err: fmt.Errorf("journal %s: %w", path, err)}
	}
	if empty {
		j.Close()
		return nil, nil
	}
	return &holdingsScan{j: j, byLine: j.ResumeLookup(), path: path, input: input, round: round, retryFailed: retryFailed,
		h: &Holdings{LeftCount: map[svbatch.OperateType]int{}, LeftAmount: map[svbatch.OperateType]int64{}}}, nil
}

func (hs *holdingsScan) close() { hs.j.Close() }

// add counts row (rows come in file order) by the rules a run applies (dispatch.Decide).
func (hs *holdingsScan) add(row batch.Row) error {
	e, ok, err := hs.byLine.Get(row.Line, row.Req.RequestID)
	if err != nil {
		return &SystemError{Err: fmt.Errorf("journal %s: %w", hs.path, err)}
	}
	prior := dispatch.PriorOf(e, ok, row.Req, hs.round, hs.retryFailed)
	// The same payload is the same operation: only a changed one can be another's request_id.
	if prior.Changed {
		if s, has := dispatch.SentOf(e); has && s.BrandID != "" && (s.BrandID != row.Req.BrandID || s.OperateType != int(row.Req.OperateType) ||
			s.OuterOrderID != row.Req.OuterOrderID || s.NewOuterOrderID != row.Req.NewOuterOrderID) {
			hs.nTaken++
			if len(hs.taken) < 10 {
				hs.taken = append(hs.taken, fmt.Sprintf("row %d: request_id %s was sent for brand %s, %s, outer_order_id %s%s (the journal's row %d); this row is %s, outer_order_id %s%s",
					row.Line, row.Req.RequestID, s.BrandID, svbatch.OperateType(s.OperateType), s.OuterOrderID, refundOf(s.NewOuterOrderID), e.Line,
					row.Req.OperateType, row.Req.OuterOrderID, refundOf(row.Req.NewOuterOrderID)))
			} else if len(hs.taken) == 10 {
				hs.taken = append(hs.taken, "…")
			}
			hs.known.Add(row, ok, false)
			return nil
		}
	}
	h := hs.h
	v := dispatch.Decide(prior)
	hs.known.Add(row, ok, !v.Send && v.Status == svbatch.AlreadyDone)
	if ok {
		h.Known++
	}
	switch {
	case v.Send:
		h.LeftRows++
		h.LeftCount[row.Req.OperateType]++
		// the plan's totals were summed with the same checks: these are parts of them
		h.LeftAmount[row.Req.OperateType] += row.Req.ChangeValue
	case v.Status == svbatch.AlreadyDone, v.Status == svbatch.SucceededAfterFix:
		h.Done++
	case v.Status == svbatch.Failed:
		h.Failed++
	case v.Status == svbatch.Conflict:
		h.Conflict++
	}
	return nil
}

// result is what the rows added come to, or the refusal of rows whose request_id the journal
// holds for another operation.
func (hs *holdingsScan) result() (*Holdings, error) {
	if len(hs.taken) > 0 {
		return nil, inputErr("%s: %d row(s) give a request_id that journal %s already holds for another operation; nothing was sent: give each its own request_id\n  %s",
			hs.input, hs.nTaken, hs.path, strings.Join(hs.taken, "\n  "))
	}
	return hs.h, nil
}

func refundOf(newOuter string) string {
	if newOuter == "" {
		return ""
	}
	return " refund " + newOuter
}
