package reports

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestWorkbookFileModes: the template and the errors workbook are regular files, 0644 (excelize's
// SaveAs would make them 0755, executable).
func TestWorkbookFileModes(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	dir := t.TempDir()
	tpl := filepath.Join(dir, "template.xlsx")
	if err := WriteTemplate(tpl, Template{Sheet: "Operations", Columns: []TemplateColumn{{Header: "brand_id", Text: true, Example: "1332"}}}); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(tpl)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("template mode %v; want 0644", st.Mode().Perm())
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}
}
