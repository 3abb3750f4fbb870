package sandbox

import (
	"fmt"
	"hash/maphash"
	"reflect"
	"strings"
	"time"

	"svbatch"
	"svbatch/client"
)

// Result codes of business rejections (biz_success=false, result=false). They are stable: tests,
// reports and reconciliation may match on them.
const (
	CodeOK                   = "0"
	CodeBalanceNotEnough     = "BALANCE_NOT_ENOUGH"     // available < change_value
	CodeHoldExceeded         = "HOLD_EXCEEDED"          // verify of a hold for more than was frozen
	CodeOrderExists          = "ORDER_EXISTS"           // (operate_type, outer_order_id) applied under another request_id
	CodeChargeNotFound       = "CHARGE_NOT_FOUND"       // refund of a charge this account does not have
	CodeRefundExceedsCharge  = "REFUND_EXCEEDS_CHARGE"  // refund past charged − refunded
	CodeBalanceLimitExceeded = "BALANCE_LIMIT_EXCEEDED" // charge past svbatch.MaxBalance
)

// resultDesc is the Chinese result_desc (and result_view) of each result code.
var resultDesc = map[string]string{
	CodeOK:                   "成功",
	CodeBalanceNotEnough:     "储值余额不足",
	CodeHoldExceeded:         "核销金额超过冻结金额",
	CodeOrderExists:          "外部订单号已处理，请勿重复操作",
	CodeChargeNotFound:       "未找到原充值订单",
	CodeRefundExceedsCharge:  "回退金额超过原充值单可回退金额",
	CodeBalanceLimitExceeded: "储值余额超出上限",
}

func resultFor(code string) client.Result {
	ok := code == CodeOK
	return client.Result{BizSuccess: ok, Result: ok, ResultCode: code, ResultDesc: resultDesc[code], ResultView: resultDesc[code]}
}

// acctKey identifies an account: brand_id and the customer identity the row used
// (customer_id, else mobile, else outer_type:outer_id).
type acctKey struct {
	brand string
	kind  byte // 'c' customer_id, 'm' mobile, 'o' outer_type+outer_id
	id    string
}

func accountOf(r *client.RechargeRequest) acctKey {
	switch {
	case strings.TrimSpace(r.CustomerID) != "":
		return acctKey{r.BrandID, 'c', r.CustomerID}
	case strings.TrimSpace(r.Mobile) != "":
		return acctKey{r.BrandID, 'm', r.Mobile}
	default:
		return acctKey{r.BrandID, 'o', r.OuterType + ":" + r.OuterID}
	}
}

// account is a view of one stored-value account (acctRec is how the ledger keeps it). Identity
// fields hold only the identity the key uses.
type account struct {
	key                                    acctKey
	customerID, mobile, outerType, outerID string
	available, frozen                      int64 // fen
}

func newAccount(k acctKey, r *client.RechargeRequest) account {
	a := account{key: k}
	switch k.kind {
	case 'c':
		a.customerID = r.CustomerID
	case 'm':
		a.mobile = r.Mobile
	default:
		a.outerType, a.outerID = r.OuterType, r.OuterID
	}
	return a
}

// orderRef is an order of one account: a hold (freeze) or a charge, by outer_order_id.
type orderRef struct {
	acct  acctKey
	outer string
}

// hold is a freeze; it resolves once, when a verify of the same outer_order_id posts it.
type hold struct {
	amount int64
	open   bool
}

// charge is a charge that refunds may reverse.
type charge struct {
	amount, refunded int64
}

// identity is the operation identity of DESIGN.md §3: applied once per brand.
type identity struct {
	brand       string
	op          svbatch.OperateType
	outer, newO string
}

// answer is what a request_id was first answered, kept for replays.
type answer struct {
	payload string // canonical JSON of the business request
	result  client.Result
	traceID string
}

