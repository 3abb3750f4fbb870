package batch

import (
	"encoding/json"
	"fmt"
	"hash/maphash"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"svbatch"
	"svbatch/client"
	"svbatch/table"
)

// TestValidateDuplicates: the duplicates Validate names in a file built to confuse an identity
// key (ids that run into each other, refund ids split differently, operate_type words, spaces).
func TestValidateDuplicates(t *testing.T) {
	t.Parallel()
	rep, err := Validate(filepath.Join("testdata", "dup_keys.csv"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range rep.Errors {
		got = append(got, fmt.Sprintf("%d %s: %s", p.Row, p.Column, p.Message))
	}
	dup := "same brand_id, operate_type, outer_order_id and new_outer_order_id (each operation must appear once)"
	want := []string{
		"4 outer_order_id: duplicated in row 6: " + dup,
		"6 outer_order_id: duplicate of row 4: " + dup,
		"7 outer_order_id: duplicated in row 8: " + dup,
		"7 outer_order_id: duplicated in row 10: " + dup,
		"8 outer_order_id: duplicate of row 7: " + dup,
		"10 outer_order_id: duplicate of row 7: " + dup,
		"11 outer_order_id: duplicated in row 13: " + dup,
		"11 request_id: request_id used again in row 12: each row needs its own",
		"12 request_id: request_id already used in row 11: each row needs its own",
		"13 outer_order_id: duplicate of row 11: " + dup,
		"15 brand_id: is required",
		"16 brand_id: is required",
		"17 operate_type: must be 1-4, charge|freeze|verify|refund or 充值|冻结|核销|充值回退",
		"18 operate_type: must be 1-4, charge|freeze|verify|refund or 充值|冻结|核销|充值回退",
		"19 outer_order_id: duplicated in row 20: " + dup,
		"19 outer_order_id: duplicated in row 21: " + dup,
		"19 request_id: request_id used again in row 20: each row needs its own",
		"20 outer_order_id: duplicate of row 19: " + dup,
		"20 change_value: is not a whole number of fen (never rounded); for amounts in yuan pass --amount-unit yuan",
		"20 request_id: request_id already used in row 19: each row needs its own",
		"21 outer_order_id: duplicate of row 19: " + dup,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%q\nwant\n%q", got, want)
	}
	// Valid: rows 2, 3, 5, 9 and 14; row 11 and row 19 are each the first of two kinds of
	// duplicate and are taken off once.
	if rep.Rows != 20 || rep.Valid != 5 {
		t.Errorf("rows %d valid %d; want 20, 5", rep.Rows, rep.Valid)
	}
}

// TestValidateKeysAgree: Validate's fast identity key and request_id v1 (what a Reader keys
// duplicates by) find the same problems in every fixture.
func TestValidateKeysAgree(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		opt  Options
	}{
		{"dup_keys.csv", Options{}},
		{"dup_keys.csv", Options{IDNamespace: "ns"}},
		{"bad_rows.csv", Options{}},
		{"utf8_bom_crlf.csv", Options{}},
		{"gbk.csv", Options{}},
		{"lo_fixture.xlsx", Options{Table: table.Options{Sheet: "Ops"}}},
		{"erp.csv", Options{MappingFile: "testdata/mapping.yaml"}},
		{"../../samples/operations.csv", Options{}},
		{"../../samples/operations_gbk.csv", Options{}},
		{"../../samples/operations_zh.xlsx", Options{}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join("testdata", tc.file)
			fast, err := validateFile(path, tc.opt, true, nil)
			if err != nil {
				t.Fatal(err)
			}
			sha, err := validateFile(path, tc.opt, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := json.Marshal(fast)
			b, _ := json.Marshal(sha)
			if string(a) != string(b) {
				t.Errorf("reports differ:\nfast %s\nv1   %s", a, b)
			}
		})
	}
}

// TestIdentityKey: equal identities get equal keys, and different ones different keys, however
// their characters are split between the fields.
func TestIdentityKey(t *testing.T) {
	t.Parallel()
	r := &Reader{}
	r.idSeed = maphash.MakeSeed()
	parts := []string{"", "a", "b", "ab", "ba", "aa", "a\x00", "\x00a", "\x01"}
	type id struct {
		op                     svbatch.OperateType
		brand, outer, newOuter string
	}
	keys := map[uint64]id{}
	for op := svbatch.Charge; op <= svbatch.Refund; op++ {
		for _, brand := range parts {
			for _, outer := range parts {
				for _, newOuter := range parts {
					want := id{op, brand, outer, newOuter}
					req := client.RechargeRequest{OperateType: op, BrandID: brand, OuterOrderID: outer, NewOuterOrderID: newOuter}
					k := r.identityKey(&req)
					if k2 := r.identityKey(&req); k2 != k {
						t.Fatalf("%+v: key %x then %x", want, k, k2)
					}
					if prev, ok := keys[k]; ok {
						t.Fatalf("%+v and %+v share key %x", prev, want, k)
					}
					keys[k] = want
				}
			}
		}
	}
}

// FuzzValidateKeys: on any CSV, Validate with its fast identity key reports exactly what it
// reports when keyed by request_id v1, and counts 0 ≤ valid ≤ rows.
func FuzzValidateKeys(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "dup_keys.csv"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte("brand_id,shop_id,operator_id,outer_order_id,new_outer_order_id,operate_type,change_value,mobile,request_id\n" +
		"B,S,o,O1,,1,100,13800000000,R\nB,S,o,O1,,1,100,13800000000,R\nB,S,o,O1,,charge,100,13800000000,\n"))
	f.Add([]byte("brand_id,shop_id,operator_id,outer_order_id,new_outer_order_id,operate_type,change_value,customer_id\n" +
		"B,S,o,O,N,4,1,C\nB,S,o,ON,,4,1,C\nB,S,o,O,N,refund,1,C\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f.csv")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		fast, err1 := validateFile(path, Options{}, true, nil)
		sha, err2 := validateFile(path, Options{}, false, nil)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("errors differ: %v / %v", err1, err2)
		}
		if err1 != nil {
			return
		}
		a, _ := json.Marshal(fast)
		b, _ := json.Marshal(sha)
		if string(a) != string(b) {
			t.Fatalf("reports differ:\nfast %s\nv1   %s", a, b)
		}
		if fast.Valid < 0 || fast.Valid > fast.Rows {
			t.Fatalf("valid %d of %d rows", fast.Valid, fast.Rows)
		}
	})
}

