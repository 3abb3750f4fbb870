package batch

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"svbatch/table"
)

// The corpus of table/testdata/corpus, read as operations: every problem Validate reports is one
// the sidecar names (row and column, with its words), and every one it names is reported.
const corpusDir = "../table/testdata/corpus"

type corpusSidecar struct {
	Options struct {
		Sheet     string `json:"sheet"`
		Encoding  string `json:"encoding"`
		HeaderRow int    `json:"header_row"`
	} `json:"options"`
	Expect string   `json:"expect"`
	Header []string `json:"header"`
	Rows   []struct {
		Line  int      `json:"line"`
		Cells []string `json:"cells"`
	} `json:"rows"`
	CellProblems []struct {
		Line        int      `json:"line"`
		Column      string   `json:"column"`
		Kind        string   `json:"kind"`
		Contains    string   `json:"contains"`
		NotContains []string `json:"not_contains"`
	} `json:"cell_problems"`
	Warnings []struct {
		Kind string `json:"kind"`
	} `json:"warnings"`
	OptionalWarnings []struct {
		Kind string `json:"kind"`
	} `json:"optional_warnings"`
	RefuseContains      []string          `json:"refuse_contains"`
	RefuseContainsAny   []string          `json:"refuse_contains_any"`
	RefuseIfUnsupported []string          `json:"refuse_contains_if_unsupported"`
	ColumnMap           map[string]string `json:"column_map"`
	AmountUnit          string            `json:"amount_unit"`
	Fen                 []string          `json:"fen"`
	Mapping             map[string]string `json:"mapping"`
	Constants           map[string]string `json:"constants"`
}

