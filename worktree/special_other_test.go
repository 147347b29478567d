//go:build !unix

package worktree_test

import "testing"

func mkfifo(t *testing.T, path string) { t.Skip("no FIFOs on this system") }

func mkdev(path string) bool { return false }

func peakRSS() (int64, bool) { return 0, false }
