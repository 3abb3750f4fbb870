package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"svbatch"
	"svbatch/batch"
	"svbatch/job"
	"svbatch/reports"
	"svbatch/table"
)

// canUpload: uploaders and approvers prepare files; viewers only read.
func canUpload(se *session) bool { return se.Role == RoleUploader || se.Role == RoleApprover }

// canApprove: an approver who did not upload, change or confirm the job (maker-checker).
func canApprove(se *session, j *Job) bool {
	return se.Role == RoleApprover && se.User != j.Uploader && se.User != j.Confirmed && !slices.Contains(j.Editors, se.User)
}

// editJob is jobOf for a change of the job: the job is locked (lockJob) and read under the lock;
// the caller must call unlock.
func (s *Server) editJob(w http.ResponseWriter, r *http.Request, se *session) (j *Job, unlock func(), ok bool) {
	id := r.PathValue("id")
	if !validID(id) {
		s.fail(w, r, se, http.StatusNotFound, "not_found", "")
		return nil, nil, false
	}
	unlock = s.lockJob(id)
	j, ok = s.jobOf(w, r, se)
	if !ok {
		unlock()
		return nil, nil, false
	}
	return j, unlock, true
}

// jobOf reads the job named in the URL, answering 404 itself when there is none.
func (s *Server) jobOf(w http.ResponseWriter, r *http.Request, se *session) (*Job, bool) {
	j, err := s.store.get(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, se, http.StatusNotFound, "not_found", "")
		return nil, false
	}
	return j, true
}

var inputExts = []string{".csv", ".xlsx", ".txt", ".tsv"}

// saveUpload stores the form's file as name in the job's dir, 0600, and returns its checksum.
func (s *Server) saveUpload(id, name string, f multipart.File) (string, error) {
	path := s.store.path(id, name)
	tmp := path + ".part"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), io.LimitReader(f, s.cfg.MaxUpload+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > s.cfg.MaxUpload {
		err = fmt.Errorf("the file is larger than %d MiB", s.cfg.MaxUpload>>20)
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// formFile is the upload field "file", with its extension checked.
func formFile(r *http.Request, allowed []string) (multipart.File, string, string, error) {
	f, fh, err := r.FormFile("file")
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, "", "", errors.New("too_large")
		}
		return nil, "", "", errors.New("no_file")
	}
	ext := strings.ToLower(filepath.Ext(fh.Filename))
	if !slices.Contains(allowed, ext) {
		f.Close()
		return nil, "", "", errors.New("bad_type")
	}
	return f, filepath.Base(fh.Filename), ext, nil
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request, se *session) {
	if !canUpload(se) {
		s.fail(w, r, se, http.StatusForbidden, "forbidden", msg(langOf(r), "viewer_cannot"))
		return
	}
	f, name, ext, err := formFile(r, inputExts)
	if err != nil {
		s.fail(w, r, se, http.StatusBadRequest, err.Error(), "")
		return
	}
	defer f.Close()
	j := &Job{ID: newID(), Created: s.cfg.Now().UTC(), State: StateUploaded, FileName: name, Input: "input" + ext, Uploader: se.User, Versions: 1, Editors: []string{se.User}}
	if err := s.store.create(j); err != nil {
		s.fail(w, r, se, http.StatusInternalServerError, "internal", err.Error())
		return
	}
	if j.InputSHA, err = s.saveUpload(j.ID, j.Input, f); err != nil {
		s.fail(w, r, se, http.StatusBadRequest, "upload_failed", err.Error())
		return
	}
	s.audit.log(AuditEntry{User: se.User, Action: "upload", Job: j.ID, Remote: remote(r), OK: true, Detail: name + " sha256 " + j.InputSHA})
	s.rememberedMapping(j)
	s.check(j)
	http.Redirect(w, r, "/jobs/"+j.ID, http.StatusSeeOther)
}

