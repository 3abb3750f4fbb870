package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func testSummary() Summary {
	net := int64(-240)
	return Summary{Command: "run", Input: "ops.csv", Outcome: "complete", ExitCode: 1,
		Counts: map[string]int{"succeeded": 2, "failed": 1}, Amounts: map[string]int64{"succeeded": 1250, "failed": 500},
		Net: &net, Paths: map[string]string{"results": "ops.csv.results.xlsx"}, DurationS: 1.5, At: time.Unix(1764633600, 0)}
}

// TestPost: each format reaches a local receiver in the shape its consumer reads; a robot's
// refusal (errcode ≠ 0) and an HTTP error are errors; no error shows the URL's query (the token).
func TestPost(t *testing.T) {
	t.Parallel()
	var got []byte
	answer := `{"errcode":0,"errmsg":"ok"}`
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s with Content-Type %q; want a JSON POST", r.Method, r.Header.Get("Content-Type"))
		}
		got, _ = io.ReadAll(r.Body)
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	defer srv.Close()
	target := srv.URL + "/robot/send?access_token=SECRET-TOKEN"
	ctx := context.Background()

	if err := (Client{}).Post(ctx, target, FormatJSON, testSummary()); err != nil {
		t.Fatal(err)
	}
	var js map[string]any
	if err := json.Unmarshal(got, &js); err != nil || js["exit_code"] != 1.0 || js["net_difference_fen"] != -240.0 ||
		js["counts"].(map[string]any)["failed"] != 1.0 || js["amounts_fen"].(map[string]any)["succeeded"] != 1250.0 {
		t.Errorf("json body %s (%v)", got, err)
	}

	if err := (Client{}).Post(ctx, target, FormatDingTalk, testSummary()); err != nil {
		t.Fatal(err)
	}
	var dd struct {
		MsgType  string `json:"msgtype"`
		Markdown struct{ Title, Text string }
	}
	if err := json.Unmarshal(got, &dd); err != nil || dd.MsgType != "markdown" || !strings.Contains(dd.Markdown.Title, "NEEDS ATTENTION") ||
		!strings.Contains(dd.Markdown.Text, "- succeeded: 2 (12.50 yuan)") || !strings.Contains(dd.Markdown.Text, "-2.40 yuan (-240 fen)") {
		t.Errorf("dingtalk body %s (%v)", got, err)
	}

	if err := (Client{}).Post(ctx, target, FormatWeCom, testSummary()); err != nil {
		t.Fatal(err)
	}
	var wc struct {
		MsgType  string `json:"msgtype"`
		Markdown struct{ Content string }
	}
	if err := json.Unmarshal(got, &wc); err != nil || wc.MsgType != "markdown" || !strings.Contains(wc.Markdown.Content, "- failed: 1 (5.00 yuan)") {
		t.Errorf("wecom body %s (%v)", got, err)
	}

	answer = `{"errcode":310000,"errmsg":"keywords not in content"}`
	err := (Client{}).Post(ctx, target, FormatDingTalk, testSummary())
	if err == nil || !strings.Contains(err.Error(), "310000") || strings.Contains(err.Error(), "SECRET-TOKEN") {
		t.Errorf("robot refusal: %v; want an error naming errcode 310000 without the token", err)
	}
	answer, status = "boom", http.StatusInternalServerError
	err = (Client{}).Post(ctx, target, FormatJSON, testSummary())
	if err == nil || !strings.Contains(err.Error(), "HTTP 500") || strings.Contains(err.Error(), "SECRET-TOKEN") {
		t.Errorf("HTTP 500: %v; want an error without the token", err)
	}
	srv.Close()
	err = (Client{}).Post(ctx, target, FormatJSON, testSummary())
	if err == nil || strings.Contains(err.Error(), "SECRET-TOKEN") {
		t.Errorf("closed receiver: %v; want an error without the token", err)
	}
	if err := CheckFormat("slack"); err == nil {
		t.Error("CheckFormat(slack) = nil")
	}
}
