package table

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
)

// corpusDir holds files written by independent writers (openpyxl, XlsxWriter, LibreOffice,
// SheetJS, ExcelJS, Python's csv, by hand), each FILE with FILE.expect.json: what a faithful reader
// returns, or the words of its refusal (testdata/corpus/gen/README.md).
const corpusDir = "testdata/corpus"

// sidecar is a FILE.expect.json.
type sidecar struct {
	Writer     string      `json:"writer"`
	Case       string      `json:"case"`
	Options    sideOptions `json:"options"`
	Expect     string      `json:"expect"` // "read" or "refuse"
	HeaderLine int         `json:"header_line"`
	Header     []string    `json:"header"`
	Rows       []sideRow   `json:"rows"`

	CellProblems     []sideProblem `json:"cell_problems"`
	Warnings         []sideWarning `json:"warnings"`
	OptionalWarnings []sideWarning `json:"optional_warnings"`

	RefuseContains      []string `json:"refuse_contains"`
	RefuseContainsAny   []string `json:"refuse_contains_any"`
	RefuseIfUnsupported []string `json:"refuse_contains_if_unsupported"`

	ReadWithOptions *struct {
		Options    sideOptions `json:"options"`
		HeaderLine int         `json:"header_line"`
		Header     []string    `json:"header"`
		Rows       []sideRow   `json:"rows"`
	} `json:"read_with_options"`
	UTF8Reading []string `json:"utf8_reading"`
}

type sideOptions struct {
	Sheet     string `json:"sheet"`
	Encoding  string `json:"encoding"`
	HeaderRow int    `json:"header_row"`
}

func (o sideOptions) table() Options {
	return Options{Sheet: o.Sheet, Encoding: o.Encoding, HeaderRow: o.HeaderRow, HeaderScore: knownColumns}
}

// knownColumns scores a row as batch does: how many of its cells are column names of operations
// (batch's canonical names and Chinese labels).
func knownColumns(cells []string) int {
	n := 0
	for _, c := range cells {
		switch strings.ToLower(strings.TrimSpace(c)) {
		case "brand_id", "shop_id", "operator_id", "outer_order_id", "new_outer_order_id", "operate_type", "change_value",
			"customer_id", "mobile", "outer_id", "outer_type", "reason", "request_id",
			"品牌id", "门店id", "操作人id", "外部订单号", "回退单号", "操作类型", "金额", "储值金额", "顾客id", "手机号", "外部id", "外部id类型", "备注", "请求id":
			n++
		}
	}
	return n
}

type sideRow struct {
	Line  int      `json:"line"`
	Cells []string `json:"cells"`
}

type sideProblem struct {
	Line        int      `json:"line"`
	Column      string   `json:"column"`
	Kind        string   `json:"kind"`
	Contains    string   `json:"contains"`
	NotContains []string `json:"not_contains"`
	StoredValue string   `json:"stored_value"`
}

type sideWarning struct {
	Kind    string   `json:"kind"`
	Lines   []int    `json:"lines"`
	Columns []string `json:"columns"`
	Letters []string `json:"letters"`
	File    string   `json:"file"`
	User    string   `json:"user"`
}

// corpusFiles lists the fixtures (relative to corpusDir) that have a sidecar, the mapping files
// (YAML, read by batch) left out.
func corpusFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(corpusDir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "gen" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".expect.json") {
			return nil
		}
		name, _ := filepath.Rel(corpusDir, strings.TrimSuffix(p, ".expect.json"))
		if !strings.HasSuffix(name, ".yaml") {
			out = append(out, filepath.ToSlash(name))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 40 {
		t.Fatalf("only %d fixtures in %s", len(out), corpusDir)
	}
	sort.Strings(out)
	return out
}

func loadSidecar(t *testing.T, name string) sidecar {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, name+".expect.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s sidecar
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("%s.expect.json: %v", name, err)
	}
	return s
}

// corpusRow is a row as the table returned it, with the notes of its cells.
type corpusRow struct {
	line  int
	cells []string
	notes []Note
	texts []string
}

