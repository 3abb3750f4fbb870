package job

import (
	"path/filepath"
	"testing"
)

func TestDefaultNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		input   string
		dry     bool
		out     string
		journal string
	}{
		// a file of operations
		{"d/tonight.xlsx", false, "d/tonight.xlsx.results.xlsx", "d/tonight.xlsx.svbatch.db"},
		// a dry run never overwrites the real results
		{"d/tonight.xlsx", true, "d/tonight.xlsx.dry-run.results.xlsx", "d/tonight.xlsx.svbatch.db"},
		// its Retry sheet sent again: a readable round, the original run's journal
		{"d/tonight.xlsx.results.xlsx", false, "d/tonight.xlsx.retry.results.xlsx", "d/tonight.xlsx.svbatch.db"},
		{"d/tonight.xlsx.retry.results.xlsx", false, "d/tonight.xlsx.retry2.results.xlsx", "d/tonight.xlsx.svbatch.db"},
		{"d/tonight.xlsx.retry2.results.xlsx", false, "d/tonight.xlsx.retry3.results.xlsx", "d/tonight.xlsx.svbatch.db"},
		{"d/tonight.xlsx.retry2.results.xlsx", true, "d/tonight.xlsx.retry3.dry-run.results.xlsx", "d/tonight.xlsx.svbatch.db"},
		// upper case from Windows
		{"d/T.CSV.RESULTS.XLSX", false, "d/T.CSV.retry.results.xlsx", "d/T.CSV.svbatch.db"},
	}
	for _, tc := range tests {
		out := DefaultOut(filepath.FromSlash(tc.input), tc.dry)
		if out != filepath.FromSlash(tc.out) {
			t.Errorf("DefaultOut(%s, dry %v) = %s; want %s", tc.input, tc.dry, out, tc.out)
		}
		if j := DefaultJournal(filepath.FromSlash(tc.input), out); j != filepath.FromSlash(tc.journal) {
			t.Errorf("DefaultJournal(%s) = %s; want %s", tc.input, j, tc.journal)
		}
	}
}
