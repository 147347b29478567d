package session

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/git-codex/git-codex/model"
	"github.com/git-codex/git-codex/redact"
)

// Output receives what the engine reports while it works: the answer as it
// streams, events (tool calls, retries, warnings, progress, a command's
// output) and the approvals it asks for. Every front end implements it: the
// command line renders it on the terminal; the MCP server and the workflow
// runner forward it. The engine serialises its calls, so an implementation
// need not be safe for concurrent use. The engine writes nowhere else.
type Output interface {
	// Delta is the next piece of the answer's text as it streams.
	Delta(text string)
	// Event is something worth telling the user (see the Event kinds).
	Event(Event)
	// Approve asks whether the model may do what a describes (an edit of
	// the work tree). An error (or a denial) means no.
	Approve(ctx context.Context, a Approval) (Decision, error)
}

// EventKind names what an Event reports.
type EventKind string

// Event kinds. Text is a one-line message for people unless said otherwise.
const (
	// EventWaiting: a request was sent and nothing has come back yet.
	EventWaiting EventKind = "waiting"
	// EventAnswerEnd: the answer (streamed with Delta, or not shown) is over;
	// Usage and Model say what it used, when the client reported it.
	EventAnswerEnd EventKind = "answer-end"
	// EventRetry: a request failed (Text) and is retried after Wait.
	EventRetry EventKind = "retry"
	// EventFallback: another model answers (Text says which and why).
	EventFallback EventKind = "fallback"
	// EventTool: the model called a file tool (Text: the call and its size).
	EventTool EventKind = "tool"
	// EventOpened: a session was opened.
	EventOpened EventKind = "opened"
	// EventClosed: a session was closed.
	EventClosed EventKind = "closed"
	// EventRestart: the session's context is rebuilt from the transcript in
	// git (the provider forgot it, or its chain misses turns).
	EventRestart EventKind = "restart"
	// EventCompact: a compaction starts, fails, or has nothing to do.
	EventCompact EventKind = "compact"
	// EventCommand: fix's verification command passed or failed.
	EventCommand EventKind = "command"
	// EventOutput: the output of fix's verification command, as it comes
	// (Text is raw bytes, not a line).
	EventOutput EventKind = "output"
	// EventWarning: something is wrong but the work goes on.
	EventWarning EventKind = "warning"
	// EventEdit: the model changed a file, or a change was refused or
	// failed (Text says which).
	EventEdit EventKind = "edit"
	// EventVerdict: the outcome of one round of fix (Text: "round 1 of 3:
	// failed (exit 1); …").
	EventVerdict EventKind = "verdict"
	// EventMode: the session's sandbox mode or approval policy changed, or
	// a configured default could not raise it.
	EventMode EventKind = "mode"
	// EventTurn: the user's message is stored as turn Event.Turn, before
	// the request is sent (no Text). A front end that must be able to find
	// the turn again after a crash (the workflow runner) notes it here.
	EventTurn EventKind = "turn"
	// EventAnswered: the answer to turn Event.Turn is stored, with the
	// Event.Model that gave it and its Event.Usage (no Text), whether it
	// is complete or not.
	EventAnswered EventKind = "answered"
	// EventStep: the Codex CLI did something on its own (Text, a line): a
	// command started ("$ go test ./...") or failed, an MCP tool call, a
	// web search.
	EventStep EventKind = "step"
)

// Event is one report of the engine to its Output.
type Event struct {
	Kind EventKind
	// Session is the session the event concerns, when there is one.
	Session string
	Text    string
	// Wait is how long the client waits before a retry (EventRetry).
	Wait time.Duration
	// Turn is the stored turn (EventTurn, EventAnswered).
	Turn string
	// Usage is what the request used and Model the model that answered
	// (EventAnswerEnd, EventAnswered); Usage is nil when the client
	// reported none.
	Usage *Usage
	Model string
}

