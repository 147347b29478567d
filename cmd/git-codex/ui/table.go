package ui

import "io"

// Table writes rows in aligned columns separated by two spaces, fitted to a
// terminal width: when a row would be wider, the Flex column (a summary or a
// title) is cut with "…" — never wrapped, never cut inside a word when a
// space is near. With Width 0 (not a terminal) nothing is cut, so piped
// output stays exactly what it was.
type Table struct {
	// Header is the first row, painted with SlotHeader; nil for none.
	Header []string
	// Flex is the index of the column that gives up room; -1 for none.
	Flex int
	// MinFlex is the least the Flex column keeps (default 12 cells).
	MinFlex int
	// Width is the terminal width; 0 means do not fit.
	Width int
	// Palette paints the header; Paint, when set, paints a cell after it is
	// fitted and padded widths are computed (row is 0-based, header aside).
	Palette Palette
	Paint   func(row, col int, text string) string
}

// Write writes the header and rows. The last column is not padded, so no
// line ends in spaces.
func (t Table) Write(w io.Writer, rows [][]string) error {
	all := rows
	if t.Header != nil {
		all = append([][]string{t.Header}, rows...)
	}
	ncol := 0
	for _, r := range all {
		ncol = max(ncol, len(r))
	}
	widths := make([]int, ncol)
	cells := make([]int32, ncol*len(all)) // each cell's width, measured once
	for ri, r := range all {
		for i, c := range r {
			w := Width(c)
			cells[ri*ncol+i] = int32(w)
			widths[i] = max(widths[i], w)
		}
	}
	flex := t.Flex
	if flex < 0 || flex >= ncol {
		flex = -1
	}
	if t.Width > 0 && flex >= 0 {
		total := 2 * (ncol - 1)
		for _, w := range widths {
			total += w
		}
		if over := total - t.Width; over > 0 {
			minFlex := t.MinFlex
			if minFlex <= 0 {
				minFlex = 12
			}
			widths[flex] = max(min(widths[flex], minFlex), widths[flex]-over)
		}
	}
	// One write per 64 KB, not per row: 10,000 rows were 10,000 write(2)s.
	// (Appended to a slice rather than through a bufio.Writer: 90,000
	// cells cost its bookkeeping twice each.)
	const flushAt = 64 << 10
	out := make([]byte, 0, flushAt+4<<10)
	for ri, r := range all {
		last := len(r) - 1
		for last > 0 && r[last] == "" {
			last--
		}
		for i := 0; i <= last; i++ {
			cell, width := r[i], int(cells[ri*ncol+i])
			if i == flex && t.Width > 0 && width > widths[i] {
				cell = Truncate(cell, widths[i])
				width = Width(cell)
			}
			pad := widths[i] - width
			switch {
			case t.Header != nil && ri == 0:
				cell = t.Palette.Paint(SlotHeader, cell)
			case t.Paint != nil:
				row := ri
				if t.Header != nil {
					row--
				}
				cell = t.Paint(row, i, cell)
			}
			out = append(out, cell...)
			if i < last {
				for n := pad + 2; n > 0; n -= len(spaces) {
					out = append(out, spaces[:min(n, len(spaces))]...)
				}
			}
		}
		out = append(out, '\n')
		if len(out) >= flushAt {
			if _, err := w.Write(out); err != nil {
				return err
			}
			out = out[:0]
		}
	}
	if len(out) > 0 {
		if _, err := w.Write(out); err != nil {
			return err
		}
	}
	return nil
}

// spaces pads cells.
const spaces = "                                                                "
