package dispatch

import (
	"fmt"
	"strings"

	"svbatch"
	"svbatch/client"
	"svbatch/journal"
)

// Prior is what the journal knows of a row when a run reaches it: the input of Decide.
type Prior struct {
	Known   bool           // the journal has an entry for the row's request_id
	State   svbatch.Status // the entry's state (Known only)
	Sent    bool           // the row was sent (or may have been) before: a payload hash is recorded
	Changed bool           // the row's payload differs from the one recorded (Sent only)
	// FixedElsewhere: the recorded payload was sent by a Retry round that fixed this very row (the
	// original file's version of it, read now outside any round). Sent only.
	FixedElsewhere bool
	RetryFailed    bool // --retry-failed
}

// PriorOf is the Prior of a row asking for req in round (Config.FixRound: "" for a file of
// operations), from its journal entry e (known: the journal has one): the one place that says
// what "sent", "changed" and "fixed elsewhere" mean.
func PriorOf(e journal.Entry, known bool, req client.RechargeRequest, round string, retryFailed bool) Prior {
	sent := known && e.PayloadHash != ""
	p := Prior{Known: known, State: e.State, Sent: sent, Changed: sent && !SamePayload(e.PayloadHash, req), RetryFailed: retryFailed}
	// Superseded by a fix only where this is the original file (no round) and its row is the one
	// the fix replaced: any other file or version of the row asking otherwise is a conflict.
	// (The record is only decoded when it can name a fix: most entries of a resume have none.)
	if sent && round == "" && strings.Contains(e.Sent, `"fixed_from"`) {
		if s, ok := SentOf(e); ok && s.Round != "" && s.FixedFrom != "" && SamePayload(s.FixedFrom, req) {
			p.FixedElsewhere = true
		}
	}
	return p
}

// Verdict is what to do with a row, by the resume rules (DESIGN.md §4).
type Verdict struct {
	// Send: send the row now. Otherwise Status is what the row is in this run, not resent:
	// already_done, failed or conflict.
	Send   bool
	Status svbatch.Status
	// NewGeneration: send under the next request_id generation (a failed row, --retry-failed).
	NewGeneration bool
	// MaybeApplied: an earlier send of this same payload may have been applied, so no error answer
	// may make the row failed (client.Retrier.MaybeApplied).
	MaybeApplied bool
	Note         string // why, for a person, when not sent
}

// Decide applies the resume rules to a row the journal may know. It is pure: the send path and the
// results both call it, so what a run does and what its results say cannot disagree.
//   - unknown to the journal: send;
//   - succeeded earlier: already_done, or conflict if the row has changed since (never resent:
//     the gateway keeps the first), or succeeded_after_fix when what succeeded is the row as fixed
//     and sent from a Retry sheet;
//   - failed: stays failed, unless --retry-failed, which sends it under a new generation;
//   - refused by the gateway as a request_id used with other values: conflict, never resent;
//   - sent before with other values (unknown, in flight at a crash): conflict, never resent;
//   - otherwise (pending, unknown, sending with the same values): send, with the same request_id.
func Decide(p Prior) Verdict {
	if !p.Known {
		return Verdict{Send: true}
	}
	changed := p.Sent && p.Changed
	switch p.State {
	case svbatch.Succeeded, svbatch.AlreadyDone:
		if changed && p.FixedElsewhere {
			return Verdict{Status: svbatch.SucceededAfterFix, Note: "fixed on a Retry sheet and sent from there, where it succeeded; not resent"}
		}
		if changed {
			return Verdict{Status: svbatch.Conflict, Note: conflictNote("succeeded")}
		}
		return Verdict{Status: svbatch.AlreadyDone, Note: "succeeded in an earlier run; not resent"}
	case svbatch.Conflict:
		// the gateway said the request_id was used with other values: never resent, not even
		// under a new generation
		return Verdict{Status: svbatch.Conflict, Note: msgIDUsed}
	case svbatch.Failed:
		if p.RetryFailed {
			return Verdict{Send: true, NewGeneration: true}
		}
		if changed {
			return Verdict{Status: svbatch.Failed, Note: "failed earlier; the row has changed since: rerun with --retry-failed to send the corrected row"}
		}
		return Verdict{Status: svbatch.Failed, Note: "failed in an earlier run; not resent (fix the cause, then rerun with --retry-failed)"}
	}
	if changed {
		what := "unknown (it may have been applied)"
		if p.State == svbatch.Pending {
			what = "not applied"
		}
		return Verdict{Status: svbatch.Conflict, Note: conflictNote(what)}
	}
	return Verdict{Send: true, MaybeApplied: p.Sent}
}

// msgIDUsed is the note of a row whose request_id the gateway holds with other values.
const msgIDUsed = "conflict: the gateway already holds this request_id with other values (isv.request-id-conflict), so this row or an earlier version of it was applied: never resent; compare the account with what you meant and correct it by hand"

func conflictNote(what string) string {
	return fmt.Sprintf("conflict: sent earlier with other values (that send %s; the gateway keeps the first): put the row back as it was, or correct the account by hand", what)
}
