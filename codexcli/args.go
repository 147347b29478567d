package codexcli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrUnsupported reports a request Codex cannot carry out as asked: a
// sandbox or approval policy it does not know (or no longer accepts), or a
// thread id that is not one.
var ErrUnsupported = errors.New("not supported by the codex CLI")

// Sandbox modes, Codex's own names (`--sandbox`, `sandbox_mode`).
const (
	SandboxReadOnly       = "read-only"
	SandboxWorkspaceWrite = "workspace-write"
	SandboxFullAccess     = "danger-full-access"
)

// Approval policies, Codex's own names (`approval_policy`).
const (
	ApprovalUntrusted = "untrusted"
	ApprovalOnRequest = "on-request"
	ApprovalOnFailure = "on-failure"
	ApprovalNever     = "never"
)

// Request is one Codex turn: a new thread (ThreadID empty, `codex exec`) or a
// follow-up on an existing one (`codex exec resume <ThreadID>`).
type Request struct {
	// Bin is the Codex CLI to run (from Find).
	Bin *Binary
	// Dir is the work tree: Codex's working directory and workspace root.
	Dir string
	// Prompt is the user's message. It goes to Codex on standard input
	// (the prompt argument "-"), never on the command line, where a long
	// first message would hit the kernel's argument limit and anyone could
	// read it in the process list.
	Prompt string
	// ThreadID, when set, resumes that thread (a UUID, as thread.started
	// reported it).
	ThreadID string
	// Model is passed as `--model` when set; empty leaves Codex's
	// configured default.
	Model string
	// Sandbox is one of the Sandbox constants, or empty for Codex's own
	// setting (its config, else read-only).
	Sandbox string
	// Approval is one of the Approval constants, or empty for Codex's own
	// setting (`codex exec` never asks: its default is "never").
	Approval string
	// Config holds extra `-c key=value` overrides, passed as given, in
	// order (a custom model provider, features). The user's config.toml is
	// never written.
	Config []string
	// Ephemeral passes --ephemeral: Codex writes no rollout for a new
	// thread, so nothing of it stays on disk (a question asked aside).
	// Measured with 0.169: `exec resume --ephemeral` still appends the turn
	// to the resumed thread's rollout.
	Ephemeral bool
	// SkipGitRepoCheck passes --skip-git-repo-check (Codex refuses to run
	// outside a git repository without it).
	SkipGitRepoCheck bool
	// Env is Codex's environment; nil means the process's own. Bin.Env is
	// added to it.
	Env []string
	// PriorUsage is the thread's running total after its last completed
	// turn (Turn.ThreadUsage of that turn). Codex reports a resumed
	// thread's usage as a running total; Run subtracts this to get the
	// turn's own figure. Zero for a new thread.
	PriorUsage Usage
	// Sink receives events as they arrive (may be nil).
	Sink Sink
	// OnEnd, when set, is called with the turn as soon as Codex reports it
	// completed, before Codex has exited (see StreamOptions.OnEnd).
	OnEnd func(Turn)
	// Gate, when set, is called once Codex has started and before it gets
	// the prompt: Codex spends its first ~40 ms starting up before it reads
	// standard input, so work done here (storing the user's message) costs
	// the turn no time, and Codex can send nothing to the model before
	// Gate returns. When Gate fails, Codex is killed without having read
	// the prompt and Run returns Gate's error and no Turn.
	Gate func(context.Context) error
	// Grace is how long Run waits after SIGINT before SIGTERM, and again
	// before SIGKILL, when ctx is cancelled (default DefaultGrace).
	Grace time.Duration
}

// DefaultGrace is Request.Grace's default: Codex 0.169 exits ~30 ms after
// SIGINT, keeping the interrupted turn in its thread.
const DefaultGrace = 3 * time.Second

// Args returns Codex's argument list for r (without the program name):
//
//	exec [--model M] [--sandbox S] [-c approval_policy="A"] [-c …] [--ephemeral] [--skip-git-repo-check] --json -
//	exec resume [--model M] [-c sandbox_mode="S"] [-c approval_policy="A"] [-c …] [--ephemeral] [--skip-git-repo-check] --json <thread> -
//
// `exec resume` has no --sandbox flag, and neither subcommand has an
// approval flag in 0.169 (only the interactive `codex` has -a), so those go
// through -c. It returns an error wrapping ErrUnsupported for an unknown
// sandbox or approval, for "untrusted" (Codex 0.169 refuses it: "no longer
// supported"), or for a ThreadID that is not a UUID (Codex would take it as
// a thread name and, finding none, silently start a new thread).
func Args(r Request) ([]string, error) {
	args := []string{"exec"}
	resume := r.ThreadID != ""
	if resume {
		if !isUUID(r.ThreadID) {
			return nil, fmt.Errorf("resume codex thread %q: %w: not a thread id", r.ThreadID, ErrUnsupported)
		}
		args = append(args, "resume")
	}
	if r.Model != "" {
		args = append(args, "--model", r.Model)
	}
	switch r.Sandbox {
	case "":
	case SandboxReadOnly, SandboxWorkspaceWrite, SandboxFullAccess:
		if resume {
			args = append(args, "-c", "sandbox_mode="+strconv.Quote(r.Sandbox))
		} else {
			args = append(args, "--sandbox", r.Sandbox)
		}
	default:
		return nil, fmt.Errorf("codex sandbox %q: %w (want %s, %s or %s)", r.Sandbox, ErrUnsupported, SandboxReadOnly, SandboxWorkspaceWrite, SandboxFullAccess)
	}
	switch r.Approval {
	case "":
	case ApprovalOnRequest, ApprovalOnFailure, ApprovalNever:
		args = append(args, "-c", "approval_policy="+strconv.Quote(r.Approval))
	case ApprovalUntrusted:
		return nil, fmt.Errorf("codex approval %q: %w: codex %s no longer accepts it (use %s or %s)", r.Approval, ErrUnsupported, MinVersion, ApprovalOnRequest, ApprovalNever)
	default:
		return nil, fmt.Errorf("codex approval %q: %w (want %s or %s)", r.Approval, ErrUnsupported, ApprovalOnRequest, ApprovalNever)
	}
	for _, c := range r.Config {
		if !strings.Contains(c, "=") {
			return nil, fmt.Errorf("codex config override %q: %w: want key=value", c, ErrUnsupported)
		}
		args = append(args, "-c", c)
	}
	if r.Ephemeral {
		args = append(args, "--ephemeral")
	}
	if r.SkipGitRepoCheck {
		args = append(args, "--skip-git-repo-check")
	}
	args = append(args, "--json")
	if resume {
		args = append(args, r.ThreadID)
	}
	return append(args, "-"), nil
}

// isUUID reports whether s is a UUID in its 8-4-4-4-12 hex form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
