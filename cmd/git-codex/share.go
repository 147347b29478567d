package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/notesync"
)

// ShareOptions are the inputs of `git codex share`.
type ShareOptions struct {
	Topic  string
	Remote string // "" = the remote sync uses
	Force  bool
	JSON   bool
}

// UnshareOptions are the inputs of `git codex unshare`.
type UnshareOptions struct {
	Topic   string
	Remote  string // "" = the remote sync uses
	Private bool
	JSON    bool
}

func newShareCommand(e *Env, runF func(context.Context, *ShareOptions) error) *cli.Command {
	if runF == nil {
		runF = func(ctx context.Context, opts *ShareOptions) error { return runShare(ctx, e, opts) }
	}
	return &cli.Command{
		Name:      "share",
		Usage:     "send a topic's sessions to a remote with every push and sync there",
		UsageText: "git codex share [-f] [--json] TOPIC [REMOTE]",
		Description: "A session is private to this machine until it is shared. By default (codex.share=pushed)\n" +
			"a topic is shared with a remote when a push sends its branch (topic = branch name) or a\n" +
			"commit its records are attached to; from then on it stays shared with that remote. 'share'\n" +
			"says so explicitly, for a topic no push would share (a review, an investigation).\n" +
			"REMOTE defaults to the remote 'sync' uses (the branch's upstream remote, else origin).\n" +
			"A private topic (delegate --private, unshare --private) is refused unless -f lifts the\n" +
			"private mark. The setting is this repository's git config (codex.topic.TOPIC.share),\n" +
			"never pushed; 'git codex list' shows each topic's sharing.\n\n" +
			"Examples:\n" +
			"  git codex share review-42\n" +
			"  git codex share investigate-leak upstream\n" +
			"  git codex share -f experiment        # it was private",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "share a private topic too (lifts the private mark)"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, "TOPIC [REMOTE]"); err != nil {
				return err
			}
			if c.NArg() < 1 || c.NArg() > 2 {
				return failure.Usagef("run 'git codex share --help'", "share takes TOPIC and an optional REMOTE")
			}
			return runF(c.Context, &ShareOptions{Topic: c.Args().Get(0), Remote: c.Args().Get(1),
				Force: c.Bool("force"), JSON: c.Bool("json")})
		},
	}
}

func newUnshareCommand(e *Env, runF func(context.Context, *UnshareOptions) error) *cli.Command {
	if runF == nil {
		runF = func(ctx context.Context, opts *UnshareOptions) error { return runUnshare(ctx, e, opts) }
	}
	return &cli.Command{
		Name:      "unshare",
		Usage:     "stop sending a topic's sessions to a remote (nothing is deleted there)",
		UsageText: "git codex unshare [--private] [--json] TOPIC [REMOTE]",
		Description: "Stops future pushes and syncs from sending TOPIC to REMOTE (default: the remote 'sync'\n" +
			"uses), even if a push sends its branch or the remote already has it. With --private the\n" +
			"topic stops leaving this machine at all, as 'delegate --private' makes it. What a remote\n" +
			"already has stays there: git codex never deletes notes on a remote. To remove them, run\n" +
			"the 'git push REMOTE --delete …' command it prints.\n\n" +
			"Examples:\n" +
			"  git codex unshare experiment\n" +
			"  git codex unshare --private scratch",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "private", Usage: "stop sending it to every remote: the topic becomes private"},
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, "TOPIC [REMOTE]"); err != nil {
				return err
			}
			if c.NArg() < 1 || c.NArg() > 2 {
				return failure.Usagef("run 'git codex unshare --help'", "unshare takes TOPIC and an optional REMOTE")
			}
			if c.Bool("private") && c.NArg() == 2 {
				return failure.Usagef("leave REMOTE out: a private topic goes to no remote", "unshare --private takes no REMOTE")
			}
			return runF(c.Context, &UnshareOptions{Topic: c.Args().Get(0), Remote: c.Args().Get(1),
				Private: c.Bool("private"), JSON: c.Bool("json")})
		},
	}
}

func runShare(ctx context.Context, e *Env, opts *ShareOptions) error {
	repo, err := e.Repo()
	if err != nil {
		return err
	}
	if opts.Remote == "" {
		opts.Remote = notesync.DefaultRemote(repo)
	}
	res, err := notesync.ShareTopic(ctx, repo, opts.Topic, opts.Remote, opts.Force)
	switch {
	case errors.Is(err, notesync.ErrPrivateTopic):
		return failure.SayInstead(err, fmt.Sprintf("topic %s is private: it never leaves this machine", opts.Topic),
			fmt.Sprintf("to share it anyway, run 'git codex share -f %s %s'", shellWord(opts.Topic), shellWord(opts.Remote)))
	case err != nil:
		return err
	}
	if opts.JSON {
		return writeJSON(e.Stdout, res)
	}
	if res.WasPrivate {
		fmt.Fprintf(e.Stdout, "topic %s is no longer private\n", res.Topic)
	}
	_, err = fmt.Fprintf(e.Stdout, "shared %s with %s: the next push or 'git codex sync' there sends its sessions\n",
		res.Topic, res.Remote)
	return err
}

func runUnshare(ctx context.Context, e *Env, opts *UnshareOptions) error {
	repo, err := e.Repo()
	if err != nil {
		return err
	}
	if opts.Remote == "" && !opts.Private {
		opts.Remote = notesync.DefaultRemote(repo)
	}
	res, err := notesync.UnshareTopic(ctx, repo, opts.Topic, opts.Remote, opts.Private)
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(e.Stdout, res)
	}
	if res.Private {
		fmt.Fprintf(e.Stdout, "topic %s is private: no push or sync sends it anywhere\n", res.Topic)
	} else {
		fmt.Fprintf(e.Stdout, "unshared %s from %s: no push or sync sends it there any more\n", res.Topic, res.Remote)
	}
	printStaysOn(e, repo.TopicRef(res.Topic), res.StaysOn)
	return nil
}

// printStaysOn says that the remotes keep what they have, and how to delete
// it by hand: git codex never deletes anything on a remote.
func printStaysOn(e *Env, ref string, remotes []string) {
	for _, r := range remotes {
		fmt.Fprintf(e.Stdout, "%s keeps the notes it already has (git codex never deletes them); to delete them: git push %s --delete %s\n",
			r, shellWord(r), ref)
	}
}

// shellWord quotes s for a command line the user may copy.
func shellWord(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
