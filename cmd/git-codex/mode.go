package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/session"
)

// modeFlags are the --sandbox and --approval flags of delegate, reply and
// fix: Codex's names for what the model may do to the work tree.
func modeFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "sandbox", Usage: "`MODE`: read-only, or workspace-write to let the model change files (default: the session's; codex.sandbox; read-only)"},
		&cli.StringFlag{Name: "approval", Usage: "`POLICY` for edits: untrusted (ask for every one), on-request (ask for changes and deletes), never (default: the session's; codex.approval; on-request)"},
	}
}

// checkModeFlags refuses unknown --sandbox and --approval values, naming
// the valid ones (a usage error).
func checkModeFlags(c *cli.Context) error {
	if v := c.String("sandbox"); c.IsSet("sandbox") && session.CheckSandbox(v) != nil {
		return failure.Usagef("use --sandbox "+strings.Join(session.Sandboxes, " or --sandbox "), "unknown --sandbox %q (want %s)", v, strings.Join(session.Sandboxes, " or "))
	}
	if v := c.String("approval"); c.IsSet("approval") && session.CheckApproval(v) != nil {
		return failure.Usagef("use --approval "+strings.Join(session.Approvals, ", --approval "), "unknown --approval %q (want %s)", v, strings.Join(session.Approvals, ", "))
	}
	return nil
}

// modeRequest is what a command asks of the session's mode: its flags and
// git config's codex.sandbox and codex.approval (an unknown value there is
// a configuration error naming the valid ones).
func modeRequest(cfg configSource, sandbox, approval string) (session.ModeRequest, error) {
	r := session.ModeRequest{Sandbox: sandbox, Approval: approval}
	get := func(key string) string {
		v, _ := cfg.Config(key)
		return strings.ToLower(strings.TrimSpace(v))
	}
	r.ConfigSandbox, r.ConfigApproval = get("codex.sandbox"), get("codex.approval")
	if v := r.ConfigSandbox; v != "" && session.CheckSandbox(v) != nil {
		return r, failure.SayInstead(failure.ErrBadConfig, fmt.Sprintf("codex.sandbox %q is not a sandbox mode", v),
			"git config codex.sandbox "+strings.Join(session.Sandboxes, " (or ")+")")
	}
	if v := r.ConfigApproval; v != "" && session.CheckApproval(v) != nil {
		return r, failure.SayInstead(failure.ErrBadConfig, fmt.Sprintf("codex.approval %q is not an approval policy", v),
			"git config codex.approval with one of "+strings.Join(session.Approvals, ", "))
	}
	return r, nil
}
