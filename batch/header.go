package batch

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"golang.org/x/text/width"

	"svbatch"
	"svbatch/table"
)

// Canonical column names of an input file: the API field names, as the domain names them
// (svbatch.ResultColumns writes them in the same words).
const (
	ColBrandID         = svbatch.ColBrandID
	ColShopID          = svbatch.ColShopID
	ColOperatorID      = svbatch.ColOperatorID
	ColOuterOrderID    = svbatch.ColOuterOrderID
	ColNewOuterOrderID = svbatch.ColNewOuterOrderID
	ColOperateType     = svbatch.ColOperateType
	ColChangeValue     = svbatch.ColChangeValue
	ColCustomerID      = svbatch.ColCustomerID
	ColMobile          = svbatch.ColMobile
	ColOuterID         = svbatch.ColOuterID
	ColOuterType       = svbatch.ColOuterType
	ColReason          = svbatch.ColReason
	ColRequestID       = svbatch.ColRequestID
)

// canonicalOrder lists the canonical columns in the order svbatch writes them.
var canonicalOrder = []string{
	ColBrandID, ColShopID, ColOperatorID, ColOuterOrderID, ColNewOuterOrderID, ColOperateType,
	ColChangeValue, ColCustomerID, ColMobile, ColOuterID, ColOuterType, ColReason, ColRequestID,
}

// ChineseLabels are the Chinese header labels svbatch writes (the template with --lang zh) and
// reads back, by canonical name.
var ChineseLabels = map[string]string{
	ColBrandID:         "品牌ID",
	ColShopID:          "门店ID",
	ColOperatorID:      "操作人ID",
	ColOuterOrderID:    "外部订单号",
	ColNewOuterOrderID: "回退单号",
	ColOperateType:     "操作类型",
	ColChangeValue:     "储值金额",
	ColCustomerID:      "顾客ID",
	ColMobile:          "手机号",
	ColOuterID:         "外部ID",
	ColOuterType:       "外部ID类型",
	ColReason:          "备注",
	ColRequestID:       "请求ID",
}

// aliases maps a normalised header to its canonical name.
var aliases = func() map[string]string {
	m := map[string]string{}
	for _, c := range canonicalOrder {
		m[normHeader(c)] = c
	}
	for c, zh := range ChineseLabels {
		m[normHeader(zh)] = c
	}
	for zh, c := range map[string]string{
		"金额": ColChangeValue, "手机号码": ColMobile, "店铺ID": ColShopID, "会员ID": ColCustomerID,
		"操作员ID": ColOperatorID, "原因": ColReason,
	} {
		m[normHeader(zh)] = c
	}
	return m
}()

// normHeader folds a header for matching: BOM and spaces, underscores and hyphens removed,
// full-width letters folded, lower case. "Brand ID", "brand_id" and "ＢＲＡＮＤ＿ＩＤ" all match.
func normHeader(h string) string {
	h = width.Fold.String(strings.TrimPrefix(strings.TrimSpace(h), "\uFEFF"))
	var b strings.Builder
	for _, r := range h {
		switch r {
		case ' ', '_', '-', '\t', '\u00A0', '\u3000', '\uFEFF':
			continue
		}
		b.WriteRune(r)
	}
	return strings.ToLower(b.String())
}

// isCanonical reports whether name is one of the canonical column names.
func isCanonical(name string) bool {
	for _, c := range canonicalOrder {
		if c == name {
			return true
		}
	}
	return false
}

// CanonicalHeader maps a header cell to its canonical column name: the canonical names, the
// Chinese aliases and the --mapping file's columns, matched case-, space- and BOM-insensitively.
// ok is false for an unknown column (it passes through).
//
// A header may end in brackets (half- or full-width) saying the unit of an amount, 金额（分）,
// 金额(元), Amount (yuan), or that the column is required or optional, 备注(选填): the name
// before them is matched (HeaderUnit reads the unit).
func CanonicalHeader(h string, m *Mapping) (canonical string, ok bool) {
	if c, ok := lookupHeader(h, m); ok {
		return c, true
	}
	base, inner, ok := splitBracket(h)
	if !ok {
		return "", false
	}
	c, ok := lookupHeader(base, m)
	switch {
	case !ok:
		return "", false
	case bracketMarkers[normHeader(inner)]:
		return c, true
	case c == ColChangeValue:
		if _, ok := unitWord(inner); ok {
			return c, true
		}
	}
	return "", false
}

func lookupHeader(h string, m *Mapping) (string, bool) {
	n := normHeader(h)
	if n == "" {
		return "", false
	}
	if m != nil {
		if c, ok := m.norm[n]; ok {
			return c, true
		}
	}
	c, ok := aliases[n]
	return c, ok
}

// bracketMarkers say in a header's brackets whether the column must be filled.
var bracketMarkers = map[string]bool{"必填": true, "选填": true, "可选": true, "非必填": true, "required": true, "optional": true}

// splitBracket splits "金额（元）" into "金额" and "元" (brackets ( ) （ ） [ ] 【 】 at the end).
func splitBracket(h string) (base, inner string, ok bool) {
	h = strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))
	for _, p := range [][2]string{{"(", ")"}, {"（", "）"}, {"[", "]"}, {"【", "】"}, {"(", "）"}, {"（", ")"}} {
		if !strings.HasSuffix(h, p[1]) {
			continue
		}
		if i := strings.LastIndex(h, p[0]); i > 0 {
			return strings.TrimSpace(h[:i]), strings.TrimSpace(h[i+len(p[0]) : len(h)-len(p[1])]), true
		}
	}
	return h, "", false
}

