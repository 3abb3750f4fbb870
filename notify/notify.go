// Package notify posts the summary of a run or a reconcile to a webhook for cron: a JSON object,
// or a DingTalk or WeCom (企业微信) group robot's markdown message. A notification is a courtesy:
// callers report its failure as a warning and never let it change the outcome.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"svbatch"
)

// Formats of the message.
const (
	FormatJSON     = "json"
	FormatDingTalk = "dingtalk"
	FormatWeCom    = "wecom"
)

// Summary is what a notification says. Amounts are fen.
type Summary struct {
	Command   string            `json:"command"` // "run" or "reconcile"
	Input     string            `json:"input"`
	Outcome   string            `json:"outcome"`
	OK        bool              `json:"ok"` // exit code 0
	ExitCode  int               `json:"exit_code"`
	Counts    map[string]int    `json:"counts"`      // rows per status, or per reconciliation category
	Amounts   map[string]int64  `json:"amounts_fen"` // fen per status or category
	Net       *int64            `json:"net_difference_fen,omitempty"`
	Paths     map[string]string `json:"paths"` // results, journal, workbook…
	DurationS float64           `json:"duration_s"`
	Host      string            `json:"host,omitempty"`
	At        time.Time         `json:"at"`
}

// CheckFormat refuses a format that is not json, dingtalk or wecom.
func CheckFormat(f string) error {
	switch f {
	case FormatJSON, FormatDingTalk, FormatWeCom:
		return nil
	}
	return fmt.Errorf("--notify-format %q: want json, dingtalk or wecom", f)
}

// Client posts notifications; the zero value uses a 10 s timeout.
type Client struct {
	HTTP *http.Client
}

// Post sends s to target in format. The error never holds target's query (robot URLs carry
// their access token there).
func (c Client) Post(ctx context.Context, target, format string, s Summary) error {
	body, err := Body(format, s)
	if err != nil {
		return err
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	where := Redact(target)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("notify %s: %s", where, redactErr(err, target, where))
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("notify %s: %s", where, redactErr(err, target, where))
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("notify %s: HTTP %d: %s", where, resp.StatusCode, firstLine(answer))
	}
	if format == FormatDingTalk || format == FormatWeCom {
		// Both robots answer HTTP 200 with {"errcode":0,"errmsg":"ok"}; anything else is a refusal
		// (a wrong token, a keyword or IP rule of the robot).
		var r struct {
			ErrCode *int   `json:"errcode"`
			ErrMsg  string `json:"errmsg"`
		}
		if json.Unmarshal(answer, &r) == nil && r.ErrCode != nil && *r.ErrCode != 0 {
			return fmt.Errorf("notify %s: the robot refused the message: errcode %d: %s", where, *r.ErrCode, r.ErrMsg)
		}
	}
	return nil
}

// Body is the request body of s in format.
func Body(format string, s Summary) ([]byte, error) {
	switch format {
	case FormatJSON:
		return json.Marshal(s)
	case FormatDingTalk:
		title, text := markdown(s)
		return json.Marshal(map[string]any{"msgtype": "markdown", "markdown": map[string]string{"title": title, "text": text}})
	case FormatWeCom:
		_, text := markdown(s)
		return json.Marshal(map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": text}})
	}
	return nil, CheckFormat(format)
}

// markdown is the robots' message: a title line with the verdict, then counts and amounts.
func markdown(s Summary) (title, text string) {
	verdict := "OK"
	if !s.OK {
		verdict = "NEEDS ATTENTION"
	}
	title = fmt.Sprintf("svbatch %s %s: %s", s.Command, verdict, s.Outcome)
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n", title)
	fmt.Fprintf(&b, "- input: %s\n- exit code: %d\n", s.Input, s.ExitCode)
	keys := make([]string, 0, len(s.Counts))
	for k := range s.Counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if s.Counts[k] == 0 {
			continue // a robot message is read on a phone: only what happened
		}
		if a, ok := s.Amounts[k]; ok {
			fmt.Fprintf(&b, "- %s: %d (%s yuan)\n", k, s.Counts[k], svbatch.FormatYuan(a))
		} else {
			fmt.Fprintf(&b, "- %s: %d\n", k, s.Counts[k])
		}
	}
	if s.Net != nil {
		fmt.Fprintf(&b, "- net difference: %s yuan (%d fen)\n", svbatch.FormatYuan(*s.Net), *s.Net)
	}
	paths := make([]string, 0, len(s.Paths))
	for k := range s.Paths {
		paths = append(paths, k)
	}
	sort.Strings(paths)
	for _, k := range paths {
		fmt.Fprintf(&b, "- %s: %s\n", k, s.Paths[k])
	}
	if s.Host != "" {
		fmt.Fprintf(&b, "- host: %s\n", s.Host)
	}
	fmt.Fprintf(&b, "- at: %s (%.1f s)\n", s.At.In(svbatch.GMT8).Format("2006-01-02 15:04:05 GMT+8"), s.DurationS)
	return title, b.String()
}

// Redact is target without its query, user info and fragment: what a message may show of it.
func Redact(target string) string {
	u, err := url.Parse(target)
	if err != nil {
		return "(an unparsable URL)"
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}

func redactErr(err error, target, where string) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return strings.ReplaceAll(err.Error(), target, where)
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
