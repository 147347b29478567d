package worktree

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"strings"
)

// How a patch is committed (Patch.Commit, WriteFile):
//
//  1. Each file's directory is opened from the root one name at a time
//     without following a link (openDirAt), making the missing ones of a
//     created file; the file there is read again and must still be what the
//     patch was worked out from (same blob, or absent), else ErrStale.
//  2. Every new content is written to a temporary file beside its target
//     (".<name>.codex-<random>.tmp", created with O_EXCL|O_NOFOLLOW) and
//     synced; an updated file keeps its permission bits.
//  3. Then, file by file: an update renames its temporary file over the
//     target (an atomic replacement), a create links it to the target name
//     (failing if that name appeared meanwhile, never overwriting), a delete
//     removes the name. If any of these fails, the files already done get
//     their old content back the same way, the temporary files and made
//     directories are removed, and Commit returns the error: all or none.
//
// A process killed in step 3 leaves each file with its old or its new
// content, never a part of either (and perhaps a temporary file beside it).

// commitFault, set by tests, runs before each file of a commit is
// installed; an error fails the commit there, to test the rollback.
var commitFault func(path string) error

// step is the work of a commit on one file: from the state the work tree
// holds to the one it will hold.
type step struct {
	inside, rel string
	from, to    fileState
	check       bool // from must be what is there (not for WriteFile)
	dir         *os.File
	name        string
	tmp         string // the temporary file holding to.data, until installed
	done        bool
}

// madeDir is a directory a commit made, to remove on rollback.
type madeDir struct {
	parent *os.File
	name   string
}

