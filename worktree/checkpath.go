package worktree

import (
	"context"
	"fmt"
)

// CheckPath reports whether the file tools would let the model read rel, a
// path relative to the work tree at root (an absolute directory): it applies
// the same rules as the tools and ReadInline — no absolute paths, no ".."
// escapes, no symlinks leading out of the tree, nothing under .git, no files
// on the secret deny list, nothing but regular files and directories, and a
// file with more than one hard link only when git tracks it with that
// content (tracked may be nil: then such files are refused). It returns nil
// when the path may be read, an error wrapping ErrRefused when it may not,
// and one wrapping ErrNotFound when it does not exist. It reads the file
// system's metadata, and a file's content only for the hard-link rule.
func CheckPath(ctx context.Context, root, rel string, tracked TrackedFunc) error {
	real, err := realRoot(root)
	if err != nil {
		return fmt.Errorf("check %s: %w", rel, err)
	}
	tg, err := locate(real, rel)
	if err != nil {
		return err
	}
	defer tg.Close()
	if tg.st.mode.IsDir() {
		return nil
	}
	src, err := tg.openFile(ctx, tracked)
	if err != nil {
		return err
	}
	defer src.Close()
	return src.verify()
}
