package svbatch

// Unneutralise undoes the formula neutralisation of svbatch's own workbooks (reports.SafeText): the
// writer put a "'" before text that starts like a formula (= + - @, tab, CR); a reader of those
// workbooks gets the text back as it was sent.
func Unneutralise(s string) string {
	if len(s) > 1 && s[0] == '\'' {
		switch s[1] {
		case '=', '+', '-', '@', '\t', '\r':
			return s[1:]
		}
	}
	return s
}
