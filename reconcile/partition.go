package reconcile

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// The partitioned mode (Options.Partitions > 1) bounds memory by the largest bucket, not the
// inputs:
//
//  1. Each side is read once, in file order, through the same row checks as in memory (the same
//     problems, ExpectedTotal and ActualTotal, statuses interned in the same order); every good row
//     goes, compact, to the bucket file its identity hashes to. A bucket file keeps file order.
//  2. Each bucket is reconciled in memory on its own, as Reconcile does it. An identity lives in
//     one bucket only, so what a bucket says about it is what the whole would. Its category totals
//     are added (checked) to the report's; its entries, sorted by the identity, are appended to one
//     spill file per category, as the bucket's segment. The bucket files are removed as they are
//     done with.
//  3. Entries merges a category's segments (k-way, by the identity; identities never tie across
//     buckets): the entries of the in-memory mode, in its order.
//
// Nothing holds the rows of a category: the spill files are read through a small buffer per
// bucket. Disk: the bucket files (~ the rows' identity, customer and amounts) and then the spill
// files (~ the same again), in Options.TempDir.

// TempFileError is a failure of the partitioned mode's own files (disk full, say): not the inputs'
// fault.
type TempFileError struct{ Err error }

func (e *TempFileError) Error() string { return "partitioned reconcile: " + e.Err.Error() }

func (e *TempFileError) Unwrap() error { return e.Err }

func tempErr(err error) error { return &TempFileError{Err: err} }

