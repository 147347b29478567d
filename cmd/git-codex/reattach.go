package main

import (
	"context"
	"fmt"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/internal/text"

	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/history"
)

// ReattachOptions are the inputs of `git codex reattach`.
type ReattachOptions struct {
	Max    int
	Revs   []string
	DryRun bool
	JSON   bool
}

func newReattachCommand(e *Env, runF func(context.Context, *ReattachOptions) error) *cli.Command {
	if runF == nil {
		runF = func(ctx context.Context, opts *ReattachOptions) error { return runReattach(ctx, e, opts) }
	}
	return &cli.Command{
		Name:      "reattach",
		Usage:     "attach turns to commits that lost their notes (cherry-pick, squash merge)",
		UsageText: "git codex reattach [-n N] [--dry-run] [--json] [REV-RANGE…]",
		Description: "git copies notes on amend and rebase (with the configuration 'git codex init' sets)\n" +
			"but not on cherry-pick, squash merge or reset-and-recommit. For each commit in the\n" +
			"range (default: the last 100 from HEAD) that has no notes, reattach finds turns\n" +
			"recorded on another commit with the same patch-id, or named by a squash message\n" +
			"('git merge --squash' lists 'commit <id>'; GitHub lists '* <subject>'), or by\n" +
			"'cherry-pick -x', and adds those records' lines to the new commit's note in their\n" +
			"own topic, so plain 'git log --notes=codex/<topic>' shows them there too.\n" +
			"Records keep their ids, so nothing is duplicated; running it again does nothing.\n\n" +
			"Examples:\n" +
			"  git codex reattach --dry-run\n" +
			"  git codex reattach origin/main~20..origin/main",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "max-count", Aliases: []string{"n"}, Value: 100, Usage: "look at most at `N` commits (0: all)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "only show what would be reattached"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			if n := c.Int("max-count"); n < 0 {
				return failure.Usagef("give 0 for every commit, or how many to look at: git codex reattach -n 500", "-n %d: a number of commits cannot be negative", n)
			}
			return runF(c.Context, &ReattachOptions{
				Max: c.Int("max-count"), Revs: c.Args().Slice(), DryRun: c.Bool("dry-run"), JSON: c.Bool("json"),
			})
		},
	}
}

func runReattach(ctx context.Context, e *Env, opts *ReattachOptions) error {
	repo, err := e.Repo()
	if err != nil {
		return err
	}
	matches, err := history.Reattach(ctx, repo, history.ReattachOptions{
		Revs: opts.Revs, Max: opts.Max, DryRun: opts.DryRun, Now: e.Now,
	})
	if err != nil {
		return err
	}
	if opts.JSON {
		if matches == nil {
			matches = []history.Match{}
		}
		return writeJSON(e.Stdout, matches)
	}
	if len(matches) == 0 {
		fmt.Fprintln(e.Stderr, "nothing to reattach")
		return nil
	}
	verb := "reattached"
	if opts.DryRun {
		verb = "would reattach"
	}
	for _, m := range matches {
		if _, err := fmt.Fprintf(e.Stdout, "%s %d records of topic %s from %s to %s (%s)\n",
			verb, len(m.Records), m.Topic, text.ShortID(m.Source), text.ShortID(m.Commit), m.Rule); err != nil {
			return err
		}
	}
	return nil
}
