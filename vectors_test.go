package svbatch

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// sharedVectors locates ../shared/testvectors (beside the repository) or SVBATCH_TESTVECTORS.
func sharedVectors(t testing.TB, name string) []byte {
	t.Helper()
	dirs := []string{os.Getenv("SVBATCH_TESTVECTORS"), "../shared/testvectors", "client/testdata/vectors"}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(d, name))
		if err == nil {
			return b
		}
	}
	t.Fatalf("test vectors %s not found (looked in %v)", name, dirs)
	return nil
}

func TestRequestIDVectors(t *testing.T) {
	var v struct {
		Cases []struct {
			Namespace       string `json:"namespace"`
			BrandID         string `json:"brand_id"`
			OperateType     int    `json:"operate_type"`
			OuterOrderID    string `json:"outer_order_id"`
			NewOuterOrderID string `json:"new_outer_order_id"`
			Canonical       string `json:"canonical"`
			RequestID       string `json:"request_id"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(sharedVectors(t, "request_id.json"), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Cases) == 0 {
		t.Fatal("no request_id vectors")
	}
	for i, c := range v.Cases {
		if got := RequestIDCanonicalV1(c.Namespace, c.BrandID, c.OperateType, c.OuterOrderID, c.NewOuterOrderID); got != c.Canonical {
			t.Errorf("case %d: canonical got %q; want %q", i, got, c.Canonical)
		}
		if got := RequestIDv1(c.Namespace, c.BrandID, c.OperateType, c.OuterOrderID, c.NewOuterOrderID); got != c.RequestID {
			t.Errorf("case %d: got %s; want %s", i, got, c.RequestID)
		}
	}
}

func TestParseOperateType(t *testing.T) {
	for _, c := range []struct {
		in   string
		want OperateType
	}{{"1", Charge}, {" Charge ", Charge}, {"冻结", Freeze}, {"verify", Verify}, {"3", Verify}, {"充值回退", Refund}, {"REFUND", Refund}} {
		got, err := ParseOperateType(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseOperateType(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "0", "5", "charge!", "1.0"} {
		if _, err := ParseOperateType(bad); err == nil {
			t.Errorf("ParseOperateType(%q): got nil error; want one", bad)
		}
	}
}
