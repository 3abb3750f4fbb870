package undo

import (
	"encoding/csv"
	"io"
	"strings"
	"testing"
)

type csvSource struct {
	header []string
	rows   [][]string
	i      int
}

func (s *csvSource) Header() []string { return s.header }
func (s *csvSource) Next() (int, []string, error) {
	if s.i >= len(s.rows) {
		return 0, nil, io.EOF
	}
	s.i++
	return s.i + 1, s.rows[s.i-1], nil
}

func source(t *testing.T, text string) *csvSource {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return &csvSource{header: recs[0], rows: recs[1:]}
}

func TestFromResults(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 60)
	src := source(t, "row,brand_id,shop_id,operator_id,outer_order_id,new_outer_order_id,operate_type,change_value,customer_id,status\n"+
		"2,B,S,op,C1,,1,1000,A,succeeded\n"+ // refunded 300 below: 700 left
		"3,B,S,op,C1,R1,4,300,A,succeeded\n"+
		"4,B,S,op,C2,,1,500,B,failed\n"+ // moved nothing
		"5,B,S,op,C3,,1,200,B,already_done\n"+ // succeeded earlier: still applied
		"6,B,S,op,C4,,1,100,B,succeeded\n"+
		"7,B,S,op,C4,R4,4,100,B,succeeded\n"+ // refunded in full
		"8,B,S,op,F1,,2,50,B,succeeded\n"+
		"9,B,S,op,'="+long+",,1,10,B,succeeded\n") // a neutralised id, too long for UNDO- + it
	p, err := FromResults(src)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range p.Refunds {
		got = append(got, r.OuterOrderID+">"+r.NewOuterOrderID+":"+strings.Join(r.Cells()[5:7], ","))
	}
	want := []string{"C1>UNDO-C1:4,700", "C3>UNDO-C3:4,200", "=" + long + ">" + RefundID("="+long) + ":4,10"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("refunds %q; want %q", got, want)
	}
	if p.Total != 910 {
		t.Errorf("total %d; want 910", p.Total)
	}
	if id := RefundID("=" + long); len(id) > 64 || !strings.HasPrefix(id, "UNDO-") {
		t.Errorf("RefundID of a long id = %q; want UNDO- and at most 64 characters", id)
	}
	var skipped []string
	for _, s := range p.Skipped {
		skipped = append(skipped, s.OuterOrderID)
	}
	if strings.Join(skipped, " ") != "C1 C4 C4 F1" { // the refunds R1 (of C1), R4 and the charge C4 refunded in full, the freeze
		t.Errorf("skipped %q", skipped)
	}
}
