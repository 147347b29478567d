package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/internal/text"
	"github.com/git-codex/git-codex/session"
)

// UndoOptions are the inputs of `git codex undo`.
type UndoOptions struct {
	Topic, Session string
	// Turn is --turn (1-based, as show numbers turns); 0 means the newest
	// turn that changed files.
	Turn int
	JSON bool
}

func newUndoCommand(e *Env, runF func(context.Context, *UndoOptions) error) *cli.Command {
	if runF == nil {
		runF = func(ctx context.Context, opts *UndoOptions) error { return runUndo(ctx, e, opts) }
	}
	return &cli.Command{
		Name:      "undo",
		Usage:     "restore the files the model changed in the last (or a named) turn",
		ArgsUsage: " ",
		Description: "Gives the files that a turn of a workspace-write session changed the content they had\n" +
			"before it, from the blobs the turn recorded, and records the undo in the session.\n" +
			"Without --turn it undoes the newest turn that changed files and is not undone yet\n" +
			"('git codex show' numbers the turns and shows their diffs). A file edited since the\n" +
			"turn is never overwritten: then nothing is restored and the files are named. The\n" +
			"contents are kept in this clone only (refs/codex/blobs/<topic>, never pushed): a\n" +
			"teammate's clone cannot undo your session's turns.\n\n" +
			"Examples:\n" +
			"  git codex undo\n" +
			"  git codex undo --turn 3\n" +
			"  git codex undo -s 01JQ7 --json",
		Flags: []cli.Flag{
			topicFlag(), sessionFlag(), jsonFlag(),
			&cli.IntFlag{Name: "turn", Usage: "undo turn `N` (as 'git codex show' numbers them)"},
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c, "run 'git codex undo --help'", "undo takes no arguments; name a turn with --turn N"); err != nil {
				return err
			}
			if c.IsSet("turn") && c.Int("turn") < 1 {
				return failure.Usagef("run 'git codex show' to see the turns' numbers", "--turn must be at least 1")
			}
			return runF(c.Context, &UndoOptions{Topic: c.String("topic"), Session: c.String("session"), Turn: c.Int("turn"), JSON: c.Bool("json")})
		},
	}
}

func runUndo(ctx context.Context, e *Env, opts *UndoOptions) error {
	eng, err := e.Engine(EngineOptions{})
	if err != nil {
		return err
	}
	target, err := sessionTarget(e, opts.Topic, opts.Session)
	if err != nil {
		return err
	}
	res, err := eng.Undo(ctx, session.UndoOptions{Target: target, Turn: opts.Turn})
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(e.Stdout, res)
	}
	var done []string
	for _, r := range res.Restored {
		done = append(done, strings.TrimSpace(r.Text))
	}
	what := "nothing to restore"
	if len(done) > 0 {
		what = strings.Join(done, ", ")
	}
	fmt.Fprintf(e.Stderr, "git-codex: undid turn %d of session %s: %s\n", res.Turn, text.ShortID(res.Session), what)
	return nil
}
