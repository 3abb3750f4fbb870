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

// checked is what the stateless checks of a row leave for the duplicate check.
type checked struct {
	identity, explicit       bool
	identityKey, explicitKey uint64
}

// dedup checks the row's identity and explicit request_id against the rows before it.
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
	if ck.explicit {
		s := row.Req.RequestID
		first, firstValid, dup := r.seen.seen(ck.explicitKey, row.Line, len(problems) == 0)
		if dup {
			p := Problem{Row: row.Line, Column: r.name[fRequestID], Value: s, Col: r.col[fRequestID],
				Message: fmt.Sprintf("request_id already used in row %d: each row needs its own", first)}
			problems = append(problems, p)
			if r.onDup != nil {
				p.Row = first
				p.Message = fmt.Sprintf("request_id used again in row %d: each row needs its own", row.Line)
				r.onDup(firstValid, p)
			}
			if valid && ck.identity {
				r.seen.unmark(ck.identityKey) // this row is invalid after all
			}
		}
	}
	return problems
}
