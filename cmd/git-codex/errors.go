package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/git-codex/git-codex/codexcli"
	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/history"
	"github.com/git-codex/git-codex/hooks"
	"github.com/git-codex/git-codex/model"
	"github.com/git-codex/git-codex/notesync"
	"github.com/git-codex/git-codex/session"
	"github.com/git-codex/git-codex/worktree"
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

// Errors of the command layer whose exit codes classify decides.
var (
	// errCheckFailed: check found something to fix (exit 3).
	errCheckFailed = errors.New("check failed")
	// errBadConfig: a git config value cannot be used (exit 4).
	errBadConfig = errors.New("bad configuration")
	// errModelAnswer: the model answered, but not what was asked (exit 5).
	errModelAnswer = errors.New("unusable answer")
)

// usageError is bad command-line input (exit 2), with the next step.
type usageError struct {
	msg, hint string
}

func (e *usageError) Error() string { return e.msg }

// usageErrorf reports bad command-line input (exit 2).
func usageErrorf(hint, format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), hint: hint}
}

// hintError gives err the next step to take in this command (it wins over
// the one classify knows for err's cause) and, when msg is set, the line to
// show instead of err's text. The exit code stays classify's.
type hintError struct {
	msg, hint string
	err       error
}

func (e *hintError) Error() string {
	if e.msg != "" {
		return e.msg
	}
	return e.err.Error()
}

func (e *hintError) Unwrap() error { return e.err }

// withHint gives err a next step.
func withHint(err error, hint string) error { return &hintError{hint: hint, err: err} }

// sayInstead shows msg in place of err's text, with a next step.
func sayInstead(err error, msg, hint string) error { return &hintError{msg: msg, hint: hint, err: err} }

// classify is the one map from an error to what the user is told and the
// exit code (README's table). Cancellation comes first: Ctrl-C ends every
// command with 130, whatever it was doing. Then the usage errors the
// command line makes, then the causes the layers below report, with the
// next step for each; a next step the command attached wins.
func classify(err error) (code int, msg, hint string) {
	if errors.Is(err, context.Canceled) {
		if errors.Is(err, session.ErrInterrupted) {
			return exitInterrupted, session.ErrInterrupted.Error(), ""
		}
		return exitInterrupted, "interrupted", ""
	}
	var ue *usageError
	if errors.As(err, &ue) {
		return exitUsage, ue.msg, ue.hint
	}
	code, hint = cause(err)
	msg = err.Error()
	var he *hintError
	if errors.As(err, &he) {
		msg = he.Error()
		if he.hint != "" {
			hint = he.hint
		}
	}
	return code, msg, hint
}

