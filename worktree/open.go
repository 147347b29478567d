package worktree

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"strings"
)

// TrackedFunc reports the blob id (hex, SHA-1 or SHA-256) that git's index
// holds at stage 0 for rel, a slash path relative to the work tree root, when
// rel is tracked there as a regular file; ok is false otherwise (untracked,
// a symlink or submodule entry, a conflict, or the lookup failed). The file
// tools use it only for files with more than one hard link.
type TrackedFunc func(ctx context.Context, rel string) (blobID string, ok bool)

// errChanged is why an open is refused when the path no longer is what the
// check saw: a symlink, a special file or another file put in its place.
var errChanged = errors.New("it changed while being opened (renamed or replaced meanwhile)")

// fileStat is what the file system says about one name, not following it.
type fileStat struct {
	mode  fs.FileMode // only the type bits
	perm  fs.FileMode // the permission bits
	size  int64
	nlink uint64
}

// notRegularError is why a name that is not a regular file is not opened.
type notRegularError struct{ mode fs.FileMode }

func (e *notRegularError) Error() string { return "not a regular file (" + kindOf(e.mode) + ")" }

// kindOf names a file type for a refusal or a listing.
func kindOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m.IsRegular():
		return "a regular file"
	}
	return "a special file"
}

// openParent opens the directories leading to inside (a resolved slash path
// relative to root, with no symlinks in it when it was checked) one at a
// time, from the root and without following any symbolic link, and returns
// the last directory and the final name ("" when inside is the root).
func openParent(root, inside string) (*os.File, string, error) {
	dir, err := os.Open(root)
	if err != nil {
		return nil, "", fmt.Errorf("open work tree %s: %w", root, err)
	}
	if inside == "." || inside == "" {
		return dir, "", nil
	}
	parts := strings.Split(inside, "/")
	for _, name := range parts[:len(parts)-1] {
		next, err := openDirAt(dir, name)
		dir.Close()
		if err != nil {
			return nil, "", err
		}
		dir = next
	}
	return dir, parts[len(parts)-1], nil
}

// openErr turns an open failure of rel into the errors the tools return.
func openErr(rel string, err error) error {
	var nr *notRegularError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: %w", rel, ErrNotFound)
	case errors.Is(err, errChanged):
		return fmt.Errorf("%w: %s: %v", ErrRefused, rel, errChanged)
	case errors.As(err, &nr):
		return fmt.Errorf("%w: %s is %s, not a regular file", ErrRefused, rel, kindOf(nr.mode))
	}
	return fmt.Errorf("open %s: %w", rel, err)
}

// target is a checked path opened up to its last component: the directory
// holding it and what the file system says about the final name (not
// following it). Nothing but metadata has been read.
type target struct {
	rel    string // as the caller named it, cleaned
	inside string // resolved: slash path from the root, no symlinks in it
	parent *os.File
	name   string // "" when the target is the root itself
	st     fileStat
}

// locate checks p (resolveIn) and opens the directories leading to what it
// resolves to, without following any link, so that what is opened next is
// what was checked. The caller closes the target.
func locate(root, p string) (*target, error) {
	rel, inside, err := resolveIn(root, p)
	if err != nil {
		return nil, err
	}
	parent, name, err := openParent(root, inside)
	if err != nil {
		return nil, openErr(rel, err)
	}
	t := &target{rel: rel, inside: inside, parent: parent, name: name, st: fileStat{mode: fs.ModeDir}}
	if name != "" {
		if t.st, err = lstatAt(parent, name); err != nil {
			parent.Close()
			return nil, openErr(rel, err)
		}
	}
	return t, nil
}

func (t *target) Close() {
	if t.parent != nil {
		t.parent.Close()
	}
}

// openDir opens the target directory.
func (t *target) openDir() (*os.File, error) {
	if t.name == "" {
		d := t.parent
		t.parent = nil
		return d, nil
	}
	d, err := openDirAt(t.parent, t.name)
	if err != nil {
		return nil, openErr(t.rel, err)
	}
	return d, nil
}

// openFile opens the target regular file under the hard-link rule.
func (t *target) openFile(ctx context.Context, tracked TrackedFunc) (*source, error) {
	if t.name == "" {
		return nil, fmt.Errorf("%w: %s is a directory, not a regular file", ErrRefused, t.rel)
	}
	return openSource(ctx, t.parent, t.name, t.rel, t.inside, tracked)
}

// openSource opens the regular file name in dir (inside being its slash path
// from the root) and applies the hard-link rule: a file with more than one
// link is refused unless git tracks inside, and then what is read is hashed
// so that verify can compare it with the tracked blob.
func openSource(ctx context.Context, dir *os.File, name, rel, inside string, tracked TrackedFunc) (*source, error) {
	f, st, err := openFileAt(dir, name)
	if err != nil {
		return nil, openErr(rel, err)
	}
	s := &source{ctx: ctx, f: f, r: f, rel: rel, size: st.size, perm: st.perm}
	if st.nlink > 1 {
		if err := s.expectTracked(tracked, inside, st.nlink); err != nil {
			f.Close()
			return nil, err
		}
	}
	return s, nil
}

// source reads one opened regular file for a tool. Every read first checks
// ctx, so a cancelled turn stops reading. For a file with several hard links
// it hashes what it reads, the way git hashes a blob.
type source struct {
	ctx  context.Context
	f    *os.File
	r    io.Reader
	rel  string
	size int64       // as fstat saw it when opened
	perm fs.FileMode // likewise
	n    int64       // bytes read
	hash hash.Hash
	want string // the blob id git tracks; set with hash
}

func (s *source) Read(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := s.r.Read(p)
	if s.hash != nil {
		s.hash.Write(p[:n])
	}
	s.n += int64(n)
	return n, err
}

func (s *source) Close() error { return s.f.Close() }

// expectTracked is the hard-link rule's first half: a file with nlink links
// is read only if git tracks inside as a regular file; its content is then
// checked against that blob by verify.
func (s *source) expectTracked(tracked TrackedFunc, inside string, nlink uint64) error {
	id, ok := "", false
	if tracked != nil {
		id, ok = tracked(s.ctx, inside)
	}
	if err := s.ctx.Err(); err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: %s has %d hard links and git does not track it (a hard link can share the content of a file outside the work tree)",
			ErrRefused, s.rel, nlink)
	}
	switch len(id) {
	case 2 * sha1.Size:
		s.hash = sha1.New()
	case 2 * sha256.Size:
		s.hash = sha256.New()
	default:
		return fmt.Errorf("%w: %s has %d hard links and its tracked blob id %q is not one git uses", ErrRefused, s.rel, nlink, id)
	}
	fmt.Fprintf(s.hash, "blob %d\x00", s.size)
	s.want = strings.ToLower(id)
	// Hash no more than the size the blob header names (and one byte to see
	// the file grew): a mismatch either way.
	s.r = io.LimitReader(s.f, s.size+1)
	return nil
}

// verify is the hard-link rule's second half: for a hashed file it reads
// what is left and refuses the file unless everything read is the blob git
// tracks. Nothing read from a hashed file may be shown before verify passes.
// For any other file it does nothing.
func (s *source) verify() error {
	if s.hash == nil {
		return nil
	}
	if _, err := io.Copy(io.Discard, s); err != nil {
		return fmt.Errorf("read %s: %w", s.rel, err)
	}
	if s.n != s.size || hex.EncodeToString(s.hash.Sum(nil)) != s.want {
		return fmt.Errorf("%w: %s has several hard links and its content differs from what git tracks at that path", ErrRefused, s.rel)
	}
	return nil
}
