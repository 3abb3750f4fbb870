package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/pflag"

	"svbatch/job"
	"svbatch/notify"
	"svbatch/reconcile"
)

// notifyFlags are --notify and --notify-format, shared by run and reconcile.
type notifyFlags struct {
	url    string
	format string
}

func (n *notifyFlags) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&n.url, "notify", "", "when done, POST a summary (outcome, counts, amounts, exit code, paths) to this URL, e.g. a DingTalk or WeCom robot's webhook; a failed notification is a warning, never a failed run")
	fs.StringVar(&n.format, "notify-format", notify.FormatJSON, "the notification's shape: json, dingtalk (钉钉 robot markdown) or wecom (企业微信 robot markdown)")
}

func (n *notifyFlags) check() error {
	if err := notify.CheckFormat(n.format); err != nil {
		return usageErr("%v", err)
	}
	return nil
}

// post sends s when --notify is set, and turns a failure into a warning on stderr (a WARN record
// with --log-format json). err is the command's outcome, which sets the exit code s reports.
func (n *notifyFlags) post(ctx context.Context, cio *cmdIO, log *slog.Logger, jsonLog bool, s notify.Summary, err error) {
	if n.url == "" {
		return
	}
	s.ExitCode = exitOK
	if err != nil {
		s.ExitCode = exitFailed
		var ee *exitError
		if errors.As(err, &ee) {
			s.ExitCode = ee.code
		}
		if s.Outcome == "" {
			s.Outcome = err.Error()
			if ee != nil && ee.err != nil {
				s.Outcome = ee.err.Error()
			}
		}
	}
	s.OK = s.ExitCode == exitOK
	s.At = time.Now()
	s.Host, _ = os.Hostname()
	// The run's own context may be cancelled (Ctrl-C): the notification of the interrupted run
	// still goes, within its own timeout.
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if perr := (notify.Client{}).Post(pctx, n.url, n.format, s); perr != nil {
		if jsonLog {
			log.Warn("notification failed", "error", perr.Error())
		} else {
			fmt.Fprintf(cio.stderr, "Warning: %v (the %s itself is unaffected)\n", perr, s.Command)
		}
	}
}

// runNotice is the notification of a run: sum is nil when the run ended before sending (invalid
// input, a locked journal…).
func runNotice(input string, sum *job.Summary, started time.Time) notify.Summary {
	s := notify.Summary{Command: "run", Input: input, Counts: map[string]int{}, Amounts: map[string]int64{}, Paths: map[string]string{},
		DurationS: time.Since(started).Round(time.Millisecond).Seconds()}
	if sum == nil {
		return s
	}
	s.Outcome = sum.Outcome
	for st, n := range sum.Counts {
		s.Counts[string(st)] = n
	}
	for st, a := range sum.Amounts {
		s.Amounts[string(st)] = a
	}
	if sum.Out != "" {
		s.Paths["results"] = sum.Out
	}
	if sum.Journal != "" {
		s.Paths["journal"] = sum.Journal
	}
	return s
}

// reconcileNotice is the notification of a reconcile (rep nil when it could not be made).
func reconcileNotice(results, expected, out string, rep *reconcile.Report, started time.Time) notify.Summary {
	s := notify.Summary{Command: "reconcile", Input: results, Counts: map[string]int{}, Amounts: map[string]int64{},
		Paths: map[string]string{"results": results, "expected": expected}, DurationS: time.Since(started).Round(time.Millisecond).Seconds()}
	if rep == nil {
		return s
	}
	s.Paths["workbook"] = out
	for _, c := range reconcile.Categories {
		t := rep.Totals(c)
		s.Counts[c.String()] = int(t.Count)
		s.Amounts[c.String()] = t.Amount
	}
	net := rep.NetDifference()
	s.Net = &net
	s.Outcome = "all matched"
	if !rep.AllMatched() {
		s.Outcome = "NOT all matched"
	}
	return s
}
