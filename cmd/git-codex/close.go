package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/session"
)

// CloseOptions are the inputs of `git codex close`.
type CloseOptions struct {
	Topic, Session string
	Write          string
	// Force overwrites an existing --write file.
	Force bool
	JSON  bool
}

func newCloseCommand(e *Env, runF func(context.Context, *CloseOptions) error) *cli.Command {
	if runF == nil {
		runF = func(ctx context.Context, opts *CloseOptions) error { return runClose(ctx, e, opts) }
	}
	return &cli.Command{
		Name:      "close",
		Usage:     "ask for the final summary, store it and mark the session closed",
		ArgsUsage: " ",
		Description: "Asks the model what was found, what was decided and what is next, stores that\n" +
			"summary with the session (pr-summary and list show it) and closes the session.\n" +
			"--write FILE also writes the summary as markdown (relative to the current directory);\n" +
			"an existing file is overwritten only with --force.\n\n" +
			"Examples:\n" +
			"  git codex close\n" +
			"  git codex close --write docs/decisions/cache-eviction.md\n" +
			"  git codex close -s 01JQ7 --json",
		Flags: []cli.Flag{
			topicFlag(), sessionFlag(), jsonFlag(),
			&cli.StringFlag{Name: "write", Aliases: []string{"w"}, Usage: "write the summary as markdown to `FILE`"},
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "overwrite the --write file when it exists"},
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c, "run 'git codex close --help'", "close takes no arguments"); err != nil {
				return err
			}
			if c.Bool("force") && c.String("write") == "" {
				return failure.Usagef("use --force with --write FILE", "--force only matters with --write")
			}
			return runF(c.Context, &CloseOptions{
				Topic: c.String("topic"), Session: c.String("session"),
				Write: c.String("write"), Force: c.Bool("force"), JSON: c.Bool("json"),
			})
		},
	}
}

func runClose(ctx context.Context, e *Env, opts *CloseOptions) error {
	// With --json the answer goes into the JSON document instead.
	eng, err := e.Engine(EngineOptions{Model: true, HideAnswer: opts.JSON})
	if err != nil {
		return err
	}
	target, err := sessionTarget(e, opts.Topic, opts.Session)
	if err != nil {
		return err
	}
	write := opts.Write
	if write != "" && !filepath.IsAbs(write) {
		write = filepath.Join(e.Dir, write)
	}
	res, err := eng.Close(ctx, session.CloseOptions{Target: target, WriteFile: write, Force: opts.Force})
	if errors.Is(err, session.ErrFileExists) {
		return failure.SayInstead(err, relTo(e.Dir, write)+" exists; close --write does not overwrite it", "")
	}
	if err != nil {
		return err
	}
	if opts.JSON {
		enc := json.NewEncoder(e.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	if res.Written != "" {
		fmt.Fprintf(e.Stderr, "git-codex: summary written to %s\n", relTo(e.Dir, res.Written))
	}
	return nil
}

// relTo shows path relative to dir when it is inside it.
func relTo(dir, path string) string {
	if rel, err := filepath.Rel(dir, path); err == nil && filepath.IsLocal(rel) {
		return rel
	}
	return path
}
