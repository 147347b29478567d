//go:build unix

package worktree_test

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := unix.Mkfifo(path, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
}

// mkdev makes a character device like /dev/zero (major 1, minor 5 on
// Linux); it needs privilege, and reports false without it.
func mkdev(path string) bool {
	if runtime.GOOS != "linux" {
		return false // device numbers and their types differ elsewhere
	}
	return unix.Mknod(path, unix.S_IFCHR|0o644, 1<<8|5) == nil
}

// peakRSS returns the process's peak resident set size in bytes.
func peakRSS() (int64, bool) {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0, false
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return ru.Maxrss, true // bytes there
	}
	return ru.Maxrss << 10, true // KiB elsewhere
}
