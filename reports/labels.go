package reports

import (
	"strings"
	"time"

	"svbatch"
)

// Chinese sheet names of the results workbook (--lang zh); the English ones are ResultsSheet,
// SummarySheet and RetrySheet. Results sheets past the first are "结果 (2)", ….
const (
	ResultsSheetZH = "结果"
	SummarySheetZH = "汇总"
	RetrySheetZH   = "重试"
)

// Run parameters that tune the results workbook itself. The caller puts them in RunInfo.Params
// (the Summary lists them too); ResultsOptions.Lang and TZ, when set, win over them.
const (
	ParamLanguage = "language"  // en or zh (svbatch.ParseLang); default: the input header's language
	ParamTimeZone = "time zone" // svbatch.ParseZone; default GMT+8
)

// ResultsSheetName is the first Results sheet's name in language l.
func ResultsSheetName(l svbatch.Lang) string { return pick(l, ResultsSheet, ResultsSheetZH) }

// SummarySheetName is the Summary sheet's name in language l.
func SummarySheetName(l svbatch.Lang) string { return pick(l, SummarySheet, SummarySheetZH) }

// RetrySheetName is the (first) Retry sheet's name in language l.
func RetrySheetName(l svbatch.Lang) string { return pick(l, RetrySheet, RetrySheetZH) }

// IsRetrySheet reports whether a sheet name is a results workbook's first Retry sheet, in either
// language.
func IsRetrySheet(name string) bool { return name == RetrySheet || name == RetrySheetZH }

// pick returns en or zh by language.
func pick(l svbatch.Lang, en, zh string) string {
	if l == svbatch.LangZH {
		return zh
	}
	return en
}

// ZoneLabel names a time zone for people: GMT+8, UTC, Asia/Shanghai.
func ZoneLabel(loc *time.Location) string {
	if loc == nil {
		return svbatch.GMT8.String()
	}
	return loc.String()
}

// opNamesZH are the Summary's operation columns in Chinese (resOpNames in English).
var opNamesZH = [5]string{"充值", "冻结", "核销", "充值回退", "其他"}

// paramLabelsZH translate the run parameters svbatch itself lists on the Summary sheet.
var paramLabelsZH = map[string]string{
	"input": "输入文件", "encoding": "编码", "gateway": "网关", "app key": "AppKey", "sign method": "签名方式",
	"qps": "每秒请求数(QPS)", "concurrency": "并发数", "max attempts": "最多发送次数", "on failure": "失败后",
	"id namespace": "ID命名空间", "retry failed": "重发失败行", "started": "开始时间", "finished": "结束时间",
	"outcome": "运行结果", "svbatch version": "svbatch 版本", ParamLanguage: "语言", ParamTimeZone: "时区",
}

// paramLabel is a run parameter's name in language l.
func paramLabel(l svbatch.Lang, name string) string {
	if l == svbatch.LangZH {
		if zh, ok := paramLabelsZH[strings.ToLower(name)]; ok {
			return zh
		}
	}
	return name
}

// numericParams are the run parameters whose values are numbers (cells of type number).
var numericParams = map[string]bool{"qps": true, "concurrency": true, "max attempts": true, "burst": true}

// timeParams are the run parameters whose values are times (RFC 3339): date-time cells.
var timeParams = map[string]bool{"started": true, "finished": true}

// noteZH translates the notes svbatch writes for rows that need nothing (the rest get a reason,
// see RetryReason); other notes are kept as written.
var noteZH = map[string]string{
	"succeeded in an earlier run; not resent": "此前的运行已成功，未重发",
	"dry run: not sent":                       "试运行：未发送",
	"not sent in this run; a rerun sends it":  "本次未发送，重新运行即发送",
}
