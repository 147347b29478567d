package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/git-codex/git-codex/cmd/git-codex/ui"
	"github.com/git-codex/git-codex/session"
)

// termOutput is the command line's session.Output: the answer to stdout as
// it streams (ended with a newline), one "git-codex: …" line per event on
// stderr, a spinner on stderr while the model has not answered yet (on a
// terminal only), and approvals asked on the terminal. In a pipe it writes
// exactly the bytes the scripts expect.
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
	// palette colours what approvals show (decided for stderr).
	palette func() ui.Palette
	ask     *bufio.Reader

	line lineEnd
	spin *spinner
}

func (o *termOutput) Delta(text string) {
	o.spin.stop()
	o.spin = nil
	if o.answer {
		_, _ = io.WriteString(&o.line, text)
	}
}

func (o *termOutput) Event(ev session.Event) {
	if ev.Kind == session.EventWaiting {
		if o.spinner && o.spin == nil {
			o.spin = startSpinner(o.stderr)
		}
		return
	}
	o.spin.stop()
	o.spin = nil
	o.line.finish()
	switch ev.Kind {
	case session.EventAnswerEnd:
		o.line = lineEnd{w: o.stdout}
	case session.EventOutput:
		_, _ = io.WriteString(o.stderr, ev.Text)
	case session.EventRetry:
		if ev.Wait > 0 {
			o.printf("%s; retrying in %s", ev.Text, ev.Wait.Round(time.Millisecond))
		} else {
			o.printf("%s; retrying", ev.Text)
		}
	case session.EventFallback:
		o.printf("falling back: %s", ev.Text)
	case session.EventTool:
		o.printf("tool: %s", ev.Text)
	case session.EventWarning:
		o.printf("warning: %s", ev.Text)
	case session.EventOpened, session.EventClosed, session.EventRestart, session.EventCompact, session.EventCommand, session.EventMode, session.EventStep:
		o.printf("%s", ev.Text)
	case session.EventVerdict:
		o.printf("fix: %s", ev.Text)
	default:
		o.printf("%s: %s", ev.Kind, ev.Text)
	}
}

// Approve shows the change (its coloured diff) on the terminal and asks
// "[y]es / [n]o / [a]lways for this session / [q]uit", reading the answer
// from the terminal itself (stdin may be a pipe carrying the message).
// Without a terminal it returns session.ErrNoApprover: the edit is refused.
func (o *termOutput) Approve(ctx context.Context, a session.Approval) (session.Decision, error) {
	o.spin.stop()
	o.spin = nil
	o.line.finish()
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
	p := ui.NewPalette(false, nil)
	if o.palette != nil {
		p = o.palette()
	}
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
// answer is set, the spinner when both stdout and stderr are terminals,
// approvals asked on the terminal when stderr is one (Env.TTY).
func newTermOutput(e *Env, answer bool) *termOutput {
	o := &termOutput{stdout: e.Stdout, stderr: e.Stderr, answer: answer, spinner: e.IsTTY && isTerminal(e.Stderr)}
	o.line = lineEnd{w: e.Stdout}
	if e.TTY != nil && isTerminal(e.Stderr) {
		o.tty = e.TTY
	}
	o.palette = func() ui.Palette {
		on := ui.UseColor(ui.ColorInputs{Flag: e.Output.Color, Config: e.config, Getenv: e.Getenv, IsTTY: isTerminal(e.Stderr)})
		return ui.NewPalette(on, e.config)
	}
	return o
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
