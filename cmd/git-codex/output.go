package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

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
	// ask reads the user's answer to an approval; nil denies without asking.
	ask func() (string, error)

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
	default:
		o.printf("%s", ev.Line())
	}
}

// Approve asks on the terminal; without one (or on any answer but yes) the
// answer is no.
func (o *termOutput) Approve(ctx context.Context, a session.Approval) (session.Decision, error) {
	o.spin.stop()
	o.spin = nil
	o.line.finish()
	if o.ask == nil {
		return session.Deny, nil
	}
	fmt.Fprintf(o.stderr, "git-codex: the model wants to %s %s\n", a.Action, a.Path)
	if a.Detail != "" {
		fmt.Fprintln(o.stderr, strings.TrimRight(a.Detail, "\n"))
	}
	fmt.Fprint(o.stderr, "Allow? [y/N] ")
	ans, err := o.ask()
	if err != nil {
		return session.Deny, err
	}
	if a := strings.ToLower(strings.TrimSpace(ans)); a == "y" || a == "yes" {
		return session.Allow, nil
	}
	return session.Deny, nil
}

func (o *termOutput) printf(format string, args ...any) {
	fmt.Fprintf(o.stderr, "git-codex: "+format+"\n", args...)
}

// newTermOutput is the Output of a command run in e: the answer shown when
// answer is set, the spinner when both stdout and stderr are terminals,
// approvals asked when stdin is a terminal too.
func newTermOutput(e *Env, answer bool) *termOutput {
	o := &termOutput{stdout: e.Stdout, stderr: e.Stderr, answer: answer, spinner: e.IsTTY && isTerminal(e.Stderr)}
	o.line = lineEnd{w: e.Stdout}
	if stdinIsTerminal(e) && isTerminal(e.Stderr) {
		in := bufio.NewReader(e.Stdin)
		o.ask = func() (string, error) { return in.ReadString('\n') }
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
