package workflow

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrInvalid is wrapped by every ErrorList: errors.Is(err, ErrInvalid)
// tells a workflow file that is wrong from a file that cannot be read.
var ErrInvalid = errors.New("invalid workflow")

// Pos is a place in a workflow file: 1-based line and column (in
// characters, as editors count them). The zero Pos means "no position".
type Pos struct {
	Line, Col int
}

func (p Pos) String() string {
	if p.Line == 0 {
		return ""
	}
	return fmt.Sprintf("%d:%d", p.Line, p.Col)
}

// Error is one problem in a workflow file, at a position.
type Error struct {
	File string
	Pos  Pos
	Msg  string
}

// Error formats the problem the way compilers do: "file:line:col: msg".
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Pos.Line > 0 {
		b.WriteString(e.Pos.String())
		b.WriteByte(':')
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrorList is every problem found in a workflow file, sorted by position.
// It wraps ErrInvalid.
type ErrorList []*Error

func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (l ErrorList) Unwrap() error { return ErrInvalid }

// errs collects problems while a file is read.
type errs struct {
	file string
	list ErrorList
}

func (e *errs) add(p Pos, format string, args ...any) {
	e.list = append(e.list, &Error{File: e.file, Pos: p, Msg: fmt.Sprintf(format, args...)})
}

// err returns the sorted list, or nil when nothing was found.
func (e *errs) err() error {
	if len(e.list) == 0 {
		return nil
	}
	sort.SliceStable(e.list, func(i, j int) bool {
		a, b := e.list[i].Pos, e.list[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return e.list
}

// suggest returns ` (did you mean "x"?)` when one of the candidates is a
// likely typo of s, else "".
func suggest(s string, candidates []string) string {
	best, bestD := "", 3
	if len(s) <= 3 {
		bestD = 2
	}
	for _, c := range candidates {
		// A match must keep some of s: "x" is no typo of "a".
		if d := distance(strings.ToLower(s), strings.ToLower(c)); d < bestD && d < len([]rune(s)) {
			best, bestD = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the Levenshtein distance of two short strings.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
