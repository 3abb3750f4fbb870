package reports

import (
	"bytes"
	"encoding/csv"
	"math"
	"strconv"
	"testing"

	"svbatch"
	"svbatch/reconcile"
)

// refEntryRecord is how the matched CSV's lines were written before matchedCSV: each value as
// text through SafeText, Customer.String and FormatYuan, then encoding/csv. The fast writer must
// give the same bytes.
func refEntryRecord(e reconcile.Entry, l svbatch.Lang) []string {
	num := func(n int64) string { return strconv.FormatInt(n, 10) }
	row := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	amount := func(rec []string, n int64, ok bool) []string {
		if !ok {
			return append(rec, "", "")
		}
		return append(rec, num(n), svbatch.FormatYuan(n))
	}
	side := e.Side
	if l == svbatch.LangZH {
		side = map[string]string{"expected": "预期台账", "results": "运行结果", "": ""}[e.Side]
	}
	rec := []string{SafeText(e.BrandID), num(int64(e.OperateType)), SafeText(e.OuterOrderID), SafeText(e.NewOuterOrderID),
		SafeText(side), row(e.ExpectedRow), row(e.ResultsRow)}
	rec = amount(rec, e.ExpectedAmount, e.HasExpected)
	rec = amount(rec, e.ActualAmount, e.HasResult)
	rec = amount(rec, e.Difference, true)
	return append(rec, SafeText(recStatus(l, e.ExpectedStatus)), SafeText(recStatus(l, e.Status)),
		SafeText(e.ExpectedCustomer.String()), SafeText(e.ActualCustomer.String()), SafeText(e.Note))
}

// TestMatchedCSVLinesAsEncodingCSV: for text that needs quoting (delimiters, quotes, line breaks,
// a leading space, `\.`), starts like a formula, is a plain signed number, is Chinese or empty,
// and for amounts at the int64 limits, every line (and the header, in both languages) is what
// encoding/csv writes for the values as they were written before.
func TestMatchedCSVLinesAsEncodingCSV(t *testing.T) {
	texts := []string{"", "B1", "a,b", `say "hi"`, "two\nlines", "cr\rhere", " lead", "\tTab", `\.`, `\.x`, "=SUM(A1)", "+1", "-3", "-3.5",
		"+x", "@home", "=", "-", "中文,逗号", "\u00a0nbsp", "'quoted", `"`, `""`, "x\r\n"}
	amounts := []int64{0, 1, -1, 99, -99, 100, 12345, -12345, math.MaxInt64, math.MinInt64 + 1, math.MinInt64}
	statuses := []string{"succeeded", "failed", "absent", "", "=odd", "a,b", "成功", "(empty)", "unknown"}
	var entries []reconcile.Entry
	for i, s := range texts {
		for j, a := range amounts {
			e := reconcile.Entry{
				Category: reconcile.Matched,
				Identity: reconcile.Identity{BrandID: s, OperateType: i % 5, OuterOrderID: texts[(i+j)%len(texts)], NewOuterOrderID: texts[(i+2*j)%len(texts)]},
				Side:     []string{"", "expected", "results", "odd,side"}[j%4], HasExpected: j%3 != 0, HasResult: j%2 == 0,
				ExpectedRow: i * j, ResultsRow: j, ExpectedAmount: a, ActualAmount: amounts[(j+1)%len(amounts)], Difference: amounts[(j+3)%len(amounts)],
				ExpectedStatus: statuses[i%len(statuses)], Status: statuses[j%len(statuses)],
				ExpectedCustomer: reconcile.Customer{CustomerID: texts[j%len(texts)], Mobile: texts[i%len(texts)]},
				ActualCustomer:   reconcile.Customer{OuterType: texts[(i+j)%len(texts)], OuterID: s},
				Note:             texts[(i*j)%len(texts)],
			}
			entries = append(entries, e)
		}
	}
	for _, l := range []svbatch.Lang{svbatch.LangEN, svbatch.LangZH} {
		var want bytes.Buffer
		w := csv.NewWriter(&want)
		if err := w.Write(matchedCSVHeader(l)); err != nil {
			t.Fatal(err)
		}
		m := newMatchedCSV(l)
		got := m.appendHeader(nil)
		for i := range entries {
			if err := w.Write(refEntryRecord(entries[i], l)); err != nil {
				t.Fatal(err)
			}
			got = m.appendEntry(got, &entries[i])
		}
		w.Flush()
		if !bytes.Equal(got, want.Bytes()) {
			g, wl := bytes.Split(got, []byte("\n")), bytes.Split(want.Bytes(), []byte("\n"))
			for i := range min(len(g), len(wl)) {
				if !bytes.Equal(g[i], wl[i]) {
					t.Fatalf("lang %q line %d:\n got %q\nwant %q", l, i+1, g[i], wl[i])
				}
			}
			t.Fatalf("lang %q: %d bytes, want %d", l, len(got), len(want.Bytes()))
		}
	}
	for _, a := range amounts {
		if got := string(appendYuan(nil, a)); got != svbatch.FormatYuan(a) {
			t.Errorf("appendYuan(%d) = %q, want %q", a, got, svbatch.FormatYuan(a))
		}
	}
}
