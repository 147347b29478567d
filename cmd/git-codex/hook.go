package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/hooks"
)

// HookOptions are the inputs of `git codex hook pre-push`.
type HookOptions struct {
	Remote string
	URL    string
}

func newHookCommand(e *Env, runF func(context.Context, *HookOptions) error) *cli.Command {
	if runF == nil {
		runF = func(ctx context.Context, opts *HookOptions) error { return runHookPrePush(ctx, e, opts) }
	}
	return &cli.Command{
		Name:      "hook",
		Usage:     "do the work of a git hook (what .githooks/pre-push runs)",
		UsageText: "git codex hook pre-push REMOTE URL",
		Subcommands: []*cli.Command{{
			Name:      "pre-push",
			Usage:     "check the context files and send the shared session notes along with a push",
			UsageText: "git codex hook pre-push REMOTE URL  (git's ref lines on standard input)",
			Description: "Run by the pre-push hook that 'git codex init' installs, with the arguments and\n" +
				"standard input git gives the hook. It:\n" +
				"  - checks that ARCHITECTURE.md and AGENTS.md exist: a warning, or a refused push\n" +
				"    (exit 1) when 'git config codex.requireContextFiles true'; one that is untracked or\n" +
				"    has uncommitted changes is a warning (the push does not carry it);\n" +
				"  - sends the local session topics (refs/notes/codex/*) shared with that remote, and\n" +
				"    prints which and why: by default a topic whose branch the push sends or whose\n" +
				"    records are attached to a commit it sends, a topic the remote already has, and\n" +
				"    topics shared with 'git codex share' (or all of them with codex.share=all).\n" +
				"    Private topics (delegate --private) never leave. It pushes without force and with\n" +
				"    --no-verify; when the remote's notes moved it fetches, merges (union of records)\n" +
				"    and pushes again. Topics the remote already has as they are (per\n" +
				"    refs/notes/remotes/REMOTE/…) cost no network; a push without any session notes\n" +
				"    starts no process.\n" +
				"A failure to send notes never fails your push: it prints one warning line and the\n" +
				"next 'git codex sync' catches up. Nothing is sent when the push only deletes refs.\n\n" +
				"Examples:\n" +
				"  printf 'refs/heads/main %s refs/heads/main %s\\n' \"$new\" \"$old\" | git codex hook pre-push origin \"$url\"",
			Action: func(c *cli.Context) error {
				if c.NArg() < 1 || c.NArg() > 2 {
					return failure.Usagef("run 'git codex hook pre-push --help'", "hook pre-push takes REMOTE and URL")
				}
				return runF(c.Context, &HookOptions{Remote: c.Args().Get(0), URL: c.Args().Get(1)})
			},
		}},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return failure.Usagef("run 'git codex hook --help'", "unknown hook %q", c.Args().First())
			}
			return cli.ShowSubcommandHelp(c)
		},
	}
}

func runHookPrePush(ctx context.Context, e *Env, opts *HookOptions) error {
	repo, err := e.Repo()
	if err != nil {
		// Never fail the user's push on our own account.
		e.warnf("session notes not sent: %v", err)
		return nil
	}
	res, err := hooks.PrePush(ctx, repo, hooks.PrePushOptions{
		Remote: opts.Remote, URL: opts.URL, RefLines: e.Stdin, Getenv: e.Getenv,
	})
	if errors.Is(err, hooks.ErrPrivateRefs) {
		return err
	}
	if errors.Is(err, hooks.ErrContextFilesMissing) {
		return failure.SayInstead(err, "push refused: missing "+strings.Join(res.MissingContext, ", "), "")
	}
	if ctx.Err() != nil {
		return ctx.Err() // Ctrl-C stopped the push and the hook with it
	}
	if err != nil {
		e.warnf("%v", err)
		return nil
	}
	for _, w := range res.Warnings {
		e.warnf("%s", w)
	}
	if len(res.Pushed) > 0 {
		fmt.Fprintf(e.Stderr, "git-codex: sent session notes to %s: %s\n", opts.Remote, topicsWithReasons(res.Pushed, res.Reasons))
	}
	return nil
}

// topicsWithReasons lists topics with why each was (or was not) sent:
// "main (its branch is pushed), review (shared with 'git codex share')".
func topicsWithReasons(topics []string, reasons map[string]string) string {
	// A first push of thousands of topics names the first few and counts
	// the rest by reason: one line, not hundreds of kilobytes.
	shown := topics
	if len(topics) > maxTopicsShown {
		shown = topics[:maxTopicsShown/2]
	}
	parts := make([]string, len(shown))
	for i, t := range shown {
		parts[i] = t
		if r := reasons[t]; r != "" {
			parts[i] += " (" + r + ")"
		}
	}
	s := strings.Join(parts, ", ")
	if rest := topics[len(shown):]; len(rest) > 0 {
		count := map[string]int{}
		for _, t := range rest {
			count[reasons[t]]++
		}
		var why []string
		for r, n := range count {
			if r != "" {
				why = append(why, fmt.Sprintf("%s: %d", r, n))
			}
		}
		sort.Strings(why)
		s += fmt.Sprintf(" and %d more", len(rest))
		if len(why) > 0 {
			s += " (" + strings.Join(why, "; ") + ")"
		}
	}
	return s
}

// maxTopicsShown is the most topics a line of the hook or sync names.
const maxTopicsShown = 20
