package web

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
)

// AuditEntry is one line of the audit log (audit.jsonl in the data dir).
type AuditEntry struct {
	Time   time.Time `json:"time"`
	User   string    `json:"user,omitempty"`
	Action string    `json:"action"` // login, login_failed, logout, upload, map, confirm, approve, run, stop, resume, download, reconcile
	Job    string    `json:"job,omitempty"`
	Remote string    `json:"remote,omitempty"`
	OK     bool      `json:"ok"`
	Detail string    `json:"detail,omitempty"` // never a password or a secret
}

// audit appends JSON lines to a file opened O_APPEND: earlier lines are never rewritten. Safe for
// concurrent use.
type audit struct {
	mu sync.Mutex
	f  *os.File
}

func openAudit(path string) (*audit, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return &audit{f: f}, nil
}

// log writes e; a failure to write the audit log is returned so the caller can refuse the action.
func (a *audit) log(e AuditEntry) error {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	return a.f.Sync()
}

func (a *audit) close() error { return a.f.Close() }
