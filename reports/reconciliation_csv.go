package reports

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"svbatch"
	"svbatch/reconcile"
)

// The matched CSV is written a line at a time into one reused buffer: the bytes encoding/csv's
// Writer (Comma ',', no CRLF) would write for entryCells' values as text, without a string or a
// []string per field. A million rows through encoding/csv, Customer.String and FormatYuan were
// most of the reconcile's writing time and its garbage (each collection rescans the report).

// csvNeedsQuotes is encoding/csv's Writer.fieldNeedsQuotes for Comma ','.
func csvNeedsQuotes(field string) bool {
	if field == "" {
		return false
	}
	if field == `\.` {
		return true
	}
	for i := 0; i < len(field); i++ {
		switch field[i] {
		case '\n', '\r', '"', ',':
			return true
		}
	}
	r1, _ := utf8.DecodeRuneInString(field)
	return unicode.IsSpace(r1)
}

// csvAppendField appends field as encoding/csv's Writer writes it (Comma ',', UseCRLF false):
// quoted when needed, a quote inside doubled, everything else verbatim.
func csvAppendField(b []byte, field string) []byte {
	if !csvNeedsQuotes(field) {
		return append(b, field...)
	}
	b = append(b, '"')
	for {
		i := strings.IndexByte(field, '"')
		if i < 0 {
			break
		}
		b = append(b, field[:i+1]...)
		b = append(b, '"')
		field = field[i+1:]
	}
	b = append(b, field...)
	return append(b, '"')
}

// csvAppendSafe appends SafeText(s) as a CSV field.
func csvAppendSafe(b []byte, s string) []byte {
	if s != "" {
		switch s[0] {
		case '=', '+', '-', '@', '\t', '\r':
			return csvAppendField(b, SafeText(s)) // rare: the copy does not matter
		}
	}
	return csvAppendField(b, s)
}

// appendYuan appends svbatch.FormatYuan(fen).
func appendYuan(b []byte, fen int64) []byte {
	u := uint64(fen)
	if fen < 0 {
		b = append(b, '-')
		u = -u // two's complement: also right for math.MinInt64
	}
	b = strconv.AppendUint(b, u/100, 10)
	frac := u % 100
	return append(b, '.', byte('0'+frac/10), byte('0'+frac%10))
}

// matchedCSV formats the matched CSV's lines. The few distinct words (sides, statuses) are
// translated and made safe once each.
type matchedCSV struct {
	lang  svbatch.Lang
	words map[string]string // status or side → its CSV field, encoded
	cust  []byte
}

func newMatchedCSV(l svbatch.Lang) *matchedCSV {
	return &matchedCSV{lang: l, words: map[string]string{}}
}

// word returns the encoded field of a status (side: a duplicate's side), as entryRecord did:
// SafeText(recStatus(l, s)), or the side's label.
func (m *matchedCSV) word(s string, side bool) string {
	key := s
	if side {
		key = "\x00side\x00" + s // never a status
	}
	if f, ok := m.words[key]; ok {
		return f
	}
	var t string
	if side {
		t = s
		if m.lang == svbatch.LangZH {
			t = map[string]string{"expected": "预期台账", "results": "运行结果", "": ""}[s]
		}
	} else {
		t = recStatus(m.lang, s)
	}
	f := string(csvAppendSafe(nil, t))
	if len(m.words) < 1024 { // more words than that is not a results file; they are still right
		m.words[strings.Clone(key)] = f
	}
	return f
}

// appendCustomer appends SafeText(c.String()) as a CSV field.
func (m *matchedCSV) appendCustomer(b []byte, c reconcile.Customer) []byte {
	if c == (reconcile.Customer{}) {
		return b
	}
	m.cust = c.Append(m.cust[:0])
	if csvPlain(m.cust) {
		return append(b, m.cust...)
	}
	return csvAppendSafe(b, string(m.cust))
}

// csvPlain reports whether field is written as it is by both SafeText and encoding/csv: no
// quotes, no formula prefix. It may say false for a plain field (the caller then takes the
// exact, slower way), never true for one that is not.
func csvPlain(field []byte) bool {
	if len(field) == 0 {
		return true
	}
	switch c := field[0]; {
	case c == '=' || c == '+' || c == '-' || c == '@' || c == '\\' || c >= utf8.RuneSelf || unicode.IsSpace(rune(c)):
		return false
	}
	for _, c := range field {
		switch c {
		case '\n', '\r', '"', ',':
			return false
		}
	}
	return true
}

