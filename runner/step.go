package runner

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/git-codex/git-codex/redact"
	"github.com/git-codex/git-codex/session"
	"github.com/git-codex/git-codex/workflow"
)

// Runner runs the steps of workflows on the session engine: it implements
// workflow.StepRunner and workflow.Rechecker. Every attempt of a step gets
// an engine of its own (Engine.With), since an engine serves one caller at a
// time; they share the store and the repository.
type Runner struct {
	// Engine holds what the steps' engines share: the store, the
	// repository, the model configuration and the prices.
	Engine *session.Engine
	// ConfigSandbox is git config codex.sandbox ("" when unset): the
	// sandbox of steps whose file sets none.
	ConfigSandbox string
	// Notify receives what the engines report that people should see
	// (warnings, restarts, retries, fallbacks, the fix loop's verdicts,
	// edits), with the step's id; nil drops it. It is called from the
	// steps' goroutines.
	Notify func(step string, ev session.Event)
}

// ResumeMessage is the follow-up that continues a step whose answer was cut
// short when its run stopped: the session has the message it did not
// answer (in the transcript the engine rebuilds, or as an unanswered
// message it sends along).
const ResumeMessage = "The run was interrupted before your answer was complete. Answer my last message again, in full."

// Run performs one attempt of a step: open a session on the step's topic
// with the structured first message, or continue the session of the step
// it replies to with its task; then, when the step has a check, run the fix
// loop on that session. A step interrupted by an earlier invocation
// (req.Previous) continues its session: an answer already stored is not
// asked again, only the check runs.
//
// Before a session is continued it is checked: a closed session is not
// replied to but continued in a new session on its topic, opened with its
// transcript rebuilt from git; a forked session, or one whose previous
// response the provider no longer knows, is restarted from its transcript
// by the engine itself (session.Result.Restarted).
//
// Edits need no one's approval: a run is unattended, like `codex exec`, so
// a step in workspace-write applies its patches (approval never).
func (r *Runner) Run(ctx context.Context, req workflow.Request) (workflow.Result, error) {
	out := &stepOutput{req: req, notify: r.Notify}
	eng := r.Engine.With(out)
	ans, reused, mode, err := r.ask(ctx, eng, req)
	res := out.result()
	if reused != nil {
		res.Usage = res.Usage.Add(usageOf(reused))
	}
	res.Answer, res.Restarted = ans.Text, ans.Restarted
	if res.Model == "" {
		res.Model = ans.Model
	}
	if res.Session == "" {
		res.Session, res.Turn = ans.Session, ans.Turn
	}
	if err != nil {
		return res, stepError(err)
	}
	if ans.Status != session.StatusComplete {
		res.Detail = "the answer is " + ans.Status
		return res, nil
	}
	res.Passed = true
	if len(req.Step.Check) == 0 {
		return res, nil
	}
	fix, err := eng.Fix(ctx, session.FixOptions{
		Target: session.Target{Session: ans.Session}, Command: req.Step.Check, Max: req.Step.Max, Mode: mode,
	})
	final := out.result()
	res.Session, res.Turn, res.Usage = final.Session, final.Turn, final.Usage
	if reused != nil {
		res.Usage = res.Usage.Add(usageOf(reused))
	}
	for _, a := range fix.Answers {
		if a.Text != "" {
			res.Answer = a.Text
		}
		res.Restarted = res.Restarted || a.Restarted
	}
	if final.Model != "" {
		res.Model = final.Model
	}
	if err != nil {
		res.Passed = false
		res.Detail = "check: " + err.Error()
		if v := out.lastVerdict(); v != "" && errors.Is(err, session.ErrFixFailed) {
			res.Detail = "check failed: " + v
		}
		if tail := out.lastOutput(); tail != "" {
			res.Detail += "; last output: " + redact.Line(tail, 160)
		}
		if errors.Is(err, session.ErrFixFailed) {
			return res, nil // the check failed: the step did not pass, nothing broke
		}
		return res, stepError(err)
	}
	return res, nil
}

