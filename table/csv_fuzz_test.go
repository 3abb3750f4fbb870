package table

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
)

// textLines counts the text lines of CSV bytes the way a text editor does, independently of the
// CSV parser: lines end in LF or CRLF, or in CR when the text has no LF at all (an old Mac file);
// a last line without an end counts when it is not empty. It also returns the lines themselves.
func textLines(data []byte) []string {
	text := string(data)
	sep := "\n"
	if !strings.Contains(text, "\n") && strings.Contains(text, "\r") {
		sep = "\r"
	}
	lines := strings.Split(text, sep)
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if sep == "\n" {
		for i, l := range lines {
			lines[i] = strings.TrimSuffix(l, "\r")
		}
	}
	return lines
}

// FuzzCSVRowCount checks the CSV path against an independent line counter: whatever the bytes,
// the table either refuses the file (and only a file with a quote can be malformed) or accounts
// for every text line: each record is one row, numbered 1, 2, 3, … as Excel numbers them, and
// the lines a record spans beyond its first are exactly the line breaks inside its quoted fields.
// So no line is silently merged into another record or dropped. Next returns exactly the
// non-empty records below the header. A text without quotes is one record a line, its cells the
// line split at the delimiter.
func FuzzCSVRowCount(f *testing.F) {
	for _, s := range []string{
		"a,b\n1,2\n",
		"a,b\n1,\"x\ny\"\n\n\n2,z\r\n3,\"\"\"q\"\"\"\n",
		"h1,h2,h3\n1,\"VIP\" customer,x\n2,y,z\n",
		"h1,h2,h3\n1,\"open,x\n2,y,z\n3,w,v\n",
		"h1,h2\n1,he said \"hi\"\n2,5\" screen\n",
		"h1,h2\r1,2\r3,4\r",
		"h1,h2\r\n1,\"a\r\nb\"\r\n",
		"h1,h2\n=\"001\",\"=\"\"002\"\"\"\n",
		"title\n\nh1,h2,h3\n1,2,3\n",
		"h\n\"\"\n\"\n\"\n,\n",
		"a,b\n\"x\"  ,y\n\"\",\n",
		"a\rb\nc\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) || bytes.HasPrefix(bytes.ToLower(data), []byte("sep=")) {
			return // UTF-16 and the sep= line are read differently; not what this counts
		}
		data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
		var mu sync.Mutex
		type rec struct {
			row   int
			cells []string
		}
		var recs []rec
		hook := func(row int, cells []string) {
			mu.Lock()
			recs = append(recs, rec{row, slices.Clone(cells)})
			mu.Unlock()
		}
		tb, err := openCSVStream("fuzz.csv", io.NopCloser(bytes.NewReader(data)), csvConfig{enc: EncUTF8, delim: ',', onRecord: hook})
		var got []rec
		if err == nil {
			for {
				line, cells, err2 := tb.Next()
				if errors.Is(err2, io.EOF) {
					break
				}
				if err2 != nil {
					err = err2
					break
				}
				got = append(got, rec{line, slices.Clone(cells)})
			}
			tb.Close()
		}
		lines := textLines(data)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("refusal %T %q: want one line, a *FileError", err, err)
			}
			if !bytes.Contains(data, []byte{'"'}) && !strings.Contains(err.Error(), "no header") && !strings.Contains(err.Error(), "is empty") {
				t.Fatalf("a text without quotes refused: %v", err)
			}
			return
		}
		spanned := 0
		for i, r := range recs {
			if r.row != i+1 {
				t.Fatalf("record %d numbered row %d", i+1, r.row)
			}
			spanned++
			for _, c := range r.cells {
				spanned += strings.Count(c, "\n")
			}
		}
		if spanned != len(lines) {
			t.Fatalf("%d text lines, but the records account for %d: %v", len(lines), spanned, recs)
		}
		// Next: the non-empty records below the header, in order, with their rows.
		var want []rec
		for _, r := range recs {
			if r.row > HeaderLine(tb) && !EmptyRow(r.cells) {
				want = append(want, r)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("Next returned %d rows; %d non-empty records below the header (row %d)", len(got), len(want), HeaderLine(tb))
		}
		for i := range got {
			if got[i].row != want[i].row || !slices.Equal(got[i].cells, want[i].cells) {
				t.Fatalf("row %d: Next %q; record %d %q", i, got[i].cells, want[i].row, want[i].cells)
			}
		}
		if !bytes.Contains(data, []byte{'"'}) {
			if len(recs) != len(lines) {
				t.Fatalf("no quotes: %d records for %d lines", len(recs), len(lines))
			}
			for i, r := range recs {
				if want := strings.Split(lines[i], ","); !slices.Equal(r.cells, want) {
					t.Fatalf("line %d %q read as %q", i+1, lines[i], r.cells)
				}
			}
		}
	})
}
