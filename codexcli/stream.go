package codexcli

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
)

// Turn statuses (Turn.Status).
const (
	// TurnCompleted: Codex reported turn.completed.
	TurnCompleted = "completed"
	// TurnFailed: Codex reported turn.failed (Turn.Error says why).
	TurnFailed = "failed"
	// TurnInterrupted: the context was cancelled and Codex stopped.
	TurnInterrupted = "interrupted"
	// TurnIncomplete: the stream ended without turn.completed or
	// turn.failed (Codex exited early; Turn.Error or Turn.Stderr says why).
	TurnIncomplete = "incomplete"
)

// Sink receives events as Run decodes them: from one goroutine, in stream
// order, all before Run returns. It must not block for long: Codex waits
// while its output pipe is full.
type Sink interface {
	Event(Event)
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(Event)

// Event calls f(e).
func (f SinkFunc) Event(e Event) { f(e) }

// Turn is what one run of Codex did: its summary, built from the events.
type Turn struct {
	// ThreadID is the thread Codex ran the turn in (from thread.started).
	ThreadID string
	// Resumed reports that ThreadID is the thread the request asked to
	// resume. A resume that started another thread leaves it false (and
	// adds a warning).
	Resumed bool
	// Status is one of the Turn constants.
	Status string
	// Items are the items of the turn in the order they first appeared,
	// each in its last reported state (a command still running when the
	// turn was interrupted has StatusInProgress and no exit code).
	Items []Item
	// Usage is the turn's own token count: ThreadUsage minus
	// Request.PriorUsage.
	Usage Usage
	// ThreadUsage is the usage turn.completed reported: for a resumed
	// thread, the running total of the thread. Keep it for the next
	// turn's Request.PriorUsage.
	ThreadUsage Usage
	// Error is the message of turn.failed (Run shortens a provider's JSON
	// error body to its message and code), or of the error that ended
	// Codex.
	Error string
	// Warnings are non-fatal messages, each once, in order: error items
	// and error events (such as "Reconnecting…"), and a note per unknown
	// event or item type.
	Warnings []string
	// Unknown holds, as printed, the lines this package could not decode
	// or whose event or item type it does not know.
	Unknown []string
	// Events counts the decoded events.
	Events int
	// ExitCode is Codex's exit status (-1 when it was killed by a signal);
	// set by Run.
	ExitCode int
	// Stderr is the tail of Codex's standard error; set by Run.
	Stderr string
}

// Messages returns the agent messages of the turn, in order.
func (t *Turn) Messages() []string {
	var out []string
	for _, it := range t.Items {
		if it.Type == ItemAgentMessage {
			out = append(out, it.Text)
		}
	}
	return out
}

// Text returns the agent messages joined by blank lines: the answer.
func (t *Turn) Text() string { return strings.Join(t.Messages(), "\n\n") }

// ItemsOf returns the items of one type, in order.
func (t *Turn) ItemsOf(typ string) []Item {
	var out []Item
	for _, it := range t.Items {
		if it.Type == typ {
			out = append(out, it)
		}
	}
	return out
}

// FileChanges returns the changes of every file_change item that
// completed, in order (a failed patch changed nothing).
func (t *Turn) FileChanges() []FileChange {
	var out []FileChange
	for _, it := range t.Items {
		if it.Type == ItemFileChange && it.Status == StatusCompleted {
			out = append(out, it.Changes...)
		}
	}
	return out
}

// StreamOptions are the parts of a Request that decoding needs.
type StreamOptions struct {
	// Dir is the work tree, to make file change paths relative.
	Dir string
	// ThreadID is the thread the run was asked to resume ("" for new).
	ThreadID string
	// PriorUsage is the thread's running total before this turn.
	PriorUsage Usage
	// Sink receives the events (may be nil).
	Sink Sink
	// OnEnd, when set, is called once with a copy of the Turn as soon as
	// the stream reports the turn completed (after the Sink saw
	// turn.completed), from the decoding goroutine: Codex 0.169 takes
	// another 25–110 ms to exit after it, time the caller may use to store
	// what the turn did. ExitCode and Stderr are not known yet. Like the
	// Sink it must return soon: work it starts is the caller's to wait for.
	OnEnd func(Turn)
}

// Stream decodes a whole event stream (Codex's stdout) into a Turn, as Run
// does while Codex runs. The error is r's read error, if any.
func Stream(r io.Reader, opts StreamOptions) (*Turn, error) {
	c := newCollector(opts)
	_, err := io.Copy(c, r)
	c.Close()
	return c.turn, err
}

// maxLine bounds one line of the stream; a longer one is dropped with a
// warning (Codex clips command output far below this).
const maxLine = 64 << 20

// collector is the io.Writer that Codex's stdout is copied into: it splits
// lines, decodes them, updates the Turn and feeds the Sink.
type collector struct {
	opts    StreamOptions
	dirs    []string // Dir, and Dir with symlinks resolved
	turn    *Turn
	index   map[string]int // item id -> index in turn.Items
	warned  map[string]bool
	partial []byte
	skip    bool // dropping the rest of an overlong line
	done    bool // turn.completed or turn.failed seen
	ended   bool // OnEnd called
}

func newCollector(opts StreamOptions) *collector {
	c := &collector{opts: opts, turn: &Turn{Status: TurnIncomplete}, index: map[string]int{}, warned: map[string]bool{}}
	if opts.Dir != "" {
		c.dirs = append(c.dirs, filepath.Clean(opts.Dir))
		if real, err := filepath.EvalSymlinks(opts.Dir); err == nil && real != filepath.Clean(opts.Dir) {
			c.dirs = append(c.dirs, real)
		}
	}
	return c
}

// Write takes a chunk of the stream.
func (c *collector) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			c.add(p)
			break
		}
		c.add(p[:i])
		c.flush()
		p = p[i+1:]
	}
	return n, nil
}

