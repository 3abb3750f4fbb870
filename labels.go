package svbatch

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Lang is the language of what a finance user reads in svbatch's outputs: workbook headers, sheet
// names, statuses, labels. Readers of svbatch's own outputs accept both.
type Lang string

// The output languages.
const (
	LangEN Lang = "en"
	LangZH Lang = "zh"
)

// ParseLang accepts en|english|英文 and zh|cn|zh-cn|chinese|中文, in any case; "" is an error
// (callers decide the default, usually HeaderLang of the input).
func ParseLang(s string) (Lang, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "en", "english", "英文", "en-us", "en-gb":
		return LangEN, nil
	case "zh", "cn", "zh-cn", "zh_cn", "zh-hans", "chinese", "中文":
		return LangZH, nil
	}
	return "", fmt.Errorf("language %q: want en or zh", s)
}

// HeaderLang is the language of a header row: Chinese when more of its cells are written in Han
// characters than in Latin letters, English otherwise (an empty header too).
func HeaderLang(header []string) Lang {
	han, latin := 0, 0
	for _, h := range header {
		isHan, isLatin := false, false
		for _, r := range h {
			switch {
			case unicode.Is(unicode.Han, r):
				isHan = true
			case r < 0x80 && unicode.IsLetter(r):
				isLatin = true
			}
		}
		switch {
		case isHan:
			han++
		case isLatin:
			latin++
		}
	}
	if han > latin {
		return LangZH
	}
	return LangEN
}

// resultLabelsZH are the Chinese headers of the results columns (and the Retry sheet's own
// columns). The input's canonical columns use the labels the reader accepts (batch.ChineseLabels);
// amounts say their unit.
var resultLabelsZH = map[string]string{
	ColRow:             "行号",
	ColBrandID:         "品牌ID",
	ColShopID:          "门店ID",
	ColOperatorID:      "操作人ID",
	ColOuterOrderID:    "外部订单号",
	ColNewOuterOrderID: "回退单号",
	ColOperateType:     "操作类型",
	ColChangeValue:     "金额(分)",
	ColChangeValueYuan: "金额(元)",
	ColCustomerID:      "顾客ID",
	ColMobile:          "手机号",
	ColOuterID:         "外部ID",
	ColOuterType:       "外部ID类型",
	ColReason:          "备注",
	ColRequestID:       "请求ID",
	ColStatus:          "状态",
	ColNote:            "说明",
	ColAttempts:        "发送次数",
	ColBizSuccess:      "业务成功",
	ColResult:          "处理结果",
	ColResultCode:      "结果码",
	ColResultDesc:      "结果描述",
	ColErrorCode:       "错误码",
	ColErrorMsg:        "错误信息",
	ColErrorSubCode:    "子错误码",
	ColErrorSubMsg:     "子错误信息",
	ColTraceID:         "网关流水号",
	ColLatencyMS:       "耗时(毫秒)",
	ColFinishedAt:      "完成时间",
	ColSourceRow:       "原文件行号",
	ColRetryStatus:     "重试状态",
	ColRetryReason:     "重试原因",
}

// resultNamesByLabel maps a folded header (canonical name or Chinese label) to the canonical name.
var resultNamesByLabel = func() map[string]string {
	m := map[string]string{}
	for _, c := range ResultColumns {
		m[foldLabel(c.Name)] = c.Name
	}
	for _, c := range RetryColumns {
		m[foldLabel(c)] = c
	}
	for name, zh := range resultLabelsZH {
		m[foldLabel(zh)] = name
	}
	return m
}()

// foldLabel folds a header for matching svbatch's own labels: BOM, surrounding spaces, case, and
// full-width brackets.
func foldLabel(s string) string {
	s = strings.TrimSpace(strings.TrimPrefix(s, "\uFEFF"))
	s = strings.NewReplacer("（", "(", "）", ")").Replace(s)
	return strings.ToLower(s)
}

// Label is the header of a results column (ResultColumns, RetryColumns) in language l: the
// canonical name in English, the Chinese label in Chinese. An unknown name is returned as is.
func (l Lang) Label(name string) string {
	if l == LangZH {
		if zh, ok := resultLabelsZH[name]; ok {
			return zh
		}
	}
	return name
}

