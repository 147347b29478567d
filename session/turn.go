package session

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/git-codex/git-codex/internal/text"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/model"
	"github.com/git-codex/git-codex/prompt"
	"github.com/git-codex/git-codex/worktree"
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

// send is the reply flow (SPEC §7), after the session has been resolved:
// store the user's message as a turn record first, render the request, send
// it streaming the answer to the Output, recover from a forgotten session, store
// the answer attached to HEAD.
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
	client, err := e.client(engine, s.Open.Model)
	if err != nil {
		return res, err
	}
	target, err := e.head()
	if err != nil {
		return res, err
	}
	patchID := e.patchID(ctx, s, target)

	// 1. The user's message is stored before anything is sent.
	turn := e.record(KindTurn, s)
	turn.Commit, turn.Parent, turn.Text = target, s.LastTurnID(), x.text
	turn.PatchID = patchID.known
	recs := []Record{turn}
	if x.mode.Sandbox != "" && !x.fresh && x.mode != s.Mode() {
		// Stored with the turn: the session keeps its new mode.
		ev := e.record(KindEvent, s)
		ev.Commit, ev.Turn, ev.Event = target, turn.ID, RecordSandbox
		ev.Sandbox, ev.Approval = x.mode.Sandbox, x.mode.Approval
		ev.Text = "sandbox " + x.mode.String() + " (was " + s.Mode().String() + ")"
		recs = append(recs, ev)
		e.notify(EventMode, s, "session "+text.ShortID(s.ID)+": "+ev.Text)
	}
	if switchEngine {
		// Stored with the turn: the request below restarts from the
		// transcript, and later requests chain from its answer.
		ev := e.record(KindEvent, s)
		ev.Commit, ev.Turn, ev.Event, ev.Engine = target, turn.ID, RecordEngine, engine
		ev.Text = "engine changed from " + s.Engine() + " to " + engine + "; context rebuilt from the git transcript"
		recs = append(recs, ev)
		e.notify(EventRestart, s, fmt.Sprintf("session %s: switching from the %s engine to %s; rebuilding its context from git",
			text.ShortID(s.ID), s.Engine(), engine))
	}
	if err := e.append(ctx, s.Topic, target, recs...); err != nil {
		return res, fmt.Errorf("store turn: %w", err)
	}
	res.Turn = turn.ID
	s.Events = append(s.Events, recs[1:]...)
	e.output().Event(Event{Kind: EventTurn, Session: s.ID, Turn: turn.ID})

	// A chat session whose replay outgrew the threshold is compacted first
	// (after the message is stored: an interrupted compaction loses nothing;
	// s.Turns does not hold the new turn yet, so the summary covers the
	// turns before it).
	var sendErr error
	if s.Engine() == string(model.EngineChat) && !x.fresh {
		sendErr = e.autoCompact(ctx, s, client)
	}

	// 2. Render the request: the same instructions, only the new text,
	// and the tools of the turn's mode. A re-read of a file the model
	// still has in its context (a chained request) is answered in a line.
	req, restart, err := e.request(s, x)
	if err != nil {
		return res, err
	}
	tctx, quit := context.WithCancel(ctx) // an approval's "quit" ends the turn
	defer quit()
	var prior []worktree.SeenEntry
	if req.PreviousResponseID != "" {
		_, at := s.chainID()
		prior = s.priorSeen(at)
	}
	out := e.output()
	ws, err := e.newWorkspace(s, x.mode, turn.ID, len(s.Turns)+1, target, prior, out, quit)
	if err != nil {
		return res, err
	}
	if !s.Inline {
		ws.apply(&req)
	}
	if restart != "" {
		// The chain misses turns (a fork, or replies from another clone):
		// restart from the whole transcript so the model sees every turn.
		e.notify(EventRestart, s, "session "+text.ShortID(s.ID)+": "+restart+"; rebuilding its context from git")
		ev := e.record(KindEvent, s)
		ev.Commit, ev.Turn, ev.Event = target, turn.ID, RecordRestart
		ev.Text = restart + "; context rebuilt from the git transcript"
		if err := e.append(ctx, s.Topic, target, ev); err != nil {
			return res, fmt.Errorf("store restart event: %w", err)
		}
		res.Restarted = true
	}

	// 3. Send it, streaming the answer (unless no request could succeed:
	// the message is stored all the same, with the error as its answer).
	var resp model.Response
	if sendErr == nil {
		sendErr = e.checkConfig()
	}
	if sendErr == nil {
		resp, sendErr = e.stream(tctx, client, req, true, s.Open.Model)
	}
	if errors.Is(sendErr, model.ErrPreviousNotFound) {
		// The provider forgot the session: rebuild it from git and resend.
		e.notify(EventRestart, s, "the provider no longer knows this session; restarting it with the context rebuilt from git")
		ev := e.record(KindEvent, s)
		ev.Commit, ev.Turn, ev.Event = target, turn.ID, RecordRestart
		ev.Text = "previous response " + req.PreviousResponseID + " not found; context rebuilt from the git transcript"
		if err := e.append(ctx, s.Topic, target, ev); err != nil {
			return res, fmt.Errorf("store restart event: %w", err)
		}
		req.PreviousResponseID = ""
		req.Input = e.rebuild(s, x.text, whyExpired)
		res.Restarted = true
		// The rebuilt context holds no file the model read.
		if err := ws.reset(nil); err != nil {
			return res, err
		}
		if !s.Inline {
			ws.apply(&req)
		}
		sent := resp.BytesSent
		resp, sendErr = e.stream(tctx, client, req, true, s.Open.Model)
		resp.BytesSent += sent
	}

	// 4. Store what the model said, even when the request failed half way.
	storeCtx := ctx
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		storeCtx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
	}
	recs = e.answerRecords(s, target, turn.ID, resp, sendErr)
	recs[len(recs)-1].PatchID = patchID.wait(storeCtx)
	recs[len(recs)-1].Seen = ws.takeSeen(storeCtx)
	if len(recs) > 0 {
		if err := e.append(storeCtx, s.Topic, target, recs...); err != nil {
			if sendErr != nil {
				return res, &SendError{Turn: turn.ID, Err: errors.Join(sendErr, fmt.Errorf("store answer: %w", err))}
			}
			return res, &SendError{Turn: turn.ID, Err: fmt.Errorf("store answer: %w", err)}
		}
		a := recs[len(recs)-1]
		res.Answer, res.Status = a.ID, a.Status
		e.output().Event(Event{Kind: EventAnswered, Session: s.ID, Turn: turn.ID, Model: a.Model, Usage: a.Usage})
	}
	res.Text, res.Model, res.ResponseID = resp.Text, resp.Model, resp.ID
	res.Usage, res.BytesSent = resp.Usage, resp.BytesSent
	res.Changes, res.unasked = ws.changes, ws.unasked
	// Keep the in-memory view current for callers that continue (fix loop, close).
	s.Turns = append(s.Turns, Turn{Record: turn, Changes: ws.changes})
	if len(recs) > 0 {
		a := recs[len(recs)-1]
		s.Turns[len(s.Turns)-1].Answer = &a
	}
	if sendErr != nil {
		if errors.Is(sendErr, context.Canceled) || errors.Is(ctx.Err(), context.Canceled) {
			// The front end says "interrupted" once; nothing more here.
			return res, &SendError{Turn: turn.ID, Err: fmt.Errorf("%w (%w)", context.Canceled, ErrInterrupted)}
		}
		return res, &SendError{Turn: turn.ID, Err: sendErr}
	}
	return res, nil
}

