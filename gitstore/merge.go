package gitstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/git-codex/git-codex/internal/text"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// MergeFrom merges the notes commit `other` (typically a fetched remote
// notes ref) into topic's ref as a union of record lines, note by note,
// exactly as `git notes merge -s cat_sort_uniq` would, but through the
// ref's lock. When one side contains the other the ref fast-forwards or
// stays; otherwise a merge commit with both parents is written, so that a
// later non-forced push of the ref succeeds. Reports whether the ref moved.
func (n *NotesStore) MergeFrom(ctx context.Context, topic, other string) (bool, error) {
	if err := ValidateTopic(topic); err != nil {
		return false, err
	}
	n.r.mu.Lock()
	defer n.r.mu.Unlock()
	ref, err := n.r.notesRefTarget(n.Ref(topic))
	if err != nil {
		return false, fmt.Errorf("merge into %s: %w", n.Ref(topic), err)
	}
	l, err := n.r.lockRef(ctx, ref)
	if err != nil {
		return false, fmt.Errorf("merge into %s: %w", ref, err)
	}
	defer l.release()
	local, err := l.current()
	if err != nil {
		return false, fmt.Errorf("merge into %s: %w", ref, err)
	}
	switch {
	case strings.HasPrefix(local, "ref: "):
		return false, fmt.Errorf("merge into %s: became a symbolic ref: %w", ref, ErrConflict)
	case local == other:
		return false, nil
	case local == "":
		return true, l.commit(other)
	}
	if ok, err := n.r.IsAncestor(ctx, other, local); err != nil {
		return false, err
	} else if ok {
		return false, nil
	}
	if ok, err := n.r.IsAncestor(ctx, local, other); err != nil {
		return false, err
	} else if ok {
		return true, l.commit(other)
	}
	w := n.r.newTreeWriter()
	merged := map[string][][]byte{}
	var parents []plumbing.Hash
	var keep []object.TreeEntry
	for i, id := range []string{local, other} {
		c, err := w.commit(plumbing.NewHash(id))
		if err != nil {
			return false, fmt.Errorf("merge into %s: %w", ref, err)
		}
		parents = append(parents, c.Hash)
		if i == 0 {
			// Like git, keep the local side's non-note entries (those
			// at the top of the tree) and drop the other side's.
			if keep, err = w.nonNotes(c.TreeHash); err != nil {
				return false, fmt.Errorf("merge into %s: %w", ref, err)
			}
		}
		notes, err := w.allNotes(c.TreeHash)
		if err != nil {
			return false, fmt.Errorf("merge into %s: %w", ref, err)
		}
		for obj, blobs := range notes {
			for _, bh := range blobs {
				b, err := w.blob(bh)
				if err != nil {
					return false, fmt.Errorf("merge into %s: read note on %s: %w", ref, text.ShortID(obj), err)
				}
				merged[obj] = append(merged[obj], b)
			}
		}
	}
	tree, err := w.writeNotesTree(merged, keep)
	if err != nil {
		return false, fmt.Errorf("merge into %s: %w", ref, err)
	}
	c, err := w.writeCommit(tree, parents, "Notes merged by 'git codex sync'\n")
	if err != nil {
		return false, fmt.Errorf("merge into %s: %w", ref, err)
	}
	if err := l.commit(c.String()); err != nil {
		return false, err
	}
	return true, nil
}
