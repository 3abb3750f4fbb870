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

// rawCSV is the floor: an encoding/csv loop over the file.
func rawCSV(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 64<<10))
	n := 0
	for {
		_, err := r.Read()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

// rawXLSX is the floor: excelize's Rows() loop over the first sheet.
func rawXLSX(path string) (int, error) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	rows, err := f.Rows(f.GetSheetName(0))
	if err != nil {
		return 0, err
	}
	n := 0
	for rows.Next() {
		if _, err := rows.Columns(); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Close()
}

// benchValidate times the raw read and Validate on the same file in the same run and reports
// the ratio and Validate's peak heap.
func benchValidate(b *testing.B, path string, rows int, raw func(string) (int, error)) {
	var rawT, valT time.Duration
	var peak uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runtime.GC()
		t0 := time.Now()
		n, err := raw(path)
		rawT += time.Since(t0)
		if err != nil || n != rows+1 {
			b.Fatalf("raw read: %d rows, %v", n, err)
		}
		stop := peakHeap()
		t1 := time.Now()
		rep, err := Validate(path, Options{})
		valT += time.Since(t1)
		peak = max(peak, stop())
		if err != nil || rep.Rows != rows || !rep.OK() {
			b.Fatalf("validate: %v %+v", err, rep)
		}
	}
	b.StopTimer()
	b.ReportMetric(rawT.Seconds()/float64(b.N), "raw-s/op")
	b.ReportMetric(valT.Seconds()/float64(b.N), "validate-s/op")
	b.ReportMetric(float64(valT)/float64(rawT), "x-raw")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.Logf("%d rows: raw %v, validate %v (%.2f× raw), peak heap %.1f MiB", rows, rawT/time.Duration(b.N), valT/time.Duration(b.N), float64(valT)/float64(rawT), float64(peak)/(1<<20))
}

// BenchmarkValidateCSV1M: target ≤ 2.0× the encoding/csv loop and ≤ 64 MiB peak.
func BenchmarkValidateCSV1M(b *testing.B) {
	const rows = 1_000_000
	path := genBenchCSV(b, rows)
	benchValidate(b, path, rows, rawCSV)
}

// BenchmarkValidateXLSX100k: target ≤ 1.3× excelize's Rows() loop.
func BenchmarkValidateXLSX100k(b *testing.B) {
	const rows = 100_000
	path := genBenchXLSX(b, rows)
	benchValidate(b, path, rows, rawXLSX)
}
