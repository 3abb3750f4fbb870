package reconcile

// For the external tests (package reconcile_test), which may import reports.
var (
	ReadCSVFile    = readCSVFile
	WriteXLSX      = writeXLSX
	ReconcileFiles = reconcileFiles
	WantFixture    = wantFixture
)
