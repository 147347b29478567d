package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/git-codex/git-codex/codexcli"
	"github.com/git-codex/git-codex/internal/text"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/model"
	"github.com/git-codex/git-codex/prompt"
)

// Result describes one exchange with the model: the stored turn and answer.
type Result struct {
	Session string `json:"session"`
	Topic   string `json:"topic"`
	Turn    string `json:"turn"`
	Answer  string `json:"answer"` // id of the answer record
	Text    string `json:"text"`
	Model   string `json:"model"`
	// Status is StatusComplete, StatusIncomplete or StatusError.
	Status     string      `json:"status"`
	ResponseID string      `json:"response_id,omitempty"`
	Usage      model.Usage `json:"usage"`
	BytesSent  int         `json:"bytes_sent"`
	// Restarted is set when the provider had forgotten the session and the
	// context was rebuilt from git.
	Restarted bool `json:"restarted,omitempty"`
	// Changes are the change records of the turn: what the model's edits
	// did to the work tree (applied, failed or refused).
	Changes []Record `json:"changes,omitempty"`
	// unasked counts the edits refused because no one could be asked.
	unasked int
}

// exchange is one request to send within a session.
type exchange struct {
	// text is the user's message as stored in the turn record.
	text string
	// fresh sends without previous_response_id or history (the first turn).
	fresh bool
	// engine, when set and not the session's, switches the session to it
	// (an engine event stored with the turn); the request restarts from the
	// git transcript.
	engine string
	// mode is what the model may do in this turn (the zero Mode: read only,
	// as close and compact ask); when it is not the session's, a sandbox
	// event is stored with the turn and the session keeps it.
	mode Mode
	// early is Codex started for the turn before the session was read
	// (startEarly), or nil; the codex backend runs the turn in it if it
	// was started for the right request.
	early *codexcli.Process
}

// nextMode works out the mode of a session's next turn from a request and
// reports a configured default that could not raise it.
func (e *Engine) nextMode(s *Session, r ModeRequest) Mode {
	next, note := r.Follow(s.Mode())
	if note != "" {
		e.notify(EventMode, s, "session "+text.ShortID(s.ID)+": "+note)
	}
	e.noteNever(s, r, next)
	return next
}

// noteNever says that an approval policy of never asked for in read-only
// does nothing (it is kept for when the sandbox is raised).
func (e *Engine) noteNever(s *Session, r ModeRequest, m Mode) {
	if r.Approval == ApprovalNever && !m.CanEdit() {
		e.notify(EventMode, s, "--approval never only matters with --sandbox workspace-write; the session is read-only")
	}
}

// SendError is returned when a request failed after the user's message was
// stored as a turn record: nothing typed is lost, and the next reply sends
// it along. It wraps the cause (model's and this package's sentinels).
type SendError struct {
	// Turn is the id of the stored turn record.
	Turn string
	Err  error
}

func (e *SendError) Error() string { return "send turn " + text.ShortID(e.Turn) + ": " + e.Err.Error() }
func (e *SendError) Unwrap() error { return e.Err }

