package session

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/git-codex/git-codex/codexcli"
	"github.com/git-codex/git-codex/internal/text"
)

// EngineCodex is the engine that drives the installed Codex CLI (`codex exec
// --json`, `codex exec resume <thread> --json`): Codex's own agent, tools,
// sandbox and sign-in, with the session kept in git like the others.
const EngineCodex = "codex"

// CodexConfig configures the codex engine.
type CodexConfig struct {
	// Path is the Codex executable (git config codex.codexPath); "" looks
	// for codex on PATH.
	Path string
	// PATH is where to look for it ("" is the process's PATH).
	PATH string
	// Config are `-c key=value` overrides passed to every run (git config
	// codex.codexConfig): a custom model provider, features. The user's
	// Codex configuration file is never written.
	Config []string
	// Env is Codex's environment; nil is the process's own.
	Env []string
	// VersionCache is the file that remembers the version of a Codex
	// installed outside npm (codexcli.FindOptions.VersionCache).
	VersionCache string
}

// checkCodexMode refuses what the Codex CLI cannot carry out for a turn of
// mode m: `codex exec` never asks for an approval (it runs with approval
// "never" whatever it is told: measured with 0.169, its instructions to the
// model say so), and 0.169 refuses "untrusted" outright. Asking before every
// operation cannot be kept, so untrusted is refused rather than loosened.
func checkCodexMode(m Mode) error {
	if m.Approval == ApprovalUntrusted {
		return fmt.Errorf("codex engine: approval %q: %w: codex exec cannot ask before each operation (use --approval %s or %s)",
			m.Approval, codexcli.ErrUnsupported, ApprovalOnRequest, ApprovalNever)
	}
	return nil
}

// codexBackend carries a session's turns through the Codex CLI: one run of
// `codex exec` per request, in the work tree, resuming the session's
// thread, or starting a new one from the transcript in git when this
// machine has no such thread.
type codexBackend struct {
	e *Engine
	// model is passed as --model; "" leaves Codex's configured model.
	model string
}

// binary finds the Codex CLI once per Engine.
func (b *codexBackend) binary(ctx context.Context) (*codexcli.Binary, error) {
	e := b.e
	if e.codexBin != nil {
		return e.codexBin, nil
	}
	c := e.Codex
	bin, err := codexcli.Find(ctx, codexcli.FindOptions{Path: c.Path, PATH: c.PATH, Env: c.Env, VersionCache: c.VersionCache})
	if err != nil {
		return nil, err
	}
	e.codexBin = bin
	return bin, nil
}

// request is a Codex run in the work tree with the configured overrides.
func (b *codexBackend) request(bin *codexcli.Binary, m Mode) codexcli.Request {
	c := b.e.Codex
	return codexcli.Request{
		Bin: bin, Dir: b.e.Repo.WorkTree(), Model: b.model,
		Sandbox: m.Sandbox, Approval: m.Approval,
		Config: c.Config, Env: c.Env,
	}
}

// turnMode is the mode a turn of exchange x runs Codex in.
func turnMode(x exchange) Mode {
	if x.mode.Sandbox == "" {
		// A request of the tool's own (close): Codex only reads.
		return Mode{Sandbox: SandboxReadOnly, Approval: ApprovalNever}
	}
	return x.mode
}

// turnRequest is the request a turn of session s makes of Codex for
// exchange x, and how it was worked out.
func (b *codexBackend) turnRequest(bin *codexcli.Binary, s *Session, x exchange) (codexcli.Request, codexPlan) {
	plan := b.plan(s, x)
	return b.requestFor(bin, turnMode(x), plan), plan
}

// requestFor is the request that carries plan p in mode m.
func (b *codexBackend) requestFor(bin *codexcli.Binary, m Mode, p codexPlan) codexcli.Request {
	req := b.request(bin, m)
	req.ThreadID, req.Prompt, req.PriorUsage = p.thread, p.prompt, p.prior
	return req
}

// codexPlan is how a turn reaches Codex: the thread it resumes ("" for a
// new one) with its usage so far, the prompt, and for a new thread why it
// is started and whether that is a restart to record.
type codexPlan struct {
	thread string
	prior  codexcli.Usage
	prompt string
	// why says why a new thread starts (its thread event's text).
	why string
	// restart, when set, is a restart event's text; notice is what the
	// user is told.
	restart, notice string
}

