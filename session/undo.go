package session

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/internal/text"
	"github.com/git-codex/git-codex/worktree"
)

// ErrNothingToUndo is returned by Undo when the session has no turn that
// changed files and is not undone yet, or the turn named changed none or
// was undone already.
var ErrNothingToUndo = errors.New("nothing to undo")

// ErrBlobsElsewhere is returned by Undo when the contents to restore are
// not in this repository: a session's blobs stay in the clone it ran in
// (refs/codex/blobs/<topic> is never pushed).
var ErrBlobsElsewhere = errors.New("the contents to restore are not in this clone")

// UndoOptions name the turn to undo.
type UndoOptions struct {
	Target
	// Turn is the turn's number as show prints it (1 is the first); 0
	// means the newest turn that changed files and is not undone.
	Turn int
}

// UndoResult says what an undo restored.
type UndoResult struct {
	Session string `json:"session"`
	Topic   string `json:"topic"`
	// Turn is the number of the turn undone, TurnID its id.
	Turn   int    `json:"turn"`
	TurnID string `json:"turn_id"`
	// Restored are the undo's own change records, one per file.
	Restored []Record `json:"restored"`
}

// Undo gives the files a turn changed the content they had before it, from
// the blobs the turn's change records name, when each still holds what the
// turn left. Otherwise it changes nothing and returns an error wrapping
// worktree.ErrUndoConflict that names every file changed since. The undo is
// recorded: a change record per restored file (Undo set to the turn) and an
// undo event. Closed sessions can be undone too.
func (e *Engine) Undo(ctx context.Context, opt UndoOptions) (UndoResult, error) {
	s, err := e.Load(ctx, opt.Topic, opt.Session)
	if err != nil {
		return UndoResult{}, err
	}
	res := UndoResult{Session: s.ID, Topic: s.Topic}
	root := e.Repo.WorkTree()
	if root == "" {
		return res, fmt.Errorf("undo: %w", ErrNoWorkTree)
	}
	i, err := undoTurn(s, opt.Turn)
	if err != nil {
		return res, err
	}
	t := s.Turns[i]
	res.Turn, res.TurnID = i+1, t.Record.ID
	var recs []worktree.Recorded
	for _, c := range t.Applied() {
		r := worktree.Recorded{Path: c.Path, BeforeBlob: c.Before, AfterBlob: c.After, BeforeMode: fileMode(c.ModeBefore)}
		if c.Before != "" {
			data, err := e.Repo.ReadBlob(ctx, c.Before)
			if errors.Is(err, gitstore.ErrNotFound) {
				return res, fmt.Errorf("undo turn %d of session %s: %w: %s before the turn (blob %s); the session ran in another clone, which keeps it",
					i+1, text.ShortID(s.ID), ErrBlobsElsewhere, c.Path, text.ShortID(c.Before))
			}
			if err != nil {
				return res, fmt.Errorf("undo turn %d: %w", i+1, err)
			}
			r.Before = data
		}
		recs = append(recs, r)
	}
	editor, err := worktree.NewEditor(root, worktree.EditOptions{Tracked: e.tracked})
	if err != nil {
		return res, fmt.Errorf("undo turn %d: %w", i+1, err)
	}
	p, err := editor.PrepareUndo(ctx, recs)
	if err != nil {
		return res, fmt.Errorf("undo turn %d of session %s: %w", i+1, text.ShortID(s.ID), err)
	}
	// The current contents are kept too: an undo can be undone by hand.
	var contents [][]byte
	for _, c := range p.Changes {
		if c.Before != nil {
			contents = append(contents, c.Before)
		}
	}
	if _, err := e.Repo.WriteBlobs(ctx, s.Topic, contents...); err != nil {
		return res, fmt.Errorf("undo turn %d: keep the current contents: %w", i+1, err)
	}
	if err := p.Commit(ctx); err != nil {
		return res, fmt.Errorf("undo turn %d of session %s: %w", i+1, text.ShortID(s.ID), err)
	}
	target, err := e.head()
	if err != nil {
		return res, err
	}
	storeCtx := context.WithoutCancel(ctx) // the files are restored: record it
	var out []Record
	var names []string
	for _, c := range p.Changes {
		rec := e.record(KindChange, s)
		rec.Commit, rec.Undo, rec.Status = target, t.Record.ID, ChangeApplied
		describe(&rec, c)
		rec.Text = c.Summary()
		out = append(out, rec)
		names = append(names, c.Summary())
	}
	ev := e.record(KindEvent, s)
	ev.Commit, ev.Event, ev.Turn = target, RecordUndo, t.Record.ID
	ev.Text = fmt.Sprintf("undid turn %d", i+1)
	if len(names) > 0 {
		ev.Text += ": " + strings.Join(names, ", ")
	}
	if err := e.append(storeCtx, s.Topic, target, append(out, ev)...); err != nil {
		return res, fmt.Errorf("undo turn %d: the files are restored, but recording it failed: %w", i+1, err)
	}
	res.Restored = out
	return res, nil
}

// undoTurn picks the turn to undo: number n (1-based), or the newest turn
// with applied changes that is not undone.
func undoTurn(s *Session, n int) (int, error) {
	if n > 0 {
		if n > len(s.Turns) {
			return 0, fmt.Errorf("undo turn %d: %w: session %s has %s", n, ErrNothingToUndo, text.ShortID(s.ID), countNoun(len(s.Turns), "turn"))
		}
		t := s.Turns[n-1]
		switch {
		case t.UndoneBy != nil:
			return 0, fmt.Errorf("undo turn %d: %w: it was undone at %s", n, ErrNothingToUndo, t.UndoneBy.Time)
		case len(t.Applied()) == 0:
			return 0, fmt.Errorf("undo turn %d: %w: it changed no file", n, ErrNothingToUndo)
		}
		return n - 1, nil
	}
	for i := len(s.Turns) - 1; i >= 0; i-- {
		if t := s.Turns[i]; t.UndoneBy == nil && len(t.Applied()) > 0 {
			return i, nil
		}
	}
	return 0, fmt.Errorf("undo: %w: no turn of session %s changed files (or all were undone)", ErrNothingToUndo, text.ShortID(s.ID))
}