// send is the reply flow (SPEC §7), after the session has been resolved,
// the same for every engine: store the user's message as a turn record
// first, let the session's backend send it (streaming the answer to the
// Output, restarting from git when the engine forgot the conversation),
// store the answer and what came along attached to HEAD.
func (e *Engine) send(ctx context.Context, s *Session, x exchange) (Result, error) {
	res := Result{Session: s.ID, Topic: s.Topic}
	// The configured key never travels in a message (a pasted key, or a
	// failing command that printed it): not to the model, not into notes.
	x.text = e.scrubKey(x.text)
	engine := s.Engine()
	switchEngine := x.engine != "" && x.engine != engine && !x.fresh
	if switchEngine {
		engine = x.engine
	}
	if engine == EngineCodex {
		if err := checkCodexMode(x.mode); err != nil {
			return res, err
		}
	}
	b, err := e.backend(engine, s.Open.Model)
	if err != nil {
		return res, err
	}
	target, err := e.head()
	if err != nil {
		return res, err
	}
	patchID := e.patchID(ctx, s, target)

	// 1. The user's message is stored before anything is sent: the backend
	// calls t.storeTurn before it sends (or lets Codex read the prompt).
	t := &turnCtx{e: e, s: s, x: x, target: target, out: e.output(), patchID: patchID}
	t.turn = e.record(KindTurn, s)
	t.turn.Commit, t.turn.Parent, t.turn.Text = target, s.LastTurnID(), x.text
	t.turn.PatchID = patchID.known
	if x.mode.Sandbox != "" && !x.fresh && x.mode != s.Mode() {
		// Stored with the turn: the session keeps its new mode.
		ev := e.record(KindEvent, s)
		ev.Commit, ev.Turn, ev.Event = target, t.turn.ID, RecordSandbox
		ev.Sandbox, ev.Approval = x.mode.Sandbox, x.mode.Approval
		ev.Text = "sandbox " + x.mode.String() + " (was " + s.Mode().String() + ")"
		t.with = append(t.with, ev)
		e.notify(EventMode, s, "session "+text.ShortID(s.ID)+": "+ev.Text)
	}
	if switchEngine {
		// Stored with the turn: the request restarts from the transcript,
		// and later requests continue from its answer.
		ev := e.record(KindEvent, s)
		ev.Commit, ev.Turn, ev.Event, ev.Engine = target, t.turn.ID, RecordEngine, engine
		ev.Text = "engine changed from " + s.Engine() + " to " + engine + "; context rebuilt from the git transcript"
		t.with = append(t.with, ev)
		e.notify(EventRestart, s, fmt.Sprintf("session %s: switching from the %s engine to %s; rebuilding its context from git",
			text.ShortID(s.ID), s.Engine(), engine))
	}

	// 2. and 3. Render the request and send it, through the engine.
	rep, sendErr := b.turn(ctx, t)
	if !t.stored {
		// Nothing was sent: the message could not be stored, or the
		// request was refused before (a mode the engine cannot carry out).
		return res, sendErr
	}
	res.Turn, res.Restarted = t.turn.ID, t.restarted

	// 4. Store what the model said, even when the request failed half way
	// (unless the backend stored it already).
	storeCtx := ctx
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		storeCtx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
	}
	t.finish(storeCtx, rep, sendErr)
	rep = t.rep
	if err := t.finishErr; err != nil {
		if sendErr != nil {
			return res, &SendError{Turn: t.turn.ID, Err: errors.Join(sendErr, err)}
		}
		return res, &SendError{Turn: t.turn.ID, Err: err}
	}
	a := t.answer
	res.Answer, res.Status = a.ID, a.Status
	res.Text, res.Model, res.ResponseID = rep.Text, rep.Model, rep.ID
	res.Usage, res.BytesSent = rep.Usage, rep.BytesSent
	res.Changes, res.unasked = rep.changes, rep.unasked
	// Keep the in-memory view current for callers that continue (fix loop, close).
	s.Turns = append(s.Turns, Turn{Record: t.turn, Changes: rep.changes, Answer: &a})
	for _, r := range rep.records {
		if r.Kind == KindEvent {
			s.Events = append(s.Events, r)
		}
	}
	if sendErr != nil {
		if errors.Is(sendErr, context.Canceled) || errors.Is(ctx.Err(), context.Canceled) {
			// The front end says "interrupted" once; nothing more here.
			return res, &SendError{Turn: t.turn.ID, Err: fmt.Errorf("%w (%w)", context.Canceled, ErrInterrupted)}
		}
		return res, &SendError{Turn: t.turn.ID, Err: sendErr}
	}
	return res, nil
}

// answerRecords turns what the engine sent back into the answer record
// (and a fallback event when another model answered).
func (e *Engine) answerRecords(s *Session, target, turnID string, rep reply, sendErr error) []Record {
	var recs []Record
	if rep.Model != "" && s.Open.Model != "" && rep.Model != s.Open.Model && sendErr == nil {
		ev := e.record(KindEvent, s)
		ev.Commit, ev.Turn, ev.Event, ev.Model = target, turnID, RecordFallback, rep.Model
		ev.Text = "model " + s.Open.Model + " not available; answered by " + rep.Model
		recs = append(recs, ev)
	}
	a := e.record(KindAnswer, s)
	a.Commit, a.Turn = target, turnID
	a.Model = rep.Model
	if a.Model == "" {
		a.Model = s.Open.Model
	}
	a.Text, a.ResponseID, a.BytesSent = rep.Text, rep.ID, rep.BytesSent
	a.Thread, a.ThreadUsage, a.Steps, a.Seen = rep.thread, rep.threadUsage, rep.steps, rep.seen
	if u := rep.Usage; u != (model.Usage{}) {
		a.Usage = &Usage{Input: u.Input, Cached: u.Cached, Output: u.Output}
	}
	for _, c := range rep.ToolCalls {
		a.ToolCalls = append(a.ToolCalls, ToolCall{Name: c.Name, Args: c.Args, Result: e.redactor().Clip(c.Result, 2048, "\n[… truncated]"), Error: c.Error})
	}
	switch {
	case sendErr != nil && (rep.Text != "" || rep.Incomplete):
		a.Status, a.Error = StatusIncomplete, sendErr.Error()
	case sendErr != nil:
		a.Status, a.Error = StatusError, sendErr.Error()
	case rep.Incomplete:
		a.Status = StatusIncomplete
	default:
		a.Status = StatusComplete
	}
	return append(recs, a)
}

