package worktree

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"unicode/utf8"
)

// ErrExists is returned (wrapped) when create_file names a path that
// exists.
var ErrExists = errors.New("already exists")

// ErrStale is returned (wrapped) when a patch would change a file that
// differs from what the model last saw of it (read or wrote), or a file that
// changed between Prepare and Commit.
var ErrStale = errors.New("changed since it was seen")

// ErrUndoConflict is returned (wrapped) by PrepareUndo when files the turn
// changed were changed again since; the message names them.
var ErrUndoConflict = errors.New("changed since the turn")

// errNoLinks: the file system has no hard links (a create then renames).
var errNoLinks = errors.New("hard links not supported")

// DefaultMaxFileBytes caps a file an edit reads or writes: the Responses
// API's own cap on an operation's diff (10 MiB).
const DefaultMaxFileBytes = 10 << 20

// Operation is one file operation of the apply_patch tool, as the Responses
// API's apply_patch_call carries it in "operation" and as the chat engine's
// function tool takes it as arguments: Type, Path (relative to the work
// tree root) and, for create_file and update_file, a V4A Diff.
type Operation struct {
	Type OpType `json:"type"`
	Path string `json:"path"`
	Diff string `json:"diff,omitempty"`
}

// EditOptions configures an Editor. Zero values mean the defaults.
type EditOptions struct {
	// Tracked answers the hard-link rule, as for the file tools: a file with
	// several links is read (to be patched, deleted or restored) only when
	// git tracks it with that content.
	Tracked TrackedFunc
	// Seen, when set, is the session's record of what the model saw: a
	// patch to a file whose blob differs from the one the model last saw is
	// refused (ErrStale), and a committed patch is recorded in it. Undo
	// neither checks nor records it.
	Seen *Seen
	// Format is the repository's object format, for blob ids (default SHA1).
	Format ObjectFormat
	// MaxFileBytes caps the size of a file read or written (default
	// DefaultMaxFileBytes).
	MaxFileBytes int
}

// Editor changes files of one work tree under the rules the file tools read
// them by (see the package documentation): inside the tree, never .git or a
// file on the secret deny list, no symbolic link followed out of the tree
// or at all as the final name, regular files only, hard-linked files only
// as git tracks them, and a size cap. An Editor is safe for concurrent use;
// patches to the same files should still be committed one at a time.
type Editor struct {
	root string
	opts EditOptions
}

// NewEditor returns an editor for the work tree at root (absolute; symlinks
// in it are resolved once here).
func NewEditor(root string, opts EditOptions) (*Editor, error) {
	real, err := realRoot(root)
	if err != nil {
		return nil, err
	}
	if opts.Format, err = checkFormat(opts.Format); err != nil {
		return nil, fmt.Errorf("open work tree %s for edits: %w", root, err)
	}
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = DefaultMaxFileBytes
	}
	return &Editor{root: real, opts: opts}, nil
}

// Change is one operation of a patch, worked out in memory: the file (Path,
// the slash path from the work tree root with its directories' symlinks
// resolved), its content and mode before and after (Before is nil when the
// operation creates the file, After when it deletes it), their git blob ids
// ("" when absent), the unified diff between them (a/Path, b/Path, or
// /dev/null; "Binary files … differ" for content that is not text), the
// lines it adds and removes, and Fuzzy, the hunks and anchors that matched
// only when whitespace at the ends of lines was ignored. The caller writes
// the blobs to the object database from Before and After.
type Change struct {
	Op                    OpType
	Path                  string
	Before, After         []byte
	BeforeBlob, AfterBlob string
	BeforeMode, AfterMode fs.FileMode
	Diff                  string
	Added, Removed        int
	Fuzzy                 int
}

