package gitstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// maxIndexDecode is the largest index file UncommittedPaths decodes itself;
// a larger one is left to `git status`, which reads it faster.
const maxIndexDecode = 1 << 20

// UncommittedPaths sorts those of paths (relative to the top of the work
// tree, slash-separated) that a clone of HEAD would not get as they are
// here: untracked lists the files git does not track (ignored or not),
// changed the tracked ones whose work-tree or staged content differs from
// HEAD. Paths that do not exist are left out of both; so is everything in a
// bare repository.
//
// It answers from the index and HEAD's tree when it can tell for sure
// without git (the common case: the files committed and untouched since,
// which the pre-push hook must establish without starting a process), and
// asks `git status` otherwise: a stat that differs from the index, a racy
// entry, a filter or symbolic link, a conflict, an index it cannot decode
// or that is large.
func (r *Repo) UncommittedPaths(ctx context.Context, paths ...string) (untracked, changed []string, err error) {
	if r.workTree == "" {
		return nil, nil, nil
	}
	var present []string
	for _, p := range paths {
		if _, err := os.Lstat(filepath.Join(r.workTree, filepath.FromSlash(p))); err == nil {
			present = append(present, p)
		}
	}
	if len(present) == 0 {
		return nil, nil, nil
	}
	if u, c, ok := r.uncommittedFromIndex(present); ok {
		return u, c, nil
	}
	return r.uncommittedFromStatus(ctx, present)
}

// uncommittedFromIndex is UncommittedPaths without git; ok is false when it
// cannot be sure.
func (r *Repo) uncommittedFromIndex(paths []string) (untracked, changed []string, ok bool) {
	if r.getenv("GIT_INDEX_FILE") != "" {
		return nil, nil, false
	}
	indexPath := filepath.Join(r.gitDir, "index")
	fi, err := os.Stat(indexPath)
	if err != nil || fi.Size() > maxIndexDecode {
		return nil, nil, false
	}
	data, err := os.ReadFile(indexPath)
	if err != nil {
		return nil, nil, false
	}
	var idx index.Index
	// Split indexes and sparse directories are mandatory extensions the
	// decoder refuses: git answers for those.
	if err := index.NewDecoder(bytes.NewReader(data)).Decode(&idx); err != nil {
		return nil, nil, false
	}
	entries := map[string]*index.Entry{}
	for _, e := range idx.Entries {
		// Stage 0 is a merged entry (go-git's index.Merged constant says 1,
		// the same as AncestorMode; its decoder stores git's stage bits).
		if e.Stage != 0 || e.SkipWorktree || e.IntentToAdd {
			for _, p := range paths {
				if e.Name == p {
					return nil, nil, false // a conflict, sparse or `add -N` entry: ask git
				}
			}
			continue
		}
		entries[e.Name] = e
	}
	head, err := r.Head()
	if err != nil {
		return nil, nil, false
	}
	var tree *object.Tree
	if !head.Unborn() {
		c, err := object.GetCommit(r.objects(), plumbing.NewHash(head.Commit))
		if err != nil {
			return nil, nil, false
		}
		if tree, err = c.Tree(); err != nil {
			return nil, nil, false
		}
	}
	for _, p := range paths {
		e := entries[p]
		if e == nil {
			untracked = append(untracked, p)
			continue
		}
		if e.Mode != filemode.Regular && e.Mode != filemode.Executable {
			return nil, nil, false
		}
		wf, err := os.Lstat(filepath.Join(r.workTree, filepath.FromSlash(p)))
		if err != nil || !wf.Mode().IsRegular() {
			return nil, nil, false
		}
		// The entry's stat data vouches for the file only when the file
		// was not written in the same instant as the index (git's racy
		// case) — otherwise git must compare the contents.
		if int64(e.Size) != wf.Size() || !e.ModifiedAt.Equal(wf.ModTime()) || !e.ModifiedAt.Before(fi.ModTime()) {
			return nil, nil, false
		}
		committed := plumbing.ZeroHash
		if tree != nil {
			te, err := tree.FindEntry(p)
			switch {
			case err == nil:
				committed = te.Hash
			case errors.Is(err, object.ErrEntryNotFound), errors.Is(err, object.ErrDirectoryNotFound):
			default:
				return nil, nil, false
			}
		}
		if committed != e.Hash {
			changed = append(changed, p)
		}
	}
	return untracked, changed, true
}

// uncommittedFromStatus is UncommittedPaths through `git status`.
func (r *Repo) uncommittedFromStatus(ctx context.Context, paths []string) (untracked, changed []string, err error) {
	args := append([]string{"--literal-pathspecs", "--no-optional-locks", "status", "--porcelain=v1", "-z",
		"--ignored=matching", "--untracked-files=all", "--"}, paths...)
	out, err := r.git(ctx, nil, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("status of %s: %w", strings.Join(paths, ", "), err)
	}
	fields := bytes.Split(out, []byte{0})
	for i := 0; i < len(fields); i++ {
		f := string(fields[i])
		if len(f) < 4 {
			continue
		}
		xy, path := f[:2], f[3:]
		switch {
		case xy == "??" || xy == "!!":
			untracked = append(untracked, path)
		default:
			changed = append(changed, path)
		}
		if xy[0] == 'R' || xy[0] == 'C' {
			i++ // the source path of a rename or copy follows
		}
	}
	return untracked, changed, nil
}

