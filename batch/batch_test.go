package batch

import (
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"svbatch"
	"svbatch/client"
	"svbatch/table"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestValidateGolden checks Validate's report (the --json output) for every fixture.
func TestValidateGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file string
		opt        Options
	}{
		{"utf8_bom_crlf", "utf8_bom_crlf.csv", Options{}},
		{"bad_rows", "bad_rows.csv", Options{}},
		{"gbk", "gbk.csv", Options{}},
		{"libreoffice", "lo_fixture.xlsx", Options{Table: table.Options{Sheet: "Ops"}}},
		{"hidden_first", "hidden_first.xlsx", Options{}},
		{"missing_columns", "missing_columns.csv", Options{}},
		{"dup_header", "dup_header.csv", Options{}},
		{"header_only", "header_only.csv", Options{}},
		{"yuan", "yuan.csv", Options{AmountUnit: "yuan"}},
		{"fen", "yuan.csv", Options{}},
		{"erp_mapping", "erp.csv", Options{MappingFile: "testdata/mapping.yaml"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rep, err := Validate(filepath.Join("testdata", tc.file), tc.opt)
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			got, _ := json.MarshalIndent(rep, "", "  ")
			golden := filepath.Join("testdata", "golden", tc.name+".json")
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("golden: %v (run with -update)", err)
			}
			if string(append(got, '\n')) != string(want) {
				t.Errorf("report differs from %s:\n%s", golden, got)
			}
		})
	}
}

func TestReaderRows(t *testing.T) {
	t.Parallel()
	r, err := Open("testdata/utf8_bom_crlf.csv", Options{IDNamespace: "ns1"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := r.ExtraHeader(); !reflect.DeepEqual(got, []string{"campaign"}) {
		t.Errorf("ExtraHeader = %q; want [campaign]", got)
	}
	var rows []Row
	for {
		row, problems, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(problems) > 0 {
			t.Fatalf("row %d: %v", row.Line, problems)
		}
		rows = append(rows, row)
	}
	if len(rows) != 6 {
		t.Fatalf("%d rows; want 6", len(rows))
	}
	first := rows[0]
	want := client.RechargeRequest{BrandID: "B1", ShopID: "S1", OperatorID: "op1", OuterOrderID: "O-1", OperateType: svbatch.Charge,
		ChangeValue: 1000, CustomerID: "C001", Reason: "top-up, spring",
		RequestID: svbatch.RequestIDv1("ns1", "B1", 1, "O-1", "")}
	if first.Req != want {
		t.Errorf("row 2 request = %+v; want %+v", first.Req, want)
	}
	if first.Line != 2 || first.AccountKey != "B1|customer_id:C001" || !reflect.DeepEqual(first.Extra, []string{"x"}) {
		t.Errorf("row 2: line %d key %q extra %q; want 2, B1|customer_id:C001, [x]", first.Line, first.AccountKey, first.Extra)
	}
	if len(first.Raw) != len(r.Header()) {
		t.Errorf("Raw has %d cells; want %d (aligned to the header)", len(first.Raw), len(r.Header()))
	}
	for i, tc := range []struct {
		line int
		op   svbatch.OperateType
		key  string
		new  string
	}{{4, svbatch.Freeze, "B1|customer_id:C001", ""}, {5, svbatch.Verify, "B1|customer_id:C001", ""},
		{6, svbatch.Refund, "B1|customer_id:C001", "R-1"}, {7, svbatch.Charge, "0012|mobile:013800000000", ""}, {8, svbatch.Charge, "B1|wechat:oWx123", ""}} {
		got := rows[i+1]
		if got.Line != tc.line || got.Req.OperateType != tc.op || got.AccountKey != tc.key || got.Req.NewOuterOrderID != tc.new {
			t.Errorf("row %d: line %d op %v key %q new %q; want %d %v %q %q", i+3, got.Line, got.Req.OperateType, got.AccountKey, got.Req.NewOuterOrderID, tc.line, tc.op, tc.key, tc.new)
		}
	}
	if got := rows[5].Req.OuterType; got != "wechat" {
		t.Errorf("outer_type = %q; want wechat (normalised)", got)
	}
}

func TestOpenHeaderError(t *testing.T) {
	t.Parallel()
	_, err := Open("testdata/missing_columns.csv", Options{})
	var he *HeaderError
	if !errors.As(err, &he) {
		t.Fatalf("Open: %v; want *HeaderError", err)
	}
	want := []string{"operator_id", "outer_order_id", "operate_type", "change_value", "customer_id"}
	var got []string
	for _, p := range he.Problems {
		got = append(got, p.Column)
		if !strings.Contains(p.Message, `"Brand ID", "门店ID", "amount", "phone"`) {
			t.Errorf("problem %q does not list the headers found", p.Message)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("missing columns %q; want %q", got, want)
	}
}

func TestOptionsErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		opt  Options
		want string
	}{
		{Options{AmountUnit: "cents"}, "amount unit"},
		{Options{Table: table.Options{Encoding: "latin1"}}, "unknown encoding"},
		{Options{MappingFile: "testdata/mapping_bad.yaml"}, "not a column svbatch knows"},
		{Options{MappingFile: "testdata/nope.yaml"}, "mapping testdata/nope.yaml"},
	} {
		_, err := Open("testdata/utf8_bom_crlf.csv", tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%+v) = %v; want an error containing %q", tc.opt, err, tc.want)
		}
	}
}

func TestSamplesValid(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file string
		opt  Options
		enc  string
		rows int
	}{
		{"operations.csv", Options{}, table.EncUTF8, 300},
		{"operations_zh.xlsx", Options{}, table.EncXLSX, 100},
		{"operations_gbk.csv", Options{}, table.EncGBK, 50},
		{"operations_erp.csv", Options{MappingFile: "../samples/mapping.yaml", AmountUnit: "yuan"}, table.EncUTF8, 20},
	} {
		rep, err := Validate(filepath.Join("..", "samples", tc.file), tc.opt)
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if !rep.OK() || rep.Valid != rep.Rows || rep.Rows < tc.rows || rep.Encoding != tc.enc {
			t.Errorf("%s: %d rows, %d valid, encoding %s, errors %v; want ≥ %d rows all valid, %s", tc.file, rep.Rows, rep.Valid, rep.Encoding, rep.Errors, tc.rows, tc.enc)
		}
	}
}

// TestReasonLineBreaks: a reason may hold line breaks and tabs (Alt+Enter in Excel, a quoted CSV
// field); an id may not.
func TestReasonLineBreaks(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "reason.csv")
	text := "brand_id,shop_id,operator_id,outer_order_id,operate_type,change_value,customer_id,reason\n" +
		"B1,S1,op1,O-1,1,100,C1,\"补发\r\n原单号 O-0\t已核对\"\n" +
		"B1,S1,op1,\"O-2\nx\",1,100,C1,ok\n" +
		"B1,S1,op1,O-3,1,100,\"C\t3\",ok\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := Validate(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 3 || rep.Valid != 1 || len(rep.Errors) != 2 ||
		rep.Errors[0].Row != 3 || rep.Errors[0].Column != ColOuterOrderID || rep.Errors[1].Row != 4 || rep.Errors[1].Column != ColCustomerID {
		t.Errorf("report %+v; want row 2 valid, rows 3 and 4 refused in outer_order_id and customer_id", rep)
	}
	r, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	row, problems, err := r.Next()
	if err != nil || len(problems) > 0 || row.Req.Reason != "补发\n原单号 O-0\t已核对" {
		t.Errorf("row 2: reason %q, %v %v", row.Req.Reason, problems, err)
	}
}
