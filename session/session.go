package session

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/git-codex/git-codex/internal/text"

	"github.com/git-codex/git-codex/gitstore"
)

// Session is one session as read back from its records.
type Session struct {
	ID    string
	Topic string
	// Open is the KindSession record: engine, model, title, task, context files.
	Open Record
	// Inline reports that the session sends file contents inline and offers
	// the model no tools (--inline-context).
	Inline bool
	// Turns are the user's messages oldest first, each with its answer.
	Turns []Turn
	// Summaries are the KindSummary records oldest first: compactions (with
	// Through set) and the closing summary.
	Summaries []Record
	// Events are the KindEvent records oldest first.
	Events []Record
	// Closed is set once a KindClose record exists.
	Closed bool
	// Forks counts turns that share their parent with an earlier turn
	// (concurrent replies from two clones).
	Forks int
	// Remote names the remote whose fetched notes alone hold the session
	// (a teammate's session read from refs/notes/remotes/<remote>/…); ""
	// when some of its records are in the local topic ref. A reply makes
	// it local: the new turn is written to the local ref.
	Remote string
}

// Turn is one user message and the newest answer to it.
type Turn struct {
	Record Record
	// Answer is nil when no answer was stored (the request failed before
	// anything was stored, or the process was killed).
	Answer *Record
	// Changes are the turn's KindChange records (the edit tool's
	// operations: applied, failed or refused), oldest first.
	Changes []Record
	// Undone are the KindChange records of an undo of the turn, and
	// UndoneBy its undo event; nil when the turn was not undone.
	Undone   []Record
	UndoneBy *Record
}

// Applied returns the turn's applied changes.
func (t Turn) Applied() []Record {
	var out []Record
	for _, c := range t.Changes {
		if c.Status == ChangeApplied {
			out = append(out, c)
		}
	}
	return out
}

// Engine returns the engine the session talks through: the newest engine
// event's (reply --engine), else the one it was opened with.
func (s *Session) Engine() string {
	if ev := s.engineSwitch(); ev != nil {
		return ev.Engine
	}
	return s.Open.Engine
}

// engineSwitch returns the newest engine event, or nil.
func (s *Session) engineSwitch() *Record {
	for i := len(s.Events) - 1; i >= 0; i-- {
		if s.Events[i].Event == RecordEngine && s.Events[i].Engine != "" {
			return &s.Events[i]
		}
	}
	return nil
}

// LastTurnID returns the id of the newest turn, "" before the first.
func (s *Session) LastTurnID() string {
	if len(s.Turns) == 0 {
		return ""
	}
	return s.Turns[len(s.Turns)-1].Record.ID
}

// Compaction returns the newest compaction summary, or nil.
func (s *Session) Compaction() *Record {
	for i := len(s.Summaries) - 1; i >= 0; i-- {
		if s.Summaries[i].Through != "" {
			return &s.Summaries[i]
		}
	}
	return nil
}

// Summary returns the closing summary (the newest summary without Through), or nil.
func (s *Session) Summary() *Record {
	for i := len(s.Summaries) - 1; i >= 0; i-- {
		if s.Summaries[i].Through == "" {
			return &s.Summaries[i]
		}
	}
	return nil
}

// turnIndex returns the index of turn id in s.Turns, or -1.
func (s *Session) turnIndex(id string) int {
	for i, t := range s.Turns {
		if t.Record.ID == id {
			return i
		}
	}
	return -1
}

// recent returns the turns after the newest compaction (all turns without one).
func (s *Session) recent() []Turn {
	c := s.Compaction()
	if c == nil {
		return s.Turns
	}
	return s.Turns[s.turnIndex(c.Through)+1:]
}

// chainID returns the response id the next responses-engine request chains
// from, and the index of the turn it answered. It is "" when the session has
// no answer with an id yet, or when a compaction or an engine switch is newer
// than that answer: then the next request restarts from the context rebuilt
// from git.
func (s *Session) chainID() (string, int) {
	for i := len(s.Turns) - 1; i >= 0; i-- {
		a := s.Turns[i].Answer
		if a == nil || a.ResponseID == "" {
			continue
		}
		if c := s.Compaction(); c != nil && recordAfter(*c, *a) {
			return "", -1
		}
		if ev := s.engineSwitch(); ev != nil && recordAfter(*ev, *a) {
			return "", -1
		}
		return a.ResponseID, i
	}
	return "", -1
}

