package mcpserver

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/session"
)

// Sandbox modes and approval policies, Codex's own names (SPEC §10).
const (
	SandboxReadOnly       = "read-only"
	SandboxWorkspaceWrite = "workspace-write"

	ApprovalUntrusted = "untrusted"
	ApprovalOnRequest = "on-request"
	ApprovalOnFailure = "on-failure" // deprecated by Codex; treated as on-request
	ApprovalNever     = "never"
)

// policy is what a call asks of the sandbox and of approvals. It goes to the
// engine as a session.ModeRequest (mode); approvals the engine asks for go
// through Approve (output.go): MCP elicitation, else unasked below.
type policy struct {
	sandbox  string // "" = the engine's default (read-only)
	approval string // "" = on-request
}

// parsePolicy checks the sandbox and approval-policy arguments.
func parsePolicy(sandbox, approval string) (policy, error) {
	p := policy{sandbox: strings.TrimSpace(sandbox), approval: strings.TrimSpace(approval)}
	switch p.sandbox {
	case "", SandboxReadOnly, SandboxWorkspaceWrite:
	case "danger-full-access":
		return p, failure.Usagef("pass sandbox read-only or workspace-write",
			"sandbox danger-full-access is not offered: the model never runs commands, and edits stay inside the work tree")
	default:
		return p, failure.Usagef("pass sandbox read-only or workspace-write", "unknown sandbox %q", p.sandbox)
	}
	switch p.approval {
	case "", ApprovalUntrusted, ApprovalOnRequest, ApprovalOnFailure, ApprovalNever:
	default:
		return p, failure.Usagef("pass approval-policy untrusted, on-request or never", "unknown approval policy %q", p.approval)
	}
	return p, nil
}

// mode is the engine's request for the session's sandbox and approval
// policy: what the call asked, nothing when it asked nothing (a reply keeps
// the session's own). on-failure is Codex's deprecated name for on-request.
func (p policy) mode() session.ModeRequest {
	approval := p.approval
	if approval == ApprovalOnFailure {
		approval = ApprovalOnRequest
	}
	return session.ModeRequest{Sandbox: p.sandbox, Approval: approval}
}

// approvalName is the approval policy in effect.
func (p policy) approvalName() string {
	if p.approval == "" {
		return ApprovalOnRequest
	}
	return p.approval
}

// unasked decides an approval when the client cannot be asked: allowed
// under "never" (the caller chose not to be asked), denied otherwise.
func (p policy) unasked() session.Decision {
	if p.approval == ApprovalNever {
		return session.Allow
	}
	return session.Deny
}

// notes says what of the policy this build does not honour.
func (p policy) notes() []string {
	var out []string
	if p.approval == ApprovalOnFailure {
		out = append(out, "approval-policy on-failure is deprecated by Codex; treated as on-request")
	}
	return out
}

// unknownKeys returns the keys of args that are not in known, sorted.
func unknownKeys(args map[string]any, known ...string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(args)) {
		if !slices.Contains(known, k) {
			out = append(out, k)
		}
	}
	return out
}

// codexConfig is the `config` object of the codex tool (Codex's config
// overrides, as `-c key=value` would give them): the keys git codex honours,
// and a note for every other one.
type codexConfig struct {
	model, sandbox, approval string
	notes                    []string
}

func readCodexConfig(cfg map[string]any) codexConfig {
	var c codexConfig
	str := func(k string) (string, bool) {
		s, ok := cfg[k].(string)
		if !ok {
			c.notes = append(c.notes, fmt.Sprintf("config.%s ignored: want a string", k))
		}
		return s, ok
	}
	for _, k := range slices.Sorted(maps.Keys(cfg)) {
		switch k {
		case "model":
			c.model, _ = str(k)
		case "sandbox_mode":
			c.sandbox, _ = str(k)
		case "approval_policy":
			c.approval, _ = str(k)
		default:
			c.notes = append(c.notes, fmt.Sprintf("config.%s ignored: git codex has no such setting (it honours model, sandbox_mode and approval_policy)", k))
		}
	}
	return c
}
