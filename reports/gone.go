package reports

import (
	"github.com/xuri/excelize/v2"

	"svbatch"
)

// Names of the sheet of rows no longer in the file.
const (
	GoneSheet   = "Not in file"
	GoneSheetZH = "不在文件中"
)

// GoneRow is a row the journal holds as may-have-been-applied (unknown, or in flight when a run
// died) that is no longer in the input: nobody would look at it again unless the results say so.
type GoneRow struct {
	Line      int // the row it was when last written
	RequestID string
	State     svbatch.Status
	Amount    int64 // fen, as sent; meaningful when HasAmount
	HasAmount bool
	Note      string
}

// goneWhat is the advice the Not-in-file sheet gives every row.
var goneWhat = map[svbatch.Lang]string{
	svbatch.LangEN: "may have been applied, and is no longer in the file: check the account (svbatch resolve asks the platform), or put the row back and run again (resent with the same request_id, safe)",
	svbatch.LangZH: "可能已生效，但已不在文件中：请核对账户（svbatch resolve 可向平台查询），或把该行放回文件再运行一次（以相同 request_id 重发，安全）",
}

// SetGone lists rows on a sheet of their own (Not in file), written by Close. XLSX only: a CSV
// results file holds the Results rows alone (run prints these rows too).
func (w *Results) SetGone(rows []GoneRow) { w.gone = rows }

func (w *Results) resWriteGone() error {
	if len(w.gone) == 0 || w.xf == nil {
		return nil
	}
	name := pick(w.lang, GoneSheet, GoneSheetZH)
	if _, err := w.xf.NewSheet(name); err != nil {
		return err
	}
	ss, err := w.b.newStream(name)
	if err != nil {
		return err
	}
	sw := ss.sw
	labels := map[svbatch.Lang][]string{
		svbatch.LangEN: {"journal_row", "request_id", "state", "change_value", "change_value_yuan", "what to do", "note"},
		svbatch.LangZH: {"日志行号", "request_id", "状态", "金额(分)", "金额(元)", "处理建议", "备注"},
	}[w.lang]
	if labels == nil {
		labels = []string{"journal_row", "request_id", "state", "change_value", "change_value_yuan", "what to do", "note"}
	}
	for i, wd := range []float64{12, 36, 14, 14, 16, 70, 60} {
		if err := sw.SetColWidth(i+1, i+1, max(wd, resHeaderWidth(labels[i]))); err != nil {
			return err
		}
	}
	if err := resFreezeHeader(sw); err != nil {
		return err
	}
	hdr := make([]any, len(labels))
	for i, l := range labels {
		c, err := w.b.text(l, w.boldStyle)
		if err != nil {
			return err
		}
		hdr[i] = c
	}
	if err := ss.setRow(1, hdr); err != nil {
		return err
	}
	what := goneWhat[w.lang]
	if what == "" {
		what = goneWhat[svbatch.LangEN]
	}
	for i, g := range w.gone {
		cells := []any{g.Line}
		for _, s := range []string{g.RequestID, w.lang.StatusLabel(g.State)} {
			c, err := w.b.text(s, 0)
			if err != nil {
				return err
			}
			cells = append(cells, c)
		}
		if g.HasAmount {
			cells = append(cells, excelize.Cell{StyleID: w.st.fen, Value: g.Amount},
				excelize.Cell{StyleID: w.st.yuan, Value: svbatch.FormatYuan(g.Amount)}) // a number once zipped
		} else {
			cells = append(cells, "", "")
		}
		for _, s := range []string{what, g.Note} {
			c, err := w.b.text(s, 0)
			if err != nil {
				return err
			}
			cells = append(cells, c)
		}
		if err := ss.setRow(i+2, cells); err != nil {
			return err
		}
	}
	return ss.finish(true, 1)
}
