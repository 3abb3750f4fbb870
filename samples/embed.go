// Package samples embeds the example inputs that `svbatch demo` runs on, so the demo works from any
// directory: operations.csv (the batch), expected.csv (the expected ledger, with planted breaks) and
// expected_balances.csv (the closing balances the batch implies).
package samples

import "embed"

// FS holds the sample files.
//
//go:embed operations.csv expected.csv expected_balances.csv
var FS embed.FS
