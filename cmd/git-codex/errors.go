package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/git-codex/git-codex/gitstore"
)

// Exit codes. They are documented in README.md and never renumbered.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitCheck       = 3 // check found something to fix
	exitConfig      = 4 // configuration or authentication
	exitModel       = 5 // the model API failed
	exitInterrupted = 130
)

// userError is an error the command layer shows as one line, with the next
// step to take and the exit code to use.
type userError struct {
	code int
	msg  string
	hint string
	err  error
}

func (e *userError) Error() string { return e.msg }
func (e *userError) Unwrap() error { return e.err }

// usageErrorf reports bad command-line input (exit 2).
func usageErrorf(hint, format string, args ...any) error {
	return &userError{code: exitUsage, msg: fmt.Sprintf(format, args...), hint: hint}
}

// withHint gives err an exit code and a next step, keeping it wrappable.
func withHint(code int, err error, hint string) error {
	return &userError{code: code, msg: err.Error(), hint: hint, err: err}
}

// report prints err as one line plus its next step and returns the exit code.
func report(e *Env, err error) int {
	code := exitError
	msg := err.Error()
	hint := ""
	var ue *userError
	switch {
	case errors.As(err, &ue):
		code, msg, hint = ue.code, ue.msg, ue.hint
	case errors.Is(err, context.Canceled):
		code, msg = exitInterrupted, "interrupted"
	case errors.Is(err, gitstore.ErrNotRepository):
		hint = "run inside a git repository"
	case errors.Is(err, gitstore.ErrLocked):
		hint = "if no git process is running, remove the lock file named above"
	case errors.Is(err, gitstore.ErrInvalidTopic):
		code, hint = exitUsage, "choose a topic that can name a branch, or pass -t TOPIC"
	}
	msg = strings.ReplaceAll(strings.TrimSpace(msg), "\n", " ")
	fmt.Fprintf(e.Stderr, "git-codex: %s\n", msg)
	if hint != "" {
		fmt.Fprintf(e.Stderr, "hint: %s\n", hint)
	}
	return code
}
