package web

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// Job states, in the order a job goes through them.
const (
	StateUploaded    = "uploaded"   // a file is there; mapping and validation follow
	StateInvalid     = "invalid"    // validated with problems: upload a corrected file
	StateValid       = "valid"      // every row valid: confirm next
	StateAwaiting    = "awaiting"   // confirmed by the uploader, waiting for an approver (--approval)
	StateRunning     = "running"    // sending now
	StateUnfinished  = "unfinished" // interrupted (stop, a long ban, the server stopped): resumable
	StateFinished    = "finished"   // the run ended: results to download
	StateStoppedHard = "stopped"    // the run stopped on an error every row would hit: fix, then resume
)

// Job is one upload and everything done with it. It is stored as job.json in its own directory
// under the data dir, beside the uploaded file, the journal and the outputs.
type Job struct {
	ID        string    `json:"id"`
	Created   time.Time `json:"created"`
	State     string    `json:"state"`
	FileName  string    `json:"file_name"` // as the browser named it (display and download names only)
	Input     string    `json:"input"`     // stored file name inside the job dir
	InputSHA  string    `json:"input_sha256"`
	Versions  int       `json:"versions"` // uploads of this job (corrected files)
	Sheet     string    `json:"sheet,omitempty"`
	HeaderRow int       `json:"header_row,omitempty"`
	Unit      string    `json:"amount_unit,omitempty"`
	// Mapping is the column mapping (file header → canonical) and Constants the values every
	// row shares: written as mapping.yaml, the same YAML as --mapping.
	Mapping   map[string]string `json:"mapping,omitempty"`
	Constants map[string]string `json:"constants,omitempty"`

	Uploader string `json:"uploader"`
	// Editors are everyone who uploaded a version of the file or changed how it is read: none of
	// them may approve it.
	Editors    []string         `json:"editors,omitempty"`
	Confirmed  string           `json:"confirmed_by,omitempty"`
	Approver   string           `json:"approved_by,omitempty"`
	ApprovedAt time.Time        `json:"approved_at,omitzero"`
	Runner     string           `json:"run_by,omitempty"`
	Started    time.Time        `json:"started,omitzero"`
	Finished   time.Time        `json:"finished,omitzero"`
	Outcome    string           `json:"outcome,omitempty"`
	Counts     map[string]int   `json:"counts,omitempty"`
	Amounts    map[string]int64 `json:"amounts_fen,omitempty"`
	Rows       int              `json:"rows,omitempty"`
	Problems   int              `json:"problems,omitempty"`

	// Adopted is set for a run started on the command line and brought onto the page (Adopt):
	// its journal is the command line's, in place.
	Adopted *Adoption `json:"adopted,omitempty"`

	Expected string `json:"expected,omitempty"` // stored expected ledger name
	Verdict  string `json:"verdict,omitempty"`  // "matched" | "breaks"
}

// store keeps the jobs under dir/jobs: one directory each. Safe for concurrent use.
type store struct {
	dir string
	mu  sync.Mutex
}

func newStore(dir string) (*store, error) {
	if err := os.MkdirAll(filepath.Join(dir, "jobs"), 0o700); err != nil {
		return nil, fmt.Errorf("data dir %s: %w", dir, err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "mappings", "named"), 0o700); err != nil {
		return nil, fmt.Errorf("data dir %s: %w", dir, err)
	}
	return &store{dir: dir}, nil
}

func newID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return time.Now().UTC().Format("20060102-150405-") + hex.EncodeToString(b[:4])
}

// validID keeps a path segment from the URL to the ids newID makes.
func validID(id string) bool {
	if len(id) < 10 || len(id) > 40 {
		return false
	}
	for _, r := range id {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r == '-') {
			return false
		}
	}
	return true
}

func (s *store) jobDir(id string) string { return filepath.Join(s.dir, "jobs", id) }

// path is a file of job id.
func (s *store) path(id, name string) string { return filepath.Join(s.jobDir(id), name) }

func (s *store) create(j *Job) error {
	if err := os.MkdirAll(s.jobDir(j.ID), 0o700); err != nil {
		return fmt.Errorf("job %s: %w", j.ID, err)
	}
	return s.save(j)
}

// save writes job.json atomically (a temporary file renamed over it).
func (s *store) save(j *Job) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	tmp := s.path(j.ID, "job.json.tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("job %s: %w", j.ID, err)
	}
	if err := os.Rename(tmp, s.path(j.ID, "job.json")); err != nil {
		return fmt.Errorf("job %s: %w", j.ID, err)
	}
	return nil
}

var errNoJob = errors.New("no such job")

func (s *store) get(id string) (*Job, error) {
	if !validID(id) {
		return nil, errNoJob
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := os.ReadFile(s.path(id, "job.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, errNoJob
	}
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", id, err)
	}
	var j Job
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("job %s: %w", id, err)
	}
	return &j, nil
}

// list returns every job, newest first.
func (s *store) list() ([]*Job, error) {
	ents, err := os.ReadDir(filepath.Join(s.dir, "jobs"))
	if err != nil {
		return nil, err
	}
	var out []*Job
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		j, err := s.get(e.Name())
		if err != nil {
			continue // a directory being created, or not a job
		}
		out = append(out, j)
	}
	slices.SortFunc(out, func(a, b *Job) int { return b.Created.Compare(a.Created) })
	return out, nil
}

// edited records that user changed the job's file or how it is read.
func (j *Job) edited(user string) {
	if !slices.Contains(j.Editors, user) {
		j.Editors = append(j.Editors, user)
	}
}
