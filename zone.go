package svbatch

import "time"

// GMT8 is the time zone of TOP (its timestamps, flows' order_time) and of every time svbatch's
// outputs show: one zone in a run's workbook, whatever the machine's own.
var GMT8 = time.FixedZone("GMT+8", 8*3600)
