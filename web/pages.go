package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"svbatch"
	"svbatch/batch"
	"svbatch/job"
	"svbatch/reconcile"
	"svbatch/reports"
	"svbatch/table"
)

// inputColumns are the canonical columns a header can be mapped to, in the template's order.
func inputColumns() []string {
	var out []string
	for _, d := range batch.ColumnDocs() {
		out = append(out, d.Name)
	}
	return out
}

func yuanText(fen int64) string { return svbatch.FormatYuan(fen) }

type homeData struct {
	Unfinished []*Job
	Awaiting   []*Job
	Running    []*Job
	Recent     []*Job
	MaxMiB     int64
	CanUpload  bool
	Approval   bool
	AdoptDir   string // the adopt form's folder; "" = no form
}

func (s *Server) home(w http.ResponseWriter, r *http.Request, se *session) {
	jobs, err := s.store.list()
	if err != nil {
		s.fail(w, r, se, http.StatusInternalServerError, "internal", err.Error())
		return
	}
	d := homeData{MaxMiB: s.cfg.MaxUpload >> 20, CanUpload: canUpload(se), Approval: s.cfg.Approval, AdoptDir: s.cfg.AdoptDir}
	for _, j := range jobs {
		switch j.State {
		case StateUnfinished, StateStoppedHard:
			d.Unfinished = append(d.Unfinished, j)
		case StateAwaiting:
			d.Awaiting = append(d.Awaiting, j)
		case StateRunning:
			d.Running = append(d.Running, j)
		}
		if len(d.Recent) < 10 {
			d.Recent = append(d.Recent, j)
		}
	}
	s.render(w, r, se, "home", http.StatusOK, &page{Title: msg(langOf(r), "home"), Data: d})
}

func (s *Server) history(w http.ResponseWriter, r *http.Request, se *session) {
	jobs, err := s.store.list()
	if err != nil {
		s.fail(w, r, se, http.StatusInternalServerError, "internal", err.Error())
		return
	}
	s.render(w, r, se, "history", http.StatusOK, &page{Title: msg(langOf(r), "history"), Data: jobs})
}

// mapRow is one header of the file on the mapping form.
type mapRow struct {
	Index  int
	Header string
	Auto   string // canonical column matched by name, "" none
	Chosen string // what the job maps it to
}

// cellView is one cell of the validation grid.
type cellView struct {
	Text string
	Err  string
}

type rowView struct {
	Line  int
	Cells []cellView
	Bad   bool
}

type jobData struct {
	Job        *Job
	Check      *stored
	Map        []mapRow
	Columns    []string
	Constants  []constView
	Rows       []rowView
	RowsCapped bool
	OnlyErrors bool
	Problems   []batch.Problem
	Editable   bool
	CanUpload  bool
	CanApprove bool
	Approval   bool
	Running    bool
	Progress   *Progress
	Gateway    string
	AppKey     string
	Rate       string
	Conc       int
	Recon      *reconView
	HasResults bool
	MaxMiB     int64
	Named      []string // mappings saved by name
	Journal    *journalView
	CanResume  bool
}

type constView struct{ Name, Value string }

// previewRows caps the rows the validation grid shows.
const previewRows = 300

