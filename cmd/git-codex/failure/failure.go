// Package failure says what went wrong the way git codex says it, in every
// front end: one line naming what happened, the next step to take (a hint),
// and the exit code (README's table, never renumbered). The command line
// prints it on stderr and exits with the code; the MCP server returns the
// same two lines as an error result. Both front ends import it so that a
// script reading stderr and an agent reading a tool result are told the
// same thing. It decides nothing else and writes nowhere.
package failure

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
	"github.com/git-codex/git-codex/redact"
	"github.com/git-codex/git-codex/runner"
	"github.com/git-codex/git-codex/session"
	"github.com/git-codex/git-codex/workflow"
	"github.com/git-codex/git-codex/worktree"
)

// Exit codes. They are documented in README.md and never renumbered.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitUsage       = 2
	ExitCheck       = 3 // check found something to fix
	ExitConfig      = 4 // configuration or authentication
	ExitModel       = 5 // the model API failed
	ExitInterrupted = 130
)

// Errors of the command layer whose exit codes Classify decides.
var (
	// ErrCheckFailed: check found something to fix (exit 3).
	ErrCheckFailed = errors.New("check failed")
	// ErrBadConfig: a git config value cannot be used (exit 4).
	ErrBadConfig = errors.New("bad configuration")
	// ErrModelAnswer: the model answered, but not what was asked (exit 5).
	ErrModelAnswer = errors.New("unusable answer")
)

// usageError is bad input (exit 2): a command line, or a tool's arguments,
// with the next step.
type usageError struct {
	msg, hint string
}

func (e *usageError) Error() string { return e.msg }

// Usagef reports bad input (exit 2): a command line, or a tool's arguments.
func Usagef(hint, format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), hint: hint}
}

// hintError gives err the next step to take in this command (it wins over
// the one Classify knows for err's cause) and, when msg is set, the line to
// show instead of err's text. The exit code stays Classify's.
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

// WithHint gives err a next step.
func WithHint(err error, hint string) error { return &hintError{hint: hint, err: err} }

// SayInstead shows msg in place of err's text, with a next step.
func SayInstead(err error, msg, hint string) error { return &hintError{msg: msg, hint: hint, err: err} }

