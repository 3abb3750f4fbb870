package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	osuser "os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"svbatch/batch"
	"svbatch/dispatch"
	"svbatch/job"
	"svbatch/journal"
	"svbatch/reports"
	"svbatch/table"
)

// Adoption is where a job adopted from the command line came from. Its journal is the command
// line's, used in place (never copied: two copies would let a row be sent twice); its input is a
// copy (0600) of the file the journal's runs read, checked against what they sent.
type Adoption struct {
	Input   string    `json:"input"`   // the command line's input file (absolute)
	Journal string    `json:"journal"` // the command line's journal (absolute, symlinks resolved): the job's journal
	Out     string    `json:"out"`     // the command line's results file (absolute)
	By      string    `json:"by"`      // who adopted it (svbatch serve adopt --as, or the page's user)
	OSUser  string    `json:"os_user,omitempty"`
	At      time.Time `json:"at"`
	// How the journal's runs read the file, used by every resume from the page (job.Prepare
	// refuses a reading that differs by itself).
	IDNamespace string `json:"id_namespace"`
	Encoding    string `json:"encoding,omitempty"`
	Delimiter   string `json:"delimiter,omitempty"`
	Checked     int    `json:"rows_checked"` // rows of the file whose sent payload the journal holds, all equal
}

// AdoptRequest is a command-line run to bring onto the page.
type AdoptRequest struct {
	Input   string // the file 'svbatch run' read
	Journal string // its journal; "" = the default beside the results, as 'svbatch run' chooses it
	Out     string // its results; "" = the default (<input>.results.xlsx)
	By      string // who adopts it (recorded as the job's uploader, so they cannot approve it)
	Remote  string // for the audit log: "cli" or the page user's address
}

// ErrJournalBusy is a journal another process (a 'svbatch run' on the command line, or a run of
// this server) has open now.
var ErrJournalBusy = errors.New("the journal is in use by another svbatch process now (a 'svbatch run' on the command line?): try again when that run has finished")

// Adopt brings a command-line run into the data dir's jobs (svbatch serve adopt): a running
// server lists it at once. It refuses a journal that does not exist, that a run holds now, that a
// job already uses, or whose runs read another file or sent other rows than the file holds now.
func Adopt(dataDir string, req AdoptRequest) (*Job, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	st, err := newStore(dataDir)
	if err != nil {
		return nil, err
	}
	au, err := openAudit(filepath.Join(dataDir, "audit.jsonl"))
	if err != nil {
		return nil, err
	}
	defer au.close()
	return adopt(st, au, req, time.Now)
}

func adopt(st *store, au *audit, req AdoptRequest, now func() time.Time) (*Job, error) {
	j, err := adoptJob(st, req, now)
	detail := fmt.Sprintf("input %s journal %s", req.Input, req.Journal)
	if j != nil && j.Adopted != nil {
		detail = fmt.Sprintf("input %s sha256 %s journal %s results %s", j.Adopted.Input, j.InputSHA, j.Adopted.Journal, j.Adopted.Out)
	}
	if err != nil {
		detail += ": refused: " + err.Error()
	}
	e := AuditEntry{User: req.By, Action: "adopt", Remote: req.Remote, OK: err == nil, Detail: detail}
	if j != nil {
		e.Job = j.ID
	}
	if aerr := au.log(e); aerr != nil && err == nil {
		return nil, aerr
	}
	return j, err
}

