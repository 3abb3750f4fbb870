package web

import (
	"net/http"
	"strings"

	"svbatch"
	"svbatch/reconcile"
	"svbatch/reports"
)

// langOf is the page language: the switch's cookie, else the browser's Accept-Language (Chinese
// when it prefers zh), else English.
func langOf(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "zh" || c.Value == "en") {
		return c.Value
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return "zh"
		case strings.HasPrefix(tag, "en"):
			return "en"
		}
	}
	return "en"
}

// msg is key in lang; a key without a translation reads as itself (a test catches those).
func msg(lang, key string) string {
	if m, ok := messages[key]; ok {
		if lang == "zh" {
			return m[1]
		}
		return m[0]
	}
	return key
}

// messages: key → {English, Chinese}.
var messages = map[string][2]string{
	"app":                  {"svbatch — stored-value batches", "svbatch — 储值批量操作"},
	"login":                {"Log in", "登录"},
	"logout":               {"Log out", "退出"},
	"user":                 {"User name", "用户名"},
	"password":             {"Password", "密码"},
	"login_wrong":          {"Wrong user name or password.", "用户名或密码错误。"},
	"login_blocked":        {"Too many failed attempts: wait 15 minutes, then try again.", "失败次数过多：请 15 分钟后再试。"},
	"home":                 {"Batches", "批次"},
	"history":              {"History", "历史记录"},
	"upload":               {"Upload a file", "上传文件"},
	"upload_help":          {"CSV or XLSX of operations (charge, freeze, verify, refund), at most", "操作文件（充值、冻结、核销、充值回退），CSV 或 XLSX，最大"},
	"upload_btn":           {"Upload and check", "上传并检查"},
	"unfinished":           {"Unfinished runs", "未完成的运行"},
	"unfinished_help":      {"These runs stopped before every row was sent. Resuming sends only what the journal has not settled: nothing is sent twice.", "这些运行在全部发送前停止。继续运行只发送日志中尚未完成的行，不会重复发送。"},
	"awaiting":             {"Waiting for approval", "等待审批"},
	"running":              {"Running now", "正在运行"},
	"recent":               {"Recent", "最近"},
	"file":                 {"File", "文件"},
	"state":                {"State", "状态"},
	"uploaded_by":          {"Uploaded by", "上传人"},
	"approved_by":          {"Approved by", "审批人"},
	"run_by":               {"Run by", "执行人"},
	"created":              {"Uploaded", "上传时间"},
	"rows":                 {"Rows", "行数"},
	"open":                 {"Open", "打开"},
	"outcome":              {"Outcome", "结果"},
	"files":                {"Files", "文件"},
	"verdict":              {"Reconciliation", "对账"},
	"none":                 {"None.", "无。"},
	"step_map":             {"1. Columns", "1. 列对应"},
	"step_check":           {"2. Check", "2. 检查"},
	"step_confirm":         {"3. Confirm", "3. 确认"},
	"step_run":             {"4. Run", "4. 运行"},
	"step_results":         {"5. Results", "5. 结果"},
	"sheet":                {"Sheet", "工作表"},
	"first_sheet":          {"the first visible sheet", "第一个可见工作表"},
	"header_row":           {"Header row", "表头行"},
	"unit":                 {"Amount unit", "金额单位"},
	"unit_auto":            {"as the header says (default fen)", "按表头（默认：分）"},
	"fen":                  {"fen", "分"},
	"yuan":                 {"yuan", "元"},
	"column_in_file":       {"Column in your file", "文件中的列"},
	"means":                {"Means", "对应字段"},
	"pass":                 {"(not used: passes through)", "（不使用：原样保留）"},
	"constants":            {"Same value for every row (optional)", "每行相同的值（可选）"},
	"save_as":              {"Also save this mapping as (optional name)", "同时将此列对应保存为（可选名称）"},
	"saved_mappings":       {"Saved mappings", "已保存的列对应"},
	"apply_saved":          {"Use this mapping", "使用此列对应"},
	"bad_name":             {"A mapping name may hold letters, digits and . _ - @ only", "列对应名称只能包含字母、数字和 . _ - @"},
	"apply_mapping":        {"Apply and check again", "应用并重新检查"},
	"download_mapping":     {"Download this mapping (YAML, for svbatch run --mapping)", "下载此列对应（YAML，可用于 svbatch run --mapping）"},
	"remembered":           {"Column mapping remembered for files with these columns.", "相同列的文件会记住此列对应。"},
	"problems":             {"problems", "个问题"},
	"all_valid":            {"Every row is valid.", "所有行均有效。"},
	"cannot_read":          {"The file cannot be used", "文件无法使用"},
	"only_errors":          {"Only rows with errors", "只看有错误的行"},
	"all_rows":             {"All rows", "全部行"},
	"row":                  {"Row", "行"},
	"column":               {"Column", "列"},
	"value":                {"Value", "值"},
	"message":              {"What to do", "处理方法"},
	"download_errors":      {"Download the file with the errors marked (XLSX)", "下载标出错误的文件（XLSX）"},
	"fix_upload":           {"Upload the corrected file", "上传修改后的文件"},
	"capped":               {"Only the first rows are shown; the workbook has them all.", "只显示前面的行；下载的工作簿包含全部。"},
	"operation":            {"Operation", "操作"},
	"amount_yuan":          {"Amount (yuan)", "金额（元）"},
	"amount_fen":           {"Amount (fen)", "金额（分）"},
	"gateway":              {"Gateway", "网关"},
	"app_key":              {"App key", "App key"},
	"rate":                 {"Rate", "速率"},
	"concurrency":          {"Concurrency", "并发"},
	"journal_holds":        {"The journal already holds", "日志中已有"},
	"journal_rows":         {"of these rows", "行"},
	"j_done":               {"done (not resent)", "已完成（不重发）"},
	"j_failed":             {"failed (not resent)", "失败（不重发）"},
	"j_conflict":           {"in conflict (never resent)", "冲突（从不重发）"},
	"left_to_send":         {"Left to send", "待发送"},
	"journal_empty":        {"The journal holds nothing of this file yet: every row will be sent.", "日志中尚无此文件的记录：所有行都将发送。"},
	"confirm_btn":          {"Send these operations", "发送这些操作"},
	"confirm_approval_btn": {"Confirm and ask for approval", "确认并提交审批"},
	"needs_approval":       {"A second person with the approver role must approve before anything is sent.", "需要另一位审批人批准后才会发送。"},
	"awaiting_other":       {"Confirmed; waiting for an approver (not the uploader).", "已由上传人确认；等待审批人（不能是上传人）批准。"},
	"approve_btn":          {"Approve and send", "批准并发送"},
	"cannot_approve":       {"You cannot approve this batch: an approver must be another person than the one who uploaded and confirmed it.", "您不能审批此批次：审批人必须不是上传并确认它的人。"},
	"viewer_cannot":        {"Your role can only look.", "您的角色只能查看。"},
	"locked":               {"This batch is confirmed: its file and columns can no longer change.", "此批次已确认：文件和列对应不能再修改。"},
	"progress":             {"Progress", "进度"},
	"rows_done":            {"rows", "行"},
	"per_s":                {"rows/s", "行/秒"},
	"eta":                  {"left", "剩余"},
	"ban":                  {"Paused by the gateway (flow control) for", "网关限流暂停"},
	"seconds":              {"s", "秒"},
	"down":                 {"Gateway not answering since", "网关无响应，自"},
	"stop_at":              {"stopping at", "将于此时停止"},
	"stop_btn":             {"Stop", "停止"},
	"stopping":             {"Stopping: rows in flight finish, then the journal and the results are written.", "正在停止：发送中的行完成后写入日志和结果。"},
	"survives":             {"You may close this page: the run goes on on the server.", "可以关闭此页面：运行在服务器上继续。"},
	"run_ended":            {"The run has ended: see the results", "运行已结束：查看结果"},
	"resume_btn":           {"Resume", "继续运行"},
	"results":              {"Results", "结果"},
	"download_results":     {"Download the results workbook (Results, Summary and Retry sheets)", "下载结果工作簿（结果、汇总、重试）"},
	"reconcile_help":       {"Upload the ledger finance expected (CSV or XLSX) to prove the money moved as intended.", "上传财务预期账目（CSV 或 XLSX），核对资金是否按预期变动。"},
	"reconcile_btn":        {"Reconcile", "对账"},
	"all_matched":          {"All matched.", "全部一致。"},
	"not_matched":          {"NOT all matched: see the category sheets of the workbook.", "未全部一致：请看工作簿中的分类表。"},
	"download_recon":       {"Download the reconciliation workbook", "下载对账工作簿"},
	"category":             {"Category", "分类"},
	"count":                {"Count", "数量"},
	"difference":           {"Difference (fen)", "差额（分）"},
	"status_counts":        {"Rows by status", "各状态行数"},
	"csrf_refused":         {"Refused: the form's security (CSRF) token is missing or wrong. Reload the page and try again; nothing was changed.", "已拒绝：表单的安全（CSRF）令牌缺失或错误。请刷新页面后重试；未做任何更改。"},
	"not_found":            {"Not found", "未找到"},
	"forbidden":            {"Not allowed", "不允许"},
	"internal":             {"Something went wrong on the server", "服务器出错"},
	"no_file":              {"No file was chosen", "未选择文件"},
	"bad_type":             {"Only CSV and XLSX files are accepted", "只接受 CSV 和 XLSX 文件"},
	"too_large":            {"The file is too large", "文件太大"},
	"upload_failed":        {"The upload failed", "上传失败"},
	"not_valid":            {"Only a file whose every row is valid can be confirmed", "只有所有行都有效的文件才能确认"},
	"changed":              {"The file changed since this page was shown: look again", "页面显示后文件已更改：请重新查看"},
	"not_started":          {"The run could not start", "运行无法开始"},
	"not_awaiting":         {"This batch is not waiting for approval", "此批次不在等待审批"},
	"not_resumable":        {"This batch has nothing to resume", "此批次无需继续"},
	"running_now":          {"The run is still going on", "运行仍在进行"},
	"no_results":           {"There are no results yet", "还没有结果"},
	"reconcile_failed":     {"The ledger could not be reconciled", "无法对账"},
	"back":                 {"Back to the batches", "返回批次列表"},
	"warnings":             {"Warnings", "警告"},
	"state_uploaded":       {"uploaded", "已上传"},
	"state_invalid":        {"has problems", "有问题"},
	"state_valid":          {"valid, not confirmed", "有效，未确认"},
	"state_awaiting":       {"waiting for approval", "等待审批"},
	"state_running":        {"running", "运行中"},
	"state_unfinished":     {"unfinished (resumable)", "未完成（可继续）"},
	"state_finished":       {"finished", "已完成"},
	"state_stopped":        {"stopped (fix, then resume)", "已停止（修复后继续）"},
	"verdict_matched":      {"all matched", "全部一致"},
	"verdict_breaks":       {"breaks", "有差异"},
	"language":             {"中文", "English"},
	"adopt":                {"Adopt a command-line run", "接管命令行运行"},
	"adopt_help":           {"A run started with 'svbatch run' on this server: its input file (and its journal and results, if not the defaults), inside", "在本服务器上用 'svbatch run' 启动的运行：其输入文件（以及日志和结果文件，如非默认），须位于"},
	"adopt_input":          {"Input file", "输入文件"},
	"adopt_journal":        {"Journal (optional)", "日志（可选）"},
	"adopt_out":            {"Results (optional)", "结果文件（可选）"},
	"adopt_btn":            {"Adopt", "接管"},
	"adopt_refused":        {"The run could not be adopted", "无法接管该运行"},
	"adopted_from":         {"Adopted from the command line:", "接管自命令行："},
	"adopted_by":           {"adopted by", "接管人"},
	"adopt_checked":        {"rows checked against what the journal sent", "行已与日志的发送记录核对"},
	"journal":              {"journal", "日志"},
	"journal_status":       {"What the journal holds (svbatch status)", "日志内容（svbatch status）"},
	"journal_busy":         {"A run is using this journal now (a 'svbatch run' on the command line?): it cannot be resumed here until that run has finished.", "此日志正被一个运行使用（命令行上的 'svbatch run'？）：该运行结束前无法在此继续。"},
	"journal_busy_title":   {"The journal is in use", "日志正在使用中"},
	"started":              {"Started", "开始时间"},
	"input":                {"Input", "输入"},
	"settings":             {"Settings", "设置"},
	"did_not_finish":       {"did not finish (killed or still running)", "未完成（被终止或仍在运行）"},
	"needs_attention":      {"Rows that need attention", "需要处理的行"},
	"cli_continue":         {"Or go on from the command line:", "或在命令行上继续："},
}

// stateText is a job state in words.
func stateText(lang, state string) string { return msg(lang, "state_"+state) }

// Op is an operate type (charge, freeze, …) in the page's language.
func (p *page) Op(name string) string {
	t, err := svbatch.ParseOperateType(name)
	if err != nil {
		return name
	}
	if p.Lang == "zh" {
		return t.Chinese()
	}
	return t.String()
}

// St is a row status in the page's language.
func (p *page) St(name string) string {
	if p.Lang != "zh" {
		return name
	}
	return svbatch.LangZH.StatusLabel(svbatch.Status(name))
}

// Cat is a reconciliation category in the page's language.
func (p *page) Cat(name string) string {
	for _, c := range reconcile.Categories {
		if c.String() == name {
			if p.Lang == "zh" {
				return reports.ReconciliationSheetNamesZH[c]
			}
			return reports.ReconciliationSheetNames[c]
		}
	}
	return name
}
