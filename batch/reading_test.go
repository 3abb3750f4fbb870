package batch

import (
	"reflect"
	"testing"

	"svbatch"
)

// TestReadingDiff: which differences between two readings refuse a run: unit and mapping always,
// the file's own settings only for the same file, nothing against a run recorded before readings
// were kept.
func TestReadingDiff(t *testing.T) {
	t.Parallel()
	base := Reading{Unit: svbatch.Yuan, Mapping: `"A" → change_value`, Encoding: "utf-8", Delimiter: ',', HeaderRow: 1}
	tests := []struct {
		name     string
		earlier  map[string]string
		now      Reading
		sameFile bool
		want     []string
	}{
		{"same", base.Params(), base, true, nil},
		{"legacy run", map[string]string{"gateway": "x"}, Reading{}, true, nil},
		{"unit", base.Params(), func() Reading { r := base; r.Unit = svbatch.Fen; return r }(), false,
			[]string{`amounts read in: "yuan" before, "fen" now (--amount-unit, or the unit in the amount's header)`}},
		{"mapping", base.Params(), func() Reading { r := base; r.Mapping = `"B" → change_value`; return r }(), false,
			[]string{`column mapping: before "A" → change_value; now "B" → change_value (--mapping)`}},
		{"no mapping now", base.Params(), func() Reading { r := base; r.Mapping = ""; return r }(), false,
			[]string{`column mapping: a mapping before, none now (--mapping)`}},
		{"other file, other sheet", base.Params(), func() Reading { r := base; r.Encoding, r.Delimiter, r.Sheet = "xlsx", 0, "Retry"; return r }(), false, nil},
		{"same file, tab", base.Params(), func() Reading { r := base; r.Delimiter = '\t'; return r }(), true,
			[]string{`delimiter: "," before, tab now (--delimiter)`}},
		{"same file, header row", base.Params(), func() Reading { r := base; r.HeaderRow = 3; return r }(), true,
			[]string{`header row: "1" before, "3" now (--header-row)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ReadingDiff(tc.earlier, tc.now, tc.sameFile); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}
