package session

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/git-codex/git-codex/codexcli"
	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/prompt"
)

// Starting Codex before the session is read.
//
// A reply of a codex-engine session runs `codex exec resume <thread>` with
// the session's thread, running usage, model and mode: all of it known
// when the previous turn ended. That turn writes it down (codexNext), and
// the next reply starts Codex with it first thing, while it reads the
// session and stores the user's message (Codex spends ~40 ms starting up
// before it reads its prompt). Once the session is read, the turn's real
// request is worked out as always; the early Codex gets the prompt only when
// it was started for exactly that request (codexcli.Process.Matches), and
// is stopped unread otherwise. The file is a guess, never trusted: a wrong
// or stale one costs a Codex start, not a wrong turn.

// codexNext is what the next reply of a topic's codex session is expected
// to ask of Codex, as its last turn left it.
type codexNext struct {
	Topic   string `json:"topic"`
	Session string `json:"session"`
	// Heads are the topic's notes refs once the turn's answer was stored
	// (gitstore.NotesStore.Sources): a file whose heads moved since is not
	// used.
	Heads    []gitstore.NotesSource `json:"heads"`
	Thread   string                 `json:"thread"`
	Prior    codexcli.Usage         `json:"prior"`
	Model    string                 `json:"model,omitempty"`
	Sandbox  string                 `json:"sandbox"`
	Approval string                 `json:"approval"`
}

// codexNextFile is the cache file of topic's codexNext: one per topic, so
// that parallel sessions on other topics do not overwrite it.
func codexNextFile(topic string) string {
	h := fnv.New64a()
	h.Write([]byte(topic))
	return fmt.Sprintf("codex-next-%016x", h.Sum64())
}

// saveCodexNext writes down the request the session's next reply will
// make, after a completed turn of thread with running usage prior was
// stored and left the topic's notes refs at heads. Failing to is not an
// error: the next reply only starts later.
func (e *Engine) saveCodexNext(s *Session, heads []gitstore.NotesSource, mode Mode, thread string, prior codexcli.Usage) {
	st, ok := e.Store.(indexStore)
	if !ok || heads == nil || thread == "" || mode.Sandbox == "" {
		return
	}
	n := codexNext{Topic: s.Topic, Session: s.ID, Heads: heads, Thread: thread, Prior: prior,
		Model: s.Open.Model, Sandbox: mode.Sandbox, Approval: mode.Approval}
	data, err := json.Marshal(n)
	if err != nil {
		return
	}
	_ = st.WriteCache(codexNextFile(s.Topic), data)
}

// loadCodexNext returns the codexNext of topic while the topic's notes are
// where that turn left them.
func (e *Engine) loadCodexNext(ctx context.Context, topic string) (codexNext, bool) {
	st, ok := e.Store.(indexStore)
	if !ok || topic == "" {
		return codexNext{}, false
	}
	data, err := st.ReadCache(codexNextFile(topic))
	if err != nil {
		return codexNext{}, false
	}
	var n codexNext
	if json.Unmarshal(data, &n) != nil || n.Topic != topic || n.Thread == "" {
		return codexNext{}, false
	}
	srcs, err := st.Sources(ctx, topic)
	if err != nil || !slices.Equal(srcs[topic], n.Heads) {
		return codexNext{}, false
	}
	return n, true
}

// startEarly starts Codex for the reply opt as the topic's last Codex turn
// foresaw it, holding the prompt back; nil when there is no such guess for
// this reply, or Codex cannot start. The caller runs the turn in it or
// stops it.
func (e *Engine) startEarly(ctx context.Context, opt ReplyOptions) *codexcli.Process {
	if opt.Engine != "" && opt.Engine != EngineCodex {
		return nil
	}
	n, ok := e.loadCodexNext(ctx, opt.Topic)
	if !ok || (opt.Session != "" && !upperPrefix(n.Session, strings.ToUpper(opt.Session))) {
		return nil
	}
	mode, _ := opt.Mode.Follow(Mode{Sandbox: n.Sandbox, Approval: n.Approval})
	if checkCodexMode(mode) != nil {
		return nil
	}
	b := &codexBackend{e: e, model: n.Model}
	bin, err := b.binary(ctx)
	if err != nil {
		return nil
	}
	// The text is replyExchange's, scrubbed as send scrubs it.
	plan := codexPlan{thread: n.Thread, prior: n.Prior, prompt: e.scrubKey(prompt.Reply(opt.Message))}
	p, err := codexcli.Start(ctx, b.requestFor(bin, mode, plan))
	if err != nil {
		return nil
	}
	return p
}
