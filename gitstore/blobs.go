package gitstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// BlobRefPrefix is where the refs that keep a topic's blobs live: the
// contents of files a session read or changed, which its records name by
// blob id (undo restores them, a re-read is answered from them). These refs
// are local: nothing pushes or fetches them (the sharing rule sends only the
// notes refs), because the contents may hold what the notes redact.
const BlobRefPrefix = "refs/codex/blobs/"

// BlobRef is the ref that keeps topic's blobs.
func BlobRef(topic string) string { return BlobRefPrefix + EncodeTopic(topic) }

// WriteBlobs writes contents to the object database as blobs and makes them
// reachable from topic's blob ref (BlobRef), so that `git gc` keeps them: a
// commit whose tree names each blob by its id, its parent the ref's previous
// commit, put in place by compare-and-swap. It returns the blob ids, in the
// order of contents.
func (r *Repo) WriteBlobs(ctx context.Context, topic string, contents ...[]byte) ([]string, error) {
	if err := ValidateTopic(topic); err != nil {
		return nil, err
	}
	if len(contents) == 0 {
		return nil, nil
	}
	ref := BlobRef(topic)
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.newTreeWriter()
	ids := make([]string, len(contents))
	var entries []object.TreeEntry
	seen := map[plumbing.Hash]bool{}
	for i, c := range contents {
		h, err := w.writeBlob(c)
		if err != nil {
			return nil, fmt.Errorf("write blob: %w", err)
		}
		ids[i] = h.String()
		if !seen[h] {
			seen[h] = true
			entries = append(entries, object.TreeEntry{Name: h.String(), Mode: filemode.Regular, Hash: h})
		}
	}
	tree, err := w.writeTree(entries)
	if err != nil {
		return nil, fmt.Errorf("write blob tree: %w", err)
	}
	for attempt := 0; ; attempt++ {
		old, err := r.ReadRef(ref)
		if errors.Is(err, ErrNotFound) {
			old, err = "", nil
		}
		if err != nil {
			return nil, fmt.Errorf("keep blobs in %s: %w", ref, err)
		}
		var parents []plumbing.Hash
		if old != "" {
			parents = []plumbing.Hash{plumbing.NewHash(old)}
		}
		commit, err := w.writeCommit(tree, parents, "Blobs kept by 'git codex'\n")
		if err != nil {
			return nil, fmt.Errorf("keep blobs in %s: %w", ref, err)
		}
		err = r.UpdateRef(ctx, ref, old, commit.String())
		if err == nil {
			return ids, nil
		}
		if !errors.Is(err, ErrConflict) || attempt >= maxAttempts {
			return nil, fmt.Errorf("keep blobs in %s: %w", ref, err)
		}
		if err := backoff(ctx, attempt); err != nil {
			return nil, err
		}
	}
}

// ReadBlob returns the content of the blob id. Returns an error wrapping
// ErrNotFound when the object database does not hold it (a session's blobs
// stay in the clone it ran in).
func (r *Repo) ReadBlob(ctx context.Context, id string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !plumbing.IsHash(id) {
		return nil, fmt.Errorf("read blob %q: not an object id", id)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	data, err := r.newTreeWriter().blob(plumbing.NewHash(id))
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, fmt.Errorf("read blob %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", id, err)
	}
	return data, nil
}
