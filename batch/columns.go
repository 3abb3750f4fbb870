package batch

// ColumnDoc documents one canonical column for people (the template and its Instructions sheet).
type ColumnDoc struct {
	Name     string   // canonical name
	Chinese  string   // Chinese header label
	Text     bool     // an id or phone number: must be kept as text
	Amount   bool     // change_value
	Choices  []string // allowed words (English), nil for free text
	ChoicesZ []string // allowed words (Chinese)
	Required string   // "yes", "no", or when
	About    string   // what to enter (English)
	AboutZ   string   // what to enter (Chinese)
	Example  string
	// RequiredZ and ExampleZ are Required and Example for the Chinese template (是/否, 会员充值).
	RequiredZ, ExampleZ string
}

// ColumnDocs lists the canonical columns in the order svbatch writes them.
func ColumnDocs() []ColumnDoc {
	docs := []ColumnDoc{
		{Name: ColBrandID, Text: true, Required: "yes", Example: "10001",
			About: "Brand id of the stored-value program (up to 64 characters).", AboutZ: "品牌ID（最多64个字符）。"},
		{Name: ColShopID, Text: true, Required: "yes", Example: "S0101",
			About: "Shop (store) id where the operation happens.", AboutZ: "门店ID。"},
		{Name: ColOperatorID, Text: true, Required: "yes", Example: "op-01",
			About: "Who performs the operation (staff or system id).", AboutZ: "操作人ID。"},
		{Name: ColOuterOrderID, Text: true, Required: "yes", Example: "CHG-20250101-0001",
			About:  "Your order number. Each (brand, operation, order number) may appear once; a verify of a frozen amount uses the freeze's order number; a refund uses the charge's order number.",
			AboutZ: "外部订单号。同一品牌、操作类型、订单号只能出现一次；核销冻结金额时填冻结的订单号；充值回退填原充值订单号。"},
		{Name: ColNewOuterOrderID, Text: true, Required: "refunds", Example: "",
			About: "Refunds only: the refund's own order number (must differ from outer_order_id).", AboutZ: "仅充值回退：回退单号（不能与外部订单号相同）。"},
		{Name: ColOperateType, Choices: []string{"charge", "freeze", "verify", "refund"}, ChoicesZ: []string{"充值", "冻结", "核销", "充值回退"},
			Required: "yes", Example: "charge",
			About: "1 charge, 2 freeze, 3 verify, 4 refund (numbers, English or Chinese words).", AboutZ: "1 充值、2 冻结、3 核销、4 充值回退（数字、英文或中文均可）。"},
		{Name: ColChangeValue, Amount: true, Required: "yes", Example: "10000",
			About:  "Amount in fen, a whole number > 0 (10000 = 100.00 yuan). No separators, signs or units. For yuan, name the column change_value(yuan) or 金额(元), or run with --amount-unit yuan.",
			AboutZ: "金额，单位：分，正整数（10000 = 100.00元）。不要千分位、符号或单位。按元填写时把列名写成 金额(元)，或使用 --amount-unit yuan。"},
		{Name: ColCustomerID, Text: true, Required: "one of customer_id, mobile, outer_id", Example: "C10000001",
			About: "The customer: customer_id, or mobile, or outer_id with outer_type.", AboutZ: "顾客：顾客ID、手机号、或外部ID加外部ID类型，三选一。"},
		{Name: ColMobile, Text: true, Required: "one of customer_id, mobile, outer_id", Example: "",
			About: "Mobile number, digits only (kept as text: leading zeros and all digits stay).", AboutZ: "手机号，仅数字（文本格式，保留所有位数）。"},
		{Name: ColOuterID, Text: true, Required: "one of customer_id, mobile, outer_id", Example: "",
			About: "External id (WeChat openid or Alipay user id), with outer_type.", AboutZ: "外部ID（微信 openid 或支付宝用户ID），需同时填写外部ID类型。"},
		{Name: ColOuterType, Choices: []string{"wechat", "alipay"}, ChoicesZ: []string{"wechat", "alipay"}, Required: "with outer_id", Example: "",
			About: "wechat or alipay.", AboutZ: "wechat 或 alipay。"},
		{Name: ColReason, Required: "no", Example: "Member top-up",
			About: "Free text, up to 256 characters; line breaks (Alt+Enter) and tabs are fine.", AboutZ: "备注，最多256个字符，可以换行（Alt+Enter）。"},
		{Name: ColRequestID, Text: true, Required: "no", Example: "",
			About:  "Leave empty: svbatch derives a stable idempotency id from brand, operation and order numbers. If given, it must be unique (up to 64 characters).",
			AboutZ: "一般留空：svbatch 会根据品牌、操作类型和订单号生成稳定的幂等ID。若填写，必须唯一（最多64个字符）。"},
	}
	requiredZ := map[string]string{"yes": "是", "no": "否", "refunds": "充值回退时必填",
		"one of customer_id, mobile, outer_id": "顾客ID、手机号、外部ID 三选一", "with outer_id": "填写外部ID时必填"}
	exampleZ := map[string]string{ColOperateType: "充值", ColReason: "会员充值"}
	for i := range docs {
		docs[i].Chinese = ChineseLabels[docs[i].Name]
		docs[i].RequiredZ = requiredZ[docs[i].Required]
		docs[i].ExampleZ = docs[i].Example
		if zh, ok := exampleZ[docs[i].Name]; ok {
			docs[i].ExampleZ = zh
		}
	}
	return docs
}
