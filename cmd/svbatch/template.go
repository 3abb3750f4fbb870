package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"svbatch"
	"svbatch/batch"
	"svbatch/reports"
)

// templateOptions are the flags of svbatch template.
type templateOptions struct {
	out, lang string
}

func newTemplateCmd(io *cmdIO) *cobra.Command {
	var o templateOptions
	cmd := &cobra.Command{
		Use:   "template",
		Short: "Write a ready-to-fill operations workbook",
		Long: `template writes an XLSX workbook to fill in: the columns svbatch reads (Chinese labels with
--lang zh), id and mobile columns formatted as Text so Excel keeps every digit, drop-down lists for
operate_type and outer_type, a hint on change_value (fen), an Example sheet with a filled-in row (never read as data) and an Instructions sheet.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTemplate(io, o)
		},
	}
	cmd.Flags().StringVar(&o.out, "out", "template.xlsx", "where to write the workbook")
	cmd.Flags().StringVar(&o.lang, "lang", "en", "header language: en or zh")
	return cmd
}

func runTemplate(cio *cmdIO, o templateOptions) error {
	l, err := svbatch.ParseLang(o.lang)
	if err != nil {
		return usageErr("--lang %q: want en or zh", o.lang)
	}
	lang := string(l)
	if err := reports.WriteTemplate(o.out, templateFor(lang)); err != nil {
		return withCode(exitFailed, err)
	}
	fmt.Fprintf(cio.stdout, "wrote %s\n", o.out)
	return nil
}

// templateFor lays the canonical columns out as a template in lang.
func templateFor(lang string) reports.Template {
	zh := lang == "zh"
	t := reports.Template{Sheet: "Operations", Lang: svbatch.Lang(lang)}
	if zh {
		t.Sheet = "操作"
		t.Labels = [4]string{"列", "必填", "填写说明", "示例"}
		t.Instructions = []string{
			"svbatch 储值批量操作模板：每行一笔操作（充值、冻结、核销、充值回退）。",
			"“示例”工作表有一行填写示例（不会被当作数据读取）；请从第 2 行起在本表填写。ID 和手机号列已设为文本格式，请勿改为数字格式，否则 Excel 会把长数字变成科学计数法或去掉开头的 0。",
			"金额单位为分（10000 = 100.00元）。按元填写时，把金额列的表头写成“金额(元)”。填写完成后先运行：svbatch validate 文件名.xlsx，检查无误后再运行：svbatch run 文件名.xlsx",
		}
	} else {
		t.Instructions = []string{
			"svbatch stored-value operations: one operation per row (charge, freeze, verify, refund).",
			"The Example sheet shows one filled-in row (it is never read as data); fill in this sheet from row 2. Id and mobile columns are formatted as Text: keep them so, or Excel rounds long numbers.",
			"Amounts are in fen (10000 = 100.00 yuan). When done, check the file first: svbatch validate FILE.xlsx",
		}
	}
	for _, d := range batch.ColumnDocs() {
		c := reports.TemplateColumn{Header: d.Name, Text: d.Text, Amount: d.Amount, Example: d.Example,
			Required: d.Required, About: d.About, Choices: d.Choices}
		if zh {
			c.Header, c.About, c.Choices = d.Chinese, d.AboutZ, d.ChoicesZ
			c.Required, c.Example = d.RequiredZ, d.ExampleZ
		}
		switch {
		case d.Amount && zh:
			c.Hint = "单位：分，正整数（10000 = 100.00元）"
		case d.Amount:
			c.Hint = "in fen: a whole number > 0 (10000 = 100.00 yuan)"
		case d.Name == batch.ColOperateType && zh:
			c.Hint = "充值、冻结、核销或充值回退"
		case d.Name == batch.ColOperateType:
			c.Hint = "charge, freeze, verify or refund (or 1-4)"
		case d.Name == batch.ColMobile && zh:
			c.Hint = "文本格式：保留所有数字"
		case d.Name == batch.ColMobile:
			c.Hint = "kept as text: every digit stays"
		}
		if d.Name == batch.ColReason {
			c.Width = 28
		}
		t.Columns = append(t.Columns, c)
	}
	return t
}