// Operation is one applied operation of the log, as /sandbox/operations.csv shows it.
type Operation struct {
	Seq             int64
	RequestID       string
	BrandID         string
	ShopID          string
	OperateType     svbatch.OperateType
	OuterOrderID    string
	NewOuterOrderID string
	ChangeValue     int64 // fen
	CustomerID      string
	Mobile          string
	OuterType       string
	OuterID         string
	ResultCode      string
	AppliedAt       time.Time
}

// Balance is one account of /sandbox/balances.csv. Only the identity the account is keyed by is
// filled: customer_id, or mobile, or outer_type+outer_id.
type Balance struct {
	BrandID, CustomerID, Mobile, OuterType, OuterID string
	Available, Frozen                               int64 // fen
}

// effect is everything one request changes, committed at once (to SQLite first, then to memory).
type effect struct {
	requestID        string
	answer           answer
	applied          bool // false: a rejection, only the answer is stored
	acct             account
	acctIdx          int       // the account's number; -1: the request opens it
	holdRef          *orderRef // with hold, when a hold was created or resolved
	hold             hold
	holdOp           int       // the freeze a verify posts (its operation's number), -1 if none
	chargeRef        *orderRef // with charge, when a charge was created or refunded
	charge           charge
	ident            identity
	op               Operation
	operator, reason string
	flows            []flowRec // the flows the operation records
	bareFlows        bool      // the flows show no operator and remark (rebuilt from a version 1 file)
}

// The ledger in memory, compact (BenchmarkSandboxMemory1M: ≤ 200 bytes per remembered request_id,
// against ~1.7 KB when it kept maps of strings, the payload JSON and a flow struct per operation).
//
// Every applied operation is one opRec (56 bytes) whose strings are packed into one string; the
// first answer of its request_id, the canonical payload a replay is compared with, its flows, its
// hold's or charge's state are all re-derived from it and from the log, not stored: the payload
// is the request rebuilt from the record and encoded again (the same bytes, so a replay is
// recognized exactly as before), the answer of an applied request is always "0" with the stored
// trace id, a charge's refunded amount is the sum of the refunds after it. A rejected request
// keeps its payload (rejectRec): rejections are few. Lookups go through index tables of 4-byte
// refs whose candidates are always compared with the record's own strings, so a hash collision can
// never make a different request a replay, or an order look applied.
//
// With --db the same compact ledger is kept in memory (loaded by replaying the operation log) and
// every change is written to the file first: idempotency checks and the read APIs never query
// SQLite, so --db costs what memory mode costs per request_id, plus SQLite's own page cache. We
// chose that over answering replays from the file: it keeps one code path for both modes, keeps
// replays and reads off the database, and the memory is already within the target.
type ledger struct {
	seed maphash.Seed

	brands  interner
	shops   []brandID          // (brand, shop_id) by number
	shopNum map[brandID]uint32 // and back
	byShop  [][]uint32         // shop number → flows (flow_id−1) by (applied time, flow_id)
	accts   chunked[acctRec]   // by account number
	acctIdx index              // (brand, kind, id) → account number
	cardIdx index              // (brand, sum) → account number: card_id and derived customer_id
	ops     chunked[opRec]     // the operation log: seq−1 → operation
	rejects []rejectRec        // request_ids answered with a rejection
	ridIdx  index              // request_id → op<<1 | rejects<<1|1
	ordIdx  index              // (brand, outer_order_id) → op<<1; a refund also (brand, new_outer_order_id) → op<<1|1
	flows   chunked[uint32]    // flow_id−1 → operation number, in flow_id order
	pending map[string]uint32  // requests received for request_ids not answered yet
	total   int                // requests received, all request_ids
	scratch []byte
}

// acctRec is one account as the ledger keeps it.
type acctRec struct {
	id                         string // customer_id, mobile, or outer_type:outer_id
	available, frozen, charged int64  // fen; charged: charged minus refunded (total_real)
	sum                        uint64 // the first 8 bytes of SHA-256 of the key (account_id, card_id)
	brand                      uint32
	kind                       byte // 'c', 'm' or 'o' as acctKey
}

