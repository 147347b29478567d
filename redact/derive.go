package redact

import (
	"strings"
	"unicode/utf8"

	"github.com/git-codex/git-codex/internal/text"
)

// Redactor redacts text with this package's rules and, first, the literal
// values it was given (see Literal), and derives short texts — titles,
// columns, clipped results — from redacted text only. A secret cut in half
// matches no rule any more, so cutting must come last; every short text
// stored or shown goes through Line or Clip. The zero Redactor uses the
// rules alone.
type Redactor struct {
	literals []string
}

// New returns a Redactor that also replaces the given literal values
// (empty ones are ignored).
func New(literals ...string) Redactor {
	var r Redactor
	for _, v := range literals {
		if v = strings.TrimSpace(v); v != "" {
			r.literals = append(r.literals, v)
		}
	}
	return r
}

// String returns s with r's literal values and every secret the rules find
// replaced by markers.
func (r Redactor) String(s string) string {
	for _, v := range r.literals {
		s = Literal(s, v)
	}
	return String(s)
}

// lineReach is how far past the first line Line redacts: further than any
// rule reaches across lines (gitleaks' rules reach 512 bytes either side of
// their keyword, private-key bodies need four lines), so that the first
// line comes out as redacting the whole text would leave it, without
// redacting all of a long text to show one line of it.
const lineReach = 2048

// Line returns the first non-empty line of s after redaction, without
// leading white space and Markdown heading marks, cut to at most n runes
// ("…" ends a cut line).
func (r Redactor) Line(s string, n int) string {
	s = strings.TrimLeft(s, " \t\r\n")
	if end := lineEnd(s, 0) + lineReach; end < len(s) {
		// Whole lines, so that the part redacted ends where a line does.
		s = s[:lineEnd(s, end)]
	}
	s = r.String(s)
	s = strings.TrimLeft(s, " \t\r\n")
	s = s[:lineEnd(s, 0)]
	s = strings.TrimSpace(strings.TrimLeft(s, "# "))
	return text.Cut(s, n)
}

// Cut returns s after redaction, cut to at most n bytes at a character
// boundary, and how many bytes of the redacted text it left out.
func (r Redactor) Cut(s string, n int) (string, int) {
	s = r.String(s)
	head := text.CutBytes(s, n)
	return head, len(s) - len(head)
}

// Clip is Cut with mark appended when something was cut.
func (r Redactor) Clip(s string, n int, mark string) string {
	head, left := r.Cut(s, n)
	if left > 0 {
		head += mark
	}
	return head
}

// Tail is the end of Clip: the last n bytes of s redacted, from the start
// of a line when one begins within them, with mark put before when
// something was cut (a command's output tail).
func (r Redactor) Tail(s string, n int, mark string) string {
	s = r.String(s)
	if len(s) <= n {
		return s
	}
	cut := len(s) - max(n, 0)
	for cut < len(s) && !utf8.RuneStart(s[cut]) {
		cut++
	}
	if i := strings.IndexByte(s[cut:], '\n'); i >= 0 && i+1 < len(s)-cut {
		cut += i + 1
	}
	return mark + s[cut:]
}

// Line is Redactor.Line with the rules alone.
func Line(s string, n int) string { return Redactor{}.Line(s, n) }

// Cut is Redactor.Cut with the rules alone.
func Cut(s string, n int) (string, int) { return Redactor{}.Cut(s, n) }

// Clip is Redactor.Clip with the rules alone.
func Clip(s string, n int, mark string) string { return Redactor{}.Clip(s, n, mark) }

// Tail is Redactor.Tail with the rules alone.
func Tail(s string, n int, mark string) string { return Redactor{}.Tail(s, n, mark) }
