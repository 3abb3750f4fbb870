// Package platform reads what the platform holds for a run, for the three-way reconciliation
// (reconcile.ReconcilePlatform): the stored-value flows of the run's shops over its time window
// (accountflows.get, window by window, page by page) and the closing balance of each of the run's
// accounts (open.customer.get). Every read goes through a client.Reader: its retries, its rate
// limiter, its count of read calls (the quota).
//
// What was read is kept in a cache file (JSON) written after every window of every shop and every
// few balances, atomically (a temporary file renamed over it). An interrupted fetch resumes where it
// stopped; a fetch whose cache is complete spends no read call at all: the cache is the snapshot of
// the platform the reconciliation is about, and it is read again only when the scope changes (other
// results, another window or gateway) or the caller asks for a refresh.
//
// Balances are read after every flow: a closing balance is then at least as recent as the flows, and
// a flow applied in between shows as a failed proof, never as a silent gap.
package platform

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"svbatch/client"
	"svbatch/reconcile"
)

// Version is the cache file's format version; a cache of another version is read again.
const Version = 1

// Shop is a brand's shop: accountflows.get needs both.
type Shop struct {
	BrandID string `json:"brand_id"`
	ShopID  string `json:"shop_id"`
}

// Account is one of the run's accounts: a brand, the customer identity the results name, and the
// shop to ask open.customer.get with (it needs one).
type Account struct {
	BrandID    string `json:"brand_id"`
	ShopID     string `json:"shop_id"`
	CustomerID string `json:"customer_id,omitempty"`
	Mobile     string `json:"mobile,omitempty"`
	OuterType  string `json:"outer_type,omitempty"`
	OuterID    string `json:"outer_id,omitempty"`
}

// Customer is the account's customer identity.
func (a Account) Customer() reconcile.Customer {
	return reconcile.Customer{CustomerID: a.CustomerID, Mobile: a.Mobile, OuterType: a.OuterType, OuterID: a.OuterID}
}

// Scope is what to read: the flows of Shops in [Start, End] (inclusive, to the second) and the
// balances of Accounts. Gateway (shown without credentials) is part of the cache key.
type Scope struct {
	Gateway    string
	Shops      []Shop
	Accounts   []Account
	Start, End time.Time
}

// ScopeOf derives the scope from the results rows: every brand+shop a row names, and every account
// (brand + customer identity) with the first shop its rows name.
func ScopeOf(rows []reconcile.PlatformRow) (shops []Shop, accounts []Account) {
	seenShop := map[Shop]bool{}
	seenAcct := map[string]bool{}
	for _, r := range rows {
		if r.BrandID == "" || r.ShopID == "" {
			continue
		}
		if s := (Shop{r.BrandID, r.ShopID}); !seenShop[s] {
			seenShop[s] = true
			shops = append(shops, s)
		}
		if r.CustomerID == "" && r.Mobile == "" && (r.OuterID == "" || r.OuterType == "") {
			continue
		}
		if k := r.AccountKey(); !seenAcct[k] {
			seenAcct[k] = true
			accounts = append(accounts, Account{BrandID: r.BrandID, ShopID: r.ShopID, CustomerID: r.CustomerID, Mobile: r.Mobile,
				OuterType: r.OuterType, OuterID: r.OuterID})
		}
	}
	slices.SortFunc(shops, func(a, b Shop) int { return strings.Compare(a.BrandID+"\x00"+a.ShopID, b.BrandID+"\x00"+b.ShopID) })
	slices.SortFunc(accounts, func(a, b Account) int { return strings.Compare(acctSortKey(a), acctSortKey(b)) })
	return shops, accounts
}

func acctSortKey(a Account) string {
	return strings.Join([]string{a.BrandID, a.CustomerID, a.Mobile, a.OuterType, a.OuterID}, "\x00")
}