// opRec is one applied operation as the ledger keeps it.
type opRec struct {
	text  string // packStrings of opFields, and of opIdentFields when opOwnIdentity
	value int64  // change_value, fen
	after int64  // the account's available balance after the operation, fen
	at    int64  // applied time, Unix nanoseconds
	acct  uint32 // account number
	shop  uint32 // shop number
	count uint32 // requests received with its request_id (Server.Requests)
	typ   uint8  // svbatch.OperateType
	flags uint8
}

// The fields of opRec.text: opFields of them, opIdentFields with opOwnIdentity.
const (
	fRequestID = iota
	fOuter
	fNewOuter
	fOperator
	fReason
	fTrace
	fCustomerID
	fMobile
	fOuterType
	fOuterID

	opFields      = fCustomerID
	opIdentFields = fOuterID + 1
)

// opRec.flags
const (
	opOwnIdentity = 1 << iota // the request's customer fields differ from the account's: in text
	opHoldClosed              // a freeze whose hold a verify has posted
	opPosted                  // a verify that posted an open hold: UNFREEZE, then VERIFY
	opBareFlows               // flows without operator and remark (rebuilt from a version 1 file)
)

// rejectRec is a request_id answered with a business rejection.
type rejectRec struct {
	text  string // packStrings: request_id, payload, trace id
	code  string
	count uint32
}

func newLedger() *ledger {
	l := &ledger{seed: maphash.MakeSeed(), brands: newInterner(), shopNum: map[brandID]uint32{}, pending: map[string]uint32{}}
	l.acctIdx.hashOf = func(i uint32) uint64 {
		a := l.accts.at(int(i))
		return l.acctHash(a.brand, a.kind, a.id)
	}
	l.cardIdx.hashOf = func(i uint32) uint64 {
		a := l.accts.at(int(i))
		return cardHash(a.brand, a.sum)
	}
	l.ridIdx.hashOf = func(ref uint32) uint64 { return l.ridHash(l.refRequestID(ref)) }
	l.ordIdx.hashOf = func(ref uint32) uint64 {
		o := l.op(int(ref >> 1))
		return l.orderHash(l.acct(o.acct).brand, field(o.text, fOuter+int(ref&1)))
	}
	return l
}

func (l *ledger) op(i int) *opRec        { return l.ops.at(i) }
func (l *ledger) acct(i uint32) *acctRec { return l.accts.at(int(i)) }

func (l *ledger) ridHash(rid string) uint64 { return hashIn(l.seed, 0, rid) }
func (l *ledger) orderHash(brand uint32, outer string) uint64 {
	return hashIn(l.seed, uint64(brand), outer)
}
func (l *ledger) acctHash(brand uint32, kind byte, id string) uint64 {
	return hashIn(l.seed, uint64(brand)<<8|uint64(kind), id)
}
func cardHash(brand uint32, sum uint64) uint64 {
	return mix(sum ^ (uint64(brand)+1)*0x9e3779b97f4a7c15)
}

func (l *ledger) refRequestID(ref uint32) string {
	if ref&1 == 0 {
		return field(l.op(int(ref>>1)).text, fRequestID)
	}
	return field(l.rejects[ref>>1].text, 0)
}

// findRequest finds the record that answered rid: ref is op<<1, or reject<<1|1.
func (l *ledger) findRequest(rid string) (ref uint32, ok bool) {
	for ref := range l.ridIdx.candidates(l.ridHash(rid)) {
		if l.refRequestID(ref) == rid {
			return ref, true
		}
	}
	return 0, false
}

// stored is the first answer of the request ref and its canonical payload.
func (l *ledger) stored(ref uint32) answer {
	if ref&1 == 1 {
		r := &l.rejects[ref>>1]
		var f [3]string
		fields(r.text, f[:])
		return answer{payload: f[1], result: resultFor(r.code), traceID: f[2]}
	}
	i := int(ref >> 1)
	req := l.request(i)
	payload, err := req.Encode()
	if err != nil {
		payload = "" // cannot happen: it was encoded once; "" never equals a payload
	}
	return answer{payload: payload, result: resultFor(CodeOK), traceID: field(l.op(i).text, fTrace)}
}

