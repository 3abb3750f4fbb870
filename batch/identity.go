package batch

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"

	"svbatch/client"
)

// identityKey hashes what request_id v1 hashes, but for the duplicate check only: the namespace
// is the same for every row, the operate_type is one byte, and the lengths of the first two ids
// make the encoding injective.
func (r *Reader) identityKey(req *client.RechargeRequest) uint64 {
	b := append(r.keyBuf[:0], byte(req.OperateType))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(req.BrandID)))
	b = append(b, req.BrandID...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(req.OuterOrderID)))
	b = append(b, req.OuterOrderID...)
	b = append(b, req.NewOuterOrderID...)
	r.keyBuf = b
	return maphash.Bytes(r.idSeed, b)
}

// checked is what the stateless checks of a row leave for the duplicate check. explicitKey keys
// the row's request_id: its own (explicit) or, in a file with a request_id column, the derived one
// of a row that leaves the cell empty (derived).
type checked struct {
	identity, explicit, derived bool
	identityKey, explicitKey    uint64
}

// derivedLine marks, in the line the seen table keeps for a request_id, that the id was derived
// (the row left its request_id cell empty). Sheets have at most 2^20 rows, far below the bit.
const derivedLine = 1 << 30

// dedup checks the row's identity and request_id against the rows before it.
func (r *Reader) dedup(row *Row, ck checked, problems []Problem) []Problem {
	valid := len(problems) == 0
	if ck.identity {
		first, firstValid, dup := r.seen.seen(ck.identityKey, row.Line, valid)
		if dup {
			p := Problem{Row: row.Line, Column: r.name[fOuterOrder], Value: row.Req.OuterOrderID, Col: r.col[fOuterOrder],
				Message: fmt.Sprintf("duplicate of row %d: same brand_id, operate_type, outer_order_id and new_outer_order_id (each operation must appear once)", first)}
			problems = append(problems, p)
			if r.onDup != nil {
				p.Row = first
				p.Message = fmt.Sprintf("duplicated in row %d: same brand_id, operate_type, outer_order_id and new_outer_order_id (each operation must appear once)", row.Line)
				r.onDup(firstValid, p)
			}
		}
	}
	if ck.explicit || ck.derived {
		line := row.Line
		if ck.derived {
			line |= derivedLine
		}
		s := row.Req.RequestID
		first, firstValid, dup := r.seen.seen(ck.explicitKey, line, len(problems) == 0)
		firstDerived := first&derivedLine != 0
		first &^= derivedLine
		if dup && ck.derived && firstDerived {
			dup = false // two derived ids are equal only for equal identities, reported above
		}
		if dup {
			var msg, back string
			switch {
			case ck.explicit && !firstDerived:
				msg = fmt.Sprintf("request_id already used in row %d: each row needs its own", first)
				back = fmt.Sprintf("request_id used again in row %d: each row needs its own", row.Line)
			case ck.explicit:
				msg = fmt.Sprintf("request_id is the one svbatch derives for row %d (whose request_id cell is empty): both rows would be one operation; give this row another id or clear the cell", first)
				back = fmt.Sprintf("the request_id svbatch derives for this row is the one row %d gives explicitly: both rows would be one operation", row.Line)
			default:
				msg = fmt.Sprintf("the request_id svbatch derives for this row (%s) is the one row %d gives explicitly: both rows would be one operation; change row %d's request_id", s, first, first)
				back = fmt.Sprintf("request_id is the one svbatch derives for row %d (whose request_id cell is empty): both rows would be one operation", row.Line)
			}
			p := Problem{Row: row.Line, Column: r.name[fRequestID], Value: s, Col: r.col[fRequestID], Message: msg}
			if ck.derived {
				p.Value = ""
			}
			problems = append(problems, p)
			if r.onDup != nil {
				p.Row, p.Message, p.Value = first, back, s
				if !ck.explicit { // the first row gave the id explicitly
					p.Value = s
				}
				r.onDup(firstValid, p)
			}
			if valid && ck.identity {
				r.seen.unmark(ck.identityKey) // this row is invalid after all
			}
		}
	}
	return problems
}
