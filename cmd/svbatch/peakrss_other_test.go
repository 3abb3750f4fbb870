//go:build unix && !linux

package main

import (
	"os/exec"
	"syscall"
)

// runPeakRSS runs cmd to its end and returns its peak resident set in MiB from rusage (on Linux,
// peakrss_linux_test.go reads the child's own high-water mark instead; the units differ: bytes
// on macOS).
func runPeakRSS(cmd *exec.Cmd) (float64, error) {
	err := cmd.Run()
	if cmd.ProcessState == nil {
		return 0, err
	}
	return float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) / (1 << 20), err
}
