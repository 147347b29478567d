package session

import (
	"context"
	"fmt"
	"strings"

	"github.com/git-codex/git-codex/internal/text"

	"github.com/git-codex/git-codex/model"
	"github.com/git-codex/git-codex/prompt"
)

// CompactResult reports a compaction.
type CompactResult struct {
	Session string `json:"session"`
	// Through is the last turn the summary covers; "" when there was nothing
	// to compact.
	Through   string      `json:"through,omitempty"`
	Summary   string      `json:"summary,omitempty"`
	Turns     int         `json:"turns"` // turns the summary replaces
	Usage     model.Usage `json:"usage"`
	BytesSent int         `json:"bytes_sent"`
}

// Compact asks the model to summarise the session so far (keeping decisions)
// and stores the summary with Through set to the last turn it covers. Later
// chat requests replay the first message, the summary and the turns after it;
// the next responses request starts a fresh chain from that rebuilt context.
func (e *Engine) Compact(ctx context.Context, t Target) (CompactResult, error) {
	s, err := e.open(ctx, t)
	if err != nil {
		return CompactResult{}, err
	}
	b, err := e.backend(s.Engine(), s.Open.Model)
	if err != nil {
		return CompactResult{}, err
	}
	return e.compact(ctx, s, b, true, 2)
}

// autoCompact compacts a chat session whose replayed history outgrew the
// threshold. A failed compaction is reported and the full history is sent.
func (e *Engine) autoCompact(ctx context.Context, s *Session, b backend) error {
	limit := e.CompactThreshold
	if limit <= 0 {
		limit = DefaultCompactThreshold
	}
	size := historyBytes(history(s))
	if size <= limit {
		return nil
	}
	e.notify(EventCompact, s, fmt.Sprintf("history of session %s is %d bytes (over %d); compacting it first", text.ShortID(s.ID), size, limit))
	// After a compaction one turn is enough: a single long answer would
	// otherwise be replayed whole on every request. Before the first, the
	// first turn alone is not worth it (its message is replayed anyway).
	minTurns := 2
	if s.Compaction() != nil {
		minTurns = 1
	}
	if _, err := e.compact(ctx, s, b, false, minTurns); err != nil {
		if ctx.Err() != nil {
			return err
		}
		e.notify(EventCompact, s, fmt.Sprintf("compaction failed, sending the full history: %v", err))
	}
	return nil
}

// compact summarises the turns after the newest compaction when there are
// at least minTurns of them; show streams the summary to the Output.
func (e *Engine) compact(ctx context.Context, s *Session, b backend, show bool, minTurns int) (CompactResult, error) {
	res := CompactResult{Session: s.ID}
	recent := s.recent()
	if len(recent) < minTurns {
		e.notify(EventCompact, s, "session "+text.ShortID(s.ID)+" has nothing to compact")
		return res, nil
	}
	resp, err := b.summarise(ctx, s, prompt.CompactRequest(), show)
	res.Usage, res.BytesSent = resp.Usage, resp.BytesSent
	if err != nil {
		return res, fmt.Errorf("compact session %s: %w", text.ShortID(s.ID), err)
	}
	target, err := e.head()
	if err != nil {
		return res, err
	}
	sum := prompt.ParseSummary(resp.Text)
	text, decisions := keepDecisions(s.Compaction(), resp.Text, sum.Decisions)
	rec := e.record(KindSummary, s)
	rec.Commit, rec.Through, rec.Text, rec.Decisions, rec.Next = target, s.LastTurnID(), text, decisions, sum.Next
	rec.Model, rec.ResponseID, rec.BytesSent, rec.Thread = resp.Model, resp.ID, resp.BytesSent, resp.thread
	if u := resp.Usage; u != (model.Usage{}) {
		rec.Usage = &Usage{Input: u.Input, Cached: u.Cached, Output: u.Output}
	}
	if err := e.append(ctx, s.Topic, target, rec); err != nil {
		return res, fmt.Errorf("store compaction summary: %w", err)
	}
	s.Summaries = append(s.Summaries, rec)
	res.Through, res.Summary, res.Turns = rec.Through, rec.Text, len(recent)
	return res, nil
}

// keptDecisions introduces the decisions a compaction keeps from the one
// before it, at the end of its text.
const keptDecisions = "Earlier decisions (kept from the previous summary):"

// keepDecisions carries the decisions of the previous compaction that the
// new summary left out into it (its text is what later requests replay), so
// that compacting again never drops a decision.
func keepDecisions(prev *Record, text string, decisions []string) (string, []string) {
	if prev == nil {
		return text, decisions
	}
	have := map[string]bool{}
	for _, d := range decisions {
		have[strings.TrimSpace(d)] = true
	}
	var missing []string
	for _, d := range prev.Decisions {
		if d = strings.TrimSpace(d); d != "" && !have[d] {
			have[d] = true
			missing = append(missing, d)
		}
	}
	if len(missing) == 0 {
		return text, decisions
	}
	text = strings.TrimRight(text, "\n") + "\n\n" + keptDecisions + "\n- " + strings.Join(missing, "\n- ") + "\n"
	return text, append(append([]string(nil), decisions...), missing...)
}
