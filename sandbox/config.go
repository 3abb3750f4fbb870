// Package sandbox is a TOP-compatible gateway for alibaba.alsc.crm.open.recharge.operate with a real
// ledger: the embedded default gateway of svbatch for the demo, tests and rehearsals (DESIGN.md §5).
//
// It speaks the real protocol on /router/rest (signature, timestamp, app key, required params, TOP's
// answer shapes and error codes), keeps accounts per (brand_id, customer identity) with available and
// frozen balances, deduplicates by request_id, injects faults on demand (flow control, transient
// isp.* errors, latency, timeouts after applying) and exports its ledger as CSV.
//
// Over the same ledger it serves the read APIs of DESIGN.md §2 (flowdetail.get, accountflows.get,
// open.customer.get) and /router/batch for them: every applied operation records flows on the
// account's available balance (client.FlowTypeOf), visible after Faults.FlowLag; reads and every
// batch sub-request take flow-control tokens like any call; writes are refused inside a batch.
// Server.Apply changes the ledger directly, as an operator on the platform would.
//
// The ledger lives in memory; with Config.DBPath every change is also written to a SQLite file
// (modernc.org/sqlite, WAL) in one transaction with its idempotency record before it is answered,
// and the file is loaded back on start, so balances and request_ids survive restarts.
package sandbox

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"svbatch/client"
)

// Demo credentials: used when Config leaves AppKey and Secret empty, and accepted only on loopback
// addresses (Listen refuses them elsewhere). They are documented, not secret.
const (
	DefaultAppKey = "sandbox"
	DefaultSecret = "sandbox-secret"
)

// DefaultAddr is where `svbatch sandbox` listens unless told otherwise.
const DefaultAddr = "127.0.0.1:8795"

// Path is the gateway path, as on the real TOP gateways.
const Path = "/router/rest"

// Read API defaults (the real limits are not published).
const (
	DefaultMaxPageSize  = 100              // accountflows.get page_size limit
	DefaultPageSize     = 20               // accountflows.get page_size when the request has none
	DefaultMaxBatch     = 50               // sub-requests per /router/batch
	BatchPath           = client.BatchPath // beside Path
	batchWriteSubCode   = "isv.batch-write-not-allowed"
	readFaultSeedOffset = 0x9e3779b97f4a7c15
)

// TimestampSkew is how far a request's timestamp may be from the server's clock (TOP allows ±10 min).
const TimestampSkew = 10 * time.Minute

// Config configures a Server. The zero value is a fault-free in-memory sandbox with the demo
// credentials.
type Config struct {
	AppKey string // "" → DefaultAppKey (only together with an empty Secret)
	Secret string // "" → DefaultSecret (only together with an empty AppKey)

	DBPath string // "" → memory only; otherwise a SQLite file that survives restarts

	QPSLimit   float64 // token bucket rate in requests/s; 0 = no limit
	Burst      int     // token bucket size; 0 → max(1, ceil(QPSLimit))
	BanSeconds int     // how long every call gets code 7 once the bucket is empty; 0 → 1

	Faults // transient error rate, timeout rate, latency

	Seed int64 // seeds the fault draws: the same request order gives the same faults

	// The read APIs' limits, which TOP does not publish: set them to rehearse a stricter platform.
	MaxPageSize int           // largest accountflows page_size accepted; 0 → DefaultMaxPageSize
	MaxWindow   time.Duration // longest accountflows start_time..end_time; 0 → no limit
	MaxBatch    int           // most sub-requests in one /router/batch; 0 → DefaultMaxBatch
	FlowPick    string        // which flow flowdetail.get returns when several share an outer_order_id: FlowPickLatest (default) or FlowPickEarliest

	Now func() time.Time // clock for timestamps, bans and applied_at; nil → time.Now
}

// Faults are the injected faults; SetFaults changes them on a running server.
type Faults struct {
	FailRate    float64 // probability of an isp.* transient error (nothing applied), 0..1
	TimeoutRate float64 // probability of applying and then not answering (outcome unknown), 0..1

	// TimeoutStall is how long a timed-out request stalls before its connection is dropped:
	// 0 drops it right after applying (fast tests); a value past the client's timeout
	// (e.g. 20s) makes the client give up first, as a slow real gateway would.
	TimeoutStall time.Duration

	LatencyMin, LatencyMax time.Duration // added before applying, uniform in [min, max]

	// FlowLag delays a flow's visibility in the read APIs: a flow shows once the clock has passed
	// its applied time + FlowLag (read-after-write gaps). Balances (open.customer.get) show at once.
	FlowLag time.Duration
	// ReadFailRate is the probability of a transient isp.* error on a read call (each sub-request of
	// a batch draws on its own), 0..1. Reads draw from their own seeded source, so turning reads on
	// or off does not change the faults writes get.
	ReadFailRate float64
}