// request renders the model request for x. restart is set, saying why,
// when the request had to restart from the git transcript although a chain
// exists, because the chain misses some of the session's turns.
func (e *Engine) request(s *Session, x exchange) (req model.Request, restart string, err error) {
	req = model.Request{
		Instructions:  instructions(s, x.mode),
		Input:         x.text,
		MaxToolRounds: e.MaxToolRounds,
	}
	if x.fresh {
		return req, "", nil
	}
	switch model.Engine(s.Engine()) {
	case model.EngineChat:
		req.History = history(s) // every turn from git, forks included
	default:
		prev, at := s.chainID()
		why := ""
		if unseen := s.unseen(at); prev != "" && len(unseen) > 0 {
			restart = unseenReason(s, unseen, at)
			prev, why = "", restart
		}
		if prev == "" {
			// Nothing to chain from (the session was compacted or moved to
			// this engine, or every earlier request failed): start again
			// from git, telling the model why.
			if why == "" {
				why = s.noChainReason()
			}
			req.Input = e.rebuild(s, x.text, why)
			break
		}
		req.PreviousResponseID = prev
		// Messages after the chained answer that never got an answer with an
		// id are unknown to the provider: send them along.
		req.Input = pendingInput(s, at, x.text, func(a *Record) bool { return a.ResponseID != "" })
	}
	return req, restart, nil
}

// unseenReason says in a few words which turns the model has not seen and
// why: "turns 2 and 3 were replies to the same turn (run at the same time,
// or in two clones)".
func unseenReason(s *Session, unseen []int, at int) string {
	u := unseen[0]
	other := s.ForkOf(u)
	for i := u + 1; other == 0 && i < len(s.Turns); i++ {
		if s.ForkOf(i) == u+1 {
			other = i + 1
		}
	}
	n := countNoun(len(unseen), "turn")
	if other != 0 {
		return fmt.Sprintf("turns %d and %d were replies to the same turn (a fork: run at the same time, or in two clones); %s not in the model's memory",
			min(u+1, other), max(u+1, other), n)
	}
	return fmt.Sprintf("%s answered elsewhere (another clone or engine) since turn %d", n, at+1)
}

func countNoun(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return itoa(n) + " " + noun + "s"
}

// instructions renders the session's instruction block from data fixed when
// the session was opened and the turn's mode, so it is identical byte for
// byte on every request while the user leaves the mode alone.
func instructions(s *Session, m Mode) string {
	return prompt.Instructions(prompt.InstructionOptions{
		Topic:        s.Topic,
		ContextFiles: s.Open.Context,
		Tools:        !s.Inline,
		Edit:         m.CanEdit(),
	})
}

// whyExpired is why a request restarts when the provider answered that it
// does not know the previous response.
const whyExpired = "the provider no longer has its stored state (the previous response expired or was deleted)"

// noChainReason says why no request of s can continue a chain at the
// provider (chainID found none), as a clause for the restart message.
func (s *Session) noChainReason() string {
	for i := len(s.Turns) - 1; i >= 0; i-- {
		a := s.Turns[i].Answer
		if a == nil || a.ResponseID == "" {
			continue
		}
		if c := s.Compaction(); c != nil && recordAfter(*c, *a) {
			return "the conversation was compacted: the earlier turns are replaced by a summary"
		}
		if ev := s.engineSwitch(); ev != nil && recordAfter(*ev, *a) {
			return "the session moved to the " + ev.Engine + " engine, which holds none of its earlier state"
		}
		break
	}
	return "no earlier request of this session got an answer the provider kept (the first turn failed)"
}

