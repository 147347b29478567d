package session

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"github.com/git-codex/git-codex/internal/text"
	"github.com/git-codex/git-codex/model"
	"github.com/git-codex/git-codex/worktree"
)

// ErrNoApprover is what an Output's Approve returns when it has no one to
// ask (no terminal): the edit is refused, and the user is told how to let
// edits through without asking.
var ErrNoApprover = errors.New("no one to ask for approval")

// maxDiffBytes bounds a diff or patch kept in a change record; the blobs
// hold the whole contents.
const maxDiffBytes = 64 << 10

// workspace is what the model may do to the work tree in one request of a
// turn: the read tools (with what it saw, for short re-reads), and in
// workspace-write the edit tool, its approvals and its records.
type workspace struct {
	e      *Engine
	s      *Session
	out    Output
	mode   Mode
	turnID string
	turnNo int
	target string
	// quit ends the turn when the user answers q to an approval.
	quit context.CancelFunc

	mu      sync.Mutex
	seen    *worktree.Seen
	tools   *worktree.Tools
	editor  *worktree.Editor
	changes []Record // the change records stored in this turn
	unasked int      // edits refused because no one could be asked
}

// newWorkspace sets up the tools of a turn. prior is what the model saw
// in earlier turns and still has in its context (nil: it has nothing).
func (e *Engine) newWorkspace(s *Session, mode Mode, turnID string, turnNo int, target string, prior []worktree.SeenEntry, out Output, quit context.CancelFunc) (*workspace, error) {
	w := &workspace{e: e, s: s, out: out, mode: mode, turnID: turnID, turnNo: turnNo, target: target, quit: quit}
	return w, w.reset(prior)
}

// reset starts what the model saw afresh from prior: after a restart the
// model no longer has what it read.
func (w *workspace) reset(prior []worktree.SeenEntry) error {
	root := w.e.Repo.WorkTree()
	if root == "" {
		return nil // a bare repository: no files to offer
	}
	seen, err := worktree.NewSeen(worktree.SHA1, w.turnNo, prior, w.e.Repo.ReadBlob)
	if err != nil {
		return err
	}
	opts := worktree.ToolOptions{GitLog: w.e.gitLog, Tracked: w.e.tracked, Seen: seen}
	if w.e.noContextDeltas {
		opts.Seen = nil
	}
	tools, err := worktree.NewTools(root, opts)
	if err != nil {
		return fmt.Errorf("set up file tools: %w", err)
	}
	var editor *worktree.Editor
	if w.mode.CanEdit() {
		if editor, err = worktree.NewEditor(root, worktree.EditOptions{Tracked: w.e.tracked, Seen: seen}); err != nil {
			return fmt.Errorf("set up the edit tool: %w", err)
		}
	}
	w.mu.Lock()
	w.seen, w.tools, w.editor = seen, tools, editor
	w.mu.Unlock()
	return nil
}

// apply sets the request's tools: the read tools, and the edit tool in
// workspace-write.
func (w *workspace) apply(req *model.Request) {
	if w.tools == nil {
		return
	}
	specs := w.tools.Specs()
	req.Tools = make([]model.Tool, 0, len(specs))
	for _, s := range specs {
		req.Tools = append(req.Tools, model.Tool{Name: s.Name, Description: s.Description, Parameters: s.Parameters})
	}
	req.Call = w.call
	if w.editor != nil {
		spec := worktree.ApplyPatchSpec()
		req.Patch, req.PatchTool = w.patch, model.Tool{Name: spec.Name, Description: spec.Description, Parameters: spec.Parameters}
	}
}

func (w *workspace) call(ctx context.Context, name, args string) (string, error) {
	w.mu.Lock()
	t := w.tools
	w.mu.Unlock()
	return t.Call(ctx, name, args)
}

