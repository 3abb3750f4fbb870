package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"svbatch/samples"
	"svbatch/sandbox"
)

type demoOptions struct {
	outDir     string
	qps        float64
	noProgress bool
	asOf       string
}

func newDemoCmd(io *cmdIO) *cobra.Command {
	var o demoOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole job on the sample files against an embedded sandbox (nothing leaves this machine)",
		Long: `demo starts the sandbox gateway in-process on a free loopback port, with a few injected faults
(transient errors, timeouts after the operation was applied, a request-rate limit above the run's rate),
runs the sample file through
'svbatch run', reconciles the results against the sample expected ledger (which plants one missing row,
one amount mismatch and one unexpected row, so the report has something to show) and the sandbox's
closing balances, and writes everything under --out. It takes well under a minute.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runDemo(cmd.Context(), io, &o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.outDir, "out", filepath.Join("out", "demo"), "directory for the demo's files (replaced)")
	f.Float64Var(&o.qps, "qps", 100, "request rate of the demo run")
	f.BoolVar(&o.noProgress, "no-progress", false, "no progress bar")
	f.StringVar(&o.asOf, "as-of", "", "timestamp shown on the reconciliation workbook (default now)")
	return cmd
}

func runDemo(ctx context.Context, cio *cmdIO, o *demoOptions) error {
	if err := os.RemoveAll(o.outDir); err != nil {
		return fmt.Errorf("clearing %s: %w", o.outDir, err)
	}
	if err := os.MkdirAll(o.outDir, 0o755); err != nil {
		return err
	}
	out := func(name string) string { return filepath.Join(o.outDir, name) }
	for _, name := range []string{"operations.csv", "expected.csv", "expected_balances.csv"} {
		if err := copySample(name, out(name)); err != nil {
			return err
		}
	}

	// The sandbox: in memory, on a free loopback port, with a few faults (seeded: the same every time).
	sb, err := sandbox.New(sandbox.Config{
		QPSLimit: o.qps * 1.5, Seed: 2026,
		Faults: sandbox.Faults{FailRate: 0.03, TimeoutRate: 0.02, LatencyMin: time.Millisecond, LatencyMax: 8 * time.Millisecond},
	})
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	url, err := sb.Start("127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	defer sb.Close()
	base := strings.TrimSuffix(url, sandbox.Path)
	fmt.Fprintf(cio.stderr, "Sandbox gateway on %s (app key %s; faults: 3%% transient errors, 2%% timeouts after applying)\n\n", url, sandbox.DefaultAppKey)

	// The run, through the CLI itself.
	getenv := func(k string) string {
		if k == "SVBATCH_APP_SECRET" {
			return sandbox.DefaultSecret
		}
		return ""
	}
	runArgs := []string{"run", out("operations.csv"), "--gateway", url, "--app-key", sandbox.DefaultAppKey,
		"--qps", fmtFloat(o.qps), "--concurrency", "8", "--yes", "--out", out("results.xlsx"), "--journal", out("journal.db")}
	if o.noProgress {
		runArgs = append(runArgs, "--no-progress")
	}
	start := time.Now()
	runErr := run(ctx, runArgs, strings.NewReader(""), cio.stdout, cio.stderr, getenv)
	if code := exitCode(runErr, cio.stderr); code != exitOK {
		return withCode(code, fmt.Errorf("demo run ended with exit code %d", code))
	}
	fmt.Fprintf(cio.stderr, "Run took %s\n\n", time.Since(start).Round(time.Millisecond))

	// The "actual" side from the sandbox, for the record and for the balance check.
	for name, write := range map[string]func(io.Writer) error{
		"sandbox_balances.csv": sb.WriteBalancesCSV, "sandbox_operations.csv": sb.WriteOperationsCSV,
	} {
		if err := writeFile(out(name), write); err != nil {
			return err
		}
	}

	// Reconcile: the planted breaks show up; exit 1 is expected here.
	recArgs := []string{"reconcile", out("results.xlsx"), out("expected.csv"), "--out", out("reconciliation.xlsx"),
		"--balances", out("expected_balances.csv"), "--actual-balances", base + "/sandbox/balances.csv"}
	if o.asOf != "" {
		recArgs = append(recArgs, "--as-of", o.asOf)
	}
	recErr := run(ctx, recArgs, strings.NewReader(""), cio.stdout, cio.stderr, getenv)
	if code := exitCode(recErr, cio.stderr); code != exitOK && code != exitFailed {
		return withCode(code, fmt.Errorf("demo reconcile ended with exit code %d", code))
	}

	// The platform side: an operation applied on the platform directly, outside the run; the
	// three-way reconcile finds it and proves every account's balance (reconcile_platform.go).
	if err := demoPlatform(ctx, cio, sb, url, out, o, getenv); err != nil {
		return err
	}

	fmt.Fprintf(cio.stdout, `
Demo files in %s:
  operations.csv          the input: %s
  results.xlsx            every row's outcome (Results), totals and a chart (Summary), rows to fix (Retry)
  journal.db              the run's journal: run 'svbatch run' on the same file again and nothing is resent
  expected.csv            what finance expected (with 3 planted breaks)
  reconciliation.xlsx     the proof: matched rows, and one sheet per kind of break
  expected_balances.csv   the closing balances the rows imply; checked against the sandbox's
  sandbox_balances.csv    the sandbox's closing balances ("actual")
  sandbox_operations.csv  every operation the sandbox applied, once each
  reconciliation_platform.xlsx  the three-way proof: the platform's flows and balances as well
  platform_cache.json     what the platform answered (a rerun of the three-way reconcile reads nothing)
The reconciliation above reports the three planted breaks (missing, amount_mismatch, unexpected):
that is what it is for. Everything else matched. The three-way one adds the operation applied on
the platform outside the run (platform_only) and proves every account's balance from the platform.
`, o.outDir, "the sample file, all four operations, several brands and shops")
	return nil
}

func copySample(name, dst string) error {
	b, err := samples.FS.ReadFile(name)
	if err != nil {
		return fmt.Errorf("sample %s: %w", name, err)
	}
	return os.WriteFile(dst, b, 0o644)
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}
