package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strconv"
	"time"

	"svbatch"
	"svbatch/client"
)

// flowRec is one flow of the ledger: what an applied operation did to an account's available
// balance. An operation records one flow, except a verify that posts an open hold: an UNFREEZE of
// the whole hold, then the VERIFY (client.FlowTypeOf).
type flowRec struct {
	seq      int64 // flow_id
	opSeq    int64 // the operation (Operation.Seq) that recorded it
	typ      string
	acct     acctKey
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
	base := flowRec{opSeq: o.Seq, acct: accountOfOp(o), shop: o.ShopID, outer: o.OuterOrderID,
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

// accountOfOp is the account an operation applied to.
func accountOfOp(o *Operation) acctKey {
	return accountOf(&client.RechargeRequest{BrandID: o.BrandID, CustomerID: o.CustomerID, Mobile: o.Mobile,
		OuterType: o.OuterType, OuterID: o.OuterID})
}

// replayFlows rebuilds the flows of an operation log (a ledger file from before flows were stored):
// the same flows the ledger records, without operator and remark, which the log does not keep.
func replayFlows(ops []Operation) []flowRec {
	avail := map[acctKey]int64{}
	holds := map[orderRef]int64{}
	var seq int64
	var out []flowRec
	for i := range ops {
		o := &ops[i]
		k := accountOfOp(o)
		ref := orderRef{k, o.OuterOrderID}
		var posted int64
		switch o.OperateType {
		case svbatch.Freeze:
			holds[ref] = o.ChangeValue
		case svbatch.Verify:
			if h, ok := holds[ref]; ok {
				posted = h
				delete(holds, ref)
			}
		}
		fs := flowsOf(o, "", "", avail[k], posted, seq)
		if len(fs) == 0 {
			continue
		}
		avail[k], seq = fs[len(fs)-1].after, fs[len(fs)-1].seq
		out = append(out, fs...)
	}
	return out
}

// acctIDs are the platform-side ids of an account, derived from its key so they are stable across
// restarts: account_id, card_id, and customer_id (the row's own for a customer_id account).
type acctIDs struct {
	account, card, customer string
}

func idsOf(k acctKey) acctIDs {
	sum := sha256.Sum256([]byte(k.brand + "\x00" + string(k.kind) + "\x00" + k.id))
	h := hex.EncodeToString(sum[:8])
	ids := acctIDs{account: "SA" + h, card: "SC" + h, customer: "SU" + h}
	if k.kind == 'c' {
		ids.customer = k.id
	}
	return ids
}

// brandID is an id within a brand, for the reverse maps.
type brandID struct{ brand, id string }

// flowIndex holds the flows and their indexes. Not safe for concurrent use (the server's mutex).
type flowIndex struct {
	flows    []flowRec
	bySeq    map[int64]int32
	byOuter  map[brandID][]int32 // (brand, outer_order_id) → flows in seq order
	byShop   map[brandID][]int32 // (brand, shop_id) → flows ordered by (at, seq)
	ids      map[acctKey]acctIDs
	byCard   map[brandID]acctKey // card_id → account
	byCust   map[brandID]acctKey // customer_id → account
	charged  map[acctKey]int64   // charged minus refunded, fen (total_real)
	lastFlow int64
}

func newFlowIndex() flowIndex {
	return flowIndex{bySeq: map[int64]int32{}, byOuter: map[brandID][]int32{}, byShop: map[brandID][]int32{},
		ids: map[acctKey]acctIDs{}, byCard: map[brandID]acctKey{}, byCust: map[brandID]acctKey{}, charged: map[acctKey]int64{}}
}

// noteAccount makes k's ids known to the reverse maps.
func (x *flowIndex) noteAccount(k acctKey) acctIDs {
	if ids, ok := x.ids[k]; ok {
		return ids
	}
	ids := idsOf(k)
	x.ids[k] = ids
	x.byCard[brandID{k.brand, ids.card}] = k
	if _, taken := x.byCust[brandID{k.brand, ids.customer}]; !taken || k.kind == 'c' {
		x.byCust[brandID{k.brand, ids.customer}] = k
	}
	return ids
}

func (x *flowIndex) add(f flowRec) {
	i := int32(len(x.flows))
	x.flows = append(x.flows, f)
	x.bySeq[f.seq] = i
	ok := brandID{f.acct.brand, f.outer}
	x.byOuter[ok] = append(x.byOuter[ok], i)
	sk := brandID{f.acct.brand, f.shop}
	list := append(x.byShop[sk], i)
	// keep (at, seq) order; flows nearly always arrive in it, so this is an append
	for j := len(list) - 1; j > 0 && x.before(list[j], list[j-1]); j-- {
		list[j], list[j-1] = list[j-1], list[j]
	}
	x.byShop[sk] = list
	x.noteAccount(f.acct)
	switch f.typ {
	case client.FlowTypeRecharge, client.FlowTypeRefund:
		x.charged[f.acct] += f.value
	}
	x.lastFlow = max(x.lastFlow, f.seq)
}

// before orders flows by applied time, then seq.
func (x *flowIndex) before(a, b int32) bool {
	fa, fb := &x.flows[a], &x.flows[b]
	if !fa.at.Equal(fb.at) {
		return fa.at.Before(fb.at)
	}
	return fa.seq < fb.seq
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
	cardAcct, custAcct   acctKey
	cardKnown, custKnown bool
}

// page answers q: the flows matching it ordered by (applied time, seq), total and the page's slice.
func (x *flowIndex) page(q *flowQuery) (total int, out []flowRec) {
	list := x.byShop[brandID{q.brand, q.shop}]
	lo := 0
	if q.hasStart {
		lo = sort.Search(len(list), func(i int) bool { return !x.flows[list[i]].at.Before(q.start) })
	}
	limit := q.now.Add(-q.lag) // visible ⇔ at ≤ limit
	hi := sort.Search(len(list), func(i int) bool { return x.flows[list[i]].at.After(limit) })
	if q.hasEnd {
		hi = min(hi, sort.Search(len(list), func(i int) bool { return !x.flows[list[i]].at.Before(q.end) }))
	}
	if hi <= lo {
		return 0, nil
	}
	first := (q.pageNo - 1) * q.pageSize
	filtered := q.card != "" || q.customer != "" || q.outOrder != "" || len(q.types) > 0
	if !filtered {
		total = hi - lo
		for i := lo + first; i < hi && i < lo+first+q.pageSize; i++ {
			out = append(out, x.flows[list[i]])
		}
		return total, out
	}
	for i := lo; i < hi; i++ {
		f := &x.flows[list[i]]
		if !q.match(f) {
			continue
		}
		if total >= first && total < first+q.pageSize {
			out = append(out, *f)
		}
		total++
	}
	return total, out
}

func (q *flowQuery) match(f *flowRec) bool {
	switch {
	case q.card != "" && (!q.cardKnown || f.acct != q.cardAcct):
		return false
	case q.customer != "" && (!q.custKnown || f.acct != q.custAcct):
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
func (x *flowIndex) detail(brand, flowID, outer string, now time.Time, lag time.Duration, pick string) (flowRec, bool) {
	if flowID != "" {
		n, err := strconv.ParseInt(flowID, 10, 64)
		if err != nil {
			return flowRec{}, false
		}
		i, ok := x.bySeq[n]
		if !ok {
			return flowRec{}, false
		}
		f := x.flows[i]
		if f.acct.brand != brand || (outer != "" && f.outer != outer) || !visible(&f, now, lag) {
			return flowRec{}, false
		}
		return f, true
	}
	var found []int32
	for _, i := range x.byOuter[brandID{brand, outer}] {
		if visible(&x.flows[i], now, lag) {
			found = append(found, i)
		}
	}
	if len(found) == 0 {
		return flowRec{}, false
	}
	if pick == FlowPickEarliest {
		return x.flows[found[0]], true
	}
	return x.flows[found[len(found)-1]], true
}

// wire is f as the read APIs answer it. Balances are REAL (no gift money in the sandbox) and TOTAL.
func (x *flowIndex) wire(f flowRec) client.Flow {
	ids := x.noteAccount(f.acct)
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
