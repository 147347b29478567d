package main

import (
	"context"
	"fmt"

	"github.com/git-codex/git-codex/internal/text"

	"github.com/urfave/cli/v2"
)

// CompactOptions are the inputs of `git codex compact`.
type CompactOptions struct {
	Topic, Session string
}

func newCompactCommand(e *Env, runF func(context.Context, *CompactOptions) error) *cli.Command {
	if runF == nil {
		runF = func(ctx context.Context, opts *CompactOptions) error { return runCompact(ctx, e, opts) }
	}
	return &cli.Command{
		Name:      "compact",
		Usage:     "reduce a long session: a summary of old turns, then the recent turns",
		ArgsUsage: " ",
		Description: "Asks the model to summarise the session so far, keeping decisions, and stores the\n" +
			"summary. Later requests send the first message, the summary and the turns after it\n" +
			"instead of the whole history (the chat engine also does this by itself once the\n" +
			"history outgrows codex.compactThreshold, default 48k bytes).\n\n" +
			"Examples:\n" +
			"  git codex compact\n" +
			"  git codex compact -s 01JQ7",
		Flags: []cli.Flag{topicFlag(), sessionFlag()},
		Action: func(c *cli.Context) error {
			if err := noArgs(c, "run 'git codex compact --help'", "compact takes no arguments"); err != nil {
				return err
			}
			return runF(c.Context, &CompactOptions{Topic: c.String("topic"), Session: c.String("session")})
		},
	}
}

func runCompact(ctx context.Context, e *Env, opts *CompactOptions) error {
	eng, err := e.Engine(EngineOptions{Model: true})
	if err != nil {
		return err
	}
	target, err := sessionTarget(e, opts.Topic, opts.Session)
	if err != nil {
		return err
	}
	res, err := eng.Compact(ctx, target)
	if err != nil {
		return err
	}
	if res.Through != "" {
		fmt.Fprintf(e.Stderr, "git-codex: compacted %d turns of session %s\n", res.Turns, text.ShortID(res.Session))
	}
	return nil
}
