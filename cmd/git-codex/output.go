package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/git-codex/git-codex/cmd/git-codex/ui"
	"github.com/git-codex/git-codex/cmd/git-codex/ui/markdown"
	"github.com/git-codex/git-codex/pricing"
	"github.com/git-codex/git-codex/session"
)

// termOutput is the command line's session.Output: the answer to stdout as
// it streams (ended with a newline), one "git-codex: …" line per event on
// stderr, a spinner on stderr while the model has not answered yet (on a
// terminal only), and approvals asked on the terminal. In a pipe it writes
// exactly the bytes the scripts expect; on a terminal (view set) the answer
// is rendered as Markdown as it streams, with a footer under it.
type termOutput struct {
	stdout, stderr io.Writer
	// answer: show the answer on stdout (off when it goes elsewhere: into
	// a JSON document, or parsed by init --llm).
	answer bool
	// spinner: draw the spinner (stderr is a terminal).
	spinner bool
	// tty opens the terminal approvals are asked on (not stdin, which may
	// carry the message); nil when there is none: approvals are refused.
	tty func() (io.Reader, error)
	// palette colours what goes to stderr (warnings, approvals).
	palette func() ui.Palette
	// view renders answers for the terminal; nil writes the raw text.
	view *answerView
	ask  *bufio.Reader

	line lineEnd
	live *markdown.Live
	spin *spinner
	// waiting: a request is out and its answer not over, so the spinner
	// comes back after a tool call, a retry or a fallback.
	waiting bool
}

// answerView is how answers look on a terminal.
type answerView struct {
	// width and height are the terminal's.
	width, height int
	// palette colours stdout.
	palette func() ui.Palette
	// cost prices an answer's usage for the footer; ok is false when the
	// model's price is not known.
	cost func(model string, u session.Usage) (float64, bool)
}

func (o *termOutput) Delta(text string) {
	o.stopSpinner()
	if !o.answer {
		return
	}
	if o.view != nil {
		if o.live == nil {
			o.live = markdown.NewLive(&o.line, markdown.Options{Width: o.view.width, Palette: o.view.palette()}, o.view.height)
		}
		_, _ = o.live.Write([]byte(text))
		return
	}
	_, _ = io.WriteString(&o.line, text)
}

func (o *termOutput) Event(ev session.Event) {
	if ev.Kind == session.EventTurn || ev.Kind == session.EventAnswered {
		return // bookkeeping for front ends that resume work; the answer shows itself
	}
	if ev.Kind == session.EventWaiting {
		o.waiting = true
		o.startSpinner()
		return
	}
	o.stopSpinner()
	o.endText()
	switch ev.Kind {
	case session.EventAnswerEnd:
		o.waiting = false
		o.footer(ev)
		o.line = lineEnd{w: o.stdout}
		return
	case session.EventOutput:
		_, _ = io.WriteString(o.stderr, ev.Text)
	case session.EventWarning:
		o.printf("%s %s", o.stderrPalette().Paint(ui.SlotWarning, "warning:"), ev.Text)
	default:
		o.printf("%s", ev.Line())
	}
	if o.waiting {
		// Still waiting for the model: after a tool call it thinks again.
		o.startSpinner()
	}
}

func (o *termOutput) startSpinner() {
	if o.spinner && o.spin == nil {
		o.spin = startSpinner(o.stderr)
	}
}

func (o *termOutput) stopSpinner() {
	o.spin.stop()
	o.spin = nil
}

// endText ends the answer shown so far before something else is said:
// the rest of it rendered, the line ended.
func (o *termOutput) endText() {
	if o.live != nil {
		_ = o.live.Close()
		o.live = nil
		// Live leaves the cursor at the start of a line, even when it
		// ended by erasing raw text it had shown.
		o.line.last = '\n'
	}
	o.line.finish()
}

// footer writes the line under an answer on a terminal: tokens in (cached)
// / out, and the cost when it is known.
func (o *termOutput) footer(ev session.Event) {
	if o.view == nil || !o.answer || ev.Usage == nil {
		return
	}
	u := ui.Usage{Input: ev.Usage.Input, Cached: ev.Usage.Cached, Output: ev.Usage.Output}
	if o.view.cost != nil {
		u.Cost, u.CostKnown = o.view.cost(ev.Model, *ev.Usage)
	}
	_, _ = io.WriteString(o.stdout, ui.Footer(u, o.view.palette())+"\n")
}

func (o *termOutput) stderrPalette() ui.Palette {
	if o.palette == nil {
		return ui.NewPalette(false, nil)
	}
	return o.palette()
}

