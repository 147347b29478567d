package worktree

import "testing"

// CallDirect runs a tool in the caller's goroutine, without Call's early
// return on cancellation, so tests can see that the tool itself stops.
var CallDirect = (*Tools).call

// SetCommitFault makes every commit call f before installing each file
// (f's error fails the commit there), until the test ends.
func SetCommitFault(t testing.TB, f func(path string) error) {
	commitFault = f
	t.Cleanup(func() { commitFault = nil })
}
