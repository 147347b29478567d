//go:build unix

package gitstore

import (
	"io/fs"
	"syscall"
)

// inode returns the inode and device numbers of a file (0, 0 when unknown).
func inode(fi fs.FileInfo) (ino, dev uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino), uint64(st.Dev) //nolint:unconvert // the types differ by platform
	}
	return 0, 0
}