// readCorpus opens and reads a whole file; err is the refusal, at Open or while reading.
func readCorpus(path string, opt Options) (tb Table, rows []corpusRow, err error) {
	tb, err = Open(path, opt)
	if err != nil {
		return nil, nil, err
	}
	for {
		line, cells, err := tb.Next()
		if errors.Is(err, io.EOF) {
			return tb, rows, nil
		}
		if err != nil {
			tb.Close()
			return nil, nil, err
		}
		r := corpusRow{line: line, cells: slices.Clone(cells)}
		if n, ok := tb.(Noted); ok {
			r.notes = slices.Clone(n.Notes())
		}
		r.texts = slices.Clone(NoteTexts(tb))
		rows = append(rows, r)
	}
}

// padded is cells without trailing empty cells (a sheet's row ends at its last value; a CSV
// record has every delimiter).
func padded(cells []string) []string {
	n := len(cells)
	for n > 0 && cells[n-1] == "" {
		n--
	}
	return cells[:n]
}

// tableNoteKinds are the sidecar problem kinds a table reports as notes (the others, such as a
// totals row, are batch's).
var tableNoteKinds = map[string]bool{"formula-no-value": true, "error-value": true, "scientific": true, "date": true, "rounded": true, "number-format": true}

// TestCorpus reads every fixture of the corpus and checks it against its sidecar: the header row
// and header, every row's cells, the notes of the cells the sidecar names (and no others), the
// warnings, or the refusal's words.
func TestCorpus(t *testing.T) {
	t.Parallel()
	for _, name := range corpusFiles(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if why, ok := corpusPending[name]; ok {
				t.Skipf("not yet read faithfully: %s", why)
			}
			exp := loadSidecar(t, name)
			path := filepath.Join(corpusDir, filepath.FromSlash(name))
			tb, rows, err := readCorpus(path, exp.Options.table())
			if exp.Expect == "refuse" {
				if err == nil {
					tb.Close()
					t.Fatalf("read %d rows; want a refusal containing %q", len(rows), exp.RefuseContains)
				}
				checkRefusal(t, err, exp.RefuseContains, exp.RefuseContainsAny)
				if exp.ReadWithOptions != nil {
					ro := exp.ReadWithOptions
					tb, rows, err := readCorpus(path, ro.Options.table())
					if err != nil {
						t.Fatalf("with options %+v: %v", ro.Options, err)
					}
					defer tb.Close()
					checkRead(t, tb, rows, ro.HeaderLine, ro.Header, nil, ro.Rows)
				}
				return
			}
			if err != nil {
				if len(exp.RefuseIfUnsupported) > 0 && containsAll(err.Error(), exp.RefuseIfUnsupported) {
					checkRefusal(t, err, exp.RefuseIfUnsupported, nil)
					t.Logf("refused as unsupported: %v", err)
					return
				}
				t.Fatalf("refused: %v", err)
			}
			defer tb.Close()
			checkRead(t, tb, rows, exp.HeaderLine, exp.Header, uncomparable(exp), exp.Rows)
			checkNotes(t, tb.Header(), rows, exp.CellProblems)
			checkWarnings(t, Warnings(tb), exp.Warnings, exp.OptionalWarnings)
		})
	}
}

func containsAll(s string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

// checkRefusal: one line, every word of all, at least one of any; a *FileError.
func checkRefusal(t *testing.T, err error, all, any []string) {
	t.Helper()
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("refusal spans lines: %q", msg)
	}
	if !containsAll(msg, all) {
		t.Errorf("refusal %q; want all of %q", msg, all)
	}
	if len(any) > 0 && !slices.ContainsFunc(any, func(w string) bool { return strings.Contains(msg, w) }) {
		t.Errorf("refusal %q; want one of %q", msg, any)
	}
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Errorf("refusal is a %T; want a *FileError", err)
	}
}

// uncomparable are the cells of formula-no-value problems: the sidecar has what Excel displays
// after recalculating, which a reader without a calc engine cannot know (gen/README.md).
func uncomparable(exp sidecar) map[[2]int]bool {
	out := map[[2]int]bool{}
	for _, p := range exp.CellProblems {
		if p.Kind == "formula-no-value" {
			out[[2]int{p.Line, slices.Index(exp.Header, p.Column)}] = true
		}
	}
	return out
}

