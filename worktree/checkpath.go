package worktree

import "fmt"

// CheckPath reports whether the file tools would let the model read rel, a
// path relative to the work tree at root (an absolute directory): it applies
// the same confinement and deny rules as the tools and ReadInline — no
// absolute paths, no ".." escapes, no symlinks leading out of the tree,
// nothing under .git, no files on the secret deny list. It returns nil when
// the path may be read, an error wrapping ErrRefused when it may not, and one
// wrapping ErrNotFound when it does not exist. It reads nothing but the
// file system's metadata.
func CheckPath(root, rel string) error {
	real, err := realRoot(root)
	if err != nil {
		return fmt.Errorf("check %s: %w", rel, err)
	}
	if _, _, err := resolveIn(real, rel); err != nil {
		return err
	}
	return nil
}
