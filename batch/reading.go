package batch

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"svbatch"
	"svbatch/table"
)

// Reading is how a Reader read its file: what decides which amounts go to which accounts, beyond
// the cells themselves. A journal records it per run, so a resume or a retry round that would read
// the same cells differently (yuan as fen, another mapping) is refused instead of sending them.
type Reading struct {
	Unit    svbatch.Unit
	Mapping string // the mapping's content, canonical ("" = none): one "column → field" or "field = value" per line
	// (The id namespace is recorded and checked by the journal itself: journal.CheckNamespace.)

	// Of this file only (a Retry sheet is another file, read its own way).
	Encoding  string // "utf-8", "gbk", … or "xlsx"
	Delimiter rune   // CSV only
	Sheet     string // XLSX only
	HeaderRow int
}

// Reading says how r reads its file.
func (r *Reader) Reading() Reading {
	return Reading{
		Unit: r.unit, Mapping: r.mappingText,
		Encoding: r.t.Encoding(), Delimiter: table.Delimiter(r.t), Sheet: table.SheetName(r.t), HeaderRow: r.HeaderLine(),
	}
}

// canonical is the mapping's content in a fixed order, one entry per line ("" for no mapping):
// two mapping files that read a file the same way have the same text, whatever their comments,
// order or encoding.
func (m *Mapping) canonical() string {
	if m == nil {
		return ""
	}
	var lines []string
	for _, col := range slices.Sorted(maps.Keys(m.Columns)) {
		lines = append(lines, strconv.Quote(col)+" → "+m.Columns[col])
	}
	for _, f := range slices.Sorted(maps.Keys(m.Constants)) {
		lines = append(lines, f+" = "+strconv.Quote(m.Constants[f]))
	}
	return strings.Join(lines, "\n")
}

// Params are the journal parameters that record rd (keys "read.…").
func (rd Reading) Params() map[string]string {
	p := map[string]string{
		"read.unit": rd.Unit.String(), "read.mapping": rd.Mapping, "read.encoding": rd.Encoding,
		"read.header_row": strconv.Itoa(rd.HeaderRow),
	}
	if rd.Delimiter != 0 {
		p["read.delimiter"] = string(rd.Delimiter)
	}
	if rd.Sheet != "" {
		p["read.sheet"] = rd.Sheet
	}
	return p
}

// ReadingDiff compares how an earlier run read (its journal parameters, from Params; a run
// recorded before svbatch kept them has none and agrees with anything) with rd. sameFile says
// whether the earlier run read the same file, whose own settings (encoding, delimiter, sheet,
// header row) must then agree too. It returns one line per difference, each naming the earlier
// and the new value and the flag that sets it; none when the two read alike.
func ReadingDiff(earlier map[string]string, rd Reading, sameFile bool) []string {
	if _, ok := earlier["read.unit"]; !ok {
		return nil
	}
	now := rd.Params()
	var diffs []string
	differ := func(key, what, flag string) {
		if earlier[key] != now[key] {
			diffs = append(diffs, fmt.Sprintf("%s: %s before, %s now (%s)", what, show(earlier[key]), show(now[key]), flag))
		}
	}
	differ("read.unit", "amounts read in", "--amount-unit, or the unit in the amount's header")
	if earlier["read.mapping"] != now["read.mapping"] {
		diffs = append(diffs, "column mapping: "+mappingDiff(earlier["read.mapping"], now["read.mapping"])+" (--mapping)")
	}
	if sameFile {
		differ("read.encoding", "encoding", "--encoding")
		differ("read.delimiter", "delimiter", "--delimiter")
		differ("read.sheet", "sheet", "--sheet")
		differ("read.header_row", "header row", "--header-row")
	}
	return diffs
}

func show(v string) string {
	switch v {
	case "":
		return "none"
	case "\t":
		return "tab"
	}
	return strconv.Quote(v)
}

// mappingDiff names what one canonical mapping has that the other has not (at most three lines
// each way).
func mappingDiff(before, now string) string {
	if before == "" {
		return "none before, a mapping now"
	}
	if now == "" {
		return "a mapping before, none now"
	}
	b, n := strings.Split(before, "\n"), strings.Split(now, "\n")
	only := func(a, other []string) []string {
		var out []string
		for _, l := range a {
			if !slices.Contains(other, l) {
				out = append(out, l)
			}
		}
		if len(out) > 3 {
			out = append(out[:3], "…")
		}
		return out
	}
	var parts []string
	if o := only(b, n); len(o) > 0 {
		parts = append(parts, "before "+strings.Join(o, ", "))
	}
	if o := only(n, b); len(o) > 0 {
		parts = append(parts, "now "+strings.Join(o, ", "))
	}
	return strings.Join(parts, "; ")
}
