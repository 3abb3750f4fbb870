package sandbox

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"sort"
	"strconv"
	"time"

	"svbatch"
	"svbatch/client"
)

// flowRec is one flow of the ledger: what an applied operation did to an account's available
// balance. An operation records one flow, except a verify that posts an open hold: an UNFREEZE of
// the whole hold, then the VERIFY (client.FlowTypeOf). The ledger keeps only the operation number
// of each flow (ledger.flows) and derives the rest from the operation (ledger.flowAt).
type flowRec struct {
	seq      int64 // flow_id
	opSeq    int64 // the operation (Operation.Seq) that recorded it
	typ      string
	acct     acctKey
	acctNum  uint32 // the account's number in the ledger (flowAt only)
	shop     string
	outer    string // outer_order_id: the operation's, or a refund's new_outer_order_id
	outerPay string // a refund's charge (outer_pay_id)
	operator string
	remark   string
	value    int64 // order_value, fen, signed
	after    int64 // current_value: available after, fen
	at       time.Time
}

// flowsOf is the flows of applied operation o, given the account's available balance before it and
// the amount of the open hold it posts (0: none), numbered after lastSeq.
func flowsOf(o *Operation, operator, remark string, availBefore, postedHold, lastSeq int64) []flowRec {
	base := flowRec{opSeq: o.Seq, acct: accountOf(&client.RechargeRequest{BrandID: o.BrandID, CustomerID: o.CustomerID,
		Mobile: o.Mobile, OuterType: o.OuterType, OuterID: o.OuterID}), shop: o.ShopID, outer: o.OuterOrderID,
		operator: operator, remark: remark, at: o.AppliedAt}
	if o.OperateType == svbatch.Refund {
		base.outer, base.outerPay = o.NewOuterOrderID, o.OuterOrderID
	}
	out := make([]flowRec, 0, 2)
	bal := availBefore
	add := func(typ string, v int64) {
		lastSeq++
		f := base
		f.seq, f.typ, f.value = lastSeq, typ, v
		bal += v
		f.after = bal
		out = append(out, f)
	}
	v := o.ChangeValue
	switch o.OperateType {
	case svbatch.Charge:
		add(client.FlowTypeRecharge, v)
	case svbatch.Freeze:
		add(client.FlowTypeFreeze, -v)
	case svbatch.Verify:
		if postedHold > 0 {
			add(client.FlowTypeUnfreeze, postedHold)
		}
		add(client.FlowTypeVerify, -v)
	case svbatch.Refund:
		add(client.FlowTypeRefund, -v)
	}
	return out
}

// acctIDs are the platform-side ids of an account, derived from its key so they are stable across
// restarts: account_id, card_id, and customer_id (the row's own for a customer_id account).
type acctIDs struct {
	account, card, customer string
}

// idSum is the first 8 bytes of the SHA-256 of account k's key, big-endian: the ids' hex.
func idSum(k acctKey) uint64 {
	sum := sha256.Sum256([]byte(k.brand + "\x00" + string(k.kind) + "\x00" + k.id))
	return binary.BigEndian.Uint64(sum[:8])
}

func idsOf(k acctKey) acctIDs { return idsOfSum(k, idSum(k)) }

func idsOfSum(k acctKey, sum uint64) acctIDs {
	h := hex.EncodeToString(binary.BigEndian.AppendUint64(nil, sum))
	ids := acctIDs{account: "SA" + h, card: "SC" + h, customer: "SU" + h}
	if k.kind == 'c' {
		ids.customer = k.id
	}
	return ids
}

func (l *ledger) idsOf(i uint32) acctIDs { return idsOfSum(l.keyOf(i), l.acct(i).sum) }

// parseSum reads the sum out of a derived id: prefix and 16 hex digits.
func parseSum(id, prefix string) (uint64, bool) {
	if len(id) != len(prefix)+16 || id[:len(prefix)] != prefix {
		return 0, false
	}
	b, err := hex.DecodeString(id[len(prefix):])
	if err != nil {
		return 0, false
	}
	return binary.BigEndian.Uint64(b), true
}

// byCard is the account of brand with card_id card.
func (l *ledger) byCard(brand, card string) (uint32, bool) {
	sum, ok := parseSum(card, "SC")
	if !ok {
		return 0, false
	}
	return l.bySum(brand, sum, func(ids acctIDs) bool { return ids.card == card })
}