// patch answers one call of the edit tool: work the operation out, ask
// when the policy says so, keep the contents before and after in the object
// database, write the work tree, and record the change (applied, failed or
// refused) at once, so that nothing the model did is lost if the turn is.
func (w *workspace) patch(ctx context.Context, call model.PatchCall) model.PatchResult {
	w.mu.Lock()
	editor := w.editor
	w.mu.Unlock()
	rec := w.e.record(KindChange, w.s)
	rec.Commit, rec.Turn, rec.CallID = w.target, w.turnID, call.CallID
	op, err := worktree.DecodeOperation(call.Operation)
	rec.Op, rec.Path = string(op.Type), op.Path
	var p *worktree.Patch
	if err == nil {
		p, err = editor.Prepare(ctx, op)
	}
	if err != nil {
		rec.Patch = w.e.redactor().Clip(op.Diff, maxDiffBytes, "\n[… cut]")
		return w.failed(ctx, rec, err)
	}
	c := p.Changes[0] // one operation, one change
	describe(&rec, c)
	how, why, err := w.approve(ctx, c)
	if err != nil {
		return w.refused(ctx, rec, why)
	}
	rec.Approval = how
	// The contents before and after go to the object database first: an
	// undo must find them, whatever happens next.
	var contents [][]byte
	for _, b := range [][]byte{c.Before, c.After} {
		if b != nil {
			contents = append(contents, b)
		}
	}
	if _, err := w.e.Repo.WriteBlobs(ctx, w.s.Topic, contents...); err != nil {
		return w.failed(ctx, rec, fmt.Errorf("keep the contents for undo: %w", err))
	}
	if err := p.Commit(ctx); err != nil {
		return w.failed(ctx, rec, err)
	}
	rec.ModeAfter = gitMode(c.After, c.AfterMode)
	rec.Status = ChangeApplied
	out := worktree.Applied(p)
	rec.Text = strings.TrimRight(out.Output, "\n")
	w.store(ctx, rec)
	w.out.Event(Event{Kind: EventEdit, Session: w.s.ID, Text: strings.TrimRight(out.Output, "\n")})
	return model.PatchResult{Status: out.Status, Output: out.Output}
}

// describe fills a change record from a worked-out change.
func describe(rec *Record, c *worktree.Change) {
	rec.Op, rec.Path = string(c.Op), c.Path
	rec.Before, rec.After = c.BeforeBlob, c.AfterBlob
	rec.ModeBefore, rec.ModeAfter = gitMode(c.Before, c.BeforeMode), gitMode(c.After, c.AfterMode)
	rec.Diff = clipDiff(c.Diff)
}

// gitMode is the git file mode of a regular file with permission bits
// perm ("" when there is no file).
func gitMode(data []byte, perm fs.FileMode) string {
	switch {
	case data == nil:
		return ""
	case perm&0o111 != 0:
		return "100755"
	}
	return "100644"
}

// fileMode reads a git file mode back as permission bits (0 when unknown).
func fileMode(m string) fs.FileMode {
	switch m {
	case "100755":
		return 0o755
	case "100644":
		return 0o644
	}
	return 0
}

func clipDiff(d string) string {
	if len(d) <= maxDiffBytes {
		return d
	}
	return text.CutBytes(d, maxDiffBytes) + "\n[… diff cut; the blobs hold the whole files]\n"
}

// approve decides whether change c may be applied under the session's
// approval policy, asking through the Output when the policy says so. It
// returns how it was allowed, or why not with an error.
func (w *workspace) approve(ctx context.Context, c *worktree.Change) (how, why string, err error) {
	policy := w.mode.Approval
	switch {
	case policy == ApprovalNever:
		return ApprovedByPolicy, "", nil
	case policy == ApprovalOnRequest && c.Op == worktree.OpCreate:
		return ApprovedByPolicy, "", nil
	case policy == ApprovalOnRequest && w.e.allowAll[w.s.ID]:
		return ApprovedBySession, "", nil
	}
	d, err := w.out.Approve(ctx, Approval{
		Session: w.s.ID, Action: "edit", Op: string(c.Op), Path: c.Path,
		Summary: c.Summary(), Diff: c.Diff, Detail: c.Diff,
		Policy: policy, Always: policy == ApprovalOnRequest,
	})
	switch {
	case errors.Is(err, ErrNoApprover):
		w.unasked++
		why = "there is no terminal to ask the user (approval " + policy + "); the user may allow edits without asking with --approval never (or git config codex.approval never)"
		w.out.Event(Event{Kind: EventEdit, Session: w.s.ID, Text: fmt.Sprintf("refused %s %s: no terminal to ask for approval; --approval never applies edits without asking", c.Op, c.Path)})
		return "", why, ErrNoApprover
	case err != nil && ctx.Err() != nil:
		return "", "the turn was interrupted", ctx.Err()
	case err != nil:
		return "", "approval failed: " + err.Error(), err
	}
	switch d {
	case Allow:
		return ApprovedByUser, "", nil
	case AllowSession:
		if policy == ApprovalOnRequest {
			if w.e.allowAll == nil {
				w.e.allowAll = map[string]bool{}
			}
			w.e.allowAll[w.s.ID] = true
		}
		return ApprovedByUser, "", nil
	case Quit:
		w.out.Event(Event{Kind: EventEdit, Session: w.s.ID, Text: fmt.Sprintf("refused %s %s; stopping the turn", c.Op, c.Path)})
		if w.quit != nil {
			w.quit()
		}
		return "", "the user refused it and stopped the turn", errDeclined
	}
	w.out.Event(Event{Kind: EventEdit, Session: w.s.ID, Text: fmt.Sprintf("refused %s %s", c.Op, c.Path)})
	return "", "the user declined this change", errDeclined
}

var errDeclined = errors.New("declined")

