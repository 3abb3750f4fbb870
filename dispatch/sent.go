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
}

// sentOf is the record of sending req in round.
func sentOf(req client.RechargeRequest, round string) string {
	b, _ := json.Marshal(Sent{ChangeValue: req.ChangeValue, ShopID: req.ShopID, OperatorID: req.OperatorID,
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