// TestValidateExplicitIDMeetsDerived: an explicit request_id equal to the id svbatch derives for
// another row (before or after it) is an error naming both rows, in both directions, for the fast
// key and for request_id v1 alike; ids that meet nothing pass.
func TestValidateExplicitIDMeetsDerived(t *testing.T) {
	t.Parallel()
	derived := func(outer string) string { return svbatch.RequestIDv1("", "B1", 1, outer, "") }
	csv := "brand_id,shop_id,operator_id,outer_order_id,operate_type,change_value,customer_id,request_id\n" +
		"B1,S1,op1,O-1,1,100,C1,\n" + // row 2: derives derived("O-1")
		"B1,S1,op1,O-2,1,100,C1," + derived("O-1") + "\n" + // row 3: takes row 2's id
		"B1,S1,op1,O-3,1,100,C1," + derived("O-4") + "\n" + // row 4: takes row 5's id
		"B1,S1,op1,O-4,1,100,C1,\n" + // row 5
		"B1,S1,op1,O-5,1,100,C1,own-id-6\n" + // row 6: fine
		"B1,S1,op1,O-6,1,100,C1,\n" // row 7: fine
	path := filepath.Join(t.TempDir(), "ids.csv")
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"2 request_id: the request_id svbatch derives for this row is the one row 3 gives explicitly: both rows would be one operation",
		"3 request_id: request_id is the one svbatch derives for row 2 (whose request_id cell is empty): both rows would be one operation; give this row another id or clear the cell",
		"4 request_id: request_id is the one svbatch derives for row 5 (whose request_id cell is empty): both rows would be one operation",
		"5 request_id: the request_id svbatch derives for this row (" + derived("O-4") + ") is the one row 4 gives explicitly: both rows would be one operation; change row 4's request_id",
	}
	for _, fast := range []bool{true, false} {
		rep, err := validateFile(path, Options{}, fast, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range rep.Errors {
			got = append(got, fmt.Sprintf("%d %s: %s", p.Row, p.Column, p.Message))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("fast=%v problems:\n%q\nwant\n%q", fast, got, want)
		}
		if rep.Rows != 6 || rep.Valid != 2 {
			t.Errorf("fast=%v: rows %d valid %d; want 6, 2", fast, rep.Rows, rep.Valid)
		}
	}
}