// Classify is the one map from an error to what the user is told and the
// exit code (README's table). Cancellation comes first: Ctrl-C ends every
// command with 130, whatever it was doing. Then the usage errors the
// command line makes, then the causes the layers below report, with the
// next step for each; a next step the command attached wins.
func Classify(err error) (code int, msg, hint string) {
	if errors.Is(err, context.Canceled) {
		if errors.Is(err, session.ErrInterrupted) {
			return ExitInterrupted, session.ErrInterrupted.Error(), ""
		}
		return ExitInterrupted, "interrupted", ""
	}
	var ue *usageError
	if errors.As(err, &ue) {
		return ExitUsage, ue.msg, ue.hint
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
	case errors.Is(err, ErrCheckFailed):
		return ExitCheck, ""
	case errors.Is(err, ErrBadConfig):
		return ExitConfig, ""
	case errors.Is(err, ErrModelAnswer):
		return ExitModel, ""

	// The model and its configuration.
	case errors.Is(err, session.ErrNoAPIKey):
		return ExitConfig, stored("set OPENAI_API_KEY (or OPENAI_BASE_URL / git config codex.baseURL for a local server)",
			"; your message is stored, 'git codex reply' sends it along")
	case errors.Is(err, model.ErrNoResponsesAPI):
		return ExitConfig, stored("this server does not speak the Responses API: git config codex.engine chat",
			"; then 'git codex reply --engine chat' moves this session over (your message is stored and sent along)")
	case errors.Is(err, model.ErrBaseURL):
		return ExitConfig, stored("point it at the server with http:// or https:// and a host that resolves, e.g. OPENAI_BASE_URL=http://localhost:11434/v1",
			"; your message is stored, 'git codex reply' sends it along")
	case errors.Is(err, model.ErrAuth):
		return ExitConfig, stored("check OPENAI_API_KEY: the model API refused it", " (your message is stored)")
	case errors.Is(err, model.ErrModelNotFound):
		return ExitConfig, "set git config codex.fallbackModel, or open a session with another model: git codex delegate --model M"
	case errors.Is(err, model.ErrQuota):
		return ExitModel, "the account is out of quota; check billing with the provider"
	case errors.Is(err, model.ErrRateLimited):
		return ExitModel, stored("still rate limited after retrying; try again later", " (your message is stored)")
	case errors.Is(err, model.ErrUnavailable):
		return ExitModel, stored("the model API is unavailable; try again later", " (your message is stored)")
	case errors.Is(err, model.ErrBadRequest), errors.Is(err, model.ErrPreviousNotFound), errors.Is(err, model.ErrToolLimit):
		return ExitModel, ""

	// The Codex CLI (the codex engine).
	case errors.Is(err, codexcli.ErrNotInstalled), errors.Is(err, codexcli.ErrTooOld):
		return ExitConfig, stored("or point git config codex.codexPath at it", "; your message is stored, 'git codex reply' sends it along")
	case errors.Is(err, codexcli.ErrUnsupported):
		return ExitUsage, "the codex engine takes --sandbox read-only or workspace-write and --approval on-request or never"
	case errors.Is(err, codexcli.ErrTurnFailed):
		return ExitModel, stored("Codex's model request failed; try again later", " (your message is stored)")
	case errors.Is(err, codexcli.ErrExited):
		return ExitError, "run codex yourself to see more; check CODEX_HOME, its sign-in ('codex login') and git config codex.codexConfig"

	// Sessions.
	case errors.Is(err, session.ErrNoSession):
		return ExitError, "open one with 'git codex delegate TASK', or name another with -t/-s"
	case errors.Is(err, session.ErrAmbiguous):
		return ExitUsage, "give more characters of the session id"
	case errors.Is(err, session.ErrClosed):
		return ExitError, "open a new session with 'git codex delegate TASK'"
	case errors.Is(err, session.ErrWrongTopic):
		return ExitUsage, "drop -t to find the session in any topic, or name a session of that topic"
	case errors.Is(err, session.ErrOutsideWorkTree):
		return ExitUsage, "write the summary inside the work tree (not into .git, not through a symbolic link out of it); the session is still open"
	case errors.Is(err, session.ErrNoWorkTree):
		return ExitError, "run delegate in a checkout with a work tree (git clone without --bare, or git worktree add)"
	case errors.Is(err, worktree.ErrRefused):
		return ExitUsage, "the model's file tools refuse it too: name files inside the work tree, outside .git, not on the secret deny list"
	case errors.Is(err, session.ErrNothingToUndo):
		return ExitError, "'git codex show' lists the turns and what they changed"
	case errors.Is(err, worktree.ErrUndoConflict):
		return ExitError, "undo restores only files that still hold what the turn left; commit or stash your edits, or take the turn's diff back by hand ('git codex show')"
	case errors.Is(err, session.ErrBlobsElsewhere):
		return ExitError, "run undo in the clone where the session changed the files; 'git codex show' prints the turn's diffs to revert by hand"
	case errors.Is(err, session.ErrBadMode):
		return ExitUsage, "sandbox modes: " + strings.Join(session.Sandboxes, ", ") + "; approval policies: " + strings.Join(session.Approvals, ", ")
	case errors.Is(err, session.ErrFileExists):
		return ExitError, "pass --force to overwrite it, or write to another file; the session is still open"
	case errors.Is(err, session.ErrContextFile):
		return ExitUsage, "name files that exist; --context paths are relative to the current directory"
	case errors.Is(err, session.ErrEmptyMessage):
		return ExitUsage, "pass the text as an argument, or with -F FILE (-F - reads stdin)"

	// Workflows.
	case errors.Is(err, workflow.ErrInvalid):
		return ExitUsage, "fix the file where the lines above say (README.md, Workflows, documents the format)"
	case errors.Is(err, workflow.ErrNoBranch):
		return ExitUsage, "check out a branch: a run's topics are named after it"
	case errors.Is(err, workflow.ErrNoRun):
		return ExitError, "see 'git codex runs' (a teammate's runs are there after 'git codex sync')"
	case errors.Is(err, runner.ErrAmbiguous):
		return ExitUsage, "give more characters of the run id"
	case errors.Is(err, runner.ErrWorkflowChanged):
		return ExitUsage, "leave FILE out: the run's own file is read from git"
	case errors.Is(err, gitstore.ErrRunBusy):
		return ExitError, "wait for it to end, or stop it (Ctrl-C there) and resume it here"
	case errors.Is(err, runner.ErrWorkflowMissing):
		return ExitError, "commit and push the workflow file where the run started, then 'git codex sync' here; or name the file: git codex run --resume RUN FILE"

	// History, sharing, hooks.
	case errors.Is(err, history.ErrNoBase):
		return ExitUsage, "pass --base REF, e.g. --base origin/main"
	case errors.Is(err, notesync.ErrNoSuchRemote):
		return ExitUsage, "name a remote from 'git remote', or a URL"
	case errors.Is(err, hooks.ErrPrivateRefs):
		return ExitError, "push the branches and tags alone (git push REMOTE BRANCH), or send them anyway with git push --no-verify"
	case errors.Is(err, hooks.ErrContextFilesMissing):
		return ExitError, "run 'git codex init' to scaffold them, or 'git config codex.requireContextFiles false'"

	// The repository.
	case errors.Is(err, gitstore.ErrUnborn):
		return ExitUsage, "make a first commit: there is no history yet"
	case errors.Is(err, gitstore.ErrUnknownRevision):
		return ExitUsage, "name commits as git log does: 'main..HEAD', 'HEAD~5..', a branch"
	case errors.Is(err, gitstore.ErrNotRepository):
		return ExitError, "run inside a git repository"
	case errors.Is(err, gitstore.ErrLocked):
		return ExitError, "if no git process is running, remove the lock file named above"
	case errors.Is(err, gitstore.ErrInvalidTopic):
		return ExitUsage, "choose a topic that can name a branch, or pass -t TOPIC"
	}
	return ExitError, ""
}

// Report is what the user is told about an error.
type Report struct {
	// Code is the exit code.
	Code int
	// Message is one line: what happened.
	Message string
	// Hint is the next step to take, or "".
	Hint string
}

// Describe is Classify's verdict as a Report, the message on one line.
func Describe(err error) Report {
	code, msg, hint := Classify(err)
	// Redacted: an error may carry what a server, Codex or a command said,
	// and every front end shows it (the MCP server sends it to its client).
	return Report{Code: code, Message: redact.String(strings.ReplaceAll(strings.TrimSpace(msg), "\n", " ")), Hint: hint}
}

// String is the report as git codex prints it: "git-codex: <what>", then
// "hint: <next step>" when there is one, each line ended.
func (r Report) String() string {
	s := "git-codex: " + r.Message + "\n"
	if r.Hint != "" {
		s += "hint: " + r.Hint + "\n"
	}
	return s
}
