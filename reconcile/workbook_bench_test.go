//go:build unix

package reconcile_test

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"svbatch/reconcile"
	"svbatch/reports"
)

// BenchmarkReconcileWorkbook1M adds writing the workbook (a ~990,000-row Matched sheet) to the join.
func BenchmarkReconcileWorkbook1M(b *testing.B) { benchWorkbook(b, false) }

// BenchmarkReconcileMatchedCSV1M is the same with the Matched rows in a CSV beside the workbook, as
// reconcile writes them past --matched-csv-above.
func BenchmarkReconcileMatchedCSV1M(b *testing.B) { benchWorkbook(b, true) }

func benchWorkbook(b *testing.B, matchedCSV bool) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	dir := b.TempDir()
	expPath, resPath := reconcile.GenBench(b, dir, n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runtime.GC()
		stop := reconcile.PeakHeap()
		t0 := time.Now()
		rs, _ := reconcile.OpenResults(resPath)
		es, _ := reconcile.OpenExpected(expPath, reconcile.FileOptions{})
		r, err := reconcile.Reconcile(es, rs, reconcile.Options{})
		if err != nil {
			b.Fatal(err)
		}
		rs.Close()
		es.Close()
		join := time.Since(t0)
		info := reports.ReconciliationInfo{AsOf: time.Unix(0, 0)}
		if matchedCSV {
			info.MatchedCSV = filepath.Join(dir, "rec.matched.csv")
		}
		if err := reports.WriteReconciliationReport(filepath.Join(dir, "rec.xlsx"), r, info); err != nil {
			b.Fatal(err)
		}
		all := time.Since(t0)
		peak := stop()
		st, _ := os.Stat(filepath.Join(dir, "rec.xlsx"))
		b.ReportMetric(join.Seconds(), "join-s")
		b.ReportMetric(all.Seconds(), "total-s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(st.Size())/(1<<20), "xlsx-MiB")
	}
}
