package ui

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rivo/uniseg"
)

func mode(m ColorMode) *ColorMode { return &m }

func TestParseColorMode(t *testing.T) {
	for in, want := range map[string]ColorMode{
		"always": ColorAlways, "never": ColorNever, "auto": ColorAuto, "": ColorAuto,
		"true": ColorAuto, "on": ColorAuto, "1": ColorAuto, "false": ColorNever, "off": ColorNever, "0": ColorNever, " Always ": ColorAlways,
	} {
		if got, ok := ParseColorMode(in); !ok || got != want {
			t.Errorf("ParseColorMode(%q) = %v %v, want %v", in, got, ok, want)
		}
	}
	if _, ok := ParseColorMode("sometimes"); ok {
		t.Error("ParseColorMode accepted sometimes")
	}
}

func TestUseColor(t *testing.T) {
	tests := []struct {
		name   string
		flag   *ColorMode
		config map[string]string
		env    map[string]string
		tty    bool
		paging bool
		want   bool
	}{
		{name: "terminal", tty: true, want: true},
		{name: "pipe", want: false},
		{name: "into our pager", paging: true, want: true},
		{name: "into git's pager", env: map[string]string{"GIT_PAGER_IN_USE": "true"}, want: true},
		{name: "dumb terminal", tty: true, env: map[string]string{"TERM": "dumb"}, want: false},
		{name: "NO_COLOR", tty: true, env: map[string]string{"NO_COLOR": "1"}, want: false},
		{name: "empty NO_COLOR is unset", tty: true, env: map[string]string{"NO_COLOR": ""}, want: true},
		{name: "color.ui never", tty: true, config: map[string]string{"color.ui": "never"}, want: false},
		{name: "color.ui false", tty: true, config: map[string]string{"color.ui": "false"}, want: false},
		{name: "color.ui true is auto", config: map[string]string{"color.ui": "true"}, want: false},
		{name: "color.ui always into a pipe", config: map[string]string{"color.ui": "always"}, want: true},
		{name: "NO_COLOR beats color.ui", tty: true, config: map[string]string{"color.ui": "always"}, env: map[string]string{"NO_COLOR": "1"}, want: false},
		{name: "color.codex beats color.ui", tty: true, config: map[string]string{"color.ui": "always", "color.codex": "never"}, want: false},
		{name: "color.codex beats NO_COLOR", config: map[string]string{"color.codex": "always"}, env: map[string]string{"NO_COLOR": "1"}, want: true},
		{name: "a bad color.codex is skipped", tty: true, config: map[string]string{"color.codex": "purple", "color.ui": "never"}, want: false},
		{name: "--color beats everything", flag: mode(ColorAlways), config: map[string]string{"color.codex": "never"}, env: map[string]string{"NO_COLOR": "1"}, want: true},
		{name: "--no-color on a terminal", flag: mode(ColorNever), tty: true, want: false},
		{name: "--color=auto into a pipe", flag: mode(ColorAuto), config: map[string]string{"color.ui": "always"}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := UseColor(ColorInputs{
				Flag:   tt.flag,
				Config: func(k string) (string, bool) { v, ok := tt.config[k]; return v, ok },
				Getenv: func(k string) string { return tt.env[k] },
				IsTTY:  tt.tty, Paging: tt.paging,
			})
			if got != tt.want {
				t.Errorf("UseColor = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseGitColor(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"normal", ""},
		{"bold", "\x1b[1m"},
		{"red", "\x1b[31m"},
		{"bold red", "\x1b[1;31m"},
		{"red blue", "\x1b[31;44m"},
		{"brightgreen", "\x1b[92m"},
		{"normal blue", "\x1b[44m"},
		{"208", "\x1b[38;5;208m"},
		{"#ff8700", "\x1b[38;2;255;135;0m"},
		{"reverse no-bold", "\x1b[7;22m"},
		{"default", "\x1b[39m"},
	}
	for _, tt := range tests {
		got, ok := ParseGitColor(tt.in)
		if !ok || got != tt.want {
			t.Errorf("ParseGitColor(%q) = %q %v, want %q", tt.in, got, ok, tt.want)
		}
	}
	for _, bad := range []string{"purple", "red green blue", "256", "#12345", "brightpurple"} {
		if _, ok := ParseGitColor(bad); ok {
			t.Errorf("ParseGitColor(%q) accepted", bad)
		}
	}
}

func TestPalette(t *testing.T) {
	off := NewPalette(false, nil)
	if got := off.Paint(SlotHeader, "list"); got != "list" || off.SGR(SlotID) != "" || off.Reset() != "" {
		t.Errorf("a disabled palette paints: %q", got)
	}
	cfg := map[string]string{"color.codex.id": "bold magenta", "color.codex.open": "no such colour"}
	on := NewPalette(true, func(k string) (string, bool) { v, ok := cfg[k]; return v, ok })
	for _, tt := range []struct {
		slot Slot
		want string
	}{
		{SlotHeader, "\x1b[1mx\x1b[m"},
		{SlotID, "\x1b[1;35mx\x1b[m"}, // from color.codex.id
		{SlotOpen, "\x1b[32mx\x1b[m"}, // a bad value keeps the default
		{SlotNew, "\x1b[32mx\x1b[m"},
		{SlotOld, "\x1b[31mx\x1b[m"},
		{SlotFrag, "\x1b[36mx\x1b[m"},
	} {
		if got := on.Paint(tt.slot, "x"); got != tt.want {
			t.Errorf("Paint(%s) = %q, want %q", tt.slot, got, tt.want)
		}
	}
	if on.Paint(SlotID, "") != "" {
		t.Error("empty text painted")
	}
}

func TestTakeOutputFlags(t *testing.T) {
	tests := []struct {
		args    []string
		rest    []string
		color   *ColorMode
		noPager bool
		err     bool
	}{
		{args: []string{"git-codex", "log"}, rest: []string{"git-codex", "log"}},
		{args: []string{"git-codex", "--no-pager", "log", "-n", "3"}, rest: []string{"git-codex", "log", "-n", "3"}, noPager: true},
		{args: []string{"git-codex", "list", "-P", "--color=never"}, rest: []string{"git-codex", "list"}, noPager: true, color: mode(ColorNever)},
		{args: []string{"git-codex", "--color", "show"}, rest: []string{"git-codex", "show"}, color: mode(ColorAlways)},
		{args: []string{"git-codex", "show", "--no-color"}, rest: []string{"git-codex", "show"}, color: mode(ColorNever)},
		{args: []string{"git-codex", "--color=auto", "show"}, rest: []string{"git-codex", "show"}, color: mode(ColorAuto)},
		{args: []string{"git-codex", "fix", "--", "ls", "--color", "-P"}, rest: []string{"git-codex", "fix", "--", "ls", "--color", "-P"}},
		{args: []string{"git-codex", "--color=sometimes", "show"}, err: true},
		{args: []string{"git-codex", "--color=", "show"}, err: true},
	}
	for _, tt := range tests {
		rest, f, err := TakeOutputFlags(tt.args)
		if (err != nil) != tt.err {
			t.Errorf("%q: err = %v", tt.args, err)
			continue
		}
		if err != nil {
			continue
		}
		if strings.Join(rest, " ") != strings.Join(tt.rest, " ") || f.NoPager != tt.noPager ||
			(f.Color == nil) != (tt.color == nil) || (f.Color != nil && *f.Color != *tt.color) {
			t.Errorf("%q: rest %q flags %+v", tt.args, rest, f)
		}
	}
}

func TestWidthAndTruncate(t *testing.T) {
	for s, want := range map[string]int{"abc": 3, "日本語": 6, "e\u0301": 1, "👍🏽": 2, "": 0} {
		if got := Width(s); got != want {
			t.Errorf("Width(%q) = %d, want %d", s, got, want)
		}
	}
	// The printable-ASCII fast path counts as the grapheme walk does.
	var ascii []byte
	for c := byte(0); c < 0x80; c++ {
		ascii = append(ascii, c)
	}
	mixed := []string{string(ascii[' ':0x7f]), "a\tb", "\x1b[31mred\x1b[m", "tab\there", "cut here…", "cafe\u0301 au lait",
		"flag 🇫🇷 and 👍🏽 ok", "日本語 and text", "a\u200db", "x\u0301\u0302y", "abc\r\n", "ok\u0308"}
	for _, s := range append(mixed, strings.Split(string(ascii), "")...) {
		if got, want := Width(s), uniseg.StringWidth(s); got != want {
			t.Errorf("Width(%q) = %d, uniseg says %d", s, got, want)
		}
	}
	tests := []struct {
		in    string
		width int
		want  string
	}{
		{"short", 10, "short"},
		{"exactly ten", 11, "exactly ten"},
		{"fix the cache eviction race", 20, "fix the cache…"},
		{"fix the cache eviction race", 15, "fix the cache…"}, // the room ends with a word: kept whole
		{"averyveryverylongword", 10, "averyvery…"},           // no space near: cut inside the word
		{"a bcdefghijklmnopqrstu", 10, "a bcdefgh…"},          // the space is too early to cut at
		{"日本語のテキスト", 9, "日本語の…"},
		{"e\u0301e\u0301e\u0301e\u0301", 3, "e\u0301e\u0301…"},
		{"anything", 0, ""},
	}
	for _, tt := range tests {
		got := Truncate(tt.in, tt.width)
		if got != tt.want || Width(got) > tt.width {
			t.Errorf("Truncate(%q, %d) = %q (width %d), want %q", tt.in, tt.width, got, Width(got), tt.want)
		}
	}
}

func TestTable(t *testing.T) {
	rows := [][]string{
		{"01JQ7AAAAAAA", "open", "12", "fix the cache eviction race in the TTL check"},
		{"01JQ8BBBBBBB", "closed", "3", "日本語のテキストの要約"},
		{"01JQ9CCCCCCC", "open", "1", ""},
	}
	header := []string{"ID", "STATUS", "TURNS", "SUMMARY"}
	render := func(tb Table) string {
		var b bytes.Buffer
		if err := tb.Write(&b, rows); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	full := render(Table{Header: header, Flex: 3})
	want := "ID            STATUS  TURNS  SUMMARY\n" +
		"01JQ7AAAAAAA  open    12     fix the cache eviction race in the TTL check\n" +
		"01JQ8BBBBBBB  closed  3      日本語のテキストの要約\n" +
		"01JQ9CCCCCCC  open    1\n"
	if full != want {
		t.Errorf("unfitted table:\n%s\nwant:\n%s", full, want)
	}
	if wide := render(Table{Header: header, Flex: 3, Width: 200}); wide != full {
		t.Errorf("a table that fits changed:\n%s", wide)
	}
	fitted := render(Table{Header: header, Flex: 3, Width: 50})
	for _, line := range strings.Split(strings.TrimSuffix(fitted, "\n"), "\n") {
		if Width(line) > 50 {
			t.Errorf("line wider than 50 cells (%d): %q", Width(line), line)
		}
		if strings.HasSuffix(line, " ") {
			t.Errorf("trailing space: %q", line)
		}
	}
	if !strings.Contains(fitted, "fix the cache…\n") || !strings.Contains(fitted, "日本語のテキストの要…\n") {
		t.Errorf("fitted table:\n%s", fitted)
	}
	painted := render(Table{Header: header, Flex: 3, Palette: NewPalette(true, nil),
		Paint: func(row, col int, s string) string {
			if col == 1 && s == "open" {
				return "<" + s + ">"
			}
			return s
		}})
	if !strings.HasPrefix(painted, "\x1b[1mID\x1b[m            ") || !strings.Contains(painted, "<open>    12") {
		t.Errorf("painted table:\n%q", painted)
	}
}

func TestFooter(t *testing.T) {
	off := NewPalette(false, nil)
	tests := []struct {
		u    Usage
		want string
	}{
		{Usage{Input: 12345, Cached: 10240, Output: 321}, "tokens 12,345 in (10,240 cached) / 321 out"},
		{Usage{Input: 900, Output: 42, Cost: 0.0123, CostKnown: true}, "tokens 900 in / 42 out · $0.0123"},
		{Usage{Input: 1234567, Output: 1, Cost: 2.5, CostKnown: true}, "tokens 1,234,567 in / 1 out · $2.50"},
		{Usage{Input: 10, Output: 1, Cost: 0.000042, CostKnown: true}, "tokens 10 in / 1 out · $0.000042"},
	}
	for _, tt := range tests {
		if got := Footer(tt.u, off); got != tt.want {
			t.Errorf("Footer(%+v) = %q, want %q", tt.u, got, tt.want)
		}
	}
	if got := Footer(Usage{Input: 1}, NewPalette(true, nil)); got != "\x1b[2mtokens 1 in / 0 out\x1b[m" {
		t.Errorf("painted footer = %q", got)
	}
}

func TestPagerCommand(t *testing.T) {
	tests := []struct {
		name   string
		env    map[string]string
		config map[string]string
		want   string
	}{
		{name: "default", want: "less"},
		{name: "PAGER", env: map[string]string{"PAGER": "more"}, want: "more"},
		{name: "core.pager beats PAGER", env: map[string]string{"PAGER": "more"}, config: map[string]string{"core.pager": "less -S"}, want: "less -S"},
		{name: "pager.codex names a program", config: map[string]string{"core.pager": "less -S", "pager.codex": "delta"}, want: "delta"},
		{name: "pager.codex true keeps the usual pager", config: map[string]string{"core.pager": "less -S", "pager.codex": "true"}, want: "less -S"},
		{name: "pager.codex false", config: map[string]string{"pager.codex": "false"}, want: ""},
		{name: "GIT_PAGER beats all", env: map[string]string{"GIT_PAGER": "most", "PAGER": "more"}, config: map[string]string{"core.pager": "less -S", "pager.codex": "delta"}, want: "most"},
		{name: "git --no-pager passes GIT_PAGER=cat", env: map[string]string{"GIT_PAGER": "cat"}, want: ""},
		{name: "core.pager cat", config: map[string]string{"core.pager": "cat"}, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PagerCommand(func(k string) string { return tt.env[k] },
				func(k string) (string, bool) { v, ok := tt.config[k]; return v, ok })
			if got != tt.want {
				t.Errorf("PagerCommand = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPaintDiff(t *testing.T) {
	diff := "--- a/x.go\n+++ b/x.go\n@@ -1,2 +1,2 @@\n ctx\n-old\n+new\n"
	if got := PaintDiff(NewPalette(false, nil), diff); got != diff {
		t.Errorf("off: %q", got)
	}
	got := PaintDiff(NewPalette(true, nil), diff)
	want := "\x1b[1m--- a/x.go\x1b[m\n\x1b[1m+++ b/x.go\x1b[m\n\x1b[36m@@ -1,2 +1,2 @@\x1b[m\n ctx\n\x1b[31m-old\x1b[m\n\x1b[32m+new\x1b[m\n"
	if got != want {
		t.Errorf("on:\n got %q\nwant %q", got, want)
	}
}

// printable8 agrees with the byte-by-byte test it stands in for, whatever
// byte sits at any place among any neighbours.
func TestPrintable8(t *testing.T) {
	byByte := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] < ' ' || s[i] > '~' {
				return false
			}
		}
		return true
	}
	b := make([]byte, 8)
	for pos := range b {
		for v := 0; v < 256; v++ {
			for _, fill := range []byte{' ', '~', 'a', 0x1f, 0x7f, 0x80, 0xff, 0} {
				for i := range b {
					b[i] = fill
				}
				b[pos] = byte(v)
				if got, want := printable8(string(b)), byByte(string(b)); got != want {
					t.Fatalf("printable8(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
}