func (s *Server) jobPage(w http.ResponseWriter, r *http.Request, se *session) {
	j, ok := s.jobOf(w, r, se)
	if !ok {
		return
	}
	st := s.loadCheck(j)
	d := jobData{Job: j, Check: st, Columns: inputColumns(), Editable: editable(j) && canUpload(se), CanUpload: canUpload(se),
		CanApprove: canApprove(se, j) && j.State == StateAwaiting, Approval: s.cfg.Approval, Gateway: s.cfg.Gateway, AppKey: s.cfg.AppKey,
		Conc: s.cfg.Dispatch.Concurrency, Rate: "unlimited", MaxMiB: s.cfg.MaxUpload >> 20, Named: s.namedMappings()}
	if q := s.cfg.Dispatch.QPS; q > 0 {
		d.Rate = formatFloat(q) + "/s"
	}
	for i, h := range st.Header {
		auto, _ := batch.CanonicalHeader(h, nil)
		chosen := auto
		if c, ok := j.Mapping[h]; ok {
			chosen = c
		}
		d.Map = append(d.Map, mapRow{Index: i, Header: h, Auto: auto, Chosen: chosen})
	}
	for _, c := range constantColumns {
		d.Constants = append(d.Constants, constView{Name: c, Value: j.Constants[c]})
	}
	if st.Report != nil {
		d.Problems = st.Report.Errors
		d.OnlyErrors = r.URL.Query().Get("all") != "1"
		d.Rows, d.RowsCapped = s.preview(j, st, d.OnlyErrors)
	}
	if (j.State == StateUnfinished || j.State == StateStoppedHard) && s.active(j.ID) == nil {
		// What the journal holds now, and so what a resume sends (under the job's lock: a resume
		// opening the journal at the same moment waits).
		unlock := s.lockJob(j.ID)
		if prep, err := job.Prepare(s.jobConfig(j)); err == nil {
			st.Plan = viewOf(prep.Plan)
		}
		unlock()
	}
	if j.Adopted != nil && s.active(j.ID) == nil {
		unlock := s.lockJob(j.ID)
		d.Journal = s.journalStatus(j)
		unlock()
	}
	d.CanResume = canUpload(se) && (!s.cfg.Approval || j.Approver != "" || j.Adopted != nil && canApprove(se, j))
	if ar := s.active(j.ID); ar != nil {
		d.Running = true
		p := ar.progress(s.cfg.Now())
		d.Progress = &p
	}
	if _, err := os.Stat(s.store.path(j.ID, resultsName)); err == nil && !d.Running {
		d.HasResults = true
	}
	d.Recon = s.loadRecon(j)
	s.render(w, r, se, "job", http.StatusOK, &page{Title: j.FileName, Data: d})
}

// preview reads the file's rows for the grid, the bad cells marked: only the rows with problems,
// or all, at most previewRows.
func (s *Server) preview(j *Job, st *stored, onlyErrors bool) ([]rowView, bool) {
	bad := map[int]map[int]string{}
	for _, p := range st.Report.Errors {
		if bad[p.Row] == nil {
			bad[p.Row] = map[int]string{}
		}
		if m := bad[p.Row][p.Col]; m != "" {
			bad[p.Row][p.Col] = m + "; " + p.Message
		} else {
			bad[p.Row][p.Col] = p.Message
		}
	}
	topt, err := batch.TableOptions(s.readOptions(j))
	if err != nil {
		return nil, false
	}
	t, err := table.Open(s.store.path(j.ID, j.Input), topt)
	if err != nil {
		return nil, false
	}
	defer t.Close()
	var out []rowView
	for {
		line, cells, err := t.Next()
		if err != nil {
			return out, false
		}
		b := bad[line]
		if onlyErrors && b == nil {
			continue
		}
		if len(out) == previewRows {
			return out, true
		}
		rv := rowView{Line: line, Bad: b != nil}
		for i := range max(len(cells), len(st.Header)) {
			c := cellView{}
			if i < len(cells) {
				c.Text = cells[i]
			}
			c.Err = b[i]
			rv.Cells = append(rv.Cells, c)
		}
		if m := b[-1]; m != "" {
			rv.Cells = append(rv.Cells, cellView{Err: m, Text: "⚠"})
		}
		out = append(out, rv)
	}
}

// formatFloat is a rate as people write it: 20, 2.5.
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// reconView is a reconciliation's verdict as the results page shows it.
type reconView struct {
	AllMatched bool
	Totals     []reconLine
	Statement  []string
	Expected   string
	When       time.Time
}

type reconLine struct {
	Category string
	Count    int64
	Amount   int64
	Diff     int64
}

func (s *Server) loadRecon(j *Job) *reconView {
	var v reconView
	if readJSON(s.store.path(j.ID, "reconcile.json"), &v) != nil {
		return nil
	}
	return &v
}

var ledgerExts = []string{".csv", ".xlsx", ".txt", ".tsv"}