// appendHeader appends the header line.
func (m *matchedCSV) appendHeader(b []byte) []byte {
	for i, name := range matchedCSVHeader(m.lang) {
		if i > 0 {
			b = append(b, ',')
		}
		b = csvAppendField(b, name)
	}
	return append(b, '\n')
}

// matchedCSVHeader is the matched CSV's header in language l: the category sheets' columns,
// each amount followed by its yuan.
func matchedCSVHeader(l svbatch.Lang) []string {
	cols := recLocalColumns(recRowColumns, l)
	hdr := make([]string, 0, 2*len(cols))
	for _, c := range cols {
		hdr = append(hdr, c.Name)
		if c.Amount {
			hdr = append(hdr, c.Yuan)
		}
	}
	return hdr
}

// appendEntry appends one Entry as a matched CSV line: entryCells' values as text, each amount
// followed by its yuan, text that starts like a formula prefixed with '.
func (m *matchedCSV) appendEntry(b []byte, e *reconcile.Entry) []byte {
	row := func(b []byte, n int) []byte {
		if n != 0 {
			b = strconv.AppendInt(b, int64(n), 10)
		}
		return append(b, ',')
	}
	amount := func(b []byte, n int64, ok bool) []byte {
		if !ok {
			return append(b, ',', ',')
		}
		b = strconv.AppendInt(b, n, 10)
		b = append(b, ',')
		b = appendYuan(b, n)
		return append(b, ',')
	}
	b = csvAppendSafe(b, e.BrandID)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(e.OperateType), 10)
	b = append(b, ',')
	b = csvAppendSafe(b, e.OuterOrderID)
	b = append(b, ',')
	b = csvAppendSafe(b, e.NewOuterOrderID)
	b = append(b, ',')
	b = append(b, m.word(e.Side, true)...)
	b = append(b, ',')
	b = row(b, e.ExpectedRow)
	b = row(b, e.ResultsRow)
	b = amount(b, e.ExpectedAmount, e.HasExpected)
	b = amount(b, e.ActualAmount, e.HasResult)
	b = amount(b, e.Difference, true)
	b = append(b, m.word(e.ExpectedStatus, false)...)
	b = append(b, ',')
	b = append(b, m.word(e.Status, false)...)
	b = append(b, ',')
	b = m.appendCustomer(b, e.ExpectedCustomer)
	b = append(b, ',')
	b = m.appendCustomer(b, e.ActualCustomer)
	b = append(b, ',')
	b = csvAppendSafe(b, e.Note)
	return append(b, '\n')
}

// asyncWriter writes to w from a goroutine of its own, a buffer at a time: formatting the next
// lines and the kernel's copying of the last ones take two cores. Close flushes, stops the
// goroutine and returns the first write error; after one, Write says so (errAsyncFailed) and
// writes nothing more.
type asyncWriter struct {
	w      io.Writer
	buf    []byte
	full   chan []byte
	free   chan []byte
	done   chan struct{}
	failed atomic.Bool
	err    error // the goroutine's; read once done is closed
	closed bool
}

var errAsyncFailed = errors.New("write failed")

const asyncBuffers = 3

func newAsyncWriter(w io.Writer, size int) *asyncWriter {
	a := &asyncWriter{w: w, full: make(chan []byte, asyncBuffers), free: make(chan []byte, asyncBuffers), done: make(chan struct{})}
	for i := 1; i < asyncBuffers; i++ {
		a.free <- make([]byte, 0, size)
	}
	a.buf = make([]byte, 0, size)
	go a.run()
	return a
}

func (a *asyncWriter) run() {
	defer close(a.done)
	for b := range a.full {
		if a.err == nil {
			if _, err := a.w.Write(b); err != nil {
				a.err = err
				a.failed.Store(true)
			}
		}
		a.free <- b[:0]
	}
}

func (a *asyncWriter) Write(p []byte) (int, error) {
	if a.failed.Load() {
		return 0, errAsyncFailed
	}
	if len(a.buf) > 0 && len(a.buf)+len(p) > cap(a.buf) {
		a.full <- a.buf
		a.buf = <-a.free
	}
	a.buf = append(a.buf, p...)
	return len(p), nil
}

func (a *asyncWriter) Close() error {
	if a.closed {
		<-a.done
		return a.err
	}
	a.closed = true
	if len(a.buf) > 0 {
		a.full <- a.buf
	}
	a.buf = nil
	close(a.full)
	<-a.done
	return a.err
}
