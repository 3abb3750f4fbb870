package undo

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"svbatch"
)

// movedRows calls fn for each row of a results file that moved money: status succeeded,
// already_done (it succeeded in an earlier run) or succeeded_after_fix, in either language svbatch
// writes. line is the input's row number (the results' row column) when there is one. get returns a
// canonical column's text, as the run read it (formula neutralising undone).
func movedRows(src Source, fn func(line int, get func(col string) string) error) error {
	col := map[string]int{}
	for i, h := range src.Header() {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))] = i
		if n, ok := svbatch.ResultColumnName(h); ok {
			col[n] = i // a results workbook written in Chinese (品牌ID, 状态)
		}
	}
	for _, c := range []string{svbatch.ColBrandID, svbatch.ColOperateType, svbatch.ColOuterOrderID, svbatch.ColChangeValue, svbatch.ColStatus} {
		if _, ok := col[c]; !ok {
			return fmt.Errorf("results: column %s missing (is this a results file of svbatch run?)", c)
		}
	}
	for {
		line, cells, err := src.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("results: %w", err)
		}
		get := func(c string) string {
			if i, ok := col[c]; ok && i < len(cells) {
				return svbatch.Unneutralise(strings.TrimSpace(cells[i]))
			}
			return ""
		}
		switch st, _ := svbatch.ParseStatus(get(svbatch.ColStatus)); st {
		case svbatch.Succeeded, svbatch.AlreadyDone, svbatch.SucceededAfterFix:
		default:
			continue // moved no money
		}
		if r := get(svbatch.ColRow); r != "" {
			if n, err := strconv.Atoi(r); err == nil {
				line = n
			}
		}
		if err := fn(line, get); err != nil {
			return err
		}
	}
}
