package markdown

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/git-codex/git-codex/cmd/git-codex/ui"
)

var plainOpts = Options{Width: 40, Palette: ui.NewPalette(false, nil)}

func TestRenderPlain(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"heading and paragraph", "# Title\n\nSome *text* with `code`.\n", "# Title\n\nSome text with `code`.\n"},
		{"wrapped at spaces", "one two three four five six seven eight nine ten eleven twelve\n",
			"one two three four five six seven eight\nnine ten eleven twelve\n"},
		{"a word longer than the line", "see https://example.com/a/very/long/path/that/does/not/fit ok\n",
			"see\nhttps://example.com/a/very/long/path/that/does/not/fit\nok\n"},
		{"tight list with nesting", "- a\n- b\n  1. c\n  2. d\n", "• a\n• b\n  1. c\n  2. d\n"},
		{"loose ordered list", "3. x\n\n4. y\n", "3. x\n\n4. y\n"},
		{"list item wraps under its text", "- one two three four five six seven eight nine\n",
			"• one two three four five six seven\n  eight nine\n"},
		{"task list", "- [x] done\n- [ ] todo\n", "• [x] done\n• [ ] todo\n"},
		{"quote", "> a\n> b\n", "│ a b\n"},
		{"code block kept as is", "```go\nfunc f() {\n\treturn\n}\n```\n", "    func f() {\n    \treturn\n    }\n"},
		{"link", "[docs](https://x.dev) and <https://y.dev>\n", "docs (https://x.dev) and https://y.dev\n"},
		{"punctuation after emphasis", "**bold**, then `code`.\n", "bold, then `code`.\n"},
		{"hard break", "a  \nb\n", "a\nb\n"},
		{"table", "| a | b |\n|---|---|\n| 1 | 2 |\n", "a  b\n1  2\n"},
		{"rule", "a\n\n---\n\nb\n", "a\n\n────────────────────────────────────────\n\nb\n"},
		{"empty", "", "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Render(tt.src, plainOpts); got != tt.want {
				t.Errorf("Render(%q) =\n%q\nwant\n%q", tt.src, got, tt.want)
			}
		})
	}
}

func TestRenderColour(t *testing.T) {
	o := Options{Width: 60, Palette: ui.NewPalette(true, nil)}
	got := Render("# Plan\n\n**Fix** `Get`.\n\n```diff\n@@ -1 +1 @@\n-old\n+new\n```\n", o)
	for _, want := range []string{
		"\x1b[1m\x1b[4mPlan\x1b[m",      // h1: bold, underlined, no '#'
		"\x1b[1mFix\x1b[m",              // strong
		"\x1b[36mGet\x1b[m",             // inline code, no backticks
		"    \x1b[36m@@ -1 +1 @@\x1b[m", // hunk header as git's frag
		"    \x1b[31m-old\x1b[m",
		"    \x1b[32m+new\x1b[m",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("rendering lacks %q:\n%q", want, got)
		}
	}
	if strings.Contains(got, "#") || strings.Contains(got, "`") {
		t.Errorf("markers left in coloured output: %q", got)
	}
}

