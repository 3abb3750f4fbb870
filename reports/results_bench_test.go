package reports

import (
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"svbatch"
)

// resPeakMem samples the heap and the runtime's total memory from the OS until stop is called,
// returning the peaks in bytes.
func resPeakMem() (stop func() (heap, sys uint64)) {
	var (
		mu           sync.Mutex
		peakH, peakS uint64
		done         = make(chan struct{})
		finished     = make(chan struct{})
		sample       = func() {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			mu.Lock()
			peakH = max(peakH, m.HeapInuse)
			peakS = max(peakS, m.Sys-m.HeapReleased)
			mu.Unlock()
		}
	)
	go func() {
		defer close(finished)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	return func() (uint64, uint64) {
		sample()
		close(done)
		<-finished
		mu.Lock()
		defer mu.Unlock()
		return peakH, peakS
	}
}

// benchResults writes n results to an .xlsx or .csv in b.TempDir(), reporting rows/s, the peak heap
// in use and the file size. Rows cycle through every status (about three quarters go to Retry, a
// heavy case) with realistic ids.
func benchResults(b *testing.B, n int, name string) {
	gen := resGen(1000) // a template cycle; rows differ by line number and order id
	runtime.GC()
	for b.Loop() {
		path := filepath.Join(b.TempDir(), name)
		stop := resPeakMem()
		start := time.Now()
		w, err := NewResults(path, resTestHeader, resTestExtraHeader, resInfo(), ResultsOptions{})
		if err != nil {
			b.Fatal(err)
		}
		var r svbatch.Result
		for i := 0; i < n; i++ {
			r = *gen[i%len(gen)]
			r.Line = i + 2
			if err := w.Write(&r); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		el := time.Since(start)
		heap, sys := stop()
		fi, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n)/el.Seconds(), "rows/s")
		b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(sys)/(1<<20), "peak-sys-MiB")
		b.ReportMetric(float64(fi.Size())/(1<<20), "file-MiB")
	}
}

// BenchmarkResultsXLSX1M is the speed/memory target: 1,000,000 results to .xlsx.
// Run: go test ./reports -run '^$' -bench ResultsXLSX1M -benchtime 1x
func BenchmarkResultsXLSX1M(b *testing.B) { benchResults(b, 1_000_000, "big.results.xlsx") }

// BenchmarkResultsCSV1M is the same to the CSV form.
func BenchmarkResultsCSV1M(b *testing.B) { benchResults(b, 1_000_000, "big.results.csv") }

// BenchmarkResultsXLSX10k is a quick per-row cost measurement.
func BenchmarkResultsXLSX10k(b *testing.B) { benchResults(b, 10_000, "small.results.xlsx") }