// answerRecords turns the model's response into the answer record (and a
// fallback event when another model answered).
func (e *Engine) answerRecords(s *Session, target, turnID string, resp model.Response, sendErr error) []Record {
	var recs []Record
	if resp.Model != "" && s.Open.Model != "" && resp.Model != s.Open.Model && sendErr == nil {
		ev := e.record(KindEvent, s)
		ev.Commit, ev.Turn, ev.Event, ev.Model = target, turnID, RecordFallback, resp.Model
		ev.Text = "model " + s.Open.Model + " not available; answered by " + resp.Model
		recs = append(recs, ev)
	}
	a := e.record(KindAnswer, s)
	a.Commit, a.Turn = target, turnID
	a.Model = resp.Model
	if a.Model == "" {
		a.Model = s.Open.Model
	}
	a.Text, a.ResponseID, a.BytesSent = resp.Text, resp.ID, resp.BytesSent
	if u := resp.Usage; u != (model.Usage{}) {
		a.Usage = &Usage{Input: u.Input, Cached: u.Cached, Output: u.Output}
	}
	for _, c := range resp.ToolCalls {
		a.ToolCalls = append(a.ToolCalls, ToolCall{Name: c.Name, Args: c.Args, Result: e.redactor().Clip(c.Result, 2048, "\n[… truncated]"), Error: c.Error})
	}
	switch {
	case sendErr != nil && (resp.Text != "" || resp.Incomplete):
		a.Status, a.Error = StatusIncomplete, sendErr.Error()
	case sendErr != nil:
		a.Status, a.Error = StatusError, sendErr.Error()
	case resp.Incomplete:
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
		var pending []string
		for _, t := range s.Turns[at+1:] {
			if t.Answer == nil || t.Answer.ResponseID == "" {
				pending = append(pending, t.Record.Text)
			}
		}
		if len(pending) > 0 {
			req.Input = "Earlier messages that were not answered:\n\n" + strings.Join(pending, "\n\n---\n\n") + "\n\n---\n\n" + x.text
		}
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