// reupload replaces the job's file with a corrected one (before it is sent) and checks it again.
func (s *Server) reupload(w http.ResponseWriter, r *http.Request, se *session) {
	j, unlock, ok := s.editJob(w, r, se)
	if !ok {
		return
	}
	defer unlock()
	if !canUpload(se) || !editable(j) {
		s.fail(w, r, se, http.StatusForbidden, "forbidden", msg(langOf(r), "locked"))
		return
	}
	f, name, ext, err := formFile(r, inputExts)
	if err != nil {
		s.fail(w, r, se, http.StatusBadRequest, err.Error(), "")
		return
	}
	defer f.Close()
	old := j.Input
	j.Input = "input" + ext
	if j.InputSHA, err = s.saveUpload(j.ID, j.Input, f); err != nil {
		s.fail(w, r, se, http.StatusBadRequest, "upload_failed", err.Error())
		return
	}
	if old != j.Input {
		os.Remove(s.store.path(j.ID, old))
	}
	j.FileName, j.Versions = name, j.Versions+1
	j.edited(se.User)
	s.audit.log(AuditEntry{User: se.User, Action: "upload", Job: j.ID, Remote: remote(r), OK: true, Detail: fmt.Sprintf("corrected file (version %d) %s sha256 %s", j.Versions, name, j.InputSHA)})
	s.check(j)
	http.Redirect(w, r, "/jobs/"+j.ID, http.StatusSeeOther)
}

// editable: the file and its mapping may change until the job is confirmed.
func editable(j *Job) bool {
	return j.State == StateUploaded || j.State == StateInvalid || j.State == StateValid
}

// readOptions is how the job's file is read, as `svbatch run` flags would say it.
func (s *Server) readOptions(j *Job) batch.Options {
	if j.Adopted != nil {
		return adoptedOptions(s.store, j) // as the journal's runs read it
	}
	o := batch.Options{Table: table.Options{Sheet: j.Sheet, HeaderRow: j.HeaderRow}, AmountUnit: j.Unit, IDNamespace: s.cfg.IDNamespace}
	if len(j.Mapping) > 0 || len(j.Constants) > 0 {
		o.MappingFile = s.store.path(j.ID, mappingName)
	}
	return o
}

// stored is what check found, kept beside the job: the problems, or the plan.
type stored struct {
	Error    string          `json:"error,omitempty"` // the file cannot be read at all
	Report   *batch.Report   `json:"report,omitempty"`
	Cols     []int           `json:"cols,omitempty"` // Report.Errors[i].Col (not in its JSON)
	Plan     *planView       `json:"plan,omitempty"`
	Header   []string        `json:"header"`
	Sheets   []string        `json:"sheets,omitempty"`
	HeadLine int             `json:"header_line"`
	Warnings []batch.Warning `json:"warnings,omitempty"`
}

// planView is job.Plan as the confirmation page shows it (fen, checked sums from job).
type planView struct {
	Rows     int           `json:"rows"`
	Encoding string        `json:"encoding"`
	Ops      []opTotal     `json:"ops"`
	Journal  *job.Holdings `json:"journal,omitempty"`
	Left     []opTotal     `json:"left,omitempty"`
}

type opTotal struct {
	Op     string `json:"op"`
	Rows   int    `json:"rows"`
	Amount int64  `json:"fen"`
}

var ops = []svbatch.OperateType{svbatch.Charge, svbatch.Freeze, svbatch.Verify, svbatch.Refund}

func viewOf(p *job.Plan) *planView {
	v := &planView{Rows: p.Rows, Encoding: p.Encoding, Journal: p.Journal}
	for _, op := range ops {
		if p.Count[op] > 0 {
			v.Ops = append(v.Ops, opTotal{Op: op.String(), Rows: p.Count[op], Amount: p.Amount[op]})
		}
		if h := p.Journal; h != nil && h.LeftCount[op] > 0 {
			v.Left = append(v.Left, opTotal{Op: op.String(), Rows: h.LeftCount[op], Amount: h.LeftAmount[op]})
		}
	}
	return v
}

