package ui

import (
	"os"
	"strconv"
	"strings"

	"github.com/rivo/uniseg"
	"golang.org/x/term"
)

// Width returns the number of terminal cells s takes: wide (CJK) characters
// count two, combining marks and zero-width joiners none.
func Width(s string) int {
	// Printable ASCII takes a cell a byte, and most text is: only the
	// rest, from the character before the first other byte (which may
	// join it in a grapheme cluster), is measured cluster by cluster.
	// Eight bytes at a time while they are all printable ASCII (a table
	// of ten thousand rows measures megabytes).
	i := 0
	for ; i+8 <= len(s) && printable8(s[i:i+8]); i += 8 {
	}
	for ; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			if i > 0 && s[i] >= 0x80 {
				return i - 1 + uniseg.StringWidth(s[i-1:])
			}
			return uniseg.StringWidth(s)
		}
	}
	return len(s)
}

// printable8 reports whether the 8 bytes of s are all printable ASCII
// (' ' to '~'): none below 0x20 (the borrow of subtracting 0x20 sets its
// top bit), none from 0x7f (adding one sets it) or 0x80 on (set already).
func printable8(s string) bool {
	const ones, tops = 0x0101010101010101, 0x8080808080808080
	x := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	return ((x-ones*0x20)&^x|(x+ones)|x)&tops == 0
}

// Truncate cuts s to at most width cells, ending it with "…" when it was
// cut. It cuts between grapheme clusters, at the last space when that keeps
// at least two thirds of the room, so a word is not split when it need not be.
func Truncate(s string, width int) string {
	if Width(s) <= width {
		return s
	}
	if width <= 0 {
		return ""
	}
	room := width - 1 // for the ellipsis
	var b strings.Builder
	used, lastSpace := 0, -1
	atWordEnd := false // the text goes on with a space: no word is split
	g := uniseg.NewGraphemes(s)
	for g.Next() {
		w := g.Width()
		if used+w > room {
			atWordEnd = g.Str() == " "
			break
		}
		if g.Str() == " " {
			lastSpace = b.Len()
		}
		b.WriteString(g.Str())
		used += w
	}
	cut := b.String()
	if !atWordEnd && lastSpace > 0 && Width(cut[:lastSpace]) >= room*2/3 {
		cut = cut[:lastSpace]
	}
	return strings.TrimRight(cut, " ") + "…"
}

// TerminalWidth returns the width of the terminal f is, as git reckons it:
// COLUMNS when set to a number, else the terminal's own size, else 80. It is
// 0 when f is not a terminal: output to pipes is never fitted.
func TerminalWidth(f *os.File, getenv func(string) string) int {
	if f == nil || !term.IsTerminal(int(f.Fd())) {
		return 0
	}
	if getenv != nil {
		if n, err := strconv.Atoi(getenv("COLUMNS")); err == nil && n > 0 {
			return n
		}
	}
	if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
		return w
	}
	return 80
}
