package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"svbatch/client"
	"svbatch/dispatch"
	"svbatch/sandbox"
	"svbatch/web"
)

// serveOptions are the flags of `svbatch serve`.
type serveOptions struct {
	conn         connFlags
	addr         string
	dataDir      string
	usersFile    string
	approval     bool
	tlsCert      string
	tlsKey       string
	insecureHTTP bool
	sandbox      bool
	maxUploadMiB int64
	qps          float64
	concurrency  int
	maxAttempts  int
	maxBanWait   time.Duration
	unreachable  time.Duration
	outageWait   time.Duration
	onFailure    string
	idNamespace  string
	adoptDir     string
}

// defaultServeAddr is loopback: the page moves money, so reaching it from the network is a choice.
const defaultServeAddr = "127.0.0.1:8796"

func newServeCmd(io *cmdIO) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "The finance team's web page: upload, fix, confirm, approve, run, download, reconcile",
		Long: `serve runs svbatch's own web pages: upload a CSV/XLSX file, match its columns (remembered for files
with the same headers), see every problem and download the file with the bad cells marked, confirm the
totals, have a second person approve (--approval), watch the run, download the results and reconcile
them against the expected ledger. Runs use the same engine and journal as 'svbatch run': each job's
journal is DATA/jobs/ID/journal.db ('svbatch status' reads it), and a run the server did not finish is
resumed from its journal. The reverse: 'svbatch serve adopt INPUT' brings a run started with 'svbatch
run' onto the page (its journal in place, its status, resumable there); with --adopt-dir, uploaders can
adopt one from the page by its path inside that folder.

Users and their roles (uploader, approver, viewer) are in --users, a file of bcrypt hashes made with
'svbatch serve adduser NAME --role ROLE'. The page binds to loopback unless --addr says otherwise; a
non-loopback address needs --tls-cert and --tls-key (or --insecure-http, behind a TLS proxy).
--sandbox sends to an embedded sandbox gateway instead (a rehearsal: nothing leaves the machine).`,
		Example: `  svbatch serve adduser alice --role uploader --data /srv/svbatch
  svbatch serve adduser bob --role approver --data /srv/svbatch
  svbatch serve --data /srv/svbatch --sandbox --approval            # rehearse
  SVBATCH_APP_SECRET=... svbatch serve --data /srv/svbatch --approval \
      --gateway https://eco.taobao.com/router/rest --app-key 12345678 --qps 20`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			sv, err := startServe(cmd.Context(), io, &o)
			if err != nil {
				return err
			}
			<-cmd.Context().Done()
			fmt.Fprintln(io.stderr, "svbatch serve: stopping; runs in progress end as interrupted and can be resumed")
			return sv.Close()
		},
	}
	o.addFlags(cmd.Flags())
	cmd.AddCommand(newAddUserCmd(io), newAdoptCmd(io))
	return cmd
}

// addFlags registers serve's flags on f.
func (o *serveOptions) addFlags(f *pflag.FlagSet) {
	o.conn.addFlags(f)
	f.StringVar(&o.addr, "addr", defaultServeAddr, "address to listen on (loopback by default; another needs --tls-cert/--tls-key or --insecure-http)")
	f.StringVar(&o.dataDir, "data", "svbatch-data", "directory of uploads, journals, results, remembered mappings and the audit log (created 0700)")
	f.StringVar(&o.usersFile, "users", "", "users file (default DATA/users): 'svbatch serve adduser' writes it")
	f.BoolVar(&o.approval, "approval", false, "a second user with role approver must approve each batch before it is sent")
	f.StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate file (PEM)")
	f.StringVar(&o.tlsKey, "tls-key", "", "TLS private key file (PEM)")
	f.BoolVar(&o.insecureHTTP, "insecure-http", false, "allow plain HTTP on a non-loopback address (only behind a TLS-terminating proxy)")
	f.BoolVar(&o.sandbox, "sandbox", false, "send to an embedded sandbox gateway (ledger in DATA/sandbox.db): a rehearsal, nothing leaves the machine")
	f.Int64Var(&o.maxUploadMiB, "max-upload", web.DefaultMaxUpload>>20, "largest upload, MiB")
	f.Float64Var(&o.qps, "qps", 20, "requests per second at most, retries included (0 = no limit)")
	f.IntVar(&o.concurrency, "concurrency", 8, "requests in flight at most")
	f.IntVar(&o.maxAttempts, "max-attempts", client.DefaultMaxAttempts, "sends of one row before giving up on transient errors")
	f.DurationVar(&o.maxBanWait, "max-ban-wait", client.DefaultMaxBanWait, "longest flow-control ban to wait out; longer stops the run (resumable)")
	f.DurationVar(&o.unreachable, "unreachable-after", dispatch.DefaultUnreachableAfter, "stop a run when no request has reached the API for this long")
	f.DurationVar(&o.outageWait, "outage-wait", dispatch.DefaultOutageWait, "wait this long for a gateway that stops answering mid-run")
	f.StringVar(&o.onFailure, "on-failure", dispatch.OnFailureSkipAccount, "after a row fails: skip-account or continue")
	f.StringVar(&o.idNamespace, "id-namespace", "", "namespace mixed into derived request_ids (as svbatch run --id-namespace)")
	f.StringVar(&o.adoptDir, "adopt-dir", "", "let uploaders adopt command-line runs from the page by their path, only inside this folder (default: adoption only by 'svbatch serve adopt')")
}

