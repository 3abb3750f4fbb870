package dispatch

import (
	"encoding/json"

	"svbatch/client"
	"svbatch/journal"
)

// Sent is what a journal entry's payload hash stands for: the values of the last send, and the
// Retry round that sent them. It is what a results row shows when the file no longer has those
// values because the row was fixed and sent from a Retry sheet (svbatch.SucceededAfterFix).
type Sent struct {
	// The operation's identity (what its request_id stands for), so that a journal alone says what
	// to ask the platform about (svbatch resolve).
	BrandID         string `json:"brand_id,omitempty"`
	OperateType     int    `json:"operate_type,omitempty"`
	OuterOrderID    string `json:"outer_order_id,omitempty"`
	NewOuterOrderID string `json:"new_outer_order_id,omitempty"`

	ChangeValue int64  `json:"fen"`
	ShopID      string `json:"shop_id,omitempty"`
	OperatorID  string `json:"operator_id,omitempty"`
	CustomerID  string `json:"customer_id,omitempty"`
	Mobile      string `json:"mobile,omitempty"`
	OuterID     string `json:"outer_id,omitempty"`
	OuterType   string `json:"outer_type,omitempty"`
	Reason      string `json:"reason,omitempty"`
	// Round is the file of the Retry round that sent it (Config.FixRound); "" for a file of
	// operations.
	Round string `json:"round,omitempty"`
	// FixedFrom, for a send of a Retry round, is the payload hash of the row as the original file
	// had it (what the fix replaced; through several rounds, the first): only that row is
	// superseded by the fix (succeeded_after_fix).
	FixedFrom string `json:"fixed_from,omitempty"`
}

// SentRecord is the record (journal.Entry.Sent) of sending req in round, fixing the row whose
// payload hash was fixedFrom (Retry rounds; "" otherwise): what the send path writes, for tools
// and tests that build entries.
func SentRecord(req client.RechargeRequest, round, fixedFrom string) string {
	return sentOf(req, round, fixedFrom)
}

// fixedFromOf is what a send in round replaces: nothing outside a Retry round; in one, the row as
// the original file had it — the payload the entry held before, or, when that was itself a fix,
// what that one replaced.
func fixedFromOf(prev journal.Entry, round string) string {
	if round == "" || prev.PayloadHash == "" {
		return ""
	}
	if s, ok := SentOf(prev); ok && s.Round != "" && s.FixedFrom != "" {
		return s.FixedFrom
	}
	return prev.PayloadHash
}

// sentOf is the record of sending req in round.
func sentOf(req client.RechargeRequest, round, fixedFrom string) string {
	b, _ := json.Marshal(Sent{BrandID: req.BrandID, OperateType: int(req.OperateType), OuterOrderID: req.OuterOrderID,
		NewOuterOrderID: req.NewOuterOrderID, FixedFrom: fixedFrom, ChangeValue: req.ChangeValue, ShopID: req.ShopID, OperatorID: req.OperatorID,
		CustomerID: req.CustomerID, Mobile: req.Mobile, OuterID: req.OuterID, OuterType: req.OuterType,
		Reason: req.Reason, Round: round}) // strings and integers always encode
	return string(b)
}

// SentOf reads e's record of what was sent; ok is false when the entry has none (written before
// svbatch kept it, or never sent) or it cannot be read.
func SentOf(e journal.Entry) (Sent, bool) {
	var s Sent
	if e.Sent == "" || json.Unmarshal([]byte(e.Sent), &s) != nil {
		return Sent{}, false
	}
	return s, true
}
