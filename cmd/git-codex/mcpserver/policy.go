package mcpserver

import (
	"fmt"
	"sort"
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

// policy is what a call asks of the sandbox and of approvals.
//
// MERGE(issue 10): the session engine does not take a sandbox or an
// approval policy yet. Once it does, apply passes them on (DelegateOptions,
// ReplyOptions, FixOptions) and stops reporting workspace-write as not
// honoured; Approve (output.go) is already wired to MCP elicitation and to
// unasked below.
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
	// MERGE(issue 10): drop this once the engine edits the work tree.
	if p.sandbox == SandboxWorkspaceWrite {
		out = append(out, "sandbox workspace-write is not available in this build: the session ran read-only (the model read files and edited none)")
	}
	if p.approval == ApprovalOnFailure {
		out = append(out, "approval-policy on-failure is deprecated by Codex; treated as on-request")
	}
	return out
}

// unknownKeys returns the keys of args that are not in known, sorted.
func unknownKeys(args map[string]any, known ...string) []string {
	var out []string
	for k := range args {
		found := false
		for _, n := range known {
			if k == n {
				found = true
				break
			}
		}
		if !found {
			out = append(out, k)
		}
	}
	sort.Strings(out)
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
	for _, k := range sortedKeys(cfg) {
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

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
