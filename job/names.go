package job

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// resultsSuffix ends every results workbook svbatch names itself.
const resultsSuffix = ".results.xlsx"

// retryRound matches the ".retry" or ".retryN" that ends the stem of a retry round's results.
var retryRound = regexp.MustCompile(`\.retry(\d*)$`)

// DefaultOut is the results file of a run of input when --out is not given:
//   - <input>.results.xlsx for a file of operations;
//   - for a results workbook sent again (its Retry sheet), a readable next round instead of
//     X.results.xlsx.results.xlsx: X.retry.results.xlsx, then X.retry2.results.xlsx, …;
//   - a dry run never overwrites real results: .dry-run.results.xlsx in place of .results.xlsx.
func DefaultOut(input string, dryRun bool) string {
	out := input + resultsSuffix
	if stem, ok := cutSuffixFold(input, resultsSuffix); ok {
		n := 1
		if m := retryRound.FindStringSubmatchIndex(stem); m != nil {
			if m[2] < m[3] {
				k, _ := strconv.Atoi(stem[m[2]:m[3]])
				n = k + 1
			} else {
				n = 2
			}
			stem = stem[:m[0]]
		}
		round := ".retry"
		if n > 1 {
			round += strconv.Itoa(n)
		}
		out = stem + round + resultsSuffix
	}
	if dryRun {
		out = strings.TrimSuffix(out, resultsSuffix) + ".dry-run" + resultsSuffix
	}
	return out
}

// DefaultJournal is the journal of a run of input writing out when --journal is not given: beside
// the results, named for the input file; a results workbook sent again (a retry round) uses the
// journal of the run that wrote it, the one that knows which rows already moved money.
func DefaultJournal(input, out string) string {
	name := filepath.Base(input)
	if stem, ok := cutSuffixFold(name, resultsSuffix); ok {
		name = retryRound.ReplaceAllString(stem, "")
	}
	return filepath.Join(filepath.Dir(out), name+".svbatch.db")
}

func cutSuffixFold(s, suffix string) (string, bool) {
	if len(s) > len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix) {
		return s[:len(s)-len(suffix)], true
	}
	return s, false
}

// JournalOfResults is the journal of the run that wrote the results file at path, by the names
// run gives them: beside it, named for the run's input (X.results.xlsx and X.retry.results.xlsx →
// X.svbatch.db).
func JournalOfResults(path string) string {
	name := filepath.Base(path)
	for _, suffix := range []string{resultsSuffix, ".results.csv"} {
		if stem, ok := cutSuffixFold(name, suffix); ok {
			name = retryRound.ReplaceAllString(strings.TrimSuffix(stem, ".dry-run"), "")
			break
		}
	}
	return filepath.Join(filepath.Dir(path), name+".svbatch.db")
}