// findAccount is the number of account k.
func (l *ledger) findAccount(k acctKey) (uint32, bool) {
	b, ok := l.brands.lookup(k.brand)
	if !ok {
		return 0, false
	}
	for i := range l.acctIdx.candidates(l.acctHash(b, k.kind, k.id)) {
		if a := l.acct(i); a.brand == b && a.kind == k.kind && a.id == k.id {
			return i, true
		}
	}
	return 0, false
}

func (l *ledger) keyOf(i uint32) acctKey {
	a := l.acct(i)
	return acctKey{l.brands.strs[a.brand], a.kind, a.id}
}

func (l *ledger) accountView(i uint32) account {
	a := l.acct(i)
	v := account{key: l.keyOf(i), available: a.available, frozen: a.frozen}
	switch a.kind {
	case 'c':
		v.customerID = a.id
	case 'm':
		v.mobile = a.id
	default:
		v.outerType, v.outerID, _ = strings.Cut(a.id, ":") // outer_type is wechat or alipay: no colon
	}
	return v
}

func (l *ledger) addAccount(k acctKey) uint32 {
	sum := idSum(k)
	a := acctRec{id: strings.Clone(k.id), sum: sum, brand: l.brands.id(k.brand), kind: k.kind}
	i := uint32(l.accts.len())
	l.accts.add(a)
	l.acctIdx.insert(l.acctHash(a.brand, a.kind, a.id), i)
	l.cardIdx.insert(cardHash(a.brand, sum), i)
	return i
}

// bySum is the account of brand whose key's sum is sum and whose ids satisfy ok.
func (l *ledger) bySum(brand string, sum uint64, ok func(acctIDs) bool) (uint32, bool) {
	b, known := l.brands.lookup(brand)
	if !known {
		return 0, false
	}
	for i := range l.cardIdx.candidates(cardHash(b, sum)) {
		if a := l.acct(i); a.brand == b && a.sum == sum && ok(l.idsOf(i)) {
			return i, true
		}
	}
	return 0, false
}

// orders yields the operations indexed under (brand, key) — operations of that outer_order_id,
// and refunds of that new_outer_order_id (alt) — and maybe a few others whose hash collides: the
// callers compare.
func (l *ledger) orders(brand uint32, key string) func(yield func(i int, alt bool) bool) {
	return func(yield func(int, bool) bool) {
		for ref := range l.ordIdx.candidates(l.orderHash(brand, key)) {
			i, alt := int(ref>>1), ref&1 == 1
			o := l.op(i)
			if l.acct(o.acct).brand == brand && field(o.text, fOuter+int(ref&1)) == key && !yield(i, alt) {
				return
			}
		}
	}
}

// applied reports whether the operation identity is in the log.
func (l *ledger) applied(id identity) bool {
	b, ok := l.brands.lookup(id.brand)
	if !ok {
		return false
	}
	for i, alt := range l.orders(b, id.outer) {
		if o := l.op(i); !alt && svbatch.OperateType(o.typ) == id.op && field(o.text, fNewOuter) == id.newO {
			return true
		}
	}
	return false
}

// latest is the number of the last operation of type typ on account acct with outer_order_id
// outer, before operation before (-1: in the whole log); -1 if none. Over the whole log, that is
// the account's current hold (typ Freeze) or charge (Charge) of the order, as a later one with the
// same outer_order_id replaces an earlier one.
func (l *ledger) latest(acct uint32, typ svbatch.OperateType, outer string, before int) int {
	found := -1
	for i, alt := range l.orders(l.acct(acct).brand, outer) {
		if o := l.op(i); !alt && o.acct == acct && svbatch.OperateType(o.typ) == typ && i > found && (before < 0 || i < before) {
			found = i
		}
	}
	return found
}

