package reports

import (
	"bytes"
	"strings"
	"testing"
)

// sheetPatch gives the same bytes however excelize's writes split the part: the placeholder
// dimension replaced, the yuan style's inline strings made numbers, anything else untouched.
func TestSheetPatchChunking(t *testing.T) {
	t.Parallel()
	in := `<?xml version="1.0"?><worksheet><sheetPr/><dimension ref="A1:XFD1000001"></dimension><sheetData>` +
		`<row r="1"><c r="A1" s="7" t="inlineStr"><is><t>123.45</t></is></c><c r="B1" s="8" t="inlineStr"><is><t>123.45</t></is></c></row>` +
		`<row r="2"><c r="A2" s="7" t="inlineStr"><is><t>-0.05</t></is></c><c r="B2" s="7" t="inlineStr"><is><t>=1+1</t></is></c></row>` +
		`</sheetData></worksheet>`
	want := strings.NewReplacer(`ref="A1:XFD1000001"`, `ref="A1:B2"`,
		`<c r="A1" s="7" t="inlineStr"><is><t>123.45</t></is></c>`, `<c r="A1" s="7"><v>123.45</v></c>`,
		`<c r="A2" s="7" t="inlineStr"><is><t>-0.05</t></is></c>`, `<c r="A2" s="7"><v>-0.05</v></c>`).Replace(in)
	tests := []struct {
		name  string // how the part is split
		chunk int
	}{
		{"one write", len(in)},
		{"byte by byte", 1},
		{"7 bytes", 7},
		{"33 bytes", 33},
		{"100 bytes", 100},
	}
	for _, tc := range tests {
		var out bytes.Buffer
		p := &sheetPatch{w: &out, dims: map[string]string{"A1:XFD1000001": "A1:B2"}, head: true,
			markers: [][]byte{[]byte(` s="7" t="inlineStr"><is><t>`)}, repl: [][]byte{[]byte(` s="7"><v>`)}}
		for i := 0; i < len(in); i += tc.chunk {
			if _, err := p.Write([]byte(in[i:min(i+tc.chunk, len(in))])); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.flush(); err != nil {
			t.Fatal(err)
		}
		if out.String() != want {
			t.Errorf("%s:\ngot  %s\nwant %s", tc.name, out.String(), want)
		}
	}
}
