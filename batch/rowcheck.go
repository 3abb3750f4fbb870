package batch

import (
	"fmt"
	"hash/maphash"
	"strings"
	"unicode/utf8"

	"svbatch"
	"svbatch/table"
)

// validate runs the checks of one row that need no other row: it fills row.Req and
// row.AccountKey and appends every problem. It must not touch mutable Reader state: it runs on
// the read-ahead goroutine.
func (r *Reader) validate(row *Row, notes []table.Note, texts []string, problems []Problem) ([]Problem, checked) {
	var v [nFields]string
	bad := func(f int, value, msg string) {
		problems = append(problems, Problem{Row: row.Line, Column: r.name[f], Value: value, Message: msg, Col: r.col[f]})
	}
	var broken [nFields]bool // the field already has a problem
	for f := 0; f < nFields; f++ {
		var s string
		if c := r.col[f]; c >= 0 {
			s = trimSpace(row.Raw[c])
			if c < len(notes) && notes[c] != table.NoteNone {
				if n := notes[c]; noteRefused(f, n) {
					other := ""
					if c < len(texts) {
						other = texts[c]
					}
					bad(f, s, n.Describe(s, other))
					broken[f] = true
					continue
				}
			}
		} else {
			s = r.constant[f]
		}
		v[f] = s
		if s == "" {
			continue
		}
		if msg := textProblem(f, s); msg != "" {
			bad(f, s, msg)
			broken[f] = true
		}
	}
	for _, f := range requiredFields {
		if v[f] == "" && !broken[f] {
			bad(f, "", "is required")
			broken[f] = true
		}
	}
	req := &row.Req
	req.BrandID, req.ShopID, req.OperatorID = v[fBrand], v[fShop], v[fOperator]
	req.OuterOrderID, req.NewOuterOrderID = v[fOuterOrder], v[fNewOuterOrder]
	req.CustomerID, req.Mobile, req.OuterID = v[fCustomer], v[fMobile], v[fOuterID]
	req.Reason = v[fReason]

	if s := v[fOperateType]; s != "" && !broken[fOperateType] {
		op, err := svbatch.ParseOperateType(s)
		if err != nil {
			bad(fOperateType, s, "must be 1-4, charge|freeze|verify|refund or 充值|冻结|核销|充值回退")
			broken[fOperateType] = true
		} else {
			req.OperateType = op
		}
	}
	if s := v[fChangeValue]; s != "" && !broken[fChangeValue] {
		fen, msg := svbatch.ParseChangeValue(s, r.unit)
		if msg != "" {
			bad(fChangeValue, s, msg)
			broken[fChangeValue] = true
		} else {
			req.ChangeValue = fen
		}
	}
	if s := v[fMobile]; s != "" && !broken[fMobile] {
		if msg := mobileProblem(s); msg != "" {
			bad(fMobile, s, msg)
			broken[fMobile] = true
		}
	}
	if s := v[fOuterType]; s != "" && !broken[fOuterType] {
		ot, ok := normOuterType(s)
		if !ok {
			bad(fOuterType, s, "must be wechat or alipay (微信 or 支付宝)")
			broken[fOuterType] = true
		} else {
			req.OuterType = ot
		}
	}
	switch {
	case v[fOuterID] != "" && v[fOuterType] == "" && !broken[fOuterType]:
		bad(fOuterType, "", "is required when outer_id is given: wechat or alipay")
		broken[fOuterType] = true
	case v[fOuterID] == "" && v[fOuterType] != "" && !broken[fOuterID] && !broken[fOuterType]:
		bad(fOuterID, "", "is required when outer_type is given")
		broken[fOuterID] = true
	}
	accountKind, account := "", ""
	switch {
	case v[fCustomer] != "":
		accountKind, account = ColCustomerID, v[fCustomer]
	case v[fMobile] != "":
		accountKind, account = ColMobile, v[fMobile]
	case v[fOuterID] != "":
		accountKind, account = req.OuterType, v[fOuterID]
	}
	if account == "" && !broken[fCustomer] && !broken[fMobile] && !broken[fOuterID] {
		f := fCustomer
		if r.col[f] < 0 {
			if r.col[fMobile] >= 0 {
				f = fMobile
			} else if r.col[fOuterID] >= 0 {
				f = fOuterID
			}
		}
		bad(f, "", "no customer: fill customer_id, mobile, or outer_id with outer_type")
	}
	if req.OperateType == svbatch.Refund {
		switch {
		case v[fNewOuterOrder] == "" && !broken[fNewOuterOrder]:
			bad(fNewOuterOrder, "", "is required for a refund (operate_type 4): the refund's own order number")
			broken[fNewOuterOrder] = true
		case v[fNewOuterOrder] != "" && v[fNewOuterOrder] == v[fOuterOrder]:
			bad(fNewOuterOrder, v[fNewOuterOrder], "must differ from outer_order_id (the charge being refunded)")
			broken[fNewOuterOrder] = true
		}
	} else if req.OperateType != 0 && v[fNewOuterOrder] != "" && !broken[fNewOuterOrder] {
		bad(fNewOuterOrder, v[fNewOuterOrder], "is only for refunds (operate_type 4): leave it empty for "+req.OperateType.String())
		broken[fNewOuterOrder] = true
	}

	ck := checked{}
	explicit := v[fRequestID]
	if !broken[fBrand] && !broken[fOperateType] && !broken[fOuterOrder] && !broken[fNewOuterOrder] && req.OperateType != 0 {
		switch {
		case r.checkOnly && !r.has(fRequestID):
			ck.identityKey = r.identityKey(req)
		default:
			req.RequestID, ck.identityKey = r.ids.id(r.opt.IDNamespace, req.BrandID, int(req.OperateType), req.OuterOrderID, req.NewOuterOrderID)
		}
		ck.identity = true
		if explicit == "" && r.has(fRequestID) {
			// In a file where some rows give their own request_id, the id derived for this row
			// must not be one of theirs: both rows would share one journal entry.
			ck.derived, ck.explicitKey = true, maphash.String(r.seed, req.RequestID)
		}
	}
	if explicit != "" && !broken[fRequestID] {
		req.RequestID = explicit
		ck.explicit, ck.explicitKey = true, maphash.String(r.seed, explicit)
	}
	if account != "" && req.BrandID != "" && !r.checkOnly {
		row.AccountKey = req.BrandID + "|" + accountKind + ":" + account
	}
	return problems, ck
}

