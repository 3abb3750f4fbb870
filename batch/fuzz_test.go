package batch

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"svbatch"
	"testing"
	"unicode/utf8"
)

// FuzzCSVRows feeds arbitrary bytes through the CSV path (encoding detection, delimiter
// detection, parsing, header mapping, validation): it must never panic, row numbers must grow,
// and a valid row must carry a request_id and an amount > 0.
func FuzzCSVRows(f *testing.F) {
	f.Add([]byte("brand_id,shop_id,operator_id,outer_order_id,operate_type,change_value,mobile\nB,S,o,O1,1,100,13800000000\n"))
	f.Add([]byte("\xEF\xBB\xBF品牌ID;门店ID;操作人ID;外部订单号;操作类型;金额;顾客ID\r\nB;S;o;O1;充值;1E+3;C1\r\n\r\nB;S;o;O1;充值;1;C1\r\n"))
	f.Add([]byte("brand_id\tshop_id\toperator_id\touter_order_id\toperate_type\tchange_value\touter_id\touter_type\nB\tS\to\t\"O\n1\"\t4\t1\toid\twechat\n"))
	f.Add([]byte("\xc6\xb7\xc5\xc6ID,x\n\xb3\xe4,\"\n"))
	f.Add([]byte("a,\"b\nc"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tb, err := newCSVTable("fuzz.csv", io.NopCloser(bytes.NewReader(data)), "", 0)
		if err != nil {
			return
		}
		r, err := newReader("fuzz.csv", tb, Options{}, svbatch.Fen, nil)
		if err != nil {
			return
		}
		defer r.Close()
		last := 1
		for {
			row, problems, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				return
			}
			if row.Line <= last {
				t.Fatalf("row %d after row %d", row.Line, last)
			}
			last = row.Line
			if len(row.Raw) != len(r.Header()) {
				t.Fatalf("Raw has %d cells; header %d", len(row.Raw), len(r.Header()))
			}
			if len(problems) == 0 {
				if row.Req.RequestID == "" || row.Req.ChangeValue <= 0 || row.Req.ChangeValue > svbatch.MaxChangeValue || !row.Req.OperateType.Valid() || row.AccountKey == "" {
					t.Fatalf("valid row %d incomplete: %+v", row.Line, row.Req)
				}
				if !utf8.ValidString(row.Req.OuterOrderID) || strings.ContainsAny(row.Req.Reason, "\r\n") {
					t.Fatalf("valid row %d with bad text: %+v", row.Line, row.Req)
				}
			}
		}
	})
}

// FuzzCellText feeds arbitrary stored values through the XLSX cell conversion: no panic; a number
// without a note is plain decimal text of at most 15 significant digits.
func FuzzCellText(f *testing.F) {
	for _, s := range []string{"1332", "0.30000000000000004", "1.2345678901234568E+17", "1E+3", "-0", "45306.5", "1e-400", "9E9999", ".", "1.", "0000"} {
		f.Add("n", s, uint8(0), false, true)
	}
	f.Add("", "45306", uint8(1), false, true)
	f.Add("s", "00123", uint8(0), false, true)
	f.Add("", "", uint8(0), true, false)
	f.Fuzz(func(t *testing.T, typ, v string, style uint8, formula, value bool) {
		text, note := xlsxCellText(typ, v, styleKind(style%3), formula, value, style&4 != 0)
		if (typ == "" || typ == "n") && value && strings.TrimSpace(v) != "" && note == noteNone && styleKind(style%3) == styleGeneral {
			d, ok := parseDecimal(text)
			if !ok || len(d.digits) > maxExcelDigits || strings.ContainsAny(text, "eE") {
				t.Fatalf("numberText(%q) = %q: not plain decimal of ≤ 15 digits", v, text)
			}
			if d.exp > maxExcelDigits {
				t.Fatalf("numberText(%q) = %q: integer of more than 15 digits without a note", v, text)
			}
		}
	})
}
