// Package svbatch is the domain of svbatch: the concepts every other package shares, each defined
// once here. Operate types, the customer identity and the account key, the row identity and its
// request_id (version 1, ../shared/testvectors), money in fen (one parser for fen and yuan, checked
// sums, yuan formatting, the limits), row statuses, the answer fields that the journal keeps and
// the results show, and the one table of results columns.
//
// It imports nothing of the module, so any package may import it (DESIGN.md §1).
package svbatch
