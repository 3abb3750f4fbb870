package batch

import (
	"bufio"
	"encoding/csv"
	"errors"

	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// benchHeader is the header of the generated benchmark inputs.
var benchHeader = []string{"brand_id", "shop_id", "operator_id", "outer_order_id", "new_outer_order_id", "operate_type",
	"change_value", "customer_id", "mobile", "outer_id", "outer_type", "reason", "campaign"}

// benchRow is row i of a generated input: all four operations, three kinds of customer.
func benchRow(i int) []string {
	op := 1 + i%4
	newOuter := ""
	if op == 4 {
		newOuter = "R-" + strconv.Itoa(i)
	}
	r := []string{"1000" + strconv.Itoa(i%7), "S" + strconv.Itoa(i%97), "op-" + strconv.Itoa(i%13), "ORD-2025-" + strconv.Itoa(i),
		newOuter, strconv.Itoa(op), strconv.Itoa(100 + i%100000), "", "", "", "", "批量导入 batch import", "CMP" + strconv.Itoa(i%9)}
	switch i % 3 {
	case 0:
		r[7] = "C" + strconv.Itoa(10000000+i)
	case 1:
		r[8] = strconv.Itoa(13800000000 + i)
	default:
		r[9], r[10] = "oWx"+strconv.Itoa(i), "wechat"
	}
	return r
}

func genBenchCSV(b *testing.B, rows int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "ops.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w := csv.NewWriter(bw)
	w.Write(benchHeader)
	for i := 0; i < rows; i++ {
		w.Write(benchRow(i))
	}
	w.Flush()
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

func genBenchXLSX(b *testing.B, rows int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "ops.xlsx")
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	row := make([]any, len(benchHeader))
	for i, h := range benchHeader {
		row[i] = h
	}
	if err := sw.SetRow("A1", row); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < rows; i++ {
		for j, v := range benchRow(i) {
			if j == 6 || j == 5 { // operate_type and change_value as numbers, the rest as text
				n, _ := strconv.Atoi(v)
				row[j] = n
				continue
			}
			row[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		b.Fatal(err)
	}
	return path
}

// peakHeap samples the live heap (objects, including not yet swept garbage) every 2 ms until
// the returned stop is called, which returns the peak in bytes.
func peakHeap() (stop func() uint64) {
	runtime.GC()
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() {
		metrics.Read(sample)
		if v := sample[0].Value.Uint64(); v > peak.Load() {
			peak.Store(v)
		}
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				read()
				return
			case <-t.C:
				read()
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		return peak.Load()
	}
}

// rawCSV is the floor: an encoding/csv loop over the file that touches every field (the sum of
// their lengths is returned, so no work can be skipped).
func rawCSV(path string) (rows, bytes int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 64<<10))
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, bytes, nil
		}
		if err != nil {
			return rows, bytes, err
		}
		for _, c := range rec {
			bytes += len(c)
		}
		rows++
	}
}

// rawXLSX is the floor: excelize's Rows() loop over the first sheet, touching every cell.
func rawXLSX(path string) (rows, bytes int, err error) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	it, err := f.Rows(f.GetSheetName(0))
	if err != nil {
		return 0, 0, err
	}
	for it.Next() {
		cols, err := it.Columns()
		if err != nil {
			return rows, bytes, err
		}
		for _, c := range cols {
			bytes += len(c)
		}
		rows++
	}
	return rows, bytes, it.Close()
}

// benchValidate times the raw read and Validate on the same file in the same run, rounds times
// per b.N iteration, alternating which goes first (raw, validate, validate, raw, …) so that drift
// in the machine's load, the GC's state or the clock speed falls on both alike. It reports
// the ratio of their wall times (the target), the ratio of their CPU times (what the ratio
// becomes when the other core is busy), time per row, and both peak heaps. Both start from a
// collected heap, and the file has been read once before (same page-cache state for both).
func benchValidate(b *testing.B, path string, rows, rounds int, raw func(string) (int, int, error)) {
	if _, _, err := raw(path); err != nil { // warm the page cache
		b.Fatal(err)
	}
	var rawT, valT, rawCPU, valCPU time.Duration
	var rawPeak, valPeak uint64
	timeRaw := func() {
		stop := peakHeap()
		c0, t0 := cpuTime(), time.Now()
		n, _, err := raw(path)
		rawT += time.Since(t0)
		rawCPU += cpuTime() - c0
		rawPeak = max(rawPeak, stop())
		if err != nil || n != rows+1 {
			b.Fatalf("raw read: %d rows, %v", n, err)
		}
	}
	timeValidate := func() {
		stop := peakHeap()
		c0, t0 := cpuTime(), time.Now()
		rep, err := Validate(path, Options{})
		valT += time.Since(t0)
		valCPU += cpuTime() - c0
		valPeak = max(valPeak, stop())
		if err != nil || rep.Rows != rows || !rep.OK() {
			b.Fatalf("validate: %v %+v", err, rep)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := 0; j < rounds; j++ {
			if j%4 == 0 || j%4 == 3 {
				timeRaw()
				timeValidate()
			} else {
				timeValidate()
				timeRaw()
			}
		}
	}
	b.StopTimer()
	n := float64(b.N * rounds)
	b.ReportMetric(rawT.Seconds()/n, "raw-s/op")
	b.ReportMetric(valT.Seconds()/n, "validate-s/op")
	b.ReportMetric(float64(valT)/n/float64(rows), "validate-ns/row")
	b.ReportMetric(float64(valT)/float64(rawT), "x-raw")
	if rawCPU > 0 {
		b.ReportMetric(float64(valCPU)/float64(rawCPU), "cpu-x-raw")
	}
	b.ReportMetric(float64(valPeak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(rawPeak)/(1<<20), "raw-peak-heap-MiB")
	b.Logf("%d rows, %d rounds: raw %v (%.0f ns/row, CPU %v), validate %v (%.0f ns/row, CPU %v): %.2f× raw wall, %.2f× raw CPU; peak heap %.1f MiB (raw %.1f MiB)",
		rows, b.N*rounds, time.Duration(float64(rawT)/n), float64(rawT)/n/float64(rows), time.Duration(float64(rawCPU)/n),
		time.Duration(float64(valT)/n), float64(valT)/n/float64(rows), time.Duration(float64(valCPU)/n),
		float64(valT)/float64(rawT), float64(valCPU)/float64(max(rawCPU, 1)), float64(valPeak)/(1<<20), float64(rawPeak)/(1<<20))
}

// BenchmarkValidateCSV1M: target ≤ 2.0× the encoding/csv loop and ≤ 64 MiB peak.
func BenchmarkValidateCSV1M(b *testing.B) {
	const rows = 1_000_000
	path := genBenchCSV(b, rows)
	benchValidate(b, path, rows, 4, rawCSV)
}

// BenchmarkValidateXLSX100k: target ≤ 1.3× excelize's Rows() loop.
func BenchmarkValidateXLSX100k(b *testing.B) {
	const rows = 100_000
	path := genBenchXLSX(b, rows)
	benchValidate(b, path, rows, 2, rawXLSX)
}
