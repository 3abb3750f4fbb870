package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"svbatch/sandbox"
)

// sandboxOptions are the flags of `svbatch sandbox`.
type sandboxOptions struct {
	addr         string
	appKey       string
	secretFile   string
	db           string
	qpsLimit     float64
	burst        int
	banSeconds   int
	failRate     float64
	timeoutRate  float64
	timeoutStall time.Duration
	latency      string
	seed         int64

	flowLag      time.Duration
	readFailRate float64
	maxPageSize  int
	maxWindow    time.Duration
	maxBatch     int
	flowPick     string
}

func newSandboxCmd(io *cmdIO) *cobra.Command {
	var o sandboxOptions
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Serve a TOP-compatible sandbox gateway with a real ledger (for rehearsals and tests)",
		Long: `svbatch sandbox serves alibaba.alsc.crm.open.recharge.operate on /router/rest with the real TOP
protocol (signature, timestamp, app key, required params, TOP's answers and error codes) over a real
ledger: accounts per (brand_id, customer) with available and frozen balances, idempotent by request_id.

It prints one line "sandbox listening on http://HOST:PORT/router/rest (app key KEY)" and serves until
SIGINT/SIGTERM, then shuts down gracefully. Point svbatch run/call at it with --gateway (or
SVBATCH_GATEWAY) and the same app key and secret.

Credentials: --app-key (or SVBATCH_APP_KEY) and the secret from SVBATCH_APP_SECRET or
--app-secret-file, never a flag value. On a loopback address with neither set, the documented demo
credentials are used: app key "sandbox", secret "sandbox-secret". Other addresses require both.

Ledger: in memory unless --db FILE (SQLite; balances and request_ids survive restarts).

Faults (seeded by --seed, reproducible for a given request order):
  --qps-limit N     token bucket; over it every call gets code 7 for --ban-seconds
  --fail-rate P     transient isp.* error (code 10), nothing applied
  --timeout-rate P  applies, then drops the connection (after --timeout-stall): outcome unknown
  --latency D       added to every call: 5ms, or a range 2ms-20ms
  --flow-lag D      a flow shows in the read APIs only D after it was applied (read-after-write)
  --read-fail-rate P  transient isp.* error on a read call (each batch sub-request draws)

Read APIs over the same ledger (DESIGN.md §2), on /router/rest and in /router/batch:
  alibaba.alsc.crm.recharge.account.flowdetail.get  one flow by flow_id or outer_order_id
  alibaba.alsc.crm.recharge.accountflows.get        a brand+shop's flows in a time window, paged
  alibaba.alsc.crm.open.customer.get                a customer's card and balance
Every applied operation is a flow (RECHARGE +v, FREEZE −v, VERIFY −v, REFUND −v; a verify of an
open hold first returns it as UNFREEZE +held) over the available balance. What TOP does not publish
is a flag: --max-page-size (100), --max-window (none), --max-batch (50 sub-requests),
--flow-pick latest|earliest (the flow flowdetail.get returns when several share an outer_order_id).
Reads count against --qps-limit like any call; so does every sub-request of a batch. Writes are
refused inside /router/batch.

Exports (the "actual" side for reconciliation), while it runs:
  GET /sandbox/balances.csv    brand_id,customer_id,mobile,outer_type,outer_id,available,frozen
  GET /sandbox/operations.csv  every applied operation, by seq
  GET /sandbox/healthz         200 when serving
and from a ledger file: svbatch sandbox export --db FILE balances|operations`,
		Example: `  svbatch sandbox
  svbatch sandbox --addr 127.0.0.1:0 --db sandbox.db --fail-rate 0.05 --timeout-rate 0.01 --seed 42
  SVBATCH_APP_SECRET=s3cret svbatch sandbox --addr 0.0.0.0:8795 --app-key mykey --qps-limit 50`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSandbox(cmd, io, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", sandbox.DefaultAddr, "listen address (host:port; port 0 picks a free one)")
	f.StringVar(&o.appKey, "app-key", "", "app key to accept (default $SVBATCH_APP_KEY, or the demo key on loopback)")
	f.StringVar(&o.secretFile, "app-secret-file", "", "file holding the app secret (default $SVBATCH_APP_SECRET, or the demo secret on loopback)")
	f.StringVar(&o.db, "db", "", "SQLite ledger file that survives restarts (default: in memory)")
	f.Float64Var(&o.qpsLimit, "qps-limit", 0, "flow control: requests per second before code 7 (0 = none)")
	f.IntVar(&o.burst, "burst", 0, "flow control bucket size (default: the qps limit, at least 1)")
	f.IntVar(&o.banSeconds, "ban-seconds", 1, "flow control: how long a ban lasts, in seconds")
	f.Float64Var(&o.failRate, "fail-rate", 0, "probability (0-1) of a transient isp.* error, nothing applied")
	f.Float64Var(&o.timeoutRate, "timeout-rate", 0, "probability (0-1) of applying and then not answering")
	f.DurationVar(&o.timeoutStall, "timeout-stall", 0, "how long a timed-out call stalls before its connection drops (0 = drop at once)")
	f.StringVar(&o.latency, "latency", "", "latency added to every call: 5ms, or a range 2ms-20ms")
	f.Int64Var(&o.seed, "seed", 1, "seed of the fault draws")
	f.DurationVar(&o.flowLag, "flow-lag", 0, "delay before a flow shows in the read APIs (e.g. 30s; 0 = at once)")
	f.Float64Var(&o.readFailRate, "read-fail-rate", 0, "probability (0-1) of a transient isp.* error on a read call")
	f.IntVar(&o.maxPageSize, "max-page-size", sandbox.DefaultMaxPageSize, "largest accountflows.get page_size accepted")
	f.DurationVar(&o.maxWindow, "max-window", 0, "longest accountflows.get start_time..end_time accepted (0 = no limit)")
	f.IntVar(&o.maxBatch, "max-batch", sandbox.DefaultMaxBatch, "most sub-requests in one /router/batch")
	f.StringVar(&o.flowPick, "flow-pick", sandbox.FlowPickLatest, "flow flowdetail.get returns when several share an outer_order_id: latest or earliest")
	cmd.AddCommand(newSandboxExportCmd(io))
	return cmd
}

// sandboxConfig turns the flags and environment into a sandbox.Config; errors are usage errors.
func sandboxConfig(io *cmdIO, o sandboxOptions) (sandbox.Config, error) {
	var cfg sandbox.Config
	key := o.appKey
	if key == "" {
		key = io.getenv("SVBATCH_APP_KEY")
	}
	secret, err := optionalSecret(o.secretFile, io.getenv)
	if err != nil {
		return cfg, err
	}
	switch {
	case key == "" && secret == "":
		if !sandbox.IsLoopback(o.addr) {
			return cfg, usageErr("--addr %s is not loopback: set --app-key and SVBATCH_APP_SECRET (or --app-secret-file); the demo credentials are public", o.addr)
		}
	case key == "":
		return cfg, usageErr("a secret is set but no app key: set --app-key or SVBATCH_APP_KEY")
	case secret == "":
		return cfg, usageErr("app key %q but no secret: set SVBATCH_APP_SECRET or --app-secret-file", key)
	}
	if !sandbox.IsLoopback(o.addr) && (key == sandbox.DefaultAppKey || secret == sandbox.DefaultSecret) {
		return cfg, usageErr("--addr %s is not loopback: the demo app key and secret are public, choose your own", o.addr)
	}
	lmin, lmax, err := sandbox.ParseLatency(o.latency)
	if err != nil {
		return cfg, usageErr("--latency: %v", err)
	}
	switch {
	case !(o.failRate >= 0 && o.failRate <= 1):
		return cfg, usageErr("--fail-rate %v: want 0 to 1", o.failRate)
	case !(o.timeoutRate >= 0 && o.timeoutRate <= 1):
		return cfg, usageErr("--timeout-rate %v: want 0 to 1", o.timeoutRate)
	case !(o.qpsLimit >= 0):
		return cfg, usageErr("--qps-limit %v: want ≥ 0", o.qpsLimit)
	case o.burst < 0:
		return cfg, usageErr("--burst %d: want ≥ 0", o.burst)
	case o.banSeconds < 1:
		return cfg, usageErr("--ban-seconds %d: want ≥ 1", o.banSeconds)
	case o.timeoutStall < 0:
		return cfg, usageErr("--timeout-stall %v: want ≥ 0", o.timeoutStall)
	case o.flowLag < 0:
		return cfg, usageErr("--flow-lag %v: want ≥ 0", o.flowLag)
	case !(o.readFailRate >= 0 && o.readFailRate <= 1):
		return cfg, usageErr("--read-fail-rate %v: want 0 to 1", o.readFailRate)
	case o.maxPageSize < 1:
		return cfg, usageErr("--max-page-size %d: want ≥ 1", o.maxPageSize)
	case o.maxWindow < 0:
		return cfg, usageErr("--max-window %v: want ≥ 0 (0 = no limit)", o.maxWindow)
	case o.maxBatch < 1:
		return cfg, usageErr("--max-batch %d: want ≥ 1", o.maxBatch)
	case o.flowPick != sandbox.FlowPickLatest && o.flowPick != sandbox.FlowPickEarliest:
		return cfg, usageErr("--flow-pick %q: want %s or %s", o.flowPick, sandbox.FlowPickLatest, sandbox.FlowPickEarliest)
	}
	return sandbox.Config{
		AppKey: key, Secret: secret, DBPath: o.db,
		QPSLimit: o.qpsLimit, Burst: o.burst, BanSeconds: o.banSeconds,
		Faults: sandbox.Faults{FailRate: o.failRate, TimeoutRate: o.timeoutRate, TimeoutStall: o.timeoutStall,
			LatencyMin: lmin, LatencyMax: lmax, FlowLag: o.flowLag, ReadFailRate: o.readFailRate},
		Seed:        o.seed,
		MaxPageSize: o.maxPageSize, MaxWindow: o.maxWindow, MaxBatch: o.maxBatch, FlowPick: o.flowPick,
	}, nil
}

func runSandbox(cmd *cobra.Command, io *cmdIO, o sandboxOptions) error {
	cfg, err := sandboxConfig(io, o)
	if err != nil {
		return err
	}
	// A ledger file is replayed on start (about 20 s for a million operations): say so first.
	replay := false
	if o.db != "" {
		if st, err := os.Stat(o.db); err == nil && st.Size() > 0 {
			replay = true
			fmt.Fprintf(io.stderr, "sandbox: replaying the ledger %s…\n", o.db)
		}
	}
	started := time.Now()
	srv, err := sandbox.New(cfg)
	if err != nil {
		return err
	}
	if replay {
		fmt.Fprintf(io.stderr, "sandbox: ledger %s: %d operation(s) replayed in %v\n", o.db, srv.OperationCount(), time.Since(started).Round(time.Millisecond))
	}
	l, err := srv.Listen(o.addr)
	if err != nil {
		srv.Close()
		return err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()

	fmt.Fprintf(io.stdout, "sandbox listening on %s (app key %s)\n", srv.URL(), srv.AppKey())
	ledger := "in memory"
	if o.db != "" {
		ledger = o.db
	}
	base := strings.TrimSuffix(srv.URL(), sandbox.Path)
	fmt.Fprintf(io.stderr, "sandbox: ledger %s; exports %s/sandbox/balances.csv and %s/sandbox/operations.csv; Ctrl-C stops\n", ledger, base, base)

	ctx := cmd.Context()
	select {
	case <-ctx.Done():
		err = srv.Close() // graceful: in-flight requests finish
		<-served
		if err != nil {
			return err
		}
		fmt.Fprintln(io.stderr, "sandbox: stopped")
		return nil
	case err := <-served:
		return errors.Join(err, srv.Close())
	}
}

func newSandboxExportCmd(io *cmdIO) *cobra.Command {
	var db string
	cmd := &cobra.Command{
		Use:   "export --db FILE balances|operations",
		Short: "Write a sandbox ledger file's balances or operation log as CSV to stdout",
		Long: `svbatch sandbox export reads a sandbox ledger file (--db, as given to svbatch sandbox) and writes
one export as CSV to stdout, the same as the HTTP paths of a running sandbox:
  balances    brand_id,customer_id,mobile,outer_type,outer_id,available,frozen (amounts in fen)
  operations  seq,request_id,brand_id,shop_id,operate_type,outer_order_id,new_outer_order_id,
              change_value,customer_id,mobile,outer_type,outer_id,result_code,applied_at
For an in-memory sandbox, fetch http://HOST:PORT/sandbox/balances.csv (or operations.csv) instead.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			what := args[0]
			if what != sandbox.ExportBalances && what != sandbox.ExportOperations {
				return usageErr("export %q: want balances or operations", what)
			}
			if db == "" {
				return usageErr("export needs --db FILE (the sandbox's ledger file)")
			}
			if _, err := os.Stat(db); err != nil {
				return usageErr("--db: %v", err)
			}
			return sandbox.ExportDB(db, what, io.stdout)
		},
	}
	cmd.Flags().StringVar(&db, "db", "", "the sandbox ledger file")
	return cmd
}
