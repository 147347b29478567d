package main

import (
	"fmt"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
)

// report prints err as one line plus its next step (failure.Describe, the
// one map from errors to what the user is told) and returns the exit code.
func report(e *Env, err error) int {
	r := failure.Describe(err)
	fmt.Fprint(e.Stderr, r.String())
	return r.Code
}