// check writes the mapping file, validates and plans the job (job.Prepare: nothing is sent) and
// stores what it found; the job becomes valid or invalid.
func (s *Server) check(j *Job) {
	st := &stored{}
	if err := s.writeMapping(j); err != nil {
		st.Error = err.Error()
	}
	path := s.store.path(j.ID, j.Input)
	if strings.EqualFold(filepath.Ext(path), ".xlsx") {
		st.Sheets, _ = table.SheetNames(path)
	}
	if st.Error == "" {
		opt := s.readOptions(j)
		if topt, err := batch.TableOptions(opt); err == nil {
			if t, err := table.Open(path, topt); err == nil {
				st.Header, st.HeadLine = t.Header(), table.HeaderLine(t)
				t.Close()
			}
		}
		prep, err := job.Prepare(s.jobConfig(j))
		var inv *job.InvalidError
		switch {
		case errors.As(err, &inv):
			st.Report = inv.Report
			for _, p := range inv.Report.Errors {
				st.Cols = append(st.Cols, p.Col)
			}
			st.Warnings = inv.Report.Warnings
		case err != nil:
			st.Error = err.Error()
		default:
			st.Plan = viewOf(prep.Plan)
			st.Warnings = prep.Plan.Warnings
		}
	}
	j.State, j.Problems, j.Rows = StateInvalid, 0, 0
	if st.Report != nil {
		j.Problems, j.Rows = max(st.Report.ErrorsTotal, len(st.Report.Errors)), st.Report.Rows
	}
	if st.Plan != nil {
		j.State, j.Rows = StateValid, st.Plan.Rows
	}
	if st.Error != "" {
		j.Problems = 1
	}
	b, _ := json.Marshal(st)
	if err := os.WriteFile(s.store.path(j.ID, "check.json"), b, 0o600); err != nil {
		s.cfg.Log.Error("saving check", "job", j.ID, "error", err)
	}
	if err := s.store.save(j); err != nil {
		s.cfg.Log.Error("saving job", "job", j.ID, "error", err)
	}
}

func (s *Server) loadCheck(j *Job) *stored {
	st := &stored{}
	b, err := os.ReadFile(s.store.path(j.ID, "check.json"))
	if err == nil {
		_ = json.Unmarshal(b, st)
	}
	if st.Report != nil {
		for i := range st.Report.Errors {
			if i < len(st.Cols) {
				st.Report.Errors[i].Col = st.Cols[i]
			}
		}
	}
	return st
}

// mapColumns saves the sheet, header row, unit, column mapping and constants from the form,
// remembers them for files with the same headers, and checks the file again.
func (s *Server) mapColumns(w http.ResponseWriter, r *http.Request, se *session) {
	j, unlock, ok := s.editJob(w, r, se)
	if !ok {
		return
	}
	defer unlock()
	if !canUpload(se) || !editable(j) {
		s.fail(w, r, se, http.StatusForbidden, "forbidden", msg(langOf(r), "locked"))
		return
	}
	st := s.loadCheck(j)
	if name := r.FormValue("apply"); name != "" {
		m, err := s.namedMapping(name)
		if err != nil {
			s.fail(w, r, se, http.StatusBadRequest, "not_found", err.Error())
			return
		}
		j.Mapping, j.Constants = m.Columns, m.Constants
		j.edited(se.User)
		s.check(j)
		s.audit.log(AuditEntry{User: se.User, Action: "map", Job: j.ID, Remote: remote(r), OK: true, Detail: "saved mapping " + name})
		http.Redirect(w, r, "/jobs/"+j.ID, http.StatusSeeOther)
		return
	}
	j.Sheet = r.FormValue("sheet")
	if j.Sheet != "" && !slices.Contains(st.Sheets, j.Sheet) {
		j.Sheet = ""
	}
	// The header row: 0 (or the row svbatch found, unchanged) keeps finding it; another row is
	// chosen. The column selects belong to the header the form showed: ignored when it changes.
	headerRow, _ := strconv.Atoi(r.FormValue("header_row"))
	changedHeader := headerRow > 0 && headerRow != st.HeadLine
	switch {
	case headerRow <= 0:
		j.HeaderRow = 0
	case j.HeaderRow == 0 && headerRow == st.HeadLine:
	default:
		j.HeaderRow = headerRow
	}
	switch u := r.FormValue("unit"); u {
	case "fen", "yuan":
		j.Unit = u
	default:
		j.Unit = ""
	}
	if !changedHeader {
		j.Mapping = map[string]string{}
		for i, h := range st.Header {
			c := r.FormValue("col" + strconv.Itoa(i))
			auto, _ := batch.CanonicalHeader(h, nil)
			if c != "" && c != auto && slices.Contains(inputColumns(), c) && h != "" {
				j.Mapping[h] = c
			}
		}
	}
	j.edited(se.User)
	j.Constants = map[string]string{}
	for _, c := range constantColumns {
		if v := strings.TrimSpace(r.FormValue("const_" + c)); v != "" {
			j.Constants[c] = v
		}
	}
	s.check(j)
	if cur := s.loadCheck(j); len(cur.Header) > 0 {
		s.remember(cur.Header, j)
	}
	if name := strings.TrimSpace(r.FormValue("save_name")); name != "" {
		if !validName(name) {
			s.fail(w, r, se, http.StatusBadRequest, "bad_name", name)
			return
		}
		if err := os.WriteFile(filepath.Join(s.cfg.DataDir, "mappings", "named", name+".yaml"), []byte(mappingText(j)), 0o600); err != nil {
			s.fail(w, r, se, http.StatusInternalServerError, "internal", err.Error())
			return
		}
	}
	s.audit.log(AuditEntry{User: se.User, Action: "map", Job: j.ID, Remote: remote(r), OK: true, Detail: mappingText(j)})
	http.Redirect(w, r, "/jobs/"+j.ID, http.StatusSeeOther)
}

