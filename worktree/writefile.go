package worktree

import (
	"context"
	"fmt"
	"path/filepath"
)

// WriteFile writes data to the file p of the work tree at root, replacing
// it atomically or creating it (with the directories on the way), under the
// rules the model's edits obey: p is relative to root, or absolute inside
// it; no ".." out of the tree, nothing under .git, no file on the secret
// deny list; directories are resolved inside the tree and then opened from
// the root without following a link, so that a symlink swapped in after the
// check fails the write instead of leading it elsewhere; the final name is
// never followed: a symlink, a directory or a special file there is
// refused. The new content goes to a temporary file beside the target,
// renamed over it, so a hard link to the old file (perhaps a file outside
// the tree) is never written through, and a reader sees the old content or
// the new. An existing file keeps its permission bits. The caller scrubs
// secrets from data. For `close --write`.
func WriteFile(ctx context.Context, root, p string, data []byte) error {
	real, err := realRoot(root)
	if err != nil {
		return err
	}
	rel := p
	if filepath.IsAbs(p) {
		rel = ""
		for _, r := range []string{filepath.Clean(root), real} {
			if in, err := filepath.Rel(r, filepath.Clean(p)); err == nil && filepath.IsLocal(in) {
				rel = filepath.ToSlash(in)
				break
			}
		}
		if rel == "" {
			return fmt.Errorf("write %s: %w: it is outside the work tree %s", p, ErrRefused, root)
		}
	}
	t, err := resolveWrite(real, rel)
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	e := &Editor{root: real, opts: EditOptions{Format: SHA1, MaxFileBytes: DefaultMaxFileBytes}}
	s := &step{inside: t.inside, rel: t.rel, to: fileState{exists: true, data: data, perm: 0o644}}
	if err := e.commit(ctx, []*step{s}); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}
