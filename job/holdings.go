package job

import (
	"errors"
	"fmt"
	"io"
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
	var taken []string // rows whose explicit request_id the journal holds for another operation
	nTaken := 0
	for {
		row, _, err := r.Next()
		if err == io.EOF {
			if len(taken) > 0 {
				return nil, inputErr("%s: %d row(s) give a request_id that journal %s already holds for another operation; nothing was sent: give each its own request_id\n  %s",
					input, nTaken, path, strings.Join(taken, "\n  "))
			}
			return h, nil
		}
		if err != nil {
			return nil, &InputError{Err: err}
		}
		e, ok, err := byLine.Get(row.Line, row.Req.RequestID)
		if err != nil {
			return nil, &SystemError{Err: fmt.Errorf("journal %s: %w", path, err)}
		}
		if ok {
			if s, has := dispatch.SentOf(e); has && s.BrandID != "" && (s.BrandID != row.Req.BrandID || s.OperateType != int(row.Req.OperateType) ||
				s.OuterOrderID != row.Req.OuterOrderID || s.NewOuterOrderID != row.Req.NewOuterOrderID) {
				nTaken++
				if len(taken) < 10 {
					taken = append(taken, fmt.Sprintf("row %d: request_id %s was sent for brand %s, %s, outer_order_id %s%s (the journal's row %d); this row is %s, outer_order_id %s%s",
						row.Line, row.Req.RequestID, s.BrandID, svbatch.OperateType(s.OperateType), s.OuterOrderID, refundOf(s.NewOuterOrderID), e.Line,
						row.Req.OperateType, row.Req.OuterOrderID, refundOf(row.Req.NewOuterOrderID)))
				} else if len(taken) == 10 {
					taken = append(taken, "…")
				}
				continue
			}
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

func refundOf(newOuter string) string {
	if newOuter == "" {
		return ""
	}
	return " refund " + newOuter
}