// transcript returns turns, a run of s.Turns, for prompt.Rebuild: numbered
// as show numbers them, a turn that replied to an earlier one than the turn
// before it (a fork) marked with the number of the one it replied to.
func transcript(s *Session, turns []Turn) []prompt.Turn {
	num := make(map[string]int, len(s.Turns))
	for i, t := range s.Turns {
		num[t.Record.ID] = i + 1
	}
	out := make([]prompt.Turn, 0, len(turns))
	for i, t := range turns {
		pt := prompt.Turn{User: t.Record.Text, N: num[t.Record.ID]}
		if t.Answer != nil {
			pt.Answer = t.Answer.Text
		}
		if p := t.Record.Parent; i > 0 && p != "" && p != turns[i-1].Record.ID && inTurns(turns[:i], p) {
			pt.ReplyTo = num[p]
		}
		out = append(out, pt)
	}
	return out
}

func inTurns(turns []Turn, id string) bool {
	for _, t := range turns {
		if t.Record.ID == id {
			return true
		}
	}
	return false
}

// rebuild returns the restart message: the first message and the transcript
// from git (older turns replaced by the compaction summary), saying why it
// restarts, then text.
func (e *Engine) rebuild(s *Session, text, why string) string {
	summary := ""
	turns := s.Turns
	if c := s.Compaction(); c != nil && s.turnIndex(c.Through) >= 0 {
		// Keep the first message (it holds the context references), the
		// summary of what came after it, and the turns after the compaction.
		summary = c.Text
		turns = append([]Turn{s.Turns[0]}, s.recent()...)
	}
	rebuilt := prompt.Rebuild(transcript(s, turns), summary, why)
	if text == "" {
		return rebuilt
	}
	return rebuilt + "\n\n" + text
}

// history replays the chat history from git: the first message, the
// compaction summary, then the turns after it. Consecutive messages of the
// same role (a turn whose answer was lost) are joined.
func history(s *Session) []model.Message {
	var msgs []model.Message
	add := func(role model.Role, text string) {
		if text == "" {
			return
		}
		if n := len(msgs); n > 0 && msgs[n-1].Role == role {
			msgs[n-1].Content += "\n\n" + text
			return
		}
		msgs = append(msgs, model.Message{Role: role, Content: text})
	}
	turns := s.Turns
	if c := s.Compaction(); c != nil && s.turnIndex(c.Through) >= 0 && len(s.Turns) > 0 {
		add(model.RoleUser, s.Turns[0].Record.Text)
		add(model.RoleAssistant, "Summary of our conversation so far:\n\n"+c.Text)
		turns = s.recent()
	}
	for _, t := range turns {
		add(model.RoleUser, t.Record.Text)
		if t.Answer != nil {
			add(model.RoleAssistant, t.Answer.Text)
		}
	}
	return msgs
}

// historyBytes estimates the size of a chat replay.
func historyBytes(msgs []model.Message) int {
	n := 0
	for _, m := range msgs {
		n += len(m.Content) + 16
	}
	return n
}

// pendingPatchID is the patch-id of the commit a turn attaches to: known at
// once when an earlier record of the session on the same commit has it,
// otherwise computed while the model answers, so that records remember it
// (reattach finds them after cherry-picks and squash merges) without adding
// to the reply's latency.
type pendingPatchID struct {
	known string
	ch    chan string
}

// wait returns the patch-id, or "" when it could not be had in time.
func (p pendingPatchID) wait(ctx context.Context) string {
	if p.known != "" || p.ch == nil {
		return p.known
	}
	select {
	case id := <-p.ch:
		return id
	case <-ctx.Done():
		return ""
	case <-time.After(5 * time.Second):
		return ""
	}
}

// patchIDer is implemented by repositories that can compute patch-ids
// (*gitstore.Repo does).
type patchIDer interface {
	PatchID(ctx context.Context, commit string) (string, error)
}

func (e *Engine) patchID(ctx context.Context, s *Session, target string) pendingPatchID {
	if target == gitstore.EmptyTree {
		return pendingPatchID{}
	}
	for i := len(s.Turns) - 1; i >= 0; i-- {
		t := s.Turns[i]
		for _, r := range []*Record{&t.Record, t.Answer} {
			if r != nil && r.Commit == target && r.PatchID != "" {
				return pendingPatchID{known: r.PatchID}
			}
		}
	}
	if s.Open.Commit == target && s.Open.PatchID != "" {
		return pendingPatchID{known: s.Open.PatchID}
	}
	p, ok := e.Repo.(patchIDer)
	if !ok {
		return pendingPatchID{}
	}
	ch := make(chan string, 1)
	go func() {
		id, _ := p.PatchID(context.WithoutCancel(ctx), target)
		ch <- id
	}()
	return pendingPatchID{ch: ch}
}