// byCustomer is the account of brand with customer_id cust: the customer_id account of that id,
// else the account whose derived customer_id (SU…) it is.
func (l *ledger) byCustomer(brand, cust string) (uint32, bool) {
	if i, ok := l.findAccount(acctKey{brand, 'c', cust}); ok {
		return i, true
	}
	sum, ok := parseSum(cust, "SU")
	if !ok {
		return 0, false
	}
	return l.bySum(brand, sum, func(ids acctIDs) bool { return ids.customer == cust })
}

// brandID is an id within a brand.
type brandID struct{ brand, id string }

// addFlow records the next flow, of operation op at shop.
func (l *ledger) addFlow(op int, shop uint32) {
	p := uint32(l.flows.len())
	l.flows.add(uint32(op))
	list := append(l.byShop[shop], p)
	// keep (at, seq) order; flows nearly always arrive in it, so this is an append
	for j := len(list) - 1; j > 0 && l.flowBefore(list[j], list[j-1]); j-- {
		list[j], list[j-1] = list[j-1], list[j]
	}
	l.byShop[shop] = list
}

func (l *ledger) flowTime(p uint32) int64 { return l.op(int(*l.flows.at(int(p)))).at }

// flowBefore orders flows by applied time, then flow_id.
func (l *ledger) flowBefore(a, b uint32) bool {
	if ta, tb := l.flowTime(a), l.flowTime(b); ta != tb {
		return ta < tb
	}
	return a < b
}

// flowAt is the flow with flow_id p+1.
func (l *ledger) flowAt(p int) flowRec {
	i := int(*l.flows.at(p))
	o := l.op(i)
	var f [opFields]string
	fields(o.text, f[:])
	r := flowRec{seq: int64(p) + 1, opSeq: int64(i) + 1, acct: l.keyOf(o.acct), acctNum: o.acct,
		shop: l.shops[o.shop].id, outer: f[fOuter], at: time.Unix(0, o.at), after: o.after}
	if o.flags&opBareFlows == 0 {
		r.operator, r.remark = f[fOperator], f[fReason]
	}
	switch svbatch.OperateType(o.typ) {
	case svbatch.Charge:
		r.typ, r.value = client.FlowTypeRecharge, o.value
	case svbatch.Freeze:
		r.typ, r.value = client.FlowTypeFreeze, -o.value
	case svbatch.Refund:
		r.outer, r.outerPay = f[fNewOuter], f[fOuter]
		r.typ, r.value = client.FlowTypeRefund, -o.value
	case svbatch.Verify:
		r.typ, r.value = client.FlowTypeVerify, -o.value
		if o.flags&opPosted != 0 && (p == 0 || int(*l.flows.at(p - 1)) != i) { // the first of two
			r.typ, r.value, r.after = client.FlowTypeUnfreeze, l.postedHold(i), o.after+o.value
		}
	}
	return r
}

// firstFlow is the position of operation i's first flow (flows are recorded in operation order).
func (l *ledger) firstFlow(i int) int {
	return sort.Search(l.flows.len(), func(p int) bool { return int(*l.flows.at(p)) >= i })
}

// visible reports whether f shows in the read APIs at now with a visibility lag.
func visible(f *flowRec, now time.Time, lag time.Duration) bool {
	return !f.at.Add(lag).After(now)
}

// flowQuery is a parsed accountflows.get request.
type flowQuery struct {
	brand, shop          string
	card, customer       string
	outOrder             string
	types                map[string]bool
	start, end           time.Time // [start, end) on applied time; zero: open
	pageNo, pageSize     int
	now                  time.Time
	lag                  time.Duration
	hasStart, hasEnd     bool
	cardAcct, custAcct   uint32
	cardKnown, custKnown bool
}

