package main

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"
)

// runPeakRSS runs cmd to its end and returns its peak resident set in MiB (watchPeakRSS).
func runPeakRSS(cmd *exec.Cmd) (float64, error) {
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	stop := watchPeakRSS(cmd.Process.Pid)
	err := cmd.Wait()
	return stop(), err
}

// watchPeakRSS reads process pid's /proc/PID/status VmHWM every 5 ms until stop, which returns
// the highest in MiB (a high-water mark: what it says last is the peak, but for a rise in the last
// 5 ms). Not rusage's Maxrss: os/exec starts a child with vfork, and the child's high-water mark
// then counts this test process's own memory too (a test binary holding a sandbox of a million
// operations made every child it started read 750 MiB).
func watchPeakRSS(pid int) (stop func() float64) {
	status := "/proc/" + strconv.Itoa(pid) + "/status"
	var (
		mu      sync.Mutex
		peakKiB int64
		quit    = make(chan struct{})
		ended   = make(chan struct{})
	)
	read := func() {
		b, err := os.ReadFile(status)
		if err != nil {
			return
		}
		if i := bytes.Index(b, []byte("VmHWM:")); i >= 0 {
			if f := bytes.Fields(b[i+len("VmHWM:"):]); len(f) > 0 {
				if kib, err := strconv.ParseInt(string(f[0]), 10, 64); err == nil {
					mu.Lock()
					peakKiB = max(peakKiB, kib)
					mu.Unlock()
				}
			}
		}
	}
	go func() {
		defer close(ended)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			read()
			select {
			case <-quit:
				return
			case <-tick.C:
			}
		}
	}()
	return func() float64 {
		close(quit)
		<-ended
		mu.Lock()
		defer mu.Unlock()
		return float64(peakKiB) / 1024
	}
}
