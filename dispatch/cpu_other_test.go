//go:build !unix

package dispatch_test

import "time"

// cpuTime is not measured here: the benchmarks then omit their CPU figures.
func cpuTime() time.Duration { return 0 }