// Summary is the one line a change is reported by, to the model and the
// user: "updated a.go (+3 -1)".
func (c *Change) Summary() string {
	lines := func(n int) string {
		if n == 1 {
			return "1 line"
		}
		return fmt.Sprintf("%d lines", n)
	}
	if strings.HasPrefix(c.Diff, "Binary files ") {
		lines = func(int) string { return "binary" }
	}
	var s string
	switch {
	case c.BeforeBlob == "" && c.AfterBlob != "":
		s = fmt.Sprintf("created %s (%s)", c.Path, lines(c.Added))
	case c.AfterBlob == "":
		s = fmt.Sprintf("deleted %s (%s)", c.Path, lines(c.Removed))
	default:
		s = fmt.Sprintf("updated %s (+%d -%d)", c.Path, c.Added, c.Removed)
	}
	if c.Fuzzy > 0 {
		s += fmt.Sprintf("; %d of its hunks or anchors matched only when whitespace at the ends of lines was ignored", c.Fuzzy)
	}
	return s
}

// Patch is a set of changes worked out in memory and applied together by
// Commit: all of them or none.
type Patch struct {
	Changes []*Change
	e       *Editor
	model   bool // the model's patch: Seen is checked and updated
}

// Output is what the model is told once the patch is committed: one
// Summary a line.
func (p *Patch) Output() string {
	var b strings.Builder
	for _, c := range p.Changes {
		b.WriteString(c.Summary() + "\n")
	}
	return b.String()
}

// check refuses an operation that is not one of the three or lacks a path.
func (op Operation) check() error {
	switch op.Type {
	case OpCreate, OpUpdate, OpDelete:
	default:
		return &PatchError{Op: op.Type, Path: op.Path, Msg: fmt.Sprintf("unknown operation %q: want create_file, update_file or delete_file", string(op.Type)), Kind: ErrMalformedPatch}
	}
	if strings.TrimSpace(op.Path) == "" {
		return &PatchError{Op: op.Type, Msg: "path is required", Kind: ErrMalformedPatch}
	}
	return nil
}

// fileState is what the work tree holds at a path: nothing, or a regular
// file with its content.
type fileState struct {
	exists bool
	data   []byte
	perm   fs.FileMode
	blob   string
}

// Prepare works out the operations in memory, in order (a later operation
// on a file sees what the earlier ones made of it), and returns the patch
// to show, approve and Commit. Nothing is written. It fails on the first
// operation that cannot be done, and the error says why for the model: a
// *PatchError (malformed diff, or not matching the file), or an error
// wrapping ErrRefused (the path rules), ErrNotFound (update or delete of a
// missing file), ErrExists (create of an existing path) or ErrStale (the
// file is not what the model last saw).
func (e *Editor) Prepare(ctx context.Context, ops ...Operation) (*Patch, error) {
	if len(ops) == 0 {
		return nil, fmt.Errorf("%w: no operation", ErrBadArguments)
	}
	p := &Patch{e: e, model: true}
	overlay := map[string]*fileState{}
	for i, op := range ops {
		c, err := e.prepareOne(ctx, op, overlay)
		if err != nil {
			if len(ops) > 1 {
				err = fmt.Errorf("operation %d of %d: %w", i+1, len(ops), err)
			}
			return nil, err
		}
		p.Changes = append(p.Changes, c)
	}
	return p, nil
}

