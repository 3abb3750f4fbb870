package sandbox

import (
	"fmt"
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

// account is one stored-value account. Identity fields hold only the identity the key uses.
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
	requestID string
	answer    answer
	applied   bool // false: a rejection, only the answer is stored
	acct      account
	holdRef   *orderRef // with hold, when a hold was created or resolved
	hold      hold
	chargeRef *orderRef // with charge, when a charge was created or refunded
	charge    charge
	ident     identity
	op        Operation
	flows     []flowRec // the flows the operation records
}

// ledger is the in-memory state. It is not safe for concurrent use: Server guards it with a mutex.
type ledger struct {
	accounts map[acctKey]*account
	holds    map[orderRef]hold
	charges  map[orderRef]charge
	applied  map[identity]string // → request_id
	answers  map[string]answer   // request_id → first answer
	ops      []Operation
	seq      int64
	fx       flowIndex // flows of the applied operations, for the read APIs
}

func newLedger() *ledger {
	return &ledger{
		accounts: map[acctKey]*account{},
		holds:    map[orderRef]hold{},
		charges:  map[orderRef]charge{},
		applied:  map[identity]string{},
		answers:  map[string]answer{},
		fx:       newFlowIndex(),
	}
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
	if a, ok := l.answers[req.RequestID]; ok {
		if a.payload == payload {
			return effect{answer: a}, true, nil
		}
		return effect{}, false, &conflictError{requestID: req.RequestID, fields: diffFields(a.payload, req)}
	}
	eff = effect{requestID: req.RequestID, answer: answer{payload: payload, traceID: traceID}}
	reject := func(code string) (effect, bool, error) {
		eff.answer.result = resultFor(code)
		return eff, false, nil
	}
	ident := identity{req.BrandID, req.OperateType, req.OuterOrderID, req.NewOuterOrderID}
	if _, done := l.applied[ident]; done {
		return reject(CodeOrderExists)
	}
	k := accountOf(req)
	acct := newAccount(k, req)
	if a := l.accounts[k]; a != nil {
		acct = *a
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
		ref := orderRef{k, req.OuterOrderID}
		if h, ok := l.holds[ref]; ok && h.open {
			if v > h.amount {
				return reject(CodeHoldExceeded)
			}
			acct.frozen -= h.amount
			acct.available += h.amount - v
			postedHold = h.amount
			h.open = false
			eff.holdRef, eff.hold = &ref, h
			break
		}
		if acct.available < v {
			return reject(CodeBalanceNotEnough)
		}
		acct.available -= v
	case svbatch.Refund:
		ref := orderRef{k, req.OuterOrderID}
		c, ok := l.charges[ref]
		if !ok {
			return reject(CodeChargeNotFound)
		}
		if v > c.amount-c.refunded {
			return reject(CodeRefundExceedsCharge)
		}
		if acct.available < v {
			return reject(CodeBalanceNotEnough)
		}
		acct.available -= v
		c.refunded += v
		eff.chargeRef, eff.charge = &ref, c
	default:
		return effect{}, false, fmt.Errorf("operate_type %d", req.OperateType) // validated before
	}
	eff.answer.result = resultFor(CodeOK)
	eff.applied = true
	eff.acct = acct
	eff.ident = ident
	eff.op = Operation{
		Seq: l.seq + 1, RequestID: req.RequestID, BrandID: req.BrandID, ShopID: req.ShopID,
		OperateType: req.OperateType, OuterOrderID: req.OuterOrderID, NewOuterOrderID: req.NewOuterOrderID,
		ChangeValue: v, CustomerID: req.CustomerID, Mobile: req.Mobile, OuterType: req.OuterType,
		OuterID: req.OuterID, ResultCode: CodeOK, AppliedAt: now,
	}
	eff.flows = flowsOf(&eff.op, req.OperatorID, req.Reason, availBefore, postedHold, l.fx.lastFlow)
	return eff, false, nil
}

// commit applies eff to memory. It cannot fail: whatever can fail (SQLite) ran before.
func (l *ledger) commit(eff effect) {
	l.answers[eff.requestID] = eff.answer
	if !eff.applied {
		return
	}
	a := eff.acct
	l.accounts[a.key] = &a
	if eff.holdRef != nil {
		l.holds[*eff.holdRef] = eff.hold
	}
	if eff.chargeRef != nil {
		l.charges[*eff.chargeRef] = eff.charge
	}
	l.applied[eff.ident] = eff.requestID
	l.ops = append(l.ops, eff.op)
	l.seq = eff.op.Seq
	for _, f := range eff.flows {
		l.fx.add(f)
	}
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
