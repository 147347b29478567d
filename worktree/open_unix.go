//go:build unix

package worktree

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Every open here is relative to an open directory and never follows a
// symbolic link (O_NOFOLLOW on the name, and the names come one component at
// a time), so a path swapped between the check and the open cannot lead
// anywhere the check did not see. O_NONBLOCK keeps a FIFO or a device put in
// place meanwhile from blocking the open; such a file is refused after.

// openDirAt opens the directory name in dir without following a symbolic
// link: a symlink or anything but a directory there fails with errChanged.
func openDirAt(dir *os.File, name string) (*os.File, error) {
	p := filepath.Join(dir.Name(), name)
	var fd int
	err := withFd(dir, func(dfd int) error {
		var err error
		fd, err = unix.Openat(dfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		return err
	})
	switch {
	case err == nil:
		return os.NewFile(uintptr(fd), p), nil
	case errors.Is(err, unix.ELOOP), errors.Is(err, unix.EMLINK), errors.Is(err, unix.ENOTDIR):
		// A symlink (ELOOP; EMLINK on FreeBSD) or a file where a directory was.
		return nil, &fs.PathError{Op: "open", Path: p, Err: errChanged}
	default:
		return nil, &fs.PathError{Op: "open", Path: p, Err: err}
	}
}

// lstatAt describes the entry name in dir without following it.
func lstatAt(dir *os.File, name string) (fileStat, error) {
	var st unix.Stat_t
	err := withFd(dir, func(dfd int) error {
		return unix.Fstatat(dfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	})
	if err != nil {
		return fileStat{}, &fs.PathError{Op: "lstat", Path: filepath.Join(dir.Name(), name), Err: err}
	}
	return statOf(&st), nil
}

// openFileAt opens the regular file name in dir for reading. It looks at
// the entry first and opens nothing but a regular file; it opens without
// following a symlink and without blocking; and it checks that what it
// opened is the file it looked at (same device and inode, still regular).
// Anything else fails with a *notRegularError or errChanged.
func openFileAt(dir *os.File, name string) (*os.File, fileStat, error) {
	p := filepath.Join(dir.Name(), name)
	var fd int
	var seen fileStat
	err := withFd(dir, func(dfd int) error {
		var before unix.Stat_t
		if err := unix.Fstatat(dfd, name, &before, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return err
		}
		if seen = statOf(&before); !seen.mode.IsRegular() {
			return &notRegularError{mode: seen.mode}
		}
		var err error
		fd, err = unix.Openat(dfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.EMLINK) || errors.Is(err, unix.ENXIO) {
			// A symlink, or a socket or device put in its place.
			return errChanged
		}
		if err != nil {
			return err
		}
		var after unix.Stat_t
		if err := unix.Fstat(fd, &after); err != nil {
			unix.Close(fd)
			return err
		}
		if after.Dev != before.Dev || after.Ino != before.Ino || after.Mode&unix.S_IFMT != unix.S_IFREG {
			unix.Close(fd)
			return errChanged
		}
		seen = statOf(&after)
		return nil
	})
	if err != nil {
		return nil, fileStat{}, &fs.PathError{Op: "open", Path: p, Err: err}
	}
	return os.NewFile(uintptr(fd), p), seen, nil
}

// withFd runs fn with dir's descriptor, which stays open meanwhile.
func withFd(dir *os.File, fn func(fd int) error) error {
	rc, err := dir.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

func statOf(st *unix.Stat_t) fileStat {
	var mode fs.FileMode
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		mode = fs.ModeDir
	case unix.S_IFLNK:
		mode = fs.ModeSymlink
	case unix.S_IFIFO:
		mode = fs.ModeNamedPipe
	case unix.S_IFSOCK:
		mode = fs.ModeSocket
	case unix.S_IFCHR:
		mode = fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		mode = fs.ModeDevice
	case unix.S_IFREG:
	default:
		mode = fs.ModeIrregular
	}
	return fileStat{mode: mode, perm: fs.FileMode(st.Mode) & fs.ModePerm, size: st.Size, nlink: uint64(st.Nlink)}
}
