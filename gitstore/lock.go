package gitstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/git-codex/git-codex/internal/text"
)

// lockTimeout bounds how long a writer waits for another writer's lock
// before reporting it as stale. git itself waits core.filesRefLockTimeout
// (100 ms by default); writers here hold a lock for a few milliseconds, so a
// lock older than this is almost certainly left by a killed process.
const lockTimeout = 10 * time.Second

// lockStale is the age from which a lock file is taken to be left behind
// by a killed process and reported at once instead of waited for.
const lockStale = 30 * time.Second

// refLock is a held `<ref>.lock` file, git's lock-file protocol: created
// with O_EXCL, written, fsynced and renamed over the ref. Anyone following
// the protocol (git itself included) is excluded while we hold it.
type refLock struct {
	r    *Repo
	name string
	path string
	f    *os.File
	old  string // the value current read under the lock
}

// lockRef takes the lock for ref name, waiting (with jittered backoff) while
// another process holds it. Returns an error wrapping ErrLocked, naming the
// lock file and the command that clears it, when the wait exceeds lockTimeout.
func (r *Repo) lockRef(ctx context.Context, name string) (*refLock, error) {
	return r.lockFile(ctx, name, r.refFile(name))
}

// lockFile takes the lock of the file at path (named name in errors): ref
// name's file, or packed-refs.
func (r *Repo) lockFile(ctx context.Context, name, path string) (*refLock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	lockPath := path + ".lock"
	// The lock is created with O_EXCL, as git creates it, then flocked and
	// given its owner line (see lockowner.go). A writer killed between the
	// two leaves a lock without the line, which is waited for and reported
	// by age as git's own are. (Linking a prepared file that already names
	// its owner closes that window, at the cost of creating a second file
	// per write: a millisecond on some file systems, for a window of
	// microseconds.)
	deadline := time.Now().Add(lockTimeout)
	wait := 200 * time.Microsecond
	recreated := 0
	for {
		f, err := os.OpenFile(lockPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if err == nil {
			markOwner(f)
			return &refLock{r: r, name: name, path: path, f: f}, nil
		}
		if errors.Is(err, fs.ErrNotExist) {
			// `git pack-refs --prune` removes directories it emptied;
			// recreate ours and try again, as git's own
			// raceproof_create_file does, a few times.
			if recreated++; recreated > 8 || ctx.Err() != nil {
				return nil, fmt.Errorf("lock %s: %w", name, errors.Join(err, ctx.Err()))
			}
			if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
				return nil, fmt.Errorf("lock %s: %w", name, err)
			}
			continue
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("lock %s: %w", name, err)
		}
		if _, gone := staleLock(lockPath, true); gone {
			continue // left by a git codex process that is gone: removed
		}
		if fi, err := os.Stat(lockPath); err == nil && time.Since(fi.ModTime()) > lockStale {
			deadline = time.Now() // nobody holds a ref lock this long: report it now
		}
		if time.Now().After(deadline) {
			age := ""
			if fi, err := os.Stat(lockPath); err == nil {
				age = fmt.Sprintf(" (%s old)", time.Since(fi.ModTime()).Round(time.Second))
			}
			return nil, fmt.Errorf("%w: %s exists%s; if no git process is running, remove it: rm '%s'",
				ErrLocked, lockPath, age, lockPath)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait + rand.N(wait)):
		}
		if wait < 20*time.Millisecond {
			wait *= 2
		}
	}
}

// current reads the ref's value while the lock is held: the loose file
// first, packed-refs second, as git does. "" means the ref does not exist.
func (l *refLock) current() (string, error) {
	v, err := l.r.readRefOnce(l.name)
	if errors.Is(err, ErrNotFound) {
		v, err = "", nil
	}
	l.old = v
	return v, err
}

// commit writes value into the lock file, fsyncs it and renames it over the
// ref. After commit (successful or not) the lock is released.
func (l *refLock) commit(value string) error {
	// No fsync, as git by default (core.fsync leaves references out): the
	// rename is atomic for every process, and a held lock is what a SIGKILL
	// leaves behind, so the lock is held for as short a time as possible.
	// Set codex.fsyncRefs=true for durability across power loss.
	//
	// The value takes the owner line's place: at the rename the file holds
	// exactly the ref's new content, as git's protocol wants. The file
	// stays open (and flocked) until after the rename, so that no other
	// process can take it for a dead owner's in between.
	//
	// Under the lock, before the rename, as git orders it: a reflog entry
	// lets a user recover an earlier notes commit with plain git. It goes
	// first, so that a kill is least likely to land between the owner line
	// being overwritten and the rename (such a lock names no owner and is
	// waited for).
	l.r.logRefUpdate(l.name, l.old, value)
	return l.install([]byte(value + "\n"))
}

// install writes data into the lock file and renames it over the locked
// file; the lock is released whatever happens.
func (l *refLock) install(data []byte) error {
	_, err := l.f.WriteAt(data, 0)
	if err == nil {
		err = l.f.Truncate(int64(len(data)))
	}
	if err == nil && l.r.fsyncRefs() {
		err = l.f.Sync()
	}
	if err == nil {
		err = os.Rename(l.path+".lock", l.path)
	}
	if err != nil {
		_ = os.Remove(l.path + ".lock")
	}
	if cerr := l.f.Close(); err == nil && cerr != nil {
		// Renamed already: the file has its new content whatever close says.
		err = nil
	}
	l.f = nil
	if err != nil {
		return fmt.Errorf("update %s: %w", l.name, err)
	}
	return nil
}

