//go:build !unix

package batch

import "time"

// cpuTime is not measured here: the benchmarks then omit their CPU ratio.
func cpuTime() time.Duration { return 0 }