// unseen returns the indexes of the turns up to and including at that the
// provider's chain ending with turn at's answer has not seen: turns that
// are not its ancestors (following Parent) — a fork, or a turn answered by
// another clone. A turn whose request restarted from the git transcript (a
// restart or engine event names it) saw every earlier turn; so did the first request
// after a compaction, for the turns the summary covers.
func (s *Session) unseen(at int) []int {
	if at < 0 || at >= len(s.Turns) {
		return nil
	}
	restarted := map[string]bool{}
	for _, ev := range s.Events {
		if (ev.Event == RecordRestart || ev.Event == RecordEngine) && ev.Turn != "" {
			restarted[ev.Turn] = true
		}
	}
	index := make(map[string]int, len(s.Turns))
	for i, t := range s.Turns {
		index[t.Record.ID] = i
	}
	seen := make([]bool, len(s.Turns))
	barrier := 0 // every turn before it was seen
	if c := s.Compaction(); c != nil {
		barrier = s.turnIndex(c.Through) + 1
	}
	for i := at; ; {
		seen[i] = true
		if restarted[s.Turns[i].Record.ID] {
			barrier = max(barrier, i)
			break
		}
		j, ok := index[s.Turns[i].Record.Parent]
		if !ok || seen[j] {
			break
		}
		i = j
	}
	var out []int
	for i := barrier; i <= at; i++ {
		if !seen[i] {
			out = append(out, i)
		}
	}
	return out
}

// ForkOf returns the number (1-based) of the earliest turn that shares the
// parent of s.Turns[i] (0-based), or 0 when that turn is not a fork: two
// clones replied to the same turn.
func (s *Session) ForkOf(i int) int {
	if i < 0 || i >= len(s.Turns) {
		return 0
	}
	for j := 0; j < i; j++ {
		if s.Turns[j].Record.Parent == s.Turns[i].Record.Parent {
			return j + 1
		}
	}
	return 0
}

func recordAfter(a, b Record) bool {
	if a.Time != b.Time {
		return a.Time > b.Time
	}
	return a.ID > b.ID
}

// build assembles the session id from the records of one topic.
func build(id string, recs []Record) (*Session, error) {
	s := &Session{ID: id}
	found, local := false, false
	answers := map[string]*Record{}
	changes := map[string][]Record{}
	undone := map[string][]Record{}
	undos := map[string]*Record{}
	parents := map[string]bool{}
	for _, r := range recs {
		if r.Session != id {
			continue
		}
		if r.Remote == "" {
			local = true
		} else if s.Remote == "" {
			s.Remote = r.Remote
		}
		switch r.Kind {
		case KindSession:
			if !found {
				s.Open, found = r, true
				s.Topic = r.Topic
			}
		case KindTurn:
			if parents[r.Parent] {
				s.Forks++
			}
			parents[r.Parent] = true
			s.Turns = append(s.Turns, Turn{Record: r})
		case KindAnswer:
			a := r
			answers[r.Turn] = &a // records are sorted: the newest answer wins
		case KindSummary:
			s.Summaries = append(s.Summaries, r)
		case KindClose:
			s.Closed = true
		case KindEvent:
			s.Events = append(s.Events, r)
			if r.Event == RecordInline {
				s.Inline = true
			}
			if r.Event == RecordUndo && r.Turn != "" {
				u := r
				undos[r.Turn] = &u
			}
		case KindChange:
			if r.Undo != "" {
				undone[r.Undo] = append(undone[r.Undo], r)
			} else {
				changes[r.Turn] = append(changes[r.Turn], r)
			}
		}
	}
	if !found {
		return nil, fmt.Errorf("read session %s: %w", id, ErrNoSession)
	}
	if local {
		s.Remote = ""
	}
	for i := range s.Turns {
		id := s.Turns[i].Record.ID
		s.Turns[i].Answer = answers[id]
		s.Turns[i].Changes = changes[id]
		s.Turns[i].Undone, s.Turns[i].UndoneBy = undone[id], undos[id]
	}
	return s, nil
}

// Load returns a session: with prefix "", the newest session of topic; else
// the session whose id starts with prefix, searched across all topics.
// Returns ErrNoSession when there is none and ErrAmbiguous (listing the
// candidates) when the prefix matches several.
//
// With both a topic and a prefix, the session must belong to that topic:
// otherwise ErrWrongTopic, naming both topics.
func (e *Engine) Load(ctx context.Context, topic, prefix string) (*Session, error) {
	if prefix != "" {
		s, err := e.loadPrefix(ctx, prefix)
		if err == nil && topic != "" && s.Topic != topic {
			return nil, fmt.Errorf("find session %q in topic %q: %w: %s is on topic %q", prefix, topic, ErrWrongTopic, text.ShortID(s.ID), s.Topic)
		}
		return s, err
	}
	if ix, st, ok := e.sessionIndex(); ok {
		srcs, err := st.Sources(ctx, topic)
		if err != nil {
			return nil, fmt.Errorf("read sessions of topic %q: %w", topic, err)
		}
		s, ok, err := e.indexedSession(ctx, ix, st, topic, "", srcs[topic])
		e.saveIndex()
		if ok || err != nil {
			return s, err
		}
	}
	recs, err := e.read(ctx, topic)
	if err != nil {
		return nil, err
	}
	latest := ""
	for _, r := range recs {
		if r.Kind == KindSession {
			latest = r.Session // sorted by time: the last one is the newest
		}
	}
	if latest == "" {
		return nil, fmt.Errorf("find session of topic %q: %w", topic, ErrNoSession)
	}
	s, err := build(latest, recs)
	if err != nil {
		return nil, err
	}
	s.Topic = topic // the ref the records came from is authoritative
	return s, nil
}

