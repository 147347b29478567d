package session

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/git-codex/git-codex/internal/text"
	"github.com/git-codex/git-codex/model"
	"github.com/git-codex/git-codex/worktree"
)

// backend carries the requests of one engine. What happens around a turn
// is the same for every engine and lives in send (turn.go): store the
// user's message first, send, store the answer with what came along,
// record a restart when the engine had forgotten the conversation and the
// context was rebuilt from git. A backend decides how a request is rendered
// and sent, what "forgotten" means to it, and what it records besides the
// answer. modelBackend talks to an OpenAI-compatible API through model
// (responses and chat); codexBackend drives the Codex CLI (codex.go).
type backend interface {
	// turn carries one exchange of a session. It must call t.storeTurn
	// before anything can reach the model (modelBackend does first thing;
	// codexBackend while Codex starts up), also when it fails before
	// sending, and calls t.restart when the conversation is rebuilt from
	// git.
	turn(ctx context.Context, t *turnCtx) (reply, error)
	// summarise asks for a summary of the session's conversation that is
	// not stored as a turn (compaction): through the conversation the
	// engine holds when it still has it, else over the transcript rebuilt
	// from git. show streams it to the Output.
	summarise(ctx context.Context, s *Session, request string, show bool) (reply, error)
	// ask sends one self-contained request outside any session.
	ask(ctx context.Context, instructions, input string) (string, error)
}

// reply is what a backend got back for one request.
type reply struct {
	// Response holds the answer's text, the model that answered, the
	// provider's response id, the usage, the bytes sent, the read-only
	// tool calls and whether the answer is incomplete.
	model.Response
	// thread, threadUsage and steps are the Codex CLI's: the thread the
	// turn ran in, its running usage, and what Codex did.
	thread      string
	threadUsage *Usage
	steps       []Step
	// records are stored with the answer, before it (the codex engine's
	// change records and thread event).
	records []Record
	// changes are the turn's change records, stored already or in records.
	changes []Record
	// unasked counts the edits refused because no one could be asked.
	unasked int
	// seen are the files the model read (the answer's Seen).
	seen []SeenFile
}

// turnCtx is one turn in the making: what send prepared, and the two steps
// a backend takes through it.
type turnCtx struct {
	e      *Engine
	s      *Session
	x      exchange
	target string
	out    Output
	// turn is the user's message; with are the events stored with it (a
	// change of sandbox or engine).
	turn Record
	with []Record
	// stored is set once the turn is stored; restarted once a restart
	// event is.
	stored, restarted bool
	patchID           pendingPatchID

	// finishing makes finish run once; rep, answer and finishErr are what
	// it stored (or failed to).
	finishing sync.Once
	finished  bool
	rep       reply
	answer    Record
	finishErr error
}

// storeTurn stores the user's message and the events that come with it:
// the first write of every turn, before anything is sent.
func (t *turnCtx) storeTurn(ctx context.Context) error {
	if t.stored {
		return nil
	}
	if err := t.e.append(ctx, t.s.Topic, t.target, append([]Record{t.turn}, t.with...)...); err != nil {
		return fmt.Errorf("store turn: %w", err)
	}
	t.stored = true
	t.s.Events = append(t.s.Events, t.with...)
	t.out.Event(Event{Kind: EventTurn, Session: t.s.ID, Turn: t.turn.ID})
	return nil
}

// finish stores the answer and what came with it (the records of the
// reply, a fallback event) attached to the turn's commit, once. send calls
// it when the backend returns; a backend that has its reply before it is
// done may call it earlier — codexBackend does, while Codex exits.
func (t *turnCtx) finish(ctx context.Context, rep reply, sendErr error) {
	t.finishing.Do(func() {
		e, s := t.e, t.s
		recs := e.answerRecords(s, t.target, t.turn.ID, rep, sendErr)
		recs[len(recs)-1].PatchID = t.patchID.wait(ctx)
		recs = append(rep.records, recs...)
		t.rep, t.answer = rep, recs[len(recs)-1]
		if err := e.append(ctx, s.Topic, t.target, recs...); err != nil {
			t.finishErr = fmt.Errorf("store answer: %w", err)
		} else {
			a := t.answer
			t.out.Event(Event{Kind: EventAnswered, Session: s.ID, Turn: t.turn.ID, Model: a.Model, Usage: a.Usage})
		}
		t.finished = true
	})
}

// restart tells the user that the session's context is being rebuilt from
// git (notice) and records it as a restart event of the turn (why).
func (t *turnCtx) restart(ctx context.Context, notice, why string) error {
	t.e.notify(EventRestart, t.s, notice)
	ev := t.e.record(KindEvent, t.s)
	ev.Commit, ev.Turn, ev.Event = t.target, t.turn.ID, RecordRestart
	ev.Text = why
	if err := t.e.append(ctx, t.s.Topic, t.target, ev); err != nil {
		return fmt.Errorf("store restart event: %w", err)
	}
	t.restarted = true
	t.s.Events = append(t.s.Events, ev)
	return nil
}

// backend returns the backend of an engine, for model modelName.
func (e *Engine) backend(engine, modelName string) (backend, error) {
	if engine == EngineCodex {
		return &codexBackend{e: e, model: modelName}, nil
	}
	c, err := e.client(engine, modelName)
	if err != nil {
		return nil, err
	}
	return &modelBackend{e: e, client: c}, nil
}