// constantColumns are the columns the mapping form offers a constant for.
var constantColumns = []string{svbatch.ColBrandID, svbatch.ColShopID, svbatch.ColOperatorID}

// writeMapping writes mapping.yaml (the --mapping format), or removes it when there is nothing to map.
func (s *Server) writeMapping(j *Job) error {
	path := s.store.path(j.ID, mappingName)
	if len(j.Mapping) == 0 && len(j.Constants) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	return os.WriteFile(path, []byte(mappingText(j)), 0o600)
}

// mappingText is the job's mapping as a --mapping YAML file.
func mappingText(j *Job) string {
	var b strings.Builder
	b.WriteString("# svbatch column mapping (svbatch run --mapping FILE)\n")
	keys := make([]string, 0, len(j.Mapping))
	for k := range j.Mapping {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", yamlQuote(k), yamlQuote(j.Mapping[k]))
	}
	if len(j.Constants) > 0 {
		b.WriteString("constants:\n")
		keys = keys[:0]
		for k := range j.Constants {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "  %s: %s\n", k, yamlQuote(j.Constants[k]))
		}
	}
	return b.String()
}

// yamlQuote is s as a YAML double-quoted scalar (Go's escapes are YAML's for valid UTF-8).
func yamlQuote(s string) string { return strconv.Quote(s) }

// remembered is a mapping kept for a set of headers: the next file with the same headers gets it.
type remembered struct {
	Mapping   map[string]string `json:"mapping"`
	Constants map[string]string `json:"constants"`
	Unit      string            `json:"unit"`
	Sheet     string            `json:"sheet"`
	HeaderRow int               `json:"header_row"`
}

// headerKey names a set of headers whatever their order, case and surrounding space.
func headerKey(header []string) string {
	hs := make([]string, 0, len(header))
	for _, h := range header {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			hs = append(hs, h)
		}
	}
	sort.Strings(hs)
	sum := sha256.Sum256([]byte(strings.Join(hs, "\x00")))
	return hex.EncodeToString(sum[:12])
}

func (s *Server) remember(header []string, j *Job) {
	b, _ := json.Marshal(remembered{Mapping: j.Mapping, Constants: j.Constants, Unit: j.Unit, Sheet: j.Sheet, HeaderRow: j.HeaderRow})
	_ = os.WriteFile(filepath.Join(s.cfg.DataDir, "mappings", headerKey(header)+".json"), b, 0o600)
}

// rememberedMapping applies the mapping remembered for the file's headers, if any.
func (s *Server) rememberedMapping(j *Job) bool {
	topt, err := batch.TableOptions(s.readOptions(j))
	if err != nil {
		return false
	}
	t, err := table.Open(s.store.path(j.ID, j.Input), topt)
	if err != nil {
		return false
	}
	header := t.Header()
	t.Close()
	b, err := os.ReadFile(filepath.Join(s.cfg.DataDir, "mappings", headerKey(header)+".json"))
	if err != nil {
		return false
	}
	var m remembered
	if json.Unmarshal(b, &m) != nil {
		return false
	}
	j.Mapping, j.Constants, j.Unit, j.Sheet, j.HeaderRow = m.Mapping, m.Constants, m.Unit, m.Sheet, m.HeaderRow
	return true
}

// namedMappings lists the mappings saved by name (DATA/mappings/named/NAME.yaml, --mapping files).
func (s *Server) namedMappings() []string {
	ents, _ := os.ReadDir(filepath.Join(s.cfg.DataDir, "mappings", "named"))
	var out []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok && validName(n) {
			out = append(out, n)
		}
	}
	return out
}

// namedMapping reads a mapping saved by name.
func (s *Server) namedMapping(name string) (*batch.Mapping, error) {
	if !validName(name) {
		return nil, fmt.Errorf("no saved mapping %q", name)
	}
	return batch.LoadMapping(filepath.Join(s.cfg.DataDir, "mappings", "named", name+".yaml"))
}