// key is the cache key of a scope: a cache holds the snapshot of exactly one.
func (s Scope) key() string {
	b, _ := json.Marshal(struct {
		Gateway    string    `json:"gateway"`
		Shops      []Shop    `json:"shops"`
		Accounts   []Account `json:"accounts"`
		Start, End time.Time
	}{s.Gateway, s.Shops, s.Accounts, s.Start.UTC().Truncate(time.Second), s.End.UTC().Truncate(time.Second)})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ShopFlows is what has been read of one shop: its flows from Start through Through.
type ShopFlows struct {
	Shop
	Through time.Time     `json:"through,omitzero"` // the end of the last window read; zero: none yet
	Done    bool          `json:"done"`
	Flows   []client.Flow `json:"flows"`
}

// Balance is one account's closing balance as open.customer.get answered it.
type Balance struct {
	Account
	Read       bool      `json:"read"`  // asked and answered (found, not found, or a final error)
	Found      bool      `json:"found"` // the platform knows the customer
	AccountIDs []string  `json:"account_ids,omitempty"`
	Balance    int64     `json:"balance"` // fen
	Err        string    `json:"error,omitempty"`
	ReadAt     time.Time `json:"read_at,omitzero"`
}

// Snapshot is the cache file's content: what the platform held for a scope.
type Snapshot struct {
	Version  int         `json:"version"`
	Key      string      `json:"key"`
	Gateway  string      `json:"gateway"`
	Start    time.Time   `json:"start"`
	End      time.Time   `json:"end"`      // the window asked for
	ReadEnd  time.Time   `json:"read_end"` // where the reads end (End, or earlier: now − the flow lag when first read)
	Shops    []ShopFlows `json:"shops"`
	Balances []Balance   `json:"balances"`
	// Calls are the read calls spent filling the snapshot, over every session; Pages the
	// accountflows.get pages among them.
	Calls int64 `json:"read_calls"`
	Pages int   `json:"pages"`
}

// Complete reports whether every shop's flows and every balance have been read.
func (s *Snapshot) Complete() bool {
	for _, sh := range s.Shops {
		if !sh.Done {
			return false
		}
	}
	for _, b := range s.Balances {
		if !b.Read {
			return false
		}
	}
	return true
}

// Flows returns every flow read, shop by shop in the platform's order.
func (s *Snapshot) Flows() []client.Flow {
	var out []client.Flow
	for _, sh := range s.Shops {
		out = append(out, sh.Flows...)
	}
	return out
}

// FlowCount is the number of flows read.
func (s *Snapshot) FlowCount() int {
	n := 0
	for _, sh := range s.Shops {
		n += len(sh.Flows)
	}
	return n
}

// Accounts returns the balances as the three-way reconciliation takes them.
func (s *Snapshot) Accounts() []reconcile.PlatformAccount {
	out := make([]reconcile.PlatformAccount, 0, len(s.Balances))
	for _, b := range s.Balances {
		a := reconcile.PlatformAccount{BrandID: b.BrandID, Customer: b.Customer(), ShopID: b.ShopID, Found: b.Found,
			AccountIDs: b.AccountIDs, Balance: b.Balance, Err: b.Err}
		if !b.Read {
			a.Err = "not read"
		}
		out = append(out, a)
	}
	return out
}

// Options tune Fetch.
type Options struct {
	// Window is the longest start..end of one accountflows.get query (0: client.DefaultFlowWindow).
	Window time.Duration
	// ReadEnd bounds where a new snapshot's reads end: now minus the platform's visibility lag, so
	// no window is read while flows may still appear in it. Zero: Scope.End. A resumed snapshot
	// keeps the end it was started with.
	ReadEnd time.Time
	// CachePath is the cache file; "" keeps nothing (every fetch reads).
	CachePath string
	// Refresh ignores an existing cache and reads again.
	Refresh bool
	// Now stamps balances (nil: time.Now).
	Now func() time.Time
}

// Stats count one Fetch's work.
type Stats struct {
	Calls     int64  // read calls this fetch sent (retries and batch parts included): its quota
	Pages     int    // accountflows.get pages received
	Windows   int    // windows queried
	Balances  int    // open.customer.get answers received
	Cached    bool   // a cache was found and used (Calls 0 when it was complete)
	CacheNote string // why an existing cache was not used ("" when it was, or there was none)
}

// Fetch reads the scope's flows and balances through r, resuming from (and keeping) the cache. On
// an error the progress made is saved first: run again to resume. An answer that will not change on
// a retry (a *client.BizError or another final error of open.customer.get) is recorded on the
// account, whose proof then fails, rather than stopping the fetch.
func Fetch(ctx context.Context, r *client.Reader, sc Scope, opt Options) (*Snapshot, Stats, error) {
	var st Stats
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	window := opt.Window
	if window <= 0 {
		window = client.DefaultFlowWindow
	}
	if sc.End.Before(sc.Start) {
		return nil, st, fmt.Errorf("platform window: end %s is before start %s", client.FormatFlowTime(sc.End), client.FormatFlowTime(sc.Start))
	}
	key := sc.key()
	snap, note, err := load(opt.CachePath, key, opt.Refresh)
	if err != nil {
		return nil, st, err
	}
	st.CacheNote = note
	if snap != nil {
		st.Cached = true
	} else {
		readEnd := sc.End
		if !opt.ReadEnd.IsZero() && opt.ReadEnd.Before(readEnd) {
			readEnd = opt.ReadEnd
		}
		if readEnd.Before(sc.Start) {
			return nil, st, fmt.Errorf("platform window: it starts at %s, but reads must end by %s (the flow lag): nothing can be read yet",
				client.FormatFlowTime(sc.Start), client.FormatFlowTime(readEnd))
		}
		snap = &Snapshot{Version: Version, Key: key, Gateway: sc.Gateway, Start: sc.Start.UTC().Truncate(time.Second),
			End: sc.End.UTC().Truncate(time.Second), ReadEnd: readEnd.UTC().Truncate(time.Second)}
		for _, s := range sc.Shops {
			snap.Shops = append(snap.Shops, ShopFlows{Shop: s, Flows: []client.Flow{}})
		}
		for _, a := range sc.Accounts {
			snap.Balances = append(snap.Balances, Balance{Account: a})
		}
	}
	start := r.Calls()
	saved := start
	save := func() error {
		c := r.Calls()
		snap.Calls += c - saved
		saved = c
		st.Calls = c - start
		return store(opt.CachePath, snap)
	}
	fail := func(err error) (*Snapshot, Stats, error) {
		if serr := save(); serr != nil {
			err = errors.Join(err, serr)
		}
		return nil, st, err
	}

	for i := range snap.Shops {
		sh := &snap.Shops[i]
		if sh.Done {
			continue
		}
		from := snap.Start
		if !sh.Through.IsZero() {
			from = sh.Through.Add(time.Second)
		}
		if from.After(snap.ReadEnd) {
			sh.Done = true
			continue
		}
		ws, err := client.SplitWindows(from, snap.ReadEnd, window)
		if err != nil {
			return fail(err)
		}
		for _, w := range ws {
			var got []client.Flow
			fs, err := r.Flows(ctx, client.FlowQuery{BrandID: sh.BrandID, ShopID: sh.ShopID, Start: w.Start, End: w.End},
				func(f client.Flow) error { got = append(got, f); return nil })
			st.Pages += fs.Pages
			st.Windows += fs.Windows
			snap.Pages += fs.Pages
			if err != nil {
				return fail(fmt.Errorf("shop %s of brand %s: %w", sh.ShopID, sh.BrandID, err))
			}
			sh.Flows = append(sh.Flows, got...)
			sh.Through = w.End.UTC()
			if err := save(); err != nil {
				return nil, st, err
			}
		}
		sh.Done = true
		if err := save(); err != nil {
			return nil, st, err
		}
	}

	pending := 0
	for i := range snap.Balances {
		b := &snap.Balances[i]
		if b.Read {
			continue
		}
		resp, err := r.Customer(ctx, client.CustomerRequest{BrandID: b.BrandID, ShopID: b.ShopID, CustomerID: b.CustomerID,
			Mobile: b.Mobile, OuterID: b.OuterID, OuterType: b.OuterType})
		var biz *client.BizError
		switch {
		case err == nil:
			st.Balances++
			b.Read, b.ReadAt = true, now().UTC().Truncate(time.Second)
			if c := resp.Customer; c != nil {
				b.Found = true
				for _, card := range c.Cards {
					if card.CardID != "" {
						b.AccountIDs = append(b.AccountIDs, card.CardID)
					}
					for _, a := range card.Accounts {
						if a.AccountID != "" {
							b.AccountIDs = append(b.AccountIDs, a.AccountID)
						}
					}
				}
				bal, ok := c.Balance()
				if !ok {
					b.Err = "the balances of its cards add up past the int64 limit"
				}
				b.Balance = bal
			}
		case errors.As(err, &biz) || client.Classify(err) == client.Final:
			st.Balances++
			b.Read, b.ReadAt, b.Err = true, now().UTC().Truncate(time.Second), err.Error()
		default:
			return fail(err)
		}
		if pending++; pending%25 == 0 {
			if err := save(); err != nil {
				return nil, st, err
			}
		}
	}
	if err := save(); err != nil {
		return nil, st, err
	}
	return snap, st, nil
}

// load reads the cache at path when it holds the snapshot of key; otherwise it returns nil and
// why the file was not used ("" when there is none).
func load(path, key string, refresh bool) (*Snapshot, string, error) {
	if path == "" {
		return nil, "", nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("platform cache: %w", err)
	}
	if refresh {
		return nil, "refresh asked for: read again", nil
	}
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Sprintf("%s is not a platform cache (%v): read again", filepath.Base(path), err), nil
	}
	switch {
	case s.Version != Version:
		return nil, fmt.Sprintf("%s has format version %d, not %d: read again", filepath.Base(path), s.Version, Version), nil
	case s.Key != key:
		return nil, fmt.Sprintf("%s is for other results, another window or gateway: read again", filepath.Base(path)), nil
	}
	return &s, "", nil
}

// store writes the snapshot to path atomically (nothing when path is "").
func store(path string, s *Snapshot) error {
	if path == "" {
		return nil
	}
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("platform cache: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil { // customers' ids and balances
		return fmt.Errorf("platform cache: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("platform cache: %w", err)
	}
	return nil
}

// FileSHA256 is the hex SHA-256 of the cache file at path (what the workbook lists as the platform
// input).
func FileSHA256(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("platform cache: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