func (c *collector) add(b []byte) {
	if c.skip {
		return
	}
	if len(c.partial)+len(b) > maxLine {
		c.partial, c.skip = c.partial[:0], true
		c.warn(fmt.Sprintf("dropped a codex event line longer than %d MiB", maxLine>>20))
		return
	}
	c.partial = append(c.partial, b...)
}

// flush handles the line collected so far.
func (c *collector) flush() {
	line := bytes.TrimSpace(c.partial)
	skipped := c.skip
	c.partial, c.skip = c.partial[:0], false
	if skipped || len(line) == 0 {
		return
	}
	c.line(line)
}

// Close handles a last line that has no newline.
func (c *collector) Close() { c.flush() }

func (c *collector) line(line []byte) {
	e, err := ParseEvent(line)
	if err != nil {
		c.turn.Unknown = append(c.turn.Unknown, string(line))
		c.warnOnce("bad-line", fmt.Sprintf("codex printed a line that is not an event: %.120s", line))
		return
	}
	c.turn.Events++
	t := c.turn
	switch {
	case e.Unknown:
		t.Unknown = append(t.Unknown, string(line))
		typ := e.Type
		if e.Item != nil {
			typ = e.Type + " " + e.Item.Type
		}
		e.Warning = c.warnOnce("type:"+typ, fmt.Sprintf("unknown codex event %q (kept as received)", typ))
		if e.Item != nil {
			c.item(e.Item)
		}
	case e.Type == EventThreadStarted:
		t.ThreadID = e.ThreadID
		t.Resumed = c.opts.ThreadID != "" && e.ThreadID == c.opts.ThreadID
		if c.opts.ThreadID != "" && !t.Resumed {
			e.Warning = c.warn(fmt.Sprintf("codex started thread %s instead of resuming %s", e.ThreadID, c.opts.ThreadID))
		}
	case e.Type == EventTurnCompleted:
		t.ThreadUsage = *e.Usage
		t.Usage = t.ThreadUsage
		if t.Resumed {
			t.Usage = t.ThreadUsage.Sub(c.opts.PriorUsage)
		}
		t.Status, c.done = TurnCompleted, true
	case e.Type == EventTurnFailed:
		t.Status, t.Error, c.done = TurnFailed, e.Message, true
	case e.Type == EventError:
		c.warn(strings.TrimSpace(e.Message))
	case e.Item != nil:
		if e.Item.Type == ItemError {
			c.warn(e.Item.Text)
		}
		c.relativize(e.Item)
		c.item(e.Item)
	}
	if c.opts.Sink != nil {
		c.opts.Sink.Event(e)
	}
	if e.Type == EventTurnCompleted && c.opts.OnEnd != nil && !c.ended {
		c.ended = true
		t := *c.turn
		t.Items = slices.Clone(t.Items)
		t.Warnings, t.Unknown = slices.Clone(t.Warnings), slices.Clone(t.Unknown)
		c.opts.OnEnd(t)
	}
}

// item records the latest state of an item.
func (c *collector) item(it *Item) {
	if i, ok := c.index[it.ID]; ok && it.ID != "" {
		c.turn.Items[i] = *it
		return
	}
	c.index[it.ID] = len(c.turn.Items)
	c.turn.Items = append(c.turn.Items, *it)
}

// relativize sets FileChange.Rel from the work tree.
func (c *collector) relativize(it *Item) {
	for i := range it.Changes {
		it.Changes[i].Rel = c.rel(it.Changes[i].Path)
	}
}

func (c *collector) rel(p string) string {
	if !filepath.IsAbs(p) {
		if p = filepath.Clean(p); p == ".." || strings.HasPrefix(p, ".."+string(filepath.Separator)) {
			return ""
		}
		return filepath.ToSlash(p)
	}
	for _, d := range c.dirs {
		r, err := filepath.Rel(d, p)
		if err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) && r != "." {
			return filepath.ToSlash(r)
		}
	}
	return ""
}

// warn adds a warning unless the same text is already there, and returns it
// ("" when it was a repeat).
func (c *collector) warn(msg string) string {
	if msg == "" || c.warned["msg:"+msg] {
		return ""
	}
	c.warned["msg:"+msg] = true
	c.turn.Warnings = append(c.turn.Warnings, msg)
	return msg
}

// warnOnce adds msg the first time key is seen and returns it, "" later.
func (c *collector) warnOnce(key, msg string) string {
	if c.warned[key] {
		return ""
	}
	c.warned[key] = true
	return c.warn(msg)
}