// release drops the lock without changing the ref: the file is removed
// before it is closed, so that its flock covers it to the end.
func (l *refLock) release() {
	if l.f != nil {
		_ = os.Remove(l.path + ".lock")
		_ = l.f.Close()
		l.f = nil
	}
}

// markOwner takes the lock file's flock and writes the owner line into it
// (see lockowner.go). It never fails the lock: without it the lock is only
// waited for, never taken for a dead owner's.
func markOwner(f *os.File) {
	if lockMarksOwner && flockFile(f) == nil {
		_, _ = f.WriteAt([]byte(self().String()), 0)
	}
}

// staleLock reports whether the lock file at path was provably left behind
// by a git codex process that is gone (see lockowner.go), and names its
// owner. With remove, such a lock is removed — only while its flock is held
// here and the path still names the file judged, so that a lock taken in
// between by someone else is never touched.
func staleLock(path string, remove bool) (lockOwner, bool) {
	if !lockMarksOwner {
		return lockOwner{}, false
	}
	f, err := os.Open(path)
	if err != nil {
		return lockOwner{}, false
	}
	defer f.Close()
	if !tryFlock(f) {
		return lockOwner{}, false // its owner holds it: alive
	}
	b := make([]byte, 512)
	n, _ := f.ReadAt(b, 0)
	o, ok := parseLockOwner(b[:n])
	if !ok || !o.gone() {
		return o, false
	}
	if remove {
		held, err1 := f.Stat()
		now, err2 := os.Lstat(path)
		if err1 != nil || err2 != nil || !os.SameFile(held, now) || os.Remove(path) != nil {
			return o, false
		}
	}
	return o, true
}

// UpdateRef moves ref name from old to new as a compare-and-swap through
// git's lock protocol. old == "" means the ref must not exist yet. Returns an
// error wrapping ErrConflict when the ref no longer has the value old. A
// symbolic ref is followed and its target updated, as `git update-ref` does.
func (r *Repo) UpdateRef(ctx context.Context, name, old, new string) error {
	name, err := r.symrefTarget(name)
	if err != nil {
		return err
	}
	l, err := r.lockRef(ctx, name)
	if err != nil {
		return err
	}
	defer l.release()
	cur, err := l.current()
	if err != nil {
		return err
	}
	if cur != old || strings.HasPrefix(cur, "ref: ") {
		return fmt.Errorf("update %s: expected %q, found %q: %w", name, text.ShortID(old), text.ShortID(cur), ErrConflict)
	}
	return l.commit(new)
}

// symrefTarget follows loose symbolic refs from name and returns the ref
// that holds an object id (or does not exist yet): the ref git's update-ref
// locks and writes. packed-refs never holds symbolic refs.
func (r *Repo) symrefTarget(name string) (string, error) {
	for depth := 0; depth < 5; depth++ {
		v, err := r.readRefOnce(name)
		if errors.Is(err, ErrNotFound) {
			return name, nil
		}
		if err != nil {
			return "", err
		}
		target, sym := strings.CutPrefix(v, "ref: ")
		if !sym {
			return name, nil
		}
		if !strings.HasPrefix(target, "refs/") {
			return "", fmt.Errorf("symbolic ref %s points outside refs/ (%s)", name, target)
		}
		name = target
	}
	return "", fmt.Errorf("read ref %s: symbolic ref loop", name)
}

// notesRefTarget is symrefTarget for a notes ref: like `git notes`, it
// refuses to write notes anywhere but below refs/notes/.
func (r *Repo) notesRefTarget(name string) (string, error) {
	t, err := r.symrefTarget(name)
	if err == nil && !strings.HasPrefix(t, "refs/notes/") {
		err = fmt.Errorf("symbolic ref %s points outside refs/notes/ (%s)", name, t)
	}
	return t, err
}

// fsyncRefs reports whether ref updates are fsynced before the rename
// (git config codex.fsyncRefs, or core.fsync naming "reference" or "all").
func (r *Repo) fsyncRefs() bool {
	if r.ConfigBool("codex.fsyncRefs", false) {
		return true
	}
	for _, v := range r.ConfigAll("core.fsync") {
		for _, c := range strings.Split(v, ",") {
			switch strings.TrimSpace(c) {
			case "reference", "all", "committed":
				return true
			}
		}
	}
	return false
}

// logRefUpdate appends a reflog entry for a ref update the way git does for
// refs/notes/ (core.logAllRefUpdates, true by default in non-bare
// repositories; an existing log is always appended to). A failure to log
// never fails the update: the reflog is a recovery aid, not the data.
func (r *Repo) logRefUpdate(name, old, new string) {
	path := filepath.Join(r.commonDir, "logs", filepath.FromSlash(name))
	if _, err := os.Stat(path); err != nil {
		v, _ := r.Config("core.logAllRefUpdates")
		always := strings.EqualFold(strings.TrimSpace(v), "always")
		if !always && !r.ConfigBool("core.logAllRefUpdates", r.workTree != "") {
			return
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
			return
		}
	}
	if old == "" {
		old = strings.Repeat("0", len(new))
	}
	sig := r.signature()
	clean := strings.NewReplacer("<", "", ">", "", "\n", " ", "\t", " ")
	line := fmt.Sprintf("%s %s %s <%s> %d %s\tnotes: git codex\n", old, new,
		clean.Replace(sig.Name), clean.Replace(sig.Email), sig.When.Unix(), sig.When.Format("-0700"))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o666)
	if err != nil {
		return
	}
	_, _ = f.WriteString(line)
	_ = f.Close()
}