// checkRead compares the header and the rows, but for the cells in skip ({line, column}).
func checkRead(t *testing.T, tb Table, rows []corpusRow, headerLine int, header []string, skip map[[2]int]bool, want []sideRow) {
	t.Helper()
	if got := HeaderLine(tb); got != headerLine {
		t.Errorf("HeaderLine() = %d; want %d", got, headerLine)
	}
	if got := tb.Header(); !reflect.DeepEqual(padded(got), padded(header)) {
		t.Errorf("Header() = %q; want %q", got, header)
	}
	blank := func(line int, cells []string) []string {
		cells = slices.Clone(cells)
		for i := range cells {
			if skip[[2]int{line, i}] {
				cells[i] = "(formula)"
			}
		}
		for c := range skip {
			if c[0] == line && c[1] >= len(cells) {
				cells = append(cells, make([]string, c[1]+1-len(cells))...)
				cells[c[1]] = "(formula)"
			}
		}
		return padded(cells)
	}
	var got, exp []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%d: %q", r.line, blank(r.line, r.cells)))
	}
	for _, r := range want {
		exp = append(exp, fmt.Sprintf("%d: %q", r.Line, blank(r.Line, r.Cells)))
	}
	if !reflect.DeepEqual(got, exp) {
		t.Errorf("rows:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(exp, "\n     "))
	}
}

// checkNotes: every table-level problem of the sidecar is a note of that kind on that cell, with
// the words it must (not) have and the stored value behind the text; no other cell has a note.
func checkNotes(t *testing.T, header []string, rows []corpusRow, want []sideProblem) {
	t.Helper()
	type cell struct{ line, col int }
	wanted := map[cell]sideProblem{}
	for _, p := range want {
		if !tableNoteKinds[p.Kind] {
			continue
		}
		col := slices.Index(header, p.Column)
		if col < 0 {
			t.Fatalf("sidecar problem in column %q: not in the header %q", p.Column, header)
		}
		wanted[cell{p.Line, col}] = p
	}
	for _, r := range rows {
		for col, n := range r.notes {
			if n == NoteNone {
				continue
			}
			c := cell{r.line, col}
			p, ok := wanted[c]
			if !ok {
				t.Errorf("row %d, %s: note %s (%q); the sidecar has none", r.line, header[min(col, len(header)-1)], n.Kind(), r.cells[col])
				continue
			}
			delete(wanted, c)
			if n.Kind() != p.Kind {
				t.Errorf("row %d, %s: note %s; want %s", r.line, p.Column, n.Kind(), p.Kind)
			}
			other := ""
			if col < len(r.texts) {
				other = r.texts[col]
			}
			msg := n.Describe(r.cells[col], other)
			if p.Contains != "" && !strings.Contains(msg, p.Contains) {
				t.Errorf("row %d, %s: %q; want it to contain %q", r.line, p.Column, msg, p.Contains)
			}
			for _, w := range p.NotContains {
				if strings.Contains(msg, w) {
					t.Errorf("row %d, %s: %q; must not contain %q", r.line, p.Column, msg, w)
				}
			}
			if p.StoredValue != "" && other != p.StoredValue {
				t.Errorf("row %d, %s: stored value %q; want %q", r.line, p.Column, other, p.StoredValue)
			}
		}
	}
	for c, p := range wanted {
		t.Errorf("row %d, %s: no %s note", c.line, p.Column, p.Kind)
	}
}

func checkWarnings(t *testing.T, got []Warning, want, optional []sideWarning) {
	t.Helper()
	matches := func(w Warning, s sideWarning) bool {
		return w.Kind == s.Kind && slices.Equal(w.Rows, s.Lines) && slices.Equal(w.Columns, s.Columns) &&
			slices.Equal(w.Letters, s.Letters) && w.File == s.File && w.User == s.User
	}
	left := slices.Clone(got)
	for _, s := range want {
		i := slices.IndexFunc(left, func(w Warning) bool { return matches(w, s) })
		if i < 0 {
			t.Errorf("no warning %+v; got %+v", s, got)
			continue
		}
		if left[i].Message == "" || strings.Contains(left[i].Message, "\n") {
			t.Errorf("warning %s: message %q; want one line", s.Kind, left[i].Message)
		}
		left = slices.Delete(left, i, i+1)
	}
	for _, w := range left {
		if !slices.ContainsFunc(optional, func(s sideWarning) bool { return s.Kind == w.Kind }) {
			t.Errorf("unexpected warning %+v", w)
		}
	}
}

// corpusPending are the fixtures not yet read faithfully, with the work item that fixes them.
var corpusPending = map[string]string{}
