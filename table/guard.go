package table

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
)

// Caps on what a workbook's parts may hold, so that a small hostile file (a zip bomb: a few
// hundred KB that inflate to gigabytes) is refused with a clear message instead of taking the
// machine's memory. Legitimate workbooks are far below them.
const (
	maxSmallPart = 64 << 20 // workbook, relationships, styles
	maxSheetPart = 4 << 30  // a sheet is streamed: this bounds only the time it takes
	maxSSTPart   = 512 << 20
	// A shared-string table is held in memory: past minSSTCap it may not inflate more than
	// maxSSTRatio times its compressed size (unique strings compress a few times, not hundreds).
	minSSTCap   = 64 << 20
	maxSSTRatio = 100
	maxSSTCount = 1 << 24 // more strings than a sheet of 1,048,576 rows × 16 columns needs
	// maxRun caps the bytes between two '<' of a part's XML: encoding/xml holds a text or a tag
	// whole, and no cell (at most 32,767 characters) or tag comes near it.
	maxRun = 1 << 20
	// maxRowBytes caps the text of one row of a sheet.
	maxRowBytes = 32 << 20
)

// tooLarge is the refusal of a part past a cap.
func tooLarge(part, what string) *partError {
	return &partError{msg: fmt.Sprintf("is too large to read safely: its part %s %s; the file is damaged or was made to exhaust memory (a spreadsheet program never writes this)", part, what)}
}

// xmlGuard reads a part's XML for a decoder, refusing it past limit bytes or with a run of more
// than maxRun bytes between two '<' (where the decoder would buffer the run whole).
type xmlGuard struct {
	r     io.Reader
	part  string
	limit int64
	n     int64
	run   int
}

func guardPart(zf *zip.File, limit int64) (io.ReadCloser, error) {
	if zf.UncompressedSize64 > uint64(limit) {
		return nil, tooLarge(zf.Name, fmt.Sprintf("inflates to %d MiB (at most %d MiB)", zf.UncompressedSize64>>20, limit>>20))
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{&xmlGuard{r: rc, part: zf.Name, limit: limit}, rc}, nil
}

func (g *xmlGuard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	g.n += int64(n)
	if g.n > g.limit {
		return 0, tooLarge(g.part, fmt.Sprintf("inflates to more than %d MiB", g.limit>>20))
	}
	b := p[:n]
	if len(b) <= maxRun {
		// No gap inside b can pass maxRun: only the one from the last '<' before it.
		if i := bytes.IndexByte(b, '<'); i < 0 {
			g.run += len(b)
		} else if g.run += i; g.run <= maxRun {
			g.run = len(b) - 1 - bytes.LastIndexByte(b, '<')
		}
		if g.run > maxRun {
			return 0, tooLarge(g.part, fmt.Sprintf("holds a text or tag of more than %d MiB", maxRun>>20))
		}
		return n, err
	}
	for {
		i := bytes.IndexByte(b, '<')
		if i < 0 {
			g.run += len(b)
			break
		}
		if g.run+i > maxRun {
			g.run += i
			break
		}
		g.run = 0
		b = b[i+1:]
	}
	if g.run > maxRun {
		return 0, tooLarge(g.part, fmt.Sprintf("holds a text or tag of more than %d MiB", maxRun>>20))
	}
	return n, err
}

// sstTable is the shared-string table, compact: the strings back to back in one string, and
// where each ends (4 bytes a string rather than a 16-byte header and an allocation each).
type sstTable struct {
	data string
	end  []uint32
}

func (s *sstTable) len() int { return len(s.end) }

func (s *sstTable) at(i int) string {
	start := uint32(0)
	if i > 0 {
		start = s.end[i-1]
	}
	return s.data[start:s.end[i]]
}
