package gitstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/git-codex/git-codex/internal/text"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"github.com/git-codex/git-codex/gitstore/packidx"
)

// EmptyTree is the id of the empty tree, the object turns attach to on an
// unborn branch.
const EmptyTree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

// Repo is an open repository. A Repo is not safe for concurrent use by
// several goroutines (go-git's storage is not).
type Repo struct {
	gitDir    string // per-worktree git dir (HEAD lives here)
	commonDir string // objects and shared refs
	workTree  string // "" for a bare repository
	// commonFromEnv: commonDir came from GIT_COMMON_DIR, which git run by
	// Repo.git must then be given too.
	commonFromEnv bool
	getenv        func(string) string

	objOnce sync.Once
	objs    storer.EncodedObjectStorer
	closer  io.Closer

	cfgOnce sync.Once
	cfg     map[string][]string
	cfgErr  error

	prefixOnce sync.Once
	// secrets are literal values never to be written (AddSecrets).
	secrets     []string
	notesPrefix string

	// mu serialises object access: go-git's storage is not safe for
	// concurrent use, and NotesStore may be shared by goroutines.
	mu sync.Mutex

	// packed caches packed-refs, read again only when the file changed.
	packed packedRefsCache
}

// Open finds the repository that contains dir, the way git does: GIT_DIR and
// GIT_WORK_TREE from getenv first, otherwise the nearest .git directory or
// gitfile above dir, otherwise dir itself when it is a bare repository.
//
// go-git's own opener is deliberately not used: it refuses repositories with
// extensions.worktreeConfig (set by `git worktree`/`sparse-checkout`
// workflows) and, in linked worktrees, would write where git never looks.
// Returns ErrNotRepository when there is none.
func Open(dir string, getenv func(string) string) (*Repo, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open repository: %w", err)
	}
	r := &Repo{getenv: getenv}
	if gd := getenv("GIT_DIR"); gd != "" {
		if !filepath.IsAbs(gd) {
			gd = filepath.Join(abs, gd)
		}
		if !isGitDir(gd) {
			return nil, fmt.Errorf("GIT_DIR=%s: %w", gd, ErrNotRepository)
		}
		r.gitDir = gd
		if wt := getenv("GIT_WORK_TREE"); wt != "" {
			if !filepath.IsAbs(wt) {
				wt = filepath.Join(abs, wt)
			}
			r.workTree = wt
		} else if filepath.Base(gd) == ".git" {
			r.workTree = filepath.Dir(gd)
		} else if !looksBare(gd) {
			r.workTree = abs
		}
	} else if err := r.discover(abs); err != nil {
		return nil, err
	}
	r.commonDir = r.gitDir
	if cd := getenv("GIT_COMMON_DIR"); cd != "" {
		// Relative to where git was started, like GIT_DIR; made absolute
		// so that git run from the work tree (Repo.git) agrees.
		if !filepath.IsAbs(cd) {
			cd = filepath.Join(abs, cd)
		}
		r.commonDir = filepath.Clean(cd)
		r.commonFromEnv = true
	} else if b, err := os.ReadFile(filepath.Join(r.gitDir, "commondir")); err == nil {
		cd := strings.TrimSpace(string(b))
		if !filepath.IsAbs(cd) {
			cd = filepath.Join(r.gitDir, cd)
		}
		r.commonDir = filepath.Clean(cd)
	}
	return r, nil
}

func (r *Repo) discover(dir string) error {
	for d := dir; ; {
		dotgit := filepath.Join(d, ".git")
		if fi, err := os.Stat(dotgit); err == nil {
			if fi.IsDir() && isGitDir(dotgit) {
				r.gitDir, r.workTree = dotgit, d
				return nil
			}
			if !fi.IsDir() {
				gd, err := readGitFile(dotgit)
				if err != nil {
					return err
				}
				r.gitDir, r.workTree = gd, d
				return nil
			}
		}
		if looksBare(d) {
			r.gitDir = d
			return nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return ErrNotRepository
		}
		d = parent
	}
}

func readGitFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	line := strings.TrimSpace(string(b))
	gd, ok := strings.CutPrefix(line, "gitdir:")
	if !ok {
		return "", fmt.Errorf("read %s: not a gitfile: %w", path, ErrNotRepository)
	}
	gd = strings.TrimSpace(gd)
	if !filepath.IsAbs(gd) {
		gd = filepath.Join(filepath.Dir(path), gd)
	}
	if !isGitDir(gd) {
		return "", fmt.Errorf("%s points at %s: %w", path, gd, ErrNotRepository)
	}
	return filepath.Clean(gd), nil
}

func isGitDir(d string) bool {
	fi, err := os.Stat(filepath.Join(d, "HEAD"))
	return err == nil && !fi.IsDir()
}

func looksBare(d string) bool {
	if !isGitDir(d) {
		return false
	}
	for _, sub := range []string{"objects", "refs"} {
		if fi, err := os.Stat(filepath.Join(d, sub)); err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

// GitDir is the per-worktree git directory.
func (r *Repo) GitDir() string { return r.gitDir }

// CommonDir is the directory holding objects and shared refs.
func (r *Repo) CommonDir() string { return r.commonDir }

// WorkTree is the top of the work tree, or "" in a bare repository.
func (r *Repo) WorkTree() string { return r.workTree }

// Close releases file descriptors held by the object storage.
func (r *Repo) Close() error {
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

// objects returns the object storage, opened on first use so that commands
// that need no objects (and --help) pay nothing.
func (r *Repo) objects() storer.EncodedObjectStorer {
	r.objOnce.Do(func() {
		// packidx looks objects up in the .idx files lazily instead of
		// loading whole pack indexes (go-git's fixed cost of ~200 ms on
		// a repository of git's size); delta resolution and writes stay
		// go-git's.
		st := packidx.NewStore(r.commonDir, packidx.Options{})
		r.objs, r.closer = st, st
	})
	return r.objs
}

// HooksPath returns the directory git runs hooks from: core.hooksPath when
// set (relative paths are relative to the top of the work tree, ~ is
// expanded), otherwise <common git dir>/hooks. It asks git itself.
func (r *Repo) HooksPath(ctx context.Context) (string, error) {
	out, err := r.git(ctx, nil, "rev-parse", "--git-path", "hooks")
	if err != nil {
		return "", fmt.Errorf("find hooks directory: %w", err)
	}
	dir := strings.TrimSpace(string(out))
	if !filepath.IsAbs(dir) {
		base := r.workTree
		if base == "" {
			base = r.gitDir
		}
		dir = filepath.Join(base, dir)
	}
	return filepath.Clean(dir), nil
}

// Head describes what HEAD points at.
type Head struct {
	Branch string // short branch name; "" when detached
	Commit string // "" on an unborn branch
}

// Unborn reports whether HEAD names a branch without commits.
func (h Head) Unborn() bool { return h.Commit == "" }

// Target is the object turns attach to: the commit, or the empty tree on an
// unborn branch.
func (h Head) Target() string {
	if h.Commit == "" {
		return EmptyTree
	}
	return h.Commit
}

// Head reads HEAD of this worktree.
func (r *Repo) Head() (Head, error) {
	b, err := os.ReadFile(filepath.Join(r.gitDir, "HEAD"))
	if err != nil {
		return Head{}, fmt.Errorf("read HEAD: %w", err)
	}
	s := strings.TrimSpace(string(b))
	name, sym := strings.CutPrefix(s, "ref: ")
	if !sym {
		if !plumbing.IsHash(s) {
			return Head{}, fmt.Errorf("read HEAD: unexpected content %q", s)
		}
		return Head{Commit: s}, nil
	}
	h := Head{Branch: strings.TrimPrefix(name, "refs/heads/")}
	c, err := r.ReadRef(name)
	if errors.Is(err, ErrNotFound) {
		return h, nil
	}
	if err != nil {
		return Head{}, err
	}
	h.Commit = c
	return h, nil
}

// ReadRef returns the object id a ref points at, following symbolic refs,
// reading the loose file first and packed-refs second as git does. Returns
// ErrNotFound when the ref does not exist.
func (r *Repo) ReadRef(name string) (string, error) {
	for depth := 0; depth < 5; depth++ {
		v, err := r.readRefOnce(name)
		if err != nil {
			return "", err
		}
		target, sym := strings.CutPrefix(v, "ref: ")
		if !sym {
			return v, nil
		}
		name = target
	}
	return "", fmt.Errorf("read ref %s: symbolic ref loop", name)
}

func (r *Repo) refFile(name string) string {
	// Per-worktree refs live in the worktree's git dir; everything we
	// write (refs/notes, refs/heads) lives in the common dir.
	// (git's list: pseudo-refs outside refs/, refs/bisect/, refs/worktree/,
	// refs/rewritten/.)
	if !strings.HasPrefix(name, "refs/") || strings.HasPrefix(name, "refs/bisect/") ||
		strings.HasPrefix(name, "refs/worktree/") || strings.HasPrefix(name, "refs/rewritten/") {
		return filepath.Join(r.gitDir, filepath.FromSlash(name))
	}
	return filepath.Join(r.commonDir, filepath.FromSlash(name))
}

// readRefOnce reads one ref without following symbolic refs. It returns
// ErrNotFound when neither a loose file nor a packed entry exists.
func (r *Repo) readRefOnce(name string) (string, error) {
	b, err := os.ReadFile(r.refFile(name))
	switch {
	case err == nil:
		s := strings.TrimSpace(string(b))
		if strings.HasPrefix(s, "ref: ") || plumbing.IsHash(s) {
			return s, nil
		}
		return "", fmt.Errorf("read ref %s: broken ref file (%q)", name, text.Cut(s, 61))
	case errors.Is(err, fs.ErrNotExist), isNotDir(err), errors.Is(err, syscall.EISDIR):
		// No loose ref; a directory there holds other refs below it.
	default:
		return "", fmt.Errorf("read ref %s: %w", name, err)
	}
	v, err := r.packedRef(name)
	if err != nil {
		return "", err
	}
	if v == "" {
		return "", fmt.Errorf("ref %s: %w", name, ErrNotFound)
	}
	return v, nil
}

// packedRef looks name up in packed-refs; "" when absent.
func (r *Repo) packedRef(name string) (string, error) {
	p, err := r.packed.load(filepath.Join(r.commonDir, "packed-refs"))
	if err != nil {
		return "", err
	}
	return p.lookup(name), nil
}

// packedCount is how many packed refs are under prefix (0 when
// packed-refs cannot be read).
func (r *Repo) packedCount(prefix string) int {
	p, err := r.packed.load(filepath.Join(r.commonDir, "packed-refs"))
	if err != nil {
		return 0
	}
	n := 0
	p.under(prefix, func(string, string) { n++ })
	return n
}

// ListRefs returns the refs under prefix (loose and packed, loose winning)
// mapped to their values. Loose refs are read before packed-refs, as git
// does: a ref that `git pack-refs --prune` moves meanwhile is then found in
// one or the other, never missed.
func (r *Repo) ListRefs(prefix string) (map[string]string, error) {
	out := map[string]string{}
	err := r.eachRef(prefix, func(name, value string) { out[name] = value })
	return out, err
}

// eachRef calls fn with each ref under prefix and its value, as ListRefs
// lists them, without a map of them all: the packed ones in name order
// (but those loose too), then the loose ones.
func (r *Repo) eachRef(prefix string, fn func(name, value string)) error {
	loose := map[string]string{}
	root := filepath.Join(r.commonDir, filepath.FromSlash(prefix))
	base := prefix
	if !strings.HasSuffix(prefix, "/") {
		root, base = filepath.Dir(root), filepath.ToSlash(filepath.Dir(filepath.FromSlash(prefix)))+"/"
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || strings.HasSuffix(p, ".lock") {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		name := base + filepath.ToSlash(rel)
		if !strings.HasPrefix(name, prefix) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // deleted by pack-refs while we walked: packed value stands
			}
			return err
		}
		if s := strings.TrimSpace(string(b)); plumbing.IsHash(s) {
			loose[name] = s
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("list refs %s: %w", prefix, err)
	}
	p, err := r.packed.load(filepath.Join(r.commonDir, "packed-refs"))
	if err != nil {
		return err
	}
	p.under(prefix, func(name, v string) {
		if _, ok := loose[name]; !ok {
			fn(name, v)
		}
	})
	for name, v := range loose {
		fn(name, v)
	}
	return nil
}

func isNotDir(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "not a directory")
}

func itoa(n int) string { return strconv.Itoa(n) }