func (e *Editor) prepareOne(ctx context.Context, op Operation, overlay map[string]*fileState) (*Change, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := op.check(); err != nil {
		return nil, err
	}
	fail := func(err error) (*Change, error) {
		var pe *PatchError
		if errors.As(err, &pe) {
			pe.Path = op.Path
			return nil, pe
		}
		return nil, fmt.Errorf("%s %s: %w", op.Type, op.Path, err)
	}
	t, err := resolveWrite(e.root, op.Path)
	if err != nil {
		return fail(err)
	}
	cur, seenHere := overlay[t.inside]
	if !seenHere {
		st, err := e.readState(ctx, t, op.Type != OpCreate)
		if err != nil {
			return fail(err)
		}
		cur = &st
		if op.Type != OpCreate && cur.exists && e.opts.Seen != nil {
			if last, ok := e.opts.Seen.Last(t.inside); ok && last.Blob != cur.blob {
				how := "read it"
				if last.Edited {
					how = "patched it"
				}
				return fail(fmt.Errorf("%w: %s changed since you %s in turn %d (blob %s then, %s now); read it again and redo the patch",
					ErrStale, t.rel, how, last.Turn, shortBlob(last.Blob), shortBlob(cur.blob)))
			}
		}
	}
	switch {
	case op.Type == OpCreate && cur.exists:
		return fail(fmt.Errorf("%w: %s exists; change it with update_file", ErrExists, t.rel))
	case op.Type != OpCreate && !cur.exists:
		return fail(fmt.Errorf("%s: %w", t.rel, ErrNotFound))
	case op.Type == OpUpdate && !isText(cur.data):
		return fail(fmt.Errorf("%w: %s is not UTF-8 text; it cannot be patched", ErrRefused, t.rel))
	}
	after, fuzzy, err := ApplyV4A(op.Type, cur.data, op.Diff)
	if err != nil {
		return fail(err)
	}
	if len(after) > e.opts.MaxFileBytes {
		return fail(fmt.Errorf("%w: the patched %s would be %d bytes, over the %d-byte cap", ErrRefused, t.rel, len(after), e.opts.MaxFileBytes))
	}
	next := &fileState{}
	if op.Type != OpDelete {
		perm := cur.perm
		if !cur.exists {
			perm = 0o644
		}
		next = &fileState{exists: true, data: after, perm: perm, blob: BlobID(e.opts.Format, after)}
	}
	overlay[t.inside] = next
	return e.change(op.Type, t.inside, *cur, *next, fuzzy)
}

// change builds the Change from one state of a path to another.
func (e *Editor) change(op OpType, inside string, before, after fileState, fuzzy int) (*Change, error) {
	c := &Change{Op: op, Path: inside, Fuzzy: fuzzy}
	from, to := "/dev/null", "/dev/null"
	if before.exists {
		c.Before, c.BeforeBlob, c.BeforeMode, from = before.data, before.blob, before.perm, "a/"+inside
		if c.Before == nil {
			c.Before = []byte{}
		}
	}
	if after.exists {
		c.After, c.AfterBlob, c.AfterMode, to = after.data, after.blob, after.perm, "b/"+inside
		if c.After == nil {
			c.After = []byte{}
		}
	}
	if !isText(c.Before) || !isText(c.After) {
		c.Diff = fmt.Sprintf("Binary files %s and %s differ\n", from, to)
		return c, nil
	}
	d, err := unified(from, to, c.Before, c.After)
	if err != nil {
		return nil, fmt.Errorf("diff %s: %w", inside, err)
	}
	c.Diff = d
	for _, l := range strings.Split(d, "\n") {
		switch {
		case strings.HasPrefix(l, "+++ "), strings.HasPrefix(l, "--- "):
		case strings.HasPrefix(l, "+"):
			c.Added++
		case strings.HasPrefix(l, "-"):
			c.Removed++
		}
	}
	return c, nil
}

// isText reports whether data is text a patch can apply to: no NUL byte
// near the start (as git decides) and valid UTF-8.
func isText(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), sniffBytes)], 0) < 0 && utf8.Valid(data)
}

// writeTarget is a path checked for a write: the path as named (cleaned),
// where it resolves from the root (its directories' symlinks resolved, the
// final name not followed), and how many of its directories are missing.
type writeTarget struct {
	rel     string
	inside  string
	missing int
}

