// Command gen writes svbatch's sample inputs, deterministically:
//
//	go run ./samples/gen            (from the repository root; writes into samples/)
//
// operations.csv (UTF-8, English headers: what the demo runs), operations_zh.xlsx (Chinese headers
// and operation words), operations_gbk.csv (GBK, Chinese headers), and operations_erp.csv with
// mapping.yaml (an ERP export whose columns need a mapping and constants). Each file uses its own
// brands and order numbers, so their identities never collide. Within a file every account's rows
// come in an order that succeeds against the sandbox ledger: a charge first, freezes and verifies
// within the balance, refunds within what was charged and is still available.
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// op is one generated operation.
type op struct {
	brand, shop, operator   string
	outer, newOuter         string
	typ                     int
	fen                     int64
	customer, mobile        string
	outerID, outerType      string
	reason, campaign, store string
}

// account is one generated customer with its running balance (fen).
type account struct {
	brand                     string
	customer, mobile, outerID string
	outerType                 string
	available                 int64
	ops                       []op
}

var reasons = map[int][]string{
	1: {"春节储值活动", "会员充值", "充值送券", "Member top-up", "企业福利发放"},
	2: {"预授权冻结", "订单预占", "Pre-authorisation"},
	3: {"门店消费核销", "外卖订单核销", "Store purchase", "会员日消费"},
	4: {"客户申请退款", "充值回退", "Refund on request"},
}

// gen builds the operations of n accounts across brands, with order numbers under prefix.
func gen(rng *rand.Rand, prefix string, brands []string, shops int, n int) []op {
	seq := 0
	next := func(kind string) string {
		seq++
		return fmt.Sprintf("%s-%s-%05d", prefix, kind, seq)
	}
	var accts []*account
	for i := 0; i < n; i++ {
		b := brands[i%len(brands)]
		a := &account{brand: b}
		switch i % 4 {
		case 0, 1:
			a.mobile = fmt.Sprintf("13%d%08d", 5+rng.IntN(5), rng.IntN(100000000))
		case 2:
			a.customer = fmt.Sprintf("C%08d", 10000000+rng.IntN(90000000))
		default:
			a.outerType = []string{"wechat", "alipay"}[rng.IntN(2)]
			if a.outerType == "wechat" {
				a.outerID = fmt.Sprintf("oWx%s%06d", prefix, rng.IntN(1000000))
			} else {
				a.outerID = fmt.Sprintf("2088%012d", rng.Int64N(1000000000000))
			}
		}
		accts = append(accts, a)
	}
	for ai, a := range accts {
		shop := fmt.Sprintf("S%s%02d", a.brand[len(a.brand)-2:], 1+ai%shops)
		operator := fmt.Sprintf("op-%02d", 1+rng.IntN(6))
		mk := func(typ int, outer, newOuter string, fen int64) op {
			rs := reasons[typ]
			return op{brand: a.brand, shop: shop, operator: operator, outer: outer, newOuter: newOuter, typ: typ, fen: fen,
				customer: a.customer, mobile: a.mobile, outerID: a.outerID, outerType: a.outerType,
				reason: rs[rng.IntN(len(rs))], campaign: fmt.Sprintf("CMP%02d", 1+rng.IntN(8))}
		}
		charge := int64(100*(50+rng.IntN(950))) + int64(rng.IntN(100)) // 50.00–999.99 yuan, in fen
		c1 := next("CHG")
		a.ops = append(a.ops, mk(1, c1, "", charge))
		a.available = charge
		if rng.IntN(3) == 0 {
			c2 := int64(100 * (20 + rng.IntN(300)))
			a.ops = append(a.ops, mk(1, next("CHG"), "", c2))
			a.available += c2
		}
		if rng.IntN(2) == 0 {
			hold := a.available / int64(3+rng.IntN(3))
			if hold > 0 {
				h := next("FRZ")
				a.ops = append(a.ops, mk(2, h, "", hold))
				a.available -= hold
				used := hold - int64(rng.IntN(int(hold/2)+1))
				if used <= 0 {
					used = hold
				}
				a.ops = append(a.ops, mk(3, h, "", used))
				a.available += hold - used
			}
		}
		if rng.IntN(2) == 0 && a.available > 100 {
			spend := 1 + rng.Int64N(a.available/2)
			a.ops = append(a.ops, mk(3, next("VRF"), "", spend))
			a.available -= spend
		}
		if rng.IntN(3) == 0 {
			refund := min(charge, a.available) / int64(2+rng.IntN(3))
			if refund > 0 {
				a.ops = append(a.ops, mk(4, c1, next("RFD"), refund))
				a.available -= refund
			}
		}
	}
	// Interleave accounts, keeping each account's own order.
	var out []op
	pos := make([]int, len(accts))
	left := len(accts)
	for left > 0 {
		i := rng.IntN(len(accts))
		for pos[i] >= len(accts[i].ops) {
			i = (i + 1) % len(accts)
		}
		out = append(out, accts[i].ops[pos[i]])
		if pos[i]++; pos[i] == len(accts[i].ops) {
			left--
		}
	}
	return out
}

var opWords = map[int]string{1: "充值", 2: "冻结", 3: "核销", 4: "充值回退"}

