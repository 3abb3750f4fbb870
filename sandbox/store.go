package sandbox

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"time"

	_ "modernc.org/sqlite" // pure-Go SQLite driver "sqlite"

	"svbatch/client"
)

// schemaVersion is stored in PRAGMA user_version; a file of another version is refused, except
// version 1 (before flows were stored), whose flows are rebuilt from its operation log on open.
const schemaVersion = 2

const schema = `
CREATE TABLE IF NOT EXISTS accounts (
	brand_id TEXT NOT NULL, kind TEXT NOT NULL, ident TEXT NOT NULL,
	customer_id TEXT NOT NULL, mobile TEXT NOT NULL, outer_type TEXT NOT NULL, outer_id TEXT NOT NULL,
	available INTEGER NOT NULL, frozen INTEGER NOT NULL,
	PRIMARY KEY (brand_id, kind, ident)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS holds (
	brand_id TEXT NOT NULL, kind TEXT NOT NULL, ident TEXT NOT NULL, outer_order_id TEXT NOT NULL,
	amount INTEGER NOT NULL, open INTEGER NOT NULL,
	PRIMARY KEY (brand_id, kind, ident, outer_order_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS charges (
	brand_id TEXT NOT NULL, kind TEXT NOT NULL, ident TEXT NOT NULL, outer_order_id TEXT NOT NULL,
	amount INTEGER NOT NULL, refunded INTEGER NOT NULL,
	PRIMARY KEY (brand_id, kind, ident, outer_order_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS applied (
	brand_id TEXT NOT NULL, operate_type INTEGER NOT NULL, outer_order_id TEXT NOT NULL,
	new_outer_order_id TEXT NOT NULL, request_id TEXT NOT NULL,
	PRIMARY KEY (brand_id, operate_type, outer_order_id, new_outer_order_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS answers (
	request_id TEXT PRIMARY KEY, payload TEXT NOT NULL,
	biz_success INTEGER NOT NULL, result INTEGER NOT NULL, result_code TEXT NOT NULL,
	result_desc TEXT NOT NULL, result_view TEXT NOT NULL, trace_id TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS operations (
	seq INTEGER PRIMARY KEY, request_id TEXT NOT NULL, brand_id TEXT NOT NULL, shop_id TEXT NOT NULL,
	operate_type INTEGER NOT NULL, outer_order_id TEXT NOT NULL, new_outer_order_id TEXT NOT NULL,
	change_value INTEGER NOT NULL, customer_id TEXT NOT NULL, mobile TEXT NOT NULL,
	outer_type TEXT NOT NULL, outer_id TEXT NOT NULL, result_code TEXT NOT NULL, applied_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS flows (
	seq INTEGER PRIMARY KEY, op_seq INTEGER NOT NULL, flow_type TEXT NOT NULL,
	brand_id TEXT NOT NULL, kind TEXT NOT NULL, ident TEXT NOT NULL, shop_id TEXT NOT NULL,
	outer_order_id TEXT NOT NULL, outer_pay_id TEXT NOT NULL, operator TEXT NOT NULL, remark TEXT NOT NULL,
	order_value INTEGER NOT NULL, current_value INTEGER NOT NULL, applied_at TEXT NOT NULL
);`

// store is the SQLite copy of the ledger. Its methods are called under the server's mutex. Every
// table is written as before (whoever reads the file finds accounts, holds, charges and applied
// orders), but load rebuilds the memory from the operation log and the answers only.
type store struct {
	db                                                                 *sql.DB
	upAccount, upHold, upCharge, insApplied, insAnswer, insOp, insFlow *sql.Stmt
}

// openStore opens (creating if needed) the SQLite ledger at path. With mustExist, a missing file is
// an error instead.
func openStore(path string, mustExist bool) (*store, error) {
	if mustExist {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("sandbox ledger %s: %w", path, err)
		}
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(5000)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sandbox ledger %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	s := &store{db: db}
	if err := s.init(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sandbox ledger %s: %w", path, err)
	}
	return s, nil
}

func (s *store) init() error {
	var v int
	if err := s.db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		return err
	}
	if v != 0 && v != 1 && v != schemaVersion {
		return fmt.Errorf("schema version %d, this svbatch knows %d", v, schemaVersion)
	}
	if _, err := s.db.Exec(schema); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	if _, err := s.db.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, schemaVersion)); err != nil {
		return err
	}
	prep := []struct {
		dst **sql.Stmt
		q   string
	}{
		{&s.upAccount, `INSERT INTO accounts VALUES (?,?,?,?,?,?,?,?,?)
			ON CONFLICT (brand_id, kind, ident) DO UPDATE SET available = excluded.available, frozen = excluded.frozen`},
		{&s.upHold, `INSERT INTO holds VALUES (?,?,?,?,?,?)
			ON CONFLICT (brand_id, kind, ident, outer_order_id) DO UPDATE SET amount = excluded.amount, open = excluded.open`},
		{&s.upCharge, `INSERT INTO charges VALUES (?,?,?,?,?,?)
			ON CONFLICT (brand_id, kind, ident, outer_order_id) DO UPDATE SET amount = excluded.amount, refunded = excluded.refunded`},
		{&s.insApplied, `INSERT INTO applied VALUES (?,?,?,?,?)`},
		{&s.insAnswer, `INSERT INTO answers VALUES (?,?,?,?,?,?,?,?)`},
		{&s.insOp, `INSERT INTO operations VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`},
		{&s.insFlow, `INSERT INTO flows VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`},
	}
	for _, p := range prep {
		st, err := s.db.Prepare(p.q)
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		*p.dst = st
	}
	return nil
}

