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
	Max            int
}

func newFixCommand(e *Env, runF func(context.Context, *FixOptions) error) *cli.Command {
	if runF == nil {
		runF = func(ctx context.Context, opts *FixOptions) error { return runFix(ctx, e, opts) }
	}
	return &cli.Command{
		Name:      "fix",
		Usage:     "run a verification command; on failure send its output tail to the session",
		ArgsUsage: "-- CMD [ARGS...]",
		Description: "Runs CMD in the work tree. When it passes, that is noted in the session. When it\n" +
			"fails, \"Failed: CMD <last lines of output>. Fix.\" goes to the session and the answer is\n" +
			"streamed; the exit status is then 1. --max N repeats run-and-send up to N rounds\n" +
			"(useful when something else changes the files between rounds).\n\n" +
			"Examples:\n" +
			"  git codex fix -- go test ./...\n" +
			"  git codex fix -t cache-bug -- make lint\n" +
			"  git codex fix -- sh -c 'npm test 2>&1 | tail -50'",
		Flags: []cli.Flag{
			topicFlag(), sessionFlag(),
			&cli.IntFlag{Name: "max", Value: 1, Usage: "at most `N` rounds of run and send"},
		},
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, "-- CMD…"); err != nil {
				return err
			}
			if c.NArg() == 0 {
				return failure.Usagef("run 'git codex fix --help'", "fix needs a command after --")
			}
			return runF(c.Context, &FixOptions{
				Topic: c.String("topic"), Session: c.String("session"),
				Command: c.Args().Slice(), Max: c.Int("max"),
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
	_, err = eng.Fix(ctx, session.FixOptions{Target: target, Command: opts.Command, Max: opts.Max})
	return err
}
