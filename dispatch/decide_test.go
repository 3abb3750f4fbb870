package dispatch

import (
	"testing"

	"svbatch"
	"svbatch/client"
	"svbatch/journal"
)

// TestDecide covers every (journal state, sent before, payload same/changed, --retry-failed)
// combination of the resume rules.
func TestDecide(t *testing.T) {
	t.Parallel()
	const (
		send     = "send"
		sendMay  = "send, maybe applied"
		newGen   = "send, new generation"
		done     = "already_done"
		failed   = "failed"
		conflict = "conflict"
		afterFix = "succeeded_after_fix"
	)
	type key struct {
		state         svbatch.Status // "" = not in the journal
		sent, changed bool
	}
	// want[key] = {without --retry-failed, with it}
	want := map[key][2]string{
		{"", false, false}: {send, send},

		// Succeeded before: never resent; a changed row is a conflict.
		{svbatch.Succeeded, true, false}:   {done, done},
		{svbatch.Succeeded, true, true}:    {conflict, conflict},
		{svbatch.AlreadyDone, true, false}: {done, done},
		{svbatch.AlreadyDone, true, true}:  {conflict, conflict},
		// (a succeeded entry without a payload hash: journals always have one, but a changed row
		// cannot be told, so it is already_done)
		{svbatch.Succeeded, false, false}: {done, done},

		// Failed: stays failed, changed or not; --retry-failed sends a new generation.
		{svbatch.Failed, true, false}:  {failed, newGen},
		{svbatch.Failed, true, true}:   {failed, newGen},
		{svbatch.Failed, false, false}: {failed, newGen},

		// May have been applied: resent with the same id, unless the row changed (conflict).
		{svbatch.Unknown, true, false}: {sendMay, sendMay},
		{svbatch.Unknown, true, true}:  {conflict, conflict},
		{svbatch.Sending, true, false}: {sendMay, sendMay},
		{svbatch.Sending, true, true}:  {conflict, conflict},

		// Refused before the ledger, keeping an earlier send's payload: the same rule.
		{svbatch.Pending, true, false}: {sendMay, sendMay},
		{svbatch.Pending, true, true}:  {conflict, conflict},
		// The gateway said the id is used with other values: conflict, even with --retry-failed.
		{svbatch.Conflict, true, false}: {conflict, conflict},
		{svbatch.Conflict, true, true}:  {conflict, conflict},

		// Never sent (pending, skipped): sent; a changed row is no conflict, nothing went out.
		{svbatch.Pending, false, false}: {send, send},
		{svbatch.Pending, false, true}:  {send, send},
		{svbatch.Skipped, false, false}: {send, send},
		{svbatch.Skipped, false, true}:  {send, send},
	}
	// The recorded payload was sent from a Retry sheet, by another round than this run's: a row
	// that succeeded as fixed there is succeeded_after_fix where it changed; every other case
	// decides as above.
	fixed := map[key][2]string{
		{svbatch.Succeeded, true, true}:   {afterFix, afterFix},
		{svbatch.AlreadyDone, true, true}: {afterFix, afterFix},
	}
	for k, w := range want {
		for i, retry := range []bool{false, true} {
			if f, ok := fixed[k]; ok {
				v := Decide(Prior{Known: true, State: k.state, Sent: k.sent, Changed: k.changed, FixedElsewhere: true, RetryFailed: retry})
				if string(v.Status) != f[i] || v.Send || v.Note == "" {
					t.Errorf("Decide(%+v fixed elsewhere, retry-failed %v) = %+v; want %s", k, retry, v, f[i])
				}
			} else if k.sent {
				v := Decide(Prior{Known: true, State: k.state, Sent: k.sent, Changed: k.changed, FixedElsewhere: true, RetryFailed: retry})
				if v != Decide(Prior{Known: true, State: k.state, Sent: k.sent, Changed: k.changed, RetryFailed: retry}) {
					t.Errorf("Decide(%+v fixed elsewhere, retry-failed %v) = %+v; want as when not fixed", k, retry, v)
				}
			}
			v := Decide(Prior{Known: k.state != "", State: k.state, Sent: k.sent, Changed: k.changed, RetryFailed: retry})
			got := string(v.Status)
			switch {
			case v.Send && v.NewGeneration:
				got = newGen
			case v.Send && v.MaybeApplied:
				got = sendMay
			case v.Send:
				got = send
			}
			if got != w[i] {
				t.Errorf("Decide(%+v, retry-failed %v) = %s (%+v); want %s", k, retry, got, v, w[i])
			}
			if !v.Send && v.Note == "" {
				t.Errorf("Decide(%+v, retry-failed %v) = %s without a note", k, retry, got)
			}
			if v.Send && v.Status != "" {
				t.Errorf("Decide(%+v): sends with status %q", k, v.Status)
			}
		}
	}
}

// TestPriorOfFix: a row fixed on a Retry sheet supersedes exactly the original file's version of
// it. That version, read outside any round, is succeeded_after_fix; another file sharing the
// journal that asks the same operation otherwise, or a copy of the Retry sheet edited again, is a
// conflict, whatever its name.
func TestPriorOfFix(t *testing.T) {
	t.Parallel()
	orig := client.RechargeRequest{BrandID: "1332", OperateType: svbatch.Verify, OuterOrderID: "O1", ChangeValue: 300, CustomerID: "A"}
	fixed := orig
	fixed.ChangeValue = 100
	other := orig
	other.ChangeValue, other.CustomerID = 500, "B"
	const round = "/home/u/a.xlsx.results.xlsx"
	e := journal.Entry{Key: "k", RequestID: "k", State: svbatch.Succeeded, PayloadHash: PayloadHash(fixed),
		Sent: SentRecord(fixed, round, PayloadHash(orig))}
	tests := []struct {
		name  string
		req   client.RechargeRequest
		round string
		want  svbatch.Status
	}{
		{"the original row", orig, "", svbatch.SucceededAfterFix},
		{"the fixed row again", fixed, round, svbatch.AlreadyDone},
		{"another file asking otherwise", other, "", svbatch.Conflict},
		{"a copy of the Retry sheet, edited again", other, "/home/u/copy.xlsx", svbatch.Conflict},
		{"the original row, read as a Retry round", orig, "/home/u/copy.xlsx", svbatch.Conflict},
	}
	for _, tc := range tests {
		if v := Decide(PriorOf(e, true, tc.req, tc.round, false)); v.Status != tc.want {
			t.Errorf("%s: %s; want %s", tc.name, v.Status, tc.want)
		}
	}
	// Through a second round, the first original is still the one superseded.
	again := journal.Entry{PayloadHash: PayloadHash(fixed), Sent: SentRecord(fixed, round, PayloadHash(orig))}
	if got := fixedFromOf(again, "/home/u/a.retry.results.xlsx"); got != PayloadHash(orig) {
		t.Errorf("fixedFromOf a second round = %q; want the original's hash", got)
	}
	if got := fixedFromOf(journal.Entry{PayloadHash: "p1:x"}, ""); got != "" {
		t.Errorf("fixedFromOf outside a round = %q; want none", got)
	}
}
