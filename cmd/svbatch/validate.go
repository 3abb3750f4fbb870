package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"svbatch/batch"
	"svbatch/reports"
	"svbatch/table"
)

// validateOptions are the flags of svbatch validate.
type validateOptions struct {
	read readFlags
	out  string
	json bool
	show int

	output outputFlags // --lang of the errors workbook
}

func newValidateCmd(io *cmdIO) *cobra.Command {
	var o validateOptions
	cmd := &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a CSV or XLSX file of operations; send nothing",
		Long: `validate reads FILE (CSV in UTF-8/GBK/GB18030, or XLSX) exactly as run would, and reports every
problem as row, column, value and message. No network. Exit 0 when every row is valid, 2 otherwise.`,
		Args: oneFile,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runValidate(io, o, args[0])
		},
	}
	o.read.addFlags(cmd.Flags())
	cmd.Flags().BoolVar(&o.json, "json", false, `print the report as JSON: {"file","encoding","rows","valid","errors":[{"row","column","value","message"}]}`)
	cmd.Flags().StringVar(&o.out, "out", "", "also write the input back as a workbook with the bad cells highlighted and an Errors sheet")
	cmd.Flags().IntVar(&o.show, "show", 20, "how many problems to print (human output)")
	o.output.addFlags(cmd.Flags(), false)
	return cmd
}

func runValidate(cio *cmdIO, o validateOptions, path string) error {
	opt, err := o.read.options()
	if err != nil {
		return err
	}
	rep, err := batch.Validate(path, opt)
	if err != nil {
		return usageErr("%v", oneLine(err))
	}
	if o.out != "" {
		if err := writeErrorsWorkbook(o.out, path, opt, rep, o.output); err != nil {
			return usageErr("%v", oneLine(err))
		}
	}
	if o.json {
		enc := json.NewEncoder(cio.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printReport(cio.stdout, rep, o.show)
		if o.out != "" {
			fmt.Fprintf(cio.stdout, "wrote %s\n", o.out)
		}
	}
	if !rep.OK() {
		return withCode(exitUsage, nil)
	}
	return nil
}

// oneLine keeps an error to its first line: unreadable files get one clear line, never a dump.
func oneLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// printReport prints a short summary and the first problems, grouped by column.
func printReport(w io.Writer, rep *batch.Report, show int) {
	defer func() {
		if rep.HeaderRow > 1 {
			fmt.Fprintf(w, "(the header is in row %d; --header-row N chooses another)\n", rep.HeaderRow)
		}
		for _, wr := range rep.Warnings {
			fmt.Fprintf(w, "Warning: %s\n", wr.Message)
		}
	}()
	total := len(rep.Errors)
	if rep.ErrorsTotal > total {
		total = rep.ErrorsTotal
	}
	if total == 0 {
		fmt.Fprintf(w, "%s: %d rows (%s), all valid\n", rep.File, rep.Rows, rep.Encoding)
		return
	}
	badRows := map[int]bool{}
	for _, p := range rep.Errors {
		badRows[p.Row] = true
	}
	if rep.Rows == 0 && len(rep.Errors) > 0 && rep.Errors[0].Row == 1 {
		fmt.Fprintf(w, "%s (%s): the header cannot be used — %d %s\n", rep.File, rep.Encoding, total, plural(total, "problem"))
	} else {
		fmt.Fprintf(w, "%s: %d rows (%s), %d valid, %d %s\n", rep.File, rep.Rows, rep.Encoding, rep.Valid, total, plural(total, "problem"))
	}
	shown := rep.Errors
	if show >= 0 && len(shown) > show {
		shown = shown[:show]
	}
	var order []string
	groups := map[string][]batch.Problem{}
	for _, p := range shown {
		if _, ok := groups[p.Column]; !ok {
			order = append(order, p.Column)
		}
		groups[p.Column] = append(groups[p.Column], p)
	}
	for _, col := range order {
		fmt.Fprintf(w, "%s:\n", col)
		for _, p := range groups[col] {
			if p.Value != "" {
				fmt.Fprintf(w, "  row %d: %s — %s\n", p.Row, displayValue(p.Value), p.Message)
			} else {
				fmt.Fprintf(w, "  row %d: %s\n", p.Row, p.Message)
			}
		}
	}
	if rest := total - len(shown); rest > 0 {
		fmt.Fprintf(w, "… and %d more (--json or --out errors.xlsx lists them all)\n", rest)
	}
}

// displayValue quotes a value that would not print as one plain line.
func displayValue(v string) string {
	if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f || r == 0xFFFD }) || !utf8.ValidString(v) {
		return strconv.Quote(v)
	}
	return v
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	return s + "s"
}

// writeErrorsWorkbook streams the input again into the errors workbook.
func writeErrorsWorkbook(out, path string, opt batch.Options, rep *batch.Report, of outputFlags) error {
	topt, err := batch.TableOptions(opt) // the same header row and options validate used
	if err != nil {
		return err
	}
	t, err := table.Open(path, topt)
	if err != nil {
		return err
	}
	defer t.Close()
	errs := make([]reports.CellError, len(rep.Errors))
	for i, p := range rep.Errors {
		errs[i] = reports.CellError{Row: p.Row, Col: p.Col, Column: p.Column, Value: p.Value, Message: p.Message}
	}
	in := reports.ValidationInput{Source: path, Header: t.Header(), Next: t.Next, Errors: errs, ErrorsTotal: rep.ErrorsTotal}
	if in.Lang, _, err = of.resolve(t.Header()); err != nil {
		return err
	}
	if err := reports.WriteValidation(out, in); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	return nil
}