// resolveWrite checks p for a write: relative, not leaving the tree, not
// under .git or on the secret deny list, as named and as resolved. The
// final name may not exist; directories on the way may not either.
func resolveWrite(root, p string) (*writeTarget, error) {
	rel, err := cleanRel(p)
	if err != nil {
		return nil, err
	}
	if rel == "." {
		return nil, fmt.Errorf("%w: %q names the work tree itself, not a file", ErrRefused, p)
	}
	if why := deniedPath(rel); why != "" {
		return nil, fmt.Errorf("%w: %s", ErrRefused, why)
	}
	dir, name := path.Split(rel)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		dir = "."
	}
	// The deepest directory on the way that exists, resolved; the rest is
	// created by a create.
	existing, missing := dir, []string(nil)
	var real string
	for {
		r, err := filepath.EvalSymlinks(filepath.Join(root, filepath.FromSlash(existing)))
		if err == nil {
			real = r
			break
		}
		if errors.Is(err, syscall.ENOTDIR) {
			return nil, fmt.Errorf("%w: %s: a name on the way is a file, not a directory", ErrRefused, rel)
		}
		if !errors.Is(err, fs.ErrNotExist) || existing == "." {
			return nil, fmt.Errorf("resolve %s: %w", rel, err)
		}
		missing = append([]string{path.Base(existing)}, missing...)
		existing = path.Dir(existing)
	}
	in, err := filepath.Rel(root, real)
	if err != nil || in == ".." || strings.HasPrefix(in, ".."+string(filepath.Separator)) || filepath.IsAbs(in) {
		return nil, fmt.Errorf("%w: %q leads out of the work tree through a symbolic link", ErrRefused, rel)
	}
	if fi, err := os.Lstat(real); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%w: %s: %s is not a directory", ErrRefused, rel, existing)
	}
	inside := path.Join(append(append([]string{filepath.ToSlash(in)}, missing...), name)...)
	if why := deniedPath(inside); why != "" {
		return nil, fmt.Errorf("%w: %q resolves to a denied path: %s", ErrRefused, rel, why)
	}
	return &writeTarget{rel: rel, inside: inside, missing: len(missing)}, nil
}

// readState reads what the work tree holds at t, opening the directories
// from the root without following links: nothing, or a regular file (its
// content when content is set, at most MaxFileBytes, under the hard-link
// rule). A symlink, a directory or a special file there is refused.
func (e *Editor) readState(ctx context.Context, t *writeTarget, content bool) (fileState, error) {
	if t.missing > 0 {
		return fileState{}, nil
	}
	dir, name, err := openParent(e.root, t.inside)
	if err != nil {
		return fileState{}, openErr(t.rel, err)
	}
	defer dir.Close()
	return e.stateAt(ctx, dir, name, t.rel, t.inside, content)
}

// stateAt is readState in an open directory.
func (e *Editor) stateAt(ctx context.Context, dir *os.File, name, rel, inside string, content bool) (fileState, error) {
	st, err := lstatAt(dir, name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fileState{}, nil
	case err != nil:
		return fileState{}, openErr(rel, err)
	case st.mode&fs.ModeSymlink != 0:
		return fileState{}, fmt.Errorf("%w: %s is a symbolic link; only regular files are changed (change the file it points to)", ErrRefused, rel)
	case !st.mode.IsRegular():
		return fileState{}, fmt.Errorf("%w: %s is %s, not a regular file", ErrRefused, rel, kindOf(st.mode))
	case !content:
		return fileState{exists: true, perm: st.perm}, nil
	case st.size > int64(e.opts.MaxFileBytes):
		return fileState{}, fmt.Errorf("%w: %s is %d bytes, over the %d-byte cap for edits", ErrRefused, rel, st.size, e.opts.MaxFileBytes)
	}
	src, err := openSource(ctx, dir, name, rel, inside, e.opts.Tracked)
	if err != nil {
		return fileState{}, err
	}
	defer src.Close()
	data, err := io.ReadAll(io.LimitReader(src, int64(e.opts.MaxFileBytes)+1))
	if err != nil {
		return fileState{}, fmt.Errorf("read %s: %w", rel, err)
	}
	if err := src.verify(); err != nil {
		return fileState{}, err
	}
	if len(data) > e.opts.MaxFileBytes {
		return fileState{}, fmt.Errorf("%w: %s is over the %d-byte cap for edits", ErrRefused, rel, e.opts.MaxFileBytes)
	}
	return fileState{exists: true, data: data, perm: src.perm, blob: BlobID(e.opts.Format, data)}, nil
}
