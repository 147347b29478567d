//go:build !unix

package gitstore

import "io/fs"

// inode returns 0, 0: this platform's file info has no inode numbers, and
// size and modification time identify a file version alone.
func inode(fs.FileInfo) (ino, dev uint64) { return 0, 0 }