// read returns the records of topic and reports its malformed lines.
func (e *Engine) read(ctx context.Context, topic string) ([]Record, error) {
	recs, warns, err := e.readQuiet(ctx, topic)
	if err != nil {
		return nil, err
	}
	e.warnSkipped(warns)
	return recs, nil
}

// readQuiet returns the records of topic and its malformed lines, for the
// caller to report when the topic matters to its result.
func (e *Engine) readQuiet(ctx context.Context, topic string) ([]Record, []gitstore.Warning, error) {
	recs, warns, err := readRecords(ctx, e.Store, e.Repo, topic)
	if err != nil {
		return nil, nil, fmt.Errorf("read sessions of topic %q: %w", topic, err)
	}
	return recs, warns, nil
}

func (e *Engine) loadPrefix(ctx context.Context, prefix string) (*Session, error) {
	// With the session index, a topic's session ids come from the index
	// (its notes are read only for the session found); a topic it cannot
	// vouch for (something a reader warns about) is read in full.
	ix, st, indexed := e.sessionIndex()
	var topics []string
	var srcs map[string][]gitstore.NotesSource
	if indexed {
		var err error
		if srcs, err = st.Sources(ctx); err != nil {
			return nil, fmt.Errorf("list topics: %w", err)
		}
		for t := range srcs {
			topics = append(topics, t)
		}
		sort.Strings(topics)
		defer e.saveIndex()
	} else {
		var err error
		if topics, err = e.Store.Topics(ctx); err != nil {
			return nil, fmt.Errorf("list topics: %w", err)
		}
	}
	want := strings.ToUpper(prefix)
	type match struct {
		id, topic string
		recs      []Record // nil: read through the index
	}
	seen := map[string]bool{}
	var matches []match
	// Malformed lines are reported only for the topics the session was
	// found in; the others are summed up in one line when nothing matched
	// (the wanted session may hide in a malformed line).
	warns := map[string][]gitstore.Warning{}
	var other []string
	for _, t := range topics {
		if indexed {
			te, err := ix.topic(ctx, st, t, srcs[t])
			if err != nil {
				return nil, fmt.Errorf("read sessions of topic %q: %w", t, err)
			}
			if !te.dirty() {
				var ids []string
				for id, f := range te.facts() {
					if !f.First.zero() && upperPrefix(id, want) && !seen[id] {
						ids = append(ids, id)
					}
				}
				sort.Strings(ids)
				for _, id := range ids {
					seen[id] = true
					matches = append(matches, match{id, t, nil})
				}
				continue
			}
		}
		recs, ws, err := e.readQuiet(ctx, t)
		if err != nil {
			return nil, err
		}
		warns[t] = ws
		found := false
		for _, r := range recs {
			if r.Kind == KindSession && strings.HasPrefix(strings.ToUpper(r.Session), want) && !seen[r.Session] {
				seen[r.Session] = true
				found = true
				matches = append(matches, match{r.Session, t, recs})
			}
		}
		if !found && len(ws) > 0 {
			other = append(other, t)
		}
	}
	reported := map[string]bool{}
	for _, m := range matches {
		if !reported[m.topic] {
			reported[m.topic] = true
			e.warnSkipped(warns[m.topic])
		}
	}
	if len(matches) == 0 && len(other) > 0 {
		n := 0
		for _, t := range other {
			n += len(warns[t])
			for _, w := range warns[t] {
				// Said once in total: a later read of the topic stays quiet.
				if e.warned == nil {
					e.warned = map[gitstore.Warning]bool{}
				}
				e.warned[gitstore.Warning{Ref: w.Ref, Object: w.Object, Line: w.Line, Record: w.Record}] = true
			}
		}
		e.notify(EventWarning, nil, fmt.Sprintf("skipped %d malformed note line(s) in topic(s) %s; 'git codex check' lists them", n, strings.Join(other, ", ")))
	}
	switch len(matches) {
	case 0:
		return nil, fmt.Errorf("find session %q: %w", prefix, ErrNoSession)
	case 1:
		m := matches[0]
		if m.recs == nil {
			s, _, err := e.indexedSession(ctx, ix, st, m.topic, m.id, srcs[m.topic])
			return s, err
		}
		s, err := build(m.id, m.recs)
		if err != nil {
			return nil, err
		}
		s.Topic = m.topic
		return s, nil
	}
	sort.Slice(matches, func(i, j int) bool { return matches[i].id < matches[j].id })
	var names []string
	for _, m := range matches {
		names = append(names, m.id+" ("+m.topic+")")
	}
	return nil, fmt.Errorf("find session %q: %w: %s", prefix, ErrAmbiguous, strings.Join(names, ", "))
}