// Line is the event as one line for people, the way every front end words
// it: the command line prints it after "git-codex: ", the MCP server sends
// it as progress and keeps it in the result. It is "" for the kinds that are
// no message (EventWaiting, EventAnswerEnd, EventOutput).
func (ev Event) Line() string {
	switch ev.Kind {
	case EventWaiting, EventAnswerEnd, EventOutput, EventTurn, EventAnswered:
		return ""
	}
	// Redacted: a command line, a search or a tool's error may carry a
	// token, and every front end shows the line.
	ev.Text = redact.String(ev.Text)
	switch ev.Kind {
	case EventRetry:
		if ev.Wait > 0 {
			return fmt.Sprintf("%s; retrying in %s", ev.Text, ev.Wait.Round(time.Millisecond))
		}
		return ev.Text + "; retrying"
	case EventFallback:
		return "falling back: " + ev.Text
	case EventTool:
		return "tool: " + ev.Text
	case EventWarning:
		return "warning: " + ev.Text
	case EventOpened, EventClosed, EventRestart, EventCompact, EventCommand, EventMode, EventStep:
		return ev.Text
	case EventVerdict:
		return "fix: " + ev.Text
	}
	return string(ev.Kind) + ": " + ev.Text
}

// Approval is a question the engine asks before the model changes the work
// tree.
type Approval struct {
	Session string
	// Action names what the model wants to do ("edit").
	Action string
	// Op is the file operation (create_file, update_file, delete_file),
	// Path the file, Summary one line ("updated a.go (+3 -1)"), Diff the
	// unified diff of the change. Detail is Diff, for front ends that show
	// only one text.
	Op, Path, Summary, Diff, Detail string
	// Policy is the approval policy that asks (untrusted, on-request).
	Policy string
	// Always says whether AllowSession may be offered (on-request; untrusted
	// asks every time).
	Always bool
}

// Decision answers an Approval.
type Decision int

// Decisions.
const (
	// Deny refuses this change; the model is told and the turn goes on.
	Deny Decision = iota
	// Allow applies this change.
	Allow
	// AllowSession applies this change and, under on-request, every later
	// one of the session in this process without asking.
	AllowSession
	// Quit refuses this change and stops the turn, as an interrupt does:
	// what was said and done so far is kept.
	Quit
)

// discard is the Output of an engine given none.
type discard struct{}

func (discard) Delta(string) {}
func (discard) Event(Event)  {}
func (discard) Approve(context.Context, Approval) (Decision, error) {
	return Deny, nil
}

// serial makes an Output safe for the engine's concurrent callers (the
// model client streams from its own goroutines, a command's output comes
// from exec's).
type serial struct {
	mu  sync.Mutex
	out Output
}

func (s *serial) Delta(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.out.Delta(text)
}

func (s *serial) Event(ev Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.out.Event(ev)
}

func (s *serial) Approve(ctx context.Context, a Approval) (Decision, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.Approve(ctx, a)
}

// output returns the engine's Output (Out nil reports nowhere) behind its
// own lock: a caller that hands it to goroutines (the model client's
// callbacks, a command's output) uses one for all of them.
func (e *Engine) output() Output {
	out := e.Out
	if out == nil {
		out = discard{}
	}
	return &serial{out: out}
}

// notify reports one event about session s (nil: none).
func (e *Engine) notify(kind EventKind, s *Session, text string) {
	ev := Event{Kind: kind, Text: text}
	if s != nil {
		ev.Session = s.ID
	}
	e.output().Event(ev)
}

// modelEvent turns the model client's progress into an engine event.
func modelEvent(ev model.Event, session string) Event {
	out := Event{Kind: EventKind(ev.Kind), Session: session, Text: ev.Detail}
	switch ev.Kind {
	case model.EventRetry:
		out.Kind, out.Wait = EventRetry, ev.Wait
	case model.EventFallback:
		out.Kind = EventFallback
	case model.EventTool:
		out.Kind = EventTool
	}
	return out
}

// outputWriter is an io.Writer that reports what is written as EventOutput.
type outputWriter struct {
	out     Output
	session string
}

func (w outputWriter) Write(p []byte) (int, error) {
	w.out.Event(Event{Kind: EventOutput, Session: w.session, Text: string(p)})
	return len(p), nil
}