func adoptJob(st *store, req AdoptRequest, now func() time.Time) (*Job, error) {
	if strings.TrimSpace(req.By) == "" {
		return nil, errors.New("adopt: who adopts the run is not named")
	}
	in, err := filepath.Abs(req.Input)
	if err != nil {
		return nil, fmt.Errorf("input %s: %w", req.Input, err)
	}
	out := req.Out
	if out == "" {
		out = job.DefaultOut(in, false)
	}
	if out, err = filepath.Abs(out); err != nil {
		return nil, fmt.Errorf("results %s: %w", req.Out, err)
	}
	jp := req.Journal
	if jp == "" {
		jp = job.DefaultJournal(in, out)
	}
	fi, err := os.Stat(jp)
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w (adopt a run's existing journal: 'svbatch run' writes <input>.svbatch.db unless --journal says otherwise)", jp, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("journal %s: not a file", jp)
	}
	if jp, err = filepath.Abs(jp); err == nil {
		jp, err = filepath.EvalSymlinks(jp)
	}
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w", req.Journal, err)
	}
	ext := strings.ToLower(filepath.Ext(in))
	if !slices.Contains(inputExts, ext) {
		return nil, fmt.Errorf("input %s: want a .csv, .xlsx, .txt or .tsv file", in)
	}
	if fi, err := os.Stat(in); err != nil {
		return nil, fmt.Errorf("input %s: %w", in, err)
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("input %s: not a file", in)
	}

	// The journal stays locked from here until the job is written: a run cannot start on it
	// meanwhile, and a second adoption of it is refused.
	jn, err := journal.Open(jp)
	if err != nil {
		if errors.Is(err, journal.ErrLocked) {
			return nil, fmt.Errorf("journal %s: %w", jp, ErrJournalBusy)
		}
		return nil, fmt.Errorf("journal %s: %w", jp, err)
	}
	defer jn.Close()
	if other := st.usingJournal(jp); other != "" {
		return nil, fmt.Errorf("journal %s is already job %s's on the page: open that job", jp, other)
	}
	runs, err := jn.Runs()
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w", jp, err)
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("journal %s holds no run: nothing to adopt", jp)
	}
	// The run whose settings the page uses: the latest that read this file.
	run, sameFile := runs[len(runs)-1], false
	var inputs []string
	for _, r := range runs {
		switch a := r.Params["input_abs"]; {
		case a == in:
			run, sameFile = r, true
		case a != "" && !slices.Contains(inputs, a):
			inputs = append(inputs, a)
		}
	}
	if !sameFile && len(inputs) > 0 {
		return nil, fmt.Errorf("journal %s: its runs read %s, not %s: adopt the file they read", jp, strings.Join(inputs, ", "), in)
	}
	if reports.IsRetrySheet(run.Params["read.sheet"]) {
		return nil, fmt.Errorf("journal %s: its run %d read the Retry sheet of a results workbook: finish that round with 'svbatch run' on the command line", jp, run.ID)
	}
	ad := &Adoption{Input: in, Journal: jp, Out: out, By: req.By, At: now().UTC(), IDNamespace: run.Params["id_namespace"]}
	if u, err := osuser.Current(); err == nil {
		ad.OSUser = u.Username
	}
	j := &Job{ID: newID(), Created: now().UTC(), FileName: filepath.Base(in), Input: "input" + ext, Uploader: req.By, Versions: 1,
		Editors: []string{req.By}, Confirmed: req.By, Adopted: ad}
	if err := readingOf(run.Params, j); err != nil {
		return nil, fmt.Errorf("journal %s: run %d: %w", jp, run.ID, err)
	}
	// The job's dir has no job.json until the job is complete: a running server does not list it
	// before (store.list skips it).
	if err := os.MkdirAll(st.jobDir(j.ID), 0o700); err != nil {
		return nil, fmt.Errorf("job %s: %w", j.ID, err)
	}
	keep := false
	defer func() {
		if !keep {
			os.RemoveAll(st.jobDir(j.ID))
		}
	}()
	if j.InputSHA, err = copyFile(in, st.path(j.ID, j.Input)); err != nil {
		return nil, fmt.Errorf("input %s: %w", in, err)
	}
	if err := os.WriteFile(st.path(j.ID, mappingName), []byte(mappingText(j)), 0o600); err != nil {
		return nil, err
	}
	if len(j.Mapping) == 0 && len(j.Constants) == 0 {
		os.Remove(st.path(j.ID, mappingName))
	}
	opt := adoptedOptions(st, j)
	left, err := checkAgainstJournal(jn, st.path(j.ID, j.Input), in, opt, run, sameFile, ad)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(out); err == nil && strings.EqualFold(filepath.Ext(out), ".xlsx") {
		if _, err := copyFile(out, st.path(j.ID, resultsName)); err != nil {
			return nil, fmt.Errorf("results %s: %w", out, err)
		}
	}
	// (Counts stay for the page's own runs: the journal's status, with amounts, is on the page.)
	if counts, err := jn.Counts(); err == nil {
		for _, n := range counts {
			j.Rows += n
		}
	}
	last := runs[len(runs)-1]
	j.Started, j.Finished, j.Runner = last.StartedAt.UTC(), last.EndedAt.UTC(), "command line"
	switch {
	case last.Outcome == "":
		j.State, j.Outcome = StateUnfinished, "interrupted: the command-line run did not finish (killed?)"
	case left > 0:
		j.State, j.Outcome = StateUnfinished, fmt.Sprintf("command line: %s; %d row(s) left to send", last.Outcome, left)
	default:
		j.State, j.Outcome = StateFinished, "command line: "+last.Outcome
	}
	if err := st.save(j); err != nil {
		return nil, err
	}
	keep = true
	return j, nil
}

