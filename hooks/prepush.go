package hooks

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	repoctx "github.com/git-codex/git-codex/context"
	"github.com/git-codex/git-codex/notesync"

	"github.com/git-codex/git-codex/gitstore"
)

// RequireContextFilesKey is the git config key that turns the pre-push
// hook's missing-context-file warning into a refused push.
const RequireContextFilesKey = "codex.requireContextFiles"

// ErrPrivateRefs is returned by PrePush when the user's own push would
// send what never leaves the clone: a private topic's notes, or refs under
// refs/codex/ (file contents kept for undo, a large push's staging), as a
// mirror push or a refs/* refspec does.
var ErrPrivateRefs = errors.New("the push would send refs that stay in this clone")

// ErrContextFilesMissing is returned by PrePush when a context file is
// missing and codex.requireContextFiles is true: the push must stop.
var ErrContextFilesMissing = errors.New("required context files are missing")

// PrePushOptions are the hook's arguments: git passes the remote's name
// (or its URL when pushing to a URL), the URL, and one line per ref on
// standard input: "<local ref> <local sha> <remote ref> <remote sha>".
type PrePushOptions struct {
	Remote string
	URL    string
	// RefLines is git's standard input to the hook.
	RefLines io.Reader
	// Getenv reads the environment (for the recursion guard).
	Getenv func(string) string
	// MaxRounds bounds fetch/merge/push rounds; 0 means 3.
	MaxRounds int
	// DryRun reports whether the push running the hook is a dry run, when
	// nothing may be sent; nil asks the process tree (`git push -n`).
	DryRun func() bool
}

// PrePushResult says what the hook did. Warnings are one line each, for
// standard error.
type PrePushResult struct {
	// MissingContext lists the context files that do not exist.
	MissingContext []string
	// Skipped says why no notes were sent ("" when some were).
	Skipped string
	// Pushed lists the topics whose notes were sent.
	Pushed []string
	// Reasons says, for each topic in Pushed, why it is shared with the
	// remote (one of the Reason… texts).
	Reasons map[string]string
	// Warnings are problems that did not stop the user's push.
	Warnings []string
}

// PrePush is what `git codex hook pre-push` does inside `git push`:
//
//  1. It checks that the context files exist. A missing one is a warning,
//     or ErrContextFilesMissing when codex.requireContextFiles is true. One
//     that is untracked or has uncommitted changes is a warning: the push
//     does not carry it to anyone.
//  2. It sends the local topic notes refs shared with the remote and changed
//     since the last successful send (notesync.Send): private topics and
//     topics not shared with the remote never leave.
//
// Nothing is sent when every pushed ref line is a deletion, and a notes ref
// the user's push itself updates is left to it. With no notes refs at all
// it starts no subprocess; with notes that the remote already has (per the
// refs/notes/remotes/<remote>/… tracking refs) it touches no network.
//
// Failures to send notes never fail the push: they become Warnings, and
// the returned error is nil. The only errors are ErrPrivateRefs and
// ErrContextFilesMissing.
func PrePush(ctx context.Context, repo *gitstore.Repo, opt PrePushOptions) (PrePushResult, error) {
	var res PrePushResult
	getenv := opt.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if getenv(gitstore.GuardEnv) != "" {
		res.Skipped = "running inside git codex's own notes push"
		return res, nil
	}
	lines, err := parseRefLines(opt.RefLines)
	if err != nil {
		res.Warnings = append(res.Warnings, "could not read the pushed refs: "+err.Error())
	}
	delOnly := deletesOnly(lines)
	if private := privateRefs(repo, lines); len(private) > 0 {
		return res, fmt.Errorf("%w: %s", ErrPrivateRefs, strings.Join(private, ", "))
	}

	if wt := repo.WorkTree(); wt != "" {
		for _, p := range repoctx.Check(wt) {
			res.MissingContext = append(res.MissingContext, p.File)
		}
	}
	if len(res.MissingContext) > 0 {
		if repo.ConfigBool(RequireContextFilesKey, false) {
			return res, fmt.Errorf("%w: %s", ErrContextFilesMissing, strings.Join(res.MissingContext, ", "))
		}
		res.Warnings = append(res.Warnings, "missing context files: "+strings.Join(res.MissingContext, ", ")+
			" (run 'git codex init' to scaffold them)")
	}
	if repo.WorkTree() != "" && !delOnly {
		probs, err := repoctx.CheckTracked(ctx, repo)
		if err != nil {
			res.Warnings = append(res.Warnings, err.Error())
		}
		for _, p := range probs {
			res.Warnings = append(res.Warnings, p.File+" "+p.Detail+" (run '"+repoctx.CommitHint(p)+"')")
		}
	}

	if delOnly {
		res.Skipped = "the push only deletes refs"
		return res, nil
	}
	// Cheapest test first: no notes refs at all means no sessions.
	if any, err := repo.ListRefs("refs/notes/"); err != nil || len(any) == 0 {
		res.Skipped = "no session notes"
		if err != nil {
			res.Warnings = append(res.Warnings, "session notes not sent: "+err.Error())
		}
		return res, nil
	}
	dryRun := opt.DryRun
	if dryRun == nil {
		dryRun = pushIsDryRun // reads the parent processes' command lines
	}
	if dryRun() {
		res.Skipped = "the push is a dry run"
		return res, nil
	}
	remote := opt.Remote
	if remote == "" {
		remote = opt.URL
	}
	if remote == "" {
		res.Skipped = "no remote"
		return res, nil
	}
	sent := notesync.Send(ctx, repo, notesync.SendOptions{Remote: remote, Refs: lines, MaxRounds: opt.MaxRounds})
	res.Skipped, res.Pushed, res.Reasons = sent.Skipped, sent.Pushed, sent.Reasons
	res.Warnings = append(res.Warnings, sent.Warnings...)
	return res, nil
}

// privateRefs lists the refs the push sends that stay in this clone: those
// under refs/codex/ and the notes of private topics (deletions aside).
func privateRefs(repo *gitstore.Repo, lines []notesync.PushedRef) []string {
	var out []string
	prefix := repo.RefPrefix()
	for _, l := range lines {
		if l.Deletion() {
			continue
		}
		if strings.HasPrefix(l.LocalRef, "refs/codex/") {
			out = append(out, l.LocalRef)
			continue
		}
		if enc, ok := strings.CutPrefix(l.LocalRef, prefix); ok {
			if topic, err := gitstore.DecodeTopic(enc); err == nil && notesync.Private(repo, topic) {
				out = append(out, l.LocalRef)
			}
		}
	}
	return out
}

// parseRefLines reads git's ref lines.
func parseRefLines(r io.Reader) ([]notesync.PushedRef, error) {
	if r == nil {
		return nil, nil
	}
	var lines []notesync.PushedRef
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 {
			continue
		}
		lines = append(lines, notesync.PushedRef{LocalRef: f[0], LocalSHA: f[1], RemoteRef: f[2], RemoteSHA: f[3]})
	}
	return lines, sc.Err()
}

// deletesOnly reports whether the lines are all deletions (local sha all
// zeros). No lines at all ("Everything up-to-date") is not a deletion: notes
// are still worth sending then.
func deletesOnly(lines []notesync.PushedRef) bool {
	for _, l := range lines {
		if !l.Deletion() {
			return false
		}
	}
	return len(lines) > 0
}
