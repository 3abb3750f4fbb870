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
	"svbatch"
	"testing"

	"svbatch/client"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// readAll reads every row of a table as "line: cell|cell|…".
func readAll(t *testing.T, tb Table) []string {
	t.Helper()
	var out []string
	for {
		line, cells, err := tb.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, itoa(line)+": "+strings.Join(cells, "|"))
	}
}

func itoa(n int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + jsonNum(n)) }

func jsonNum(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestOpenTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file string
		opt        TableOptions
		enc        string
		header     string
		rows       []string
	}{
		// UTF-8 with BOM and CRLF, a quoted comma, a blank line that is still row 3 in Excel.
		{"utf8 bom crlf", "utf8_bom_crlf.csv", TableOptions{}, EncUTF8BOM,
			"brand_id|shop_id|operator_id|outer_order_id|new_outer_order_id|operate_type|change_value|customer_id|mobile|outer_id|outer_type|reason|request_id|campaign",
			[]string{
				"2: B1|S1|op1|O-1||1|1000|C001||||top-up, spring||x",
				"4: B1|S1|op1|O-2||freeze|500|C001||||||",
				"5: B1|S1|op1|O-2||verify|400|C001||||||",
				"6: B1|S1|op1|O-1|R-1|refund|100|C001||||||",
				"7: 0012|S1|op1|O-3||充值|1||013800000000|||||",
				"8: B1|S1|op1|O-4||1|1|||oWx123|WeChat|||",
			}},
		// Semicolons and tabs are detected from the header line.
		{"semicolon", "semicolon.csv", TableOptions{}, EncUTF8, "", []string{"2: B1|S1|op1|O-1||1|1000|C1||||a, b||"}},
		{"tab", "tab.tsv", TableOptions{}, EncUTF8, "", []string{"2: B1|S1|op1|O-1||1|1000|C1||||tab||"}},
		// GBK is detected when the file is not UTF-8, and says so.
		{"gbk", "gbk.csv", TableOptions{}, EncGBK, "品牌ID|门店ID|操作人ID|外部订单号|回退单号|操作类型|金额|顾客ID|手机号|备注",
			[]string{"2: 30001|S1|op1|GB-1||充值|1000||13800000000|会员充值", "3: 30001|S1|op1|GB-1|GB-R1|充值回退|100||13800000000|客户申请退款"}},
		// A four-byte GB18030 sequence makes it GB18030.
		{"gb18030", "gb18030.csv", TableOptions{}, EncGB18030, "", []string{"2: 30001|S1|op1|GB-1||充值|1000||13800000000|会员充值㐀", "3: 30001|S1|op1|GB-1|GB-R1|充值回退|100||13800000000|客户申请退款"}},
		// --encoding gbk on a GBK file.
		{"gbk forced", "gbk.csv", TableOptions{Encoding: "GBK"}, EncGBK, "", nil},
		// A workbook saved by LibreOffice: numbers exact, formulas by cached value, dates and rounded numbers noted.
		{"libreoffice", "lo_fixture.xlsx", TableOptions{Sheet: "Ops"}, EncXLSX,
			"品牌ID|Shop ID|operator_id|外部订单号|操作类型|金额|手机号|note",
			[]string{
				"2: 00123|2001|op-1|LO-1|1|1332|18651812345|0.1",
				"3: 00123|2001|op-1|LO-2|charge|1332|13800000000|0.333333333333333",
				"4: 00123|2001|op-1|LO-3|充值|10.5|13800000001|10.5",
				"5: 00123|2001|op-1|LO-4|1|2024-01-15|13800000002|2024-01-15",
				"6: 00123|2001|op-1|LO-5|1|100|18651812345|sci format",
				"7: 00123|2001|op-1|LO-6|1|100|1.23456789012346E+16|17 digits",
				"9: 00123|2001|op-1|LO-7|3|250|1.86518E+10|text sci",
				"10: 00123|2001|op-1|LO-1|1|1332|13800000003|duplicate",
			}},
		// The same sheet by number.
		{"libreoffice by index", "lo_fixture.xlsx", TableOptions{Sheet: "2"}, EncXLSX, "品牌ID|Shop ID|operator_id|外部订单号|操作类型|金额|手机号|note", nil},
		// The first visible sheet is the default; empty rows and trailing rows are skipped.
		{"hidden first sheet", "hidden_first.xlsx", TableOptions{}, EncXLSX,
			"brand_id|shop_id|operator_id|outer_order_id|operate_type|change_value|customer_id|reason",
			[]string{
				"2: B1|S1|op1|X-1|1|1000|000777|ok",
				"3: B1|S1|op1|X-2|1||C2|formula without a cached value",
				"4: B1|S1|op1|X-3|verify|0.1|C3|0.1 fen",
				"6: B1|S1|op1|X-4|charge|250|C4|TRUE",
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tb, err := OpenTable(filepath.Join("testdata", tc.file), tc.opt)
			if err != nil {
				t.Fatalf("OpenTable: %v", err)
			}
			defer tb.Close()
			if got := tb.Encoding(); got != tc.enc {
				t.Errorf("Encoding() = %q; want %q", got, tc.enc)
			}
			if tc.header != "" {
				if got := strings.Join(tb.Header(), "|"); got != tc.header {
					t.Errorf("Header() = %q; want %q", got, tc.header)
				}
			}
			if tc.rows != nil {
				if got := readAll(t, tb); !reflect.DeepEqual(got, tc.rows) {
					t.Errorf("rows:\n got %q\nwant %q", got, tc.rows)
				}
			}
		})
	}
}

