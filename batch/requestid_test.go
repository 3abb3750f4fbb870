package batch

import (
	"encoding/json"
	"os"
	"strconv"
	"testing"

	"svbatch"
)

// TestRequestIDVectors holds the reader's allocation-light derivation to the shared vectors and
// to svbatch.RequestIDv1.
func TestRequestIDVectors(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../shared/testvectors/request_id.json")
	if err != nil {
		t.Skipf("shared vectors not available: %v", err)
	}
	var v struct {
		Cases []struct {
			Namespace       string `json:"namespace"`
			BrandID         string `json:"brand_id"`
			OperateType     int    `json:"operate_type"`
			OuterOrderID    string `json:"outer_order_id"`
			NewOuterOrderID string `json:"new_outer_order_id"`
			RequestID       string `json:"request_id"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	var h idHasher
	for _, c := range v.Cases {
		got, key := h.id(c.Namespace, c.BrandID, c.OperateType, c.OuterOrderID, c.NewOuterOrderID)
		if got != c.RequestID {
			t.Errorf("id(%+v) = %q; want %q", c, got, c.RequestID)
		}
		if want, _ := strconv.ParseUint(got[4:20], 16, 64); key != want {
			t.Errorf("key %x; want %x (the id's first 16 hex digits)", key, want)
		}
	}
	if len(v.Cases) == 0 {
		t.Fatal("no vectors")
	}
}

func FuzzRequestID(f *testing.F) {
	f.Add("", "1332", 1, "2424535354", "")
	f.Add("ns", "品牌", 4, "A;1:", "B")
	f.Fuzz(func(t *testing.T, ns, brand string, op int, outer, newOuter string) {
		var h idHasher
		got, _ := h.id(ns, brand, op, outer, newOuter)
		if want := svbatch.RequestIDv1(ns, brand, op, outer, newOuter); got != want {
			t.Fatalf("id = %q; svbatch.RequestIDv1 = %q", got, want)
		}
	})
}