// Approve shows the change (its coloured diff) on the terminal and asks
// "[y]es / [n]o / [a]lways for this session / [q]uit", reading the answer
// from the terminal itself (stdin may be a pipe carrying the message).
// Without a terminal it returns session.ErrNoApprover: the edit is refused.
func (o *termOutput) Approve(ctx context.Context, a session.Approval) (session.Decision, error) {
	o.stopSpinner()
	o.endText()
	if o.tty == nil {
		return session.Deny, session.ErrNoApprover
	}
	if o.ask == nil {
		r, err := o.tty()
		if err != nil {
			o.tty = nil
			return session.Deny, fmt.Errorf("%w: %v", session.ErrNoApprover, err)
		}
		o.ask = bufio.NewReader(r)
	}
	p := o.stderrPalette()
	summary := a.Summary
	if summary == "" {
		summary = a.Action + " " + a.Path
	}
	fmt.Fprintf(o.stderr, "git-codex: the model wants to apply: %s\n", summary)
	if d := strings.TrimRight(a.Diff, "\n"); d != "" {
		fmt.Fprintln(o.stderr, ui.PaintDiff(p, clipLines(d, maxApprovalLines)))
	}
	question := "Apply it? [y]es / [N]o / [q]uit: "
	if a.Always {
		question = "Apply it? [y]es / [N]o / [a]lways for this session / [q]uit: "
	}
	for {
		fmt.Fprint(o.stderr, question)
		line, err := readLine(ctx, o.ask)
		ans := strings.ToLower(strings.TrimSpace(line))
		switch {
		case ans == "y" || ans == "yes":
			return session.Allow, nil
		case (ans == "a" || ans == "always") && a.Always:
			return session.AllowSession, nil
		case ans == "q" || ans == "quit":
			return session.Quit, nil
		case ans == "n" || ans == "no" || (ans == "" && err == nil):
			return session.Deny, nil
		case err != nil:
			fmt.Fprintln(o.stderr)
			if ctx.Err() != nil {
				return session.Deny, ctx.Err()
			}
			return session.Deny, nil // the terminal closed: no
		}
	}
}

// maxApprovalLines bounds the diff an approval shows ('git codex show'
// prints it whole afterwards).
const maxApprovalLines = 300

// clipLines keeps the first n lines of s, saying how many it left out.
func clipLines(s string, n int) string {
	lines := strings.SplitAfterN(s, "\n", n+1)
	if len(lines) <= n {
		return s
	}
	rest := strings.Count(lines[n], "\n") + 1
	return strings.Join(lines[:n], "") + fmt.Sprintf("[… %d more lines]", rest)
}

// readLine reads a line, or gives up when ctx ends (Ctrl-C).
func readLine(ctx context.Context, r *bufio.Reader) (string, error) {
	type result struct {
		line string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		l, err := r.ReadString('\n')
		done <- result{l, err}
	}()
	select {
	case res := <-done:
		return res.line, res.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (o *termOutput) printf(format string, args ...any) {
	fmt.Fprintf(o.stderr, "git-codex: "+format+"\n", args...)
}

// newTermOutput is the Output of a command run in e: the answer shown when
// answer is set (rendered when stdout is a terminal), the spinner when both
// stdout and stderr are terminals, approvals asked on the terminal when
// stderr is one (Env.TTY).
func newTermOutput(e *Env, answer bool) *termOutput {
	o := &termOutput{stdout: e.Stdout, stderr: e.Stderr, answer: answer, spinner: e.IsTTY && isTerminal(e.Stderr)}
	o.line = lineEnd{w: e.Stdout}
	if e.TTY != nil && isTerminal(e.Stderr) {
		o.tty = e.TTY
	}
	o.palette = e.ErrPalette
	if e.IsTTY {
		cols, rows := terminalSize(e.StdoutFile)
		if cols == 0 {
			cols, rows = e.Width(), 0 // rows unknown: never erase
		}
		o.view = &answerView{width: cols, height: rows, palette: e.Palette, cost: e.answerCost}
	}
	return o
}

// answerCost is the cost of an answer for the footer under it, from the
// cost ledger's prices (built-in, or codex.price.<model>.*). Unknown (no
// price for the model) shows no cost; a bad price setting, which list and
// stats report, leaves the footer to the tokens too.
func (e *Env) answerCost(model string, u session.Usage) (float64, bool) {
	t, err := e.Prices()
	if err != nil {
		return 0, false
	}
	return t.Cost(model, pricing.Usage{Input: u.Input, Cached: u.Cached, Output: u.Output})
}

// lineEnd counts what was written and ends the output with a newline.
type lineEnd struct {
	w    io.Writer
	n    int
	last byte
}

func (l *lineEnd) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	l.n += len(p)
	l.last = p[len(p)-1]
	return l.w.Write(p)
}

func (l *lineEnd) finish() {
	if l.n > 0 && l.last != '\n' {
		_, _ = l.Write([]byte{'\n'})
	}
}