func (f Faults) validate() error {
	if !(f.FailRate >= 0 && f.FailRate <= 1) {
		return fmt.Errorf("fail rate %v: want 0..1", f.FailRate)
	}
	if !(f.TimeoutRate >= 0 && f.TimeoutRate <= 1) {
		return fmt.Errorf("timeout rate %v: want 0..1", f.TimeoutRate)
	}
	if f.TimeoutStall < 0 {
		return fmt.Errorf("timeout stall %v: want ≥ 0", f.TimeoutStall)
	}
	if f.LatencyMin < 0 || f.LatencyMax < f.LatencyMin {
		return fmt.Errorf("latency %v-%v: want 0 ≤ min ≤ max", f.LatencyMin, f.LatencyMax)
	}
	if f.FlowLag < 0 {
		return fmt.Errorf("flow lag %v: want ≥ 0", f.FlowLag)
	}
	if !(f.ReadFailRate >= 0 && f.ReadFailRate <= 1) {
		return fmt.Errorf("read fail rate %v: want 0..1", f.ReadFailRate)
	}
	return nil
}

// withDefaults validates c and fills in its defaults.
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.AppKey == "" && c.Secret == "":
		c.AppKey, c.Secret = DefaultAppKey, DefaultSecret
	case c.AppKey == "":
		return c, errors.New("sandbox: app key is empty but a secret is set")
	case c.Secret == "":
		return c, errors.New("sandbox: secret is empty but an app key is set")
	}
	if !(c.QPSLimit >= 0) {
		return c, fmt.Errorf("sandbox: qps limit %v: want ≥ 0", c.QPSLimit)
	}
	if c.Burst < 0 {
		return c, fmt.Errorf("sandbox: burst %d: want ≥ 0", c.Burst)
	}
	if c.Burst == 0 {
		c.Burst = 1
		if c.QPSLimit > 1 {
			c.Burst = int(c.QPSLimit)
			if float64(c.Burst) < c.QPSLimit {
				c.Burst++
			}
		}
	}
	if c.BanSeconds < 0 {
		return c, fmt.Errorf("sandbox: ban seconds %d: want ≥ 0", c.BanSeconds)
	}
	if c.BanSeconds == 0 {
		c.BanSeconds = 1
	}
	if err := c.Faults.validate(); err != nil {
		return c, fmt.Errorf("sandbox: %w", err)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	switch {
	case c.MaxPageSize < 0:
		return c, fmt.Errorf("sandbox: max page size %d: want ≥ 0", c.MaxPageSize)
	case c.MaxPageSize == 0:
		c.MaxPageSize = DefaultMaxPageSize
	}
	switch {
	case c.MaxBatch < 0:
		return c, fmt.Errorf("sandbox: max batch %d: want ≥ 0", c.MaxBatch)
	case c.MaxBatch == 0:
		c.MaxBatch = DefaultMaxBatch
	}
	if c.MaxWindow < 0 {
		return c, fmt.Errorf("sandbox: max window %v: want ≥ 0", c.MaxWindow)
	}
	switch c.FlowPick {
	case "":
		c.FlowPick = FlowPickLatest
	case FlowPickLatest, FlowPickEarliest:
	default:
		return c, fmt.Errorf("sandbox: flow pick %q: want %s or %s", c.FlowPick, FlowPickLatest, FlowPickEarliest)
	}
	return c, nil
}

// usesDemoCredentials reports whether c runs on the documented demo key or secret.
func (c Config) usesDemoCredentials() bool {
	return c.AppKey == DefaultAppKey || c.Secret == DefaultSecret
}

// ParseLatency parses a latency flag: "" or "0" (none), "5ms" (fixed) or "2ms-20ms" (uniform range).
func ParseLatency(s string) (min, max time.Duration, err error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, 0, nil
	}
	lo, hi, isRange := strings.Cut(s, "-")
	if min, err = time.ParseDuration(strings.TrimSpace(lo)); err != nil {
		return 0, 0, fmt.Errorf("latency %q: %w", s, err)
	}
	max = min
	if isRange {
		if max, err = time.ParseDuration(strings.TrimSpace(hi)); err != nil {
			return 0, 0, fmt.Errorf("latency %q: %w", s, err)
		}
	}
	if min < 0 || max < min {
		return 0, 0, fmt.Errorf("latency %q: want 0 ≤ min ≤ max (e.g. 5ms or 2ms-20ms)", s)
	}
	return min, max, nil
}
