package ui

import (
	"strconv"
	"strings"
)

// ColorMode says when to colour, in git's words.
type ColorMode int

// Colour modes.
const (
	ColorAuto   ColorMode = iota // on a terminal (or into the pager), unless TERM=dumb
	ColorAlways                  // even into a pipe
	ColorNever
)

// ParseColorMode reads a colour setting as git does: always, never, auto,
// and the booleans of git config (true/yes/on/1 mean auto, as in git since
// 1.8.4; false/no/off/0 mean never). ok is false for anything else.
func ParseColorMode(s string) (ColorMode, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "always":
		return ColorAlways, true
	case "never", "false", "no", "off", "0":
		return ColorNever, true
	case "auto", "true", "yes", "on", "1", "":
		return ColorAuto, true
	}
	return ColorAuto, false
}

// ColorInputs are what the colour decision depends on.
type ColorInputs struct {
	// Flag is the --color[=WHEN] / --no-color choice; nil when not given.
	Flag *ColorMode
	// Config looks up git config (color.codex, color.ui); nil means none.
	Config func(key string) (string, bool)
	// Getenv reads NO_COLOR, TERM and GIT_PAGER_IN_USE; nil means none.
	Getenv func(string) string
	// IsTTY reports whether the output is a terminal.
	IsTTY bool
	// Paging reports that the output goes to a pager (ours, or git's:
	// GIT_PAGER_IN_USE is read from Getenv as well).
	Paging bool
}

// UseColor decides whether to colour, most specific first: the flag, git
// config color.codex, NO_COLOR (set and not empty: never), git config
// color.ui, then auto. Auto colours a terminal or a pager, unless TERM is
// "dumb" — git's rule. A setting git would not understand is skipped.
func UseColor(in ColorInputs) bool {
	getenv := in.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	mode, decided := ColorAuto, false
	if in.Flag != nil {
		mode, decided = *in.Flag, true
	}
	lookup := func(key string) (ColorMode, bool) {
		if in.Config == nil {
			return ColorAuto, false
		}
		v, ok := in.Config(key)
		if !ok {
			return ColorAuto, false
		}
		return ParseColorMode(v)
	}
	if !decided {
		mode, decided = lookup("color.codex")
	}
	if !decided && getenv("NO_COLOR") != "" {
		return false
	}
	if !decided {
		mode, _ = lookup("color.ui")
	}
	switch mode {
	case ColorAlways:
		return true
	case ColorNever:
		return false
	}
	if getenv("TERM") == "dumb" {
		return false
	}
	return in.IsTTY || in.Paging || isTrue(getenv("GIT_PAGER_IN_USE"))
}

// Slot names a kind of text the palette colours. The names follow git's
// colour slots where git has one (color.diff.new/old/frag).
type Slot string

// Palette slots. Each can be changed with git config color.codex.<slot>,
// in git's colour syntax ("bold red", "yellow", "#ff8700", "reverse").
const (
	SlotHeader  Slot = "header"  // section and table headers (bold)
	SlotID      Slot = "id"      // session and commit ids (yellow, like git log's hashes)
	SlotOpen    Slot = "open"    // an open session (green)
	SlotClosed  Slot = "closed"  // a closed session (dim)
	SlotNew     Slot = "new"     // added lines (green, as color.diff.new)
	SlotOld     Slot = "old"     // removed lines (red, as color.diff.old)
	SlotFrag    Slot = "frag"    // hunk headers (cyan, as color.diff.frag)
	SlotWarning Slot = "warning" // warnings (yellow)
	SlotError   Slot = "error"   // errors (bold red)
	SlotHint    Slot = "hint"    // the next step under an error (yellow, as color.advice.hint)
	SlotCode    Slot = "code"    // inline code and code blocks in answers (cyan)
	SlotDim     Slot = "dim"     // footers and secondary text (dim)
)

var defaultColors = map[Slot]string{
	SlotHeader:  "bold",
	SlotID:      "yellow",
	SlotOpen:    "green",
	SlotClosed:  "dim",
	SlotNew:     "green",
	SlotOld:     "red",
	SlotFrag:    "cyan",
	SlotWarning: "yellow",
	SlotError:   "bold red",
	SlotHint:    "yellow",
	SlotCode:    "cyan",
	SlotDim:     "dim",
}

