package table

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"testing"
)

// benchCSVText is 100,000 rows like batch's benchmark input.
func benchCSVText() []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"brand_id", "shop_id", "operator_id", "outer_order_id", "new_outer_order_id", "operate_type", "change_value", "customer_id", "mobile", "outer_id", "outer_type", "reason", "campaign"})
	for i := 0; i < 100_000; i++ {
		w.Write([]string{"1000" + strconv.Itoa(i%7), "S" + strconv.Itoa(i%97), "op-1", "ORD-2025-" + strconv.Itoa(i), "", "1", strconv.Itoa(100 + i), "C" + strconv.Itoa(i), "", "", "", "批量导入 batch import, \"quoted\"", "CMP1"})
	}
	w.Flush()
	return b.Bytes()
}

// BenchmarkCSVParser: our RFC 4180 parser against encoding/csv on the same text.
func BenchmarkCSVParser(b *testing.B) {
	text := benchCSVText()
	b.Run("svbatch", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		for i := 0; i < b.N; i++ {
			p := newCSVParser(bytes.NewReader(text), ',')
			for {
				if _, _, err := p.read(); errors.Is(err, io.EOF) {
					break
				} else if err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("encoding_csv", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		for i := 0; i < b.N; i++ {
			r := csv.NewReader(bytes.NewReader(text))
			r.FieldsPerRecord = -1
			r.LazyQuotes = true
			for {
				if _, err := r.Read(); errors.Is(err, io.EOF) {
					break
				} else if err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