// commit writes eff in one transaction: the state change and its idempotency record together.
func (s *store) commit(ctx context.Context, eff effect) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sandbox ledger: begin: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	a := eff.answer
	if _, err = tx.Stmt(s.insAnswer).Exec(eff.requestID, a.payload, a.result.BizSuccess, a.result.Result,
		a.result.ResultCode, a.result.ResultDesc, a.result.ResultView, a.traceID); err != nil {
		return fmt.Errorf("sandbox ledger: store answer: %w", err)
	}
	if eff.applied {
		ac := eff.acct
		if _, err = tx.Stmt(s.upAccount).Exec(ac.key.brand, string(ac.key.kind), ac.key.id, ac.customerID, ac.mobile,
			ac.outerType, ac.outerID, ac.available, ac.frozen); err != nil {
			return fmt.Errorf("sandbox ledger: store account: %w", err)
		}
		if r := eff.holdRef; r != nil {
			if _, err = tx.Stmt(s.upHold).Exec(r.acct.brand, string(r.acct.kind), r.acct.id, r.outer, eff.hold.amount, eff.hold.open); err != nil {
				return fmt.Errorf("sandbox ledger: store hold: %w", err)
			}
		}
		if r := eff.chargeRef; r != nil {
			if _, err = tx.Stmt(s.upCharge).Exec(r.acct.brand, string(r.acct.kind), r.acct.id, r.outer, eff.charge.amount, eff.charge.refunded); err != nil {
				return fmt.Errorf("sandbox ledger: store charge: %w", err)
			}
		}
		id := eff.ident
		if _, err = tx.Stmt(s.insApplied).Exec(id.brand, int(id.op), id.outer, id.newO, eff.requestID); err != nil {
			return fmt.Errorf("sandbox ledger: store order: %w", err)
		}
		o := eff.op
		if _, err = tx.Stmt(s.insOp).Exec(o.Seq, o.RequestID, o.BrandID, o.ShopID, int(o.OperateType), o.OuterOrderID,
			o.NewOuterOrderID, o.ChangeValue, o.CustomerID, o.Mobile, o.OuterType, o.OuterID, o.ResultCode,
			o.AppliedAt.Format(time.RFC3339Nano)); err != nil {
			return fmt.Errorf("sandbox ledger: store operation: %w", err)
		}
		if err = insertFlows(tx.Stmt(s.insFlow), eff.flows); err != nil {
			return err
		}
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("sandbox ledger: commit: %w", err)
	}
	return nil
}

