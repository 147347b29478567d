//go:build !unix

package worktree

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// Without the *at system calls, the writes go by path under the directory
// that was opened and checked; a swap of that directory in between is not
// seen, as for the reads on these systems (open_other.go).

func mkdirAt(dir *os.File, name string) error {
	return os.Mkdir(filepath.Join(dir.Name(), name), 0o777)
}

func createAt(dir *os.File, name string, perm fs.FileMode) (*os.File, error) {
	return os.OpenFile(filepath.Join(dir.Name(), name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
}

func renameAt(dir *os.File, from, to string) error {
	return os.Rename(filepath.Join(dir.Name(), from), filepath.Join(dir.Name(), to))
}

func linkAt(dir *os.File, from, to string) error {
	err := os.Link(filepath.Join(dir.Name(), from), filepath.Join(dir.Name(), to))
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return errNoLinks
	}
	return err
}

func removeAt(dir *os.File, name string, _ bool) error {
	return os.Remove(filepath.Join(dir.Name(), name))
}
