package session

import (
	"context"
	"fmt"
	"sort"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/pricing"
	"github.com/git-codex/git-codex/redact"
)

// Overview is one session as `list` shows it.
type Overview struct {
	ID      string `json:"id"`
	Topic   string `json:"topic"`
	Current bool   `json:"current"` // the topic's newest session, which reply continues
	Engine  string `json:"engine,omitempty"`
	Model   string `json:"model,omitempty"`
	Title   string `json:"title,omitempty"`
	// TitleLine is Title's first line, redacted, cut to 120 characters
	// (as Summary is the summary's): what a table shows, whatever wrote
	// the notes.
	TitleLine string `json:"-"`
	Status    string `json:"status"` // open or closed
	Turns     int    `json:"turns"`
	Forks     int    `json:"forks,omitempty"`
	Usage     Usage  `json:"usage"`
	BytesSent int    `json:"bytes_sent"`
	Started   string `json:"started"`
	Last      string `json:"last_activity"`
	Summary   string `json:"summary,omitempty"`
	// Remote names the remote whose fetched notes alone hold the session
	// (see Session.Remote); "" for a session of this clone.
	Remote string `json:"remote,omitempty"`
	// Cost is what its answers and summaries cost (see Figures.Cost).
	Cost pricing.Amount `json:"cost"`
}

// Sessions returns every session of topic, oldest first. Reading needs no
// model configuration.
func (e *Engine) Sessions(ctx context.Context, topic string) ([]*Session, error) {
	recs, err := e.read(ctx, topic)
	if err != nil {
		return nil, err
	}
	// Each session is built from its own records, grouped once (building
	// each from all of the topic's records cost sessions × records).
	bySession := map[string][]Record{}
	seen := map[string]bool{}
	var order []string
	for _, r := range recs {
		if r.Kind == KindSession && !seen[r.Session] {
			seen[r.Session] = true
			order = append(order, r.Session)
		}
		bySession[r.Session] = append(bySession[r.Session], r)
	}
	out := make([]*Session, 0, len(order))
	for _, id := range order {
		s, err := build(id, bySession[id])
		if err != nil {
			return nil, err
		}
		s.Topic = topic
		out = append(out, s)
	}
	return out, nil
}

// List returns an overview of the sessions of the given topics (all topics
// when topics is empty), grouped by topic, oldest session first.
func (e *Engine) List(ctx context.Context, topics ...string) ([]Overview, error) {
	index := e.loadIndexAsync() // read while the refs are
	var srcs map[string][]gitstore.NotesSource
	var err error
	if st, ok := e.Store.(indexStore); ok {
		srcs, err = st.Sources(ctx, topics...)
	}
	all := len(topics) == 0
	if all && err == nil {
		// Sorted while the index is still being read.
		topics = make([]string, 0, len(srcs))
		for t := range srcs {
			topics = append(topics, t)
		}
		sort.Strings(topics)
	}
	ix, st, indexed := index()
	if indexed {
		if err != nil {
			return nil, fmt.Errorf("list topics: %w", err)
		}
		if all {
			ix.forget(srcs)
		}
		defer e.saveIndex()
	} else if all {
		var err error
		if topics, err = e.Store.Topics(ctx); err != nil {
			return nil, fmt.Errorf("list topics: %w", err)
		}
	}
	out := make([]Overview, 0, len(topics)) // mostly a session per topic
	l := &listing{prices: map[string]*pricing.Price{}}
	for _, t := range topics {
		if indexed {
			var ok bool
			if out, ok, err = e.indexedOverviews(ctx, ix, st, t, srcs[t], out, l); err != nil {
				return nil, err
			}
			if ok {
				continue
			}
		}
		sessions, err := e.Sessions(ctx, t)
		if err != nil {
			return nil, err
		}
		for i, s := range sessions {
			o := overview(s, i == len(sessions)-1)
			o.Cost = e.sessionCost(s)
			out = append(out, o)
		}
	}
	return out, nil
}

func overview(s *Session, current bool) Overview {
	o := Overview{
		ID: s.ID, Topic: s.Topic, Current: current,
		Engine: s.Engine(), Model: s.Open.Model, Title: s.Open.Title, TitleLine: redact.Line(s.Open.Title, 120),
		Status: "open", Turns: len(s.Turns), Forks: s.Forks,
		Started: s.Open.Time, Last: s.Open.Time, Remote: s.Remote,
	}
	if s.Closed {
		o.Status = "closed"
	}
	for _, t := range s.Turns {
		o.Last = later(o.Last, t.Record.Time)
		if a := t.Answer; a != nil {
			o.Last = later(o.Last, a.Time)
			o.BytesSent += a.BytesSent
			if a.Usage != nil {
				o.Usage.Input += a.Usage.Input
				o.Usage.Cached += a.Usage.Cached
				o.Usage.Output += a.Usage.Output
			}
		}
	}
	for _, r := range s.Summaries {
		o.Last = later(o.Last, r.Time)
	}
	if sum := s.Summary(); sum != nil {
		o.Summary = redact.Line(sum.Text, 120)
	}
	return o
}

// sessionCost is what a session's answers and summaries cost: priced as
// the session index prices a summary (costOf), so that list shows the same
// with the index or without.
func (e *Engine) sessionCost(s *Session) pricing.Amount {
	return e.costOf(costItems(s), map[string]*pricing.Price{})
}

func later(a, b string) string {
	if b > a {
		return b
	}
	return a
}

// Audit is what readers skip in one topic and what was left half done.
type Audit struct {
	Topic string
	// Skipped are the malformed lines and records readers skip.
	Skipped []gitstore.Warning
	// Unanswered are the turns without an answer: the process was
	// interrupted or killed after the user's message was stored.
	Unanswered []Record
}

// AuditTopics reads every topic of store, in order, and reports what readers
// skip (hand edits) and the turns left without an answer (a killed
// process). Neither is damage: nothing is lost, readers cope.
func AuditTopics(ctx context.Context, store gitstore.Store) ([]Audit, error) {
	topics, err := store.Topics(ctx)
	if err != nil {
		return nil, err
	}
	var out []Audit
	for _, t := range topics {
		recs, ws, err := readRecords(ctx, store, nil, t)
		if err != nil {
			return nil, err
		}
		a := Audit{Topic: t, Skipped: ws}
		answered := map[string]bool{}
		for _, r := range recs {
			if r.Kind == KindAnswer {
				answered[r.Turn] = true
			}
		}
		for _, r := range recs {
			if r.Kind == KindTurn && !answered[r.ID] {
				a.Unanswered = append(a.Unanswered, r)
			}
		}
		out = append(out, a)
	}
	return out, nil
}