// refundedSince is what the refunds of account acct's order outer after operation charge moved.
func (l *ledger) refundedSince(acct uint32, outer string, charge int) int64 {
	var sum int64
	for i, alt := range l.orders(l.acct(acct).brand, outer) {
		if o := l.op(i); !alt && o.acct == acct && svbatch.OperateType(o.typ) == svbatch.Refund && i > charge {
			sum += o.value
		}
	}
	return sum
}

// postedHold is the amount of the hold verify i posted.
func (l *ledger) postedHold(i int) int64 {
	o := l.op(i)
	if h := l.latest(o.acct, svbatch.Freeze, field(o.text, fOuter), i); h >= 0 {
		return l.op(h).value
	}
	return 0
}

// request is operation i's request as it was received (its canonical payload is its Encode).
func (l *ledger) request(i int) client.RechargeRequest {
	o := l.op(i)
	var f [opIdentFields]string
	n := opFields
	if o.flags&opOwnIdentity != 0 {
		n = opIdentFields
	}
	fields(o.text, f[:n])
	r := client.RechargeRequest{BrandID: l.brands.strs[l.acct(o.acct).brand], ShopID: l.shops[o.shop].id,
		OperatorID: f[fOperator], Reason: f[fReason], RequestID: f[fRequestID], OuterOrderID: f[fOuter],
		NewOuterOrderID: f[fNewOuter], OperateType: svbatch.OperateType(o.typ), ChangeValue: o.value}
	if n == opIdentFields {
		r.CustomerID, r.Mobile, r.OuterType, r.OuterID = f[fCustomerID], f[fMobile], f[fOuterType], f[fOuterID]
	} else {
		a := l.accountView(o.acct)
		r.CustomerID, r.Mobile, r.OuterType, r.OuterID = a.customerID, a.mobile, a.outerType, a.outerID
	}
	return r
}

// operation is operation i of the log.
func (l *ledger) operation(i int) Operation {
	r := l.request(i)
	return Operation{Seq: int64(i) + 1, RequestID: r.RequestID, BrandID: r.BrandID, ShopID: r.ShopID,
		OperateType: r.OperateType, OuterOrderID: r.OuterOrderID, NewOuterOrderID: r.NewOuterOrderID,
		ChangeValue: r.ChangeValue, CustomerID: r.CustomerID, Mobile: r.Mobile, OuterType: r.OuterType,
		OuterID: r.OuterID, ResultCode: CodeOK, AppliedAt: time.Unix(0, l.op(i).at)}
}

// conflictError is a request_id reused with a different payload.
type conflictError struct {
	requestID string
	fields    []string
}

func (e *conflictError) Error() string {
	return fmt.Sprintf("request_id %s was first used with a different request (differs in %s)", e.requestID, strings.Join(e.fields, ", "))
}

