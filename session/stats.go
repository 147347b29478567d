package session

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/git-codex/git-codex/pricing"
)

// Figures are usage totals.
type Figures struct {
	Turns     int `json:"turns"`
	Input     int `json:"input_tokens"`
	Cached    int `json:"cached_tokens"`
	Output    int `json:"output_tokens"`
	BytesSent int `json:"bytes_sent"`
	// OneOffBytes estimates what one-off delegations would have sent for the
	// same turns: each one the instructions, the first message with the
	// context files inlined, and the turn's text.
	OneOffBytes int `json:"one_off_bytes"`
	// Cost is what the answers cost, each priced with the model that gave
	// it: unknown (never zero) for a model without a price.
	Cost pricing.Amount `json:"cost"`
}

// Saving is the share of OneOffBytes not sent, in percent (0 without data).
func (f Figures) Saving() float64 {
	if f.OneOffBytes == 0 {
		return 0
	}
	return 100 * (1 - float64(f.BytesSent)/float64(f.OneOffBytes))
}

func (f *Figures) add(g Figures) {
	f.Turns += g.Turns
	f.Input += g.Input
	f.Cached += g.Cached
	f.Output += g.Output
	f.BytesSent += g.BytesSent
	f.OneOffBytes += g.OneOffBytes
	f.Cost = f.Cost.Add(g.Cost)
}

// SessionStats are the figures of one session.
type SessionStats struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Engine string `json:"engine"`
	Model  string `json:"model"`
	Closed bool   `json:"closed"`
	Figures
	SavingPct float64 `json:"saving_pct"`
}

// TopicStats are the figures of one topic and its sessions, oldest first.
type TopicStats struct {
	Topic    string         `json:"topic"`
	Sessions []SessionStats `json:"sessions"`
	Total    Figures        `json:"total"`
	// SavingPct is Total.Saving().
	SavingPct float64 `json:"saving_pct"`
}

// Stats adds up the recorded usage of every session of topic (all topics
// when topic is ""). The context files are measured in the work tree now.
func (e *Engine) Stats(ctx context.Context, topic string) ([]TopicStats, error) {
	return e.StatsOf(ctx, StatsOptions{Topic: topic})
}

// StatsOptions select what StatsOf adds up.
type StatsOptions struct {
	// Topic is one topic; "" means every topic.
	Topic string
	// Since and Until, when set, keep the answers (and compaction
	// summaries) stored at or after Since and before Until; sessions and
	// topics with none in the range are left out.
	Since, Until time.Time
}

// StatsOf is Stats over a time range.
func (e *Engine) StatsOf(ctx context.Context, opt StatsOptions) ([]TopicStats, error) {
	topic := opt.Topic
	topics := []string{topic}
	if topic == "" {
		var err error
		if topics, err = e.Store.Topics(ctx); err != nil {
			return nil, err
		}
	}
	sizes := map[string]int{}
	var out []TopicStats
	for _, t := range topics {
		sessions, err := e.Sessions(ctx, t)
		if err != nil {
			return nil, err
		}
		ts := TopicStats{Topic: t}
		ranged := !opt.Since.IsZero() || !opt.Until.IsZero()
		for _, s := range sessions {
			ss := e.sessionStats(s, sizes, opt.inRange)
			if ranged && ss.Turns == 0 && ss.Cost.Priced+ss.Cost.Unpriced == 0 {
				continue
			}
			ts.Sessions = append(ts.Sessions, ss)
			ts.Total.add(ss.Figures)
		}
		if len(ts.Sessions) == 0 {
			continue // no session here (a workflow run's topic holds run records only)
		}
		ts.SavingPct = ts.Total.Saving()
		out = append(out, ts)
	}
	return out, nil
}

// inRange reports whether a record stored at ts counts.
func (o StatsOptions) inRange(ts string) bool {
	if o.Since.IsZero() && o.Until.IsZero() {
		return true
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return false
	}
	return (o.Since.IsZero() || !t.Before(o.Since)) && (o.Until.IsZero() || t.Before(o.Until))
}

func (e *Engine) sessionStats(s *Session, sizes map[string]int, inRange func(ts string) bool) SessionStats {
	ss := SessionStats{ID: s.ID, Title: s.Open.Title, Engine: s.Engine(), Model: s.Open.Model, Closed: s.Closed}
	f := &ss.Figures
	base := len(instructions(s, s.Mode()))
	if len(s.Turns) > 0 {
		base += len(s.Turns[0].Record.Text)
	}
	if !s.Inline {
		for _, name := range s.Open.Context {
			base += e.fileSize(name, sizes)
		}
	}
	for i, t := range s.Turns {
		a := t.Answer
		if a == nil || !inRange(a.Time) {
			continue
		}
		f.Turns++
		f.Cost = f.Cost.Add(e.Cost(a.Model, a.Usage))
		f.BytesSent += a.BytesSent
		if a.Usage != nil {
			f.Input += a.Usage.Input
			f.Cached += a.Usage.Cached
			f.Output += a.Usage.Output
		}
		if a.Thread != "" || (a.BytesSent == 0 && a.Steps != nil) {
			// The Codex CLI does not say what it sent: its turns count
			// their tokens, not bytes, and have no one-off to compare to.
			continue
		}
		f.OneOffBytes += base
		if i > 0 {
			f.OneOffBytes += len(t.Record.Text)
		}
	}
	for _, sum := range s.Summaries {
		if !inRange(sum.Time) {
			continue
		}
		// Compaction requests are a cost of the session pattern.
		f.Cost = f.Cost.Add(e.Cost(summaryModel(s, sum), sum.Usage))
		f.BytesSent += sum.BytesSent
		if sum.Usage != nil {
			f.Input += sum.Usage.Input
			f.Cached += sum.Usage.Cached
			f.Output += sum.Usage.Output
		}
	}
	ss.SavingPct = f.Saving()
	return ss
}

// fileSize measures a context file in the work tree now (0 when missing).
func (e *Engine) fileSize(name string, cache map[string]int) int {
	if n, ok := cache[name]; ok {
		return n
	}
	n := 0
	if root := e.Repo.WorkTree(); root != "" {
		if fi, err := os.Stat(filepath.Join(root, filepath.FromSlash(name))); err == nil && fi.Mode().IsRegular() {
			n = int(fi.Size())
		}
	}
	cache[name] = n
	return n
}

// summaryModel is the model that wrote a summary: its own when recorded,
// else the session's.
func summaryModel(s *Session, sum Record) string {
	if sum.Model != "" {
		return sum.Model
	}
	return s.Open.Model
}
