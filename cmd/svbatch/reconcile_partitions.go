package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// defaultReconcileMemory is --memory's default: what --partitions auto keeps the reconcile within.
const defaultReconcileMemory = "512MiB"

// The in-memory reconcile needs about reconcileBytesPerCSVByte bytes of memory per byte of CSV
// input: svbatch reconcile's peak RSS was 372–377 MiB for 1M × 1M rows in 91 MB of CSV (the columns
// reconcile reads; BenchmarkReconcile1MInMemory). The rule counts both files alike, so a results
// file with all its 28 columns overestimates, which costs little: the partitioned mode takes
// about the CPU time of the in-memory one. An XLSX cell costs about ten times fewer bytes on disk
// than in a CSV (it is compressed).
const (
	reconcileBytesPerCSVByte  = 4
	reconcileBytesPerXLSXByte = 40
	maxReconcilePartitions    = 4096 // bucket files open at once while a side is split
)

// autoRuleText is --partitions auto's rule, as --help says it.
var autoRuleText = fmt.Sprintf(`about %d bytes per byte of CSV input and %d per byte of XLSX (compressed).
Past --memory (default %s) it uses N = ⌈estimate ÷ (memory ÷ 2)⌉ buckets, at most %d: half the
budget per bucket leaves room for the garbage collector and the workbook writer, and the budget is
also the GC's soft limit`, reconcileBytesPerCSVByte, reconcileBytesPerXLSXByte, defaultReconcileMemory, maxReconcilePartitions)

// partitionChoice is how a reconcile runs: n buckets (≤ 1 = in memory), the GC's soft memory limit
// (0 = leave it).
type partitionChoice struct {
	n        int
	limit    int64
	estimate int64
}

// choosePartitions reads --partitions and --memory: a count, or auto by the inputs' sizes.
func (o *reconcileOptions) choosePartitions(resultsPath, expectedPath string) (partitionChoice, error) {
	mem, err := parseByteSize(o.memory)
	if err != nil {
		return partitionChoice{}, usageErr("--memory %q: %v", o.memory, err)
	}
	if mem < 16<<20 {
		return partitionChoice{}, usageErr("--memory %q: at least 16MiB", o.memory)
	}
	p := strings.TrimSpace(strings.ToLower(o.partitions))
	if p != "auto" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > maxReconcilePartitions {
			return partitionChoice{}, usageErr("--partitions %q: want auto or a count from 0 to %d", o.partitions, maxReconcilePartitions)
		}
		return partitionChoice{n: n, limit: mem}, nil
	}
	var est int64
	for _, path := range []string{resultsPath, expectedPath} {
		est += memoryEstimate(path)
	}
	if est <= mem {
		return partitionChoice{n: 0, estimate: est}, nil
	}
	share := mem / 2
	n := min((est+share-1)/share, maxReconcilePartitions)
	return partitionChoice{n: int(max(n, 2)), limit: mem, estimate: est}, nil
}

// memoryEstimate is what reconciling path in memory costs, by its size (0 when it cannot be read:
// opening it will say why).
func memoryEstimate(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0
	}
	var head [4]byte
	n, _ := io.ReadFull(f, head[:])
	per := int64(reconcileBytesPerCSVByte)
	if n == 4 && string(head[:]) == "PK\x03\x04" {
		per = reconcileBytesPerXLSXByte
	}
	return st.Size() * per
}

// parseByteSize reads 512MiB, 2GiB, 800MB, 1G or a number of bytes.
func parseByteSize(s string) (int64, error) {
	t := strings.TrimSpace(strings.ToLower(s))
	units := []struct {
		suffix string
		mult   int64
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
		{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
		{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40}, {"b", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("want a size such as 512MiB or 2GiB")
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("too large")
	}
	return n * mult, nil
}
