package session

import (
	"context"
	"os"
	"path/filepath"
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
		for _, s := range sessions {
			ss := e.sessionStats(s, sizes)
			ts.Sessions = append(ts.Sessions, ss)
			ts.Total.add(ss.Figures)
		}
		ts.SavingPct = ts.Total.Saving()
		out = append(out, ts)
	}
	return out, nil
}

func (e *Engine) sessionStats(s *Session, sizes map[string]int) SessionStats {
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
		if a == nil {
			continue
		}
		f.Turns++
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
		// Compaction requests are a cost of the session pattern.
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