// stepError is what a step's detail says of err: the cause of a failed
// request without the turn's id (the run knows the turn; a short id in a
// stored text reads as a token to redaction).
func stepError(err error) error {
	var se *session.SendError
	if errors.As(err, &se) {
		return se.Err
	}
	return err
}

// ask sends the step's message and returns the answer and the mode it
// asked for. reused is the stored answer a resumed step had already
// received (then nothing is sent).
func (r *Runner) ask(ctx context.Context, eng *session.Engine, req workflow.Request) (ans session.Result, reused *session.Record, mode session.ModeRequest, err error) {
	step := req.Step
	if p := req.Previous; p != nil && p.Session != "" {
		if s, err := eng.Load(ctx, "", p.Session); err == nil && !s.Closed {
			mode = r.mode(step, s)
			if t := turnOf(s, p.Turn); t != nil && t.Answer != nil && t.Answer.Status == session.StatusComplete {
				// The answer came before the run stopped: only the check is left.
				return resultOf(s, t), t.Answer, mode, nil
			}
			ans, err := eng.Reply(ctx, session.ReplyOptions{Target: session.Target{Session: s.ID}, Message: ResumeMessage, Mode: mode})
			return ans, nil, mode, err
		}
		// Gone or closed: the attempt starts over.
	}
	if req.Continue != "" {
		s, err := eng.Load(ctx, "", req.Continue)
		if err != nil {
			return session.Result{}, nil, mode, err
		}
		if s.Closed {
			mode = r.mode(step, nil)
			ans, err := eng.Delegate(ctx, session.DelegateOptions{Topic: s.Topic, Task: req.Task, From: s.ID,
				Engine: step.Engine, Model: step.Model, Mode: mode})
			return ans, nil, mode, err
		}
		mode = r.mode(step, s)
		ans, err := eng.Reply(ctx, session.ReplyOptions{Target: session.Target{Session: s.ID}, Message: req.Task,
			Engine: step.Engine, Mode: mode})
		return ans, nil, mode, err
	}
	mode = r.mode(step, nil)
	ans, err = eng.Delegate(ctx, session.DelegateOptions{
		Topic: req.Topic, Task: req.Task, Context: req.Context, Focus: req.Focus, Scope: req.Scope,
		Expect: req.Expect, Criteria: req.Criteria, Engine: step.Engine, Model: step.Model, Mode: mode,
	})
	return ans, nil, mode, err
}

// Recheck tells whether a step that was running when its run's process
// died finished after all: the turn it reported has a complete answer in
// git, and it has no check left to run. Then the step passes with that
// answer and nothing is sent.
func (r *Runner) Recheck(ctx context.Context, req workflow.Request) (workflow.Result, bool, error) {
	p := req.Previous
	if p == nil || p.Session == "" || p.Turn == "" || len(req.Step.Check) > 0 {
		return workflow.Result{}, false, nil
	}
	s, err := r.Engine.With(nil).Load(ctx, "", p.Session)
	if err != nil {
		return workflow.Result{}, false, nil // not here: run the step again
	}
	t := turnOf(s, p.Turn)
	if t == nil || t.Answer == nil || t.Answer.Status != session.StatusComplete {
		return workflow.Result{}, false, nil
	}
	a := t.Answer
	return workflow.Result{Session: s.ID, Turn: t.Record.ID, Model: a.Model, Answer: a.Text, Usage: usageOf(a), Passed: true}, true, nil
}

// mode is what a step's turn may do in session s (nil: a new session): the
// step's sandbox, else the configured one for a new session (a continued
// session keeps its own unless the step says, or the configuration lowers
// it), and edits applied without asking when it may edit. The approval is
// left alone in read-only, where it means nothing.
func (r *Runner) mode(step *workflow.Step, s *session.Session) session.ModeRequest {
	req := session.ModeRequest{Sandbox: step.Sandbox, ConfigSandbox: r.ConfigSandbox}
	next := req.Open()
	if s != nil {
		next, _ = req.Follow(s.Mode())
	}
	if next.CanEdit() {
		req.Approval = session.ApprovalNever
	}
	return req
}