func main() {
	dir := flag.String("dir", "samples", "where to write the samples")
	flag.Parse()
	must(os.MkdirAll(*dir, 0o755))

	// operations.csv: English headers, operate_type as numbers, fen, a pass-through column.
	ops := gen(rand.New(rand.NewPCG(1, 2)), "SV", []string{"10001", "10002", "10003"}, 4, 120)
	header := []string{"brand_id", "shop_id", "operator_id", "outer_order_id", "new_outer_order_id", "operate_type",
		"change_value", "customer_id", "mobile", "outer_id", "outer_type", "reason", "campaign"}
	rows := [][]string{header}
	for _, o := range ops {
		rows = append(rows, []string{o.brand, o.shop, o.operator, o.outer, o.newOuter, strconv.Itoa(o.typ),
			strconv.FormatInt(o.fen, 10), o.customer, o.mobile, o.outerID, o.outerType, o.reason, o.campaign})
	}
	writeCSV(filepath.Join(*dir, "operations.csv"), rows, false)

	// operations_zh.xlsx: Chinese headers and operation words, ids as text cells, amounts numeric.
	zh := gen(rand.New(rand.NewPCG(3, 4)), "ZH", []string{"20001", "20002"}, 3, 40)
	writeXLSX(filepath.Join(*dir, "operations_zh.xlsx"), zh)

	// operations_gbk.csv: GBK-encoded, Chinese headers, semicolon-free commas, CRLF (as Excel saves).
	gbk := gen(rand.New(rand.NewPCG(5, 6)), "GB", []string{"30001"}, 2, 20)
	rows = [][]string{{"品牌ID", "门店ID", "操作人ID", "外部订单号", "回退单号", "操作类型", "金额", "顾客ID", "手机号", "外部ID", "外部ID类型", "备注"}}
	for _, o := range gbk {
		rows = append(rows, []string{o.brand, o.shop, o.operator, o.outer, o.newOuter, opWords[o.typ],
			strconv.FormatInt(o.fen, 10), o.customer, o.mobile, o.outerID, o.outerType, o.reason})
	}
	writeCSV(filepath.Join(*dir, "operations_gbk.csv"), rows, true)

	// operations_erp.csv + mapping.yaml: an ERP export in yuan, with brand and operator as constants.
	erp := gen(rand.New(rand.NewPCG(7, 8)), "ERP", []string{"40001"}, 2, 12)
	rows = [][]string{{"Order No", "Refund No", "Type", "Amount (CNY)", "Member Phone", "Member No", "Channel", "Channel ID", "Store", "Memo"}}
	for _, o := range erp {
		rows = append(rows, []string{o.outer, o.newOuter, []string{"", "charge", "freeze", "verify", "refund"}[o.typ],
			fmt.Sprintf("%d.%02d", o.fen/100, o.fen%100), o.mobile, o.customer, o.outerType, o.outerID, o.shop, o.reason})
	}
	writeCSV(filepath.Join(*dir, "operations_erp.csv"), rows, false)
	must(os.WriteFile(filepath.Join(*dir, "mapping.yaml"), []byte(mappingYAML), 0o644))
}

const mappingYAML = `# svbatch --mapping file for samples/operations_erp.csv (run it with --amount-unit yuan).
# Each line maps a column of the file to a canonical column; "constants" give values every row shares.
Order No: outer_order_id
Refund No: new_outer_order_id
Type: operate_type
Amount (CNY): change_value
Member Phone: mobile
Member No: customer_id
Channel: outer_type
Channel ID: outer_id
Store: shop_id
Memo: reason
constants:
  brand_id: "40001"
  operator_id: erp-import
`

func writeCSV(path string, rows [][]string, gbk bool) {
	f, err := os.Create(path)
	must(err)
	w := csv.NewWriter(f)
	if gbk {
		w = csv.NewWriter(simplifiedchinese.GBK.NewEncoder().Writer(f))
		w.UseCRLF = true
	}
	must(w.WriteAll(rows))
	must(f.Close())
}

func writeXLSX(path string, ops []op) {
	f := excelize.NewFile()
	defer f.Close()
	sheet := "操作"
	must(f.SetSheetName("Sheet1", sheet))
	header := []string{"品牌ID", "门店ID", "操作人ID", "外部订单号", "回退单号", "操作类型", "储值金额", "顾客ID", "手机号", "外部ID", "外部ID类型", "备注", "活动"}
	for i, h := range header {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		must(f.SetCellStr(sheet, cell, h))
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49})
	must(err)
	must(f.SetColStyle(sheet, "A:F", text))
	must(f.SetColStyle(sheet, "H:K", text))
	for r, o := range ops {
		vals := []any{o.brand, o.shop, o.operator, o.outer, o.newOuter, opWords[o.typ], o.fen, o.customer, o.mobile, o.outerID, o.outerType, o.reason, o.campaign}
		for c, v := range vals {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+2)
			switch v := v.(type) {
			case int64:
				must(f.SetCellInt(sheet, cell, v))
			case string:
				if v != "" {
					must(f.SetCellStr(sheet, cell, v))
				}
			}
		}
	}
	must(f.SaveAs(path))
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