// ResultColumnName maps a header of svbatch's own results (or Retry) columns, in either language,
// to its canonical name; ok is false for any other header.
func ResultColumnName(h string) (string, bool) {
	n, ok := resultNamesByLabel[foldLabel(h)]
	return n, ok
}

// statusLabelsZH are the statuses as a Chinese finance team reads them.
var statusLabelsZH = map[Status]string{
	Pending:     "待发送",
	Sending:     "发送中",
	Succeeded:   "成功",
	Failed:      "失败",
	Unknown:     "结果未知",
	Invalid:     "无效",
	Skipped:     "已跳过",
	Conflict:    "冲突",
	AlreadyDone: "此前已完成",
	Planned:     "计划中",

	SucceededAfterFix: "修正后成功",
}

// StatusLabel is st in language l.
func (l Lang) StatusLabel(st Status) string {
	if l == LangZH {
		if zh, ok := statusLabelsZH[st]; ok {
			return zh
		}
	}
	return string(st)
}

// ParseStatus reads a status as svbatch's outputs write it, in either language (any case, spaces
// trimmed); ok is false for anything else.
func ParseStatus(s string) (Status, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for st, zh := range statusLabelsZH {
		if s == string(st) || s == zh {
			return st, true
		}
	}
	return Status(s), false
}

// ParseZone reads a --tz value: GMT+8, UTC+08:00, +0800, UTC, Z, or a zone name (Asia/Shanghai)
// when the system knows it. Fixed offsets are named as GMT+8 (GMT+5:30); a zone name keeps its name.
func ParseZone(s string) (*time.Location, error) {
	t := strings.TrimSpace(s)
	u := strings.ToUpper(t)
	switch u {
	case "GMT+8", "UTC+8", "+08:00", "+0800", "+8", "CST", "BEIJING":
		return GMT8, nil
	case "UTC", "GMT", "Z", "UTC+0", "GMT+0", "+00:00":
		return time.UTC, nil
	}
	off := u
	for _, p := range []string{"GMT", "UTC"} {
		off = strings.TrimPrefix(off, p)
	}
	if off != "" && (off[0] == '+' || off[0] == '-') {
		if secs, ok := parseOffset(off); ok {
			return time.FixedZone(zoneName(secs), secs), nil
		}
		return nil, fmt.Errorf("time zone %q: want an offset such as GMT+8 or +05:30", s)
	}
	loc, err := time.LoadLocation(t)
	if err != nil || t == "" || strings.EqualFold(t, "local") {
		return nil, fmt.Errorf("time zone %q: want GMT+8, an offset such as +05:30, UTC, or a zone name such as Asia/Shanghai", s)
	}
	return loc, nil
}

// parseOffset reads +8, -05:30, +0530 as seconds east of UTC (at most 14 hours).
func parseOffset(s string) (int, bool) {
	sign := 1
	if s[0] == '-' {
		sign = -1
	}
	s = s[1:]
	h, m := s, ""
	if i := strings.IndexByte(s, ':'); i >= 0 {
		h, m = s[:i], s[i+1:]
	} else if len(s) == 4 {
		h, m = s[:2], s[2:]
	}
	if h == "" || len(h) > 2 || !AllDigits(h) || (m != "" && (len(m) != 2 || !AllDigits(m))) {
		return 0, false
	}
	hh, _ := strconv.Atoi(h)
	mm := 0
	if m != "" {
		mm, _ = strconv.Atoi(m)
	}
	if hh > 14 || mm > 59 || (hh == 14 && mm > 0) {
		return 0, false
	}
	return sign * (hh*3600 + mm*60), true
}

// zoneName names a fixed offset as GMT+8, GMT-3:30.
func zoneName(secs int) string {
	sign := "+"
	if secs < 0 {
		sign, secs = "-", -secs
	}
	name := "GMT" + sign + strconv.Itoa(secs/3600)
	if m := secs % 3600 / 60; m != 0 {
		name += fmt.Sprintf(":%02d", m)
	}
	return name
}
