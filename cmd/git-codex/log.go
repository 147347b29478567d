package main

import (
	"context"

	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/cmd/git-codex/ui"
	"github.com/git-codex/git-codex/history"
)

// LogOptions are the inputs of `git codex log`.
type LogOptions struct {
	Max  int
	Revs []string
	JSON bool
}

func newLogCommand(e *Env, runF func(context.Context, *LogOptions) error) *cli.Command {
	if runF == nil {
		runF = func(ctx context.Context, opts *LogOptions) error { return runLog(ctx, e, opts) }
	}
	return &cli.Command{
		Name:      "log",
		Usage:     "show commits with the conversation turns attached to them, like git log",
		UsageText: "git codex log [-n N] [--json] [REV-RANGE…]",
		Description: "Lists commits newest first (default: from HEAD, like git log) with author and date,\n" +
			"and under each the turns attached to it in any topic: topic, session, the first\n" +
			"line of the message and of the answer, tokens. Commits that lost their notes to a\n" +
			"cherry-pick, squash merge or rebase show the turns found by patch-id or message,\n" +
			"marked 'via …' (nothing is written; 'git codex reattach' makes it permanent).\n\n" +
			"Examples:\n" +
			"  git codex log -n 10\n" +
			"  git codex log main..HEAD\n" +
			"  git codex log --json | jq '.[] | select(.turns | length > 0) | .subject'",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "max-count", Aliases: []string{"n"}, Usage: "show at most `N` commits"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, "REV-RANGE"); err != nil {
				return err
			}
			if n := c.Int("max-count"); n < 0 {
				return failure.Usagef("give 0 for every commit, or how many to show: git codex log -n 10", "-n %d: a number of commits cannot be negative", n)
			}
			return runF(c.Context, &LogOptions{Max: c.Int("max-count"), Revs: c.Args().Slice(), JSON: c.Bool("json")})
		},
	}
}

func runLog(ctx context.Context, e *Env, opts *LogOptions) error {
	repo, err := e.Repo()
	if err != nil {
		return err
	}
	entries, warns, err := history.Log(ctx, repo, history.LogOptions{Revs: opts.Revs, Max: opts.Max})
	if err != nil {
		return err
	}
	for _, w := range warns {
		e.warnf("%s", w)
	}
	if opts.JSON {
		if entries == nil {
			entries = []history.LogEntry{}
		}
		return writeJSON(e.Stdout, entries)
	}
	e.Page()
	p := e.Palette()
	return history.WriteLog(e.Stdout, entries, history.LogStyle{
		ID:      func(s string) string { return p.Paint(ui.SlotID, s) },
		Changed: func(s string) string { return p.Paint(ui.SlotNew, s) },
	})
}
