package markdown

import (
	"io"
	"strconv"
	"strings"

	"github.com/git-codex/git-codex/cmd/git-codex/ui"
)

// Live shows an answer on a terminal while it streams: the raw text as it
// arrives, and each finished block (text up to a blank line outside a code
// fence) replaced by its rendering, so that at the end the whole answer is
// rendered. Only the unfinished block is ever erased, and only when it still
// fits on the screen; a longer one stays raw until Close renders the rest
// below it.
//
// Use it for the terminal only: on a pipe write the raw text unchanged.
type Live struct {
	w       io.Writer
	o       Options
	height  int             // terminal rows (0: unknown, never erase)
	pending strings.Builder // the unfinished block, shown raw
	shown   int             // whole terminal rows the raw pending text takes
	col     int             // cells of raw text on the row after them
	wrote   bool            // something was rendered already
	err     error
}

// NewLive returns a Live writing to w, a terminal of o.Width columns and
// height rows.
func NewLive(w io.Writer, o Options, height int) *Live {
	if o.Width <= 0 {
		o.Width = 80
	}
	return &Live{w: w, o: o, height: height}
}

// Write shows streamed text and renders the blocks it finishes. It never
// fails on its own account; write errors are returned by Close.
func (l *Live) Write(p []byte) (int, error) {
	s := string(p)
	l.echo(s)
	l.pending.WriteString(s)
	if done, rest := splitFinished(l.pending.String()); done != "" {
		l.replace(done)
		l.pending.Reset()
		l.pending.WriteString(rest)
		l.echo(rest)
	}
	return len(p), nil
}

// Close renders what is left and returns the first write error.
func (l *Live) Close() error {
	if rest := l.pending.String(); strings.TrimSpace(rest) != "" {
		l.replace(rest)
	} else if l.shown > 0 || l.col > 0 {
		l.erase()
	}
	l.pending.Reset()
	return l.err
}

// echo writes raw text and counts the terminal rows it takes.
func (l *Live) echo(s string) {
	if s == "" {
		return
	}
	l.put(s)
	for _, line := range strings.SplitAfter(s, "\n") {
		text := strings.TrimSuffix(line, "\n")
		w := ui.Width(text)
		for l.col+w > l.o.Width {
			take := l.o.Width - l.col
			w -= take
			l.col = 0
			l.shown++
		}
		l.col += w
		if strings.HasSuffix(line, "\n") {
			l.shown++
			l.col = 0
		}
	}
}

// replace erases the raw text of the finished block (when it fits on the
// screen) and writes its rendering.
func (l *Live) replace(block string) {
	if !l.erase() {
		// Scrolled off the top: finish the raw line and render below it.
		if l.col > 0 {
			l.put("\n")
		}
		l.shown, l.col = 0, 0
	}
	r := Render(block, l.o)
	if strings.TrimSpace(r) == "" {
		return
	}
	if l.wrote {
		l.put("\n")
	}
	l.put(r)
	l.wrote = true
}

// erase moves the cursor back over the raw pending text and clears it. It
// returns false when that text no longer fits on the screen.
func (l *Live) erase() bool {
	rows := l.shown
	if l.height <= 0 || rows >= l.height {
		return false
	}
	switch {
	case rows > 0:
		l.put("\r\x1b[" + strconv.Itoa(rows) + "A\x1b[J")
	default:
		l.put("\r\x1b[J")
	}
	l.shown, l.col = 0, 0
	return true
}

func (l *Live) put(s string) {
	if l.err != nil {
		return
	}
	_, l.err = io.WriteString(l.w, s)
}

// splitFinished splits text after its last finished block: the last blank
// line that is not inside a fenced code block. done is "" when no block is
// finished yet.
func splitFinished(text string) (done, rest string) {
	inFence, fence := false, ""
	cut := -1
	pos := 0
	lines := strings.SplitAfter(text, "\n")
	for i, line := range lines {
		complete := strings.HasSuffix(line, "\n")
		trimmed := strings.TrimSpace(line)
		if complete {
			switch {
			case !inFence && (strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~")):
				inFence, fence = true, trimmed[:3]
			case inFence && strings.HasPrefix(trimmed, fence):
				inFence = false
			case !inFence && trimmed == "" && i > 0:
				cut = pos + len(line)
			}
		}
		pos += len(line)
	}
	if cut <= 0 {
		return "", text
	}
	return text[:cut], text[cut:]
}
