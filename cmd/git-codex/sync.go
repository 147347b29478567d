package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/git-codex/git-codex/cmd/git-codex/failure"
	"github.com/git-codex/git-codex/gitstore"
	"github.com/git-codex/git-codex/notesync"
)

// SyncOptions are the inputs of `git codex sync`.
type SyncOptions struct {
	Remote string
	JSON   bool
}

func newSyncCommand(e *Env, runF func(context.Context, *SyncOptions) error) *cli.Command {
	if runF == nil {
		runF = func(ctx context.Context, opts *SyncOptions) error { return runSync(ctx, e, opts) }
	}
	return &cli.Command{
		Name:      "sync",
		Usage:     "fetch the remote's session notes, merge them (nothing lost) and push back the shared ones",
		UsageText: "git codex sync [--json] [REMOTE]",
		Description: "Fetches refs/notes/codex/* from REMOTE (default: the branch's upstream remote, else\n" +
			"origin) into refs/notes/remotes/REMOTE/codex/*, where list, show, log, pr-summary and\n" +
			"stats read them; merges each into the local topic of the same name, if there is one, as\n" +
			"a union of records; and pushes, without force, the local topics shared with REMOTE that\n" +
			"it lacks (the pre-push hook's rule, with \"the remote has the topic's branch\" in place\n" +
			"of \"the push sends it\"; see 'git codex share'). Topics not shared stay here and are\n" +
			"listed as kept. When the remote moves in between it fetches, merges and pushes again.\n" +
			"Running it twice changes nothing the second time. Your remote.* settings are never\n" +
			"touched, and nothing on the remote is ever deleted.\n\n" +
			"Examples:\n" +
			"  git codex sync\n" +
			"  git codex sync upstream --json | jq .pushed",
		Flags: []cli.Flag{jsonFlag()},
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, "REMOTE"); err != nil {
				return err
			}
			if c.NArg() > 1 {
				return failure.Usagef("run 'git codex sync --help'", "sync takes at most one remote")
			}
			return runF(c.Context, &SyncOptions{Remote: c.Args().First(), JSON: c.Bool("json")})
		},
	}
}

func runSync(ctx context.Context, e *Env, opts *SyncOptions) error {
	repo, err := e.Repo()
	if err != nil {
		return err
	}
	res, err := notesync.Sync(ctx, repo, notesync.SyncOptions{Remote: opts.Remote})
	if err != nil {
		if hint := syncHint(err, res.Remote); hint != "" {
			return failure.WithHint(err, hint)
		}
		return err
	}
	if opts.JSON {
		return writeJSON(e.Stdout, res)
	}
	for _, w := range res.Warnings {
		e.warnf("%s", w)
	}
	if !res.Changed() {
		fmt.Fprintf(e.Stdout, "session notes up to date with %s\n", res.Remote)
	} else {
		var parts []string
		for _, p := range []struct {
			verb   string
			topics string
		}{
			{"fetched", strings.Join(res.Fetched, ", ")},
			{"merged", strings.Join(res.Merged, ", ")},
			{"pushed", topicsWithReasons(res.Pushed, res.Reasons)},
		} {
			if p.topics != "" {
				parts = append(parts, p.verb+" "+p.topics)
			}
		}
		fmt.Fprintf(e.Stdout, "synced session notes with %s: %s\n", res.Remote, strings.Join(parts, "; "))
	}
	if len(res.Kept) > 0 {
		_, err = fmt.Fprintf(e.Stdout, "not sent to %s: %s ('git codex share TOPIC %s' shares one)\n",
			res.Remote, topicsWithReasons(res.Kept, res.Reasons), shellWord(res.Remote))
	}
	return err
}

// syncHint is the next step after a failed sync, for what actually failed
// ("" leaves it to failure.Classify).
func syncHint(err error, remote string) string {
	r := shellWord(remote)
	switch {
	case errors.Is(err, gitstore.ErrLocked), errors.Is(err, context.Canceled):
		return ""
	case errors.Is(err, notesync.ErrRefused):
		return "the remote refuses these notes for the reason above (a hook or a permission there); ask who runs it, or stop sending the topic: git codex unshare TOPIC " + r
	case errors.Is(err, notesync.ErrDiverged):
		return "others kept pushing session notes meanwhile; nothing is lost: run 'git codex sync' again"
	case errors.Is(err, gitstore.ErrRemoteMissing):
		return "check the remote with 'git remote -v', then run 'git codex sync' again"
	case errors.Is(err, gitstore.ErrRemoteAccess):
		return "the remote refused access: check your credentials ('git fetch " + r + "' shows the same), then run 'git codex sync' again"
	case errors.Is(err, gitstore.ErrRemoteUnreachable):
		return "the remote cannot be reached: check the network ('git fetch " + r + "'), then run 'git codex sync' again"
	}
	return "run 'git codex sync' again"
}
