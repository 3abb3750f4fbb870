package batch

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"svbatch"
	"svbatch/table"
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
		tb, err := table.NewCSV("fuzz.csv", io.NopCloser(bytes.NewReader(data)), table.Options{})
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
				if !utf8.ValidString(row.Req.OuterOrderID) || strings.ContainsAny(row.Req.OuterOrderID+row.Req.BrandID+row.Req.CustomerID, "\r\n\t") ||
					strings.ContainsFunc(row.Req.Reason, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\r' && r != '\t' }) {
					t.Fatalf("valid row %d with bad text: %+v", row.Line, row.Req)
				}
			}
		}
	})
}