// load reads the ledger file into l (a new ledger) by replaying its operation log, in seq order,
// through the ledger's own rules with each operation's stored request and trace id: the compact
// ledger keeps what it derives from the log, not the tables' rows. The other tables are checked
// against the result (the accounts' balances, the flows' count), and the rejected requests' answers
// are read back. A version 1 file (no flows) gets its flows, without operator and remark, which it
// did not keep, stored on the way.
func (s *store) load(l *ledger) error {
	each := func(q string, scan func(*sql.Rows) error) error {
		rows, err := s.db.Query(q)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	// flows with no operator were rebuilt from a version 1 file: they stay without
	var bare []bool // by op_seq−1
	nflows := 0
	err := each(`SELECT op_seq, operator FROM flows ORDER BY seq`, func(r *sql.Rows) error {
		var seq int64
		var operator string
		if err := r.Scan(&seq, &operator); err != nil {
			return err
		}
		if seq < 1 || seq > int64(len(bare))+1 {
			return fmt.Errorf("flow %d of operation %d out of order", nflows+1, seq)
		}
		if seq > int64(len(bare)) {
			bare = append(bare, false)
		}
		bare[seq-1] = bare[seq-1] || operator == ""
		nflows++
		return nil
	})
	if err != nil {
		return fmt.Errorf("load sandbox ledger flows: %w", err)
	}
	rebuild := nflows == 0
	err = each(`SELECT o.seq, o.request_id, o.brand_id, o.shop_id, o.operate_type, o.outer_order_id, o.new_outer_order_id,
		o.change_value, o.customer_id, o.mobile, o.outer_type, o.outer_id, o.applied_at, a.payload, a.trace_id
		FROM operations o LEFT JOIN answers a ON a.request_id = o.request_id ORDER BY o.seq`, func(r *sql.Rows) error {
		var req client.RechargeRequest
		var seq int64
		var at string
		var payload, trace sql.NullString
		if err := r.Scan(&seq, &req.RequestID, &req.BrandID, &req.ShopID, &req.OperateType, &req.OuterOrderID,
			&req.NewOuterOrderID, &req.ChangeValue, &req.CustomerID, &req.Mobile, &req.OuterType, &req.OuterID,
			&at, &payload, &trace); err != nil {
			return err
		}
		if seq != int64(l.ops.len())+1 {
			return fmt.Errorf("operation %d: want seq %d", seq, l.ops.len()+1)
		}
		if !payload.Valid {
			return fmt.Errorf("operation %d: request_id %s has no stored answer", seq, req.RequestID)
		}
		// operator_id and reason are not in the log: the stored payload has them
		p, err := decodeBusiness(payload.String)
		if err != nil {
			return fmt.Errorf("operation %d: stored payload: %w", seq, err)
		}
		req.OperatorID, req.Reason = p.OperatorID, p.Reason
		if enc, err := req.Encode(); err != nil || enc != payload.String {
			return fmt.Errorf("operation %d: the log and the stored payload of request_id %s differ", seq, req.RequestID)
		}
		t, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			return fmt.Errorf("operation %d: %w", seq, err)
		}
		eff, replay, err := l.decide(&req, payload.String, trace.String, t)
		switch {
		case err != nil:
			return fmt.Errorf("operation %d: %w", seq, err)
		case replay || !eff.applied:
			return fmt.Errorf("operation %d (request_id %s) does not apply again: %s", seq, req.RequestID, eff.answer.result.ResultCode)
		}
		eff.bareFlows = rebuild || (int(seq) <= len(bare) && bare[seq-1])
		l.commit(eff)
		return nil
	})
	if err != nil {
		return fmt.Errorf("load sandbox ledger operations: %w", err)
	}
	err = each(`SELECT request_id, payload, result_code, trace_id FROM answers WHERE result_code <> '0'`, func(r *sql.Rows) error {
		var rid, payload, code, trace string
		if err := r.Scan(&rid, &payload, &code, &trace); err != nil {
			return err
		}
		if _, dup := l.findRequest(rid); dup {
			return fmt.Errorf("request_id %s: rejected and applied", rid)
		}
		l.commit(effect{requestID: rid, answer: answer{payload: payload, result: resultFor(code), traceID: trace}})
		return nil
	})
	if err != nil {
		return fmt.Errorf("load sandbox ledger answers: %w", err)
	}
	naccts := 0
	err = each(`SELECT brand_id, kind, ident, available, frozen FROM accounts`, func(r *sql.Rows) error {
		var brand, kind, id string
		var avail, frozen int64
		if err := r.Scan(&brand, &kind, &id, &avail, &frozen); err != nil {
			return err
		}
		naccts++
		if len(kind) != 1 {
			return fmt.Errorf("bad account kind %q", kind)
		}
		if n, ok := l.findAccount(acctKey{brand, kind[0], id}); !ok || l.acct(n).available != avail || l.acct(n).frozen != frozen {
			return fmt.Errorf("account %s %s %s: the stored balance is not the operation log's", brand, kind, id)
		}
		return nil
	})
	switch {
	case err != nil:
		return fmt.Errorf("load sandbox ledger accounts: %w", err)
	case naccts != l.accts.len():
		return fmt.Errorf("load sandbox ledger: %d accounts stored, %d in the operation log", naccts, l.accts.len())
	case !rebuild && nflows != l.flows.len():
		return fmt.Errorf("load sandbox ledger: %d flows stored, %d in the operation log", nflows, l.flows.len())
	case rebuild && l.flows.len() > 0:
		flows := make([]flowRec, 0, l.flows.len())
		for p := range l.flows.len() {
			flows = append(flows, l.flowAt(p))
		}
		return s.backfill(flows)
	}
	return nil
}

// backfill stores flows rebuilt from the operation log of a version 1 file.
func (s *store) backfill(flows []flowRec) (err error) {
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("sandbox ledger: begin: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if err = insertFlows(tx.Stmt(s.insFlow), flows); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("sandbox ledger: commit rebuilt flows: %w", err)
	}
	return nil
}

func insertFlows(st *sql.Stmt, flows []flowRec) error {
	for _, f := range flows {
		if _, err := st.Exec(f.seq, f.opSeq, f.typ, f.acct.brand, string(f.acct.kind), f.acct.id, f.shop, f.outer, f.outerPay,
			f.operator, f.remark, f.value, f.after, f.at.Format(time.RFC3339Nano)); err != nil {
			return fmt.Errorf("sandbox ledger: store flow: %w", err)
		}
	}
	return nil
}

func (s *store) close() error { return s.db.Close() }
