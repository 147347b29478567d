//go:build !unix

package worktree

import (
	"io/fs"
	"os"
	"path/filepath"
)

// Without openat, the names are checked and then opened by path, and the
// opened file is compared with what was checked (os.SameFile): a swap in
// between is refused, though a swap of a parent directory and back again
// is not seen. Link counts are not read here, so the hard-link rule only
// applies on Unix.

func openDirAt(dir *os.File, name string) (*os.File, error) {
	p := filepath.Join(dir.Name(), name)
	before, err := os.Lstat(p)
	if err != nil {
		return nil, err
	}
	if !before.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: p, Err: errChanged}
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	if after, err := f.Stat(); err != nil || !os.SameFile(before, after) {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: p, Err: errChanged}
	}
	return f, nil
}

func lstatAt(dir *os.File, name string) (fileStat, error) {
	fi, err := os.Lstat(filepath.Join(dir.Name(), name))
	if err != nil {
		return fileStat{}, err
	}
	return fileStat{mode: fi.Mode().Type(), perm: fi.Mode().Perm(), size: fi.Size(), nlink: 1}, nil
}

func openFileAt(dir *os.File, name string) (*os.File, fileStat, error) {
	p := filepath.Join(dir.Name(), name)
	before, err := os.Lstat(p)
	if err != nil {
		return nil, fileStat{}, err
	}
	if !before.Mode().IsRegular() {
		return nil, fileStat{}, &fs.PathError{Op: "open", Path: p, Err: &notRegularError{mode: before.Mode().Type()}}
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fileStat{}, err
	}
	after, err := f.Stat()
	if err != nil || !os.SameFile(before, after) || !after.Mode().IsRegular() {
		f.Close()
		return nil, fileStat{}, &fs.PathError{Op: "open", Path: p, Err: errChanged}
	}
	return f, fileStat{perm: after.Mode().Perm(), size: after.Size(), nlink: 1}, nil
}