// Commit writes the patch to the work tree, all of it or nothing (see the
// steps above), and, for the model's patches, records in EditOptions.Seen
// what the model's patch left in each file. A file changed since Prepare
// fails the commit with ErrStale, a name created meanwhile with ErrExists.
// A patch commits once.
func (p *Patch) Commit(ctx context.Context) error {
	if p.e == nil {
		return errors.New("commit patch: already committed")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	steps := p.steps()
	if err := p.e.commit(ctx, steps); err != nil {
		return err
	}
	for _, s := range steps {
		for i := len(p.Changes) - 1; i >= 0; i-- {
			if c := p.Changes[i]; c.Path == s.inside && c.AfterBlob != "" {
				c.AfterMode = s.to.perm // as created (the umask applies)
				break
			}
		}
		if p.model && p.e.opts.Seen != nil {
			if s.to.exists {
				p.e.opts.Seen.edited(s.inside, s.to.data)
			} else {
				p.e.opts.Seen.Forget(s.inside)
			}
		}
	}
	p.e = nil
	return nil
}

// steps folds the changes into one step a file: the first change's state
// before and the last one's after.
func (p *Patch) steps() []*step {
	var steps []*step
	byPath := map[string]*step{}
	state := func(data []byte, blob string, perm fs.FileMode) fileState {
		if data == nil {
			return fileState{}
		}
		return fileState{exists: true, data: data, blob: blob, perm: perm}
	}
	for _, c := range p.Changes {
		s, ok := byPath[c.Path]
		if !ok {
			s = &step{inside: c.Path, rel: c.Path, from: state(c.Before, c.BeforeBlob, c.BeforeMode), check: true}
			byPath[c.Path] = s
			steps = append(steps, s)
		}
		s.to = state(c.After, c.AfterBlob, c.AfterMode)
	}
	return steps
}

// commit runs the steps: check, write beside, install, or roll back.
func (e *Editor) commit(ctx context.Context, steps []*step) (err error) {
	var opened []*os.File
	var made []madeDir
	defer func() {
		for _, s := range steps {
			if s.tmp != "" {
				removeAt(s.dir, s.tmp, false)
			}
		}
		if err != nil {
			for i := len(made) - 1; i >= 0; i-- {
				removeAt(made[i].parent, made[i].name, true) // only if still empty
			}
		}
		for _, d := range opened {
			d.Close()
		}
	}()
	for _, s := range steps {
		dir, err := e.openDirForWrite(path.Dir(s.inside), s.rel, s.to.exists && !s.from.exists, &opened, &made)
		if err != nil {
			return err
		}
		s.dir, s.name = dir, path.Base(s.inside)
		cur, err := e.stateAt(ctx, dir, s.name, s.rel, s.inside, s.check && s.from.exists)
		if err != nil {
			return err
		}
		switch {
		case !s.check:
			if cur.exists {
				s.to.perm = cur.perm
			}
			s.from = fileState{exists: cur.exists}
		case s.from.exists && !cur.exists:
			return fmt.Errorf("%w: %s was deleted since the patch was prepared", ErrStale, s.rel)
		case !s.from.exists && cur.exists:
			return fmt.Errorf("%w: %s was created since the patch was prepared", ErrExists, s.rel)
		case cur.exists && cur.blob != s.from.blob:
			return fmt.Errorf("%w: %s changed since the patch was prepared (blob %s then, %s now); read it again",
				ErrStale, s.rel, shortBlob(s.from.blob), shortBlob(cur.blob))
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, s := range steps {
		if s.to.exists {
			if s.tmp, s.to.perm, err = writeTemp(s.dir, s.name, s.to.data, s.to.perm, s.from.exists); err != nil {
				return fmt.Errorf("write %s: %w", s.rel, err)
			}
		}
	}
	for i, s := range steps {
		if commitFault != nil {
			err = commitFault(s.inside)
		}
		if err == nil {
			err = install(s)
		}
		if err != nil {
			if rerr := rollback(steps[:i]); rerr != nil {
				return fmt.Errorf("%w; rolling back failed, the work tree holds part of the patch: %v", err, rerr)
			}
			return err
		}
		s.done = true
	}
	for _, s := range steps {
		s.dir.Sync() // durable renames where the file system supports it
	}
	return nil
}

// openDirForWrite opens the directory dir (a slash path from the root)
// one name at a time without following a link, making the missing ones
// when mkdir is set. Directories opened or made are appended for closing
// and rollback.
func (e *Editor) openDirForWrite(dir, rel string, mkdir bool, opened *[]*os.File, made *[]madeDir) (*os.File, error) {
	d, err := os.Open(e.root)
	if err != nil {
		return nil, fmt.Errorf("open work tree %s: %w", e.root, err)
	}
	*opened = append(*opened, d)
	if dir == "." {
		return d, nil
	}
	for _, name := range strings.Split(dir, "/") {
		next, err := openDirAt(d, name)
		if errors.Is(err, fs.ErrNotExist) && mkdir {
			switch merr := mkdirAt(d, name); {
			case merr == nil:
				*made = append(*made, madeDir{parent: d, name: name})
			case !errors.Is(merr, fs.ErrExist):
				return nil, fmt.Errorf("make the directories of %s: %w", rel, merr)
			}
			next, err = openDirAt(d, name)
		}
		if err != nil {
			return nil, openErr(rel, err)
		}
		*opened = append(*opened, next)
		d = next
	}
	return d, nil
}

// writeTemp writes data to a new temporary file beside name in dir and
// syncs it: with perm when keep is set (an updated file), else with the
// default permissions less the umask. It returns the file's name and its
// permission bits.
func writeTemp(dir *os.File, name string, data []byte, perm fs.FileMode, keep bool) (string, fs.FileMode, error) {
	base := "." + name
	if len(base) > 200 {
		base = base[:200]
	}
	for range 100 {
		tmp := fmt.Sprintf("%s.codex-%016x.tmp", base, rand.Uint64())
		f, err := createAt(dir, tmp, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", 0, err
		}
		err = func() error {
			if keep {
				if err := f.Chmod(perm); err != nil {
					return err
				}
			}
			if _, err := f.Write(data); err != nil {
				return err
			}
			fi, err := f.Stat()
			if err != nil {
				return err
			}
			perm = fi.Mode().Perm()
			return f.Sync()
		}()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			removeAt(dir, tmp, false)
			return "", 0, err
		}
		return tmp, perm, nil
	}
	return "", 0, fmt.Errorf("no free temporary name beside %s", name)
}

// install puts one step's new state in place.
func install(s *step) error {
	switch {
	case s.to.exists && !s.from.exists:
		err := linkAt(s.dir, s.tmp, s.name)
		switch {
		case err == nil:
			removeAt(s.dir, s.tmp, false)
		case errors.Is(err, fs.ErrExist):
			return fmt.Errorf("%w: %s was created meanwhile", ErrExists, s.rel)
		case errors.Is(err, errNoLinks):
			// No hard links here: rename after a last look (a race with a
			// creator is possible only on such file systems).
			if _, lerr := lstatAt(s.dir, s.name); !errors.Is(lerr, fs.ErrNotExist) {
				return fmt.Errorf("%w: %s was created meanwhile", ErrExists, s.rel)
			}
			if err := renameAt(s.dir, s.tmp, s.name); err != nil {
				return fmt.Errorf("create %s: %w", s.rel, err)
			}
		default:
			return fmt.Errorf("create %s: %w", s.rel, err)
		}
		s.tmp = ""
	case s.to.exists:
		if err := renameAt(s.dir, s.tmp, s.name); err != nil {
			return fmt.Errorf("replace %s: %w", s.rel, err)
		}
		s.tmp = ""
	case s.from.exists:
		if err := removeAt(s.dir, s.name, false); err != nil {
			return fmt.Errorf("delete %s: %w", s.rel, err)
		}
	}
	return nil
}

// rollback gives the files of done steps their old state back, the last
// one first.
func rollback(done []*step) error {
	var errs []error
	for i := len(done) - 1; i >= 0; i-- {
		s := done[i]
		switch {
		case !s.from.exists && s.to.exists:
			if err := removeAt(s.dir, s.name, false); err != nil {
				errs = append(errs, fmt.Errorf("remove %s: %w", s.rel, err))
			}
		case s.from.exists:
			tmp, _, err := writeTemp(s.dir, s.name, s.from.data, s.from.perm, true)
			if err == nil {
				if err = renameAt(s.dir, tmp, s.name); err != nil {
					removeAt(s.dir, tmp, false)
				}
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("restore %s: %w", s.rel, err))
			}
		}
	}
	return errors.Join(errs...)
}