// attachment sends a stored file as a download: never rendered by the browser.
func (s *Server) attachment(w http.ResponseWriter, r *http.Request, se *session, j *Job, file, name, ctype string) {
	f, err := os.Open(s.store.path(j.ID, file))
	if err != nil {
		s.fail(w, r, se, http.StatusNotFound, "not_found", "")
		return
	}
	defer f.Close()
	s.audit.log(AuditEntry{User: se.User, Action: "download", Job: j.ID, Remote: remote(r), OK: true, Detail: file})
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", "attachment; filename=\""+asciiName(name)+"\"; filename*=UTF-8''"+rfc5987(name))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", j.Created, f)
}

// asciiName is name with anything but safe ASCII replaced, for the plain filename parameter.
func asciiName(name string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '/' {
			return '_'
		}
		return r
	}, name)
}

// rfc5987 percent-encodes everything but RFC 5987's attr-chars that need no thought.
func rfc5987(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(".-_~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func stem(name string) string { return strings.TrimSuffix(name, filepath.Ext(name)) }

// errorsWorkbook writes and sends the input back with the bad cells highlighted (validate --out).
func (s *Server) errorsWorkbook(w http.ResponseWriter, r *http.Request, se *session) {
	j, ok := s.jobOf(w, r, se)
	if !ok {
		return
	}
	st := s.loadCheck(j)
	if st.Report == nil {
		s.fail(w, r, se, http.StatusNotFound, "not_found", "")
		return
	}
	opt := s.readOptions(j)
	topt, err := batch.TableOptions(opt)
	if err == nil {
		var t table.Table
		if t, err = table.Open(s.store.path(j.ID, j.Input), topt); err == nil {
			errs := make([]reports.CellError, len(st.Report.Errors))
			for i, p := range st.Report.Errors {
				errs[i] = reports.CellError{Row: p.Row, Col: p.Col, Column: p.Column, Value: p.Value, Message: p.Message}
			}
			lang := svbatch.LangEN
			if langOf(r) == "zh" {
				lang = svbatch.LangZH
			}
			in := reports.ValidationInput{Source: j.FileName, Header: t.Header(), Next: t.Next, Errors: errs, ErrorsTotal: st.Report.ErrorsTotal, Lang: lang}
			err = reports.WriteValidation(s.store.path(j.ID, errorsName), in)
			if errors.Is(err, io.EOF) {
				err = nil
			}
			if err == nil {
				err = os.Chmod(s.store.path(j.ID, errorsName), 0o600)
			}
			t.Close()
		}
	}
	if err != nil {
		s.fail(w, r, se, http.StatusInternalServerError, "internal", err.Error())
		return
	}
	s.attachment(w, r, se, j, errorsName, stem(j.FileName)+".errors.xlsx", xlsxType)
}

func (s *Server) mappingFile(w http.ResponseWriter, r *http.Request, se *session) {
	j, ok := s.jobOf(w, r, se)
	if !ok {
		return
	}
	if _, err := os.Stat(s.store.path(j.ID, mappingName)); err != nil {
		_ = os.WriteFile(s.store.path(j.ID, mappingName), []byte(mappingText(j)), 0o600)
	}
	s.attachment(w, r, se, j, mappingName, stem(j.FileName)+".mapping.yaml", "application/yaml")
}

func (s *Server) confirm(w http.ResponseWriter, r *http.Request, se *session) {
	j, unlock, ok := s.editJob(w, r, se)
	if !ok {
		return
	}
	defer unlock()
	if !canUpload(se) {
		s.fail(w, r, se, http.StatusForbidden, "forbidden", msg(langOf(r), "viewer_cannot"))
		return
	}
	if j.State != StateValid {
		s.fail(w, r, se, http.StatusConflict, "not_valid", "")
		return
	}
	if r.FormValue("sha") != j.InputSHA {
		s.fail(w, r, se, http.StatusConflict, "changed", "")
		return
	}
	j.Confirmed = se.User
	if s.cfg.Approval {
		j.State = StateAwaiting
		if err := s.store.save(j); err != nil {
			s.fail(w, r, se, http.StatusInternalServerError, "internal", err.Error())
			return
		}
		s.audit.log(AuditEntry{User: se.User, Action: "confirm", Job: j.ID, Remote: remote(r), OK: true, Detail: "awaiting approval"})
		http.Redirect(w, r, "/jobs/"+j.ID, http.StatusSeeOther)
		return
	}
	s.audit.log(AuditEntry{User: se.User, Action: "confirm", Job: j.ID, Remote: remote(r), OK: true})
	if err := s.startRun(j, se.User, "run"); err != nil {
		s.fail(w, r, se, http.StatusConflict, "not_started", err.Error())
		return
	}
	http.Redirect(w, r, "/jobs/"+j.ID, http.StatusSeeOther)
}

func (s *Server) approve(w http.ResponseWriter, r *http.Request, se *session) {
	j, unlock, ok := s.editJob(w, r, se)
	if !ok {
		return
	}
	defer unlock()
	if !canApprove(se, j) {
		s.audit.log(AuditEntry{User: se.User, Action: "approve", Job: j.ID, Remote: remote(r), OK: false, Detail: "refused: role " + se.Role + ", uploaded by " + j.Uploader})
		s.fail(w, r, se, http.StatusForbidden, "forbidden", msg(langOf(r), "cannot_approve"))
		return
	}
	if j.State != StateAwaiting {
		s.fail(w, r, se, http.StatusConflict, "not_awaiting", "")
		return
	}
	if r.FormValue("sha") != j.InputSHA {
		s.fail(w, r, se, http.StatusConflict, "changed", "")
		return
	}
	j.Approver, j.ApprovedAt = se.User, s.cfg.Now().UTC()
	if err := s.store.save(j); err != nil {
		s.fail(w, r, se, http.StatusInternalServerError, "internal", err.Error())
		return
	}
	s.audit.log(AuditEntry{User: se.User, Action: "approve", Job: j.ID, Remote: remote(r), OK: true})
	if err := s.startRun(j, se.User, "run"); err != nil {
		s.fail(w, r, se, http.StatusConflict, "not_started", err.Error())
		return
	}
	http.Redirect(w, r, "/jobs/"+j.ID, http.StatusSeeOther)
}

// resume runs an unfinished job again: the journal sends only what it has not settled.
func (s *Server) resume(w http.ResponseWriter, r *http.Request, se *session) {
	j, unlock, ok := s.editJob(w, r, se)
	if !ok {
		return
	}
	defer unlock()
	if !canUpload(se) {
		s.fail(w, r, se, http.StatusForbidden, "forbidden", msg(langOf(r), "viewer_cannot"))
		return
	}
	if j.State != StateUnfinished && j.State != StateStoppedHard {
		s.fail(w, r, se, http.StatusConflict, "not_resumable", "")
		return
	}
	if s.cfg.Approval && j.Approver == "" {
		// An adopted run was never approved on the page: an approver other than the one who
		// adopted it approves it by resuming it (maker-checker).
		if j.Adopted == nil || !canApprove(se, j) {
			s.fail(w, r, se, http.StatusForbidden, "forbidden", msg(langOf(r), "cannot_approve"))
			return
		}
		j.Approver, j.ApprovedAt = se.User, s.cfg.Now().UTC()
		s.audit.log(AuditEntry{User: se.User, Action: "approve", Job: j.ID, Remote: remote(r), OK: true, Detail: "adopted run, approved by resuming it"})
	}
	if err := s.startRun(j, se.User, "resume"); err != nil {
		if busyJournal(err) {
			s.fail(w, r, se, http.StatusConflict, "journal_busy_title", err.Error())
			return
		}
		s.fail(w, r, se, http.StatusConflict, "not_started", err.Error())
		return
	}
	http.Redirect(w, r, "/jobs/"+j.ID, http.StatusSeeOther)
}

func (s *Server) resultsWorkbook(w http.ResponseWriter, r *http.Request, se *session) {
	j, ok := s.jobOf(w, r, se)
	if !ok {
		return
	}
	if s.active(j.ID) != nil {
		s.fail(w, r, se, http.StatusConflict, "running_now", "")
		return
	}
	s.attachment(w, r, se, j, resultsName, stem(j.FileName)+".results.xlsx", xlsxType)
}

func (s *Server) reconciliationWorkbook(w http.ResponseWriter, r *http.Request, se *session) {
	j, ok := s.jobOf(w, r, se)
	if !ok {
		return
	}
	s.attachment(w, r, se, j, reconciliationName, stem(j.FileName)+".reconciliation.xlsx", xlsxType)
}