// reconcile matches the job's results against an uploaded expected ledger (svbatch reconcile).
func (s *Server) reconcile(w http.ResponseWriter, r *http.Request, se *session) {
	j, unlock, ok := s.editJob(w, r, se)
	if !ok {
		return
	}
	defer unlock()
	if !canUpload(se) {
		s.fail(w, r, se, http.StatusForbidden, "forbidden", msg(langOf(r), "viewer_cannot"))
		return
	}
	if s.active(j.ID) != nil {
		s.fail(w, r, se, http.StatusConflict, "running_now", "")
		return
	}
	results := s.store.path(j.ID, resultsName)
	if _, err := os.Stat(results); err != nil {
		s.fail(w, r, se, http.StatusConflict, "no_results", "")
		return
	}
	f, name, ext, err := formFile(r, ledgerExts)
	if err != nil {
		s.fail(w, r, se, http.StatusBadRequest, err.Error(), "")
		return
	}
	defer f.Close()
	j.Expected = "expected" + ext
	if _, err := s.saveUpload(j.ID, j.Expected, f); err != nil {
		s.fail(w, r, se, http.StatusBadRequest, "upload_failed", err.Error())
		return
	}
	unit, err := svbatch.ParseUnit(r.FormValue("unit"))
	if err != nil {
		unit = svbatch.Fen
	}
	v, err := s.runReconcile(j, results, s.store.path(j.ID, j.Expected), name, unit, langOf(r))
	s.audit.log(AuditEntry{User: se.User, Action: "reconcile", Job: j.ID, Remote: remote(r), OK: err == nil, Detail: name})
	if err != nil {
		s.fail(w, r, se, http.StatusBadRequest, "reconcile_failed", err.Error())
		return
	}
	j.Verdict = "breaks"
	if v.AllMatched {
		j.Verdict = "matched"
	}
	if err := s.store.save(j); err != nil {
		s.fail(w, r, se, http.StatusInternalServerError, "internal", err.Error())
		return
	}
	http.Redirect(w, r, "/jobs/"+j.ID+"#results", http.StatusSeeOther)
}

func (s *Server) runReconcile(j *Job, resultsPath, expectedPath, expectedName string, unit svbatch.Unit, lang string) (*reconView, error) {
	header := func(h string) (string, bool) { return batch.CanonicalHeader(h, nil) }
	results, err := reconcile.OpenResults(resultsPath)
	if err != nil {
		return nil, err
	}
	defer results.Close()
	expected, err := reconcile.OpenExpected(expectedPath, reconcile.FileOptions{})
	if err != nil {
		return nil, err
	}
	defer expected.Close()
	rep, err := reconcile.Reconcile(expected, results, reconcile.Options{AmountUnit: unit, Header: header})
	if err != nil {
		return nil, err
	}
	inputs := []reports.ReconciliationInput{
		{Role: "results", Name: stem(j.FileName) + ".results.xlsx", Rows: rep.ResultsRows},
		{Role: "expected", Name: expectedName, Rows: rep.ExpectedRows},
	}
	for i, p := range []string{resultsPath, expectedPath} {
		if inputs[i].SHA256, err = table.FileSHA256(p); err != nil {
			return nil, err
		}
	}
	now := s.cfg.Now()
	info := reports.ReconciliationInfo{AsOf: now.UTC().Truncate(time.Second), Inputs: inputs,
		Params: [][2]string{{"amount unit of the expected ledger", unit.String()}}, Lang: svbatch.LangEN}
	if lang == "zh" {
		info.Lang = svbatch.LangZH
	}
	if err := reports.WriteReconciliationReport(s.store.path(j.ID, reconciliationName), rep, info); err != nil {
		return nil, err
	}
	if err := os.Chmod(s.store.path(j.ID, reconciliationName), 0o600); err != nil {
		return nil, err
	}
	v := &reconView{AllMatched: rep.AllMatched(), Statement: rep.Statement(), Expected: expectedName, When: now}
	for _, c := range reconcile.Categories {
		if c == reconcile.BalanceMismatch {
			continue
		}
		t := rep.Totals(c)
		v.Totals = append(v.Totals, reconLine{Category: c.String(), Count: t.Count, Amount: t.Amount, Diff: t.Difference})
	}
	if err := writeJSON(s.store.path(j.ID, "reconcile.json"), v); err != nil {
		return nil, err
	}
	return v, nil
}

var errEmpty = errors.New("empty")

func readJSON(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	if len(b) == 0 {
		return errEmpty
	}
	return json.Unmarshal(b, v)
}

func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Clean(path))
}