// trimSpace is strings.TrimSpace with a fast path for the common cell that starts and ends with
// a printable ASCII character.
func trimSpace(s string) string {
	if n := len(s); n > 0 && s[0] > ' ' && s[0] < utf8.RuneSelf && s[n-1] > ' ' && s[n-1] < utf8.RuneSelf {
		return s
	}
	return strings.TrimSpace(s)
}

// noteRefused reports whether a cell with note n cannot be taken as the value of field f: a
// formula without a (current) value or an error is never a value; a number that Excel shows with
// separators or symbols is a fine amount but no id; in free text (reason) a date or a number as
// Excel shows it is still text.
func noteRefused(f int, n table.Note) bool {
	switch n {
	case table.NoteNoCache, table.NoteStale, table.NoteError:
		return true
	case table.NoteFormatted:
		// The number is exact; only an id must be what Excel shows (1,234 or S007 is no id).
		return exactField(f) && f != fChangeValue
	}
	return f != fReason
}

// exactFields hold ids or numbers that Excel must not have turned into scientific notation.
func exactField(f int) bool { return f != fReason && f != fOperateType && f != fOuterType }

// textProblem checks what every field must satisfy: valid UTF-8, no control characters (but line
// breaks and tabs in reason), the length limit, and (ids, mobile) no scientific notation. Plain
// ASCII takes a fast path.
func textProblem(f int, s string) string {
	hasE := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return textProblemSlow(f, s)
		}
		if c < 0x20 || c == 0x7f {
			if f == fReason && isLineSpace(c) {
				continue
			}
			return msgControl
		}
		if c == 'e' || c == 'E' {
			hasE = true
		}
	}
	// ASCII: bytes are characters.
	if limit := fieldLimit(f); limit > 0 && len(s) > limit {
		return fmt.Sprintf("is %d characters long; at most %d are allowed (svbatch never truncates)", len(s), limit)
	}
	if hasE && exactField(f) && f != fChangeValue && svbatch.LooksScientific(s) {
		return table.NoteRounded.Message()
	}
	return ""
}

const msgControl = "contains a control character (line break, tab or similar): remove it"

// isLineSpace: line breaks and tabs, which free text (reason) may hold as people type them in
// Excel (Alt+Enter); ids may not.
func isLineSpace(c byte) bool { return c == '\n' || c == '\r' || c == '\t' }

func fieldLimit(f int) int {
	switch f {
	case fReason:
		return MaxReasonLen
	case fOperateType, fOuterType, fChangeValue:
		return 0
	}
	return MaxIDLen
}

// textProblemSlow is textProblem for text with non-ASCII characters: invalid UTF-8 anywhere
// comes first, then control characters, then the length. In valid UTF-8 the only control
// characters beyond ASCII are U+0080–U+009F (C2 80–C2 9F) and, by our rule, U+2028 and U+2029
// (E2 80 A8, E2 80 A9), so bytes are scanned rather than runes decoded; and a string of no more
// bytes than the limit has no more characters either.
func textProblemSlow(f int, s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8 text: the file mixes encodings — pass --encoding gbk or gb18030"
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c == 0x7f:
			if f == fReason && isLineSpace(c) {
				continue
			}
			return msgControl
		case c == 0xC2:
			if i+1 < len(s) && s[i+1] <= 0x9F {
				return msgControl
			}
		case c == 0xE2:
			if i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9) {
				return msgControl
			}
		}
	}
	if limit := fieldLimit(f); limit > 0 && len(s) > limit {
		if n := utf8.RuneCountInString(s); n > limit {
			return fmt.Sprintf("is %d characters long; at most %d are allowed (svbatch never truncates)", n, limit)
		}
	}
	if exactField(f) && f != fChangeValue && svbatch.LooksScientific(s) {
		return table.NoteRounded.Message()
	}
	return ""
}

// mobileProblem accepts digits with an optional leading + (5 to 20 digits).
func mobileProblem(s string) string {
	d := strings.TrimPrefix(s, "+")
	if !svbatch.AllDigits(d) || len(d) < 5 || len(d) > 20 {
		return "must be a phone number: 5 to 20 digits, optionally with a leading +"
	}
	return ""
}

func normOuterType(s string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "wechat", "微信", "weixin":
		return "wechat", true
	case "alipay", "支付宝":
		return "alipay", true
	}
	return "", false
}
