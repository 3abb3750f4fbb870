package web

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"svbatch/batch"
)

// TestAdoptMappingRoundTrip: the mapping a journal records (its canonical text) becomes a mapping
// file that reads the file exactly alike, whatever the headers hold (quotes, arrows, Chinese).
func TestAdoptMappingRoundTrip(t *testing.T) {
	dir := t.TempDir()
	mapping := filepath.Join(dir, "m.yaml")
	os.WriteFile(mapping, []byte("\"单号 \\\"A\\\" → x\": outer_order_id\n金额（元）: change_value\n会员: customer_id\nconstants:\n  brand_id: \"1332\"\n  shop_id: \"S = 1\"\n  operator_id: op\n"), 0o600)
	in := filepath.Join(dir, "in.csv")
	os.WriteFile(in, []byte("\"单号 \"\"A\"\" → x\",金额（元）,会员,operate_type\nO-1,1.50,M1,charge\n"), 0o600)
	rd := func(opt batch.Options) batch.Reading {
		t.Helper()
		r, err := batch.Open(in, opt)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		return r.Reading()
	}
	want := rd(batch.Options{MappingFile: mapping})
	if want.Mapping == "" {
		t.Fatal("no canonical mapping")
	}
	st := &store{dir: dir}
	j := &Job{ID: "20260101-000000-abcdef12", Adopted: &Adoption{}}
	if err := readingOf(want.Params(), j); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(st.jobDir(j.ID), 0o700)
	if err := os.WriteFile(st.path(j.ID, mappingName), []byte(mappingText(j)), 0o600); err != nil {
		t.Fatal(err)
	}
	got := rd(adoptedOptions(st, j))
	if diffs := batch.ReadingDiff(want.Params(), got, true); len(diffs) > 0 || got.Mapping != want.Mapping {
		t.Fatalf("the rebuilt mapping reads differently: %v\n%s\nvs\n%s", diffs, got.Mapping, want.Mapping)
	}
}

// TestAdoptUnderDir: only paths inside the adopt dir, symlinks resolved; none without one.
func TestAdoptUnderDir(t *testing.T) {
	root, out := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(root, "in.csv"), []byte("x"), 0o600)
	os.WriteFile(filepath.Join(out, "secret.csv"), []byte("x"), 0o600)
	os.Symlink(filepath.Join(out, "secret.csv"), filepath.Join(root, "link.csv"))
	os.Symlink(out, filepath.Join(root, "sub"))
	if p, err := underDir(root, "in.csv"); err != nil || filepath.Base(p) != "in.csv" {
		t.Fatalf("in.csv: %q %v", p, err)
	}
	for _, p := range []string{filepath.Join(out, "secret.csv"), "link.csv", "sub/secret.csv", "../" + filepath.Base(out) + "/secret.csv", "/etc/passwd"} {
		if _, err := underDir(root, p); err == nil || !strings.Contains(err.Error(), "outside the adopt dir") {
			t.Errorf("%s: %v; want refused as outside", p, err)
		}
	}
	if _, err := underDir("", "in.csv"); err == nil {
		t.Error("no adopt dir: accepted")
	}
}