// page answers q: the flows matching it ordered by (applied time, seq), total and the page's slice.
func (l *ledger) page(q *flowQuery) (total int, out []flowRec) {
	n, ok := l.shopNum[brandID{q.brand, q.shop}]
	if !ok {
		return 0, nil
	}
	list := l.byShop[n]
	at := func(i int) time.Time { return time.Unix(0, l.flowTime(list[i])) }
	lo := 0
	if q.hasStart {
		lo = sort.Search(len(list), func(i int) bool { return !at(i).Before(q.start) })
	}
	limit := q.now.Add(-q.lag) // visible ⇔ at ≤ limit
	hi := sort.Search(len(list), func(i int) bool { return at(i).After(limit) })
	if q.hasEnd {
		hi = min(hi, sort.Search(len(list), func(i int) bool { return !at(i).Before(q.end) }))
	}
	if hi <= lo {
		return 0, nil
	}
	first := (q.pageNo - 1) * q.pageSize
	filtered := q.card != "" || q.customer != "" || q.outOrder != "" || len(q.types) > 0
	if !filtered {
		total = hi - lo
		for i := lo + first; i < hi && i < lo+first+q.pageSize; i++ {
			out = append(out, l.flowAt(int(list[i])))
		}
		return total, out
	}
	for i := lo; i < hi; i++ {
		f := l.flowAt(int(list[i]))
		if !q.match(&f) {
			continue
		}
		if total >= first && total < first+q.pageSize {
			out = append(out, f)
		}
		total++
	}
	return total, out
}

func (q *flowQuery) match(f *flowRec) bool {
	switch {
	case q.card != "" && (!q.cardKnown || f.acctNum != q.cardAcct):
		return false
	case q.customer != "" && (!q.custKnown || f.acctNum != q.custAcct):
		return false
	case q.outOrder != "" && f.outer != q.outOrder:
		return false
	case len(q.types) > 0 && !q.types[f.typ]:
		return false
	}
	return true
}

// Flow picks for flowdetail.get by an outer_order_id several flows share (Config.FlowPick).
const (
	FlowPickLatest   = "latest"   // the most recent visible flow (default)
	FlowPickEarliest = "earliest" // the first visible flow
)

// detail finds one visible flow of brand by flow_id (when set, and then outer must match if set)
// or by outer_order_id, choosing among several with pick.
func (l *ledger) detail(brand, flowID, outer string, now time.Time, lag time.Duration, pick string) (flowRec, bool) {
	if flowID != "" {
		n, err := strconv.ParseInt(flowID, 10, 64)
		if err != nil || n < 1 || n > int64(l.flows.len()) {
			return flowRec{}, false
		}
		f := l.flowAt(int(n - 1))
		if f.acct.brand != brand || (outer != "" && f.outer != outer) || !visible(&f, now, lag) {
			return flowRec{}, false
		}
		return f, true
	}
	b, ok := l.brands.lookup(brand)
	if !ok {
		return flowRec{}, false
	}
	var ops []int
	for i := range l.orders(b, outer) {
		ops = append(ops, i)
	}
	slices.Sort(ops)
	ops = slices.Compact(ops)
	var found []flowRec
	for _, i := range ops {
		for p := l.firstFlow(i); p < l.flows.len() && int(*l.flows.at(p)) == i; p++ {
			if f := l.flowAt(p); f.outer == outer && visible(&f, now, lag) {
				found = append(found, f)
			}
		}
	}
	if len(found) == 0 {
		return flowRec{}, false
	}
	if pick == FlowPickEarliest {
		return found[0], true
	}
	return found[len(found)-1], true
}

// wire is f as the read APIs answer it. Balances are REAL (no gift money in the sandbox) and TOTAL.
func (l *ledger) wire(f flowRec) client.Flow {
	ids := l.idsOf(f.acctNum)
	before := f.after - f.value
	props := func(v int64) []client.Property {
		return []client.Property{{Type: client.PropertyReal, Value: v}, {Type: client.PropertyGift, Value: 0}, {Type: client.PropertyTotal, Value: v}}
	}
	return client.Flow{
		FlowID: strconv.FormatInt(f.seq, 10), FlowType: f.typ, AccountID: ids.account, CardID: ids.card,
		BrandID: f.acct.brand, ShopID: f.shop, ShopName: "沙箱门店 " + f.shop,
		OrderValue: f.value, CurrentValue: f.after, OrderTime: f.at.In(gmt8).Format(timestampLayout),
		OuterOrderID: f.outer, OuterPayID: f.outerPay, Operator: f.operator, OperatorName: f.operator, Remark: f.remark,
		BeforePropertyList: props(before), AffectedPropertyList: props(f.value), AfterPropertyList: props(f.after),
	}
}