func TestRenderFitsTheWidth(t *testing.T) {
	src := "A paragraph with enough words to need several lines when the terminal is narrow.\n\n" +
		"- a list item that also needs more than one line to be shown\n\n" +
		"| file | why |\n|---|---|\n| cache.go | the TTL check compares wall clock times which drift |\n"
	for _, width := range []int{30, 45, 80} {
		got := Render(src, Options{Width: width, Palette: ui.NewPalette(true, nil)})
		for _, line := range strings.Split(got, "\n") {
			if w := ui.Width(stripANSI(line)); w > width {
				t.Errorf("width %d: line of %d cells: %q", width, w, line)
			}
		}
	}
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")

func stripANSI(s string) string { return ansi.ReplaceAllString(s, "") }

// screen is a tiny terminal: enough of one to see what Live leaves on it
// (printing with wrapping, CR, LF, cursor up, erase below; colours dropped).
type screen struct {
	width     int
	rows      []string
	row, col  int
	maxHeight int
}

func newScreen(width, height int) *screen {
	return &screen{width: width, rows: []string{""}, maxHeight: height}
}

func (s *screen) Write(p []byte) (int, error) {
	in := string(p)
	for len(in) > 0 {
		if m := regexp.MustCompile("^\x1b\\[([0-9;]*)([A-Za-z])").FindStringSubmatch(in); m != nil {
			in = in[len(m[0]):]
			switch m[2] {
			case "A":
				n, _ := strconv.Atoi(m[1])
				s.row = max(s.row-n, 0)
			case "J":
				s.rows = s.rows[:s.row+1]
				s.rows[s.row] = trimCells(s.rows[s.row], s.col)
			}
			continue
		}
		r := []rune(in)[0]
		in = in[len(string(r)):]
		switch r {
		case '\r':
			s.col = 0
		case '\n':
			s.newline()
		default:
			if s.col >= s.width {
				s.newline()
			}
			line := []rune(s.rows[s.row])
			for len(line) < s.col {
				line = append(line, ' ')
			}
			if s.col < len(line) {
				line[s.col] = r
			} else {
				line = append(line, r)
			}
			s.rows[s.row] = string(line)
			s.col++
		}
	}
	return len(p), nil
}

func (s *screen) newline() {
	s.row++
	s.col = 0
	if s.row == len(s.rows) {
		s.rows = append(s.rows, "")
	}
}

func trimCells(line string, n int) string {
	r := []rune(line)
	if len(r) > n {
		r = r[:n]
	}
	return string(r)
}

func (s *screen) text() string {
	rows := make([]string, len(s.rows))
	for i, r := range s.rows {
		rows[i] = strings.TrimRight(r, " ")
	}
	return strings.TrimRight(strings.Join(rows, "\n"), "\n") + "\n"
}

// TestLive: streamed in small pieces, the answer ends up on the screen
// exactly as Render shows it, and raw text was visible before that.
func TestLive(t *testing.T) {
	src := "# Findings\n\nThe cache uses the **wall clock**, which drifts.\n\n```go\nif time.Now().After(e.expiry) {\n\n\treturn nil\n}\n```\n\n1. Use a monotonic clock\n2. Add a test\n"
	o := Options{Width: 30, Palette: ui.NewPalette(false, nil)}
	scr := newScreen(30, 50)
	var log strings.Builder
	l := NewLive(teeWriter{scr, &log}, o, 50)
	for i := 0; i < len(src); i += 7 {
		end := min(i+7, len(src))
		if _, err := l.Write([]byte(src[i:end])); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// What the rendering alone shows on the same screen (the long code
	// line wraps there too).
	direct := newScreen(30, 50)
	_, _ = direct.Write([]byte(Render(src, o)))
	if got, want := scr.text(), direct.text(); got != want {
		t.Errorf("screen after Close:\n%s\nwant:\n%s", got, want)
	}
	if !strings.Contains(log.String(), "**wall") {
		t.Error("the raw text was never shown while streaming")
	}
}

// TestLiveTooTallToErase: a block taller than the screen cannot be erased;
// its rendering follows the raw text instead of overwriting rows it cannot
// reach.
func TestLiveTooTallToErase(t *testing.T) {
	src := strings.Repeat("word ", 60) + "\n\nend\n"
	o := Options{Width: 20, Palette: ui.NewPalette(false, nil)}
	scr := newScreen(20, 5)
	l := NewLive(scr, o, 5)
	_, _ = l.Write([]byte(src))
	_ = l.Close()
	got := scr.text()
	if !strings.HasSuffix(got, Render(src, o)) || !strings.HasPrefix(got, "word word") {
		t.Errorf("screen:\n%s", got)
	}
}

type teeWriter struct {
	a *screen
	b *strings.Builder
}

func (t teeWriter) Write(p []byte) (int, error) {
	t.b.Write(p)
	return t.a.Write(p)
}

func TestSplitFinished(t *testing.T) {
	tests := []struct{ in, done, rest string }{
		{"abc", "", "abc"},
		{"para\n\nnext", "para\n\n", "next"},
		{"```\ncode\n\nmore\n", "", "```\ncode\n\nmore\n"},
		{"```\ncode\n\n```\n\nafter", "```\ncode\n\n```\n\n", "after"},
		{"a\n\nb\n\nc", "a\n\nb\n\n", "c"},
	}
	for _, tt := range tests {
		done, rest := splitFinished(tt.in)
		if done != tt.done || rest != tt.rest {
			t.Errorf("splitFinished(%q) = %q, %q; want %q, %q", tt.in, done, rest, tt.done, tt.rest)
		}
	}
}
