package ui

import "strings"

// PaintDiff colours a unified diff as git diff does: file headers bold,
// hunk headers in the frag slot, added lines in the new slot, removed
// lines in the old slot; context lines as they are. Off, it returns diff
// unchanged.
func PaintDiff(p Palette, diff string) string {
	if !p.Enabled() || diff == "" {
		return diff
	}
	var b strings.Builder
	for _, line := range strings.SplitAfter(diff, "\n") {
		body := strings.TrimSuffix(line, "\n")
		nl := line[len(body):]
		switch {
		case strings.HasPrefix(body, "+++ "), strings.HasPrefix(body, "--- "):
			b.WriteString(p.Paint(SlotHeader, body))
		case strings.HasPrefix(body, "@@"):
			b.WriteString(p.Paint(SlotFrag, body))
		case strings.HasPrefix(body, "+"):
			b.WriteString(p.Paint(SlotNew, body))
		case strings.HasPrefix(body, "-"):
			b.WriteString(p.Paint(SlotOld, body))
		default:
			b.WriteString(body)
		}
		b.WriteString(nl)
	}
	return b.String()
}
