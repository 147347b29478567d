package main

import (
	"context"

	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/session"
)

// FixOptions are the inputs of `git codex fix`.
type FixOptions struct {
	Topic, Session string
	Command        []string
	// Max is --max; 0 leaves it to the sandbox (1 read-only, 3 workspace-write).
	Max int
	// Sandbox and Approval are --sandbox and --approval ("" when not given).
	Sandbox, Approval string
}

func newFixCommand(e *Env, runF func(context.Context, *FixOptions) error) *cli.Command {
	if runF == nil {
		runF = func(ctx context.Context, opts *FixOptions) error { return runFix(ctx, e, opts) }
	}
	return &cli.Command{
		Name:      "fix",
		Usage:     "run a verification command; on failure send its output tail to the session, until it passes",
		ArgsUsage: "-- CMD [ARGS...]",
		Description: "Runs CMD in the work tree. When it passes, that is noted in the session. When it\n" +
			"fails, \"Failed: CMD <last lines of output>. Fix.\" goes to the session and the answer is\n" +
			"streamed. In a workspace-write session the model patches the files and CMD runs\n" +
			"again, round after round, until it passes or --max rounds (default 3) are used up;\n" +
			"each round ends with a one-line verdict. Exit 0 when CMD passes, 1 when it still\n" +
			"fails. In read-only (--max default 1) the model can only propose a fix; more rounds\n" +
			"help only when something else changes the files in between.\n\n" +
			"Examples:\n" +
			"  git codex fix -- go test ./...\n" +
			"  git codex fix --sandbox workspace-write --max 5 -- go test ./cache/...\n" +
			"  git codex fix -t cache-bug -- make lint\n" +
			"  git codex fix -- sh -c 'npm test 2>&1 | tail -50'",
		Flags: []cli.Flag{
			topicFlag(), sessionFlag(),
			&cli.IntFlag{Name: "max", Usage: "at most `N` rounds of run and send (default 1 in read-only, 3 in workspace-write)"},
			modeFlags()[0], modeFlags()[1],
		},
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, "-- CMD…"); err != nil {
				return err
			}
			if c.NArg() == 0 {
				return failure.Usagef("run 'git codex fix --help'", "fix needs a command after --")
			}
			if c.IsSet("max") && c.Int("max") < 1 {
				return failure.Usagef("run 'git codex fix --help'", "--max must be at least 1")
			}
			if err := checkModeFlags(c); err != nil {
				return err
			}
			return runF(c.Context, &FixOptions{
				Topic: c.String("topic"), Session: c.String("session"),
				Command: c.Args().Slice(), Max: c.Int("max"),
				Sandbox: c.String("sandbox"), Approval: c.String("approval"),
			})
		},
	}
}

func runFix(ctx context.Context, e *Env, opts *FixOptions) error {
	eng, err := e.Engine(EngineOptions{Model: true})
	if err != nil {
		return err
	}
	target, err := sessionTarget(e, opts.Topic, opts.Session)
	if err != nil {
		return err
	}
	repo, _ := e.Repo()
	mode, err := modeRequest(repo, opts.Sandbox, opts.Approval)
	if err != nil {
		return err
	}
	_, err = eng.Fix(ctx, session.FixOptions{Target: target, Command: opts.Command, Max: opts.Max, Mode: mode})
	return err
}
