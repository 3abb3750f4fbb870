// Command svbatch moves money on stored-value accounts in bulk, safely: it validates a spreadsheet,
// sends each row once to alibaba.alsc.crm.open.recharge.operate under a rate limit, journals every
// step so a killed run resumes, writes a results workbook and reconciles against an expected ledger.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// version is stamped at build time with -ldflags "-X main.version=…".
var version = "dev"

// Exit codes (DESIGN.md §7): scripts and cron depend on them.
const (
	exitOK          = 0   // all good
	exitFailed      = 1   // finished with failed/unknown rows, or reconciliation breaks
	exitUsage       = 2   // bad usage or invalid input: nothing sent
	exitInterrupted = 3   // interrupted, resumable
	exitSystem      = 4   // svbatch itself failed (journal, disk): the cause is printed; rerun after fixing it
	exitKilled      = 130 // a second Ctrl-C/SIGTERM: stopped at once, as kill -9 would (resumable)
)

// exitError carries the exit code a command wants; its message (if any) is printed on stderr.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErr is bad usage or invalid input (exit 2).
func usageErr(format string, a ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, a...)}
}

// withCode wraps err with an exit code; a nil err gives a silent exit with that code.
func withCode(code int, err error) error { return &exitError{code: code, err: err} }

// env reads the process environment; tests replace it.
type env func(string) string

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal the run winds down (in-flight requests finish, the journal and the
		// workbook are written); a second one stops at once, which the journal survives as it
		// survives kill -9.
		<-ctx.Done()
		again := make(chan os.Signal, 1)
		signal.Notify(again, os.Interrupt, syscall.SIGTERM) // before stop(): no gap for a default kill
		stop()
		<-again
		fmt.Fprintln(os.Stderr, "svbatch: second interrupt: stopped at once; the journal keeps every row's state: run the same command again to resume")
		os.Exit(exitKilled)
	}()
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode prints err (if it has a message) and maps it to the process exit code.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "svbatch:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "svbatch:", err)
	return exitFailed
}

// run is the whole program minus the process: tests call it directly.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv env) error {
	root := newRoot(&cmdIO{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv})
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil {
		var ee *exitError
		if !errors.As(err, &ee) && isCobraUsageError(err) {
			return usageErr("%v (see 'svbatch --help')", err)
		}
	}
	return err
}

// newRoot builds the command tree.
func newRoot(io *cmdIO) *cobra.Command {
	root := &cobra.Command{
		Use:   "svbatch",
		Short: "Move money on stored-value accounts in bulk, safely",
		Long: `svbatch sends stored-value operations (charge, freeze, verify, refund) from a CSV or XLSX file to
alibaba.alsc.crm.open.recharge.operate, exactly once per row, under a rate limit; it journals every
step so a killed run resumes, writes a results workbook, and reconciles against an expected ledger.

Start with:  svbatch demo        (everything, against the embedded sandbox)
             svbatch template    (a ready-to-fill workbook)`,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	var configPath string
	root.PersistentFlags().StringVar(&configPath, "config", "", "YAML file of flag values (gateway, app-key, app-secret-file, qps, …); flags and environment win (env "+configEnv+")")
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if configPath == "" {
			configPath = io.getenv(configEnv)
		}
		return applyConfig(cmd, configPath, io.getenv)
	}
	root.SetIn(io.stdin)
	root.SetOut(io.stdout)
	root.SetErr(io.stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErr("%v (see 'svbatch %s --help')", err, c.Name())
	})
	root.AddCommand(
		newCallCmd(io),
		newSandboxCmd(io),
		newValidateCmd(io),
		newTemplateCmd(io),
		newRunCmd(io),
		newReconcileCmd(io),
		newStatusCmd(io),
		newUndoCmd(io),
		newServeCmd(io),
		newResolveCmd(io),
		newDemoCmd(io),
	)
	return root
}

// cmdIO is what every command needs from the process.
type cmdIO struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         env
}

// isCobraUsageError tells cobra's own argument errors (unknown command, wrong arg count) apart.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "accepts ", "requires ", "unknown flag", "unknown shorthand"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// oneFile is the Args check of commands that take one input file.
func oneFile(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return usageErr("svbatch %s needs one FILE (a CSV or XLSX file of operations), got %d argument(s); see 'svbatch %s --help'", cmd.Name(), len(args), cmd.Name())
	}
	return nil
}
