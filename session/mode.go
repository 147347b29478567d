package session

import (
	"errors"
	"fmt"
	"strings"
)

// Sandbox modes and approval policies, named as Codex names them.
const (
	// SandboxReadOnly: the model reads the work tree and proposes changes
	// as text (the default).
	SandboxReadOnly = "read-only"
	// SandboxWorkspaceWrite: the model also changes files of the work tree
	// with the apply_patch tool, under the approval policy.
	SandboxWorkspaceWrite = "workspace-write"

	// ApprovalUntrusted asks before every operation, creates and deletes
	// included, one at a time, with no "always" answer.
	ApprovalUntrusted = "untrusted"
	// ApprovalOnRequest (the default) asks before an operation that
	// changes or deletes an existing file; creating a new file is not
	// asked. The user may answer "always" for the rest of the session's
	// operations in this process. Without anyone to ask, it refuses.
	ApprovalOnRequest = "on-request"
	// ApprovalNever applies every operation without asking.
	ApprovalNever = "never"
)

// Sandboxes and Approvals list the valid names, least permissive first.
var (
	Sandboxes = []string{SandboxReadOnly, SandboxWorkspaceWrite}
	Approvals = []string{ApprovalUntrusted, ApprovalOnRequest, ApprovalNever}
)

// ErrBadMode is returned (wrapped, naming the valid values) for an unknown
// sandbox mode or approval policy.
var ErrBadMode = errors.New("unknown sandbox mode or approval policy")

// Mode is what a session may do to the work tree: its sandbox mode and
// approval policy.
type Mode struct {
	Sandbox  string `json:"sandbox"`
	Approval string `json:"approval"`
}

// DefaultMode is the mode of a session nobody chose one for: read-only,
// on-request.
func DefaultMode() Mode { return Mode{Sandbox: SandboxReadOnly, Approval: ApprovalOnRequest} }

// CanEdit reports whether the model may change files.
func (m Mode) CanEdit() bool { return m.Sandbox == SandboxWorkspaceWrite }

func (m Mode) String() string { return m.Sandbox + ", approval " + m.Approval }

// CheckSandbox returns an error wrapping ErrBadMode, naming the valid modes,
// unless s is one ("" is not).
func CheckSandbox(s string) error {
	if rank(Sandboxes, s) < 0 {
		return fmt.Errorf("%w: sandbox %q (want %s)", ErrBadMode, s, strings.Join(Sandboxes, " or "))
	}
	return nil
}

// CheckApproval returns an error wrapping ErrBadMode, naming the valid
// policies, unless s is one ("" is not).
func CheckApproval(s string) error {
	if rank(Approvals, s) < 0 {
		return fmt.Errorf("%w: approval %q (want %s)", ErrBadMode, s, strings.Join(Approvals, ", "))
	}
	return nil
}

func rank(names []string, s string) int {
	for i, n := range names {
		if n == s {
			return i
		}
	}
	return -1
}

// ModeRequest is what a command asks of the mode: the flags the user typed
// (Sandbox, Approval; "" when not given) and the configured defaults
// (codex.sandbox, codex.approval; "" when not set). Values must have passed
// CheckSandbox and CheckApproval.
type ModeRequest struct {
	Sandbox, Approval             string
	ConfigSandbox, ConfigApproval string
}

// Open is the mode of a new session: the flag, else the configured
// default, else DefaultMode's.
func (r ModeRequest) Open() Mode {
	m := DefaultMode()
	m.Sandbox = firstOf(r.Sandbox, r.ConfigSandbox, m.Sandbox)
	m.Approval = firstOf(r.Approval, r.ConfigApproval, m.Approval)
	return m
}

// Follow is the mode of a session's next turn, from its mode m: a flag sets
// it, up or down; a configured default only lowers it (a less permissive
// sandbox, a stricter approval) and never raises it, so a session keeps what
// it was given until the user raises it by typing the flag again. note, when
// set, says that a configured default could not raise it.
func (r ModeRequest) Follow(m Mode) (next Mode, note string) {
	next = m
	if next.Sandbox == "" {
		next.Sandbox = SandboxReadOnly
	}
	if next.Approval == "" {
		next.Approval = ApprovalOnRequest
	}
	var kept []string
	switch {
	case r.Sandbox != "":
		next.Sandbox = r.Sandbox
	case r.ConfigSandbox != "" && rank(Sandboxes, r.ConfigSandbox) < rank(Sandboxes, next.Sandbox):
		next.Sandbox = r.ConfigSandbox
	case r.ConfigSandbox != "" && rank(Sandboxes, r.ConfigSandbox) > rank(Sandboxes, next.Sandbox):
		kept = append(kept, "--sandbox "+r.ConfigSandbox)
	}
	switch {
	case r.Approval != "":
		next.Approval = r.Approval
	case r.ConfigApproval != "" && rank(Approvals, r.ConfigApproval) < rank(Approvals, next.Approval):
		next.Approval = r.ConfigApproval
	case r.ConfigApproval != "" && rank(Approvals, r.ConfigApproval) > rank(Approvals, next.Approval):
		kept = append(kept, "--approval "+r.ConfigApproval)
	}
	if len(kept) > 0 {
		note = "the session stays " + next.String() + ": git config codex.* does not raise an open session's mode; pass " + strings.Join(kept, " ") + " to raise it"
	}
	return next, note
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// Mode returns the session's mode: the newest sandbox event's, else the one
// it was opened with (sessions older than modes are read-only, on-request).
func (s *Session) Mode() Mode {
	m := Mode{Sandbox: s.Open.Sandbox, Approval: s.Open.Approval}
	for i := len(s.Events) - 1; i >= 0; i-- {
		if ev := s.Events[i]; ev.Event == RecordSandbox && ev.Sandbox != "" {
			m = Mode{Sandbox: ev.Sandbox, Approval: ev.Approval}
			break
		}
	}
	d := DefaultMode()
	if rank(Sandboxes, m.Sandbox) < 0 {
		m.Sandbox = d.Sandbox
	}
	if rank(Approvals, m.Approval) < 0 {
		m.Approval = d.Approval
	}
	return m
}
