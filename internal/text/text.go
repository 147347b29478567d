// Package text holds the few text helpers every command shows ids and
// columns with, so that they look the same everywhere: short ids of one
// length, and cuts that never split a character. It is pure string work:
// no I/O, no redaction (callers redact full texts before they cut them),
// and it imports nothing from this module.
package text

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// IDLength is how many characters of an id (session, record, commit) git
// codex shows: 12, enough to be unique in any repository and accepted by
// git wherever it takes an abbreviated commit id.
const IDLength = 12

// Ellipsis marks a cut.
const Ellipsis = "…"

// ShortID returns the first IDLength characters of id.
func ShortID(id string) string {
	if len(id) > IDLength {
		return id[:IDLength]
	}
	return id
}

// Cut returns s cut to at most n runes: when s is longer, its first n-1
// runes and Ellipsis. n < 1 gives "".
func Cut(s string, n int) string {
	if n < 1 {
		return ""
	}
	if len(s) <= n {
		return s // no more runes than bytes
	}
	// One pass: where n-1 runes end (the cut), and whether an nth rune
	// ends the string.
	i, cut := 0, 0
	for kept := 0; kept < n; kept++ {
		if i >= len(s) {
			return s
		}
		if kept == n-1 {
			cut = i
		}
		if s[i] < utf8.RuneSelf {
			i++
		} else {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
		}
	}
	if i >= len(s) {
		return s
	}
	return s[:cut] + Ellipsis
}

// CutBytes returns the longest prefix of s that is at most n bytes and ends
// on a character boundary; nothing marks the cut.
func CutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n < 0 {
		n = 0
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// FirstLine returns s up to its first line break (a "\r\n" counts as one).
func FirstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSuffix(s, "\r")
}

// Size formats a byte count for people: "512 B", "3.4 KiB", "1.2 MiB".
func Size(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