// Palette paints text by slot; a disabled palette returns text unchanged.
type Palette struct {
	on  bool
	sgr map[Slot]string
}

// NewPalette returns a palette that paints when on is true, with the
// defaults above overridden by git config color.codex.<slot> (a value git's
// syntax does not allow keeps the default).
func NewPalette(on bool, config func(key string) (string, bool)) Palette {
	p := Palette{on: on, sgr: map[Slot]string{}}
	if !on {
		return p
	}
	for slot, def := range defaultColors {
		seq, _ := ParseGitColor(def)
		if config != nil {
			if v, ok := config("color.codex." + string(slot)); ok {
				if s, ok := ParseGitColor(v); ok {
					seq = s
				}
			}
		}
		p.sgr[slot] = seq
	}
	return p
}

// Enabled reports whether the palette paints.
func (p Palette) Enabled() bool { return p.on }

// Paint wraps s in the slot's colour and a reset; empty s stays empty.
func (p Palette) Paint(slot Slot, s string) string {
	seq := p.sgr[slot]
	if !p.on || seq == "" || s == "" {
		return s
	}
	return seq + s + reset
}

// SGR returns the escape sequence that starts the slot's colour ("" when
// off), for callers that style text in pieces; end it with Reset().
func (p Palette) SGR(slot Slot) string {
	if !p.on {
		return ""
	}
	return p.sgr[slot]
}

// Reset returns the sequence that ends every colour ("" when off).
func (p Palette) Reset() string {
	if !p.on {
		return ""
	}
	return reset
}

const reset = "\x1b[m"

// ParseGitColor turns a colour in git's syntax (see git-config(1), "color")
// into an SGR escape sequence: up to two colours (foreground, background) —
// normal, default, black, red, green, yellow, blue, magenta, cyan, white,
// their bright variants, 0-255, #rrggbb — and attributes bold, dim, italic,
// ul, blink, reverse, strike, each with a no- form. "" or "normal" gives "".
func ParseGitColor(s string) (string, bool) {
	var codes []string
	colors := 0
	for _, w := range strings.Fields(strings.ToLower(s)) {
		if code, ok := attrCode(w); ok {
			codes = append(codes, code)
			continue
		}
		if w == "normal" {
			colors++
			continue
		}
		code, ok := colorCode(w, colors == 1)
		if !ok || colors >= 2 {
			return "", false
		}
		colors++
		codes = append(codes, code)
	}
	if len(codes) == 0 {
		return "", true
	}
	return "\x1b[" + strings.Join(codes, ";") + "m", true
}

func attrCode(w string) (string, bool) {
	attrs := map[string]int{"bold": 1, "dim": 2, "italic": 3, "ul": 4, "blink": 5, "reverse": 7, "strike": 9}
	offs := map[string]int{"bold": 22, "dim": 22, "italic": 23, "ul": 24, "blink": 25, "reverse": 27, "strike": 29}
	if n, ok := attrs[w]; ok {
		return strconv.Itoa(n), true
	}
	for _, prefix := range []string{"no-", "no"} {
		if rest, ok := strings.CutPrefix(w, prefix); ok {
			if n, ok := offs[rest]; ok {
				return strconv.Itoa(n), true
			}
		}
	}
	return "", false
}

func colorCode(w string, background bool) (string, bool) {
	names := []string{"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"}
	base := 30
	if background {
		base = 40
	}
	if w == "default" {
		return strconv.Itoa(base + 9), true
	}
	bright := false
	if rest, ok := strings.CutPrefix(w, "bright"); ok {
		bright, w = true, rest
	}
	for i, n := range names {
		if w == n {
			if bright {
				return strconv.Itoa(base + 60 + i), true
			}
			return strconv.Itoa(base + i), true
		}
	}
	if bright {
		return "", false
	}
	if n, err := strconv.Atoi(w); err == nil && n >= 0 && n <= 255 {
		return strconv.Itoa(base+8) + ";5;" + strconv.Itoa(n), true
	}
	if len(w) == 7 && w[0] == '#' {
		v, err := strconv.ParseUint(w[1:], 16, 32)
		if err == nil {
			return strconv.Itoa(base+8) + ";2;" + strconv.Itoa(int(v>>16)) + ";" + strconv.Itoa(int(v>>8&0xff)) + ";" + strconv.Itoa(int(v&0xff)), true
		}
	}
	return "", false
}