func TestOpenTableUnreadable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, opt, want string
	}{
		{"empty.csv", "", "is empty"},
		{"blank_lines.csv", "", "is empty"},
		{"binary.csv", "", "binary file"},
		{"utf16.csv", "", "UTF-16"},
		{"encrypted.xlsx", "", "encrypted"},
		{"not_a_zip.xlsx", "", "not a valid XLSX"},
		{"corrupt.xlsx", "", "corrupt"},
		{"spreadsheet.ods", "", "OpenDocument"},
		{"missing.csv", "", "cannot open"},
		{"lo_fixture.xlsx", "Nope", `no sheet "Nope": the workbook has "Notes", "Ops"`},
		{"lo_fixture.xlsx", "3", `no sheet "3"`},
	}
	for _, tc := range tests {
		t.Run(tc.file+tc.opt, func(t *testing.T) {
			t.Parallel()
			tb, err := OpenTable(filepath.Join("testdata", tc.file), TableOptions{Sheet: tc.opt})
			if err == nil {
				tb.Close()
				t.Fatalf("OpenTable(%s) succeeded; want an error with %q", tc.file, tc.want)
			}
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Errorf("error %T %v; want *FileError", err, err)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q; want one line containing %q", msg, tc.want)
			}
		})
	}
}

func TestSheetNames(t *testing.T) {
	t.Parallel()
	got, err := SheetNames("testdata/lo_fixture.xlsx")
	if err != nil || !reflect.DeepEqual(got, []string{"Notes", "Ops"}) {
		t.Errorf("SheetNames = %q, %v; want [Notes Ops]", got, err)
	}
	if _, err := SheetNames("testdata/gbk.csv"); err == nil {
		t.Errorf("SheetNames(csv) succeeded; want an error")
	}
}

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
		{"libreoffice", "lo_fixture.xlsx", Options{TableOptions: TableOptions{Sheet: "Ops"}}},
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
		{Options{TableOptions: TableOptions{Encoding: "latin1"}}, "unknown encoding"},
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
		{"operations.csv", Options{}, EncUTF8, 300},
		{"operations_zh.xlsx", Options{}, EncXLSX, 100},
		{"operations_gbk.csv", Options{}, EncGBK, 50},
		{"operations_erp.csv", Options{MappingFile: "../samples/mapping.yaml", AmountUnit: "yuan"}, EncUTF8, 20},
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
