//go:build unix

package worktree

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// The writes, like the reads, act on names in an open directory and never
// follow a symbolic link: a temporary file is created next to its target
// (O_CREAT|O_EXCL|O_NOFOLLOW), then renamed over it, or linked to it when
// the target must not exist yet, so that the name the check passed is the
// one written, whatever is swapped in meanwhile.

// mkdirAt makes the directory name in dir (0777 less the umask).
func mkdirAt(dir *os.File, name string) error {
	err := withFd(dir, func(dfd int) error { return unix.Mkdirat(dfd, name, 0o777) })
	if err != nil {
		return &fs.PathError{Op: "mkdir", Path: filepath.Join(dir.Name(), name), Err: err}
	}
	return nil
}

// createAt creates the new regular file name in dir for writing, without
// following a symbolic link; it fails with fs.ErrExist when name exists.
func createAt(dir *os.File, name string, perm fs.FileMode) (*os.File, error) {
	var fd int
	err := withFd(dir, func(dfd int) error {
		var err error
		fd, err = unix.Openat(dfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_NOCTTY|unix.O_CLOEXEC, uint32(perm))
		return err
	})
	if err != nil {
		return nil, &fs.PathError{Op: "create", Path: filepath.Join(dir.Name(), name), Err: err}
	}
	return os.NewFile(uintptr(fd), filepath.Join(dir.Name(), name)), nil
}

// renameAt renames from to to in dir, replacing to (not following it).
func renameAt(dir *os.File, from, to string) error {
	err := withFd(dir, func(dfd int) error { return unix.Renameat(dfd, from, dfd, to) })
	if err != nil {
		return &fs.PathError{Op: "rename", Path: filepath.Join(dir.Name(), to), Err: err}
	}
	return nil
}

// linkAt gives the file from a second name to in dir, which must not
// exist (fs.ErrExist). errNoLinks when the file system has no hard links.
func linkAt(dir *os.File, from, to string) error {
	err := withFd(dir, func(dfd int) error { return unix.Linkat(dfd, from, dfd, to, 0) })
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.ENOTSUP), errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.EMLINK):
		return errNoLinks
	}
	return &fs.PathError{Op: "link", Path: filepath.Join(dir.Name(), to), Err: err}
}

// removeAt removes the file name from dir (a directory when isDir).
func removeAt(dir *os.File, name string, isDir bool) error {
	flags := 0
	if isDir {
		flags = unix.AT_REMOVEDIR
	}
	err := withFd(dir, func(dfd int) error { return unix.Unlinkat(dfd, name, flags) })
	if err != nil {
		return &fs.PathError{Op: "remove", Path: filepath.Join(dir.Name(), name), Err: err}
	}
	return nil
}