// bucketOf returns the bucket of a packed identity: FNV-1a, so a rerun partitions alike.
func bucketOf(key []byte, n int) int {
	h := uint64(14695981039346656037)
	for _, c := range key {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return int(h % uint64(n))
}

// bucketFiles are the N bucket files of one side while it is written. A file is created with its
// first row (N may pass the rows), its buffer sized so that all of them stay within a few MiB.
type bucketFiles struct {
	dir, side string
	files     []*os.File
	ws        []*bufio.Writer
	bufSize   int
	buf       []byte
}

func bucketPath(dir, side string, i int) string {
	return filepath.Join(dir, side+"-"+strconv.Itoa(i)+".bin")
}

func newBuckets(dir, side string, n int) *bucketFiles {
	return &bucketFiles{dir: dir, side: side, files: make([]*os.File, n), ws: make([]*bufio.Writer, n),
		bufSize: min(64<<10, max(4<<10, (8<<20)/n))}
}

func (b *bucketFiles) write(key []byte, rec []byte) error {
	i := bucketOf(key, len(b.ws))
	w := b.ws[i]
	if w == nil {
		f, err := os.Create(bucketPath(b.dir, b.side, i))
		if err != nil {
			return tempErr(err)
		}
		b.files[i] = f
		w = bufio.NewWriterSize(f, b.bufSize)
		b.ws[i] = w
	}
	if _, err := w.Write(rec); err != nil {
		return tempErr(err)
	}
	return nil
}

// close flushes and closes every file; the first error wins.
func (b *bucketFiles) close() error {
	var first error
	for i, f := range b.files {
		if f == nil {
			continue
		}
		if err := b.ws[i].Flush(); err != nil && first == nil {
			first = err
		}
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	b.files, b.ws = nil, nil
	if first != nil {
		return tempErr(first)
	}
	return nil
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b []byte, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// An expected bucket record: key, cust, amount, line, status.
func (b *bucketFiles) writeExpected(row *expRow) error {
	rec := appendStr(b.buf[:0], row.key)
	rec = appendStr(rec, row.cust)
	rec = binary.AppendVarint(rec, row.amount)
	rec = binary.AppendVarint(rec, int64(row.line))
	rec = append(rec, row.status)
	b.buf = rec
	return b.write([]byte(row.key), rec)
}

// A results bucket record: key, packed customer, amount, line, status, moved.
func (b *bucketFiles) writeResult(key []byte, cust *Customer, res *resRow) error {
	rec := appendBytes(b.buf[:0], key)
	rec = appendStr(rec, packCust(*cust))
	rec = binary.AppendVarint(rec, res.amount)
	rec = binary.AppendVarint(rec, int64(res.line))
	moved := byte(0)
	if res.moved {
		moved = 1
	}
	rec = append(rec, res.status, moved)
	b.buf = rec
	return b.write(key, rec)
}

// recReader reads the records of a bucket or spill file.
type recReader struct {
	r   *bufio.Reader
	buf []byte
	err error // sticky
}

func (rr *recReader) uvarint() uint64 {
	if rr.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(rr.r)
	rr.err = err
	return v
}

func (rr *recReader) varint() int64 {
	if rr.err != nil {
		return 0
	}
	v, err := binary.ReadVarint(rr.r)
	rr.err = err
	return v
}

func (rr *recReader) byte() byte {
	if rr.err != nil {
		return 0
	}
	c, err := rr.r.ReadByte()
	rr.err = err
	return c
}

// bytes returns the next length-prefixed bytes, valid until the next call.
func (rr *recReader) bytes() []byte {
	n := rr.uvarint()
	if rr.err != nil {
		return nil
	}
	if n > 1<<30 {
		rr.err = errors.New("corrupt record")
		return nil
	}
	if uint64(cap(rr.buf)) < n {
		rr.buf = make([]byte, n)
	}
	rr.buf = rr.buf[:n]
	if _, err := io.ReadFull(rr.r, rr.buf); err != nil {
		rr.err = err
	}
	return rr.buf
}

func (rr *recReader) str() string { return string(rr.bytes()) }

// atEOF reports whether the reader is at the end of its records (a clean end, not a torn record).
func (rr *recReader) atEOF() bool {
	if rr.err != nil {
		return false
	}
	_, err := rr.r.Peek(1)
	if errors.Is(err, io.EOF) {
		return true
	}
	rr.err = err
	return false
}

// readBucket feeds one bucket's expected, then results, rows into b and removes the files (a
// bucket no row went to has none). br is a reader to reuse.
func readBucket(dir string, i int, b *Report, br *bufio.Reader) error {
	for _, side := range []string{"e", "r"} {
		path := bucketPath(dir, side, i)
		f, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return tempErr(err)
		}
		br.Reset(f)
		rr := &recReader{r: br}
		var key, cust []byte
		for !rr.atEOF() && rr.err == nil {
			if side == "e" {
				row := expRow{key: rr.str(), cust: rr.str(), amount: rr.varint(), nexp: 1}
				row.line = int32(rr.varint())
				row.status = rr.byte()
				if rr.err == nil {
					err = b.addExpected(&row)
				}
			} else {
				key = append(key[:0], rr.bytes()...)
				cust = append(cust[:0], rr.bytes()...)
				res := resRow{amount: rr.varint()}
				res.line = int32(rr.varint())
				res.status = rr.byte()
				res.moved = rr.byte() == 1
				if rr.err == nil {
					err = b.addResult(key, nil, cust, &res)
				}
			}
			if err != nil {
				break
			}
		}
		_ = f.Close()
		if err == nil && rr.err != nil {
			err = tempErr(fmt.Errorf("bucket file %s: %w", filepath.Base(path), rr.err))
		}
		if err != nil {
			return err
		}
		if err := os.Remove(path); err != nil {
			return tempErr(err)
		}
	}
	return nil
}

// reconcilePartitioned is Reconcile with opt.Partitions buckets on disk (see the top of the file).
func (r *Report) reconcilePartitioned(expected, results Source, opt Options, p *problems) (_ *Report, err error) {
	n := opt.Partitions
	dir, err := os.MkdirTemp(opt.TempDir, "svbatch-reconcile-")
	if err != nil {
		return nil, tempErr(err)
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(dir)
		}
	}()
	bf := newBuckets(dir, "e", n)
	err = r.readExpected(expected, opt, p, bf.writeExpected)
	if cerr := bf.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if err := p.result(); err != nil {
		return nil, err
	}
	bf = newBuckets(dir, "r", n)
	err = r.readResults(results, p, func(key []byte, cust *Customer, _ []byte, res *resRow) error {
		return bf.writeResult(key, cust, res)
	})
	if cerr := bf.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if err := p.result(); err != nil {
		return nil, err
	}

	sp, err := newSpill(dir, r.statuses)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			sp.closeFiles()
		}
	}()
	var coveredExp, coveredRes int64
	br := bufio.NewReaderSize(nil, 256<<10)
	for i := 0; i < n; i++ {
		b := &Report{
			Tolerance:    r.Tolerance,
			NetTolerance: r.NetTolerance,
			statuses:     r.statuses, // codes were given while reading: shared
			unexIdx:      map[string]int32{},
			extraExp:     map[int32][]expRow{},
			extraRes:     map[ref][]resRow{},
		}
		if err := readBucket(dir, i, b, br); err != nil {
			return nil, err
		}
		ce, cr, err := b.classifyRows()
		if err != nil {
			return nil, err
		}
		coveredExp += ce
		coveredRes += cr
		for c := Matched; c < BalanceMismatch; c++ {
			if err := r.totals[c].add(c, b.totals[c]); err != nil {
				return nil, err
			}
			if err := sp.writeSegment(c, b); err != nil {
				return nil, err
			}
		}
	}
	if err := sp.finishWriting(); err != nil {
		return nil, err
	}
	if err := r.finish(coveredExp, coveredRes); err != nil {
		return nil, err
	}
	r.part = sp
	return r, nil
}