// served is a running `svbatch serve`.
type served struct {
	URL     string          // the page, e.g. http://127.0.0.1:8796
	Sandbox *sandbox.Server // the embedded gateway with --sandbox, else nil
	Web     *web.Server
	srv     *http.Server
	done    chan error
}

// Close stops the runs (interrupted, resumable), then the HTTP server, then the sandbox.
func (s *served) Close() error {
	s.Web.StopRuns()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if err != nil {
		err = s.srv.Close()
	}
	<-s.done
	if werr := s.Web.Close(); err == nil {
		err = werr
	}
	if s.Sandbox != nil {
		if serr := s.Sandbox.Close(); err == nil {
			err = serr
		}
	}
	return err
}

// checkServeAddr refuses plain HTTP on a non-loopback address unless told otherwise.
func checkServeAddr(o *serveOptions) error {
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return usageErr("--tls-cert and --tls-key go together")
	}
	if _, _, err := net.SplitHostPort(o.addr); err != nil {
		return usageErr("--addr %q: want host:port, e.g. %s", o.addr, defaultServeAddr)
	}
	if !sandbox.IsLoopback(o.addr) && o.tlsCert == "" && !o.insecureHTTP {
		return usageErr("--addr %s is reachable from the network: serve it over TLS (--tls-cert, --tls-key), or pass --insecure-http if a TLS proxy is in front", o.addr)
	}
	return nil
}