// failed records an operation that could not be done and tells the model
// why (worktree's messages are written for it), so that it can retry.
func (w *workspace) failed(ctx context.Context, rec Record, err error) model.PatchResult {
	out := worktree.Failed(err)
	rec.Status, rec.Error, rec.Text = ChangeFailed, err.Error(), out.Output
	w.store(ctx, rec)
	msg := err.Error()
	if what := strings.TrimSpace(rec.Op + " " + rec.Path); what == "" || !strings.HasPrefix(msg, what) {
		if what == "" {
			what = "apply_patch"
		}
		msg = what + ": " + msg
	}
	w.out.Event(Event{Kind: EventEdit, Session: w.s.ID, Text: "could not apply " + text.Cut(msg, 240)})
	return model.PatchResult{Status: out.Status, Output: out.Output}
}

// refused records an operation the user or the policy refused.
func (w *workspace) refused(ctx context.Context, rec Record, why string) model.PatchResult {
	out := worktree.Refused(why)
	rec.Status, rec.Error, rec.Text = ChangeRefused, why, out.Output
	w.store(ctx, rec)
	return model.PatchResult{Status: out.Status, Output: out.Output}
}

// store appends a change record, even when the turn is being interrupted,
// and keeps it for the in-memory view.
func (w *workspace) store(ctx context.Context, rec Record) {
	if ctx.Err() != nil {
		ctx = context.WithoutCancel(ctx)
	}
	if err := w.e.append(ctx, w.s.Topic, w.target, rec); err != nil {
		w.out.Event(Event{Kind: EventWarning, Session: w.s.ID, Text: "could not store the record of " + rec.Op + " " + rec.Path + ": " + err.Error()})
		return
	}
	w.mu.Lock()
	w.changes = append(w.changes, rec)
	w.mu.Unlock()
}

// takeSeen returns what the model read in this turn, for its answer
// record, with the files' contents kept in the object database (local
// only) so that a later process can answer a re-read with a diff. What the
// model's patches wrote is kept by the patches already.
func (w *workspace) takeSeen(ctx context.Context) []SeenFile {
	if w.seen == nil {
		return nil
	}
	var files []SeenFile
	var contents [][]byte
	for _, o := range w.seen.Take() {
		if o.Edited {
			continue
		}
		files = append(files, SeenFile{Path: o.Path, Lines: o.Lines, Blob: o.Blob, Turn: o.Turn})
		contents = append(contents, o.Content)
	}
	if len(contents) == 0 {
		return nil
	}
	if ctx.Err() != nil {
		ctx = context.WithoutCancel(ctx)
	}
	if _, err := w.e.Repo.WriteBlobs(ctx, w.s.Topic, contents...); err != nil {
		w.out.Event(Event{Kind: EventWarning, Session: w.s.ID, Text: "could not keep what the model read: " + err.Error()})
		return nil
	}
	return files
}

// priorSeen is what the model of the responses chain ending with turn at's
// answer saw in earlier turns and still has in its context: the reads and
// its own edits of the turns on that chain, back to the last restart or
// compaction (after which the model no longer has the files' text).
func (s *Session) priorSeen(at int) []worktree.SeenEntry {
	if at < 0 || at >= len(s.Turns) {
		return nil
	}
	restarted := map[string]bool{}
	for _, ev := range s.Events {
		if (ev.Event == RecordRestart || ev.Event == RecordEngine) && ev.Turn != "" {
			restarted[ev.Turn] = true
		}
	}
	barrier := 0
	if c := s.Compaction(); c != nil {
		barrier = s.turnIndex(c.Through) + 1
	}
	index := make(map[string]int, len(s.Turns))
	for i, t := range s.Turns {
		index[t.Record.ID] = i
	}
	var chain []int
	for i := at; i >= barrier; {
		chain = append(chain, i)
		if restarted[s.Turns[i].Record.ID] {
			break
		}
		j, ok := index[s.Turns[i].Record.Parent]
		if !ok || j >= i {
			break
		}
		i = j
	}
	var out []worktree.SeenEntry
	for k := len(chain) - 1; k >= 0; k-- {
		i := chain[k]
		t := s.Turns[i]
		if t.Answer == nil || t.Answer.ResponseID == "" {
			continue // the chain does not hold this turn's tool results
		}
		for _, f := range t.Answer.Seen {
			out = append(out, worktree.SeenEntry{Path: f.Path, Lines: f.Lines, Blob: f.Blob, Turn: f.Turn})
		}
		for _, c := range t.Applied() {
			if c.After == "" {
				out = dropPath(out, c.Path)
				continue
			}
			out = append(out, worktree.SeenEntry{Path: c.Path, Blob: c.After, Turn: i + 1, Edited: true})
		}
	}
	return out
}

func dropPath(es []worktree.SeenEntry, path string) []worktree.SeenEntry {
	out := es[:0]
	for _, e := range es {
		if e.Path != path {
			out = append(out, e)
		}
	}
	return out
}