func corpusList(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(corpusDir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "gen" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".expect.json") {
			name, _ := filepath.Rel(corpusDir, strings.TrimSuffix(p, ".expect.json"))
			out = append(out, filepath.ToSlash(name))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func loadCorpusSidecar(t *testing.T, name string) corpusSidecar {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, name+".expect.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s corpusSidecar
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

// constantsFor writes a mapping that gives the required columns a header lacks as constants, so
// that a fixture made to show one thing (a formula, a format) validates as operations.
func constantsFor(t *testing.T, header []string) string {
	t.Helper()
	has := map[string]bool{}
	for _, h := range header {
		if c, ok := CanonicalHeader(h, nil); ok {
			has[c] = true
		}
	}
	// (a constant outer_order_id makes every row a duplicate of the first: for refusals only)
	value := map[string]string{ColBrandID: "B0", ColShopID: "S0", ColOperatorID: "op0", ColOperateType: "1", ColChangeValue: "100", ColOuterOrderID: "O0"}
	var lines []string
	for _, f := range requiredFields {
		if c := canonicalOrder[f]; !has[c] {
			lines = append(lines, "  "+c+": "+value[c])
		}
	}
	if !has[ColCustomerID] && !has[ColMobile] && !has[ColOuterID] {
		lines = append(lines, "  customer_id: C0")
	}
	if len(lines) == 0 {
		return ""
	}
	path := filepath.Join(t.TempDir(), "constants.yaml")
	if err := os.WriteFile(path, []byte("constants:\n"+strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCorpusValidate(t *testing.T) {
	t.Parallel()
	for _, name := range corpusList(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if why, ok := corpusPendingBatch[name]; ok {
				t.Skipf("not yet: %s", why)
			}
			exp := loadCorpusSidecar(t, name)
			path := filepath.Join(corpusDir, filepath.FromSlash(name))
			if strings.HasSuffix(name, ".yaml") {
				checkMapping(t, path, exp)
				return
			}
			opt := Options{Table: table.Options{Sheet: exp.Options.Sheet, Encoding: exp.Options.Encoding, HeaderRow: exp.Options.HeaderRow}}
			if tb, err := table.Open(path, opt.Table); err == nil {
				opt.MappingFile = constantsFor(t, tb.Header())
				tb.Close()
			}
			rep, err := Validate(path, opt)
			if exp.Expect == "refuse" {
				if err == nil {
					t.Fatalf("validated (%d rows, %d problems); want a refusal with %q", rep.Rows, len(rep.Errors), exp.RefuseContains)
				}
				msg := err.Error()
				for _, w := range exp.RefuseContains {
					if !strings.Contains(msg, w) {
						t.Errorf("refusal %q lacks %q", msg, w)
					}
				}
				if len(exp.RefuseContainsAny) > 0 && !slices.ContainsFunc(exp.RefuseContainsAny, func(w string) bool { return strings.Contains(msg, w) }) {
					t.Errorf("refusal %q has none of %q", msg, exp.RefuseContainsAny)
				}
				return
			}
			if err != nil {
				if len(exp.RefuseIfUnsupported) > 0 && strings.Contains(err.Error(), exp.RefuseIfUnsupported[0]) {
					return
				}
				t.Fatalf("Validate: %v", err)
			}
			if rep.Rows != len(exp.Rows) {
				t.Errorf("%d rows; want %d", rep.Rows, len(exp.Rows))
			}
			type key struct {
				row int
				col string
			}
			want := map[key]int{}
			for i, p := range exp.CellProblems {
				want[key{p.Line, p.Column}] = i
			}
			for _, p := range rep.Errors {
				i, ok := want[key{p.Row, p.Column}]
				if !ok {
					t.Errorf("unexpected problem: %s", p)
					continue
				}
				delete(want, key{p.Row, p.Column})
				sp := exp.CellProblems[i]
				if s := p.String(); sp.Contains != "" && !strings.Contains(s, sp.Contains) {
					t.Errorf("%s: want %q in it", s, sp.Contains)
				}
				for _, w := range sp.NotContains {
					if strings.Contains(p.String(), w) {
						t.Errorf("%s: must not say %q", p, w)
					}
				}
			}
			for k := range want {
				t.Errorf("row %d, %s: no problem reported (%s)", k.row, k.col, exp.CellProblems[want[k]].Kind)
			}
			checkWarningKinds(t, rep.Warnings, exp)
			if exp.AmountUnit != "" {
				checkAmounts(t, path, opt, exp)
			}
		})
	}
}

// checkWarningKinds: the report's warnings are the sidecar's (and maybe its optional ones).
func checkWarningKinds(t *testing.T, got []table.Warning, exp corpusSidecar) {
	t.Helper()
	var kinds, want []string
	for _, w := range got {
		if !slices.ContainsFunc(exp.OptionalWarnings, func(o struct {
			Kind string `json:"kind"`
		}) bool {
			return o.Kind == w.Kind
		}) {
			kinds = append(kinds, w.Kind)
		}
	}
	for _, w := range exp.Warnings {
		want = append(want, w.Kind)
	}
	sort.Strings(kinds)
	sort.Strings(want)
	if !slices.Equal(kinds, want) {
		t.Errorf("warnings %q; want %q (%+v)", kinds, want, got)
	}
}

// checkAmounts: the amount column is the canonical one the sidecar names, in its unit, and each
// row's change_value is the sidecar's fen.
func checkAmounts(t *testing.T, path string, opt Options, exp corpusSidecar) {
	t.Helper()
	r, err := Open(path, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for h, c := range exp.ColumnMap {
		if got, ok := CanonicalHeader(h, nil); !ok || got != c {
			t.Errorf("header %q maps to %q; want %q", h, got, c)
		}
	}
	if got := r.Unit().String(); got != exp.AmountUnit {
		t.Errorf("amount unit %s; want %s", got, exp.AmountUnit)
	}
	col := -1
	for i, h := range exp.Header {
		if c, _ := CanonicalHeader(h, nil); c == ColChangeValue {
			col = i
		}
	}
	for i := 0; ; i++ {
		row, problems, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || len(problems) > 0 {
			t.Fatalf("row %d: %v %v", i, err, problems)
		}
		want := exp.Rows[i].Cells[col]
		if exp.Fen != nil {
			want = exp.Fen[i]
		}
		if got := strconv.FormatInt(row.Req.ChangeValue, 10); got != want {
			t.Errorf("row %d: change_value %s fen; want %s", row.Line, got, want)
		}
	}
}

// checkMapping: the mapping file reads (GBK, a BOM) as the sidecar says.
func checkMapping(t *testing.T, path string, exp corpusSidecar) {
	t.Helper()
	m, err := LoadMapping(path)
	if err != nil {
		t.Fatalf("LoadMapping: %v", err)
	}
	for h, c := range exp.Mapping {
		if got, ok := CanonicalHeader(h, m); !ok || got != c {
			t.Errorf("header %q maps to %q; want %q", h, got, c)
		}
	}
	for c, v := range exp.Constants {
		if got := m.Constants[c]; got != v {
			t.Errorf("constant %s = %q; want %q", c, got, v)
		}
	}
}

// corpusPendingBatch are the fixtures batch does not read faithfully yet, with the work item.
var corpusPendingBatch = map[string]string{}