// plan works out how exchange x of session s reaches Codex.
func (b *codexBackend) plan(s *Session, x exchange) codexPlan {
	e := b.e
	if x.fresh {
		return codexPlan{prompt: x.text, why: "the session's first turn"}
	}
	thread, prior, at, why := s.codexThread()
	if thread == "" {
		if s.Engine() != EngineCodex {
			why = "the session moved to the codex engine" // this turn's switch
		}
		return codexPlan{prompt: e.rebuild(s, x.text, why), why: why + "; context rebuilt from the git transcript"}
	}
	if unseen := s.unseen(at); len(unseen) > 0 {
		r := unseenReason(s, unseen, at)
		return codexPlan{
			prompt: e.rebuild(s, x.text, r), why: r + "; context rebuilt from the git transcript",
			restart: r + "; context rebuilt from the git transcript",
			notice:  "session " + text.ShortID(s.ID) + ": " + r + "; rebuilding its context from git in a new Codex thread",
		}
	}
	return codexPlan{
		thread: thread, prior: prior,
		prompt: pendingInput(s, at, x.text, func(a *Record) bool { return a.Thread != "" }),
	}
}

func (b *codexBackend) turn(ctx context.Context, t *turnCtx) (reply, error) {
	e, s, x := b.e, t.s, t.x
	mode := turnMode(x)
	bin, err := b.binary(ctx)
	if err != nil {
		// As with a missing API key: the message is kept for the next try.
		if serr := t.storeTurn(ctx); serr != nil {
			return reply{}, serr
		}
		return reply{}, err
	}
	req, plan := b.turnRequest(bin, s, x)
	if _, err := codexcli.Args(req); err != nil {
		return reply{}, err // refused before anything is stored
	}
	sink := newCodexSink(t.out, s.ID)
	req.Sink = sink
	var snap *snapshot
	// Closed when the gate is done: what it wrote (snap) is read on the
	// goroutine that decodes Codex's output, which only Codex's pipe orders
	// after it otherwise.
	gated := make(chan struct{})
	// Codex starts up (~40 ms) before it reads the prompt: the turn is
	// stored and the work tree looked at meanwhile, and Codex gets the
	// prompt only once the message is safe.
	req.Gate = func(ctx context.Context) error {
		defer close(gated)
		if err := t.storeTurn(ctx); err != nil {
			return err
		}
		if plan.restart != "" {
			if err := t.restart(ctx, plan.notice, plan.restart); err != nil {
				return err
			}
		}
		if mode.CanEdit() {
			snap = e.snapshot(ctx)
		}
		return nil
	}
	// Codex takes tens of milliseconds to exit after it reported the turn
	// completed: the answer is stored meanwhile.
	var ended chan struct{}
	req.OnEnd = func(run codexcli.Turn) {
		ended = make(chan struct{})
		why := plan.why
		go func() {
			defer close(ended)
			// Closed already: Codex got its prompt after the gate. What came
			// back is stored whatever happens to ctx.
			<-gated
			ctx := context.WithoutCancel(ctx)
			t.finish(ctx, e.codexReply(ctx, t, &run, snap, why), nil)
			heads := e.updateIndex(ctx, s.Topic)
			if t.finishErr == nil && t.rep.threadUsage != nil {
				e.saveCodexNext(s, heads, x.mode, t.rep.thread, priorUsage(t.rep.threadUsage))
			}
		}()
	}
	t.out.Event(Event{Kind: EventWaiting})
	var run *codexcli.Turn
	if x.early.Matches(req) {
		run, err = x.early.Run(ctx, req)
	} else {
		x.early.Stop()
		run, err = codexcli.Run(ctx, req)
	}
	if errors.Is(err, codexcli.ErrThreadNotFound) {
		// This machine does not have the thread (another clone, a wiped
		// CODEX_HOME, a CI runner): a new one, from the transcript in git.
		why := "Codex thread " + plan.thread + " is not on this machine (" + run.Error + ")"
		if rerr := t.restart(ctx, "session "+text.ShortID(s.ID)+": Codex thread "+text.ShortID(plan.thread)+
			" is not on this machine; continuing in a new thread with the context rebuilt from git",
			why+"; context rebuilt from the git transcript"); rerr != nil {
			return reply{}, rerr
		}
		plan = codexPlan{prompt: e.rebuild(s, x.text, why), why: "restart: Codex thread " + plan.thread + " is not on this machine; context rebuilt from the git transcript"}
		req.ThreadID, req.Prompt, req.PriorUsage, req.Gate = "", plan.prompt, codexcli.Usage{}, nil
		run, err = codexcli.Run(ctx, req)
	}
	if ended != nil {
		<-ended
	}
	if !t.stored {
		// Codex never started (or the gate failed): nothing was sent.
		if err == nil || !errors.Is(err, context.Canceled) {
			if serr := t.storeTurn(context.WithoutCancel(ctx)); serr != nil {
				return reply{}, errors.Join(err, serr)
			}
		}
		return reply{}, err
	}
	end := Event{Kind: EventAnswerEnd, Model: t.s.Open.Model}
	if run != nil && run.Status == codexcli.TurnCompleted {
		// The footer under the answer: the turn's own tokens.
		u := run.Usage
		end.Usage = &Usage{Input: int(u.Input), Cached: int(u.Cached), Output: int(u.Output)}
	}
	t.out.Event(end)
	if err != nil {
		err = fmt.Errorf("codex: %w", err)
	}
	if t.finished || run == nil {
		return t.rep, err
	}
	storeCtx := ctx
	if ctx.Err() != nil {
		storeCtx = context.WithoutCancel(ctx)
	}
	return e.codexReply(storeCtx, t, run, snap, plan.why), err
}