// add adds a bucket's totals of category c to t, checked.
func (t *Total) add(c Category, b Total) error {
	t.Count += b.Count
	for _, f := range []struct {
		dst  *int64
		v    int64
		what string
	}{{&t.Amount, b.Amount, "amount"}, {&t.Expected, b.Expected, "expected"}, {&t.Actual, b.Actual, "actual"}} {
		if !addTo(f.dst, f.v) {
			return &InputError{Problems: []RowError{{File: "results", Msg: fmt.Sprintf("the %s %s total passes the int64 limit (9223372036854775807 fen): the amounts cannot be summed; check the files (an amount in the wrong unit?)", c, f.what)}}, Total: 1}
		}
	}
	return nil
}

// Close removes the partitioned mode's files: Entries yields nothing after it (the totals stay).
// A no-op in memory. Safe to call twice.
func (r *Report) Close() error {
	if r.part == nil {
		return nil
	}
	return r.part.close()
}

// Err returns the first error met reading the partitioned mode's files back in Entries (which
// then ends early): check it after iterating. Always nil in memory.
func (r *Report) Err() error {
	if r.part == nil {
		return nil
	}
	r.part.mu.Lock()
	defer r.part.mu.Unlock()
	return r.part.err
}

// spill holds each row category's entries on disk, one segment per bucket, each sorted by the
// identity.
type spill struct {
	dir      string
	statuses *statusTable
	files    [BalanceMismatch]*os.File
	ws       [BalanceMismatch]*bufio.Writer
	n        [BalanceMismatch]int64   // bytes written
	segs     [BalanceMismatch][]int64 // segment boundaries: segment i is [segs[i], segs[i+1])
	words    []string                 // Side and status words, coded (see appendWord)
	wordCode map[string]uint64
	buf      []byte

	mu     sync.Mutex
	err    error
	closed bool
}

func newSpill(dir string, st *statusTable) (*spill, error) {
	s := &spill{dir: dir, statuses: st, wordCode: map[string]uint64{}}
	for c := Matched; c < BalanceMismatch; c++ {
		f, err := os.Create(filepath.Join(dir, "entries-"+c.String()+".bin"))
		if err != nil {
			s.closeFiles()
			return nil, tempErr(err)
		}
		s.files[c], s.ws[c] = f, bufio.NewWriterSize(f, 256<<10)
		s.segs[c] = []int64{0}
	}
	return s, nil
}

// appendWord codes a short word (a side, a status) from a small set: code k > 0 is words[k-1];
// 0 is followed by the word itself (past 4096 distinct words).
func (s *spill) appendWord(b []byte, w string) []byte {
	k, ok := s.wordCode[w]
	if !ok && len(s.words) < 4096 {
		s.words = append(s.words, w)
		k = uint64(len(s.words))
		s.wordCode[w] = k
	}
	b = binary.AppendUvarint(b, k)
	if k == 0 {
		b = appendStr(b, w)
	}
	return b
}

func (s *spill) readWord(rr *recReader) string {
	k := rr.uvarint()
	if k == 0 {
		return rr.str()
	}
	if k > uint64(len(s.words)) {
		if rr.err == nil {
			rr.err = errors.New("corrupt record")
		}
		return ""
	}
	return s.words[k-1]
}

const (
	flagHasExpected = 1 << iota
	flagHasResult
	flagSameCustomer // ActualCustomer = ExpectedCustomer: not written twice
)