// readingOf sets the job's reading (unit, mapping, encoding, delimiter, sheet, header row) from a
// run's journal parameters (batch.Reading.Params).
func readingOf(p map[string]string, j *Job) error {
	j.Unit, j.Sheet = p["read.unit"], p["read.sheet"]
	if h := p["read.header_row"]; h != "" {
		n, err := strconv.Atoi(h)
		if err != nil {
			return fmt.Errorf("header row %q: %w", h, err)
		}
		j.HeaderRow = n
	}
	switch e := p["read.encoding"]; e {
	case "", "xlsx", "utf-8-bom", "utf-16le", "utf-16be": // found again from the file (a BOM decides)
	default:
		j.Adopted.Encoding = e
	}
	j.Adopted.Delimiter = p["read.delimiter"]
	m := p["read.mapping"]
	if m == "" {
		return nil
	}
	j.Mapping, j.Constants = map[string]string{}, map[string]string{}
	for _, line := range strings.Split(m, "\n") {
		if strings.HasPrefix(line, `"`) { // "header" → field
			q, err := strconv.QuotedPrefix(line)
			if err != nil {
				return fmt.Errorf("mapping line %q: %w", line, err)
			}
			h, _ := strconv.Unquote(q)
			f, ok := strings.CutPrefix(line[len(q):], " → ")
			if !ok {
				return fmt.Errorf("mapping line %q: not a column", line)
			}
			j.Mapping[h] = f
			continue
		}
		f, v, ok := strings.Cut(line, " = ") // field = "value"
		if !ok {
			return fmt.Errorf("mapping line %q: not a constant", line)
		}
		val, err := strconv.Unquote(v)
		if err != nil {
			return fmt.Errorf("mapping line %q: %w", line, err)
		}
		j.Constants[f] = val
	}
	return nil
}

// adoptedOptions are the batch options of an adopted job's copy of the input.
func adoptedOptions(st *store, j *Job) batch.Options {
	o := batch.Options{Table: table.Options{Sheet: j.Sheet, HeaderRow: j.HeaderRow}, AmountUnit: j.Unit}
	if len(j.Mapping) > 0 || len(j.Constants) > 0 {
		o.MappingFile = st.path(j.ID, mappingName)
	}
	if a := j.Adopted; a != nil {
		o.IDNamespace, o.Table.Encoding = a.IDNamespace, a.Encoding
		if d := []rune(a.Delimiter); len(d) == 1 {
			o.Table.Delimiter = d[0]
		}
	}
	return o
}