// unitWord reads the unit in an amount header's brackets: 分/fen, 元/yuan (单位：元 too).
func unitWord(s string) (svbatch.Unit, bool) {
	n := normHeader(s)
	for _, p := range []string{"单位:", "单位：", "unit:", "单位"} {
		n = strings.TrimPrefix(n, p)
	}
	switch n {
	case "分", "fen", "cent", "cents":
		return svbatch.Fen, true
	case "元", "yuan", "rmb", "cny", "¥", "￥", "人民币", "人民币元":
		return svbatch.Yuan, true
	}
	return 0, false
}

// HeaderUnit is the unit an amount header names in its brackets (金额（分）, 金额(元)); ok is false
// when it names none.
func HeaderUnit(h string) (u svbatch.Unit, ok bool) {
	if _, inner, ok := splitBracket(h); ok {
		return unitWord(inner)
	}
	return 0, false
}

// headerScore scores a row as the header row: how many of its cells are columns svbatch knows
// (with the mapping's). The header is the best of the first rows of a file (table.Options).
func headerScore(m *Mapping) func(cells []string) int {
	return func(cells []string) int {
		n := 0
		for _, c := range cells {
			if _, ok := CanonicalHeader(c, m); ok {
				n++
			}
		}
		return n
	}
}

// Mapping is a --mapping YAML file: `column in file: canonical name`, plus `constants:` for values
// every row shares (e.g. brand_id or operator_id). A `columns:` block is read the same way.
type Mapping struct {
	Columns   map[string]string // header as in the file → canonical name
	Constants map[string]string // canonical name → value
	norm      map[string]string // normalised header → canonical name
}

// LoadMapping reads and checks a mapping file, in UTF-8 (with or without a BOM), UTF-16 with a
// BOM, or GBK/GB18030. Values are taken as written: `brand_id: 00123` stays "00123" (YAML would
// read it as octal).
func LoadMapping(path string) (*Mapping, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", path, table.UnwrapPathErr(err))
	}
	// Notepad saves in GBK ("ANSI" on a Chinese Windows) or with a BOM: read it as a CSV file is.
	text, _, err := table.DecodeText(data)
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %v: save it as UTF-8 (Notepad: Save As, Encoding UTF-8)", path, err)
	}
	m, err := ParseMapping(text)
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", path, err)
	}
	return m, nil
}

// ParseMapping parses the YAML text of a mapping file.
func ParseMapping(data []byte) (*Mapping, error) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, fmt.Errorf("not valid YAML: %s", firstLine(err.Error()))
	}
	m := &Mapping{Columns: map[string]string{}, Constants: map[string]string{}, norm: map[string]string{}}
	if len(f.Docs) == 0 || f.Docs[0].Body == nil {
		return m, nil
	}
	top, err := mappingPairs(f.Docs[0].Body)
	if err != nil {
		return nil, err
	}
	var problems []string
	addColumn := func(col, canon string) {
		c := strings.ToLower(strings.TrimSpace(canon))
		if !isCanonical(c) {
			problems = append(problems, fmt.Sprintf("%q maps to %q, which is not a column svbatch knows (%s)", col, canon, strings.Join(canonicalOrder, ", ")))
			return
		}
		n := normHeader(col)
		if prev, ok := m.norm[n]; ok && prev != c {
			problems = append(problems, fmt.Sprintf("%q is mapped twice", col))
			return
		}
		m.Columns[col] = c
		m.norm[n] = c
	}
	for _, kv := range top {
		switch strings.ToLower(kv.key) {
		case "constants", "columns":
			inner, err := mappingPairs(kv.node)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", kv.key, err)
			}
			for _, p := range inner {
				if strings.ToLower(kv.key) == "columns" {
					addColumn(p.key, p.value)
					continue
				}
				c := strings.ToLower(strings.TrimSpace(p.key))
				switch {
				case !isCanonical(c):
					problems = append(problems, fmt.Sprintf("constant %q is not a column svbatch knows", p.key))
				case p.nested:
					problems = append(problems, fmt.Sprintf("constant %s: want a single value", c))
				case strings.TrimSpace(p.value) == "":
					problems = append(problems, fmt.Sprintf("constant %s is empty", c))
				default:
					m.Constants[c] = strings.TrimSpace(p.value)
				}
			}
		default:
			if kv.nested {
				problems = append(problems, fmt.Sprintf("%q: want a column name, not a block", kv.key))
				continue
			}
			addColumn(kv.key, kv.value)
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return m, nil
}

type yamlPair struct {
	key, value string
	nested     bool
	node       ast.Node
}

// mappingPairs lists a YAML mapping's entries with their scalar values as written.
func mappingPairs(n ast.Node) ([]yamlPair, error) {
	var values []*ast.MappingValueNode
	switch v := n.(type) {
	case *ast.MappingNode:
		values = v.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{v}
	case *ast.NullNode:
		return nil, nil
	default:
		return nil, fmt.Errorf("want a mapping of `column in file: canonical name`, line %d", n.GetToken().Position.Line)
	}
	out := make([]yamlPair, 0, len(values))
	for _, mv := range values {
		p := yamlPair{key: scalarText(mv.Key), node: mv.Value}
		switch val := mv.Value.(type) {
		case *ast.MappingNode, *ast.MappingValueNode, *ast.SequenceNode:
			p.nested = true
		case *ast.NullNode:
		default:
			p.value = scalarText(val)
		}
		out = append(out, p)
	}
	return out, nil
}

// scalarText is a scalar node's text as written (quotes removed, numbers not reinterpreted).
func scalarText(n ast.Node) string {
	if n == nil {
		return ""
	}
	if s, ok := n.(*ast.StringNode); ok {
		return s.Value
	}
	if tk := n.GetToken(); tk != nil {
		return tk.Value
	}
	return n.String()
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
