package journal

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"svbatch"
)

// The test binary re-executed with helperEnv set acts as a second svbatch process on a journal.
const (
	helperEnv    = "SVBATCH_JOURNAL_HELPER"
	helperPath   = "SVBATCH_JOURNAL_PATH"
	helperPrefix = "SVBATCH_JOURNAL_PREFIX"
)

// Exit codes of the "try" helper.
const (
	tryOpened = 0
	tryFailed = 1
	tryLocked = 3
)

// runHelper is the second process's main.
//   - hold: open the journal, print "ready", keep it open until stdin closes.
//   - try: open the journal; exit tryLocked (printing the error) if it is locked.
//   - crash: MarkSending rows from 32 goroutines until killed, printing "S <key>" after each
//     MarkSending returned, and recording every other row as succeeded.
func runHelper(mode string) int {
	path := os.Getenv(helperPath)
	switch mode {
	case "hold":
		j, err := Open(path)
		if err != nil {
			fmt.Println("error:", err)
			return 1
		}
		fmt.Println("ready")
		_, _ = io.Copy(io.Discard, os.Stdin)
		if err := j.Close(); err != nil {
			fmt.Println("error:", err)
			return 1
		}
		return 0
	case "try":
		j, err := Open(path)
		if errors.Is(err, ErrLocked) {
			fmt.Println("locked:", err)
			return tryLocked
		}
		if err != nil {
			fmt.Println("error:", err)
			return tryFailed
		}
		fmt.Println("opened")
		_ = j.Close()
		return tryOpened
	case "crash":
		return crashChild(path, os.Getenv(helperPrefix))
	}
	fmt.Println("unknown helper mode", mode)
	return 1
}

func crashChild(path, prefix string) int {
	j, err := Open(path)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	if _, err := j.BeginRun("crash.csv", map[string]string{"prefix": prefix}); err != nil {
		fmt.Println("error:", err)
		return 1
	}
	var n atomic.Int64
	var out sync.Mutex
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := n.Add(1)
				if i > 200_000 {
					return
				}
				e := Entry{Key: fmt.Sprintf("%s-%06d", prefix, i), Line: int(i) + 1, RequestID: "svb1x", State: svbatch.Sending, Attempts: 1}
				if err := j.MarkSending(ctx, e); err != nil {
					out.Lock()
					fmt.Println("error:", err)
					out.Unlock()
					os.Exit(1)
				}
				out.Lock()
				// One write(2) of a short line: atomic on a pipe.
				_, _ = os.Stdout.WriteString("S " + e.Key + "\n")
				out.Unlock()
				if i%2 == 0 {
					e.State, e.Answered, e.BizSuccess, e.ResultOK = svbatch.Succeeded, true, true, true
					_ = j.Record(e)
				}
			}
		}()
	}
	wg.Wait()
	_ = j.Close()
	select {} // wait to be killed
}

// helper starts the test binary as a helper process on path.
func helper(t *testing.T, mode, path string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{helperEnv + "=" + mode, helperPath + "=" + path}, env...)...)
	return cmd
}

// TestLockOtherProcess: a second process is refused while the first holds the journal, in both
// directions, and the lock goes away when the holder closes or is killed.
func TestLockOtherProcess(t *testing.T) {
	t.Parallel()
	path := t.TempDir() + "/in.svbatch.db"

	// A child holds the journal: this process is refused with ErrLocked naming the file.
	hold := helper(t, "hold", path)
	stdin, err := hold.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := hold.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := hold.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if line != "ready\n" {
		t.Fatalf("holder said %q; want ready", line)
	}
	_, err = Open(path)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open while another process holds it = %v; want ErrLocked naming %s", err, path)
	}
	stdin.Close()
	if err := hold.Wait(); err != nil {
		t.Fatalf("holder: %v", err)
	}

	// This process holds it: a child is refused.
	j, err := Open(path)
	if err != nil {
		t.Fatalf("Open after the holder closed: %v", err)
	}
	out, err := helper(t, "try", path).Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != tryLocked || !strings.Contains(string(out), path) {
		t.Fatalf("child Open while we hold it: %v, output %q; want exit %d naming %s", err, out, tryLocked, path)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	// A holder killed with SIGKILL leaves no stale lock.
	hold = helper(t, "hold", path)
	if _, err := hold.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err = hold.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := hold.Start(); err != nil {
		t.Fatal(err)
	}
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "ready\n" {
		t.Fatalf("holder said %q; want ready", line)
	}
	if err := hold.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = hold.Wait()
	j, err = Open(path)
	if err != nil {
		t.Fatalf("Open after the holder was killed: %v", err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestCrashSafety: a child MarkSending's rows from 32 goroutines and is SIGKILLed at a random
// moment, several times on the same journal. Every row whose MarkSending returned in the child is
// there afterwards, as sending or later: never missing.
func TestCrashSafety(t *testing.T) {
	t.Parallel()
	path := t.TempDir() + "/crash.svbatch.db"
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("seed %d", seed)
	var all []string
	for round := 0; round < 5; round++ {
		delay := time.Duration(rng.IntN(150)) * time.Millisecond
		keys := crashRound(t, path, fmt.Sprintf("r%d", round), delay)
		all = append(all, keys...)
		j, err := Open(path)
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		var check string
		if err := j.rdb.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
			t.Errorf("round %d: integrity_check = %q, %v", round, check, err)
		}
		missing := 0
		for _, k := range all {
			e, ok, err := j.Get(k)
			if err != nil {
				t.Fatal(err)
			}
			if !ok || (e.State != svbatch.Sending && e.State != svbatch.Succeeded) {
				missing++
				if missing <= 5 {
					t.Errorf("round %d: %s acknowledged by MarkSending but found %v, state %q", round, k, ok, e.State)
				}
			}
		}
		counts, err := j.Counts()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d: killed after %v; %d rows acknowledged this round, %d so far; journal has %v", round, delay, len(keys), len(all), counts)
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
		if missing > 0 {
			t.Fatalf("round %d: %d acknowledged rows missing", round, missing)
		}
	}
}

// crashRound runs one crash child for delay after its first acknowledged row, kills it, and
// returns the keys it acknowledged.
func crashRound(t *testing.T, path, prefix string, delay time.Duration) []string {
	t.Helper()
	cmd := helper(t, "crash", path, helperPrefix+"="+prefix)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := make(chan struct{})
	var keys []string
	var other []string
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		r := bufio.NewReader(stdout)
		once := sync.Once{}
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return // EOF; a fragment without '\n' is not an acknowledgement
			}
			line = strings.TrimSuffix(line, "\n")
			if k, ok := strings.CutPrefix(line, "S "); ok {
				keys = append(keys, k)
				once.Do(func() { close(first) })
			} else {
				other = append(other, line)
			}
		}
	}()
	select {
	case <-first:
	case <-readDone:
		_ = cmd.Wait()
		t.Fatalf("crash child ended before acknowledging a row: %q", other)
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("crash child acknowledged no row in 30s")
	}
	time.Sleep(delay)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-readDone
	_ = cmd.Wait()
	if len(other) > 0 {
		t.Errorf("crash child said %q", other)
	}
	return keys
}