// decide computes what req does to the ledger without changing it. A replay returns replay=true and
// the stored answer; a reused request_id with another payload returns a *conflictError.
func (l *ledger) decide(req *client.RechargeRequest, payload, traceID string, now time.Time) (eff effect, replay bool, err error) {
	if ref, ok := l.findRequest(req.RequestID); ok {
		a := l.stored(ref)
		if a.payload == payload {
			return effect{answer: a}, true, nil
		}
		return effect{}, false, &conflictError{requestID: req.RequestID, fields: diffFields(a.payload, req)}
	}
	eff = effect{requestID: req.RequestID, answer: answer{payload: payload, traceID: traceID}, acctIdx: -1, holdOp: -1}
	reject := func(code string) (effect, bool, error) {
		eff.answer.result = resultFor(code)
		return eff, false, nil
	}
	ident := identity{req.BrandID, req.OperateType, req.OuterOrderID, req.NewOuterOrderID}
	if l.applied(ident) {
		return reject(CodeOrderExists)
	}
	k := accountOf(req)
	acct := newAccount(k, req)
	ai, exists := l.findAccount(k)
	if exists {
		acct = l.accountView(ai)
		eff.acctIdx = int(ai)
	}
	v := req.ChangeValue
	availBefore := acct.available
	var postedHold int64 // the open hold a verify posts, 0 if none
	switch req.OperateType {
	case svbatch.Charge:
		if v > svbatch.MaxBalance-(acct.available+acct.frozen) {
			return reject(CodeBalanceLimitExceeded)
		}
		acct.available += v
		eff.chargeRef, eff.charge = &orderRef{k, req.OuterOrderID}, charge{amount: v}
	case svbatch.Freeze:
		if acct.available < v {
			return reject(CodeBalanceNotEnough)
		}
		acct.available -= v
		acct.frozen += v
		eff.holdRef, eff.hold = &orderRef{k, req.OuterOrderID}, hold{amount: v, open: true}
	case svbatch.Verify:
		h := -1
		if exists {
			h = l.latest(ai, svbatch.Freeze, req.OuterOrderID, -1)
		}
		if h >= 0 && l.op(h).flags&opHoldClosed == 0 {
			held := l.op(h).value
			if v > held {
				return reject(CodeHoldExceeded)
			}
			acct.frozen -= held
			acct.available += held - v
			postedHold = held
			eff.holdRef, eff.hold, eff.holdOp = &orderRef{k, req.OuterOrderID}, hold{amount: held}, h
			break
		}
		if acct.available < v {
			return reject(CodeBalanceNotEnough)
		}
		acct.available -= v
	case svbatch.Refund:
		c := -1
		if exists {
			c = l.latest(ai, svbatch.Charge, req.OuterOrderID, -1)
		}
		if c < 0 {
			return reject(CodeChargeNotFound)
		}
		ch := charge{amount: l.op(c).value, refunded: l.refundedSince(ai, req.OuterOrderID, c)}
		if v > ch.amount-ch.refunded {
			return reject(CodeRefundExceedsCharge)
		}
		if acct.available < v {
			return reject(CodeBalanceNotEnough)
		}
		acct.available -= v
		ch.refunded += v
		eff.chargeRef, eff.charge = &orderRef{k, req.OuterOrderID}, ch
	default:
		return effect{}, false, fmt.Errorf("operate_type %d", req.OperateType) // validated before
	}
	eff.answer.result = resultFor(CodeOK)
	eff.applied = true
	eff.acct = acct
	eff.ident = ident
	eff.operator, eff.reason = req.OperatorID, req.Reason
	eff.op = Operation{
		Seq: int64(l.ops.len()) + 1, RequestID: req.RequestID, BrandID: req.BrandID, ShopID: req.ShopID,
		OperateType: req.OperateType, OuterOrderID: req.OuterOrderID, NewOuterOrderID: req.NewOuterOrderID,
		ChangeValue: v, CustomerID: req.CustomerID, Mobile: req.Mobile, OuterType: req.OuterType,
		OuterID: req.OuterID, ResultCode: CodeOK, AppliedAt: now,
	}
	eff.flows = flowsOf(&eff.op, req.OperatorID, req.Reason, availBefore, postedHold, int64(l.flows.len()))
	return eff, false, nil
}

