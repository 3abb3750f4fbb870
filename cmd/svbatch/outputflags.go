package main

import (
	"time"

	"github.com/spf13/pflag"

	"svbatch"
	"svbatch/reports"
	"svbatch/table"
)

// outputFlags are the flags that say how svbatch's workbooks read: --lang for their headers, sheet
// names, statuses and labels (default: the language of the input's header), --tz for the one time
// zone of their times (default GMT+8, TOP's).
type outputFlags struct {
	lang string
	tz   string
}

// addFlags registers --lang, and --tz when withTZ (the outputs that show times).
func (o *outputFlags) addFlags(f *pflag.FlagSet, withTZ bool) {
	f.StringVar(&o.lang, "lang", "", "language of the output workbook: en or zh (default: the language of the input's headers)")
	if withTZ {
		f.StringVar(&o.tz, "tz", svbatch.GMT8.String(), "time zone of every time in the outputs: GMT+8, an offset such as +05:30, UTC, or a zone name")
	}
}

// resolve returns the language (the flag, else header's) and the time zone.
func (o *outputFlags) resolve(header []string) (svbatch.Lang, *time.Location, error) {
	lang := svbatch.HeaderLang(header)
	if o.lang != "" {
		l, err := svbatch.ParseLang(o.lang)
		if err != nil {
			return "", nil, usageErr("--lang: %v", err)
		}
		lang = l
	}
	tz := svbatch.GMT8
	if o.tz != "" {
		z, err := svbatch.ParseZone(o.tz)
		if err != nil {
			return "", nil, usageErr("--tz: %v", err)
		}
		tz = z
	}
	return lang, tz, nil
}

// check validates the flags' values without an input header.
func (o *outputFlags) check() error {
	_, _, err := o.resolve(nil)
	return err
}

// params are the flags as run parameters of the results workbook (reports.ParamLanguage and
// reports.ParamTimeZone): the results writer reads them, and the Summary lists them.
func (o *outputFlags) params() [][2]string {
	var p [][2]string
	if o.lang != "" {
		if l, err := svbatch.ParseLang(o.lang); err == nil {
			p = append(p, [2]string{reports.ParamLanguage, string(l)})
		}
	}
	if z, err := svbatch.ParseZone(o.tz); err == nil && o.tz != "" {
		p = append(p, [2]string{reports.ParamTimeZone, reports.ZoneLabel(z)})
	}
	return p
}

// retrySheetOf is the name of the Retry sheet of the results workbook at path, in whichever
// language it was written (reports.RetrySheet when it cannot be read).
func retrySheetOf(path string) string {
	if names, err := table.SheetNames(path); err == nil {
		for _, n := range names {
			if reports.IsRetrySheet(n) {
				return n
			}
		}
	}
	return reports.RetrySheet
}

// retrySheetAlias lets --sheet Retry (or 重试) name the Retry sheet of a results workbook written
// in the other language: a reader of svbatch's own outputs accepts both.
func retrySheetAlias(path, sheet string) string {
	if !reports.IsRetrySheet(sheet) {
		return sheet
	}
	names, err := table.SheetNames(path)
	if err != nil {
		return sheet
	}
	found := ""
	for _, n := range names {
		if n == sheet {
			return sheet
		}
		if reports.IsRetrySheet(n) {
			found = n
		}
	}
	if found != "" {
		return found
	}
	return sheet
}
