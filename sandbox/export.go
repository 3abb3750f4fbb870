package sandbox

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"time"

	"svbatch"
)

// OperationsHeader is the header row of the operation log export; the balances export's is
// svbatch.BalanceColumns.
var (
	OperationsHeader = []string{"seq", "request_id", "brand_id", "shop_id", "operate_type", "outer_order_id",
		"new_outer_order_id", "change_value", "customer_id", "mobile", "outer_type", "outer_id", "result_code", "applied_at"}
)

// Balances returns every account, sorted by brand_id, then customer_id, mobile, outer_type, outer_id.
func (s *Server) Balances() []Balance {
	s.mu.Lock()
	out := s.led.balances()
	s.mu.Unlock()
	return out
}

// OperationCount is the number of operations in the log (Operations without the copy).
func (s *Server) OperationCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.led.ops.len()
}

// Operations returns the operation log (every request that changed the ledger, once) by seq.
func (s *Server) Operations() []Operation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.led.operations(0, s.led.ops.len())
}

// operations is the log's operations from seq from+1 to to.
func (l *ledger) operations(from, to int) []Operation {
	out := make([]Operation, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, l.operation(i))
	}
	return out
}

func (l *ledger) balances() []Balance {
	out := make([]Balance, 0, l.accts.len())
	for i := range l.accts.len() {
		a := l.accountView(uint32(i))
		out = append(out, Balance{BrandID: a.key.brand, CustomerID: a.customerID, Mobile: a.mobile,
			OuterType: a.outerType, OuterID: a.outerID, Available: a.available, Frozen: a.frozen})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		for _, p := range [][2]string{{a.BrandID, b.BrandID}, {a.CustomerID, b.CustomerID}, {a.Mobile, b.Mobile},
			{a.OuterType, b.OuterType}, {a.OuterID, b.OuterID}} {
			if p[0] != p[1] {
				return p[0] < p[1]
			}
		}
		return false
	})
	return out
}

// WriteBalancesCSV writes the balances export: svbatch.BalanceColumns, one row per account, amounts in fen.
func (s *Server) WriteBalancesCSV(w io.Writer) error { return writeBalances(w, s.Balances()) }

// WriteOperationsCSV writes the operations export: OperationsHeader, one row per applied operation
// by seq; applied_at is RFC 3339 in GMT+8.
// It copies the log a chunk at a time, so a long log is neither held twice nor locked while written.
func (s *Server) WriteOperationsCSV(w io.Writer) error {
	s.mu.Lock()
	n := s.led.ops.len() // the log as of now: later operations are appended after it
	s.mu.Unlock()
	cw := csv.NewWriter(w)
	cw.Write(OperationsHeader)
	for from := 0; from < n; from += 4096 {
		s.mu.Lock()
		ops := s.led.operations(from, min(n, from+4096))
		s.mu.Unlock()
		writeOperationRows(cw, ops)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write operations csv: %w", err)
	}
	return nil
}

func writeBalances(w io.Writer, bs []Balance) error {
	cw := csv.NewWriter(w)
	cw.Write(svbatch.BalanceColumns)
	for _, b := range bs {
		cw.Write([]string{b.BrandID, b.CustomerID, b.Mobile, b.OuterType, b.OuterID,
			strconv.FormatInt(b.Available, 10), strconv.FormatInt(b.Frozen, 10)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write balances csv: %w", err)
	}
	return nil
}

func writeOperations(w io.Writer, ops []Operation) error {
	cw := csv.NewWriter(w)
	cw.Write(OperationsHeader)
	writeOperationRows(cw, ops)
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write operations csv: %w", err)
	}
	return nil
}

func writeOperationRows(cw *csv.Writer, ops []Operation) {
	for _, o := range ops {
		cw.Write([]string{strconv.FormatInt(o.Seq, 10), o.RequestID, o.BrandID, o.ShopID,
			strconv.Itoa(int(o.OperateType)), o.OuterOrderID, o.NewOuterOrderID, strconv.FormatInt(o.ChangeValue, 10),
			o.CustomerID, o.Mobile, o.OuterType, o.OuterID, o.ResultCode, o.AppliedAt.In(gmt8).Format(time.RFC3339)})
	}
}

// Export names for ExportDB.
const (
	ExportBalances   = "balances"
	ExportOperations = "operations"
)

// ExportDB writes one export ("balances" or "operations") of the sandbox ledger file at path to w,
// without serving. The file must exist.
func ExportDB(path, what string, w io.Writer) error {
	if what != ExportBalances && what != ExportOperations {
		return fmt.Errorf("export %q: want %s or %s", what, ExportBalances, ExportOperations)
	}
	st, err := openStore(path, true)
	if err != nil {
		return err
	}
	defer st.close()
	l := newLedger()
	if err := st.load(l); err != nil {
		return err
	}
	if what == ExportBalances {
		return writeBalances(w, l.balances())
	}
	return writeOperations(w, l.operations(0, l.ops.len()))
}

func (s *Server) serveBalances(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="balances.csv"`)
	s.WriteBalancesCSV(w) //nolint:errcheck // the client went away
}

func (s *Server) serveOperations(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="operations.csv"`)
	s.WriteOperationsCSV(w) //nolint:errcheck // the client went away
}
