package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
)

// updateGolden rewrites golden files under testdata/ instead of comparing with them (go test -update).
var updateGolden = flag.Bool("update", false, "rewrite golden files under testdata/")

// TestMain removes the svbatch binary that end-to-end tests and benchmarks build (once per test
// process, on first use).
func TestMain(m *testing.M) {
	code := m.Run()
	if e2eBuild.dir != "" {
		os.RemoveAll(e2eBuild.dir)
	}
	os.Exit(code)
}

// e2eBuild is the svbatch binary built for this test process.
var e2eBuild struct {
	once sync.Once
	dir  string
	path string
	err  error
	out  []byte
}

// e2eRaceBuild reports whether this test binary was built with -race.
func e2eRaceBuild() bool {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" {
				return s.Value == "true"
			}
		}
	}
	return false
}

// e2eBinary builds ./ (package main) with the go tool once per test process and returns the
// binary's path.
func e2eBinary(t testing.TB) string {
	t.Helper()
	e2eBuild.once.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		e2eBuild.dir, e2eBuild.err = os.MkdirTemp("", "svbatch-e2e-")
		if e2eBuild.err != nil {
			return
		}
		e2eBuild.path = filepath.Join(e2eBuild.dir, "svbatch")
		// The same flags as this test binary (-race or not), so the build reuses its compiled packages
		// (modernc.org/sqlite takes minutes to compile afresh on a 2-core machine), and an end-to-end
		// run under -race checks the real program for data races too.
		args := []string{"build", "-o", e2eBuild.path}
		if e2eRaceBuild() {
			args = append(args, "-race")
		}
		cmd := exec.Command(goTool, append(args, ".")...)
		e2eBuild.out, e2eBuild.err = cmd.CombinedOutput()
	})
	if e2eBuild.err != nil {
		t.Fatalf("building svbatch: %v\n%s", e2eBuild.err, e2eBuild.out)
	}
	return e2eBuild.path
}
