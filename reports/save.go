package reports

import (
	"archive/zip"
	"fmt"
	"io"
	"os"

	"github.com/xuri/excelize/v2"
)

// saveBook writes b's workbook to path like saveWorkbook, through the book's rewriting (true
// dimensions, exact numbers; see book).
func saveBook(b *book, path string) error {
	b.f.SetZipWriter(b.zipper(func(w io.Writer) excelize.ZipWriter { return zip.NewWriter(w) }))
	return saveWorkbook(b.f, path)
}

// saveWorkbook writes f to path as a regular file (mode 0644, not excelize's 0755), appearing only
// when complete: written beside path, synced, then renamed.
func saveWorkbook(f *excelize.File, path string) error {
	tmp, err := resCreateTemp(path)
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if _, err = f.WriteTo(tmp); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("save %s: %w", path, err)
	}
	return nil
}
