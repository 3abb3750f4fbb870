package job

import (
	"fmt"
	"path/filepath"
	"strings"

	"svbatch"
	"svbatch/batch"
	"svbatch/journal"
	"svbatch/reports"
	"svbatch/table"
)

// paramInput is the journal parameter that holds the input's absolute path, which says whether an
// earlier run read the same file (runs record the input as it was given).
const paramInput = "input_abs"

// ReadingError is a run that would read its file differently from an earlier run on the same
// journal: the same cells would move other amounts or reach other accounts. Nothing was sent.
type ReadingError struct {
	Input   string
	Journal string
	Run     journal.Run // the earlier run
	Diffs   []string    // one line per difference (batch.ReadingDiff)
}

func (e *ReadingError) Error() string {
	return fmt.Sprintf("%s would be read differently from run %d of journal %s (%s, started %s):\n  %s\nnothing was sent: run with the settings the journal recorded ('svbatch status %s' shows them), or use a new --journal for a new batch",
		e.Input, e.Run.ID, e.Journal, e.Run.Input, e.Run.StartedAt.In(svbatch.GMT8).Format("2006-01-02 15:04"), strings.Join(e.Diffs, "\n  "), e.Journal)
}

// checkReading refuses a reading that differs from any earlier run's of j (batch.ReadingDiff):
// the amount unit, mapping and namespace must agree across the journal's runs, and the file's own
// settings must agree with earlier runs of the same file.
func checkReading(j *journal.Journal, path, input string, rd batch.Reading) error {
	runs, err := j.Runs()
	if err != nil {
		return &SystemError{Err: fmt.Errorf("journal %s: %w", path, err)}
	}
	abs := absPath(input)
	for _, run := range runs {
		if diffs := batch.ReadingDiff(run.Params, rd, run.Params[paramInput] == abs); len(diffs) > 0 {
			return &InputError{Err: &ReadingError{Input: input, Journal: path, Run: run, Diffs: diffs}}
		}
	}
	return nil
}

// absPath is p absolute with its symbolic links resolved: the same file reached another way is
// the same file.
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		p = a
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}

// fixRound is the round (dispatch.Config.FixRound) of a run reading input as rd: the input's
// absolute path when it is the Retry sheet of a results workbook, "" for a file of operations.
func fixRound(input string, rd batch.Reading) string {
	if rd.Encoding == table.EncXLSX && reports.IsRetrySheet(rd.Sheet) {
		return absPath(input)
	}
	return ""
}
