package job

import (
	"errors"
	"fmt"
	"io"
	"os"

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

// holdings reads the journal at path, if it exists and knows rows, against the valid input: nil
// when there is nothing in it. It opens the journal only to read, and closes it again. A file
// read differently from an earlier run of the journal (checkReading) is an *InputError.
func holdings(path, input string, opt batch.Options, rd batch.Reading, round string, retryFailed bool) (*Holdings, error) {
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
	defer j.Close()
	if err := checkReading(j, path, input, rd); err != nil {
		return nil, err
	}
	counts, err := j.Counts()
	if err != nil {
		return nil, &SystemError{Err: fmt.Errorf("journal %s: %w", path, err)}
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	if total == 0 {
		return nil, nil
	}
	r, err := batch.Open(input, opt)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	defer r.Close()
	byLine := j.Lookup()
	h := &Holdings{LeftCount: map[svbatch.OperateType]int{}, LeftAmount: map[svbatch.OperateType]int64{}}
	for {
		row, _, err := r.Next()
		if err == io.EOF {
			return h, nil
		}
		if err != nil {
			return nil, &InputError{Err: err}
		}
		e, ok, err := byLine.Get(row.Line, row.Req.RequestID)
		if err != nil {
			return nil, &SystemError{Err: fmt.Errorf("journal %s: %w", path, err)}
		}
		v := dispatch.Decide(dispatch.PriorOf(e, ok, row.Req, round, retryFailed))
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
	}
}
