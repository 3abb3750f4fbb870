package batch

// Field length limits: longer values are refused, never truncated.
const (
	MaxIDLen     = 64
	MaxReasonLen = 256
)

// field indexes canonicalOrder.
const (
	fBrand = iota
	fShop
	fOperator
	fOuterOrder
	fNewOuterOrder
	fOperateType
	fChangeValue
	fCustomer
	fMobile
	fOuterID
	fOuterType
	fReason
	fRequestID
	nFields
)

// required columns (a column or a constant must provide them).
var requiredFields = []int{fBrand, fShop, fOperator, fOuterOrder, fOperateType, fChangeValue}
