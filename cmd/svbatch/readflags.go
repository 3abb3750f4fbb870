package main

import (
	"strings"

	"github.com/spf13/pflag"

	"svbatch/batch"
	"svbatch/table"
)

// readFlags say how to read an input file; validate and run share them, so a file that validates
// is read by run exactly the same way.
type readFlags struct {
	sheet       string
	mapping     string
	encoding    string
	delimiter   string
	amountUnit  string
	headerRow   int
	idNamespace string // run only (its own flag)
}

func (r *readFlags) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&r.sheet, "sheet", "", "XLSX: sheet name or 1-based number (default: the first visible sheet)")
	fs.StringVar(&r.mapping, "mapping", "", "YAML file mapping the file's columns to svbatch's, plus constants")
	fs.StringVar(&r.encoding, "encoding", "auto", "CSV encoding: auto, utf-8, gbk, gb18030, utf-16le or utf-16be")
	fs.StringVar(&r.delimiter, "delimiter", "", `CSV delimiter: "," ";" or "tab" (default: detected)`)
	fs.StringVar(&r.amountUnit, "amount-unit", "", "unit of change_value: fen (integers) or yuan (at most 2 decimals, converted exactly); default fen, or the unit a header such as 金额(元) names")
	fs.IntVar(&r.headerRow, "header-row", 0, "the sheet row that holds the header (default: found among the first rows, below titles and empty rows)")
}

// options checks the flags (usage errors, exit 2) and returns the reading options.
func (r *readFlags) options() (batch.Options, error) {
	var d rune
	switch strings.ToLower(r.delimiter) {
	case "", "auto":
	case ",", "comma":
		d = ','
	case ";", "semicolon":
		d = ';'
	case "tab", `\t`, "\t":
		d = '\t'
	case "|", "pipe":
		d = '|'
	default:
		return batch.Options{}, usageErr(`--delimiter %q: want ",", ";" or tab`, r.delimiter)
	}
	if r.headerRow < 0 {
		return batch.Options{}, usageErr("--header-row %d: want a row number (1 is the first row)", r.headerRow)
	}
	unit := strings.ToLower(r.amountUnit)
	switch unit {
	case "", "fen", "yuan":
	default:
		return batch.Options{}, usageErr("--amount-unit %q: want fen or yuan", r.amountUnit)
	}
	switch strings.ToLower(r.encoding) {
	case "", "auto", "utf-8", "utf8", "gbk", "gb18030", "utf-16le", "utf-16be":
	default:
		return batch.Options{}, usageErr("--encoding %q: want auto, utf-8, gbk, gb18030, utf-16le or utf-16be", r.encoding)
	}
	return batch.Options{
		Table:       table.Options{Sheet: r.sheet, Encoding: r.encoding, Delimiter: d, HeaderRow: r.headerRow},
		MappingFile: r.mapping, AmountUnit: unit, IDNamespace: r.idNamespace,
	}, nil
}
