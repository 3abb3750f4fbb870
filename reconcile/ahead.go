package reconcile

import (
	"errors"
	"io"
	"strings"
	"sync"
)

// resultsAhead reads and checks the results on a goroutine of its own while Reconcile (in memory)
// reads the expected ledger: the two files are independent, and each side's reading is mostly
// one core's work. The rows checked wait in batches, compact and without pointers, for the
// ledger to be read; at most aheadBatches of them (a bounded lead: ~64 MiB of rows), then the
// goroutine waits too.
//
// What the report gets is what readResults gives it: the same rows in the same order through
// addResult (the customer packed, as a bucket file's rows are), the statuses interned in the
// order they first appear, the same problems, ResultsRows and ActualTotal.
type resultsAhead struct {
	p       *problems // the results' problems (the ledger's are Reconcile's)
	batches chan *prepBatch
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	// set before the last batch is sent
	rows, total int64
}

// prepBatch is a run of checked results rows. The last batch of the file has err set: io.EOF, or
// the reading error (rows before it were read).
type prepBatch struct {
	arena []byte // each row's packed identity, then its packed customer (packCust)
	rows  []prepRow
	names []string // the statuses first seen in this batch, in the order they appear
	err   error
}

// prepRow is one checked results row: its identity is arena[start:keyEnd], its customer
// arena[keyEnd:custEnd], start being the previous row's custEnd (0 for the first).
type prepRow struct {
	keyEnd, custEnd int32
	status          int32 // the status's number among those seen, in the order first seen; -1: "other"
	line            int32
	amount          int64
	moved           bool
}

const (
	aheadBatchRows = 4096
	aheadBatches   = 256
	// aheadMaxStatuses bounds the distinct statuses numbered: past the statusTable's 255 codes
	// every new one is "other" anyway.
	aheadMaxStatuses = 1024
)

func startResultsAhead(src Source, maxErrors int) *resultsAhead {
	a := &resultsAhead{p: &problems{max: maxErrors}, batches: make(chan *prepBatch, aheadBatches),
		stop: make(chan struct{}), done: make(chan struct{})}
	go a.run(src)
	return a
}

func (a *resultsAhead) run(src Source) {
	defer close(a.done)
	rr := newResultsReader(src, a.p)
	if a.p.err.Total > 0 {
		a.send(&prepBatch{err: io.EOF})
		return
	}
	seen := map[string]int32{}
	b := &prepBatch{}
	for {
		err := rr.next()
		if err != nil {
			a.rows, a.total = rr.rows, rr.total
			b.err = err
			a.send(b)
			return
		}
		k, ok := seen[rr.status]
		switch {
		case ok:
		case len(seen) < aheadMaxStatuses:
			k = int32(len(seen))
			seen[strings.Clone(rr.status)] = k
			b.names = append(b.names, rr.status)
		default:
			k = -1 // the report's 255 codes are long taken: its code is "other"
		}
		b.arena = append(b.arena, rr.key...)
		keyEnd := int32(len(b.arena))
		b.arena = appendPackedCust(b.arena, rr.cust)
		b.rows = append(b.rows, prepRow{keyEnd: keyEnd, custEnd: int32(len(b.arena)), status: k,
			line: rr.res.line, amount: rr.res.amount, moved: rr.res.moved})
		if len(b.rows) == aheadBatchRows {
			if !a.send(b) {
				return
			}
			b = &prepBatch{arena: make([]byte, 0, len(b.arena)+len(b.arena)/8), rows: make([]prepRow, 0, aheadBatchRows)}
		}
	}
}

// send hands a batch on; false when the reader is stopped.
func (a *resultsAhead) send(b *prepBatch) bool {
	select {
	case a.batches <- b:
		return true
	case <-a.stop:
		return false
	}
}

// close stops the goroutine (if it still runs) and waits for it. Safe to call twice.
func (a *resultsAhead) close() {
	a.once.Do(func() { close(a.stop) })
	<-a.done
}

// readResultsAhead is readResults over the rows a has read: each goes to r.addResult.
func (r *Report) readResultsAhead(a *resultsAhead, p *problems) error {
	defer a.close()
	var codes []uint8 // status number → the report's code
	var res resRow
	for {
		b := <-a.batches
		for _, name := range b.names {
			codes = append(codes, r.statuses.code(name))
		}
		start := int32(0)
		for i := range b.rows {
			row := &b.rows[i]
			code := uint8(255) // "other" (see aheadMaxStatuses)
			if row.status >= 0 {
				code = codes[row.status]
			}
			res = resRow{amount: row.amount, line: row.line, status: code, moved: row.moved}
			if err := r.addResult(b.arena[start:row.keyEnd], nil, b.arena[row.keyEnd:row.custEnd], &res); err != nil {
				return err
			}
			start = row.custEnd
		}
		if b.err == nil {
			continue
		}
		// The last batch: the rows and problems are final.
		r.ResultsRows, r.ActualTotal = a.rows, a.total
		p.err = a.p.err // p had none, or the ledger's problems would have ended the reconcile
		if errors.Is(b.err, io.EOF) {
			return nil
		}
		return b.err
	}
}

// appendPackedCust appends packCust(c).
func appendPackedCust(b []byte, c Customer) []byte {
	if c == (Customer{}) {
		return b
	}
	b = append(b, c.CustomerID...)
	b = append(b, sep...)
	b = append(b, c.Mobile...)
	b = append(b, sep...)
	b = append(b, c.OuterType...)
	b = append(b, sep...)
	return append(b, c.OuterID...)
}