// checkAgainstJournal reads the copy of the input as the journal's run did and refuses it if it is
// not the file the journal's runs sent: a reading that differs, a row whose payload differs from
// what was sent for it, or (when every run read this file) a sent row the file no longer holds.
// The journal keeps no checksum of its input, so what it sent is the evidence. It returns the
// rows a resume would send.
func checkAgainstJournal(jn *journal.Journal, copyPath, orig string, opt batch.Options, run journal.Run, sameFile bool, ad *Adoption) (int, error) {
	rep, err := batch.Validate(copyPath, opt)
	if err != nil {
		return 0, fmt.Errorf("input %s: %w", orig, err)
	}
	if !rep.OK() {
		return 0, fmt.Errorf("input %s: %d problem(s) read with the journal's settings: the file changed since the run ('svbatch validate' lists them)", orig, max(rep.ErrorsTotal, len(rep.Errors)))
	}
	r, err := batch.Open(copyPath, opt)
	if err != nil {
		return 0, fmt.Errorf("input %s: %w", orig, err)
	}
	defer r.Close()
	if diffs := batch.ReadingDiff(run.Params, r.Reading(), true); len(diffs) > 0 {
		return 0, fmt.Errorf("input %s is read differently from run %d of the journal: %s", orig, run.ID, strings.Join(diffs, "; "))
	}
	byLine := jn.Lookup()
	left, matched := 0, 0
	var changed []string
	for {
		row, _, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("input %s: %w", orig, err)
		}
		e, ok, err := byLine.Get(row.Line, row.Req.RequestID)
		if err != nil {
			return 0, fmt.Errorf("journal: %w", err)
		}
		if ok && e.PayloadHash != "" {
			if !dispatch.SamePayload(e.PayloadHash, row.Req) {
				if len(changed) < 5 {
					changed = append(changed, fmt.Sprintf("row %d", row.Line))
				}
				continue
			}
			matched++
		}
		if dispatch.Decide(dispatch.PriorOf(e, ok, row.Req, "", false)).Send {
			left++
		}
	}
	if len(changed) > 0 {
		return 0, fmt.Errorf("input %s changed since the journal's runs sent it (%s: other values than were sent): adopt the file as it was run", orig, strings.Join(changed, ", "))
	}
	if sameFile {
		sent := 0
		if err := jn.Each(func(e journal.Entry) error {
			if e.PayloadHash != "" {
				sent++
			}
			return nil
		}); err != nil {
			return 0, fmt.Errorf("journal: %w", err)
		}
		if sent > matched {
			return 0, fmt.Errorf("input %s changed since the journal's runs sent it: %d sent row(s) are not in it any more", orig, sent-matched)
		}
	}
	ad.Checked = matched
	return left, nil
}

// copyFile copies src to dst (0600, written whole then renamed) and returns its SHA-256.
func copyFile(src, dst string) (string, error) {
	f, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer f.Close()
	tmp := dst + ".part"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return "", err
	}
	if _, err = io.Copy(out, f); err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return table.FileSHA256(dst)
}

// usingJournal is the job whose journal is path (symlinks resolved), "" none.
func (s *store) usingJournal(path string) string {
	jobs, _ := s.list()
	for _, j := range jobs {
		p := s.path(j.ID, journalName)
		if j.Adopted != nil {
			p = j.Adopted.Journal
		}
		if rp, err := filepath.EvalSymlinks(p); err == nil {
			p = rp
		}
		if p == path {
			return j.ID
		}
	}
	return ""
}

// journalOf is the job's journal: the command line's for an adopted job, else its own.
func (s *Server) journalOf(j *Job) string {
	if j.Adopted != nil {
		return j.Adopted.Journal
	}
	return s.store.path(j.ID, journalName)
}

// underDir resolves path (symlinks included) and accepts it only inside dir (also resolved).
func underDir(dir, path string) (string, error) {
	if dir == "" {
		return "", errors.New("adopting from the page is off: an operator adopts with 'svbatch serve adopt', or starts the server with --adopt-dir")
	}
	root, err := filepath.EvalSymlinks(dir)
	if err == nil {
		root, err = filepath.Abs(root)
	}
	if err != nil {
		return "", fmt.Errorf("adopt dir: %w", err)
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(root, path)
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	rel, err := filepath.Rel(root, real)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", fmt.Errorf("%s is outside the adopt dir %s: refused", path, root)
	}
	return real, nil
}