// startServe checks the flags, opens the data dir and the users file, builds the sender (the
// gateway's client, or the embedded sandbox) and starts listening.
func startServe(ctx context.Context, cio *cmdIO, o *serveOptions) (*served, error) {
	if err := checkServeAddr(o); err != nil {
		return nil, err
	}
	switch {
	case o.qps < 0:
		return nil, usageErr("--qps must not be negative (0 = unlimited)")
	case o.concurrency < 1:
		return nil, usageErr("--concurrency must be at least 1")
	case o.maxAttempts < 1:
		return nil, usageErr("--max-attempts must be at least 1")
	case o.maxUploadMiB < 1:
		return nil, usageErr("--max-upload must be at least 1 (MiB)")
	case o.onFailure != dispatch.OnFailureSkipAccount && o.onFailure != dispatch.OnFailureContinue:
		return nil, usageErr("--on-failure %q: want skip-account or continue", o.onFailure)
	}
	data, err := filepath.Abs(o.dataDir)
	if err != nil {
		return nil, usageErr("--data: %v", err)
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, usageErr("--data: %v", err)
	}
	adoptDir := ""
	if o.adoptDir != "" {
		if adoptDir, err = filepath.Abs(o.adoptDir); err == nil {
			_, err = os.Stat(adoptDir)
		}
		if err != nil {
			return nil, usageErr("--adopt-dir: %v", err)
		}
	}
	usersFile := o.usersFile
	if usersFile == "" {
		usersFile = filepath.Join(data, "users")
	}
	users, err := web.LoadUsers(usersFile)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	sv := &served{done: make(chan error, 1)}
	var sender dispatch.Sender
	if o.sandbox {
		sb, err := sandbox.New(sandbox.Config{DBPath: filepath.Join(data, "sandbox.db")})
		if err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
		u, err := sb.Start("127.0.0.1:0")
		if err != nil {
			sb.Close()
			return nil, fmt.Errorf("sandbox: %w", err)
		}
		sv.Sandbox = sb
		o.conn.gateway, o.conn.appKey = u, sandbox.DefaultAppKey
		cl, err := o.conn.newClient(sandbox.DefaultSecret)
		if err != nil {
			sb.Close()
			return nil, err
		}
		sender = cl
	} else {
		secret, err := o.conn.resolve(cio.getenv)
		if err != nil {
			return nil, err
		}
		cl, err := o.conn.newClient(secret)
		if err != nil {
			return nil, err
		}
		sender = cl
	}
	closeSandbox := func() {
		if sv.Sandbox != nil {
			sv.Sandbox.Close()
		}
	}
	policy := client.DefaultRetryPolicy()
	policy.MaxAttempts, policy.MaxBanWait = o.maxAttempts, o.maxBanWait
	qps := "unlimited"
	if o.qps > 0 {
		qps = fmtFloat(o.qps)
	}
	log := newLogger(cio.stderr, "text")
	w, err := web.New(web.Config{
		DataDir: data, Users: users, Approval: o.approval, Sender: sender,
		Gateway: o.conn.gateway, AppKey: o.conn.appKey,
		Dispatch: dispatch.Config{QPS: o.qps, Concurrency: o.concurrency, Policy: policy, OnFailure: o.onFailure,
			UnreachableAfter: o.unreachable, OutageWait: o.outageWait},
		Params: [][2]string{{"gateway", o.conn.gateway}, {"app key", o.conn.appKey}, {"sign method", o.conn.signMethod}, {"qps", qps},
			{"concurrency", strconv.Itoa(o.concurrency)}, {"max attempts", strconv.Itoa(o.maxAttempts)}, {"on failure", o.onFailure},
			{"id namespace", o.idNamespace}, {"retry failed", "false"}, {"sent by", "svbatch serve"}},
		JournalParams: map[string]string{"gateway": o.conn.gateway, "app_key": o.conn.appKey, "qps": fmtFloat(o.qps),
			"concurrency": strconv.Itoa(o.concurrency), "retry_failed": "false"},
		IDNamespace: o.idNamespace, Version: version, AdoptDir: adoptDir,
		MaxUpload: o.maxUploadMiB << 20, SecureCookies: o.tlsCert != "", Log: log,
	})
	if err != nil {
		closeSandbox()
		return nil, withCode(exitSystem, err)
	}
	l, err := net.Listen("tcp", o.addr)
	if err != nil {
		w.Close()
		closeSandbox()
		return nil, usageErr("--addr %s: %v", o.addr, err)
	}
	sv.Web = w
	sv.srv = &http.Server{Handler: w.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	scheme := "http"
	if o.tlsCert != "" {
		scheme = "https"
	}
	sv.URL = scheme + "://" + l.Addr().String()
	go func() {
		var err error
		if o.tlsCert != "" {
			err = sv.srv.ServeTLS(l, o.tlsCert, o.tlsKey)
		} else {
			err = sv.srv.Serve(l)
		}
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		sv.done <- err
	}()
	fmt.Fprintf(cio.stderr, "svbatch serve on %s (data %s, users %s, approval %v)\n", sv.URL, data, usersFile, o.approval)
	if sv.Sandbox != nil {
		fmt.Fprintf(cio.stderr, "Rehearsal: sending to the embedded sandbox %s (its ledger: %s/sandbox/balances.csv)\n", o.conn.gateway, strings.TrimSuffix(o.conn.gateway, sandbox.Path))
	} else {
		fmt.Fprintf(cio.stderr, "Gateway %s, app key %s, rate %s, concurrency %d\n", o.conn.gateway, o.conn.appKey, qps, o.concurrency)
	}
	return sv, nil
}

// addUserOptions are the flags of `svbatch serve adduser`.
type addUserOptions struct {
	role      string
	usersFile string
	dataDir   string
}

func newAddUserCmd(cio *cmdIO) *cobra.Command {
	var o addUserOptions
	cmd := &cobra.Command{
		Use:   "adduser NAME",
		Short: "Add a user of svbatch serve (or change their password or role); the password is read from the terminal or stdin",
		Long: `adduser writes NAME, its role and a bcrypt hash of its password to the users file (0600). The
password is asked twice on a terminal, or read as the first line of standard input; it is never a
flag, so it stays out of shell history and process lists. An existing NAME gets the new password
and role.`,
		Example: `  svbatch serve adduser alice --role uploader --data /srv/svbatch
  printf '%s\n' "$PW" | svbatch serve adduser bob --role approver --users /etc/svbatch/users`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErr("adduser needs one NAME, got %d argument(s)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if !web.ValidRole(o.role) {
				return usageErr("--role %q: want uploader, approver or viewer", o.role)
			}
			path := o.usersFile
			if path == "" {
				path = filepath.Join(o.dataDir, "users")
			}
			pw, err := readNewPassword(cio)
			if err != nil {
				return usageErr("%v", err)
			}
			if err := web.AddUser(path, args[0], o.role, pw); err != nil {
				return usageErr("%v", err)
			}
			fmt.Fprintf(cio.stderr, "%s (%s) is in %s\n", args[0], o.role, path)
			return nil
		},
	}
	cmd.Flags().StringVar(&o.role, "role", "", "uploader, approver or viewer (required)")
	cmd.Flags().StringVar(&o.usersFile, "users", "", "users file (default DATA/users)")
	cmd.Flags().StringVar(&o.dataDir, "data", "svbatch-data", "data dir of svbatch serve, for the default users file")
	return cmd
}

// readNewPassword asks twice on a terminal (not echoed), else reads the first line of stdin.
func readNewPassword(cio *cmdIO) (string, error) {
	if f, ok := cio.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(cio.stderr, "Password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(cio.stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(cio.stderr, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(cio.stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(cio.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on standard input")
	}
	return line, nil
}
