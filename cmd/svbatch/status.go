package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"svbatch"
	"svbatch/job"
)

type statusOptions struct {
	json bool
}

func newStatusCmd(cio *cmdIO) *cobra.Command {
	var o statusOptions
	cmd := &cobra.Command{
		Use:   "status JOURNAL",
		Short: "Show what a run journal holds: runs, rows per state, rows that need attention",
		Long: `status reads a journal (the <input>.svbatch.db that run writes) and shows its runs with their
settings and outcomes, how many rows are in each state, and the rows that need attention (failed,
unknown, skipped, in conflict, pending, or in flight when a run died), with the gateway's last answer.
It sends nothing and changes nothing. Exit 0 when no row needs attention, 1 when some do, 2 when the
journal cannot be read (or a run is using it now).`,
		Example: `  svbatch status tonight.xlsx.svbatch.db
  svbatch status tonight.xlsx.svbatch.db --json | jq '.counts'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErr("svbatch status needs one JOURNAL (the <input>.svbatch.db of a run), got %d argument(s)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runStatus(cio, o, args[0]) },
	}
	cmd.Flags().BoolVar(&o.json, "json", false, `print {"journal","runs":[…],"counts":{state:n},"needs_attention":n,"attention":[…]} as JSON`)
	return cmd
}

type statusRun struct {
	ID        int64             `json:"id"`
	Input     string            `json:"input"`
	Params    map[string]string `json:"params"`
	StartedAt time.Time         `json:"started_at"`
	EndedAt   *time.Time        `json:"ended_at,omitempty"`
	Outcome   string            `json:"outcome"`
}

type statusRow struct {
	Row        int            `json:"row"`
	RequestID  string         `json:"request_id"`
	State      svbatch.Status `json:"state"`
	Attempts   int            `json:"attempts"`
	Note       string         `json:"note,omitempty"`
	ResultCode string         `json:"result_code,omitempty"`
	ResultDesc string         `json:"result_desc,omitempty"`
	ErrSubCode string         `json:"error_sub_code,omitempty"`
	ErrMsg     string         `json:"error_msg,omitempty"`
}

func runStatus(cio *cmdIO, o statusOptions, path string) error {
	st, err := job.Status(path)
	if err != nil {
		return runError(err)
	}
	var rows []statusRow
	for _, e := range st.Attention {
		rows = append(rows, statusRow{Row: e.Line, RequestID: e.RequestID, State: e.State, Attempts: e.Attempts, Note: e.Note,
			ResultCode: e.ResultCode, ResultDesc: e.ResultDesc, ErrSubCode: e.ErrSubCode, ErrMsg: e.ErrMsg})
	}
	if o.json {
		out := struct {
			Journal   string                   `json:"journal"`
			Runs      []statusRun              `json:"runs"`
			Counts    map[svbatch.Status]int   `json:"counts"`
			Amounts   map[svbatch.Status]int64 `json:"amounts_fen"`
			NoAmount  int                      `json:"rows_without_amount"`
			Attention int                      `json:"needs_attention"`
			Rows      []statusRow              `json:"attention"`
		}{Journal: st.Path, Counts: st.Counts, Amounts: st.Amounts, NoAmount: st.Unrecorded, Attention: st.NeedsAttention(), Rows: rows, Runs: []statusRun{}}
		for _, r := range st.Runs {
			sr := statusRun{ID: r.ID, Input: r.Input, Params: r.Params, StartedAt: r.StartedAt, Outcome: r.Outcome}
			if !r.EndedAt.IsZero() {
				sr.EndedAt = &r.EndedAt
			}
			out.Runs = append(out.Runs, sr)
		}
		if out.Rows == nil {
			out.Rows = []statusRow{}
		}
		enc := json.NewEncoder(cio.stdout)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		printStatus(cio.stdout, st, rows)
	}
	if st.NeedsAttention() > 0 {
		return withCode(exitFailed, nil)
	}
	return nil
}

func printStatus(w io.Writer, st *job.JournalStatus, rows []statusRow) {
	fmt.Fprintf(w, "Journal %s\n", st.Path)
	fmt.Fprintf(w, "Runs: %d\n", len(st.Runs))
	for _, r := range st.Runs {
		outcome := r.Outcome
		if outcome == "" {
			outcome = "did not finish (killed or still running)"
		}
		var ps []string
		for _, k := range []string{"gateway", "app_key", "qps", "concurrency", "id_namespace", "retry_failed"} {
			if v, ok := r.Params[k]; ok {
				ps = append(ps, k+"="+v)
			}
		}
		fmt.Fprintf(w, "  #%d %s  %s  %s  (%s)\n", r.ID, r.StartedAt.In(svbatch.GMT8).Format("2006-01-02 15:04:05"), outcome, r.Input, strings.Join(ps, " "))
		if read := readingLine(r.Params); read != "" {
			fmt.Fprintf(w, "      read: %s\n", read)
		}
		if m := r.Params["read.mapping"]; m != "" {
			fmt.Fprintf(w, "      mapping: %s\n", strings.ReplaceAll(m, "\n", "; "))
		}
	}
	var states []string
	total := 0
	for s, n := range st.Counts {
		if n > 0 {
			states = append(states, string(s))
			total += n
		}
	}
	sort.Strings(states)
	var parts []string
	for _, s := range states {
		parts = append(parts, fmt.Sprintf("%s %d", s, st.Counts[svbatch.Status(s)]))
	}
	fmt.Fprintf(w, "Rows: %d (%s)\n", total, strings.Join(parts, ", "))
	var amounts []string
	for _, s := range states {
		if a, ok := st.Amounts[svbatch.Status(s)]; ok {
			amounts = append(amounts, fmt.Sprintf("%s %s yuan (%d fen)", s, svbatch.FormatYuan(a), a))
		}
	}
	if len(amounts) > 0 {
		fmt.Fprintf(w, "Amounts as sent: %s\n", strings.Join(amounts, ", "))
	}
	if st.Unrecorded > 0 {
		fmt.Fprintf(w, "  (%d row(s) never sent, or sent by an svbatch that did not record amounts, are not in these)\n", st.Unrecorded)
	}
	n := st.NeedsAttention()
	if n == 0 {
		fmt.Fprintln(w, "Nothing needs attention.")
		return
	}
	fmt.Fprintf(w, "Needs attention: %d row(s)", n)
	if len(rows) < n {
		fmt.Fprintf(w, " (the first %d listed)", len(rows))
	}
	fmt.Fprintln(w)
	for _, r := range rows {
		answer := strings.TrimSpace(strings.Join([]string{r.ResultCode, r.ResultDesc, r.ErrSubCode}, " "))
		fmt.Fprintf(w, "  row %-6d %-9s %s  %s  %s\n", r.Row, r.State, r.RequestID, answer, r.Note)
	}
}

// readingLine is how a run read its file (the journal's read.* parameters), "" for a run recorded
// before svbatch kept them.
func readingLine(p map[string]string) string {
	if p["read.unit"] == "" {
		return ""
	}
	ps := []string{"amounts in " + p["read.unit"], p["read.encoding"]}
	if d := p["read.delimiter"]; d != "" {
		if d == "\t" {
			d = "tab"
		} else {
			d = strconv.Quote(d)
		}
		ps = append(ps, "delimiter "+d)
	}
	if s := p["read.sheet"]; s != "" {
		ps = append(ps, "sheet "+strconv.Quote(s))
	}
	ps = append(ps, "header row "+p["read.header_row"])
	if p["read.mapping"] == "" {
		ps = append(ps, "no mapping")
	}
	return strings.Join(ps, ", ")
}