// adoptForm adopts a command-line run from the page: the paths must be inside --adopt-dir.
func (s *Server) adoptForm(w http.ResponseWriter, r *http.Request, se *session) {
	lang := langOf(r)
	if !canUpload(se) {
		s.fail(w, r, se, http.StatusForbidden, "forbidden", msg(lang, "viewer_cannot"))
		return
	}
	req := AdoptRequest{By: se.User, Remote: remote(r)}
	var err error
	if req.Input, err = underDir(s.cfg.AdoptDir, strings.TrimSpace(r.FormValue("input"))); err == nil {
		if p := strings.TrimSpace(r.FormValue("journal")); p != "" {
			req.Journal, err = underDir(s.cfg.AdoptDir, p)
		}
	}
	if err == nil {
		if p := strings.TrimSpace(r.FormValue("out")); p != "" {
			if req.Out, err = underDir(s.cfg.AdoptDir, p); err != nil && errors.Is(err, os.ErrNotExist) {
				// no results (yet): only its name is used, to find the default journal beside it
				var d string
				if d, err = underDir(s.cfg.AdoptDir, filepath.Dir(p)); err == nil {
					req.Out = filepath.Join(d, filepath.Base(p))
				}
			}
		}
	}
	if err == nil && req.Journal == "" {
		// the default journal must be inside the dir too
		if _, err = underDir(s.cfg.AdoptDir, job.DefaultJournal(req.Input, cmpOr(req.Out, job.DefaultOut(req.Input, false)))); err != nil {
			err = fmt.Errorf("journal: %w", err)
		}
	}
	if err != nil {
		s.audit.log(AuditEntry{User: se.User, Action: "adopt", Remote: remote(r), OK: false, Detail: "refused: " + err.Error()})
		s.fail(w, r, se, http.StatusBadRequest, "adopt_refused", err.Error())
		return
	}
	j, err := adopt(s.store, s.audit, req, s.cfg.Now)
	if err != nil {
		s.fail(w, r, se, http.StatusConflict, "adopt_refused", err.Error())
		return
	}
	http.Redirect(w, r, "/jobs/"+j.ID, http.StatusSeeOther)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// journalView is what `svbatch status` shows of a job's journal, for its page.
type journalView struct {
	Path      string
	Busy      bool   // a run (the command line's?) holds the journal now
	Error     string // it cannot be read
	Status    *job.JournalStatus
	Attention []journal.Entry // the first attentionOnPage of Status.Attention
	More      int
	Command   string // how to go on from the command line
}

const attentionOnPage = 50

// journalStatus reads the job's journal as `svbatch status` does. The caller holds the job's lock.
func (s *Server) journalStatus(j *Job) *journalView {
	v := &journalView{Path: s.journalOf(j)}
	if a := j.Adopted; a != nil {
		v.Command = fmt.Sprintf("svbatch run %s --journal %s --out %s", shellQuote(a.Input), shellQuote(a.Journal), shellQuote(a.Out))
	}
	st, err := job.Status(v.Path)
	switch {
	case err != nil && errors.Is(err, journal.ErrLocked):
		v.Busy = true
	case err != nil:
		v.Error = err.Error()
	default:
		v.Status = st
		v.Attention = st.Attention[:min(len(st.Attention), attentionOnPage)]
		v.More = st.NeedsAttention() - len(v.Attention)
	}
	return v
}

// shellQuote quotes a path for a shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+=:,@", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// busyJournal says whether err is a journal another process holds.
func busyJournal(err error) bool {
	return err != nil && (errors.Is(err, journal.ErrLocked) || strings.Contains(err.Error(), journal.ErrLocked.Error()))
}
