package sandbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	_ "modernc.org/sqlite" // pure-Go SQLite driver "sqlite"
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

// store is the SQLite copy of the ledger. Its methods are called under the server's mutex.
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

// load reads the whole ledger into memory.
func (s *store) load(l *ledger) error {
	key := func(brand, kind, id string) (acctKey, error) {
		if len(kind) != 1 || (kind[0] != 'c' && kind[0] != 'm' && kind[0] != 'o') {
			return acctKey{}, fmt.Errorf("bad account kind %q", kind)
		}
		return acctKey{brand, kind[0], id}, nil
	}
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
	var brand, kind, id, outer string
	err := errors.Join(
		each(`SELECT brand_id, kind, ident, customer_id, mobile, outer_type, outer_id, available, frozen FROM accounts`, func(r *sql.Rows) error {
			var a account
			if err := r.Scan(&brand, &kind, &id, &a.customerID, &a.mobile, &a.outerType, &a.outerID, &a.available, &a.frozen); err != nil {
				return err
			}
			k, err := key(brand, kind, id)
			a.key = k
			l.accounts[k] = &a
			return err
		}),
		each(`SELECT brand_id, kind, ident, outer_order_id, amount, open FROM holds`, func(r *sql.Rows) error {
			var h hold
			if err := r.Scan(&brand, &kind, &id, &outer, &h.amount, &h.open); err != nil {
				return err
			}
			k, err := key(brand, kind, id)
			l.holds[orderRef{k, outer}] = h
			return err
		}),
		each(`SELECT brand_id, kind, ident, outer_order_id, amount, refunded FROM charges`, func(r *sql.Rows) error {
			var c charge
			if err := r.Scan(&brand, &kind, &id, &outer, &c.amount, &c.refunded); err != nil {
				return err
			}
			k, err := key(brand, kind, id)
			l.charges[orderRef{k, outer}] = c
			return err
		}),
		each(`SELECT brand_id, operate_type, outer_order_id, new_outer_order_id, request_id FROM applied`, func(r *sql.Rows) error {
			var i identity
			var rid string
			if err := r.Scan(&i.brand, &i.op, &i.outer, &i.newO, &rid); err != nil {
				return err
			}
			l.applied[i] = rid
			return nil
		}),
		each(`SELECT request_id, payload, biz_success, result, result_code, result_desc, result_view, trace_id FROM answers`, func(r *sql.Rows) error {
			var a answer
			var rid string
			if err := r.Scan(&rid, &a.payload, &a.result.BizSuccess, &a.result.Result, &a.result.ResultCode,
				&a.result.ResultDesc, &a.result.ResultView, &a.traceID); err != nil {
				return err
			}
			l.answers[rid] = a
			return nil
		}),
		each(`SELECT seq, request_id, brand_id, shop_id, operate_type, outer_order_id, new_outer_order_id, change_value,
			customer_id, mobile, outer_type, outer_id, result_code, applied_at FROM operations ORDER BY seq`, func(r *sql.Rows) error {
			var o Operation
			var at string
			if err := r.Scan(&o.Seq, &o.RequestID, &o.BrandID, &o.ShopID, &o.OperateType, &o.OuterOrderID, &o.NewOuterOrderID,
				&o.ChangeValue, &o.CustomerID, &o.Mobile, &o.OuterType, &o.OuterID, &o.ResultCode, &at); err != nil {
				return err
			}
			t, err := time.Parse(time.RFC3339Nano, at)
			o.AppliedAt = t
			l.ops = append(l.ops, o)
			l.seq = o.Seq
			return err
		}),
	)
	if err != nil {
		return fmt.Errorf("load sandbox ledger: %w", err)
	}
	var flows []flowRec
	err = each(`SELECT seq, op_seq, flow_type, brand_id, kind, ident, shop_id, outer_order_id, outer_pay_id, operator, remark,
		order_value, current_value, applied_at FROM flows ORDER BY seq`, func(r *sql.Rows) error {
		var f flowRec
		var at string
		if err := r.Scan(&f.seq, &f.opSeq, &f.typ, &brand, &kind, &id, &f.shop, &f.outer, &f.outerPay, &f.operator, &f.remark,
			&f.value, &f.after, &at); err != nil {
			return err
		}
		k, err := key(brand, kind, id)
		if err != nil {
			return err
		}
		f.acct = k
		if f.at, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return err
		}
		flows = append(flows, f)
		return nil
	})
	if err != nil {
		return fmt.Errorf("load sandbox ledger flows: %w", err)
	}
	if len(flows) == 0 && len(l.ops) > 0 {
		// a version 1 file: rebuild the flows from the operation log, once, and keep them
		flows = replayFlows(l.ops)
		if err := s.backfill(flows); err != nil {
			return err
		}
	}
	for k := range l.accounts {
		l.fx.noteAccount(k)
	}
	for _, f := range flows {
		l.fx.add(f)
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