// IndexBlob returns the blob id git's index holds at stage 0 for rel (a
// slash path from the top of the work tree), when rel is tracked there as
// a regular file. It asks the git binary, which reads every index format
// (split, sparse) and knows the repository's hash.
func (r *Repo) IndexBlob(ctx context.Context, rel string) (string, bool) {
	out, err := r.git(ctx, nil, "--literal-pathspecs", "ls-files", "--stage", "-z", "--", rel)
	if err != nil {
		return "", false
	}
	// Each entry is "<mode> <blob id> <stage>\t<path>\x00".
	for _, entry := range bytes.Split(out, []byte{0}) {
		meta, path, ok := bytes.Cut(entry, []byte{'\t'})
		if !ok || string(path) != rel {
			continue
		}
		f := bytes.Fields(meta)
		if len(f) == 3 && string(f[2]) == "0" && (string(f[0]) == "100644" || string(f[0]) == "100755") {
			return string(f[1]), true
		}
	}
	return "", false
}

// DirtyPaths lists the files of the work tree that HEAD does not hold as
// they are: changed or deleted in the work tree or the index, and untracked
// files that are not ignored (each file, not its directory). Ignored files
// and submodules are left out. Paths are slash paths from the top of the
// work tree; a bare repository has none.
//
// It is what a caller snapshots before letting something else (the Codex
// CLI) change the work tree: a file not listed holds HEAD's content, or is
// ignored, or does not exist.
func (r *Repo) DirtyPaths(ctx context.Context) ([]string, error) {
	if r.workTree == "" {
		return nil, nil
	}
	out, err := r.git(ctx, nil, "--no-optional-locks", "status", "--porcelain=v1", "-z",
		"--untracked-files=all", "--no-renames", "--ignore-submodules=all")
	if err != nil {
		return nil, fmt.Errorf("list uncommitted files: %w", err)
	}
	var paths []string
	for _, f := range bytes.Split(out, []byte{0}) {
		if len(f) < 4 {
			continue
		}
		paths = append(paths, string(f[3:]))
	}
	return paths, nil
}

// TreeFile is a regular file in a commit's tree: its blob id and whether it
// is executable.
type TreeFile struct {
	Blob       string
	Executable bool
}

// TreeFiles returns the regular files among paths (slash paths from the
// top of the tree) that the tree of commit holds; a path it does not hold,
// or holds as something else (a directory, a symbolic link, a submodule), is
// left out. EmptyTree (an unborn branch) holds nothing.
func (r *Repo) TreeFiles(ctx context.Context, commit string, paths []string) (map[string]TreeFile, error) {
	files := map[string]TreeFile{}
	if commit == EmptyTree || len(paths) == 0 {
		return files, nil
	}
	args := append([]string{"--literal-pathspecs", "ls-tree", "-z", "--full-tree", commit, "--"}, paths...)
	out, err := r.git(ctx, nil, args...)
	if err != nil {
		return nil, fmt.Errorf("list files of %s: %w", commit, err)
	}
	// Each entry is "<mode> <type> <id>\t<path>\x00".
	for _, entry := range bytes.Split(out, []byte{0}) {
		meta, path, ok := bytes.Cut(entry, []byte{'\t'})
		if !ok {
			continue
		}
		f := bytes.Fields(meta)
		if len(f) != 3 || string(f[1]) != "blob" {
			continue
		}
		switch string(f[0]) {
		case "100644":
			files[string(path)] = TreeFile{Blob: string(f[2])}
		case "100755":
			files[string(path)] = TreeFile{Blob: string(f[2]), Executable: true}
		}
	}
	return files, nil
}

// IgnoredPaths reports which of paths (slash paths from the top of the work
// tree) git's ignore rules match, tracked or not.
func (r *Repo) IgnoredPaths(ctx context.Context, paths []string) (map[string]bool, error) {
	ignored := map[string]bool{}
	if r.workTree == "" || len(paths) == 0 {
		return ignored, nil
	}
	in := strings.Join(paths, "\x00") + "\x00"
	out, err := r.git(ctx, strings.NewReader(in), "check-ignore", "--no-index", "-z", "--stdin")
	if err != nil && exitCode(err) != 1 { // 1: none is ignored
		return nil, fmt.Errorf("check ignored files: %w", err)
	}
	for _, p := range bytes.Split(out, []byte{0}) {
		if len(p) > 0 {
			ignored[string(p)] = true
		}
	}
	return ignored, nil
}
