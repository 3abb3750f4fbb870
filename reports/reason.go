package reports

import (
	"fmt"
	"regexp"
	"strings"

	"svbatch"
)

// rowRe finds the row a skipped row's note names ("row 7 of this account did not succeed").
var rowRe = regexp.MustCompile(`\brow (\d+)\b`)

// RetryReason says in plain words, in language l, why a row needs attention: built from its
// status, note and the gateway's last answer. "" for a row that needs nothing.
func RetryReason(r *svbatch.Result, l svbatch.Lang) string {
	zh := l == svbatch.LangZH
	answer := func() string { // the gateway's own words, for the record
		var parts []string
		if r.ResultCode != "" || r.ResultDesc != "" {
			parts = append(parts, strings.TrimSpace(r.ResultCode+" "+r.ResultDesc))
		}
		if r.ErrCode != 0 || r.ErrSubCode != "" {
			msg := r.ErrSubMsg
			if msg == "" {
				msg = r.ErrMsg
			}
			code := r.ErrSubCode
			if r.ErrCode != 0 {
				code = strings.TrimSpace(fmt.Sprintf("%d %s", r.ErrCode, r.ErrSubCode))
			}
			parts = append(parts, strings.TrimSpace(code+" "+msg))
		}
		return strings.Join(parts, "; ")
	}
	lowBalance := strings.Contains(strings.ToUpper(r.ResultCode+r.ErrSubCode), "BALANCE_NOT_ENOUGH") ||
		strings.Contains(r.ResultDesc+r.ErrSubMsg, "余额不足")
	withAnswer := func(s string) string {
		if a := answer(); a != "" {
			if zh {
				return s + "（" + a + "）"
			}
			return s + " (" + a + ")"
		}
		return s
	}
	switch r.Status {
	case svbatch.Failed:
		switch {
		case lowBalance:
			return withAnswer(pick(l, "balance too low: top the account up (or lower the amount), then send again with --retry-failed",
				"余额不足：先为该账户充值（或调低金额），再用 --retry-failed 重新发送"))
		case r.Answered:
			return withAnswer(pick(l, "refused by the platform: fix the row, then send again with --retry-failed",
				"平台拒绝了这笔操作：修改本行后用 --retry-failed 重新发送"))
		case r.ErrCode != 0 || r.ErrSubCode != "":
			return withAnswer(pick(l, "refused by the gateway: fix the row, then send again with --retry-failed",
				"网关拒绝了这笔操作：修改本行后用 --retry-failed 重新发送"))
		}
		return withNote(l, pick(l, "failed", "失败"), r.Note)
	case svbatch.Unknown:
		n := r.Attempts
		if zh {
			return withAnswer(fmt.Sprintf("没有收到明确结果（已发送 %d 次），可能已生效：再次运行即可，会用同一请求ID重发，不会重复入账", n))
		}
		return withAnswer(fmt.Sprintf("no definitive answer after %d attempt(s); it may have been applied: run again, it is resent with the same request_id (safe)", n))
	case svbatch.Pending, svbatch.Sending:
		if r.ErrCode != 0 || r.ErrMsg != "" {
			return withAnswer(pick(l, "never sent: the gateway could not be reached; run again when it answers",
				"未发送：无法连接网关；网关恢复后再次运行即可"))
		}
		return pick(l, "never sent: the run stopped before this row (interrupted, or the gateway was down); run again to send it",
			"未发送：运行在本行之前停止（被中断或网关不可用）；再次运行即可发送")
	case svbatch.Skipped:
		if m := rowRe.FindStringSubmatch(r.Note); m != nil {
			if zh {
				return fmt.Sprintf("已跳过：同一账户的第 %s 行没有成功，为保证顺序本行未发送；处理好第 %s 行后一起重新发送", m[1], m[1])
			}
			return fmt.Sprintf("skipped after row %s of the same account failed (rows of an account go in order); fix row %s, then send both again", m[1], m[1])
		}
		return withNote(l, pick(l, "skipped after an earlier row of the same account failed", "已跳过：同一账户前面的行没有成功"), r.Note)
	case svbatch.Conflict:
		if strings.Contains(r.Note, "request-id-conflict") {
			return pick(l, "in conflict because the gateway already holds this request_id with other values: this row or an earlier version of it was applied; check the account and correct it by hand",
				"冲突：网关已用同一请求ID记录过不同的内容，本行或其旧版本已生效；请核对账户并人工更正")
		}
		return pick(l, "in conflict because the row was sent earlier with other values (the gateway keeps the first): put the row back as it was, or correct the account by hand",
			"冲突：本行此前已用不同的内容发送过（平台以第一次为准）：请把本行改回原值，或人工核对并更正账户")
	case svbatch.Invalid:
		return withNote(l, pick(l, "invalid", "无效"), r.Note)
	case svbatch.AlreadyDone:
		if r.NeedsAttention() {
			return withAnswer(pick(l, "failed in an earlier run: fix the cause, then send again with --retry-failed",
				"此前的运行中失败：处理原因后用 --retry-failed 重新发送"))
		}
	}
	if r.NeedsAttention() {
		return withNote(l, l.StatusLabel(r.Status), r.Note)
	}
	return ""
}

// withNote joins a reason's head and svbatch's note.
func withNote(l svbatch.Lang, head, note string) string {
	if note == "" {
		return head
	}
	return head + pick(l, ": ", "：") + note
}