// writeSegment appends bucket b's entries of category c, sorted by the identity, as one segment.
func (s *spill) writeSegment(c Category, b *Report) error {
	w := s.ws[c]
	var err error
	b.keyedEntries(c, func(key string, e Entry) bool {
		rec := appendStr(s.buf[:0], key)
		flags := byte(0)
		if e.HasExpected {
			flags |= flagHasExpected
		}
		if e.HasResult {
			flags |= flagHasResult
		}
		if e.ActualCustomer == e.ExpectedCustomer {
			flags |= flagSameCustomer
		}
		rec = append(rec, flags)
		rec = s.appendWord(rec, e.Side)
		rec = binary.AppendVarint(rec, int64(e.ExpectedRow))
		rec = binary.AppendVarint(rec, int64(e.ResultsRow))
		rec = binary.AppendVarint(rec, e.ExpectedAmount)
		rec = binary.AppendVarint(rec, e.ActualAmount)
		rec = binary.AppendVarint(rec, e.Difference)
		rec = s.appendWord(rec, e.ExpectedStatus)
		rec = s.appendWord(rec, e.Status)
		rec = appendStr(rec, packCust(e.ExpectedCustomer))
		if flags&flagSameCustomer == 0 {
			rec = appendStr(rec, packCust(e.ActualCustomer))
		}
		rec = appendStr(rec, e.Note)
		s.buf = rec
		if _, err = w.Write(rec); err != nil {
			return false
		}
		s.n[c] += int64(len(rec))
		return true
	})
	if err != nil {
		return tempErr(err)
	}
	s.segs[c] = append(s.segs[c], s.n[c])
	return nil
}

func (s *spill) finishWriting() error {
	for c := Matched; c < BalanceMismatch; c++ {
		if err := s.ws[c].Flush(); err != nil {
			return tempErr(err)
		}
		s.ws[c] = nil
	}
	s.buf = nil
	return nil
}

func (s *spill) closeFiles() {
	for _, f := range s.files {
		if f != nil {
			_ = f.Close()
		}
	}
}

func (s *spill) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.closeFiles()
	if err := os.RemoveAll(s.dir); err != nil {
		return tempErr(err)
	}
	return nil
}

func (s *spill) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = tempErr(fmt.Errorf("read back %s: %w", s.dir, err))
	}
}

// cursor is one segment being merged: its next entry.
type cursor struct {
	rr    recReader
	key   string
	entry Entry
}

// next reads the segment's next entry; false at its end or on an error (rr.err).
func (cur *cursor) next(s *spill, c Category) bool {
	rr := &cur.rr
	if rr.atEOF() {
		return false
	}
	key := rr.str()
	flags := rr.byte()
	e := Entry{Category: c, Identity: unpackKey(key), HasExpected: flags&flagHasExpected != 0, HasResult: flags&flagHasResult != 0}
	e.Side = s.readWord(rr)
	e.ExpectedRow = int(rr.varint())
	e.ResultsRow = int(rr.varint())
	e.ExpectedAmount = rr.varint()
	e.ActualAmount = rr.varint()
	e.Difference = rr.varint()
	e.ExpectedStatus = s.readWord(rr)
	e.Status = s.readWord(rr)
	e.ExpectedCustomer = unpackCust(rr.str())
	if flags&flagSameCustomer != 0 {
		e.ActualCustomer = e.ExpectedCustomer
	} else {
		e.ActualCustomer = unpackCust(rr.str())
	}
	e.Note = rr.str()
	if rr.err != nil {
		return false
	}
	cur.key, cur.entry = key, e
	return true
}

// entries yields category c's entries: the segments merged by the identity (a heap of cursors).
// A read error ends it early; Report.Err says so.
func (s *spill) entries(c Category, yield func(Entry) bool) {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return
	}
	segs := s.segs[c]
	var heap []*cursor
	advance := func(cur *cursor) bool {
		if cur.next(s, c) {
			return true
		}
		if err := cur.rr.err; err != nil {
			s.fail(err)
		}
		return false
	}
	for i := 0; i+1 < len(segs); i++ {
		if segs[i+1] == segs[i] {
			continue
		}
		sec := io.NewSectionReader(s.files[c], segs[i], segs[i+1]-segs[i])
		cur := &cursor{rr: recReader{r: bufio.NewReaderSize(sec, 32<<10)}}
		if !advance(cur) {
			return
		}
		heap = append(heap, cur)
	}
	down := func(i int) {
		for {
			m := i
			if l := 2*i + 1; l < len(heap) && heap[l].key < heap[m].key {
				m = l
			}
			if r := 2*i + 2; r < len(heap) && heap[r].key < heap[m].key {
				m = r
			}
			if m == i {
				return
			}
			heap[i], heap[m] = heap[m], heap[i]
			i = m
		}
	}
	for i := len(heap)/2 - 1; i >= 0; i-- {
		down(i)
	}
	for len(heap) > 0 {
		if !yield(heap[0].entry) {
			return
		}
		if !advance(heap[0]) {
			if s.Err() != nil {
				return
			}
			heap[0] = heap[len(heap)-1]
			heap = heap[:len(heap)-1]
		}
		down(0)
	}
}

// Err is the spill's first read error.
func (s *spill) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}