// codexReply turns what Codex did in a run into the answer's parts and
// the records stored with it: the turn's change records, and the thread
// event of a new thread (why it started).
func (e *Engine) codexReply(ctx context.Context, t *turnCtx, run *codexcli.Turn, snap *snapshot, why string) reply {
	rep := reply{thread: run.ThreadID, steps: e.steps(run)}
	if run.ThreadID != "" && !run.Resumed {
		ev := e.record(KindEvent, t.s)
		ev.Commit, ev.Turn, ev.Event, ev.Thread = t.target, t.turn.ID, RecordThread, run.ThreadID
		if why == "" {
			why = "Codex started it instead of resuming the session's thread"
		}
		ev.Text = "new Codex thread: " + why
		rep.records = append(rep.records, ev)
	}
	rep.Text = run.Text()
	rep.Model = t.s.Open.Model
	// Interrupted, or cut short after a message, is incomplete; a turn
	// that failed without a word is an error.
	rep.Incomplete = run.Status == codexcli.TurnInterrupted || (run.Status != codexcli.TurnCompleted && rep.Text != "")
	if run.Status == codexcli.TurnCompleted {
		u := run.Usage
		rep.Usage.Input, rep.Usage.Cached, rep.Usage.Output = int(u.Input), int(u.Cached), int(u.Output)
		tu := run.ThreadUsage
		rep.threadUsage = &Usage{Input: int(tu.Input), Cached: int(tu.Cached), Output: int(tu.Output)}
	}
	rep.changes = e.codexChanges(ctx, t, run, snap)
	rep.records = append(rep.records, rep.changes...)
	return rep
}

func (b *codexBackend) summarise(ctx context.Context, s *Session, request string, show bool) (reply, error) {
	e := b.e
	bin, err := b.binary(ctx)
	if err != nil {
		return reply{}, err
	}
	req := b.request(bin, Mode{Sandbox: SandboxReadOnly, Approval: ApprovalNever})
	out := e.output()
	if show {
		req.Sink = newCodexSink(out, s.ID)
	}
	// In the thread, when this machine has it: Codex sees everything it
	// did. The thread is left behind afterwards, since the next turn
	// starts a new one from the summary.
	thread, prior, _, _ := s.codexThread()
	req.ThreadID, req.PriorUsage, req.Prompt = thread, prior, request
	if thread == "" {
		req.Prompt, req.Ephemeral = e.rebuild(s, request, "this Codex thread is not on this machine"), true
	}
	out.Event(Event{Kind: EventWaiting})
	run, err := codexcli.Run(ctx, req)
	if errors.Is(err, codexcli.ErrThreadNotFound) {
		req.ThreadID, req.PriorUsage, req.Prompt, req.Ephemeral = "", codexcli.Usage{}, e.rebuild(s, request, "the Codex thread is not on this machine"), true
		run, err = codexcli.Run(ctx, req)
	}
	out.Event(Event{Kind: EventAnswerEnd})
	if run == nil {
		return reply{}, err
	}
	rep := reply{thread: run.ThreadID}
	if req.Ephemeral {
		rep.thread = "" // kept nowhere
	}
	rep.Text, rep.Model, rep.Incomplete = run.Text(), s.Open.Model, run.Status != codexcli.TurnCompleted
	rep.Usage.Input, rep.Usage.Cached, rep.Usage.Output = int(run.Usage.Input), int(run.Usage.Cached), int(run.Usage.Output)
	if err != nil {
		err = fmt.Errorf("codex: %w", err)
	}
	return rep, err
}

