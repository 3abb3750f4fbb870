package reconcile

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"svbatch"
	"svbatch/table"
)

// FileOptions say how to read a user-prepared file (the expected ledger, expected balances): the
// same readers and encodings as `svbatch validate`.
type FileOptions = table.Options

// Table is an open input: a Source that must be closed.
type Table interface {
	Source
	Close() error
}

// OpenExpected opens an expected ledger (CSV in any supported encoding, or a sheet of an XLSX).
func OpenExpected(path string, opt FileOptions) (Table, error) {
	t, err := table.Open(path, opt)
	if err != nil {
		return nil, fmt.Errorf("expected ledger: %w", err)
	}
	return t, nil
}

var resultsSheetRe = regexp.MustCompile(`^(?:Results|结果)(?: \(([0-9]+)\))?$`) // English or Chinese (--lang zh)

// ResultsSheets returns the Results sheets of a results workbook in reading order: "Results",
// "Results (2)", "Results (3)", …. A workbook without them is read from its first sheet.
func ResultsSheets(names []string) []string {
	type sh struct {
		name string
		n    int
	}
	var found []sh
	for _, s := range names {
		m := resultsSheetRe.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		n := 1
		if m[1] != "" {
			n, _ = strconv.Atoi(m[1])
		}
		found = append(found, sh{s, n})
	}
	slices.SortFunc(found, func(a, b sh) int { return a.n - b.n })
	out := make([]string, len(found))
	for i, s := range found {
		out[i] = s.name
	}
	return out
}

// OpenResults opens a results file written by `svbatch run`: its CSV form, or the workbook, whose
// Results sheets are read one after the other as one table (each must have the same header).
func OpenResults(path string) (Table, error) {
	if !isZip(path) {
		t, err := table.Open(path, table.Options{})
		if err != nil {
			return nil, fmt.Errorf("results: %w", err)
		}
		return t, nil
	}
	names, err := table.SheetNames(path)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	sheets := ResultsSheets(names)
	if len(sheets) == 0 {
		sheets = []string{""}
	}
	m := &multiTable{path: path, sheets: sheets}
	if err := m.open(0); err != nil {
		return nil, err
	}
	m.header = m.cur.Header()
	return m, nil
}

// isZip reports whether path starts like a zip (an XLSX workbook).
func isZip(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var head [4]byte
	n, _ := io.ReadFull(f, head[:])
	return n == 4 && string(head[:]) == "PK\x03\x04"
}

// multiTable chains the Results sheets of a workbook.
type multiTable struct {
	path   string
	sheets []string
	i      int
	cur    table.Table
	header []string
}

func (m *multiTable) open(i int) error {
	t, err := table.Open(m.path, table.Options{Sheet: m.sheets[i]})
	if err != nil {
		return fmt.Errorf("results sheet %q: %w", m.sheets[i], err)
	}
	m.i, m.cur = i, t
	return nil
}

func (m *multiTable) Header() []string { return m.header }

func (m *multiTable) Next() (int, []string, error) {
	for {
		line, cells, err := m.cur.Next()
		if !errors.Is(err, io.EOF) {
			if err != nil {
				err = fmt.Errorf("sheet %q: %w", m.sheets[m.i], err)
			}
			return line, cells, err
		}
		if m.i+1 >= len(m.sheets) {
			return 0, nil, io.EOF
		}
		if err := m.cur.Close(); err != nil {
			return 0, nil, err
		}
		m.cur = nil
		if err := m.open(m.i + 1); err != nil {
			return 0, nil, err
		}
		if !slices.Equal(m.cur.Header(), m.header) {
			return 0, nil, fmt.Errorf("results sheet %q: its header differs from sheet %q's", m.sheets[m.i], m.sheets[0])
		}
	}
}

func (m *multiTable) Close() error {
	if m.cur == nil {
		return nil
	}
	return m.cur.Close()
}

// IsURL reports whether s names an http(s) resource rather than a file.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// DisplayURL is u without credentials or query (which may carry tokens): what reports may show.
func DisplayURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(url)"
	}
	p.User, p.RawQuery, p.Fragment = nil, "", ""
	return p.String()
}

// ReadBalancesBody reads a balances CSV (UTF-8, optional BOM) held in memory, e.g. fetched from
// the sandbox's /sandbox/balances.csv: amounts in fen. name is the source as messages show it
// (DisplayURL for a URL). It returns the balances and the SHA-256 of body.
func ReadBalancesBody(name string, body []byte) ([]Balance, string, error) {
	sum := sha256.Sum256(body)
	src, err := NewCSVSource(bytes.NewReader(body))
	if err != nil {
		return nil, "", fmt.Errorf("actual balances %s: %w", name, err)
	}
	bs, err := ReadBalances(src, "actual balances", svbatch.Fen, nil)
	if err != nil {
		return nil, "", err
	}
	return bs, hex.EncodeToString(sum[:]), nil
}

// ReadBalancesFile reads a balances file (CSV or XLSX) and returns its balances and SHA-256.
func ReadBalancesFile(path, file string, u svbatch.Unit, hf HeaderFunc, opt FileOptions) ([]Balance, string, error) {
	t, err := table.Open(path, opt)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", file, err)
	}
	defer t.Close()
	bs, err := ReadBalances(t, file, u, hf)
	if err != nil {
		return nil, "", err
	}
	sum, err := table.FileSHA256(path)
	if err != nil {
		return nil, "", err
	}
	return bs, sum, nil
}

// CSVSource is a Source over UTF-8 CSV (a BOM is stripped).
type CSVSource struct {
	r      *csv.Reader
	header []string
	line   int
}

// NewCSVSource reads the header row of r.
func NewCSVSource(r io.Reader) (*CSVSource, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	h, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty CSV: no header row")
		}
		return nil, fmt.Errorf("CSV header: %w", err)
	}
	if len(h) > 0 {
		h[0] = strings.TrimPrefix(h[0], "\ufeff")
	}
	return &CSVSource{r: cr, header: h, line: 1}, nil
}

// Header returns the header row.
func (s *CSVSource) Header() []string { return s.header }

// Next returns the next record and its line number.
func (s *CSVSource) Next() (int, []string, error) {
	rec, err := s.r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return 0, nil, io.EOF
		}
		return 0, nil, fmt.Errorf("CSV: %w", err)
	}
	line, _ := s.r.FieldPos(0)
	return line, rec, nil
}
