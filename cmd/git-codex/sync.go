package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/gitflow"
)

// SyncOptions are the inputs of `git codex sync`.
type SyncOptions struct {
	Remote string
	JSON   bool
}

func newSyncCommand(e *Env) *cli.Command {
	return &cli.Command{
		Name:      "sync",
		Usage:     "fetch the remote's session notes, merge them (nothing lost) and push back",
		UsageText: "git codex sync [--json] [REMOTE]",
		Description: "Fetches refs/notes/codex/* from REMOTE (default: the branch's upstream remote, else\n" +
			"origin) into refs/notes/remotes/REMOTE/codex/*, merges each into the local topic as a\n" +
			"union of records, and pushes every topic the remote lacks, without force; when the\n" +
			"remote moves in between it fetches, merges and pushes again. Running it twice changes\n" +
			"nothing the second time. Your remote.* settings are never touched.\n\n" +
			"Examples:\n" +
			"  git codex sync\n" +
			"  git codex sync upstream --json | jq .pushed",
		Flags: []cli.Flag{jsonFlag()},
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, "REMOTE"); err != nil {
				return err
			}
			if c.NArg() > 1 {
				return usageErrorf("run 'git codex sync --help'", "sync takes at most one remote")
			}
			return runSync(c, envFrom(c), SyncOptions{Remote: c.Args().First(), JSON: c.Bool("json")})
		},
	}
}

func runSync(c *cli.Context, e *Env, opts SyncOptions) error {
	repo, err := e.Repo()
	if err != nil {
		return err
	}
	res, err := gitflow.Sync(c.Context, repo, gitflow.SyncOptions{Remote: opts.Remote})
	if err != nil {
		return withHint(exitError, err, "check the remote with 'git remote -v', then run 'git codex sync' again")
	}
	if opts.JSON {
		return writeJSON(e.Stdout, res)
	}
	if !res.Changed() {
		_, err = fmt.Fprintf(e.Stdout, "session notes up to date with %s\n", res.Remote)
		return err
	}
	var parts []string
	for _, p := range []struct {
		verb   string
		topics []string
	}{{"fetched", res.Fetched}, {"merged", res.Merged}, {"pushed", res.Pushed}} {
		if len(p.topics) > 0 {
			parts = append(parts, p.verb+" "+strings.Join(p.topics, ", "))
		}
	}
	_, err = fmt.Fprintf(e.Stdout, "synced session notes with %s: %s\n", res.Remote, strings.Join(parts, "; "))
	return err
}
