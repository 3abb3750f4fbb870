//go:build unix

package reconcile

// For the benchmarks of other packages (reports writes the reconciliation workbook).
var (
	GenBench = genBench
	PeakHeap = peakHeap
)