// modelBackend is the responses and chat engines: requests rendered by
// prompt, sent by model's client, tool calls answered by the workspace.
type modelBackend struct {
	e      *Engine
	client model.Client
}

func (b *modelBackend) turn(ctx context.Context, t *turnCtx) (reply, error) {
	e, s, x := b.e, t.s, t.x
	if err := t.storeTurn(ctx); err != nil {
		return reply{}, err
	}
	// A chat session whose replay outgrew the threshold is compacted first
	// (after the message is stored: an interrupted compaction loses nothing;
	// s.Turns does not hold the new turn yet, so the summary covers the
	// turns before it).
	var sendErr error
	if s.Engine() == string(model.EngineChat) && !x.fresh {
		sendErr = e.autoCompact(ctx, s, b)
	}

	// Render the request: the same instructions, only the new text, and
	// the tools of the turn's mode. A re-read of a file the model still
	// has in its context (a chained request) is answered in a line.
	req, restart, err := e.request(s, x)
	if err != nil {
		return reply{}, err
	}
	tctx, quit := context.WithCancel(ctx) // an approval's "quit" ends the turn
	defer quit()
	var prior []worktree.SeenEntry
	if req.PreviousResponseID != "" {
		_, at := s.chainID()
		prior = s.priorSeen(at)
	}
	ws, err := e.newWorkspace(s, x.mode, t.turn.ID, len(s.Turns)+1, t.target, prior, t.out, quit)
	if err != nil {
		return reply{}, err
	}
	if !s.Inline {
		ws.apply(&req)
	}
	if restart != "" {
		// The chain misses turns (a fork, or replies from another clone):
		// restart from the whole transcript so the model sees every turn.
		if err := t.restart(ctx, "session "+text.ShortID(s.ID)+": "+restart+"; rebuilding its context from git",
			restart+"; context rebuilt from the git transcript"); err != nil {
			return reply{}, err
		}
	}

	// Send it, streaming the answer (unless no request could succeed: the
	// message is stored all the same, with the error as its answer).
	var resp model.Response
	if sendErr == nil {
		sendErr = e.checkConfig()
	}
	if sendErr == nil {
		resp, sendErr = e.stream(tctx, b.client, req, true, s.Open.Model)
	}
	if errors.Is(sendErr, model.ErrPreviousNotFound) {
		// The provider forgot the session: rebuild it from git and resend.
		if err := t.restart(ctx, "the provider no longer knows this session; restarting it with the context rebuilt from git",
			"previous response "+req.PreviousResponseID+" not found; context rebuilt from the git transcript"); err != nil {
			return reply{}, err
		}
		req.PreviousResponseID = ""
		req.Input = e.rebuild(s, x.text, whyExpired)
		// The rebuilt context holds no file the model read.
		if err := ws.reset(nil); err != nil {
			return reply{}, err
		}
		if !s.Inline {
			ws.apply(&req)
		}
		sent := resp.BytesSent
		resp, sendErr = e.stream(tctx, b.client, req, true, s.Open.Model)
		resp.BytesSent += sent
	}
	storeCtx := ctx
	if ctx.Err() != nil {
		storeCtx = context.WithoutCancel(ctx)
	}
	return reply{Response: resp, changes: ws.changes, unasked: ws.unasked, seen: ws.takeSeen(storeCtx)}, sendErr
}

func (b *modelBackend) summarise(ctx context.Context, s *Session, request string, show bool) (reply, error) {
	e := b.e
	req, _, err := e.request(s, exchange{text: request})
	if err != nil {
		return reply{}, err
	}
	req.Tools, req.Call = nil, nil
	resp, err := e.stream(ctx, b.client, req, show, s.Open.Model)
	if errors.Is(err, model.ErrPreviousNotFound) && req.PreviousResponseID != "" {
		// The provider forgot the chain: summarise the transcript from git.
		sent := resp.BytesSent
		req.PreviousResponseID = ""
		req.Input = e.rebuild(s, request, whyExpired)
		resp, err = e.stream(ctx, b.client, req, show, s.Open.Model)
		resp.BytesSent += sent
	}
	return reply{Response: resp}, err
}

func (b *modelBackend) ask(ctx context.Context, instructions, input string) (string, error) {
	if err := b.e.checkConfig(); err != nil {
		return "", err
	}
	resp, err := b.client.Send(ctx, model.Request{Instructions: instructions, Input: input})
	if err != nil {
		return "", fmt.Errorf("ask the model: %w", err)
	}
	if resp.Incomplete || resp.Text == "" {
		return "", fmt.Errorf("ask the model: the answer was incomplete")
	}
	return resp.Text, nil
}

// pendingInput prefixes text with the messages of the turns after turn at
// whose answers the engine's conversation does not hold (answered says
// which it does): they were stored, but never answered in it.
func pendingInput(s *Session, at int, text string, answered func(a *Record) bool) string {
	var pending []string
	for _, t := range s.Turns[at+1:] {
		if t.Answer == nil || !answered(t.Answer) {
			pending = append(pending, t.Record.Text)
		}
	}
	if len(pending) == 0 {
		return text
	}
	return "Earlier messages that were not answered:\n\n" + strings.Join(pending, "\n\n---\n\n") + "\n\n---\n\n" + text
}
