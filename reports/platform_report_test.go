package reports

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"svbatch"
	"svbatch/client"
	"svbatch/reconcile"
)

// prSample is a two-way report where everything matched and a three-way one with one flow applied
// outside the run (platform_only) and one account whose proof fails.
func prSample(t *testing.T) (*reconcile.Report, *reconcile.PlatformReport) {
	t.Helper()
	exp, err := reconcile.NewCSVSource(strings.NewReader("brand_id,operate_type,outer_order_id,change_value,customer_id\nB,1,CH-1,100,C1\n"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := reconcile.NewCSVSource(strings.NewReader("row,brand_id,shop_id,operate_type,outer_order_id,new_outer_order_id,change_value,customer_id,status\n2,B,S1,1,CH-1,,100,C1,succeeded\n"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := reconcile.Reconcile(exp, res, reconcile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	props := func(v int64) []client.Property { return []client.Property{{Type: client.PropertyTotal, Value: v}} }
	flows := []client.Flow{
		{FlowID: "1", FlowType: client.FlowTypeRecharge, AccountID: "A1", BrandID: "B", ShopID: "S1", OrderValue: 100, CurrentValue: 100,
			OrderTime: "2026-11-27 10:00:01", OuterOrderID: "CH-1", BeforePropertyList: props(0), AffectedPropertyList: props(100), AfterPropertyList: props(100)},
		{FlowID: "2", FlowType: client.FlowTypeRecharge, AccountID: "A1", BrandID: "B", ShopID: "S1", OrderValue: 42, CurrentValue: 142,
			OrderTime: "2026-11-27 10:00:09", OuterOrderID: "=DIRECT-1", BeforePropertyList: props(100), AffectedPropertyList: props(42), AfterPropertyList: props(142)},
		{FlowID: "3", FlowType: client.FlowTypeRecharge, AccountID: "A2", BrandID: "B", ShopID: "S1", OrderValue: 5, CurrentValue: 5,
			OrderTime: "2026-11-27 10:00:10", OuterOrderID: "POS-2", BeforePropertyList: props(0), AffectedPropertyList: props(5), AfterPropertyList: props(5)},
	}
	rows := []reconcile.PlatformRow{{Line: 2, Identity: reconcile.Identity{BrandID: "B", OperateType: 1, OuterOrderID: "CH-1"}, ShopID: "S1",
		Customer: reconcile.Customer{CustomerID: "C1"}, Amount: 100, Status: "succeeded", Moved: true}}
	accts := []reconcile.PlatformAccount{
		{BrandID: "B", Customer: reconcile.Customer{CustomerID: "C1"}, ShopID: "S1", Found: true, AccountIDs: []string{"A1"}, Balance: 142},
		{BrandID: "B", Customer: reconcile.Customer{CustomerID: "C2"}, ShopID: "S1", Found: true, AccountIDs: []string{"A2"}, Balance: 6},
	}
	p, err := reconcile.ReconcilePlatform(rep, reconcile.PlatformInput{Rows: rows, Flows: flows, Accounts: accts})
	if err != nil {
		t.Fatal(err)
	}
	return rep, p
}

// TestWritePlatformReconciliation: the workbook keeps the two-way sheets and adds one per non-empty
// platform category and the balance proof; the Summary's verdict covers both and lists the platform
// breaks.
func TestWritePlatformReconciliation(t *testing.T) {
	t.Parallel()
	rep, p := prSample(t)
	for _, tc := range []struct {
		lang   svbatch.Lang
		sheets []string
		cells  map[[2]string]string
	}{
		{"", []string{"Summary", "Matched", "Platform matched", "Platform only", "Balance proof"}, map[[2]string]string{
			{"Platform only", "C2"}: "=DIRECT-1", // formula-like text kept as text
			{"Platform only", "M1"}: "order_value",
			{"Platform only", "M2"}: "42",
			{"Platform only", "N2"}: "0.42",
			{"Platform only", "S2"}: "42", // difference, fen
			{"Platform only", "C3"}: "POS-2",
			{"Balance proof", "B2"}: "C1",
			{"Balance proof", "O2"}: "142", // closing, fen
			{"Balance proof", "S2"}: "yes",
			{"Balance proof", "Q3"}: "1", // closing 6 − 0 + 5
			{"Balance proof", "S3"}: "NO",
			{"Summary", "A2"}:       "NOT MATCHED: 3 rows differ (2 categories); see the category sheets",
		}},
		{svbatch.LangZH, []string{"汇总", "一致", "平台一致", "仅平台有", "余额证明"}, map[[2]string]string{
			{"余额证明", "I1"}: "期初余额(分)",
			{"余额证明", "S2"}: "是",
		}},
	} {
		path := filepath.Join(t.TempDir(), "rec.xlsx")
		info := ReconciliationInfo{AsOf: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC), Lang: tc.lang,
			Inputs: []ReconciliationInput{{Role: "platform", Name: "http://127.0.0.1:1/router/rest", SHA256: "ab", Rows: 2}}}
		if err := WritePlatformReconciliationReport(path, rep, p, info); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.GetSheetList(); !slices.Equal(got, tc.sheets) {
			t.Errorf("lang %q: sheets %q; want %q", tc.lang, got, tc.sheets)
		}
		for k, want := range tc.cells {
			if got, _ := f.GetCellValue(k[0], k[1]); got != want {
				t.Errorf("lang %q: %s!%s = %q; want %q", tc.lang, k[0], k[1], got, want)
			}
		}
		if tc.lang == "" {
			rows, _ := f.GetRows("Summary")
			var text []string
			for _, r := range rows {
				text = append(text, strings.Join(r, "|"))
			}
			all := strings.Join(text, "\n")
			for _, want := range []string{"platform_only|2", "balance_proof_failed|1", "platform net difference +47 fen", "balance proof: 1 of 2 accounts proved"} {
				if !strings.Contains(all, want) {
					t.Errorf("Summary lacks %q:\n%s", want, all)
				}
			}
		}
		f.Close()
	}
}