// cause returns the exit code and next step for the cause of err.
func cause(err error) (int, string) {
	// A hint says the message is stored only when it was (a
	// *session.SendError: the request failed after the turn was written).
	var sent *session.SendError
	stored := func(hint, also string) string {
		if errors.As(err, &sent) {
			return hint + also
		}
		return hint
	}
	switch {
	// The command layer's own.
	case errors.Is(err, errCheckFailed):
		return exitCheck, ""
	case errors.Is(err, errBadConfig):
		return exitConfig, ""
	case errors.Is(err, errModelAnswer):
		return exitModel, ""

	// The model and its configuration.
	case errors.Is(err, session.ErrNoAPIKey):
		return exitConfig, stored("set OPENAI_API_KEY (or OPENAI_BASE_URL / git config codex.baseURL for a local server)",
			"; your message is stored, 'git codex reply' sends it along")
	case errors.Is(err, model.ErrNoResponsesAPI):
		return exitConfig, stored("this server does not speak the Responses API: git config codex.engine chat",
			"; then 'git codex reply --engine chat' moves this session over (your message is stored and sent along)")
	case errors.Is(err, model.ErrBaseURL):
		return exitConfig, stored("point it at the server with http:// or https:// and a host that resolves, e.g. OPENAI_BASE_URL=http://localhost:11434/v1",
			"; your message is stored, 'git codex reply' sends it along")
	case errors.Is(err, model.ErrAuth):
		return exitConfig, stored("check OPENAI_API_KEY: the model API refused it", " (your message is stored)")
	case errors.Is(err, model.ErrModelNotFound):
		return exitConfig, "set git config codex.fallbackModel, or open a session with another model: git codex delegate --model M"
	case errors.Is(err, model.ErrQuota):
		return exitModel, "the account is out of quota; check billing with the provider"
	case errors.Is(err, model.ErrRateLimited):
		return exitModel, stored("still rate limited after retrying; try again later", " (your message is stored)")
	case errors.Is(err, model.ErrUnavailable):
		return exitModel, stored("the model API is unavailable; try again later", " (your message is stored)")
	case errors.Is(err, model.ErrBadRequest), errors.Is(err, model.ErrPreviousNotFound), errors.Is(err, model.ErrToolLimit):
		return exitModel, ""

	// The Codex CLI (the codex engine).
	case errors.Is(err, codexcli.ErrNotInstalled), errors.Is(err, codexcli.ErrTooOld):
		return exitConfig, stored("or point git config codex.codexPath at it", "; your message is stored, 'git codex reply' sends it along")
	case errors.Is(err, codexcli.ErrUnsupported):
		return exitUsage, "the codex engine takes --sandbox read-only or workspace-write and --approval on-request or never"
	case errors.Is(err, codexcli.ErrTurnFailed):
		return exitModel, stored("Codex's model request failed; try again later", " (your message is stored)")
	case errors.Is(err, codexcli.ErrExited):
		return exitError, "run codex yourself to see more; check CODEX_HOME, its sign-in ('codex login') and git config codex.codexConfig"

	// Sessions.
	case errors.Is(err, session.ErrNoSession):
		return exitError, "open one with 'git codex delegate TASK', or name another with -t/-s"
	case errors.Is(err, session.ErrAmbiguous):
		return exitUsage, "give more characters of the session id"
	case errors.Is(err, session.ErrClosed):
		return exitError, "open a new session with 'git codex delegate TASK'"
	case errors.Is(err, session.ErrWrongTopic):
		return exitUsage, "drop -t to find the session in any topic, or name a session of that topic"
	case errors.Is(err, session.ErrOutsideWorkTree):
		return exitUsage, "write the summary inside the work tree (not into .git, not through a symbolic link out of it); the session is still open"
	case errors.Is(err, session.ErrNoWorkTree):
		return exitError, "run delegate in a checkout with a work tree (git clone without --bare, or git worktree add)"
	case errors.Is(err, worktree.ErrRefused):
		return exitUsage, "the model's file tools refuse it too: name files inside the work tree, outside .git, not on the secret deny list"
	case errors.Is(err, session.ErrContextFile):
		return exitUsage, "name files that exist; --context paths are relative to the current directory"
	case errors.Is(err, session.ErrNothingToUndo):
		return exitError, "'git codex show' lists the turns and what they changed"
	case errors.Is(err, worktree.ErrUndoConflict):
		return exitError, "undo restores only files that still hold what the turn left; commit or stash your edits, or take the turn's diff back by hand ('git codex show')"
	case errors.Is(err, session.ErrBlobsElsewhere):
		return exitError, "run undo in the clone where the session changed the files; 'git codex show' prints the turn's diffs to revert by hand"
	case errors.Is(err, session.ErrBadMode):
		return exitUsage, "sandbox modes: " + strings.Join(session.Sandboxes, ", ") + "; approval policies: " + strings.Join(session.Approvals, ", ")
	case errors.Is(err, session.ErrEmptyMessage):
		return exitUsage, "pass the text as an argument, or with -F FILE (-F - reads stdin)"

	// History, sharing, hooks.
	case errors.Is(err, history.ErrNoBase):
		return exitUsage, "pass --base REF, e.g. --base origin/main"
	case errors.Is(err, notesync.ErrNoSuchRemote):
		return exitUsage, "name a remote from 'git remote', or a URL"
	case errors.Is(err, hooks.ErrContextFilesMissing):
		return exitError, "run 'git codex init' to scaffold them, or 'git config codex.requireContextFiles false'"

	// The repository.
	case errors.Is(err, gitstore.ErrUnknownRevision):
		return exitUsage, "name commits as git log does: 'main..HEAD', 'HEAD~5..', a branch"
	case errors.Is(err, gitstore.ErrNotRepository):
		return exitError, "run inside a git repository"
	case errors.Is(err, gitstore.ErrLocked):
		return exitError, "if no git process is running, remove the lock file named above"
	case errors.Is(err, gitstore.ErrInvalidTopic):
		return exitUsage, "choose a topic that can name a branch, or pass -t TOPIC"
	}
	return exitError, ""
}

// report prints err as one line plus its next step and returns the exit code.
func report(e *Env, err error) int {
	code, msg, hint := classify(err)
	msg = strings.ReplaceAll(strings.TrimSpace(msg), "\n", " ")
	fmt.Fprintf(e.Stderr, "git-codex: %s\n", msg)
	if hint != "" {
		fmt.Fprintf(e.Stderr, "hint: %s\n", hint)
	}
	return code
}