func (b *codexBackend) ask(ctx context.Context, instructions, input string) (string, error) {
	bin, err := b.binary(ctx)
	if err != nil {
		return "", err
	}
	req := b.request(bin, Mode{Sandbox: SandboxReadOnly, Approval: ApprovalNever})
	req.Prompt, req.Ephemeral = instructions+"\n\n"+input, true
	run, err := codexcli.Run(ctx, req)
	if err != nil {
		return "", fmt.Errorf("ask codex: %w", err)
	}
	if run.Text() == "" {
		return "", fmt.Errorf("ask codex: the answer was empty")
	}
	return run.Text(), nil
}

// codexThread returns the Codex thread the session's next codex turn
// resumes, the thread's running usage after its last completed turn (what
// Codex will count on from), and the index of the turn whose answer ran in
// it. The thread is "" — start a new one from the transcript in git — when
// no answer ran in a thread, or when a compaction or an engine switch is
// newer than the last one that did (as chainID for the responses engine);
// why then says which.
func (s *Session) codexThread() (thread string, prior codexcli.Usage, at int, why string) {
	for i := len(s.Turns) - 1; i >= 0; i-- {
		a := s.Turns[i].Answer
		if a == nil || a.Thread == "" {
			continue
		}
		if c := s.Compaction(); c != nil && recordAfter(*c, *a) {
			return "", codexcli.Usage{}, -1, "the session was compacted"
		}
		if ev := s.engineSwitch(); ev != nil && recordAfter(*ev, *a) {
			return "", codexcli.Usage{}, -1, "the session moved to the codex engine"
		}
		for j := i; j >= 0; j-- {
			if p := s.Turns[j].Answer; p != nil && p.Thread == a.Thread && p.ThreadUsage != nil {
				prior = priorUsage(p.ThreadUsage)
				break
			}
		}
		return a.Thread, prior, i, ""
	}
	return "", codexcli.Usage{}, -1, "no earlier turn ran in a Codex thread"
}

// priorUsage is the running usage a resumed turn counts on from, out of
// the thread usage an answer keeps (reasoning tokens are not kept).
func priorUsage(u *Usage) codexcli.Usage {
	return codexcli.Usage{Input: int64(u.Input), Cached: int64(u.Cached), Output: int64(u.Output)}
}

// Threads returns the Codex threads of a session, oldest first: the chain
// its thread events record.
func (s *Session) Threads() []Record {
	var out []Record
	for _, ev := range s.Events {
		if ev.Event == RecordThread && ev.Thread != "" {
			out = append(out, ev)
		}
	}
	return out
}

// CommandLine is how a Codex command is shown: the script of the
// `/bin/bash -lc '…'` (or -c) wrapper Codex runs commands in, else the
// command as reported.
func CommandLine(cmd string) string {
	for _, prefix := range []string{"/bin/bash -lc ", "/bin/bash -c ", "bash -lc ", "bash -c ", "/bin/sh -c ", "sh -c "} {
		rest, ok := strings.CutPrefix(cmd, prefix)
		if !ok || len(rest) < 2 || rest[0] != '\'' || rest[len(rest)-1] != '\'' {
			continue
		}
		inner := rest[1 : len(rest)-1]
		// '\'' is how the shell quotes a quote inside single quotes.
		if strings.Contains(strings.ReplaceAll(inner, `'\''`, ""), "'") {
			continue
		}
		return strings.ReplaceAll(inner, `'\''`, "'")
	}
	return cmd
}