// turnOf returns the turn with id in s, or nil.
func turnOf(s *session.Session, id string) *session.Turn {
	for i := range s.Turns {
		if s.Turns[i].Record.ID == id {
			return &s.Turns[i]
		}
	}
	return nil
}

// resultOf is the engine's result for a stored turn.
func resultOf(s *session.Session, t *session.Turn) session.Result {
	a := t.Answer
	return session.Result{Session: s.ID, Topic: s.Topic, Turn: t.Record.ID, Answer: a.ID, Text: a.Text, Model: a.Model,
		Status: a.Status, ResponseID: a.ResponseID}
}

func usageOf(a *session.Record) workflow.Usage {
	if a == nil || a.Usage == nil {
		return workflow.Usage{}
	}
	return workflow.Usage{Input: a.Usage.Input, Cached: a.Usage.Cached, Output: a.Usage.Output}
}

// stepOutput is the session.Output of a step's engine: it shows no answer
// (steps run at once), tells the scheduler the session and turn as soon as
// they are stored (so that a resume can re-check the step) and the usage as
// each answer is stored, keeps the tail of the check's output, forwards
// what people should see, and approves nothing (a run never asks; its steps
// in workspace-write run with approval never).
type stepOutput struct {
	req    workflow.Request
	notify func(string, session.Event)

	mu      sync.Mutex
	session string
	turn    string
	model   string
	usage   workflow.Usage
	tail    string
	verdict string
}

func (o *stepOutput) Delta(string) {}

func (o *stepOutput) Event(ev session.Event) {
	switch ev.Kind {
	case session.EventTurn:
		o.mu.Lock()
		o.session, o.turn = ev.Session, ev.Turn
		o.mu.Unlock()
		o.req.Report(workflow.Progress{Session: ev.Session, Turn: ev.Turn})
	case session.EventAnswered:
		o.mu.Lock()
		if u := ev.Usage; u != nil {
			o.usage = o.usage.Add(workflow.Usage{Input: u.Input, Cached: u.Cached, Output: u.Output})
		}
		if ev.Model != "" {
			o.model = ev.Model
		}
		p := workflow.Progress{Model: o.model, Usage: o.usage}
		o.mu.Unlock()
		o.req.Report(p)
	case session.EventOutput:
		o.mu.Lock()
		o.tail = lastLine(o.tail + ev.Text)
		o.mu.Unlock()
	case session.EventWarning, session.EventRestart, session.EventFallback, session.EventRetry,
		session.EventVerdict, session.EventMode, session.EventEdit, session.EventCompact:
		if ev.Kind == session.EventVerdict {
			o.mu.Lock()
			o.verdict = ev.Text
			o.mu.Unlock()
		}
		if o.notify != nil {
			o.notify(o.req.Step.ID, ev)
		}
	}
}

func (o *stepOutput) Approve(context.Context, session.Approval) (session.Decision, error) {
	return session.Deny, session.ErrNoApprover
}

// result is what the step's engine reported so far.
func (o *stepOutput) result() workflow.Result {
	o.mu.Lock()
	defer o.mu.Unlock()
	return workflow.Result{Session: o.session, Turn: o.turn, Model: o.model, Usage: o.usage}
}

// lastVerdict is the fix loop's last verdict ("round 1 of 1: `make`
// failed (exit 2); …").
func (o *stepOutput) lastVerdict() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.verdict
}

// lastOutput is the last line the check printed.
func (o *stepOutput) lastOutput() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return strings.TrimSpace(o.tail)
}

// lastLine keeps the last non-empty line of s and what follows it (a line
// still being written), so that the kept text stays short.
func lastLine(s string) string {
	t := strings.TrimRight(s, "\n")
	if i := strings.LastIndexByte(t, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
