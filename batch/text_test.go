package batch

import (
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"svbatch"
	"svbatch/table"
)

// textProblemRef is the plain statement of textProblem's rules (rune by rune), which the fast
// version must match on every input. A control character before the first non-ASCII byte is
// reported as such even when invalid UTF-8 follows; reason may hold line breaks and tabs.
func textProblemRef(f int, s string) string {
	allowed := func(c rune) bool { return f == fReason && (c == '\n' || c == '\r' || c == '\t') }
	for i := 0; i < len(s) && s[i] < utf8.RuneSelf; i++ {
		if unicode.IsControl(rune(s[i])) && !allowed(rune(s[i])) {
			return msgControl
		}
	}
	if !utf8.ValidString(s) {
		return "is not valid UTF-8 text: the file mixes encodings — pass --encoding gbk or gb18030"
	}
	for _, c := range s {
		if (unicode.IsControl(c) && !allowed(c)) || c == '\u2028' || c == '\u2029' {
			return msgControl
		}
	}
	if limit := fieldLimit(f); limit > 0 {
		if n := utf8.RuneCountInString(s); n > limit {
			return fmt.Sprintf("is %d characters long; at most %d are allowed (svbatch never truncates)", n, limit)
		}
	}
	if exactField(f) && f != fChangeValue && svbatch.LooksScientific(s) {
		return table.NoteRounded.Message()
	}
	return ""
}

var textCases = []string{
	"", "abc", "批量导入 batch import", "a\tb", "a\nb", "补发\r\n原单号\t已核对", "\n\x01", "单\n\x0b", "x\x7f", "\u0085next line", "\u0080", "\u009f", "\u00a0nbsp", "\u00c2",
	"line\u2028sep", "para\u2029sep", "\u2027\u202a", "\u20ac euro", "\xff", "ok\xc2", "\xe2\x80", "\xed\xa0\x80",
	"\x01\xff", "\xff\x01", "订单\x01", "1.86518E+10", "１.5E+3", "é1E5",
	strings.Repeat("a", 64), strings.Repeat("a", 65), strings.Repeat("é", 64), strings.Repeat("é", 65),
	strings.Repeat("单", 256), strings.Repeat("单", 257), strings.Repeat("单", 21) + "a", strings.Repeat("x", 256) + "单",
}

// TestTextProblem: textProblem agrees with the rune-by-rune statement of the rules, for every
// kind of field (ids, reason, operate_type, amounts).
func TestTextProblem(t *testing.T) {
	t.Parallel()
	for f := 0; f < nFields; f++ {
		for _, s := range textCases {
			if got, want := textProblem(f, s), textProblemRef(f, s); got != want {
				t.Errorf("field %s, %q: %q; want %q", canonicalOrder[f], s, got, want)
			}
		}
	}
}

func FuzzTextProblem(f *testing.F) {
	for _, s := range textCases {
		f.Add(uint8(fReason), s)
		f.Add(uint8(fOuterOrder), s)
	}
	f.Fuzz(func(t *testing.T, field uint8, s string) {
		fi := int(field) % nFields
		if got, want := textProblem(fi, s), textProblemRef(fi, s); got != want {
			t.Fatalf("field %s, %q: %q; want %q", canonicalOrder[fi], s, got, want)
		}
	})
}
