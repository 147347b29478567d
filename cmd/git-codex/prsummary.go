package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/history"
	"github.com/git-codex/git-codex/prompt"
)

// PRSummaryOptions are the inputs of `git codex pr-summary`.
type PRSummaryOptions struct {
	Base   string
	Format string
	// LLM asks the model to rewrite the deterministic markdown as prose.
	LLM bool
}

func newPRSummaryCommand(e *Env, runF func(context.Context, *PRSummaryOptions) error) *cli.Command {
	if runF == nil {
		runF = func(ctx context.Context, opts *PRSummaryOptions) error { return runPRSummary(ctx, e, opts) }
	}
	return &cli.Command{
		Name:      "pr-summary",
		Usage:     "describe base..HEAD for a pull request: commits, sessions, decisions, open items",
		UsageText: "git codex pr-summary [--base REF] [--format markdown|json]",
		Description: "Describes the commits of base..HEAD, the agent sessions attached to them (also\n" +
			"those found again after cherry-picks and squash merges, by patch-id), their\n" +
			"closing summaries, decisions, open items, token totals and cost (priced as 'git\n" +
			"codex stats' prices). The output depends only on the history and the prices: stable\n" +
			"order, no current time. Default base: the merge-base\n" +
			"of HEAD with the upstream branch when that is another branch, else origin/HEAD,\n" +
			"origin/main, origin/master, main, master.\n\n" +
			"Examples:\n" +
			"  git codex pr-summary | gh pr create --title \"$(git log -1 --format=%s)\" --body-file -\n" +
			"  git codex pr-summary --base origin/main --format json | jq .decisions",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "base", Usage: "compare with `REF` (default: see above)"},
			&cli.StringFlag{Name: "format", Value: "markdown", Usage: "markdown or json"},
			&cli.BoolFlag{Name: "json", Usage: "same as --format json"},
			&cli.BoolFlag{Name: "llm", Usage: "ask the model to rewrite the markdown as prose (facts only from the draft); falls back to the draft on failure"},
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c, "run 'git codex pr-summary --help'", "pr-summary takes no arguments; use --base REF"); err != nil {
				return err
			}
			f := c.String("format")
			if c.Bool("json") {
				f = "json"
			}
			if f != "markdown" && f != "json" {
				return failure.Usagef("use --format markdown or --format json", "unknown format %q", f)
			}
			if c.Bool("llm") && f == "json" {
				return failure.Usagef("drop --llm for JSON output", "--llm rewrites markdown; it does not apply to --format json")
			}
			return runF(c.Context, &PRSummaryOptions{Base: c.String("base"), Format: f, LLM: c.Bool("llm")})
		},
	}
}

func runPRSummary(ctx context.Context, e *Env, opts *PRSummaryOptions) error {
	repo, err := e.Repo()
	if err != nil {
		return err
	}
	prices, err := e.Prices()
	if err != nil {
		return err
	}
	s, err := history.Summarize(ctx, repo, history.SummaryOptions{Base: opts.Base, Prices: prices})
	if errors.Is(err, gitstore.ErrUnborn) {
		return failure.WithHint(err, "make a first commit: pr-summary describes the commits of HEAD's branch")
	}
	if errors.Is(err, gitstore.ErrUnknownRevision) {
		return failure.WithHint(err, "name an existing branch or commit with --base")
	}
	if err != nil {
		return err
	}
	if opts.Format == "json" {
		return writeJSON(e.Stdout, s)
	}
	if opts.LLM {
		return polishSummary(ctx, e, s)
	}
	e.Page()
	if err := history.WriteMarkdown(e.Stdout, s); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

// polishSummary sends the deterministic draft to the model and prints its
// rewrite; when the model cannot answer it prints the draft and warns, so
// a pipeline into `gh pr create` still gets a description.
func polishSummary(ctx context.Context, e *Env, s *history.PRSummary) error {
	var draft bytes.Buffer
	if err := history.WriteMarkdown(&draft, s); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	eng, err := e.Engine(EngineOptions{Model: true})
	if err == nil {
		var text string
		text, err = eng.OneShot(ctx, prompt.PolishInstructions(), draft.String())
		if err == nil {
			e.Page()
			fmt.Fprintln(e.Stdout, strings.TrimSpace(text))
			return nil
		}
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	e.warnf("--llm failed (%v); printing the deterministic summary", err)
	e.Page()
	_, werr := e.Stdout.Write(draft.Bytes())
	return werr
}
