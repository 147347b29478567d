package worktree

// CallDirect runs a tool in the caller's goroutine, without Call's early
// return on cancellation, so tests can see that the tool itself stops.
var CallDirect = (*Tools).call
