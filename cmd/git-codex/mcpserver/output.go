package mcpserver

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/git-codex/git-codex/internal/text"
	"github.com/git-codex/git-codex/redact"
	"github.com/git-codex/git-codex/session"
)

// output is the session.Output of one call. It keeps what the result needs
// (the session the call opened, the lines worth telling the caller, the tail
// of a verification command's output), sends progress notifications when
// the client asked for them (answer deltas at most one per interval, other
// events at once), and hands approvals to the call's loop (run.go), which
// asks the client or decides by the approval policy.
type output struct {
	interval time.Duration
	now      func() time.Time

	mu sync.Mutex
	// notify sends one progress message for the request being served; nil
	// when the client sent no progress token. It changes when a call
	// resumes after an approval (multi round-trip requests).
	notify   func(msg string)
	answered int       // bytes of answer streamed
	lastSent time.Time // when the last throttled message went out
	session  string    // the session the engine reported on (opened, or continued)
	opened   func(id string)
	notes    []string
	tail     []byte // a verification command's output, the last maxTail bytes

	// asks goes to the call's loop; canAsk says whether the client takes
	// elicitation requests, else pol decides alone.
	asks   chan *ask
	canAsk bool
	pol    policy
}

// maxTail bounds the command output a fix result carries.
const maxTail = 4 << 10

// ask is an approval waiting for the client's answer.
type ask struct {
	approval session.Approval
	reply    chan session.Decision
}

func newOutput(pol policy, canAsk bool, interval time.Duration) *output {
	if interval <= 0 {
		interval = 200 * time.Millisecond
	}
	return &output{interval: interval, now: time.Now, asks: make(chan *ask), canAsk: canAsk, pol: pol}
}

// attach sends progress to notify from now on (nil: none).
func (o *output) attach(notify func(string)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.notify = notify
}

// onOpened calls f with the id of a session the engine opens.
func (o *output) onOpened(f func(id string)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.opened = f
}

func (o *output) Delta(t string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.answered += len(t)
	if now := o.now(); now.Sub(o.lastSent) >= o.interval {
		o.lastSent = now
		o.send(fmt.Sprintf("answering: %s so far", text.Size(o.answered)))
	}
}

func (o *output) Event(ev session.Event) {
	var opened func(string)
	o.mu.Lock()
	if ev.Session != "" && o.session == "" {
		o.session = ev.Session
	}
	switch ev.Kind {
	case session.EventWaiting:
		o.send("waiting for the model")
	case session.EventAnswerEnd:
	case session.EventOutput:
		o.tail = append(o.tail, ev.Text...)
		if len(o.tail) > maxTail {
			o.tail = append(o.tail[:0], o.tail[len(o.tail)-maxTail:]...)
		}
		if now := o.now(); now.Sub(o.lastSent) >= o.interval {
			o.lastSent = now
			o.send("output: " + lastLine(string(o.tail)))
		}
	case session.EventOpened:
		o.session, opened = ev.Session, o.opened
		o.send(ev.Line())
	case session.EventTool, session.EventRetry, session.EventClosed:
		o.send(ev.Line())
	case session.EventTurn, session.EventAnswered:
		// Bookkeeping for the workflow runner; the result carries both.
	default:
		// Warnings, fallbacks, restarts, compactions, the verification
		// command's verdict: the caller should know.
		o.notes = append(o.notes, ev.Line())
		o.send(ev.Line())
	}
	o.mu.Unlock()
	if opened != nil {
		opened(ev.Session)
	}
}

// Approve asks the client through the call's loop when it takes elicitation
// requests; otherwise the approval policy answers (never: allowed, the
// caller chose not to be asked; else denied, since nobody can be asked).
func (o *output) Approve(ctx context.Context, a session.Approval) (session.Decision, error) {
	what := fmt.Sprintf("%s %s", a.Action, a.Path)
	if !o.canAsk {
		d := o.pol.unasked()
		o.note(fmt.Sprintf("%s: %s without asking (approval-policy %s; the client takes no elicitation requests)", what, decided(d), o.pol.approvalName()))
		return d, nil
	}
	q := &ask{approval: a, reply: make(chan session.Decision, 1)}
	select {
	case o.asks <- q:
	case <-ctx.Done():
		return session.Deny, ctx.Err()
	}
	select {
	case d := <-q.reply:
		o.note(fmt.Sprintf("%s: %s by the client", what, decided(d)))
		return d, nil
	case <-ctx.Done():
		return session.Deny, ctx.Err()
	}
}

func decided(d session.Decision) string {
	if d == session.Allow {
		return "allowed"
	}
	return "denied"
}

// note keeps a line for the result.
func (o *output) note(line string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.notes = append(o.notes, line)
	o.send(line)
}

// send reports msg as progress; o.mu is held.
func (o *output) send(msg string) {
	if o.notify != nil && msg != "" {
		o.notify(msg)
	}
}

// report returns the session reported on, the lines kept for the result
// and the command output's tail (redacted: it goes back to the caller).
func (o *output) report() (sess string, notes []string, tail string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.tail) > 0 {
		tail = redact.String(string(o.tail))
	}
	return o.session, append([]string(nil), o.notes...), tail
}

// approvalMessage is what the client shows the user for an approval.
func approvalMessage(a session.Approval) string {
	msg := fmt.Sprintf("git codex: the model wants to %s %s", a.Action, a.Path)
	if a.Session != "" {
		msg += " (session " + text.ShortID(a.Session) + ")"
	}
	if d := strings.TrimRight(a.Detail, "\n"); d != "" {
		msg += "\n\n" + redact.Clip(d, 8<<10, "\n[… cut]")
	}
	return msg + "\n\nAllow it?"
}

// lastLine is the last non-empty line of s, redacted and cut for a progress
// message.
func lastLine(s string) string {
	s = strings.TrimRight(s, "\r\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return redact.Line(s, 120)
}
