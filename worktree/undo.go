package worktree

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
)

// Recorded is one file a turn changed, as the turn's record keeps it: the
// path (a Change's Path), the blob ids before and after the turn ("" when
// the turn created, or deleted, the file), the content of BeforeBlob (from
// the object database) and the permission bits before.
type Recorded struct {
	Path       string
	BeforeBlob string
	AfterBlob  string
	Before     []byte
	BeforeMode fs.FileMode
}

// PrepareUndo works out the patch that gives the files a turn changed their
// content from before the turn, if each still holds what the turn left
// (its blob is AfterBlob, or it is absent when the turn deleted it). recs
// are the turn's changes in order; several changes to a file count as one,
// from its first state to its last. When files changed since, it returns an
// error wrapping ErrUndoConflict that names every one of them, and nothing
// is to be restored. The paths obey the same rules as the model's edits.
// Undo is the user's act: the patch neither checks nor updates Seen. Commit
// it like any patch; its Changes are the undo's own record.
func (e *Editor) PrepareUndo(ctx context.Context, recs []Recorded) (*Patch, error) {
	if len(recs) == 0 {
		return nil, fmt.Errorf("undo: %w: no recorded change", ErrBadArguments)
	}
	type file struct {
		first, last Recorded
	}
	var order []string
	files := map[string]*file{}
	for _, r := range recs {
		f, ok := files[r.Path]
		if !ok {
			if r.BeforeBlob != "" && BlobID(e.opts.Format, r.Before) != r.BeforeBlob {
				return nil, fmt.Errorf("undo %s: the content given for blob %s is not that blob", r.Path, shortBlob(r.BeforeBlob))
			}
			f = &file{first: r}
			files[r.Path] = f
			order = append(order, r.Path)
		}
		f.last = r
	}
	var conflicts []string
	p := &Patch{e: e}
	for _, name := range order {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		f := files[name]
		t, err := resolveWrite(e.root, name)
		if err != nil {
			return nil, fmt.Errorf("undo %s: %w", name, err)
		}
		cur, err := e.readState(ctx, t, true)
		if err != nil {
			return nil, fmt.Errorf("undo %s: %w", name, err)
		}
		want := f.last.AfterBlob
		switch {
		case want == "" && cur.exists:
			conflicts = append(conflicts, fmt.Sprintf("%s (created again since)", t.rel))
			continue
		case want != "" && !cur.exists:
			conflicts = append(conflicts, fmt.Sprintf("%s (deleted since)", t.rel))
			continue
		case want != "" && cur.blob != want:
			conflicts = append(conflicts, fmt.Sprintf("%s (edited since: blob %s now, %s after the turn)", t.rel, shortBlob(cur.blob), shortBlob(want)))
			continue
		}
		var to fileState
		op := OpDelete
		if f.first.BeforeBlob != "" {
			data := f.first.Before
			if data == nil {
				data = []byte{}
			}
			perm := f.first.BeforeMode & fs.ModePerm
			if perm == 0 {
				perm = 0o644
			}
			to = fileState{exists: true, data: data, perm: perm, blob: f.first.BeforeBlob}
			op = OpUpdate
			if !cur.exists {
				op = OpCreate
			}
		}
		if !to.exists && !cur.exists {
			continue // created and deleted by the turn: nothing to restore
		}
		c, err := e.change(op, t.inside, cur, to, 0)
		if err != nil {
			return nil, fmt.Errorf("undo %s: %w", name, err)
		}
		p.Changes = append(p.Changes, c)
	}
	if len(conflicts) > 0 {
		return nil, fmt.Errorf("%w: %s; nothing was restored", ErrUndoConflict, strings.Join(conflicts, ", "))
	}
	return p, nil
}
