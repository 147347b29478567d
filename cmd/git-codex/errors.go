package main

import (
	"fmt"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/cmd/git-codex/ui"
)

// report prints err as one line plus its next step (failure.Describe, the
// one map from errors to what the user is told), coloured on a terminal as
// git colours its own errors and advice, and returns the exit code.
func report(e *Env, err error) int {
	r := failure.Describe(err)
	p := e.ErrPalette()
	fmt.Fprintln(e.Stderr, p.Paint(ui.SlotError, "git-codex: "+r.Message))
	if r.Hint != "" {
		fmt.Fprintln(e.Stderr, p.Paint(ui.SlotHint, "hint: "+r.Hint))
	}
	return r.Code
}