// commit applies eff to memory. It cannot fail: whatever can fail (SQLite) ran before.
func (l *ledger) commit(eff effect) {
	count := l.pending[eff.requestID]
	delete(l.pending, eff.requestID)
	if !eff.applied {
		var text string
		l.scratch, text = packStrings(l.scratch, eff.requestID, eff.answer.payload, eff.answer.traceID)
		ref := uint32(len(l.rejects))<<1 | 1
		l.rejects = append(l.rejects, rejectRec{text: text, code: eff.answer.result.ResultCode, count: count})
		l.ridIdx.insert(l.ridHash(eff.requestID), ref)
		return
	}
	ai := uint32(eff.acctIdx)
	if eff.acctIdx < 0 {
		ai = l.addAccount(eff.acct.key)
	}
	a := l.acct(ai)
	a.available, a.frozen = eff.acct.available, eff.acct.frozen
	o := &eff.op
	switch o.OperateType {
	case svbatch.Charge:
		a.charged += o.ChangeValue
	case svbatch.Refund:
		a.charged -= o.ChangeValue
	}
	rec := opRec{value: o.ChangeValue, after: eff.acct.available, at: o.AppliedAt.UnixNano(), acct: ai,
		shop: l.shopOf(o.BrandID, o.ShopID), count: count, typ: uint8(o.OperateType)}
	strs := []string{o.RequestID, o.OuterOrderID, o.NewOuterOrderID, eff.operator, eff.reason, eff.answer.traceID}
	if v := eff.acct; o.CustomerID != v.customerID || o.Mobile != v.mobile || o.OuterType != v.outerType || o.OuterID != v.outerID {
		rec.flags |= opOwnIdentity
		strs = append(strs, o.CustomerID, o.Mobile, o.OuterType, o.OuterID)
	}
	l.scratch, rec.text = packStrings(l.scratch, strs...)
	if eff.holdOp >= 0 {
		l.op(eff.holdOp).flags |= opHoldClosed
		rec.flags |= opPosted
	}
	if eff.bareFlows {
		rec.flags |= opBareFlows
	}
	i := l.ops.len()
	l.ops.add(rec)
	l.ridIdx.insert(l.ridHash(o.RequestID), uint32(i)<<1)
	l.ordIdx.insert(l.orderHash(a.brand, o.OuterOrderID), uint32(i)<<1)
	if o.OperateType == svbatch.Refund && o.NewOuterOrderID != o.OuterOrderID {
		l.ordIdx.insert(l.orderHash(a.brand, o.NewOuterOrderID), uint32(i)<<1|1)
	}
	for range eff.flows {
		l.addFlow(i, rec.shop)
	}
}

func (l *ledger) shopOf(brand, shop string) uint32 {
	k := brandID{brand, shop}
	if n, ok := l.shopNum[k]; ok {
		return n
	}
	k = brandID{strings.Clone(brand), strings.Clone(shop)}
	n := uint32(len(l.shops))
	l.shops = append(l.shops, k)
	l.shopNum[k] = n
	l.byShop = append(l.byShop, nil)
	return n
}

// count notes one request received for rid (Server.Requests).
func (l *ledger) count(rid string) {
	l.total++
	if ref, ok := l.findRequest(rid); ok {
		if ref&1 == 0 {
			l.op(int(ref>>1)).count++
		} else {
			l.rejects[ref>>1].count++
		}
		return
	}
	l.pending[rid]++
}

// requests is how many requests were received for rid.
func (l *ledger) requests(rid string) int {
	if ref, ok := l.findRequest(rid); ok {
		if ref&1 == 0 {
			return int(l.op(int(ref >> 1)).count)
		}
		return int(l.rejects[ref>>1].count)
	}
	return int(l.pending[rid])
}

// requestCounts is requests of every request_id received.
func (l *ledger) requestCounts() map[string]int {
	m := make(map[string]int, len(l.pending))
	for rid, n := range l.pending {
		m[rid] = int(n)
	}
	for i := range l.ops.len() {
		if o := l.op(i); o.count > 0 {
			m[field(o.text, fRequestID)] = int(o.count)
		}
	}
	for _, r := range l.rejects {
		if r.count > 0 {
			m[field(r.text, 0)] = int(r.count)
		}
	}
	return m
}

// diffFields names the fields in which req differs from the stored canonical payload.
func diffFields(stored string, req *client.RechargeRequest) []string {
	old, err := decodeBusiness(stored)
	if err != nil {
		return []string{"the request"}
	}
	var out []string
	ov, nv := reflect.ValueOf(old), reflect.ValueOf(*req)
	t := ov.Type()
	for i := 0; i < t.NumField(); i++ {
		if ov.Field(i).Interface() != nv.Field(i).Interface() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		out = []string{"the request"}
	}
	return out
}
